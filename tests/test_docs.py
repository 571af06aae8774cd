"""docs/architecture.md names every module, so a reader finds each one's job from there."""

from __future__ import annotations

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
