"""What a client may still send: a circuit breaker per endpoint and per host, and a stop for the whole run.

A registry that stops answering one kind of request (every blob GET stalls)
would make each check wait out its own request timeout, one after another.
The circuit counts consecutive timeouts per *endpoint* (a method and a route
kind on one host, written as the spec writes it: `GET /v2/<name>/blobs/<digest>`);
after `threshold` in a row it opens: requests to that endpoint fail at once
with `EndpointDown`, which names the endpoint and since when, and are not
sent. The other endpoints keep working, so checks that do not need the
stalled one keep their real verdicts.

Connection failures (refused, connect timeout) concern the whole host and
count towards its *host* circuit; so do timeouts on several endpoints with no
answer in between (a registry that stalls on everything). An open host
circuit refuses every request to that host.

An open circuit lets one request through as a trial after `cooldown`
seconds, with a short timeout: an answer (whatever its status) closes the
circuit, a failure keeps it open and doubles the wait (see _Breaker). `stop(reason)` refuses every request from
then on (the run deadline, a signal); `resume()` lets the run's cleanup through.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from .protocol import Endpoint as ApiEndpoint
from .protocol import Kind, route

THRESHOLD = 3  # consecutive failures that open a circuit
COOLDOWN = 10.0  # seconds before the first trial of an open circuit (doubled each time it opens again)
MAX_COOLDOWN = 120.0
TRIAL_TIMEOUT = 5.0  # seconds a trial request may take (at most the client's own timeout)
_SENT = "regsuite_sent"  # request extension: wall time the request was sent
_TRIAL = "regsuite_trial"  # request extension: the circuits this request is a trial of


class NotSent(httpx.TransportError):
    """A request the circuit did not send; a transport error, so the check's verdict is `error`."""


class EndpointDown(NotSent):
    """The endpoint (or its whole host) stopped answering."""


class RunStopped(NotSent):
    """The run is stopping (deadline, signal): nothing more is sent."""


@dataclass(frozen=True)
class Endpoint:
    """A method and a route on one host: what a circuit guards."""

    origin: str  # scheme://host:port
    method: str
    kind: Kind | str  # the route, or the path of a request that is not the registry API

    def label(self) -> str:
        if isinstance(self.kind, Kind):
            return ApiEndpoint(self.method, self.kind).label
        return f"{self.method} {self.kind}"


def origin_of(url: httpx.URL) -> str:
    return f"{url.scheme}://{url.netloc.decode('ascii')}"


def endpoint_of(request: httpx.Request) -> Endpoint:
    """The request's endpoint: its method and route (`POST /v2/<name>/blobs/uploads/`) on its host."""
    found = route(request.url.path)
    return Endpoint(origin_of(request.url), request.method, found.kind if found else request.url.path)


def counts_as_down(error: BaseException) -> bool:
    """Timeouts and connection failures; not a local pool timeout, and not our own refusals."""
    if isinstance(error, NotSent | httpx.PoolTimeout):
        return False
    return isinstance(error, httpx.TimeoutException | httpx.ConnectError)


def timed_out(request: httpx.Request, error: httpx.TimeoutException) -> httpx.TimeoutException:
    """The same timeout, saying what did not answer and within how long (httpx says only "timed out")."""
    endpoint = endpoint_of(request)
    phase = "connect" if isinstance(error, httpx.ConnectTimeout) else "read" if isinstance(
        error, httpx.ReadTimeout) else "write"
    seconds = request.extensions.get("timeout", {}).get(phase)
    within = f" within {seconds:g} s" if seconds else ""
    trial = "trial request after an outage: " if request.extensions.get(_TRIAL) else ""
    described = type(error)(f"{trial}{endpoint.label()} at {endpoint.origin}: no answer{within} ({error})",
                            request=request)
    return described


def _connection_failure(error: BaseException) -> bool:
    return isinstance(error, httpx.ConnectError | httpx.ConnectTimeout)


@dataclass(eq=False)
class _Breaker:
    """One circuit: closed (counting failures) or open (refusing, with a trial now and then).

    Only an answered trial closes an open circuit (an answer to a request sent before it opened does
    not). After that the circuit is on probation until `threshold` answers in a row: one failure then
    opens it again, each time with twice the wait before the next trial, so an endpoint that answers
    only some requests (404 at once for unknown digests, a stall for stored ones) costs few timeouts.
    """

    what: str  # "GET /v2/<name>/blobs/<digest> at http://..." or "http://..."
    failures: int = 0  # consecutive, since the last answer
    since: float = 0.0  # wall time the first of them was sent
    errors: list[str] = field(default_factory=list)  # error names of the streak
    endpoints: set[Endpoint] = field(default_factory=set)  # (host circuit) endpoints the streak touched
    connection_failures: int = 0
    open_until: float | None = None  # monotonic time of the next trial; None: closed
    trial: bool = False  # a trial is in flight
    probation: int = 0  # answers still needed, after a trial closed the circuit, to trust it again
    backoff: int = 0  # times the circuit opened again on probation or after a failed trial

    def fail(self, sent: float, error: BaseException) -> None:
        if not self.failures:
            self.since = sent
            self.errors.clear()
            self.endpoints.clear()
            self.connection_failures = 0
        self.failures += 1
        self.errors.append(type(error).__name__)
        self.connection_failures += _connection_failure(error)

    def answered(self, trial: bool, threshold: int) -> None:
        if self.open_until is not None:
            if not trial:
                return  # sent before it opened: says nothing about now
            self.open_until, self.trial, self.probation = None, False, threshold
        elif self.probation:
            self.probation -= 1
            self.backoff = self.backoff if self.probation else 0
        self.failures = 0

    def describe(self) -> str:
        since = datetime.fromtimestamp(self.since, UTC).strftime("%H:%M:%SZ")
        kinds = ", ".join(sorted(set(self.errors)))
        return f"{self.what} stopped answering at {since} ({self.failures} failures in a row: {kinds})"


