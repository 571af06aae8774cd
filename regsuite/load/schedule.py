"""Users (or iterations per second) over time for each shape kind: the pure part of locust's LoadTestShape.

`users_at(shape, t)` gives (users, spawn rate) at `t` seconds into the run,
or None once the shape is over, which stops the run. For arrival shapes it
gives the users started at once; `rate_at` gives the intended iterations per
second and `users_for` how many users the schedule needs as it goes.
"""

from __future__ import annotations

import math

from .profiles import Shape


def users_at(shape: Shape, t: float) -> tuple[int, float] | None:
    if t >= shape.total_seconds():
        return None
    rate = shape.spawn_rate
    if shape.kind in ("constant", "soak", "arrival", "replay"):
        return shape.users, rate
    if shape.kind == "ramp":
        if shape.ramp <= 0 or t >= shape.ramp:
            return shape.users, rate
        # One more user every ramp/users seconds, starting with one.
        return max(1, math.ceil(shape.users * t / shape.ramp)), rate
    if shape.kind == "step":
        step = min(int(t // shape.step_duration), shape.steps - 1)
        return shape.start_users + step * shape.step_users, rate
    if shape.kind == "spike":
        in_spike = shape.spike_at <= t < shape.spike_at + shape.spike_for
        return (shape.spike_users if in_spike else shape.users), rate
    raise ValueError(f"unknown shape kind {shape.kind!r}")


def rate_at(shape: Shape, t: float) -> float | None:
    """Intended iterations per second at `t` (arrival shapes), None once the shape is over."""
    if t >= shape.total_seconds():
        return None
    if shape.steps > 1:
        step = min(int(t // shape.step_duration), shape.steps - 1)
        return max(shape.rate + step * shape.step_rate, 0.0)
    return shape.rate


def scheduled_iterations(shape: Shape, seconds: float) -> float:
    """Iterations the schedule intends over its first `seconds` (the integral of its rate)."""
    seconds = min(seconds, shape.total_seconds())
    if shape.steps <= 1:
        return shape.rate * seconds
    total, start = 0.0, 0.0
    for step in range(shape.steps):
        length = min(shape.step_duration, max(seconds - start, 0.0))
        total += max(shape.rate + step * shape.step_rate, 0.0) * length
        start += shape.step_duration
    return total


def users_for(current: int, busy: int, backlog: int, max_users: int) -> int:
    """Users an arrival schedule needs: one more for every iteration waiting for a free user.

    Users are never taken away (a user that just finished is about to be needed
    again); `max_users` caps the growth, and the iterations that wait beyond it
    are what the "could not keep up" notice reports.
    """
    wanted = max(current, busy + backlog + (1 if backlog else 0))
    return min(max(wanted, current), max_users)
