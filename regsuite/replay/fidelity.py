"""How faithfully a replay followed its log: rate over time, lateness, the mix, what was skipped.

Read from the run's own records after it ends: the schedule file (what was due, second by second),
locust's rows of type `replay` (what ran, by operation), `replay@lateness` (how late each operation
started against its time in the schedule) and `replay@differed`, the arrival counts of the pacers
and the generator's CPU. A replay that fell behind says so, and what held it back, by the rule a
capacity search uses (regsuite.load.cpu.limit): rather than a replay silently stretched in time.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..htmlpage import BAD, INK, Card, TableRow, alert, cards, table
from ..load import DIFFERED, LATENESS
from ..load.charts import Series, line_chart
from ..load.cpu import limit
from ..load.result import LoadResult
from ..load.stats import Row
from .schedule import read_schedule
from .window import span


@dataclass
class OpFigures:
    op: str
    log: int  # operations of the log that came due in the run
    replayed: int  # operations that ran (finished, whatever the answer)
    failures: int
    differed: int  # found where the log had not found, or the reverse
    lateness_p95_ms: float

    def share_gap(self, log_total: int, replayed_total: int) -> float:
        """Replay share minus log share, in points of 1."""
        replayed = self.replayed / replayed_total if replayed_total else 0.0
        return replayed - (self.log / log_total if log_total else 0.0)


@dataclass
class Fidelity:
    speed: float
    span: str  # the part of the log replayed, as times
    log_seconds: float  # seconds of the log replayed
    intended_rate: float  # operations per second the schedule asked for over the run
    achieved_rate: float  # operations per second that ran
    lateness_ms: dict[str, float]  # p50, p95, p99, max over every operation
    ops: list[OpFigures]
    skipped: dict[str, int]  # lines of the log's window left out, by reason
    intended: list[tuple[float, float]] = field(default_factory=list)  # (second of the run, operations due)
    achieved: list[tuple[float, float]] = field(default_factory=list)  # (second of the run, operations finished)
    notice: str | None = None  # the replay could not keep up: why
    limited_by: str | None = None  # and what held it back

    @property
    def kept_up(self) -> bool:
        return self.notice is None

    @property
    def log_total(self) -> int:
        return sum(o.log for o in self.ops)

    @property
    def replayed_total(self) -> int:
        return sum(o.replayed for o in self.ops)

    def worst_mix_gap(self) -> float:
        return max((abs(o.share_gap(self.log_total, self.replayed_total)) for o in self.ops), default=0.0)

    def lines(self) -> list[str]:
        """What the command prints."""
        out = [f"replayed {self.span} at {self.speed:g}x: {self.replayed_total} of {self.log_total} operations, "
               f"intended {self.intended_rate:.2f}/s, achieved {self.achieved_rate:.2f}/s, lateness p95 "
               f"{self.lateness_ms.get('p95', 0):g} ms, mix within {self.worst_mix_gap():.1%} of the log"]
        if self.notice:
            out.append(f"warning: the replay could not keep up with the log at {self.speed:g}x (limited by "
                       f"{self.limited_by}): {self.notice}")
        return out

    def to_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["kept_up"] = self.kept_up
        doc["worst_mix_gap"] = round(self.worst_mix_gap(), 4)
        return doc

    def html(self) -> str:
        gap_total = (self.log_total, self.replayed_total)
        behind = alert("The replay could not keep up.", f"Limited by {self.limited_by}: {self.notice}") \
            if self.notice else ""
        figures = cards([
            Card(f"{self.speed:g}×", f"speed, log {self.span}"),
            Card(f"{self.achieved_rate:,.2f} / {self.intended_rate:,.2f}", "operations/s achieved / intended",
                 BAD if self.notice else INK),
            Card(f"{self.lateness_ms.get('p95', 0):g} ms", "lateness p95 (start against the log's time)"),
            Card(f"{self.worst_mix_gap():.1%}", "largest gap of an operation's share, replay vs log"),
        ])
        chart = line_chart("Operations per second: intended (the log's times) vs achieved", [
            Series("intended", self.intended), Series("achieved (finished)", self.achieved)], "operations/s")
        rows = [TableRow([o.op, o.log, f"{o.log / gap_total[0]:.1%}" if gap_total[0] else "-", o.replayed,
                          f"{o.replayed / gap_total[1]:.1%}" if gap_total[1] else "-",
                          f"{o.share_gap(*gap_total):+.1%}", o.failures, o.differed, f"{o.lateness_p95_ms:g}"],
                         "bad" if o.failures else "") for o in self.ops]
        mix = table(["operation", "log", "log share", "replayed", "replay share", "gap", "failures",
                     "answered otherwise than the log", "lateness p95 ms"], rows)
        skipped = table(["lines of the log's window left out", "count"],
                        [TableRow([reason, n]) for reason, n in sorted(self.skipped.items(), key=lambda kv: -kv[1])]
                        ) if self.skipped else "<p>none</p>"
        late = ", ".join(f"{k} {v:g} ms" for k, v in self.lateness_ms.items())
        return (f"<h2>Replay fidelity</h2>{behind}{figures}<div class='charts'>{chart}</div>"
                f"<p>Lateness of each operation's start against its time in the log (divided by the speed): {late}. "
                "Names, tags and digests in this run are synthetic; nothing of the log's names is in it.</p>"
                f"<h3>Mix by operation</h3>{mix}<h3>Skipped lines</h3>{skipped}")


def measure(result: LoadResult, schedule: Path, speed: float, window_start: float, last: float,
            skipped: dict[str, int]) -> Fidelity:
    """The replay's fidelity from its run and its schedule file."""
    seconds = result.schedule_seconds
    due: Counter[str] = Counter()
    due_per_second: Counter[int] = Counter()
    for entry in read_schedule(schedule, speed):
        if entry.at >= seconds:
            break
        due[entry.op] += 1
        due_per_second[int(entry.at)] += 1
    stats = result.stats
    by_kind: dict[str, dict[str, Row]] = {"replay": {}, LATENESS: {}, DIFFERED: {}}
    for row in stats.rows:
        if row.kind in by_kind:
            by_kind[row.kind].setdefault(row.name, Row(row.kind, row.name)).merge(row)
    every_late = Row(LATENESS, "all")
    for row in by_kind[LATENESS].values():
        every_late.merge(row)
    ops = []
    for op in sorted(set(due) | set(by_kind["replay"])):
        ran = by_kind["replay"].get(op, Row("replay", op))
        late = by_kind[LATENESS].get(op)
        differed = by_kind[DIFFERED].get(op)
        ops.append(OpFigures(op, due[op], ran.requests, ran.failures, differed.requests if differed else 0,
                             late.percentile(0.95) if late else 0.0))
    started = result.generator.started if result.generator else 0.0
    achieved = [(t - started, float(n)) for t, n in stats.iterations_per_second()] if started else []
    notice = result.keep_up_notice()
    log_seconds = seconds * speed
    return Fidelity(
        speed=speed, span=span(window_start, min(window_start + log_seconds, last)), log_seconds=round(log_seconds, 2),
        intended_rate=round(result.intended_rate or 0.0, 3), achieved_rate=round(result.achieved_rate or 0.0, 3),
        lateness_ms={q: every_late.percentile(v) for q, v in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))}
        | {"max": round(every_late.max_ms, 1)},
        ops=ops, skipped=dict(skipped),
        intended=[(float(s), float(due_per_second[s])) for s in range(int(seconds) + 1)],
        achieved=achieved, notice=notice,
        limited_by=limit(bool(result.cpu.saturated), result.cpu.machine_mean) if notice else None,
    )
