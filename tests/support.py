"""Running the conformance suite from a self-test: a real pytest process, real results.json."""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from regsuite.results import CheckResult, Outcome, RunResults

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class ConformanceRun:
    returncode: int
    output: str
    results: RunResults | None
    report_dir: Path

    def outcome(self, check_id: str) -> Outcome:
        return self.record(check_id).outcome

    def record(self, check_id: str) -> CheckResult:
        assert self.results is not None, f"no results.json; output:\n{self.output[-3000:]}"
        for record in self.results.checks:
            if record.id == check_id:
                return record
        raise AssertionError(f"no verdict for {check_id}; have {[c.id for c in self.results.checks]}")

    def with_outcome(self, outcome: Outcome) -> list[str]:
        assert self.results is not None, f"no results.json; output:\n{self.output[-3000:]}"
        return sorted(c.id for c in self.results.checks if c.outcome == outcome)


def conformance_command(
    url: str | None, report_dir: Path, *args: str, checks: list[str] | None = None, paths: list[str] | None = None
) -> list[str]:
    """`pytest conformance` (or only `paths`, which collects faster) against `url`, reports in `report_dir`."""
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        *(paths or ["conformance"]),
        "-q",
        "-p",
        "no:randomly",
        "--report-dir",
        str(report_dir),
    ]
    if url:
        cmd += ["--registry-url", url]
    for check_id in checks or []:
        cmd += ["--check", check_id]
    return cmd + list(args)


def conformance_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """This environment without regsuite's and pytest's own variables, plus `env`."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("REGSUITE_", "OCI_", "PYTEST_"))}
    full_env.update(env or {})
    return full_env


def run_conformance(
    url: str | None,
    report_dir: Path,
    *args: str,
    checks: list[str] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 300,
    paths: list[str] | None = None,
) -> ConformanceRun:
    """Run `pytest conformance` (or only `paths`, which collects faster) in a process of its own against `url`:
    a child of this worker's fork server (tests.forkserver), or a new interpreter while that one is busy."""
    cmd = conformance_command(url, report_dir, *args, checks=checks, paths=paths)
    assert cmd[:3] == [sys.executable, "-m", "pytest"]
    returncode, output = _FORK_SERVER.pytest(cmd[3:], ROOT, conformance_env(env), timeout)
    path = report_dir / "conformance" / "results.json"
    results = RunResults.load(path) if path.exists() else None
    return ConformanceRun(returncode, output, results, report_dir)


class ForkServer:
    """This process's tests.forkserver, started at first use; `pytest` is `subprocess.run` of `python -m pytest
    ARGS`: the exit code, the output (standard output and error together), and its TimeoutExpired."""

    def __init__(self) -> None:
        self._server: subprocess.Popen[bytes] | None = None
        self._unread = b""
        self._lock = threading.Lock()

    def pytest(self, args: list[str], cwd: Path, env: dict[str, str], timeout: float) -> tuple[int, str]:
        if not self._lock.acquire(blocking=False):  # another thread's run: this one starts cold
            proc = subprocess.run([sys.executable, "-m", "pytest", *args], cwd=cwd, env=env, capture_output=True,
                                  text=True, timeout=timeout, stdin=subprocess.DEVNULL)
            return proc.returncode, proc.stdout + proc.stderr
        try:
            with tempfile.NamedTemporaryFile("rb", prefix="regsuite-run-", suffix=".out") as output:
                request = {"args": args, "cwd": str(cwd), "env": env, "output": output.name}
                server = self._started()
                assert server.stdin is not None
                server.stdin.write(json.dumps(request).encode() + b"\n")
                pid = self._answer(server, 30)["pid"]
                try:
                    returncode = self._answer(server, timeout)["returncode"]
                except subprocess.TimeoutExpired:
                    os.kill(pid, signal.SIGKILL)
                    self._answer(server, 30)
                    raise subprocess.TimeoutExpired(["pytest", *args], timeout, output.read()) from None
                return returncode, output.read().decode(errors="replace")
        finally:
            self._lock.release()

    def _started(self) -> subprocess.Popen[bytes]:
        if self._server is None or self._server.poll() is not None:
            self._server = subprocess.Popen(
                [sys.executable, "-m", "tests.forkserver"], cwd=ROOT, env=conformance_env(),
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0,
            )
            self._unread = b""
            atexit.register(self._server.kill)
        return self._server

    def _answer(self, server: subprocess.Popen[bytes], timeout: float) -> dict[str, int]:
        """The server's next line (read unbuffered, so that `select` sees what is still to come)."""
        assert server.stdout is not None
        deadline = time.monotonic() + timeout
        while b"\n" not in self._unread:
            ready, _, _ = select.select([server.stdout], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise subprocess.TimeoutExpired(server.args, timeout)
            chunk = os.read(server.stdout.fileno(), 4096)
            if not chunk:
                self._server = None
                raise RuntimeError(f"the fork server ended (exit code {server.wait()})")
            self._unread += chunk
        line, _, self._unread = self._unread.partition(b"\n")
        answer: dict[str, int] = json.loads(line)
        return answer


_FORK_SERVER = ForkServer()
