"""A registry shedding load: which answers say "not now", how long to wait, and when to stop asking.

A 429 means the request was not processed (RFC 6585 4), so sending it again
is safe for every method; a 503 with Retry-After says the same for a while
(nginx `limit_req` answers 503 by default). Retry-After is delay-seconds or
an HTTP-date (RFC 9110 10.2.3); without it the wait grows exponentially,
with jitter, so the clients of one run do not come back in step.

Pure functions and no sleeping: the conformance client (`regsuite.client`)
and the load users (`loadtest/users.py`) ask `next_step` after each answer
and wait themselves (the client through the run's `regsuite.pace.Pace`).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime

import httpx

THROTTLED_CODE = "TOOMANYREQUESTS"  # the spec's error code of a 429
RATE_LIMITED = "rate limited"  # how every message about it begins (load reports group their errors by it)


@dataclass(frozen=True)
class RetryPolicy:
    """How long one exchange may be held back by rate limits before its check gives up."""

    attempts: int = 8  # requests sent for one exchange, the first included
    max_wait: float = 30.0  # the longest single wait honoured; a longer Retry-After gives up at once
    budget: float = 60.0  # seconds one exchange may spend waiting in all
    backoff_base: float = 0.5  # the first wait when the answer names none
    backoff_cap: float = 8.0


DEFAULT_POLICY = RetryPolicy()


@dataclass(frozen=True)
class Retry:
    """Wait this long, then send the same request again."""

    wait: float
    told: bool  # the registry said how long (Retry-After); else a backoff of our own


@dataclass(frozen=True)
class GiveUp:
    """Stop: the rate limit outlasts the budget. `why` is the half-sentence after "after N attempts over T s"."""

    why: str


class RateLimited(httpx.TransportError):
    """The registry kept refusing the request for load: not its answer to the check, so the verdict is `error`."""


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds a Retry-After value asks to wait (an HTTP-date in the past: 0); None when absent or malformed."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # RFC 9110 dates are GMT
    return max(when.timestamp() - (time.time() if now is None else now), 0.0)


def throttled(status: int, retry_after: str | None) -> bool:
    """A 429, or a 503 that says when to come back: the registry refusing load, not answering the request."""
    return status == 429 or (status == 503 and retry_after_seconds(retry_after) is not None)


def backoff(attempt: int, policy: RetryPolicy = DEFAULT_POLICY, jitter: float | None = None) -> float:
    """The wait after the `attempt`-th refusal without Retry-After: doubling from the base, capped, and
    somewhere between half and all of that (`jitter` in [0, 1), random when not given)."""
    ceiling = min(policy.backoff_base * 2 ** (attempt - 1), policy.backoff_cap)
    share = random.random() if jitter is None else jitter
    return ceiling * (0.5 + share / 2)


def next_step(status: int, retry_after: str | None, *, attempt: int, waited: float,
              policy: RetryPolicy = DEFAULT_POLICY, left: float | None = None,
              jitter: float | None = None) -> Retry | GiveUp | None:
    """After the `attempt`-th answer to one exchange, having waited `waited` seconds so far: None when the
    answer is not a refusal for load; else wait and retry, or give up. `left`: seconds the run has left."""
    if not throttled(status, retry_after):
        return None
    told = retry_after_seconds(retry_after)
    wait = told if told is not None else backoff(attempt, policy, jitter)
    said = f"Retry-After {told:g} s" if told is not None else "no Retry-After"
    if attempt >= policy.attempts:
        return GiveUp(f"the last said {said}")
    if wait > policy.max_wait:
        return GiveUp(f"{said}, longer than the {policy.max_wait:g} s a request may wait")
    if waited + wait > policy.budget:
        return GiveUp(f"{said}, past the {policy.budget:g} s a request may spend waiting")
    if left is not None and wait > left:
        return GiveUp(f"{said}, past the run deadline ({left:.0f} s left)")
    return Retry(wait, told is not None)


def refusal(status: int, what: str) -> str:
    """A refusal for load, e.g. "rate limited: 429 on PUT /v2/<name>/manifests/<reference>" (a load row's error)."""
    return f"{RATE_LIMITED}: {status} on {what}"


def exhausted(status: int, what: str, attempts: int, seconds: float, why: str) -> str:
    """The one line of a check that gave up: `what` is the request, e.g. "PUT /v2/<name>/manifests/<reference>"."""
    plural = "s" if attempts != 1 else ""
    return f"{refusal(status, what)} after {attempts} attempt{plural} over {seconds:.1f} s ({why})"


def is_rate_limited(message: str) -> bool:
    """A failure text that says the registry refused for load (see `exhausted`, and the load users' rows)."""
    return message.startswith(RATE_LIMITED + ":")
