"""Capacity reports: capacity.html (charts over load, the knee marked), capacity.txt for a ticket,
capacity.json for tooling. The charts are the load summary's (regsuite.load.charts)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..htmlpage import Card, Cell, Header, Markup, TableRow, Tone, alert, cards, esc, page, table
from ..load.charts import Series, line_chart
from ..load.phases import PULL_PHASES, PUSH_PHASES
from ..load.profiles import Slo
from ..load.server import RouteComparison
from ..load.sides import MIB, phases_table, server_section
from ..load.slo import describe
from ..load.trend import Figure, transaction_figures, write_benchmark
from .search import LIMITED, PASS, CapacityResult, StepResult

if TYPE_CHECKING:
    from ..load.server import ServerSide


def write_reports(result: CapacityResult, run_dir: Path) -> dict[str, Path]:
    paths = {"html": run_dir / "capacity.html", "text": run_dir / "capacity.txt", "json": run_dir / "capacity.json",
             "benchmark": run_dir / "benchmark.json"}
    doc = result.to_dict()
    doc["run_dir"] = str(run_dir)
    paths["json"].write_text(json.dumps(doc, indent=1))
    paths["text"].write_text(ticket_text(result))
    paths["html"].write_text(render(result, run_dir))
    write_benchmark(capacity_benchmark(result), paths["benchmark"])
    return paths


def capacity_benchmark(result: CapacityResult) -> list[Figure]:
    """The knee's headline figures for trend tracking (none when no step sustained the SLO)."""
    knee = result.knee
    if knee is None:
        return []
    prefix = f"capacity {result.scenario}"
    load = (Figure(f"{prefix} knee rate", "iterations/s", knee.rate) if knee.rate is not None
            else Figure(f"{prefix} knee users", "users", knee.users))
    transactions = {kind: (tx.ops_per_s, tx.p95_ms, tx.mb_per_s) for kind, tx in knee.transactions.items()}
    return [load, *transaction_figures(f"{prefix} knee", knee.rps, knee.error_rate, transactions)]


def server_line(step: StepResult | None) -> str:
    """The registry's own figures of a step, in one line ("" without metrics)."""
    server = step.server if step else None
    if server is None or not server.has_data:
        return ""
    parts = []
    if server.requests:
        parts.append(f"{server.requests.per_s:g} req/s, p95 {server.requests.p95_ms} ms")
    if server.in_flight_mean is not None:
        parts.append(f"{server.in_flight_mean:g} in flight (peak {server.in_flight_peak:g})")
    if server.cpu_percent is not None:
        parts.append(f"CPU {server.cpu_percent:.0f} % of a core")
    if server.memory_bytes is not None:
        parts.append(f"{server.memory_bytes / MIB:.0f} MiB")
    if server.storage_all and server.storage_all.p95_ms is not None:
        parts.append(f"storage p95 {server.storage_all.p95_ms:g} ms")
    return ", ".join(parts)


def slo_text(slo: Slo) -> str:
    text = describe(slo)
    return text if not slo.is_empty() else f"{text} (the search stops on a throughput plateau only)"


def knee_line(result: CapacityResult) -> str:
    knee = result.knee
    if knee is None:
        first = result.steps[0] if result.steps else None
        return (f"no sustainable load: the first step ({first.level_text}) already failed"
                if first else "no step ran")
    parts = [f"{knee.users} user{'' if knee.users == 1 else 's'}", f"{knee.rps:,.1f} req/s"]
    if knee.speed is not None:  # replay: the multiple of the recorded traffic comes first
        parts[:0] = [f"holds {knee.speed:g}x the traffic of {knee.replayed}",
                     f"{knee.rate or 0:.1f} operations/s (achieved {knee.achieved_rate or 0:,.1f}/s, lateness p95 "
                     f"{knee.lateness_p95_ms or 0:g} ms)"]
    elif knee.rate is not None:  # open model: the rate held comes first
        parts.insert(0, f"held {knee.rate:g} iterations/s (achieved {knee.achieved_rate or 0:,.1f}/s)")
    for kind, label in (("image-pull", "pulls"), ("image-push", "pushes")):
        if kind in knee.transactions:
            parts.append(f"{knee.ops_per_s(kind):,.1f} {label}/s ({knee.mb_per_s(kind):,.1f} MB/s)")
    parts.append(f"p95 {knee.p95_ms:g} ms")
    parts.append(f"errors {knee.error_rate:.2%}")
    if knee.final_put_p95_ms is not None:
        parts.append(f"final PUT p95 {knee.final_put_p95_ms:g} ms")
    return ", ".join(parts)


