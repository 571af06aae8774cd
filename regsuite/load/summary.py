"""summary.html: one self-contained page per load run.

Verdict and generator honesty first (saturation, a busy machine, a schedule
the generator could not keep, lost workers), then the charts (throughput,
latency percentiles, transaction latency, push/pull MB/s, intended vs achieved
iterations for arrival runs, users, errors by type), then the tables
(transactions apart from per-request rows, latency from the intended start),
SLO, workers and CPU.
"""

from __future__ import annotations

import time
from pathlib import Path

from ..htmlpage import BAD, GOOD, INK, Card, Header, TableRow, alert, cards, esc, page, table
from .charts import Series, bar_chart, line_chart
from .phases import phase_figures
from .result import LoadResult
from .sides import phases_table, server_section
from .slo import describe
from .stats import Row

RUN_FILES = ("locust.html", "locust_stats.csv", "locust_stats_history.csv", "locust_failures.csv", "locust.json",
             "summary.json", "profile.json", "generator.json", "benchmark.json")


def write_summary(result: LoadResult, path: Path) -> None:
    path.write_text(render(result))


def render(result: LoadResult) -> str:
    """The page; the banner names the registry measured (`result.target`)."""
    stats, profile = result.stats, result.profile
    per_second = stats.throughput()
    start = min([*(s.time for s in stats.timeline[:1]), *(t for t, _, _ in per_second[:1])], default=0.0)
    ok = result.exit_code == 0
    header = Header(
        f"regsuite load run {result.run_dir.name}", "ok" if ok else "fail", "PASSED" if ok else "FAILED",
        result.verdict(),
        facts=[("target", result.target.get("url", "not recorded")), ("profile", profile.name),
               profile.description, _when(start), f"measured {stats.seconds:.1f} s",
               f"seeding {result.seed_seconds:.1f} s (excluded)", f"shape {profile.shape.kind}",
               _load_level(result), f"max {profile.max_requests} requests"],
    )
    parts = []
    warning = result.cpu.warning()
    if warning:
        parts.append(alert("Generator saturated.", warning))
    busy = result.cpu.machine_note()
    if busy:
        parts.append(alert("Machine busy.", busy))
    behind = result.keep_up_notice() if profile.shape.kind != "replay" else None  # its section says it
    if behind:
        parts.append(alert("Could not keep up.", behind))
    for worker in result.generator.lost if result.generator else []:
        parts.append(alert("Worker lost.", worker.loss_line()))
    parts.append(_cards(result))
    parts.extend(result.sections)
    parts.append("<h2>Over time</h2><div class='charts'>")
    parts.append(line_chart("Throughput (requests per second)", [
        Series("requests/s", [(t - start, n) for t, n, _ in per_second]),
        Series("failures/s", [(t - start, f) for t, _, f in per_second])], "req/s"))
    parts.append(line_chart("Response time percentiles (all requests, 10 s window)", [
        Series(label, _pts(stats.timeline, start, attr))
        for label, attr in (("p50", "p50_ms"), ("p95", "p95_ms"), ("p99", "p99_ms"))], "ms"))
    parts.append(line_chart("Transaction p95 (whole image operations)", [
        Series(kind, _pts(samples, start, "p95_ms")) for kind, samples in sorted(stats.transaction_timeline.items())
    ], "ms"))
    parts.append(line_chart("Push and pull throughput", [
        Series(kind, [(t - start, v) for t, v in points]) for kind, points in sorted(stats.mb_per_second().items())
    ], "MB/s"))
    if result.intended_rate is not None and profile.shape.kind == "arrival":  # a replay draws its own
        parts.append(line_chart("Iterations per second: intended vs achieved", [
            Series("intended", [(t - start, rate) for t, rate in _intended_steps(result)]),
            Series("achieved (finished)", [(t - start, n) for t, n in stats.iterations_per_second()])],
            "iterations/s"))
    parts.append(line_chart("Users", [Series("users", _pts(stats.timeline, start, "users"))], "users"))
    parts.append(bar_chart("Errors by type", [(e.label, e.occurrences)
                                              for e in stats.errors], "×"))
    parts.append("</div>")
    parts.append("<h2>Transactions</h2>" + _table(stats.transactions, stats.seconds, bytes_col=True))
    parts.append("<h2>Requests</h2>" + _table(stats.requests, stats.seconds, bytes_col=False))
    if stats.is_arrival:
        parts.append("<h2>Latency from the intended start</h2><p>Each iteration timed from when the schedule "
                     "meant it to start (waits for a free user included), beside the same operations timed from "
                     "the actual send above: a gap between the two is latency a closed model would hide.</p>"
                     + _table(sorted(stats.intended_by_type().values(), key=lambda r: r.kind), stats.seconds,
                              bytes_col=False))
    parts.append(phases_table(phase_figures(stats.rows)))
    parts.append(server_section(result.server, result.route_comparison()))
    parts.append(_slo(result))
    parts.append(_workers(result))
    parts.append(_cpu(result))
    files = [n for n in RUN_FILES if (result.run_dir / n).exists()]
    return page(f"regsuite load: {profile.name}", header, "".join(parts), files=files)


def _intended_steps(result: LoadResult) -> list[tuple[float, float]]:
    """The intended rate as the shape set it each second, until the stop."""
    rates = list(result.generator.rates) if result.generator else []
    if rates and result.generator and result.generator.stopped:
        rates.append((result.generator.stopped, rates[-1][1]))
    return rates


