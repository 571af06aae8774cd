"""Benchmarks cannot rot: every script under benchmarks/ runs in its smoke mode (seconds, tiny sizes).

A benchmark script is a `benchmarks/*.py` with a `__main__` block; each must
accept `--smoke`, finish in a couple of minutes at most, exit 0 and record
nothing (benchmarks/results/ stays as it is: figures are measured on an idle
machine, never in CI).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT, conformance_env

BENCHMARKS = ROOT / "benchmarks"
SMOKE_TIMEOUT = 240.0  # seconds; a smoke mode takes seconds, a loaded CI machine more
# Scripts whose --smoke is on its way in another change; remove a name once its smoke mode has landed
# (the strict xfail turns into a failure when the script passes, as a reminder).
PENDING_SMOKE: set[str] = set()
# Scripts whose smoke mode a self-test of their own runs (with closer checks of its output): not run twice.
DEDICATED = {"load_vs_wrk.py": "test_load_benchmark.py"}


def benchmark_scripts() -> list[Path]:
    return sorted(p for p in BENCHMARKS.glob("*.py") if "__name__ == \"__main__\"" in p.read_text())


def _recorded() -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (BENCHMARKS / "results").iterdir()}


def test_the_benchmark_scripts_are_found() -> None:
    names = {p.name for p in benchmark_scripts()}
    assert "conformance_speed.py" in names and "plain_locustfile.py" not in names, names
    assert PENDING_SMOKE | set(DEDICATED) <= names, f"listed scripts that are gone: {PENDING_SMOKE - names}"
    for script, test in DEDICATED.items():
        text = (ROOT / "tests" / test).read_text()
        assert script in text and "--smoke" in text, f"tests/{test} no longer runs {script} --smoke"


@pytest.mark.parametrize("script", [
    pytest.param(p, marks=pytest.mark.xfail(strict=True, reason="its --smoke is not merged yet"))
    if p.name in PENDING_SMOKE else p
    for p in benchmark_scripts() if p.name not in DEDICATED
], ids=lambda p: p.name)
def test_every_benchmark_runs_in_smoke_mode(script: Path, tmp_path: Path) -> None:
    recorded = _recorded()
    proc = subprocess.run([sys.executable, str(script), "--smoke"], cwd=tmp_path, env=conformance_env(),
                          capture_output=True, text=True, timeout=SMOKE_TIMEOUT, stdin=subprocess.DEVNULL)
    output = (proc.stdout + proc.stderr)[-3000:]
    assert proc.returncode == 0, f"{script.name} --smoke exited {proc.returncode}:\n{output}"
    assert _recorded() == recorded, f"{script.name} --smoke changed benchmarks/results/: smoke figures are not recorded"