def cpu_line(step: StepResult | None) -> str:
    if step is None:
        return ""
    registry = f"; registry {step.registry_cpu:.0f} % of a core" if step.registry_cpu is not None else ""
    saturated = " (saturated)" if step.generator_saturated else ""
    other = f", other processes {step.other_cpu:.0f} %" if step.other_cpu is not None else ""
    return (f"generator {step.generator_cpu_total:.0f} % of a core, busiest process {step.generator_cpu:.0f} %"
            f"{saturated}{registry}; machine {step.machine_cpu:.0f} % of all cores{other}")


def ticket_text(result: CapacityResult) -> str:
    """A few lines to paste into a ticket, then the table of steps."""
    target = result.target.get("url", "?")
    workers = f", {result.workers} locust workers" if result.workers else ""
    lines = [
        f"Capacity of {target}, scenario {result.scenario}: {result.description}",
        f"Knee: {knee_line(result)}",
        f"Stopped: {result.stop_detail}",
        f"Limited by: {result.limited_by} ({cpu_line(result.knee or (result.steps[0] if result.steps else None))})",
        *([f"Caveat: {result.caveat}"] if result.caveat else []),
        *([f"Server side at the knee: {server_line(result.knee)}"] if server_line(result.knee) else []),
        f"SLO: {slo_text(result.slo)}",
        f"Search: {len(result.steps)} steps of {result.plan.step_seconds:g} s, "
        f"{_load_range(result)}, {result.seconds / 60:.1f} min in all{workers}",
        "",
        steps_table(result.steps),
    ]
    return "\n".join(lines) + "\n"


def _load_range(result: CapacityResult) -> str:
    levels = [s.level for s in result.steps]
    unit = ("x the log's rate (replay)" if result.plan.is_replay else
            "iterations/s (open model)" if result.plan.is_open else "users")
    return f"{min(levels):g}-{max(levels):g} {unit}" if levels else f"0 {unit}"


