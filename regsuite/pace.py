"""What a run may send, and when: one object shared by every client of a run, as the circuit is.

- A courtesy rate (`--max-rate`): requests of the whole run, every client and
  background pool together, are spaced to stay under it. Every request on
  the wire counts, auth challenges and token fetches included (the client
  asks from its request hook).
- The waits a rate-limited registry asks for (`regsuite.retry` decides how
  long; `wait` sleeps), never past the run's deadline and cut short when the
  run stops.
- How many requests may be on the wire at once (`--concurrency`): a slot is
  held for one whole exchange, its auth round trips included, so a check
  running ahead never adds to a registry's load past the bound.
- A tally of the rate limiting the run met, for its summary.

Thread-safe. No pytest, no locust.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from .retry import DEFAULT_POLICY, RetryPolicy


@dataclass
class RateLimits:
    """The rate limiting a run met: refusals by status and endpoint, time spent waiting, requests given up."""

    answers: Counter[int] = field(default_factory=Counter)  # status -> refusals (429, 503)
    endpoints: Counter[str] = field(default_factory=Counter)  # "PUT /v2/<name>/manifests/<reference>" -> refusals
    waited: float = 0.0  # seconds, summed over every waiting request
    gave_up: int = 0  # requests whose budget ran out (their checks are `error`)
    paced: float = 0.0  # seconds requests were held back to keep to --max-rate

    @property
    def refusals(self) -> int:
        return sum(self.answers.values())

    def to_dict(self) -> dict[str, Any]:
        return {"answers": {str(k): v for k, v in sorted(self.answers.items())}, "refusals": self.refusals,
                "waited_s": round(self.waited, 1), "gave_up": self.gave_up, "paced_s": round(self.paced, 1),
                "endpoints": dict(self.endpoints.most_common(10))}

    @classmethod
    def merged(cls, parts: list[dict[str, Any]]) -> RateLimits:
        """The tallies of several processes (xdist workers) as one."""
        out = cls()
        for part in parts:
            out.answers.update({int(k): v for k, v in part.get("answers", {}).items()})
            out.endpoints.update(part.get("endpoints", {}))
            out.waited += part.get("waited_s", 0.0)
            out.gave_up += part.get("gave_up", 0)
            out.paced += part.get("paced_s", 0.0)
        return out

    def line(self) -> str:
        """One line for a run's summary, e.g. "rate limited 37 times (429 ×35, 503 ×2), waited 38.1 s, ..."."""
        statuses = ", ".join(f"{status} ×{n}" for status, n in sorted(self.answers.items()))
        gave_up = f"{self.gave_up} request(s) gave up (their checks are error)" if self.gave_up else "none gave up"
        return f"rate limited {self.refusals} times ({statuses}), waited {self.waited:.1f} s in all, {gave_up}"


DEFAULT_CONCURRENCY = 16  # requests on the wire at once: what 16 parallel `docker pull`s send, well within any
# registry's connection limits, and enough to hide a 50 ms round trip (benchmarks/results/conformance_distance.md)


class Pace:
    def __init__(self, *, max_rate: float | None = None, concurrency: int = DEFAULT_CONCURRENCY,
                 policy: RetryPolicy = DEFAULT_POLICY) -> None:
        self.max_rate = max_rate  # requests per second for the whole run (this process's share); None: unbounded
        self.concurrency = concurrency  # requests on the wire at once (this process's share)
        self._slots = threading.BoundedSemaphore(concurrency)
        self.policy = policy
        self.deadline: float | None = None  # wall time the run ends; waits never pass it
        self.limits = RateLimits()
        self._lock = threading.Lock()
        self._next_slot = 0.0  # monotonic time the next request may go out (--max-rate)
        self._stopped = threading.Event()

    # -- the run as a whole

    def stop(self) -> None:
        """Cut every wait short (the run is stopping: its circuit refuses what would be sent next)."""
        self._stopped.set()

    def resume(self) -> None:
        self._stopped.clear()

    def left(self) -> float | None:
        """Seconds until the run's deadline (None: no deadline)."""
        return None if self.deadline is None else max(self.deadline - time.time(), 0.0)

    # -- around each exchange: the bound on requests in flight

    @contextmanager
    def in_flight(self) -> Iterator[None]:
        """Hold one of the run's slots for an exchange (blocks while `concurrency` are on the wire)."""
        with self._slots:
            yield

    # -- before each request on the wire: the courtesy rate

    def on_request(self, request: httpx.Request) -> None:
        """An httpx request hook: hold the request until the run's rate allows it."""
        if not self.max_rate:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next_slot)
            self._next_slot = slot + 1.0 / self.max_rate
        if slot > now:
            self._stopped.wait(slot - now)
            with self._lock:
                self.limits.paced += slot - now

    # -- a refusal for load

    def refused(self, status: int, endpoint: str) -> None:
        with self._lock:
            self.limits.answers[status] += 1
            self.limits.endpoints[endpoint] += 1

    def gave_up(self) -> None:
        with self._lock:
            self.limits.gave_up += 1

    def wait(self, seconds: float) -> None:
        """Sleep as a rate-limited registry asked; returns at once when the run stops."""
        began = time.monotonic()
        self._stopped.wait(seconds)
        with self._lock:
            self.limits.waited += time.monotonic() - began

    def summary(self) -> dict[str, Any]:
        with self._lock:
            return {"max_rate": self.max_rate, **self.limits.to_dict()}
