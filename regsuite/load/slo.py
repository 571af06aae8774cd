"""The SLO gate: a run's statistics against the profile's thresholds.

Each breach is one line naming the measure, the value and the limit; an
empty list means the run passed. In an arrival-rate run, latency limits on a
transaction type are judged from each iteration's intended start
(`RunStats.latency_row`). Refusals for load (429, or 503 with Retry-After)
are not errors of the registry: they breach as the limit it set, on a line of
their own, and the error rate leaves them out.
"""

from __future__ import annotations

from .profiles import Slo
from .stats import RunStats


def evaluate(slo: Slo, stats: RunStats) -> list[str]:
    breaches: list[str] = []
    for label, quantile, limits in (("p95", 0.95, slo.p95_ms), ("p99", 0.99, slo.p99_ms)):
        for name, limit in limits.items():
            row, judged = stats.latency_row(name)
            if row is None or not row.requests:
                breaches.append(f"{name} {label}: no requests were measured (limit {limit:g} ms)")
                continue
            value = row.percentile(quantile)
            if value > limit:
                breaches.append(f"{judged} {label} {value:g} ms > {limit:g} ms")
    if stats.rate_limited:
        breaches.append(f"rate limited: the registry refused {stats.rate_limited} of {stats.total_requests} requests "
                        "for load (429, or 503 with Retry-After): its limit is below this load")
    failed = stats.total_failures - stats.rate_limited
    if slo.max_error_rate is not None and stats.failure_rate > slo.max_error_rate:
        breaches.append(
            f"error rate {stats.failure_rate:.2%} ({failed}/{stats.total_requests}) > {slo.max_error_rate:.2%}"
        )
    if slo.min_rps is not None and stats.total_rps < slo.min_rps:
        breaches.append(f"throughput {stats.total_rps:.1f} req/s < {slo.min_rps:g} req/s")
    return breaches


def describe(slo: Slo) -> str:
    """The thresholds as one line, e.g. 'image-pull p95 ≤ 500 ms; error rate ≤ 1.00%'."""
    limits = [f"{name} p95 ≤ {v:g} ms" for name, v in slo.p95_ms.items()]
    limits += [f"{name} p99 ≤ {v:g} ms" for name, v in slo.p99_ms.items()]
    if slo.max_error_rate is not None:
        limits.append(f"error rate ≤ {slo.max_error_rate:.2%}")
    if slo.min_rps is not None:
        limits.append(f"throughput ≥ {slo.min_rps:g} req/s")
    return "; ".join(limits) or "no thresholds set"
