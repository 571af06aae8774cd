"""A replay from log to report: survey, plan, seed, schedule, run on the open model, fidelity.

    survey (pass 1) -> profile -> run_profile( prepare: names, plan, seeds, schedule (pass 2) ) -> fidelity

The log is surveyed before anything is sent (a bad log fails fast, with no registry contacted), which
also sizes the run: its length is the replayed part of the log divided by the speed, its request
budget a few requests per operation. The rest happens inside the load runner's preparation, once the
run namespace is known (the synthetic names live inside it); its time counts as seeding, left out of
every figure. The run itself is an ordinary load run of a `replay` shape: the same users, statistics,
generator honesty, workers and reports, with the fidelity section added to summary.html and a
`replay` object in summary.json.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from ..load import env as load_env
from ..load.profiles import Profile, Shape, Slo
from ..load.result import LoadResult
from ..load.runner import LoadOptions, run_profile
from ..target import Target
from .fidelity import Fidelity, measure
from .logformat import LogLines
from .names import Names, new_key
from .plan import MAX_SEED_BYTES, Plan
from .schedule import ScheduleSummary, write_schedule
from .seed import seed
from .survey import Survey, survey
from .window import Window, span

SCHEDULE_FILE = "schedule.jsonl.gz"
REPLAY_FILE = "replay.json"
TAIL = 1.0  # seconds the run goes on after the last operation is due
REQUESTS_PER_OPERATION = 4  # request budget: an upload is a few requests, the rest one


@dataclass(frozen=True)
class ReplaySpec:
    log: Path
    speed: float = 1.0
    window: Window = Window()
    seconds: float | None = None  # replay only this many seconds of the run (the first seconds × speed of the log)
    skip_malformed: bool = False
    users: int | None = None  # users at the start (more as operations wait, up to max_users)
    max_users: int = 100
    max_requests: int | None = None
    upload_size: int | None = None  # bytes of uploads whose blob's size the log does not show
    max_seed_bytes: int = MAX_SEED_BYTES

    @property
    def log_seconds(self) -> float | None:
        """Seconds of the log a run of `seconds` replays."""
        return None if self.seconds is None else self.seconds * self.speed


def read_log(spec: ReplaySpec) -> Survey:
    """Pass one over the log (its format detected first); the errors of a bad log, before anything is sent."""
    return survey(LogLines(spec.log, skip_malformed=spec.skip_malformed), spec.window, spec.log_seconds)


def replay_profile(spec: ReplaySpec, found: Survey, slo: Slo | None = None) -> Profile:
    """The load profile of the replay: a `replay` shape as long as the replayed log at this speed."""
    log_seconds = max(found.last - found.window_start, 0.0)
    seconds = log_seconds / spec.speed + TAIL
    rate = found.requests / seconds
    # Enough users for the log's busiest second at once (about 100 ms an operation), more as operations wait.
    peak = max(found.per_second.values(), default=1) * spec.speed
    users = min(spec.users or max(2, math.ceil(peak / 10)), spec.max_users)
    shape = Shape("replay", users=users, spawn_rate=float(max(4 * users, 10)), duration=round(seconds, 3),
                  rate=rate, max_users=max(spec.max_users, users), speed=spec.speed)
    where = span(found.window_start, max(found.last, found.window_start))
    return Profile(
        name="replay", description=f"replay of {spec.log.name} ({where}) at {spec.speed:g}x", shape=shape,
        max_requests=spec.max_requests or REQUESTS_PER_OPERATION * found.requests + 1000,
        mix={"replay": 1}, slo=slo if slo is not None and not slo.is_empty() else Slo(max_error_rate=0.01),
    )


@dataclass
class Replay:
    """The replay's part of a load run (a regsuite.load.runner.RunExtension)."""

    spec: ReplaySpec
    survey: Survey
    key: bytes = field(default_factory=new_key, repr=False)
    schedule: ScheduleSummary | None = None
    fidelity: Fidelity | None = None
    run_dir: Path | None = None
    seeded: dict[str, float] = field(default_factory=dict)

    def prepare(self, target: Target, namespace: str, run_dir: Path) -> dict[str, str]:
        spec = self.spec
        plan = Plan(self.survey, Names(self.key, namespace), spec.upload_size)
        self.seeded = seed(target, plan.seeds(spec.max_seed_bytes)).to_dict()
        log = LogLines(spec.log, skip_malformed=spec.skip_malformed, fmt=self.survey.fmt)
        self.schedule = write_schedule(log, spec.window, plan, run_dir / SCHEDULE_FILE, spec.log_seconds)
        self.run_dir = run_dir
        (run_dir / REPLAY_FILE).write_text(json.dumps(self.document(plan), indent=1))
        return {load_env.REPLAY: str(run_dir / SCHEDULE_FILE)}

    def finish(self, result: LoadResult) -> None:
        assert self.run_dir is not None
        found = self.survey
        self.fidelity = measure(result, self.run_dir / SCHEDULE_FILE, self.spec.speed, found.window_start,
                                found.last, dict(found.skipped))
        result.sections.append(self.fidelity.html())
        result.extra["replay"] = {**self.fidelity.to_dict(), "seeded": self.seeded}

    def document(self, plan: Plan) -> dict[str, object]:
        """replay.json: the log as surveyed and the schedule made from it (no name of the log)."""
        found = self.survey
        return {
            "schema": "regsuite.replay/1", "log": self.spec.log.name, "format": found.format,
            "speed": self.spec.speed, "window": self.spec.window.text,
            "span": span(found.window_start, max(found.last, found.window_start)),
            "lines": found.lines, "operations": found.requests, "skipped": dict(found.skipped),
            "ops": dict(found.ops), "upload_size_when_unknown": plan.upload_size,
            "uploads_of_unknown_size": found.uploads_unsized, "seeded": self.seeded,
            "schedule": self.schedule.to_dict() if self.schedule else None,
        }


@dataclass
class ReplayResult:
    load: LoadResult
    replay: Replay

    @property
    def fidelity(self) -> Fidelity | None:
        return self.replay.fidelity


def run_replay(options: LoadOptions, spec: ReplaySpec, found: Survey | None = None) -> ReplayResult:
    """Replay `spec` with the load `options` (their profile is replaced by the replay's, keeping its SLO)."""
    found = found or read_log(spec)
    replay = Replay(spec, found)
    options.profile = replay_profile(spec, found, options.profile.slo if options.profile else None)
    options.extension = replay
    return ReplayResult(run_profile(options), replay)
