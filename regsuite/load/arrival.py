"""The open (arrival-rate) model without locust: the iteration schedule and whether it was kept.

A generator process issues iterations at its share of the intended rate,
whatever the registry does: the k-th iteration is due 1/rate after the
(k-1)-th. A free user takes the oldest due iteration; when none is free the
iteration waits, and its latency from the intended start includes the wait.
Iterations are drawn from the profile's mix in a smooth weighted round robin,
so 3:1 pull:push gives pull, pull, push, pull, ... in every process.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields

# An iteration that starts this much after its intended time counts as late.
LATE_SECONDS = 0.1
# Share of late starts above which the generator "could not keep up".
LATE_SHARE = 0.05
# Achieved rate below this share of the intended one: the schedule was not held.
HELD_SHARE = 0.9


class KindCycle:
    """Iteration kinds in proportion to the mix weights, evenly interleaved (smooth weighted round robin)."""

    def __init__(self, mix: Mapping[str, int]) -> None:
        self.weights = {kind: weight for kind, weight in mix.items() if weight > 0}
        if not self.weights:
            raise ValueError("the mix has no positive weight")
        self.total = sum(self.weights.values())
        self.current = dict.fromkeys(self.weights, 0)

    def next(self) -> str:
        for kind, weight in self.weights.items():
            self.current[kind] += weight
        kind = max(self.current, key=lambda k: self.current[k])
        self.current[kind] -= self.total
        return kind


class Schedule:
    """Intended start times (seconds on one clock) at a rate that may change between iterations."""

    def __init__(self, start: float) -> None:
        self.next_due = start

    def due(self, now: float, rate: float) -> list[float]:
        """Intended times that have come by `now`, advancing the schedule past them."""
        if rate <= 0:
            self.next_due = max(self.next_due, now)
            return []
        out = []
        while self.next_due <= now:
            out.append(self.next_due)
            self.next_due += 1.0 / rate
        return out


@dataclass
class ArrivalCounts:
    """How one generator process (or all of them, added up) kept its schedule."""

    scheduled: int = 0  # iterations that came due
    started: int = 0  # taken by a user
    late: int = 0  # started more than LATE_SECONDS after their intended time
    dropped: int = 0  # never queued: the backlog bound was reached
    unstarted: int = 0  # still waiting when the run stopped
    max_backlog: int = 0  # most iterations waiting at once
    max_lag_ms: float = 0.0  # longest wait of an iteration for a free user
    users: int = 0  # users at the end (the highest count: users are never removed)

    def add(self, other: ArrivalCounts) -> None:
        for f in fields(self):
            if f.name in ("max_lag_ms",):
                setattr(self, f.name, max(getattr(self, f.name), getattr(other, f.name)))
            else:
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: Mapping[str, float]) -> ArrivalCounts:
        known = {f.name for f in fields(cls)}
        return cls(**{k: type(getattr(cls(), k))(v) for k, v in raw.items() if k in known})  # type: ignore[arg-type]


def keep_up_notice(intended_rate: float, achieved_rate: float, counts: ArrivalCounts, max_users: int,
                   saturated: bool, lower: str = "the rate") -> str | None:
    """One sentence when the generator fell behind its schedule, naming why; None when it kept up."""
    reasons = []
    if counts.dropped or counts.unstarted:
        reasons.append(f"{counts.dropped + counts.unstarted} iterations never started")
    late_share = counts.late / counts.started if counts.started else 0.0
    if late_share > LATE_SHARE:
        reasons.append(f"{late_share:.0%} of iterations started over {LATE_SECONDS * 1000:.0f} ms late "
                       f"(longest wait {counts.max_lag_ms / 1000:.1f} s)")
    held = intended_rate <= 0 or achieved_rate >= HELD_SHARE * intended_rate
    if not held:
        reasons.append(f"achieved {achieved_rate:.1f}/s of {intended_rate:.1f}/s intended")
    if not reasons:
        return None
    why = []
    if counts.users >= max_users and counts.max_backlog:
        why.append(f"all {max_users} users (max_users) were busy")
    if saturated:
        why.append("a generator process was CPU-saturated")
    cause = f" because {' and '.join(why)}" if why else ""
    return (f"the generator could not keep up with the schedule{cause}: {'; '.join(reasons)}. Latency from "
            f"the intended start includes these waits; raise max_users, add workers or lower {lower}")
