"""`regsuite conformance`: the conformance checks from any folder, a thin front over pytest.

    regsuite conformance --registry-url URL [pytest and regsuite options]
    regsuite conformance --list-checks [--format text|json]

It is `pytest --pyargs regsuite.conformance [options]`: every option pytest
takes goes through unchanged, so markers (`-m push`), `--check ID`,
`--expectations`, `-x`, `-n` and the rest work as with pytest.
Reports go to ./reports/conformance/ unless `--report-dir` says otherwise.
The exit code is pytest's (docs: README, "Exit codes").
"""

from __future__ import annotations

import argparse
import json

from .. import checklist

NAME = "conformance"
HELP = "run the conformance checks (pytest --pyargs regsuite.conformance); any pytest option passes through"
PASSES_THROUGH = True  # arguments argparse does not know go to pytest
PACKAGE = "regsuite.conformance"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--list-checks", action="store_true", help="list every check (id, area, level, spec, title) and exit"
    )
    p.add_argument("--format", choices=("text", "json"), default="text", help="with --list-checks: text or json")


def list_checks(fmt: str) -> str:
    rows = sorted(checklist.CHECKLIST.values(), key=lambda c: (checklist.AREAS.index(c.area), c.id))
    if fmt == "json":
        return json.dumps(
            [
                {"id": c.id, "area": c.area, "level": str(c.level), "spec": c.spec, "spec_url": c.spec_url,
                 "version": c.version, "title": c.title}
                for c in rows
            ],
            indent=1,
        )
    id_width, spec_width = max(len(c.id) for c in rows), max(len(c.spec) for c in rows)
    return "\n".join(
        f"{c.id:<{id_width}}  {c.area:<10} {c.level!s:<6} {c.spec:<{spec_width}}  {c.title}" for c in rows
    )


def pytest_arguments(extra: list[str]) -> list[str]:
    """The pytest command line: the installed checks, no cache folder in the user's directory, then theirs."""
    return ["--pyargs", PACKAGE, "-p", "no:cacheprovider", *extra]


def run(args: argparse.Namespace) -> int:
    if args.list_checks:
        print(list_checks(args.format))
        return 0
    import pytest  # only here: listing checks needs no test framework

    return int(pytest.main(pytest_arguments(list(args.passthrough))))
