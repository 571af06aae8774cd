"""benchmarks/load_vs_wrk.py keeps working: its --smoke mode runs every measurement for a moment.

Its figures mean nothing here (a busy machine, tiny sizes); the run must end
cleanly with a table holding every measure.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow  # about 30 s
@pytest.mark.skipif(not (shutil.which("wrk") and shutil.which("curl") and shutil.which("docker-registry")),
                    reason="needs wrk, curl and the docker-registry binary")
def test_load_vs_wrk_smoke_runs_every_measure(tmp_path: Path) -> None:
    out = tmp_path / "load.md"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "load_vs_wrk.py"), "--smoke", "--out", str(out)],
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    table = out.read_text()
    for measure in ("manifest requests/s", "generator efficiency", "blob pull MB/s", "blob push MB/s"):
        assert f"| {measure}" in table, measure
