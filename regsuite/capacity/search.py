"""The capacity search: more load each step until the SLO breaks or the registry stops keeping up.

Every step is one bounded load run (`regsuite.load.runner.run_profile`).

- **closed model** (default): a constant number of users per step. A step
  *passes* when it meets the SLO and its throughput grew by at least
  `min_gain` over the previous passing step; the first step without that
  gain is a *plateau*.
- **open model** (`--model open`): a constant arrival rate per step
  (iterations per second, users added as needed up to `max_users`). A step
  *passes* when it meets the SLO (latency from each iteration's intended
  start) and its achieved rate held at least 90 % of the intended one; else
  the registry fell *behind*.
- **replay** (`--replay LOG`): an access log replayed at a speed factor per
  step (regsuite.replay), judged as the open model; the knee is the highest
  multiple of the recorded traffic the deployment holds.

A step where the registry refused requests for load (429, or 503 with
Retry-After) is *rate-limited*: the registry set a limit there, which ends the
climb like an SLO breach (never a failed step).

The search stops at the first step that breaches the SLO, is rate-limited or
falls behind (then bisects between the last passing and that load, `refine`
times), at
the first plateau, or at a bound: `max_users`/`max_rate`, `max_steps`,
`max_seconds`. The knee is the passing step with the most load: the most
users, or the highest rate held.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import psutil

from ..errors import ExitCode, UsageError
from ..load import INTENDED
from ..load.arrival import HELD_SHARE
from ..load.cpu import GENERATOR_LIMIT, MACHINE_LIMIT, REGISTRY_LIMIT, SATURATED_PERCENT
from ..load.phases import phase_figures
from ..load.profiles import Profile, Shape, Slo
from ..load.result import LoadResult
from ..load.runner import NEXT_STEP_WAIT, LoadOptions, MasterOptions, default_locustfile, run_profile
from ..load.server import ServerSide
from ..load.stats import Row, RunStats
from ..replay.run import ReplaySpec, run_replay
from ..target import Target
from .saturation import first_saturation
from .scenarios import FINAL_PUT_ROW

PASS, BREACH, PLATEAU, BEHIND, FAILED = "pass", "slo", "plateau", "behind", "failed"
LIMITED = "rate-limited"  # the registry refused requests for load: its limit, not a crash
LOST = "workers-lost"  # a generator worker was lost during the step (or never came): the search ends, exit 30
STOPS = (BREACH, LIMITED, PLATEAU, BEHIND)  # verdicts that end the climb (the knee is below)
BELOW = (BREACH, LIMITED, BEHIND)  # stops the search bisects towards (a plateau is the knee's neighbour already)
MODELS = ("closed", "open", "replay")
GENERATOR = "generator"  # stop reason: the generator saturated before the registry gave in
_STEP_OVERHEAD = 15.0  # seconds a step costs beyond its load (seeding, locust start and stop), first guess


@dataclass(frozen=True)
class SearchPlan:
    start_users: int = 2
    step_users: int = 2
    max_users: int = 200
    step_seconds: float = 15.0
    max_steps: int = 12
    max_seconds: float = 600.0  # the whole search, locust start-up included
    min_gain: float = 0.05  # a step must raise throughput by this share to count as progress
    refine: int = 2  # bisection steps between the last passing and the first breaching load
    model: str = "closed"  # closed: users per step; open: an arrival rate per step (max_users caps the users)
    start_rate: float = 5.0  # iterations per second (open model)
    step_rate: float = 5.0
    max_rate: float = 500.0
    start_speed: float = 1.0  # multiples of a log's recorded rate (replay)
    step_speed: float = 1.0
    max_speed: float = 16.0

    @property
    def is_open(self) -> bool:
        """Steps on a schedule (an arrival rate, or a replayed log), judged on the rate they held."""
        return self.model in ("open", "replay")

    @property
    def is_replay(self) -> bool:
        return self.model == "replay"

    # The load of a step in the plan's model: users (closed), iterations per second (open), a speed (replay).
    @property
    def start(self) -> float:
        return self.start_speed if self.is_replay else self.start_rate if self.is_open else self.start_users

    @property
    def step(self) -> float:
        return self.step_speed if self.is_replay else self.step_rate if self.is_open else self.step_users

    @property
    def maximum(self) -> float:
        return self.max_speed if self.is_replay else self.max_rate if self.is_open else self.max_users

    def between(self, low: float, high: float) -> float | None:
        """The bisection point between a passing and a failing load, None when they are neighbours."""
        if self.is_open:
            finest = max(self.step / 8, 0.05 if self.is_replay else 0.1)
            return round((low + high) / 2, 2) if high - low > finest else None
        return (int(low) + int(high)) // 2 if high - low > 1 else None

    def validate(self) -> None:
        if self.model not in MODELS:
            raise UsageError(f"capacity search: --model is one of {', '.join(MODELS)}")
        if self.is_replay:
            if not 0 < self.start_speed <= self.max_speed or self.step_speed <= 0 or self.max_users < 1:
                raise UsageError("capacity search: need 0 < --start-speed <= --max-speed, --step-speed > 0 and "
                                 "--max-users >= 1")
        elif self.is_open:
            if not 0 < self.start_rate <= self.max_rate or self.step_rate <= 0 or self.max_users < 1:
                raise UsageError("capacity search: need 0 < --start-rate <= --max-rate, --step-rate > 0 and "
                                 "--max-users >= 1")
        elif self.start_users < 1 or self.step_users < 1 or self.max_users < self.start_users:
            raise UsageError("capacity search: need 1 <= --start-users <= --max-users and --step-users >= 1")
        if self.step_seconds < 1 or self.max_steps < 1 or self.refine < 0:
            raise UsageError("capacity search: --step-seconds >= 1, --max-steps >= 1 and --refine >= 0")
        if self.max_seconds < self.step_seconds:
            raise UsageError(f"capacity search: --max-seconds {self.max_seconds:g} leaves no room for one "
                             f"step of {self.step_seconds:g} s")
        if not 0 <= self.min_gain < 1:
            raise UsageError("capacity search: --min-gain is a share between 0 and 1 (0.05 = 5 %)")


@dataclass
class TransactionFigures:
    ops: int
    ops_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mb_per_s: float
    failures: int


@dataclass
class WorkerStep:
    """One generator worker during one step, as it reported itself."""

    name: str
    host: str
    requests: int
    rps: float
    cpu_mean: float  # % of one core
    cpu_peak: float
    saturated: bool
    lost: str | None = None  # how and when it was lost


@dataclass
class StepResult:
    index: int
    users: int
    seconds: float  # measured: first request to last
    requests: int
    failures: int
    rps: float
    error_rate: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    transactions: dict[str, TransactionFigures]
    final_put_p95_ms: float | None
    generator_cpu: float  # busiest generator process, mean % of one core
    generator_saturated: bool
    machine_cpu: float  # whole machine, % of all cores
    registry_cpu: float | None  # % of one core, when the registry's process is known
    breaches: list[str]
    problems: list[str]
    run_dir: str
    verdict: str = PASS
    gain: float | None = None  # throughput change against the previous passing step
    wall_seconds: float = 0.0  # the step's whole cost, start-up included
    generator_cpu_total: float = 0.0  # every generator process together, % of one core
    other_cpu: float | None = None  # the rest of the machine (neither generator nor registry), % of all cores
    rate: float | None = None  # open model: intended iterations per second
    achieved_rate: float | None = None  # open model: iterations per second that ran
    intended_p95_ms: dict[str, float] = field(default_factory=dict)  # open model: p95 from intended start, by type
    workers: list[WorkerStep] = field(default_factory=list)  # distributed steps: each worker's own figures
    workers_lost: list[str] = field(default_factory=list)  # why the step had too few workers
    server: ServerSide | None = None  # the registry's own view (--metrics-url)
    routes: list[dict[str, Any]] = field(default_factory=list)  # per route: client and server side by side
    phases: dict[str, Any] = field(default_factory=dict)  # pull and push phases: TTFB and total percentiles
    rate_limited: int = 0  # requests the registry refused for load (429, or 503 with Retry-After)
    speed: float | None = None  # replay: the multiple of the log's recorded rate
    replayed: str = ""  # replay: the part of the log replayed, as times
    lateness_p95_ms: float | None = None  # replay: start of each operation against its time in the log

    @property
    def level(self) -> float:
        """The step's load: its speed (replay), its intended rate (open model) or its users."""
        if self.speed is not None:
            return self.speed
        return self.rate if self.rate is not None else self.users

    @property
    def level_text(self) -> str:
        if self.speed is not None:
            return f"{self.speed:g}x the log ({self.rate or 0:.1f} operations/s)"
        return f"{self.rate:g} iterations/s" if self.rate is not None else f"{self.users} users"

    @property
    def held(self) -> bool:
        """Open model: the achieved rate kept up with the intended one."""
        return self.rate is None or (self.achieved_rate or 0.0) >= HELD_SHARE * self.rate

    def ops_per_s(self, kind: str) -> float:
        tx = self.transactions.get(kind)
        return tx.ops_per_s if tx else 0.0

    def mb_per_s(self, kind: str) -> float:
        tx = self.transactions.get(kind)
        return tx.mb_per_s if tx else 0.0

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> StepResult:
        raw = dict(raw)
        raw["transactions"] = {k: TransactionFigures(**v) for k, v in raw.get("transactions", {}).items()}
        raw["workers"] = [WorkerStep(**w) for w in raw.get("workers", [])]
        raw["server"] = ServerSide.from_dict(raw["server"]) if raw.get("server") else None
        return cls(**raw)