def _workers(result: LoadResult) -> str:
    generator = result.generator
    if generator is None or not generator.workers:
        return ""
    rows = []
    for w in generator.workers:
        cpu = w.cpu_record()
        lost = w.lost
        state = f"lost at {lost['at']:g} s ({lost['how']})" if lost else "to the end"
        rows.append(TableRow([w.name, w.host, "saturated" if cpu.is_saturated else "ok", state, w.index + 1,
                              w.requests, f"{cpu.mean:.0f}", f"{cpu.peak:.0f}"],
                             "bad" if lost or cpu.is_saturated else ""))
    total = sum(w.requests for w in generator.workers)
    rule = (f"<p>The run stopped by the --min-workers rule: {esc(generator.stopped_by)}.</p>"
            if generator.stopped_by else "")
    return (f"<h2>Workers</h2><p>{len(generator.workers)} workers; the requests each counted itself add up to "
            f"{total} (the run's statistics: {result.stats.total_requests}). CPU as each worker reported it, "
            f"% of one core; over 90 % a worker is saturated and its figures describe itself, not the "
            f"registry.</p>{rule}"
            + table(["name", "host", "generator", "connected", "#", "requests", "mean CPU %", "peak CPU %"], rows,
                    text_columns=4))


def _when(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(t)) if t else "no samples"


def _pts(samples: list, start: float, attr: str) -> list[tuple[float, float]]:  # type: ignore[type-arg]
    return [(s.time - start, float(getattr(s, attr))) for s in samples if getattr(s, attr) is not None]


def _load_level(result: LoadResult) -> str:
    shape = result.profile.shape
    if shape.kind == "replay":
        return f"mean {shape.rate:.3g} operations/s at {shape.speed:g}x, {shape.users} to {shape.max_users} users"
    if shape.is_arrival:
        return f"peak {shape.peak_rate():g} iterations/s, {shape.users} to {shape.max_users} users"
    return f"peak {shape.peak_users()} users"


def _cards(result: LoadResult) -> str:
    stats = result.stats
    items = [
        Card(f"{stats.total_requests:,}", "requests"),
        Card(f"{stats.total_rps:,.1f}", "requests/s"),
        Card(f"{stats.error_rate:.2%}", f"errors ({stats.total_failures})", BAD if stats.total_failures else GOOD),
    ]
    if stats.rate_limited:
        items.append(Card(f"{stats.rate_limited:,}", "rate limited (429, or 503 with Retry-After): the registry's "
                          "limit, counted among the errors", BAD))
    if result.intended_rate is not None:
        items.append(Card(f"{result.achieved_rate or 0:,.2f} / {result.intended_rate:,.2f}",
                          "iterations/s achieved / intended", BAD if result.keep_up_notice() else INK))
        for kind, row in sorted(stats.intended_by_type().items()):
            items.append(Card(f"{row.percentile(0.95):g} ms", f"{kind} p95"))
    for kind, row in sorted(stats.by_type().items()):
        s = row.summary(stats.seconds)
        items.append(Card(f"{s['p95_ms']:g} ms", f"{kind} p95 ({row.requests} ops)"))
        items.append(Card(f"{s['mb_per_s']:g} MB/s", f"{kind} throughput"))
    cpu = max((p.mean for p in result.cpu.processes), default=0.0)
    items.append(Card(f"{cpu:.0f} %", "busiest generator process (of one core)",
                      BAD if result.cpu.saturated else INK))
    return cards(items)


def _table(rows: list[Row], seconds: float, *, bytes_col: bool) -> str:
    if not rows:
        return "<p>none</p>"
    head = ["type", "name", "count", "failures", "req/s", "mean ms", "p50 ms", "p95 ms", "p99 ms", "max ms"]
    if bytes_col:
        head += ["MB", "MB/s"]
    lines = []
    for row in rows:
        s = row.summary(seconds)
        cells = [s["requests"], s["failures"], s["rps"], s["mean_ms"], s["p50_ms"], s["p95_ms"], s["p99_ms"],
                 round(s["max_ms"], 1)]
        if bytes_col:
            cells += [round(row.bytes / 1e6, 2), s["mb_per_s"]]
        figures = [f"{c:g}" if isinstance(c, float) else c for c in cells]
        lines.append(TableRow([row.kind, row.name, *figures], "bad" if row.failures else ""))
    return table(head, lines, text_columns=2)


def _slo(result: LoadResult) -> str:
    text = describe(result.profile.slo)
    breaches = "".join(f"<li>{esc(b)}</li>" for b in result.breaches) or "<li>none</li>"
    problems = "".join(f"<li>{esc(p)}</li>" for p in result.problems)
    return (f"<h2>SLO</h2><p>{esc(text)}</p><p>Breaches:</p><ul>{breaches}</ul>"
            + (f"<p>Problems with the run:</p><ul>{problems}</ul>" if problems else ""))


def _cpu(result: LoadResult) -> str:
    cpu = result.cpu
    rows = [TableRow([p.name, p.pid, f"{p.mean:.0f}", f"{p.peak:.0f}"], "bad" if p in cpu.saturated else "")
            for p in cpu.processes]
    return (f"<h2>Generator CPU</h2><p>{cpu.cores} cores on this machine, whole machine busy "
            f"{cpu.machine_mean:.0f} % on average (registry included when it runs here). A generator process "
            f"over 90 % of one core is saturated.</p>"
            + table(["process", "pid", "mean % of a core", "peak %"], rows))
