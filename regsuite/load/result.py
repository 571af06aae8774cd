"""The model of one load run: what was asked, what was measured, the verdict.

Made by the runner (regsuite.load.runner), read by the summary page, the
capacity search and the benchmarks; it knows nothing of how a run is driven.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ExitCode
from .arrival import keep_up_notice
from .cpu import CpuReport
from .generator import GeneratorReport
from .profiles import Profile
from .schedule import scheduled_iterations
from .server import RouteComparison, ServerSide, compare_routes
from .stats import RunStats


@dataclass
class LoadResult:
    run_dir: Path
    profile: Profile
    stats: RunStats
    cpu: CpuReport
    breaches: list[str]
    locust_returncode: int
    seed_seconds: float
    problems: list[str] = field(default_factory=list)  # the run itself went wrong (not an SLO)
    cleanup: str = ""  # what happened to the content the run pushed
    generator: GeneratorReport | None = None  # workers, lost workers, the arrival schedule
    workers_short: str | None = None  # too few workers: never connected, or --min-workers stopped the run
    target: dict[str, Any] = field(default_factory=dict)  # the registry measured, as reports show it (no secrets)
    sections: list[str] = field(default_factory=list)  # HTML an extension of the run adds to summary.html
    extra: dict[str, Any] = field(default_factory=dict)  # what it adds to summary.json
    server: ServerSide | None = None  # the registry's own view, from its metrics (--metrics-url)

    def route_comparison(self) -> list[RouteComparison]:
        """Per route, the client's figures beside the registry's (empty without metrics)."""
        if self.server is None or not self.server.has_data:
            return []
        return compare_routes(self.stats.requests, self.stats.seconds, self.server)

    @property
    def exit_code(self) -> int:
        if self.workers_short:
            return int(ExitCode.WORKERS_LOST)
        if self.problems:
            return int(ExitCode.INTERNAL_ERROR)
        return int(ExitCode.CHECKS_FAILED) if self.breaches else int(ExitCode.OK)

    def verdict(self) -> str:
        """One line: passed, or the first reason it did not."""
        if self.workers_short:
            return f"load run stopped: {self.workers_short}"
        if self.problems:
            return f"load run failed: {self.problems[0]}"
        if self.breaches:
            more = f" (+{len(self.breaches) - 1} more)" if len(self.breaches) > 1 else ""
            return f"SLO breached: {self.breaches[0]}{more}"
        return (f"load run passed: {self.stats.total_requests} requests, {self.stats.total_rps:.1f} req/s, "
                f"{self.stats.total_failures} failures")

    # -- the open model ------------------------------------------------------------------

    @property
    def schedule_seconds(self) -> float:
        """How long the arrival schedule ran (its end, or an early stop)."""
        ran = self.generator.seconds if self.generator else 0.0
        return min(ran, self.profile.shape.total_seconds()) if ran else self.profile.shape.total_seconds()

    @property
    def intended_rate(self) -> float | None:
        """Iterations per second the schedule asked for (arrival runs; None for the closed model)."""
        if not self.profile.shape.is_arrival:
            return None
        seconds = self.schedule_seconds
        if self.profile.shape.kind == "replay":  # the log's own times: what came due while the schedule ran
            return (self.generator.arrival.scheduled if self.generator else 0) / seconds if seconds else 0.0
        return scheduled_iterations(self.profile.shape, seconds) / seconds if seconds else 0.0

    @property
    def achieved_rate(self) -> float | None:
        """Iterations per second that ran (finished, successful or not) over the same time."""
        if not self.profile.shape.is_arrival:
            return None
        seconds = self.schedule_seconds
        done = sum(row.requests for row in self.stats.intended_by_type().values())
        return done / seconds if seconds else 0.0

    def keep_up_notice(self) -> str | None:
        """The "could not keep up" notice, when the generator fell behind its schedule."""
        if self.intended_rate is None or self.achieved_rate is None or self.generator is None:
            return None
        replay = self.profile.shape.kind == "replay"
        return keep_up_notice(self.intended_rate, self.achieved_rate, self.generator.arrival,
                              self.profile.shape.max_users, bool(self.cpu.saturated),
                              lower="the speed (--speed)" if replay else "the rate")


def server_doc(result: LoadResult) -> dict[str, Any]:
    """summary.json's keys for the registry's own view: its figures, and each route from both sides."""
    if result.server is None:
        return {"server": None, "routes": []}
    return {"server": result.server.to_dict(), "routes": [r.to_dict() for r in result.route_comparison()]}
