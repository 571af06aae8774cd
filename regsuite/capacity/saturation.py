"""Which of the registry's own signals saturated first over a search's steps (no I/O).

Each step's server side (regsuite.load.server) is compared with the step
with less load before it. The signals, in the order they are named when
they saturate at the same step:

- **CPU**: the host (node_exporter) over 90 % busy; or the registry's
  processes at 90 % of the host's cores; or at over 90 % of one core and
  no longer rising while the load did (a runtime held to its cores).
- **requests in flight**: their mean at least doubled (and rose by at least
  one) while the server's request rate rose by less than 5 %: the registry
  queues.
- **storage latency**: the p95 of storage actions at least twice the first
  step's, and at least 5 ms more.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..load.cpu import SATURATED_PERCENT

if TYPE_CHECKING:
    from ..load.server import ServerSide
    from .search import StepResult

FLAT_GAIN = 0.05  # a rise smaller than this share is flat
QUEUE_GROWTH = 2.0  # in-flight mean multiplied by at least this at a flat rate: queueing
STORAGE_GROWTH = 2.0
STORAGE_MARGIN_MS = 5.0


def _cpu(server: ServerSide, before: ServerSide | None) -> str | None:
    if server.host_cpu_percent is not None and server.host_cpu_percent >= SATURATED_PERCENT:
        return f"host CPU {server.host_cpu_percent:.0f} % busy ({server.host_cores} cores)"
    cpu = server.cpu_percent
    if cpu is None:
        return None
    if server.host_cores and cpu >= SATURATED_PERCENT * server.host_cores:
        return f"registry CPU {cpu:.0f} % of one core on {server.host_cores} cores"
    if before is not None and before.cpu_percent and cpu >= SATURATED_PERCENT and cpu < before.cpu_percent * (
            1 + FLAT_GAIN):
        return f"registry CPU flat at {cpu:.0f} % of one core while the load rose"
    return None


def _rate(server: ServerSide) -> float | None:
    return server.requests.per_s if server.requests else None


def _in_flight(server: ServerSide, before: ServerSide | None) -> str | None:
    if before is None or server.in_flight_mean is None or before.in_flight_mean is None:
        return None
    now, then = server.in_flight_mean, before.in_flight_mean
    rate, rate_before = _rate(server), _rate(before)
    if rate is None or not rate_before:
        return None
    if now >= QUEUE_GROWTH * then and now >= then + 1 and rate < rate_before * (1 + FLAT_GAIN):
        return (f"requests in flight (mean {then:g} -> {now:g} at a flat {rate_before:g} -> {rate:g} req/s: "
                "the registry queues)")
    return None


def _storage(server: ServerSide, first: ServerSide | None) -> str | None:
    if first is None or server.storage_all is None or first.storage_all is None:
        return None
    now, then = server.storage_all.p95_ms, first.storage_all.p95_ms
    if now is None or then is None:
        return None
    if now >= STORAGE_GROWTH * then and now >= then + STORAGE_MARGIN_MS:
        return f"storage latency (storage action p95 {then:g} -> {now:g} ms)"
    return None


def first_saturation(steps: Sequence[StepResult]) -> str | None:
    """'<signal> at <load>' for the least-loaded step where a server-side signal saturated; None when none did
    (or no step has the registry's metrics)."""
    measured = sorted((s for s in steps if s.server is not None and s.server.has_data), key=lambda s: s.level)
    first = measured[0].server if measured else None
    before: ServerSide | None = None
    for step in measured:
        server = step.server
        assert server is not None
        for signal in (_cpu(server, before), _in_flight(server, before), _storage(server, first)):
            if signal:
                return f"{signal}, first at {step.level_text}"
        before = server
    return None
