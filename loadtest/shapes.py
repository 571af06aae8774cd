"""The profile's shape as a locust LoadTestShape, with the profile's request budget.

The schedule itself (users at time t) is `regsuite.load.schedule.users_at`;
this class adds the stop conditions locust needs: the shape is over, or the
run has sent `max_requests` requests (transactions not counted twice).
"""

from __future__ import annotations

from locust import LoadTestShape

from regsuite.load import TRANSACTION_TYPES
from regsuite.load.profiles import Profile
from regsuite.load.schedule import users_at


def shape_for(profile: Profile) -> type[LoadTestShape]:
    class ProfileShape(LoadTestShape):
        """Users over time from the profile; stops by itself."""

        def tick(self) -> tuple[int, float] | None:
            if self.requests_sent() >= profile.max_requests:
                return None
            return users_at(profile.shape, self.get_run_time())

        def requests_sent(self) -> int:
            if self.runner is None:
                return 0
            entries = self.runner.stats.entries.values()
            return sum(e.num_requests for e in entries if e.method not in TRANSACTION_TYPES)

    ProfileShape.__name__ = ProfileShape.__qualname__ = f"{profile.shape.kind.capitalize()}Shape"
    return ProfileShape
