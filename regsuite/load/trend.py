"""benchmark.json: a run's headline figures as a flat list of {name, unit, value}, for trend tracking in CI.

That is the shape CI benchmark-tracking tools read (github-action-benchmark's
"custom" tools: `customBiggerIsBetter` for rates, `customSmallerIsBetter` for
latencies and error rates; docs/load.md shows how to split one file into both).
Names are stable across runs of one profile or scenario, so a tool can draw
each over time.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from .result import LoadResult

BIGGER = ("req/s", "ops/s", "MB/s", "users", "iterations/s")  # units where more is better; ms and % are less


@dataclass(frozen=True)
class Figure:
    name: str
    unit: str
    value: float


def write_benchmark(figures: list[Figure], path: Path) -> None:
    path.write_text(json.dumps([asdict(f) for f in figures], indent=1) + "\n")


def transaction_figures(prefix: str, rps: float, error_rate: float,
                        transactions: dict[str, tuple[float, float, float]]) -> list[Figure]:
    """Requests/s, error rate, and per transaction type (ops/s, p95 ms, MB/s)."""
    out = [Figure(f"{prefix} requests/s", "req/s", round(rps, 2)),
           Figure(f"{prefix} error rate", "%", round(100 * error_rate, 3))]
    for kind, (ops, p95, mb) in sorted(transactions.items()):
        out += [Figure(f"{prefix} {kind} ops/s", "ops/s", round(ops, 2)),
                Figure(f"{prefix} {kind} p95", "ms", p95),
                Figure(f"{prefix} {kind} MB/s", "MB/s", round(mb, 2))]
    return out


def load_benchmark(result: LoadResult) -> list[Figure]:
    stats = result.stats
    transactions = {}
    for kind, row in stats.by_type().items():
        s = row.summary(stats.seconds)
        transactions[kind] = (s["rps"], s["p95_ms"], s["mb_per_s"])
    return transaction_figures(f"load {result.profile.name}", stats.total_rps, stats.error_rate, transactions)
