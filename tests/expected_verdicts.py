"""distribution 2.8.2's expected verdicts, read from the shipped expectations file and nowhere else.

A verdict test runs some areas against plain distribution and hands the run
here: every verdict must be what the file says (failed, unsupported, or
passed when unlisted), and every entry of those areas whose check ran must
match a verdict. Skips are not verdicts on the registry; callers judge them.
"""

from __future__ import annotations

from regsuite.report.expectations import Expectations, base_id, load_expectations
from regsuite.results import Outcome
from tests.support import ROOT, ConformanceRun

SHIPPED = ROOT / "expectations" / "distribution-2.8.2.yaml"


def shipped() -> Expectations:
    return load_expectations(SHIPPED)


def verdict_mismatches(run: ConformanceRun, areas: tuple[str, ...]) -> list[str]:
    """Where the run's verdicts in `areas` and the shipped expectations disagree (empty when they agree)."""
    assert run.results is not None, run.output[-3000:]
    expectations = shipped()
    problems, matched = [], set()
    judged = [r for r in run.results.checks if r.area in areas and r.outcome != Outcome.SKIPPED]
    for record in judged:
        entry = expectations.lookup(record.id)
        want = entry.outcome if entry else Outcome.PASSED.value
        if entry:
            matched.add(entry.check_id)
        if record.outcome.value != want:
            problems.append(
                f"{record.id}: {record.outcome.value}, the shipped expectations say {want}: {record.message[:200]}"
            )
    ran = {base_id(r.id) for r in judged}
    for key, entry in expectations.entries.items():
        if base_id(key) in ran and key not in matched:
            problems.append(f"{key}: listed as {entry.outcome}, but no verdict of the run matches it")
    return problems
