"""Load and capacity runs side by side, regressions against the first run flagged.

Inputs are run directories or their JSON (summary.json of `regsuite load`,
capacity.json of `regsuite capacity`); all runs of one comparison are of one
kind. A metric regresses when it is worse than the baseline by more than the
tolerance (a share, 0.1 = 10 %) and by more than its noise floor (5 ms for
latencies, 0.1 percentage point for error rates). `regsuite compare` calls
this for load and capacity runs and keeps conformance runs in
regsuite.report.compare.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ExitCode, UsageError
from ..htmlpage import Cell, Header, page, table
from ..load.charts import Series, line_chart
from .search import CapacityResult

SCHEMAS = {"regsuite.load/1": "load", "regsuite.capacity/1": "capacity"}
_FILES = ("capacity.json", "summary.json")


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    higher_is_better: bool
    floor: float  # smallest absolute change that can count as a regression
    unit: str = ""


@dataclass
class RunDoc:
    path: Path
    kind: str
    doc: dict[str, Any]

    def default_label(self) -> str:
        url = self.doc.get("target", {}).get("url", "")
        return f"{url} {self.doc.get('scenario') or self.doc.get('profile', '')}".strip() or str(self.path)


def detect_kind(path: Path) -> str | None:
    """'load' or 'capacity' when `path` is (or holds) such a run, else None."""
    try:
        return _read(path)[1]
    except UsageError:
        return None


def load_run(path: Path) -> RunDoc:
    found, kind, doc = _read(path)
    if kind is None:
        raise UsageError(f"{found}: not a regsuite load or capacity result (no known schema)")
    return RunDoc(path, kind, doc)


def _read(path: Path) -> tuple[Path, str | None, dict[str, Any]]:
    found = next((path / name for name in _FILES if (path / name).is_file()), None) if path.is_dir() else path
    if found is None or not found.is_file():
        raise UsageError(f"{path}: no such file, and no {' or '.join(_FILES)} in it")
    try:
        doc = json.loads(found.read_text())
    except (OSError, ValueError) as exc:
        raise UsageError(f"{found}: not readable JSON ({exc})") from None
    return found, SCHEMAS.get(doc.get("schema", "")) if isinstance(doc, dict) else None, doc


def metrics_of(run: RunDoc) -> dict[str, tuple[Metric, float | None]]:
    out: dict[str, tuple[Metric, float | None]] = {}

    def put(metric: Metric, value: Any) -> None:
        out[metric.key] = (metric, None if value is None else float(value))

    if run.kind == "capacity":
        knee = run.doc.get("knee") or {}
        put(Metric("users", "knee users", True, 0.5), knee.get("users"))
        if knee.get("rate") is not None:  # open-model searches
            put(Metric("rate", "knee rate held", True, 0.0, "iterations/s"), knee.get("rate"))
        put(Metric("rps", "knee requests/s", True, 0.0, "req/s"), knee.get("requests_per_s"))
        put(Metric("pulls", "knee pulls/s", True, 0.0), knee.get("pulls_per_s"))
        put(Metric("pushes", "knee pushes/s", True, 0.0), knee.get("pushes_per_s"))
        put(Metric("pull_mb", "knee pull MB/s", True, 0.0), knee.get("pull_mb_per_s"))
        put(Metric("push_mb", "knee push MB/s", True, 0.0), knee.get("push_mb_per_s"))
        put(Metric("p95", "p95 at the knee", False, 5.0, "ms"), knee.get("p95_ms"))
        put(Metric("final_put", "final PUT p95 at the knee", False, 5.0, "ms"), knee.get("final_put_p95_ms"))
        return out
    total = run.doc.get("stats", {}).get("total", {})
    put(Metric("rps", "requests/s", True, 0.0, "req/s"), total.get("rps"))
    put(Metric("errors", "error rate", False, 0.001), total.get("error_rate"))
    for kind, tx in sorted(run.doc.get("stats", {}).get("transactions", {}).items()):
        put(Metric(f"{kind}.rps", f"{kind}/s", True, 0.0), tx.get("rps"))
        put(Metric(f"{kind}.mb", f"{kind} MB/s", True, 0.0), tx.get("mb_per_s"))
        for q in ("p50", "p95", "p99"):
            put(Metric(f"{kind}.{q}", f"{kind} {q}", False, 5.0, "ms"), tx.get(f"{q}_ms"))
    return out


@dataclass
class Line:
    metric: Metric
    values: list[float | None]
    changes: list[str]  # per run after the baseline: "", "regression", "improvement"


@dataclass
class Comparison:
    runs: list[RunDoc]
    labels: list[str]
    lines: list[Line]
    tolerance: float

    @property
    def regressions(self) -> int:
        return sum(c == "regression" for line in self.lines for c in line.changes)

    @property
    def regressed(self) -> bool:
        return self.regressions > 0

    def text(self) -> str:
        head = ["metric", *self.labels]
        rows = [head]
        for line in self.lines:
            cells = [line.metric.label, _value(line.metric, line.values[0])]
            for value, change in zip(line.values[1:], line.changes, strict=True):
                cells.append(_value(line.metric, value) + _delta(line.values[0], value)
                             + ("  REGRESSION" if change == "regression" else ""))
            rows.append(cells)
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        table = "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)
        verdict = (f"{self.regressions} regression(s) against {self.labels[0]}" if self.regressed
                   else f"no regression against {self.labels[0]}")
        return (f"{self.runs[0].kind} runs compared (tolerance {self.tolerance:.0%}): {verdict}\n\n{table}\n")

    def html(self) -> str:
        rows = []
        for line in self.lines:
            cells: list[object] = [line.metric.label, _value(line.metric, line.values[0])]
            for value, change in zip(line.values[1:], line.changes, strict=True):
                css = {"regression": "bad", "improvement": "good"}.get(change, "")
                cells.append(Cell(_value(line.metric, value) + _delta(line.values[0], value), f"num {css}".strip()))
            rows.append(cells)
        charts = _capacity_charts(self) if self.runs[0].kind == "capacity" else ""
        kind, n = self.runs[0].kind, self.regressions
        header = Header(
            f"regsuite: {kind} runs compared", "fail" if n else "ok",
            f"{n} REGRESSION{'S' * (n != 1)}" if n else "NO REGRESSION",
            f"against {self.labels[0]}, tolerance {self.tolerance:.0%}",
            facts=[f"{len(self.runs)} runs", ("baseline", self.labels[0])],
        )
        body = (table(["metric", *self.labels], rows)
                + f"{charts}<p class='muted'>Baseline: the first run. Red: worse by more than "
                f"{self.tolerance:.0%} and the metric's noise floor; green: better by as much.</p>")
        return page(f"regsuite compare: {kind}", header, body)


def compare_runs(runs: list[RunDoc], labels: list[str], tolerance: float = 0.1) -> Comparison:
    kinds = {r.kind for r in runs}
    if len(kinds) > 1:
        raise UsageError(f"cannot compare {' and '.join(sorted(kinds))} runs with each other: give runs of one kind")
    if len(runs) < 2:
        raise UsageError("give at least two runs to compare; the first is the baseline")
    per_run = [metrics_of(r) for r in runs]
    keys = [k for k in per_run[0]] + [k for m in per_run[1:] for k in m if k not in per_run[0]]
    lines = []
    for key in dict.fromkeys(keys):
        metric = next(m[key][0] for m in per_run if key in m)
        values = [m[key][1] if key in m else None for m in per_run]
        if all(v is None for v in values) or all(not v for v in values):
            continue  # a measure none of the runs exercised (pushes in a pull-only scenario)
        lines.append(Line(metric, values, [_change(metric, values[0], v, tolerance) for v in values[1:]]))
    if runs[0].kind == "capacity":
        _latency_only_at_equal_knees(lines)
    return Comparison(runs, labels, lines, tolerance)


def _latency_only_at_equal_knees(lines: list[Line]) -> None:
    """Latency at a knee of another user count was measured under other load: neither better nor worse."""
    users = next((line.values for line in lines if line.metric.key == "users"), None)
    if not users:
        return
    for line in lines:
        if line.metric.key in ("p95", "final_put"):
            line.changes = [change if u == users[0] else "" for change, u in zip(line.changes, users[1:], strict=True)]


def _change(metric: Metric, base: float | None, value: float | None, tolerance: float) -> str:
    if base is None or value is None:
        return ""
    worse = base - value if metric.higher_is_better else value - base
    if worse > max(abs(base) * tolerance, metric.floor):
        return "regression"
    if -worse > max(abs(base) * tolerance, metric.floor):
        return "improvement"
    return ""


def _value(metric: Metric, value: float | None) -> str:
    if value is None:
        return "–"
    if metric.key == "errors":
        return f"{value:.2%}"
    text = f"{value:,.0f}" if value == int(value) else f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"
    return f"{text} ms" if metric.unit == "ms" else text


def _delta(base: float | None, value: float | None) -> str:
    if base is None or value is None or base == 0:
        return ""
    return f" ({(value - base) / abs(base):+.0%})"


def _capacity_charts(comparison: Comparison) -> str:
    results = [CapacityResult.from_dict(r.doc) for r in comparison.runs]

    def per_run(value: Any) -> list[Series]:
        return [Series(label, [(float(s.users), float(value(s))) for s in result.steps])
                for label, result in zip(comparison.labels, results, strict=True)]

    return ("<h2>Over load</h2><div class='charts'>"
            + line_chart("Throughput vs users", per_run(lambda s: s.rps), "req/s", x_label="users", dots=True,
                         x_whole=True)
            + line_chart("p95 vs users (all requests)", per_run(lambda s: s.p95_ms), "ms", x_label="users", dots=True,
                         x_whole=True)
            + "</div>")


def run_compare(args: argparse.Namespace) -> int:
    """`regsuite compare` for load and capacity runs: compare.html and diff.txt in --output."""
    if getattr(args, "badge", None):
        raise UsageError("--badge applies to conformance runs only")
    runs = [load_run(p) for p in args.runs]
    wrong = [r for r in runs if args.kind in SCHEMAS.values() and r.kind != args.kind]
    if wrong:
        raise UsageError(f"--kind {args.kind}: {wrong[0].path} is a {wrong[0].kind} run")
    if args.label and len(args.label) != len(runs):
        raise UsageError(f"--label given {len(args.label)} times for {len(runs)} runs: give one per run or none")
    labels = args.label or [r.default_label() for r in runs]
    labels = [f"{label} ({r.path})" if labels.count(label) > 1 else label for label, r in zip(labels, runs,
                                                                                               strict=True)]
    comparison = compare_runs(runs, labels, args.tolerance)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "compare.html").write_text(comparison.html())
    (args.output / "diff.txt").write_text(comparison.text())
    sys.stdout.write(comparison.text())
    print(f"wrote {args.output / 'compare.html'} and {args.output / 'diff.txt'}")
    failed = comparison.regressed and args.fail_on_regression
    return int(ExitCode.CHECKS_FAILED) if failed else int(ExitCode.OK)
