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
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from .charts import CHART_CSS, Series, bar_chart, line_chart
from .slo import describe
from .stats import Row

if TYPE_CHECKING:
    from .runner import LoadResult

_CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1300px; color: #222; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; }
.meta { color: #555; } .verdict { font-size: 16px; padding: 10px 14px; border-radius: 4px; margin: 14px 0; }
.pass { background: #e6f4ea; border: 1px solid #7cc68d; } .fail { background: #fdecea; border: 1px solid #e57368; }
.warn { background: #fff4e0; border: 1px solid #f0ad4e; padding: 10px 14px; border-radius: 4px; margin: 10px 0; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; }
.card { border: 1px solid #ddd; border-radius: 4px; padding: 8px 14px; min-width: 150px; }
.card b { display: block; font-size: 20px; } .card span { color: #555; font-size: 12px; }
.charts { display: grid; grid-template-columns: repeat(2, 622px); gap: 14px; }
table { border-collapse: collapse; margin: 6px 0; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: right; }
th { background: #f4f4f4; } td.l, th.l { text-align: left; } tr.bad td { background: #fdecea; }
"""
PAGE_CSS = _CSS  # the look of every load page (capacity reports and comparisons too)


def write_summary(result: LoadResult, path: Path) -> None:
    path.write_text(render(result))


def render(result: LoadResult) -> str:
    stats, profile = result.stats, result.profile
    per_second = stats.throughput()
    start = min([*(s.time for s in stats.timeline[:1]), *(t for t, _, _ in per_second[:1])], default=0.0)
    ok = result.exit_code == 0
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>regsuite load: {escape(profile.name)}</title>",
        f"<style>{_CSS}{CHART_CSS}</style></head><body>",
        f"<h1>Load run <code>{escape(result.run_dir.name)}</code></h1>",
        f"<div class='meta'>profile <b>{escape(profile.name)}</b>: {escape(profile.description)}<br>"
        f"{escape(_when(start))} · measured {stats.seconds:.1f} s · seeding {result.seed_seconds:.1f} s "
        f"(excluded) · shape {escape(profile.shape.kind)}, {escape(_load_level(result))} · "
        f"max {profile.max_requests} requests</div>",
        f"<div class='verdict {'pass' if ok else 'fail'}'>{escape(result.verdict())}</div>",
    ]
    warning = result.cpu.warning()
    if warning:
        parts.append(f"<div class='warn'><b>Generator saturated.</b> {escape(warning)}</div>")
    busy = result.cpu.machine_note()
    if busy:
        parts.append(f"<div class='warn'><b>Machine busy.</b> {escape(busy)}</div>")
    behind = result.keep_up_notice()
    if behind:
        parts.append(f"<div class='warn'><b>Could not keep up.</b> {escape(behind)}</div>")
    for worker in result.generator.lost if result.generator else []:
        parts.append(f"<div class='warn'><b>Worker lost.</b> {escape(worker.loss_line())}</div>")
    parts.append(_cards(result))
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
    if result.intended_rate is not None:
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
    parts.append(_slo(result))
    parts.append(_workers(result))
    parts.append(_cpu(result))
    parts.append("<h2>Files</h2><p>" + " · ".join(
        f"<a href='{n}'>{n}</a>" for n in ("locust.html", "locust_stats.csv", "locust_stats_history.csv",
                                           "locust_failures.csv", "locust.json", "summary.json", "profile.json")
        if (result.run_dir / n).exists()) + "</p>")
    parts.append("</body></html>")
    return "".join(parts)


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
        rows.append(f"<tr class='{'bad' if lost or cpu.is_saturated else ''}'><td>{w.index + 1}</td>"
                    f"<td class='l'>{escape(w.name)}</td><td class='l'>{escape(w.host)}</td><td>{w.requests}</td>"
                    f"<td>{cpu.mean:.0f}</td><td>{cpu.peak:.0f}</td>"
                    f"<td class='l'>{'saturated' if cpu.is_saturated else 'ok'}</td>"
                    f"<td class='l'>{escape(state)}</td></tr>")
    total = sum(w.requests for w in generator.workers)
    rule = (f"<p>The run stopped by the --min-workers rule: {escape(generator.stopped_by)}.</p>"
            if generator.stopped_by else "")
    return (f"<h2>Workers</h2><p>{len(generator.workers)} workers; the requests each counted itself add up to "
            f"{total} (the run's statistics: {result.stats.total_requests}). CPU as each worker reported it, "
            f"% of one core; over 90 % a worker is saturated and its figures describe itself, not the "
            f"registry.</p>{rule}<table><tr><th>#</th><th class='l'>name</th><th class='l'>host</th>"
            f"<th>requests</th><th>mean CPU %</th><th>peak CPU %</th><th class='l'>generator</th>"
            f"<th class='l'>connected</th></tr>{''.join(rows)}</table>")


def _when(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(t)) if t else "no samples"


def _pts(samples: list, start: float, attr: str) -> list[tuple[float, float]]:  # type: ignore[type-arg]
    return [(s.time - start, float(getattr(s, attr))) for s in samples if getattr(s, attr) is not None]


def _load_level(result: LoadResult) -> str:
    shape = result.profile.shape
    if shape.is_arrival:
        return f"peak {shape.peak_rate():g} iterations/s, {shape.users} to {shape.max_users} users"
    return f"peak {shape.peak_users()} users"


def _cards(result: LoadResult) -> str:
    stats = result.stats
    cards = [
        (f"{stats.total_requests:,}", "requests"),
        (f"{stats.total_rps:,.1f}", "requests/s"),
        (f"{stats.error_rate:.2%}", f"errors ({stats.total_failures})"),
    ]
    if result.intended_rate is not None:
        cards.append((f"{result.achieved_rate or 0:,.2f} / {result.intended_rate:,.2f}",
                      "iterations/s achieved / intended"))
        for kind, row in sorted(stats.intended_by_type().items()):
            cards.append((f"{row.percentile(0.95):g} ms", f"{kind} p95"))
    for kind, row in sorted(stats.by_type().items()):
        s = row.summary(stats.seconds)
        cards.append((f"{s['p95_ms']:g} ms", f"{kind} p95 ({row.requests} ops)"))
        cards.append((f"{s['mb_per_s']:g} MB/s", f"{kind} throughput"))
    cpu = max((p.mean for p in result.cpu.processes), default=0.0)
    cards.append((f"{cpu:.0f} %", "busiest generator process (of one core)"))
    return "<div class='cards'>" + "".join(f"<div class='card'><b>{v}</b><span>{escape(k)}</span></div>"
                                           for v, k in cards) + "</div>"


def _table(rows: list[Row], seconds: float, *, bytes_col: bool) -> str:
    if not rows:
        return "<p>none</p>"
    head = ["type", "name", "count", "failures", "req/s", "mean ms", "p50 ms", "p95 ms", "p99 ms", "max ms"]
    if bytes_col:
        head += ["MB", "MB/s"]
    out = ["<table><tr>" + "".join(f"<th class='{'l' if h in ('type', 'name') else ''}'>{h}</th>" for h in head)
           + "</tr>"]
    for row in rows:
        s = row.summary(seconds)
        cells = [s["requests"], s["failures"], s["rps"], s["mean_ms"], s["p50_ms"], s["p95_ms"], s["p99_ms"],
                 round(s["max_ms"], 1)]
        if bytes_col:
            cells += [round(row.bytes / 1e6, 2), s["mb_per_s"]]
        out.append(f"<tr class='{'bad' if row.failures else ''}'><td class='l'>{escape(row.kind)}</td>"
                   f"<td class='l'>{escape(row.name)}</td>" + "".join(f"<td>{c:g}</td>" if isinstance(c, float)
                                                                      else f"<td>{c}</td>" for c in cells) + "</tr>")
    return "".join(out) + "</table>"


def _slo(result: LoadResult) -> str:
    text = describe(result.profile.slo)
    breaches = "".join(f"<li>{escape(b)}</li>" for b in result.breaches) or "<li>none</li>"
    problems = "".join(f"<li>{escape(p)}</li>" for p in result.problems)
    return (f"<h2>SLO</h2><p>{escape(text)}</p><p>Breaches:</p><ul>{breaches}</ul>"
            + (f"<p>Problems with the run:</p><ul>{problems}</ul>" if problems else ""))


def _cpu(result: LoadResult) -> str:
    cpu = result.cpu
    rows = "".join(f"<tr class='{'bad' if p in cpu.saturated else ''}'><td class='l'>{escape(p.name)}</td>"
                   f"<td>{p.pid}</td><td>{p.mean:.0f}</td><td>{p.peak:.0f}</td></tr>" for p in cpu.processes)
    return (f"<h2>Generator CPU</h2><p>{cpu.cores} cores on this machine, whole machine busy "
            f"{cpu.machine_mean:.0f} % on average (registry included when it runs here). A generator process "
            f"over 90 % of one core is saturated.</p><table><tr><th class='l'>process</th><th>pid</th>"
            f"<th>mean % of a core</th><th>peak %</th></tr>{rows}</table>")
