"""docs/architecture.md names every module, and every module it names exists: a reader finds each one's job there."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support import ROOT

PACKAGES = ("regsuite", "fixtures", "conformance", "loadtest")


def _undocumented(doc: str) -> list[str]:
    missing = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT / package)
            if path.name == "__init__.py" or "__pycache__" in rel.parts:
                continue
            if package == "conformance" and path.name.startswith("test_"):
                continue  # the checks, named by area in the same folder
            if len(rel.parts) > 1 and f"{rel.parts[0]}/" in doc:
                continue  # a sub-package described as a whole
            if path.name not in doc:
                missing.append(str(Path(package) / rel))
    return missing


def test_architecture_names_every_module() -> None:
    doc = (ROOT / "docs" / "architecture.md").read_text()
    assert not _undocumented(doc), f"modules docs/architecture.md does not name: {_undocumented(doc)}"


def _named(doc: str) -> set[str]:
    """The file names the module map and the tables of docs/architecture.md mention (`name.py`, `name.sh`)."""
    return set(re.findall(r"(?<![\w.-])([a-z_][a-z0-9_-]*\.(?:py|sh))\b", doc))


def test_every_module_the_architecture_names_exists() -> None:
    doc = (ROOT / "docs" / "architecture.md").read_text()
    present = {p.name for folder in (*PACKAGES, "tests", "scripts", "benchmarks") for p in (ROOT / folder).rglob("*")}
    present |= {"conftest.py"}
    gone = sorted(_named(doc) - present)
    assert not gone, f"docs/architecture.md names modules that do not exist: {gone}"
