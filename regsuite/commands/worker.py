"""`regsuite worker`: a locust worker for a `regsuite load --master` run on another machine.

    regsuite worker --master-host HOST [--master-port 5557] [--name NAME]

It needs nothing but the installed package and network access to the master
and the registry: the master sends the profile, the seeded pull pool, the run
namespace and the credentials over locust's messages when the worker
connects. Nothing is read from or written to this machine's disk, and the
credentials are never logged. The worker ends when its master ends the run.
For a `regsuite capacity --master` search, every step is a run of its own
master: after each step the worker connects again, and it ends when no
next step's master comes within a bounded wait.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
from collections import deque
from pathlib import Path

from ..errors import ExitCode, UsageError
from ..load import env as load_env
from ..load.runner import (
    DEFAULT_MASTER_PORT,
    NEXT_STEP_EXIT,
    NEXT_STEP_WAIT,
    default_locustfile,
    worker_command,
    worker_env,
)

NAME = "worker"
HELP = ("run a load worker for a `regsuite load --master` run or `regsuite capacity --master` search (the master "
        "sends the profile and credentials)")
_TAIL = 20  # lines of locust's output kept in memory for the closing message


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--master-host", required=True, help="host name or address of the `regsuite load --master`")
    p.add_argument("--master-port", type=int, default=DEFAULT_MASTER_PORT,
                   help=f"its --master-bind-port (default {DEFAULT_MASTER_PORT})")
    p.add_argument("--name", default=os.environ.get(load_env.WORKER_NAME),
                   help="how the reports name this worker (default: <hostname>-<pid>)")
    p.add_argument("--connect-wait", type=float, default=300.0,
                   help="seconds to keep trying to reach the master (default 300)")
    p.add_argument("--loglevel", default="WARNING", choices=("DEBUG", "INFO", "WARNING", "ERROR"),
                   help="locust's log level (default WARNING)")


def run(args: argparse.Namespace) -> int:
    if not 0 < args.master_port < 65536 or args.connect_wait <= 0:
        raise UsageError("--master-port takes 1 to 65535 and --connect-wait a positive number of seconds")
    env = worker_env(dict(os.environ))
    if args.name:
        env[load_env.WORKER_NAME] = args.name
    argv = worker_command(sys.executable, default_locustfile(), args.master_host, args.master_port, args.loglevel)
    where = f"{args.master_host}:{args.master_port}"
    print(f"regsuite worker: connecting to the master at {where}", flush=True)
    wait, steps = args.connect_wait, 0
    while True:
        code, tail = _run_locust(argv, {**env, load_env.CONNECT_WAIT: f"{wait:g}"})
        if code is None:
            return int(ExitCode.INTERRUPTED)
        if code == NEXT_STEP_EXIT:  # one step of a capacity search is over: the next step's master follows
            steps += 1
            wait = NEXT_STEP_WAIT
            print(f"regsuite worker: step {steps} done; waiting up to {wait:g} s for the next step's master",
                  flush=True)
            continue
        unreachable = any("ConnectionError" in line or "Failed to connect" in line for line in tail)
        if steps and unreachable:
            print(f"regsuite worker: no further step within {wait:g} s: the search is over ({steps} steps)",
                  flush=True)
            return int(ExitCode.OK)
        if code == 0 or code == -signal.SIGTERM:
            print("regsuite worker: the master ended the run" if code == 0 else "regsuite worker: stopped",
                  flush=True)
            return int(ExitCode.OK)
        if unreachable:
            print(f"regsuite worker: could not reach the master at {where} within {wait:g} s", file=sys.stderr)
            return int(ExitCode.WORKERS_LOST)
        last = next((line for line in reversed(tail) if line.strip()), "no output")
        print(f"regsuite worker: locust ended with exit code {code}: {last.strip()}", file=sys.stderr)
        return int(ExitCode.INTERNAL_ERROR)


def _run_locust(argv: list[str], env: dict[str, str]) -> tuple[int | None, deque[str]]:
    """One locust worker process until it ends: its exit code (None: interrupted) and its last lines."""
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, cwd=Path.cwd())
    tail: deque[str] = deque(maxlen=_TAIL)
    reader = threading.Thread(target=_relay, args=(proc, tail), daemon=True)
    reader.start()
    # A stop request (SIGTERM: `docker stop`, a Kubernetes pod ending) goes to locust, which tells the master.
    previous = signal.signal(signal.SIGTERM, lambda *_: proc.terminate())
    try:
        code = proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait(timeout=30)
        return None, tail
    finally:
        signal.signal(signal.SIGTERM, previous)
    reader.join(timeout=5)
    return code, tail


def _relay(proc: subprocess.Popen[bytes], tail: deque[str]) -> None:
    """Locust's log lines go to our output as they come; tracebacks only into the tail (for one closing line)."""
    assert proc.stdout is not None
    for raw in proc.stdout:
        line = raw.decode(errors="replace").rstrip()
        tail.append(line)
        if line.startswith("["):  # a log line: "[2026-01-01 10:00:00,000] host/WARNING/locust...: ..."
            print(f"regsuite worker: {line}", flush=True)
