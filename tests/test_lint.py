"""The code passes the project's lint: ruff over every folder, mypy over regsuite with its plugin and checks.

`./dev lint` runs the same two; here CI runs them too.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.support import ROOT

BIN = Path(sys.executable).parent


def test_ruff() -> None:
    done = subprocess.run([str(BIN / "ruff"), "check", "regsuite", "fixtures", "conformance", "loadtest", "tests",
                           "benchmarks"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_mypy_over_regsuite_its_plugin_and_its_checks() -> None:
    done = subprocess.run(["scripts/typecheck.sh"], cwd=ROOT, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "MYPY": str(BIN / "mypy")})
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    checked = int(re.search(r"(?:in|checked) (\d+) source files", done.stdout).group(1))  # type: ignore[union-attr]
    own = sum(1 for folder in ("regsuite", "fixtures", "conformance") for _ in (ROOT / folder).rglob("*.py"))
    assert checked == own, f"mypy checked {checked} files; regsuite, fixtures and conformance hold {own}"
