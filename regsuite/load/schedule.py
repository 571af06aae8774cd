"""Users over time for each shape kind: the pure part of locust's LoadTestShape.

`users_at(shape, t)` gives (users, spawn rate) at `t` seconds into the run,
or None once the shape is over, which stops the run.
"""

from __future__ import annotations

import math

from .profiles import Shape


def users_at(shape: Shape, t: float) -> tuple[int, float] | None:
    if t >= shape.total_seconds():
        return None
    rate = shape.spawn_rate
    if shape.kind in ("constant", "soak"):
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
