"""Running the conformance suite from a self-test: a real pytest process, real results.json."""

from __future__ import annotations

import os
import subprocess
import sys
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
    """Run `pytest conformance` (or only `paths`, which collects faster) in a subprocess against `url`."""
    cmd = conformance_command(url, report_dir, *args, checks=checks, paths=paths)
    proc = subprocess.run(
        cmd, cwd=ROOT, env=conformance_env(env), capture_output=True, text=True, timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    path = report_dir / "conformance" / "results.json"
    results = RunResults.load(path) if path.exists() else None
    return ConformanceRun(proc.returncode, proc.stdout + proc.stderr, results, report_dir)
