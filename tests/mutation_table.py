"""Mutation tables: a registry broken (or fixed) one way, and the verdicts that must follow.

A row names its mutations and the verdict ids that must fail (and, for rows
that fix what distribution 2.8 lacks, the ids that must pass). Only the checks
a row names are run, in a subprocess, through a fault proxy in front of the
shared distribution registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from regsuite.results import Outcome
from regsuite.testing.faultproxy import FaultProxy, Mutation
from tests.support import ConformanceRun, run_conformance


@dataclass(frozen=True)
class Row:
    name: str
    mutations: Callable[[str], list[Mutation]]  # upstream URL -> fresh mutations (some keep state)
    fail: tuple[str, ...] = ()
    passes: tuple[str, ...] = ()
    unsupported: tuple[str, ...] = ()
    extra_checks: tuple[str, ...] = field(default=())  # selected without a verdict asserted

    def named(self) -> list[str]:
        """Every verdict id the row names, parameters included."""
        return sorted({*self.fail, *self.passes, *self.unsupported, *self.extra_checks})

    def selected(self) -> list[str]:
        return sorted({i.split("[")[0] for i in self.named()})


def verify(run: ConformanceRun, row: Row) -> None:
    """Every named verdict is what the row says; the message says which mutation and why not."""
    wrong = []
    for ids, outcome in (
        (row.fail, Outcome.FAILED),
        (row.passes, Outcome.PASSED),
        (row.unsupported, Outcome.UNSUPPORTED),
    ):
        for check_id in ids:
            record = run.record(check_id)
            if record.outcome != outcome:
                wrong.append(f"{check_id}: want {outcome}, got {record.outcome}: {record.message[:300]}")
    assert not wrong, f"mutation {row.name!r}:\n" + "\n".join(wrong)


def run_row(
    start_proxy: Callable[..., FaultProxy],
    upstream: str,
    row: Row,
    report_dir: Path,
    *args: str,
    paths: list[str] | None = None,
    exact: bool = False,
) -> ConformanceRun:
    """`args` and `paths` go to run_conformance; `exact` runs only the named parameters of a check, not all."""
    mutations = row.mutations(upstream)
    proxy = start_proxy(*mutations, upstream=upstream)
    checks = row.named() if exact else row.selected()
    run = run_conformance(proxy.url, report_dir, *args, checks=checks, timeout=120, paths=paths)
    verify(run, row)
    unused = [m.name for m in mutations if not m.hits]
    assert not unused, f"mutation {row.name!r}: {unused} never matched a request"
    return run


def each_row(rows: list[Row]) -> pytest.MarkDecorator:
    """Parametrize a test over `rows`, one test id per row name."""
    return pytest.mark.parametrize("row", rows, ids=[r.name for r in rows])
