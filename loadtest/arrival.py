"""The open model on the locust side: a per-process pacer issuing iterations, and the users that run them.

Every locust process that runs users has one `PACER`. It issues iterations at
its share of the schedule's rate (`regsuite.load.schedule.rate_at` times the
share the master gave it: 1 / number of workers) whatever the registry does,
and queues them; a free `ArrivalUser` takes the oldest and runs one image pull,
push or listing, per the mix. The transaction is timed from the actual send as
usual, and again from the intended start (`<kind>@intended`), so a registry
that slows down shows in the second figure even when the first looks fine.

A replay gives the pacer a `feed` instead of a rate: the operations of a log's
schedule, each due at its own time (regsuite.loadtest.replay).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol

import gevent
from gevent.queue import Empty, Queue

from regsuite.load import intended_type
from regsuite.load.arrival import LATE_SECONDS, ArrivalCounts, KindCycle, Schedule
from regsuite.load.schedule import rate_at
from regsuite.loadtest import users

BACKLOG_SECONDS = 60.0  # iterations queued beyond this many seconds of the rate are dropped (and counted)
_TICK = 0.05  # the pacer looks at the clock at least this often (rate changes, stop)


@dataclass(frozen=True)
class Ticket:
    intended: float  # time.perf_counter() at which the schedule meant the iteration to start
    kind: str  # "pull", "push", "list" or "replay"
    op: Any = None  # a replay's operation (regsuite.replay.schedule.Entry)


class Feed(Protocol):
    """Operations due at their own times (a replay), instead of iterations at a rate."""

    def due(self, elapsed: float) -> list[tuple[float, Any]]:
        """(seconds from the schedule's start, operation) of those due by `elapsed`, in order, taken off the feed."""
        ...

    def next_at(self) -> float | None:
        """When the next operation is due (seconds from the schedule's start), None when none is known yet."""
        ...


class Pacer:
    """Issues this process's iterations on schedule; users take them in order."""

    def __init__(self) -> None:
        self.counts = ArrivalCounts()
        self.busy = 0  # users inside an iteration
        self._idle = 0  # users waiting for an iteration
        self._share = 0.0
        self._origin: float | None = None  # perf_counter() at the schedule's t = 0
        self._queue: Queue[Ticket] = Queue()  # a waiting user is woken by exactly one ticket
        self._greenlet: gevent.Greenlet | None = None
        self._ready_at = 0.0  # perf_counter() when the first user asked for an iteration
        self._stopped = False
        self.feed: Feed | None = None  # a replay's operations; None: iterations at the schedule's rate

    def follow(self, share: float, elapsed: float) -> None:
        """Run `share` of the schedule, which is `elapsed` seconds in (as the master or local shape sees it)."""
        self._share = share
        self._origin = time.perf_counter() - elapsed

    def rate(self) -> float:
        """This process's intended iterations per second now."""
        if self._origin is None or self._stopped:
            return 0.0
        total = rate_at(users.PROFILE.shape, time.perf_counter() - self._origin)
        return (total or 0.0) * self._share

    @property
    def backlog(self) -> int:
        """Due iterations no user is about to take."""
        return max(self._queue.qsize() - self._idle, 0)

    def take(self, timeout: float) -> Ticket | None:
        """The oldest due iteration, or None when none came within `timeout` (or the run is stopping)."""
        if self._greenlet is None and not self._stopped:  # issuing starts with the first user
            self._ready_at = time.perf_counter()
            self._greenlet = gevent.spawn(self._issue)
        self._idle += 1
        try:
            ticket = self._queue.get(timeout=timeout)
        except Empty:
            return None
        finally:
            self._idle -= 1
        lag = time.perf_counter() - ticket.intended
        self.counts.started += 1
        if ticket.intended >= self._ready_at:  # those due while the first users started are start-up, not lag
            self.counts.late += lag > LATE_SECONDS
            self.counts.max_lag_ms = max(self.counts.max_lag_ms, lag * 1000)
        return ticket

    def stop(self) -> None:
        self._stopped = True
        while not self._queue.empty():
            self._queue.get_nowait()
            self.counts.unstarted += 1

    def _issue(self) -> None:
        kinds = KindCycle(users.PROFILE.mix)
        # From the schedule's t = 0: iterations due while users were still starting wait for them.
        schedule = Schedule(self._origin if self._origin is not None else time.perf_counter())
        while not self._stopped:
            rate = self.rate()
            now = time.perf_counter()
            if self.feed is not None:
                tickets = self._fed(now)
                upcoming = self.feed.next_at()
                wait = _TICK if upcoming is None or self._origin is None else self._origin + upcoming - now
            else:
                tickets = [Ticket(due, kinds.next()) for due in schedule.due(now, rate)]
                wait = schedule.next_due - now if rate > 0 else _TICK
            for ticket in tickets:
                self.counts.scheduled += 1
                if self._queue.qsize() >= max(BACKLOG_SECONDS * rate, 100):
                    self.counts.dropped += 1
                    continue
                self._queue.put_nowait(ticket)
            self.counts.max_backlog = max(self.counts.max_backlog, self.backlog)
            gevent.sleep(min(max(wait, 0.0), _TICK))

    def _fed(self, now: float) -> list[Ticket]:
        """The feed's operations that have come due, as tickets at their own times."""
        if self._origin is None or self.feed is None or self._stopped:
            return []
        origin = self._origin
        return [Ticket(origin + at, "replay", op) for at, op in self.feed.due(now - origin)]


PACER = Pacer()


class PacedUser(users.RegistryUser):
    """A user that runs what the pacer issues, as soon as it is free."""

    abstract = True

    def wait_time(self) -> float:
        return 0.0

    def iterate(self) -> None:
        ticket = PACER.take(timeout=0.5)
        if ticket is None:
            return
        PACER.busy += 1
        self.intended_start = ticket.intended
        try:
            self.run_ticket(ticket)
        finally:
            self.intended_start = None
            PACER.busy -= 1

    def run_ticket(self, ticket: Ticket) -> None:
        raise NotImplementedError


class ArrivalUser(PacedUser, users.PullUser, users.PushUser, users.ListUser):
    """Runs the iterations the pacer issues: whichever kind comes next."""

    abstract = False

    def run_ticket(self, ticket: Ticket) -> None:
        if ticket.kind == "pull":
            self.pull_image()
        elif ticket.kind == "push":
            self.push_image()
        else:
            self.list_content()
            self.environment.events.request.fire(
                request_type=intended_type("list"), name="catalog and tags",
                response_time=(time.perf_counter() - ticket.intended) * 1000, response_length=0,
                exception=None, context={})


ArrivalUser.tasks = [ArrivalUser.iterate]  # not the tasks inherited from the pull, push and list users
