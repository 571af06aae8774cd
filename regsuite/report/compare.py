"""Several runs side by side: a checks × runs page and a text diff.

Runs may be one registry over time or different registries. The first run
is the baseline; every other run is diffed against it:

- regression: the check now fails or errors, and did not before (including
  a check the baseline did not have);
- improvement: the check failed or errored before and passes now;
- other change: any other difference of outcome (passed -> unsupported, a
  check that is gone, ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..htmlpage import Header, esc, page
from ..results import CheckResult, Outcome, RunResults
from .badge import badge_counts
from .expectations import GATING
from .page import STATUSES, pill

ABSENT = "absent"


@dataclass
class Change:
    check_id: str
    before: str
    after: str
    message: str = ""  # the new failure's message, for regressions
    title: str = ""


@dataclass
class Diff:
    baseline: str
    other: str
    regressions: list[Change] = field(default_factory=list)
    improvements: list[Change] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)


def run_label(results: RunResults) -> str:
    url = str(results.target.get("url", "?"))
    return f"{url} {results.started[:16]}".strip()


def _by_id(results: RunResults) -> dict[str, CheckResult]:
    return {c.id: c for c in results.checks}


def diff_runs(baseline: RunResults, other: RunResults, labels: tuple[str, str]) -> Diff:
    before, after = _by_id(baseline), _by_id(other)
    diff = Diff(*labels)
    for check_id in sorted(set(before) | set(after)):
        b = before[check_id].outcome.value if check_id in before else ABSENT
        a = after[check_id].outcome.value if check_id in after else ABSENT
        if a == b:
            continue
        title = (after.get(check_id) or before[check_id]).title
        if a in GATING and b not in GATING:
            diff.regressions.append(Change(check_id, b, a, after[check_id].message, title))
        elif b in GATING and a == Outcome.PASSED.value:
            diff.improvements.append(Change(check_id, b, a, title=title))
        else:
            diff.changes.append(Change(check_id, b, a, title=title))
    return diff


def diffs(runs: list[RunResults], labels: list[str]) -> list[Diff]:
    return [diff_runs(runs[0], run, (labels[0], label)) for run, label in zip(runs[1:], labels[1:], strict=True)]


def compare_text(runs: list[RunResults], labels: list[str]) -> str:
    lines = [f"baseline: {labels[0]}"]
    for diff in diffs(runs, labels):
        lines.append(f"\n{diff.other}: {len(diff.regressions)} regressions, "
                     f"{len(diff.improvements)} improvements, {len(diff.changes)} other changes")
        for title, items in (("regressions", diff.regressions), ("improvements", diff.improvements),
                             ("other changes", diff.changes)):
            if not items:
                continue
            lines.append(f"  {title}:")
            for ch in items:
                first = (ch.message.strip().splitlines() or [""])[0]
                lines.append(f"    {'-' if title == 'regressions' else '+' if title == 'improvements' else '~'} "
                             f"{ch.check_id}: {ch.before} -> {ch.after}" + (f"  ({first[:160]})" if first else ""))
    return "\n".join(lines) + "\n"


def render_compare(runs: list[RunResults], labels: list[str]) -> str:
    by_run = [_by_id(r) for r in runs]
    ids: dict[str, CheckResult] = {}
    for checks in by_run:
        for check_id, check in checks.items():
            ids.setdefault(check_id, check)
    head = "".join(
        f'<th>{esc(label)}<br><span class="muted">{_tally(r)}</span></th>'
        for label, r in zip(labels, runs, strict=True)
    )
    rows = []
    for check_id in sorted(ids, key=lambda i: (ids[i].area, i)):
        info = ids[check_id]
        cells = []
        for checks in by_run:
            status = checks[check_id].outcome.value if check_id in checks else ABSENT
            title = esc(checks[check_id].message[:300]) if check_id in checks else "not in this run"
            cells.append(f'<td class="cell" title="{title}">{pill(status)}</td>')
        rows.append(
            f'<tr><td class="cid">{esc(check_id)}</td><td>{esc(info.area)}</td><td>{esc(info.level)}</td>'
            f'{"".join(cells)}</tr>'
        )
    diff_blocks = "".join(_diff_html(d) for d in diffs(runs, labels))
    legend = " ".join(pill(s) for s in STATUSES if s != "expected")
    body = (
        f"{diff_blocks}<h2>Checks × runs</h2><p>{legend}</p>"
        f'<table class="matrix"><tr><th>check</th><th>area</th><th>level</th>{head}</tr>{"".join(rows)}</table>'
    )
    header = Header("regsuite: conformance runs compared",
                    facts=[f"{len(runs)} runs", f"{len(ids)} checks", ("baseline", labels[0])])
    return page("regsuite: runs compared", header, body)


def _tally(results: RunResults) -> str:
    passed, total = badge_counts(results)
    return f"{passed}/{total} passed"


def _diff_html(diff: Diff) -> str:
    parts = [f"<h2>{esc(diff.other)} <span class=\"muted\" style=\"font-weight:400\">against the baseline</span></h2>"]
    for title, items, css in (("Regressions", diff.regressions, "attention"),
                              ("Improvements", diff.improvements, "attention good"),
                              ("Other changes", diff.changes, "attention warn")):
        if not items:
            parts.append(f'<p class="muted">{title}: none</p>')
            continue
        lis = "".join(
            f'<li><span class="cid">{esc(c.check_id)}</span>{pill(c.before)}<span>→</span>{pill(c.after)}'
            f'<span title="{esc(c.message[:300])}">{esc(c.title)}</span></li>'
            for c in items
        )
        parts.append(f'<h3>{title} ({len(items)})</h3><ul class="{css} changes">{lis}</ul>')
    return "".join(parts)
