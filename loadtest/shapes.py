"""The profile's shape as a locust LoadTestShape, with the profile's request budget.

The schedule itself (users or iterations per second at time t) is
`regsuite.load.schedule`; this class adds what locust needs each second: the
stop conditions (the shape is over, the run has sent `max_requests` requests,
too few workers remain) and, for arrival shapes, handing the schedule to the
pacers (`coordination.ROLE.follow_schedule`) and adding users while
iterations wait for a free one.

A run ends in two steps: first no users (each finishes its operation and the
workers report it), then the stop. Locust's own stop gives workers half a
second for their last report, which a busy worker misses.
"""

from __future__ import annotations

import time

from locust import LoadTestShape

from regsuite.load import NOT_REQUESTS
from regsuite.load.profiles import Profile
from regsuite.load.schedule import users_at, users_for
from regsuite.loadtest import coordination

DRAIN_SECONDS = 15.0  # users get locust's stop timeout (10 s) to finish; then the run ends regardless


def shape_for(profile: Profile) -> type[LoadTestShape]:
    shape = profile.shape

    class ProfileShape(LoadTestShape):
        """Users over time from the profile; stops by itself."""

        users = 0  # arrival shapes: users so far (never fewer)
        drain_started = 0.0

        def tick(self) -> tuple[int, float] | None:
            role = coordination.ROLE
            elapsed = self.get_run_time()
            planned = users_at(shape, elapsed)
            over = self.requests_sent() >= profile.max_requests or (role is not None and role.should_stop())
            if planned is None or over or self.drain_started:
                return self.drain(role)
            if not shape.is_arrival or role is None:
                return planned
            role.follow_schedule(elapsed)
            busy, backlog = role.load()
            self.users = users_for(max(self.users, planned[0]), busy, backlog, shape.max_users)
            return self.users, planned[1]

        def drain(self, role: coordination.Role | None) -> tuple[int, float] | None:
            """No users until every one has stopped (bounded), then the end."""
            now = time.monotonic()
            if not self.drain_started:
                self.drain_started = now
                if role is not None:
                    role.begin_drain()
            if role is None or role.drained() or now - self.drain_started > DRAIN_SECONDS:
                return None
            return 0, float(max(4 * shape.peak_users(), 10))

        def requests_sent(self) -> int:
            if self.runner is None:
                return 0
            entries = self.runner.stats.entries.values()
            return sum(e.num_requests for e in entries if e.method not in NOT_REQUESTS)

    ProfileShape.__name__ = ProfileShape.__qualname__ = f"{shape.kind.capitalize()}Shape"
    return ProfileShape