@dataclass
class CapacityResult:
    scenario: str
    description: str
    target: dict[str, Any]
    slo: Slo
    plan: SearchPlan
    steps: list[StepResult]
    stop_reason: str  # slo, plateau, generator, max-users, max-steps, time, failed
    stop_detail: str
    started: float
    seconds: float
    workers: int = 0
    processes: int | None = None
    run_dir: str = ""
    master: bool = False  # the workers ran elsewhere (`regsuite worker`), one master per step here

    @property
    def knee(self) -> StepResult | None:
        passing = [s for s in self.steps if s.verdict == PASS]
        return max(passing, key=lambda s: s.level) if passing else None

    @property
    def limited_by(self) -> str:
        """What set the knee: the generator, the search's own bounds, or the target."""
        if self.stop_reason == FAILED:
            return "a failed step"
        if self.stop_reason == LOST:
            return "a lost generator worker (the search ended early)"
        decisive = [s for s in (self.knee, self._stop_step()) if s is not None]
        if self.stop_reason == GENERATOR or any(s.generator_saturated for s in decisive):
            return GENERATOR_LIMIT
        if self.stop_reason in ("max-users", "max-rate", "max-speed", "max-steps", "time"):
            return "search bounds (no knee reached)"
        if self.stop_reason == LIMITED:
            return "the registry's rate limit (429, or 503 with Retry-After)"
        server = self.server_limit
        if self.stop_reason in (PLATEAU, BEHIND) and self._machine_busy():
            # Throughput stopped rising while every core was busy: the cores set the limit.
            return MACHINE_LIMIT + (f"; server side: {server}" if server else "")
        return f"{REGISTRY_LIMIT}: {server}" if server else REGISTRY_LIMIT

    @property
    def server_limit(self) -> str | None:
        """The registry's own signal that saturated first (CPU, requests in flight, storage latency), if any."""
        return first_saturation(self.steps)

    @property
    def caveat(self) -> str | None:
        """Why the registry's figure may understate it, when the knee is put on the registry."""
        if self.limited_by == REGISTRY_LIMIT and self._machine_busy():
            busiest = max(s.machine_cpu for s in self.steps)
            return (f"this machine's CPU was {busiest:.0f} % busy during the search: a registry running here "
                    "may have been starved of CPU")
        return None

    def _machine_busy(self) -> bool:
        decisive = [s for s in (self.knee, self._stop_step()) if s is not None]
        return any(s.machine_cpu >= SATURATED_PERCENT for s in decisive)

    def _stop_step(self) -> StepResult | None:
        failing = [s for s in self.steps if s.verdict != PASS]
        return min(failing, key=lambda s: s.level) if failing else None

    @property
    def exit_code(self) -> int:
        if self.stop_reason == FAILED:
            return int(ExitCode.INTERNAL_ERROR)
        if self.stop_reason == LOST:
            return int(ExitCode.WORKERS_LOST)
        return int(ExitCode.OK) if self.knee else int(ExitCode.CHECKS_FAILED)

    def to_dict(self) -> dict[str, Any]:
        knee = self.knee
        return {
            "schema": "regsuite.capacity/1",
            "scenario": self.scenario, "description": self.description, "target": self.target,
            "slo": asdict(self.slo), "plan": asdict(self.plan),
            "started": self.started, "seconds": round(self.seconds, 1),
            "workers": self.workers, "processes": self.processes,
            "stop_reason": self.stop_reason, "stop_detail": self.stop_detail, "limited_by": self.limited_by,
            "server_limit": self.server_limit, "caveat": self.caveat, "master": self.master,
            "knee": knee_figures(knee) if knee else None,
            "steps": [asdict(s) for s in self.steps],
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> CapacityResult:
        return cls(
            scenario=raw["scenario"], description=raw.get("description", ""), target=raw.get("target", {}),
            slo=Slo(**raw.get("slo", {})), plan=SearchPlan(**raw.get("plan", {})),
            steps=[StepResult.from_dict(s) for s in raw["steps"]], stop_reason=raw["stop_reason"],
            stop_detail=raw.get("stop_detail", ""), started=raw.get("started", 0.0), seconds=raw.get("seconds", 0.0),
            workers=raw.get("workers", 0), processes=raw.get("processes"), run_dir=raw.get("run_dir", ""),
            master=bool(raw.get("master")),
        )


def knee_figures(step: StepResult) -> dict[str, Any]:
    """The sustainable load in the units planners quote."""
    return {
        "users": step.users, "rate": step.rate, "achieved_rate": step.achieved_rate,
        "requests_per_s": round(step.rps, 1),
        "pulls_per_s": round(step.ops_per_s("image-pull"), 2), "pushes_per_s": round(step.ops_per_s("image-push"), 2),
        "pull_mb_per_s": round(step.mb_per_s("image-pull"), 2), "push_mb_per_s": round(step.mb_per_s("image-push"), 2),
        "p95_ms": step.p95_ms, "error_rate": round(step.error_rate, 5), "final_put_p95_ms": step.final_put_p95_ms,
    }


@dataclass
class CapacityOptions:
    target: Target
    profile: Profile  # scenario; its shape is replaced by each step's constant users
    plan: SearchPlan = field(default_factory=SearchPlan)
    report_dir: Path = Path("reports")
    run_name: str | None = None
    workers: int = 0
    processes: int | None = None
    registry_pid: int | None = None  # sampled for the registry's own CPU when it runs on this machine
    locustfile: Path = field(default_factory=default_locustfile)
    master: MasterOptions | None = None  # each step's master waits for `regsuite worker`s started elsewhere
    metrics_urls: tuple[str, ...] = ()  # the registry's Prometheus endpoints, read during each step
    replay: ReplaySpec | None = None  # replay model: the log (each step sets its speed)

    @property
    def worker_count(self) -> int:
        return self.master.expect_workers if self.master else self.workers


def fit_to_mix(plan: SearchPlan, profile: Profile) -> SearchPlan:
    """Every user type of the mix needs a user of its own: with fewer, locust leaves a type out
    and the SLO on its transactions sees no requests. (The open model's one user runs every type.)"""
    types = sum(1 for weight in profile.mix.values() if weight > 0)
    if plan.start_users >= types or plan.is_open:
        return plan
    return replace(plan, start_users=types, max_users=max(plan.max_users, types))


def step_profile(profile: Profile, users: int, seconds: float) -> Profile:
    """The scenario at a constant `users`, all of them started within about half a second."""
    shape = Shape("constant", users=users, spawn_rate=float(max(2 * users, 10)), duration=seconds)
    return replace(profile, shape=shape)


def rate_profile(profile: Profile, rate: float, seconds: float, max_users: int) -> Profile:
    """The scenario at a constant arrival `rate`: a few users at once, more as iterations wait."""
    users = min(max(2, int(rate // 10)), max_users)
    shape = Shape("arrival", rate=rate, duration=seconds, users=users, max_users=max_users,
                  spawn_rate=float(max(4 * users, 10)))
    return replace(profile, shape=shape)


def step_verdict(step: StepResult, previous: StepResult | None, min_gain: float) -> tuple[str, float | None]:
    """A step's verdict, and its throughput gain over the previous passing step with less load."""
    if step.workers_lost:
        return LOST, None
    if step.problems:
        return FAILED, None
    gain = step.rps / previous.rps - 1 if previous and previous.rps > 0 else None
    if step.rate_limited:
        return LIMITED, gain
    if step.breaches:
        return BREACH, gain
    if step.rate is not None:  # open model: the rate is the load; throughput follows it or falls behind
        return (PASS if step.held else BEHIND), gain
    if previous is not None and gain is not None and gain < min_gain:
        return PLATEAU, gain
    return PASS, gain


def next_level(steps: list[StepResult], plan: SearchPlan, refined: int) -> float | None:
    """Load of the next step (users, or iterations per second in the open model), None when the search is over."""
    passing = [s for s in steps if s.verdict == PASS]
    failing = [s for s in steps if s.verdict in STOPS]
    best = max((s.level for s in passing), default=0)
    if any(s.verdict in (FAILED, LOST) for s in steps):
        return None
    if any(s.generator_saturated for s in steps) and not failing:
        return None  # more load would measure the generator, not the registry
    if failing:
        low = min(s.level for s in failing)
        breach = any(s.verdict in BELOW and s.level == low for s in failing)
        # Bisection only below a breach: a plateau is already the knee's neighbour.
        if breach and refined < plan.refine and best:
            return plan.between(best, low)
        return None
    if not steps:
        return plan.start
    if best >= plan.maximum:
        return None
    return min(best + plan.step, plan.maximum)


def search(options: CapacityOptions, on_step: Callable[[StepResult], None] | None = None) -> CapacityResult:
    options.plan.validate()
    plan = fit_to_mix(options.plan, options.profile)
    run_name = options.run_name or f"{time.strftime('%Y%m%d-%H%M%S')}-{options.profile.name}"
    run_dir = options.report_dir / "capacity" / run_name
    run_dir.mkdir(parents=True, exist_ok=True)
    started, wall = time.time(), time.monotonic()
    steps: list[StepResult] = []
    refined, stop, detail = 0, "", ""
    while True:
        level = next_level(steps, plan, refined)
        if level is None:
            stop, detail = _why_stopped(steps, plan)
            break
        bound = bound_reached(steps, plan, time.monotonic() - wall)
        if bound:
            stop, detail = bound
            if any(s.verdict in STOPS for s in steps):  # a knee was found; its bisection was cut short
                found, why = _why_stopped(steps, plan)
                stop, detail = found, f"{why}; {bound[1]}"
            break
        if any(s.verdict in STOPS for s in steps):
            refined += 1
        step = _run_step(options, run_dir, len(steps) + 1, level)
        previous = max((s for s in steps if s.verdict == PASS and s.level < level), key=lambda s: s.level,
                       default=None)
        # Bisection steps after a breach are judged on the SLO alone: their smaller user
        # increments would look like a plateau.
        min_gain = -1.0 if refined else plan.min_gain
        step.verdict, step.gain = step_verdict(step, previous, min_gain)
        steps.append(step)
        if on_step:
            on_step(step)
    return CapacityResult(
        scenario=options.profile.name, description=options.profile.description,
        target=options.target.public_dict(), slo=options.profile.slo, plan=plan,
        steps=sorted(steps, key=lambda s: (s.level, s.index)), stop_reason=stop, stop_detail=detail,
        started=started, seconds=time.monotonic() - wall, workers=options.worker_count, processes=options.processes,
        run_dir=str(run_dir), master=options.master is not None,
    )


def bound_reached(steps: list[StepResult], plan: SearchPlan, elapsed: float) -> tuple[str, str] | None:
    if len(steps) >= plan.max_steps:
        return "max-steps", f"stopped after {plan.max_steps} steps (--max-steps)"
    cost = max((s.wall_seconds for s in steps), default=plan.step_seconds + _STEP_OVERHEAD)
    if elapsed + cost > plan.max_seconds:
        return "time", f"the next step would pass the {plan.max_seconds:g} s budget (--max-seconds)"
    return None


def _why_stopped(steps: list[StepResult], plan: SearchPlan) -> tuple[str, str]:
    lost = [s for s in steps if s.verdict == LOST]
    if lost:
        return LOST, (f"step {lost[0].index} ({lost[0].level_text}) lost generator workers: "
                      f"{lost[0].workers_lost[0]}; the search ended there")
    failed = [s for s in steps if s.verdict == FAILED]
    if failed:
        return FAILED, f"step {failed[0].index} ({failed[0].level_text}) failed: {failed[0].problems[0]}"
    first = min((s for s in steps if s.verdict in STOPS), key=lambda s: s.level, default=None)
    if first is not None and first.verdict == BREACH:
        return BREACH, f"SLO breached at {first.level_text}: {first.breaches[0]}"
    if first is not None and first.verdict == LIMITED:
        return LIMITED, (f"the registry refused load at {first.level_text}: {first.rate_limited} of "
                         f"{first.requests} requests rate limited (429, or 503 with Retry-After)")
    if first is not None and first.verdict == BEHIND:
        return BEHIND, (f"the registry fell behind at {first.level_text}: {first.achieved_rate or 0:.1f}/s achieved, "
                        f"less than {HELD_SHARE:.0%} of the intended rate")
    if first is not None:
        return PLATEAU, (f"throughput stopped rising at {first.level_text} "
                         f"({(first.gain or 0):+.1%} requests/s, less than {plan.min_gain:.0%})")
    saturated = [s for s in steps if s.generator_saturated]
    if saturated:
        return GENERATOR, (f"the load generator saturated at {saturated[0].level_text} "
                           f"({saturated[0].generator_cpu:.0f} % of a core): add --workers or generator machines")
    if plan.is_replay:
        return "max-speed", f"reached --max-speed {plan.max_speed:g}x the log's rate within the SLO"
    if plan.is_open:
        return "max-rate", f"reached --max-rate {plan.max_rate:g} iterations/s within the SLO"
    return "max-users", f"reached --max-users {plan.max_users} within the SLO"


def _run_step(options: CapacityOptions, run_dir: Path, index: int, level: float) -> StepResult:
    plan = options.plan
    if plan.is_replay:
        profile, name = options.profile, f"step{index:02d}-{level:g}x"
    elif plan.is_open:
        profile = rate_profile(options.profile, level, plan.step_seconds, plan.max_users)
        name = f"step{index:02d}-{level:g}ps"
    else:
        profile, name = step_profile(options.profile, int(level), plan.step_seconds), f"step{index:02d}-{int(level)}u"
    load = LoadOptions(
        target=options.target, profile=profile,
        report_dir=run_dir, run_name=name, workers=options.workers,
        processes=options.processes, locustfile=options.locustfile,
        namespace=f"regsuite-capacity/{_repository_part(run_dir.name)}",
        master=options.master, metrics_urls=options.metrics_urls,
        # Every worker counts: a step that lost one would measure less load than it names.
        min_workers=options.worker_count or 1,
        next_within=NEXT_STEP_WAIT if options.master else 0.0,
    )
    sampler = _CpuTimes(options.registry_pid).start()
    began = time.monotonic()
    if plan.is_replay:
        assert options.replay is not None, "a replay search needs its log"
        spec = replace(options.replay, speed=level, seconds=plan.step_seconds, max_users=plan.max_users)
        replayed = run_replay(load, spec)
        result, fidelity = replayed.load, replayed.fidelity
    else:
        result, fidelity = run_profile(load), None
    wall = time.monotonic() - began
    samples = sampler.stop()
    users = int(level) if not plan.is_open else _users_reached(result)
    step = measure(result, index, users, registry_cpu=_cpu_between(samples, result.stats), wall_seconds=wall)
    if fidelity is not None:
        step.speed, step.replayed, step.lateness_p95_ms = level, fidelity.span, fidelity.lateness_ms.get("p95")
    return step


def _users_reached(result: LoadResult) -> int:
    """The most users an arrival step ran (it adds users while iterations wait)."""
    reached = result.generator.arrival.users if result.generator else 0
    return max(reached, result.profile.shape.users)


def measure(result: LoadResult, index: int, users: int, *, registry_cpu: float | None = None,
            wall_seconds: float = 0.0) -> StepResult:
    """One step's figures from its load run."""
    stats = result.stats
    seconds = stats.seconds
    every = Row("", "all")
    for row in stats.requests:
        every.merge(row)
    transactions = {}
    for kind, row in stats.by_type().items():
        s = row.summary(seconds)
        transactions[kind] = TransactionFigures(row.requests, s["rps"], s["p50_ms"], s["p95_ms"], s["p99_ms"],
                                                s["mb_per_s"], row.failures)
    final_put = stats.row(FINAL_PUT_ROW)
    busiest = max((p.mean for p in result.cpu.processes), default=0.0)
    generator_total = sum(p.mean for p in result.cpu.processes)
    cores = result.cpu.cores
    other = (None if registry_cpu is None
             else max(0.0, result.cpu.machine_mean * cores - generator_total - registry_cpu) / cores)
    return StepResult(
        index=index, users=users, seconds=round(seconds, 2), requests=stats.total_requests,
        failures=stats.total_failures, rps=round(stats.total_rps, 2), error_rate=round(stats.error_rate, 5),
        p50_ms=every.percentile(0.5), p95_ms=every.percentile(0.95), p99_ms=every.percentile(0.99),
        transactions=transactions,
        final_put_p95_ms=final_put.percentile(0.95) if final_put and final_put.requests else None,
        generator_cpu=round(busiest, 1), generator_saturated=bool(result.cpu.saturated),
        machine_cpu=round(result.cpu.machine_mean, 1),
        registry_cpu=None if registry_cpu is None else round(registry_cpu, 1),
        breaches=list(result.breaches), problems=list(result.problems), run_dir=str(result.run_dir),
        wall_seconds=round(wall_seconds, 1), generator_cpu_total=round(generator_total, 1),
        other_cpu=None if other is None else round(other, 1),
        intended_p95_ms={kind.removesuffix(INTENDED): row.percentile(0.95)
                         for kind, row in stats.intended_by_type().items()},
        rate=None if result.intended_rate is None else round(result.intended_rate, 3),
        achieved_rate=None if result.achieved_rate is None else round(result.achieved_rate, 3),
        workers=_worker_steps(result), workers_lost=_lost_lines(result),
        server=result.server, routes=[r.to_dict() for r in result.route_comparison()],
        phases=phase_figures(stats.rows), rate_limited=stats.rate_limited,
    )


def _worker_steps(result: LoadResult) -> list[WorkerStep]:
    generator = result.generator
    if generator is None:
        return []
    seconds = result.stats.seconds
    out = []
    for w in generator.workers:
        cpu = w.cpu_record()
        lost = w.lost
        out.append(WorkerStep(w.name or w.id, w.host, w.requests, round(w.requests / seconds, 2) if seconds else 0.0,
                              round(cpu.mean, 1), round(cpu.peak, 1), cpu.is_saturated,
                              f"lost at {lost.get('at', 0):g} s ({lost.get('how', 'lost')})" if lost else None))
    return out


def _lost_lines(result: LoadResult) -> list[str]:
    lines = [result.workers_short] if result.workers_short else []
    return lines + [w.loss_line() for w in (result.generator.lost if result.generator else [])]


def _repository_part(name: str) -> str:
    """A run name as one path component of a repository name (lower case, separators kept)."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "run"


class _CpuTimes:
    """(unix time, CPU seconds) of one process every half second while a step runs."""

    def __init__(self, pid: int | None) -> None:
        self.samples: list[tuple[float, float]] = []
        self._proc: psutil.Process | None = None
        if pid is not None:
            try:
                self._proc = psutil.Process(pid)
            except psutil.Error:
                self._proc = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="regsuite-registry-cpu", daemon=True)

    def start(self) -> _CpuTimes:
        if self._proc is not None:
            self._thread.start()
        return self

    def _run(self) -> None:
        assert self._proc is not None
        while True:
            try:
                times = self._proc.cpu_times()
            except psutil.Error:
                return
            self.samples.append((time.time(), times.user + times.system))
            if self._stop.wait(0.5):
                return

    def stop(self) -> list[tuple[float, float]]:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        return self.samples


def _cpu_between(samples: list[tuple[float, float]], stats: RunStats) -> float | None:
    """Percent of one core the process used while requests were measured."""
    first = stats.started
    inside = [s for s in samples if first <= s[0] <= first + stats.seconds]
    if len(inside) < 2:
        return None
    (t0, c0), (t1, c1) = inside[0], inside[-1]
    return 100.0 * (c1 - c0) / (t1 - t0) if t1 > t0 else None
