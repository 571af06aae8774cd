"""Helpers of the multi-machine self-tests: a registry in a namespace, `regsuite worker`s with nothing of the run.

Each worker runs in its own empty working directory with its own empty HOME
and a bare environment, so nothing of the run can reach it through files or
variables (tests/netns.py makes the namespaces).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from regsuite.providers import HtpasswdAuth, RegistryConfig
from regsuite.providers.config import free_port, write_config
from regsuite.providers.process import registry_binary

REGSUITE = [sys.executable, "-m", "regsuite.cli"]
RUN_TIMEOUT = 240  # seconds for a whole master run (seeding, waiting for workers, load, cleanup)

def bare_env(home: Path) -> dict[str, str]:
    """What a fresh machine's shell has: a PATH and a HOME, nothing of regsuite."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8"}


@contextmanager
def registry(prefix: list[str], host: str, work: Path, auth: HtpasswdAuth | None = None,
             metrics_port: int | None = None) -> Iterator[str]:
    """A distribution registry listening on `host`, started with `prefix` (a namespace, or none); with
    `metrics_port`, its Prometheus endpoint is http://host:metrics_port/metrics."""
    port = free_port()
    config = RegistryConfig(host=host, port=port, auth=auth, metrics_port=metrics_port)
    path = work / "registry.yml"
    write_config(config.render(port, work / "storage"), path)
    url = f"http://{host}:{port}"
    with open(work / "registry.log", "wb") as log:
        proc = subprocess.Popen([*prefix, str(registry_binary()), "serve", str(path)], stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        ready = ("import httpx, time\nfor _ in range(100):\n    try:\n        httpx.get('" + url + "/v2/', "
                 "timeout=1); break\n    except httpx.HTTPError: time.sleep(0.1)\nelse: raise SystemExit(1)\n")
        subprocess.run([*prefix, sys.executable, "-c", ready], check=True, timeout=30)  # from where clients are
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)


def start_worker(prefix: list[str], root: Path, name: str, master: str, port: int) -> tuple[subprocess.Popen, Path]:
    """`regsuite worker` in an empty directory of its own, with an empty HOME of its own."""
    home, cwd = root / f"{name}-home", root / f"{name}-cwd"
    home.mkdir(parents=True)
    cwd.mkdir(parents=True)
    out = open(root / f"{name}.out", "wb")  # noqa: SIM115 - closed right after the start
    proc = subprocess.Popen([*prefix, *REGSUITE, "worker", "--master-host", master, "--master-port", str(port),
                             "--name", name, "--connect-wait", "60"],
                            cwd=cwd, env=bare_env(home), stdout=out, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    out.close()
    return proc, cwd


def stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)




def wait_for_line(log: Path, text: str, master: subprocess.Popen, seconds: float = 120) -> None:
    """Until `text` shows in the master's locust log; fails when the master ends first or time runs out."""
    deadline = time.monotonic() + seconds
    while not (log.exists() and text in log.read_text(errors="replace")):
        assert time.monotonic() < deadline and master.poll() is None, f"{text!r} never showed in {log}"
        time.sleep(0.5)