class Circuit:
    """Thread-safe: one circuit is shared by every client of a run (the prefetch threads included)."""

    def __init__(self, *, threshold: int = THRESHOLD, cooldown: float = COOLDOWN,
                 trial_timeout: float = TRIAL_TIMEOUT, max_cooldown: float = MAX_COOLDOWN) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self.max_cooldown = max_cooldown
        self.trial_timeout = trial_timeout
        self._lock = threading.Lock()
        self._endpoints: dict[Endpoint, _Breaker] = {}
        self._hosts: dict[str, _Breaker] = {}
        self._stopped: str | None = None

    # -- the run as a whole

    def stop(self, reason: str) -> None:
        """Refuse every request from now on, with `reason` (e.g. "run deadline reached")."""
        self._stopped = reason

    def resume(self) -> None:
        self._stopped = None

    @property
    def stopped(self) -> str | None:
        return self._stopped

    # -- the client's side: before and after each request

    def admit(self, request: httpx.Request) -> bool:
        """Raise NotSent when the request must not go out; True when it goes out as a trial (short timeout)."""
        if self._stopped is not None:
            raise RunStopped(f"not sent: {self._stopped}", request=request)
        endpoint = endpoint_of(request)
        now = time.monotonic()
        trials = []
        with self._lock:
            for breaker in (self._hosts.get(endpoint.origin), self._endpoints.get(endpoint)):
                if breaker is None or breaker.open_until is None:
                    continue
                if breaker.trial or now < breaker.open_until:
                    retry = datetime.fromtimestamp(time.time() + max(breaker.open_until - now, 0), UTC)
                    raise EndpointDown(f"not sent: {breaker.describe()}; the next trial request goes out "
                                       f"after {retry:%H:%M:%SZ}", request=request)
                trials.append(breaker)
            for breaker in trials:
                breaker.trial = True
        request.extensions[_SENT] = time.time()
        request.extensions[_TRIAL] = trials
        return bool(trials)

    def record(self, request: httpx.Request, error: BaseException | None) -> None:
        """After the request: `error` None means it was answered (any status)."""
        if _SENT not in request.extensions:
            return  # never admitted (refused by the circuit)
        endpoint = endpoint_of(request)
        trials: list[_Breaker] = request.extensions.get(_TRIAL, [])
        with self._lock:
            host, breaker = self._hosts.get(endpoint.origin), self._endpoints.get(endpoint)
            if error is None:
                for one in (host, breaker):
                    if one is not None:
                        one.answered(one in trials, self.threshold)
                return
            if not counts_as_down(error):
                for one in trials:  # a trial that ended otherwise (refused by the guard, interrupted)
                    self._reopen(one, again=False)
                return
            what = f"{endpoint.label()} at {endpoint.origin}"
            breaker = breaker or self._endpoints.setdefault(endpoint, _Breaker(what))
            host = host or self._hosts.setdefault(endpoint.origin, _Breaker(endpoint.origin))
            sent = request.extensions[_SENT]
            for one in (breaker, host):
                one.fail(sent, error)
            host.endpoints.add(endpoint)
            # A connection failure says nothing about one endpoint: it counts for the host only.
            connection = _connection_failure(error)
            self._judge(breaker, breaker in trials, enough=breaker.failures >= self.threshold and not connection,
                        on_probation=not connection)
            whole_host = bool(host.connection_failures) or len(host.endpoints) > 1
            self._judge(host, host in trials, enough=host.failures >= self.threshold and whole_host,
                        on_probation=connection)

    def _judge(self, breaker: _Breaker, trial: bool, *, enough: bool, on_probation: bool) -> None:
        """After a failure: a failed trial, enough failures, or (on probation) one more, open the circuit."""
        if trial:
            self._reopen(breaker, again=True)
        elif breaker.open_until is None and (enough or (breaker.probation and on_probation)):
            self._reopen(breaker, again=bool(breaker.probation))

    def _reopen(self, breaker: _Breaker, *, again: bool) -> None:
        breaker.backoff += again
        breaker.trial, breaker.probation = False, 0
        breaker.open_until = time.monotonic() + min(self.cooldown * 2**breaker.backoff, self.max_cooldown)

    # -- what checks that cannot go through the client ask (client programs)

    def down(self, origin: str, endpoints: Iterable[ApiEndpoint]) -> str | None:
        """Why one of `endpoints` on `origin` is not answering, or None."""
        with self._lock:
            host = self._hosts.get(origin)
            if host is not None and host.open_until is not None:
                return host.describe()
            for method, kind in endpoints:
                breaker = self._endpoints.get(Endpoint(origin, method, kind))
                if breaker is not None and breaker.open_until is not None:
                    return breaker.describe()
        return None