def steps_table(steps: list[StepResult]) -> str:
    open_model = any(s.rate is not None for s in steps)
    replay = any(s.speed is not None for s in steps)
    head: tuple[str, ...] = ("users", "req/s", "pulls/s", "pushes/s", "pull MB/s", "push MB/s", "p50 ms",
                             "p95 ms", "p99 ms", "errors", "gen CPU", "verdict")
    if open_model:
        head = (*(("speed",) if replay else ()), "rate/s", "achieved/s", *head)
    rows = [head]
    for s in steps:
        rate = (*((f"{s.speed or 0:g}x",) if replay else ()), f"{s.rate:.1f}" if replay else f"{s.rate:g}",
                f"{s.achieved_rate or 0:.1f}") if open_model else ()
        rows.append((*rate, str(s.users), f"{s.rps:.1f}", f"{s.ops_per_s('image-pull'):.1f}",
                     f"{s.ops_per_s('image-push'):.1f}", f"{s.mb_per_s('image-pull'):.1f}",
                     f"{s.mb_per_s('image-push'):.1f}", f"{s.p50_ms:g}", f"{s.p95_ms:g}", f"{s.p99_ms:g}",
                     f"{s.error_rate:.2%}", f"{s.generator_cpu:.0f}%{'!' if s.generator_saturated else ''}",
                     _verdict_text(s)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    return "\n".join("  ".join(c.rjust(w) if i < len(head) - 1 else c for i, (c, w) in enumerate(zip(r, widths,
                                                                                                     strict=True)))
                     for r in rows)


def _verdict_text(step: StepResult) -> str:
    if step.verdict == PASS:
        return "pass" + (f" ({step.gain:+.0%})" if step.gain is not None else "")
    if step.verdict == "plateau":
        return f"plateau ({(step.gain or 0):+.1%})"
    if step.verdict == "behind":
        return f"behind ({step.achieved_rate or 0:.1f}/s of {step.rate or 0:g}/s)"
    if step.verdict == LIMITED:
        return f"rate limited ({step.rate_limited} refused)"
    if step.verdict == "failed":
        return f"failed: {step.problems[0]}" if step.problems else "failed"
    return f"SLO: {step.breaches[0]}" if step.breaches else "SLO"


def render(result: CapacityResult, run_dir: Path) -> str:
    steps, knee = result.steps, result.knee
    marks = [(float(knee.level), f"knee: {knee.level_text}")] if knee else []
    x_label = ("speed (x the log's rate)" if result.plan.is_replay else
               "intended iterations/s" if result.plan.is_open else "users")

    def series(label: str, value: Callable[[StepResult], float | None]) -> Series:
        return Series(label, [(float(s.level), float(v)) for s in steps if (v := value(s)) is not None])

    def chart(title: str, lines: list[Series], unit: str, limits: list[tuple[float, str]] | None = None,
              *, keep_zero: bool = False) -> str:
        """Series that are zero throughout are left out (a measure the scenario does not exercise)."""
        shown = lines if keep_zero else [s for s in lines if any(y for _, y in s.points)]
        # A threshold far above the data would flatten every line: name it in the title instead.
        top = max((y for s in shown for _, y in s.points), default=0.0)
        drawn = [(y, label) for y, label in limits or [] if not top or y <= 3 * top]
        off_scale = [label for y, label in limits or [] if (y, label) not in drawn]
        if off_scale:
            title = f"{title} · {'; '.join(off_scale)} far above"
        return line_chart(title, shown, unit, x_label=x_label, marks=marks, limits=drawn, dots=True,
                          x_whole=not result.plan.is_open)

    kinds = sorted({k for s in steps for k in s.transactions})
    transaction_limits = _limit_lines({n: v for n, v in result.slo.p95_ms.items() if n in kinds})
    row_limits = _limit_lines({n: v for n, v in result.slo.p95_ms.items() if n not in kinds})
    vs = "vs speed" if result.plan.is_replay else "vs rate" if result.plan.is_open else "vs users"
    charts = [
        *([chart("Achieved vs intended rate", [series("intended", lambda s: s.rate),
                                               series("achieved", lambda s: s.achieved_rate)], "iterations/s")]
          if result.plan.is_open else []),
        chart(f"Throughput {vs}", [series("requests/s", lambda s: s.rps)], "req/s", keep_zero=True),
        chart(f"Image operations per second {vs}",
              [series(f"{k}/s", _of_kind(StepResult.ops_per_s, k)) for k in kinds], "ops/s"),
        chart(f"Latency percentiles {vs} (all requests)",
              [series("p50", lambda s: s.p50_ms), series("p95", lambda s: s.p95_ms),
               series("p99", lambda s: s.p99_ms)], "ms", row_limits),
        chart(f"Whole-operation p95 {vs}",
              [series(f"{k} p95", _of_kind(_transaction_p95, k)) for k in kinds]
              + [series("final PUT p95", lambda s: s.final_put_p95_ms)]
              + [series(f"{k} p95 from intended start", _of_kind(_intended_p95, k)) for k in kinds],
              "ms", transaction_limits),
        chart(f"Error rate {vs}", [series("errors", lambda s: 100 * s.error_rate)], "%",
              [(100 * result.slo.max_error_rate, f"SLO {result.slo.max_error_rate:.1%}")]
              if result.slo.max_error_rate else None, keep_zero=True),
        chart(f"Transfer {vs}", [series(f"{k} MB/s", _of_kind(StepResult.mb_per_s, k)) for k in kinds], "MB/s"),
        chart(f"CPU {vs} (generator, registry: % of a core; machine, others: % of all cores)",
              [series("generator", lambda s: s.generator_cpu_total), series("registry", lambda s: s.registry_cpu),
               series("machine", lambda s: s.machine_cpu), series("others", lambda s: s.other_cpu)], "%"),
        *_worker_charts(steps, series, chart, vs),
        *_server_charts(steps, series, chart, vs),
        *_phase_charts(steps, series, chart, vs),
    ]
    tone: Tone = "fail" if knee is None else "ok" if result.limited_by == "registry" and not result.caveat else "warn"
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(result.started)) if result.started else ""
    header = Header(
        "regsuite capacity report", tone, "Knee", knee_line(result),
        notes=[("Stopped", result.stop_detail), ("Limited by", result.limited_by),
               *([("Caveat", result.caveat)] if result.caveat else [])],
        facts=[("target", result.target.get("url", "?")), ("scenario", result.scenario), result.description, when,
               f"{len(steps)} steps of {result.plan.step_seconds:g} s", f"{result.seconds / 60:.1f} min",
               f"{result.workers} locust workers" if result.workers else "", f"SLO: {slo_text(result.slo)}"],
    )
    parts = []
    if result.limited_by == "generator":
        parts.append(alert("Generator saturated.", "The knee measures the load generator, not the registry: run "
                           "with --workers or on more machines (docs/capacity.md)."))
    parts.append(_cards(result))
    parts.append("<h2>Over load</h2><div class='charts'>" + "".join(charts) + "</div>")
    parts.append("<h2>Steps</h2>" + _steps_html(result, run_dir))
    parts.append(_workers_html(result))
    shown = knee or (steps[-1] if steps else None)
    if shown is not None:
        where = "at the knee" if shown is knee else f"at step {shown.index}"
        parts.append(server_section(shown.server, [RouteComparison.from_dict(r) for r in shown.routes],
                                    f"The registry's side {where}"))
        parts.append(phases_table(shown.phases, f"Phases {where}"))
    parts.append("<h2>For a ticket</h2><pre class='ticket'>" + esc(ticket_text(result)) + "</pre>")
    return page(f"regsuite capacity: {result.scenario}", header, "".join(parts),
                files=["capacity.json", "capacity.txt"], note="each step's load report is under load/")


def _limit_lines(p95_ms: dict[str, float]) -> list[tuple[float, str]]:
    """One dashed line per threshold value; named when only one limit has that value."""
    by_value: dict[float, list[str]] = {}
    for name, value in p95_ms.items():
        by_value.setdefault(value, []).append(name)
    return [(v, f"SLO {names[0]} p95 {v:g} ms" if len(names) == 1 else f"SLO p95 {v:g} ms")
            for v, names in by_value.items()]


def _of_kind(value: Callable[[StepResult, str], float | None], kind: str) -> Callable[[StepResult], float | None]:
    return lambda step: value(step, kind)


def _transaction_p95(step: StepResult, kind: str) -> float | None:
    return step.transactions[kind].p95_ms if kind in step.transactions else None


def _intended_p95(step: StepResult, kind: str) -> float | None:
    return step.intended_p95_ms.get(kind)


def _cards(result: CapacityResult) -> str:
    knee = result.knee
    if knee is None:
        return ""
    items = [Card(knee.users, "users at the knee"), Card(f"{knee.rps:,.1f}", "requests/s")]
    if knee.rate is not None:
        items[:0] = [Card(f"{knee.rate:g}", "iterations/s held"), Card(f"{knee.achieved_rate or 0:,.1f}", "achieved/s")]
    if knee.speed is not None:
        items.insert(0, Card(f"{knee.speed:g}×", f"the traffic of {knee.replayed}"))
    for kind, label in (("image-pull", "pulls/s"), ("image-push", "pushes/s")):
        if kind in knee.transactions:
            items.append(Card(f"{knee.ops_per_s(kind):,.1f}", label))
            items.append(Card(f"{knee.mb_per_s(kind):,.1f}", f"{kind} MB/s"))
    items.append(Card(f"{knee.p95_ms:g} ms", "p95, all requests"))
    if knee.final_put_p95_ms is not None:
        items.append(Card(f"{knee.final_put_p95_ms:g} ms", "final PUT p95"))
    return cards(items)


def _steps_html(result: CapacityResult, run_dir: Path) -> str:
    open_model = result.plan.is_open
    head = ["step", *(["rate/s", "achieved/s"] if open_model else []), "users", "req/s", "pulls/s", "pushes/s",
            "pull MB/s", "push MB/s", "p50 ms", "p95 ms", "p99 ms", "final PUT p95", "errors", "generator CPU",
            "registry CPU", Cell("verdict", "")]
    knee = result.knee
    rows = []
    for s in result.steps:
        link = os.path.relpath(Path(s.run_dir) / "summary.html", run_dir) if s.run_dir else ""
        rate = [f"{s.rate or 0:g}", f"{s.achieved_rate or 0:,.1f}"] if open_model else []
        cells = [Markup(f'<a href="{esc(link)}">{s.index}</a>') if link else s.index, *rate, s.users,
                 f"{s.rps:,.1f}",
                 f"{s.ops_per_s('image-pull'):.1f}", f"{s.ops_per_s('image-push'):.1f}",
                 f"{s.mb_per_s('image-pull'):.1f}", f"{s.mb_per_s('image-push'):.1f}", f"{s.p50_ms:g}",
                 f"{s.p95_ms:g}", f"{s.p99_ms:g}",
                 f"{s.final_put_p95_ms:g}" if s.final_put_p95_ms is not None else "–", f"{s.error_rate:.2%}",
                 f"{s.generator_cpu:.0f} %{' saturated' if s.generator_saturated else ''}",
                 f"{s.registry_cpu:.0f} %" if s.registry_cpu is not None else "–",
                 Cell(_verdict_text(s), f"verdict-{s.verdict}")]
        rows.append(TableRow(cells, "knee" if knee is not None and s is knee else ""))
    return table(head, rows, text_columns=0, css="steps")


SeriesOf = Callable[[str, Callable[[StepResult], float | None]], Series]
ChartOf = Callable[..., str]


def _worker_charts(steps: list[StepResult], series: SeriesOf, chart: ChartOf, vs: str) -> list[str]:
    """Each worker's own CPU and request rate over the steps (distributed searches)."""
    names = sorted({w.name for s in steps for w in s.workers})
    if not names:
        return []

    def of(name: str, attr: str) -> Callable[[StepResult], float | None]:
        return lambda step: next((getattr(w, attr) for w in step.workers if w.name == name), None)

    return [chart(f"CPU per worker {vs} (% of one core; over 90 % the worker is saturated)",
                  [series(name, of(name, "cpu_mean")) for name in names], "%", [(90.0, "saturated")]),
            chart(f"Requests per second per worker {vs}", [series(name, of(name, "rps")) for name in names],
                  "req/s")]


def _server_charts(steps: list[StepResult], series: SeriesOf, chart: ChartOf, vs: str) -> list[str]:
    """The registry's own view over the steps, next to the client's (searches with --metrics-url)."""
    if not any(s.server is not None and s.server.has_data for s in steps):
        return []

    def server(value: Callable[[ServerSide], float | None]) -> Callable[[StepResult], float | None]:
        return lambda step: value(step.server) if step.server is not None and step.server.has_data else None

    return [
        chart(f"Requests per second {vs}: client and server", [
            series("client", lambda s: s.rps),
            series("server", server(lambda v: v.requests.per_s if v.requests else None))], "req/s"),
        chart(f"p95 {vs}: client and server (the gap is network and queueing)", [
            series("client", lambda s: s.p95_ms),
            series("server", server(lambda v: v.requests.p95_ms if v.requests else None))], "ms"),
        chart(f"Requests in flight at the registry {vs}", [
            series("mean", server(lambda v: v.in_flight_mean)),
            series("peak", server(lambda v: v.in_flight_peak))], "requests", keep_zero=True),
        chart(f"Registry CPU {vs} (process: % of one core; host: % of all cores)", [
            series("registry process", server(lambda v: v.cpu_percent)),
            series("host", server(lambda v: v.host_cpu_percent))], "%"),
        chart(f"Registry memory {vs}", [
            series("resident", server(lambda v: v.memory_bytes / MIB if v.memory_bytes is not None else None)),
            series("host used", server(lambda v: v.host_memory_used_bytes / MIB
                                       if v.host_memory_used_bytes is not None else None))], "MiB"),
        chart(f"Storage action latency {vs}", [
            series("p50", server(lambda v: v.storage_all.p50_ms if v.storage_all else None)),
            series("p95", server(lambda v: v.storage_all.p95_ms if v.storage_all else None))], "ms"),
    ]


def _phase_charts(steps: list[StepResult], series: SeriesOf, chart: ChartOf, vs: str) -> list[str]:
    """Time to first byte (p95) per pull and push phase over the steps."""
    out = []
    for label, phases in (("pull", PULL_PHASES), ("push", PUSH_PHASES)):
        ran = [p.value for p in phases if any(p.value in s.phases for s in steps)]
        if ran:
            out.append(chart(f"{label.capitalize()} phases {vs}: time to first byte, p95", [
                series(name, _phase_ttfb(name)) for name in ran], "ms"))
    return out


def _phase_ttfb(name: str) -> Callable[[StepResult], float | None]:
    def value(step: StepResult) -> float | None:
        ttfb = (step.phases.get(name) or {}).get("ttfb") or {}
        return ttfb.get("p95_ms")
    return value


def _workers_html(result: CapacityResult) -> str:
    """Each step's workers: how the load was spread and what each generator process used."""
    rows = []
    for s in result.steps:
        for w in s.workers:
            rows.append(TableRow([s.index, w.name, w.host, w.requests, f"{w.rps:,.1f}", f"{w.cpu_mean:.0f}",
                                  f"{w.cpu_peak:.0f}", "saturated" if w.saturated else "ok", w.lost or "to the end"],
                                 "bad" if w.saturated or w.lost else ""))
    if not rows:
        return ""
    return ("<h2>Workers per step</h2><p>Each step's load is spread over the workers by locust; the step's figures "
            "are their aggregate. CPU as each worker reported it (% of one core): a worker over 90 % is saturated "
            "and the step measures the generator.</p>"
            + table(["step", "worker", "host", "requests", "req/s", "mean CPU %", "peak CPU %", "generator",
                     "connected"], rows, text_columns=3))
