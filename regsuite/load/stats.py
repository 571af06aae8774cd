"""Locust's result files parsed into one model: rows, transactions, time series, errors.

Sources: `<prefix>.json` (per row: counts, bytes, the response-time histogram,
requests per second), `<prefix>_stats_history.csv` (user count and window
percentiles every second), `<prefix>_failures.csv`
(errors by type). Percentiles are computed from locust's histogram, which
rounds response times to about two significant figures.

Refusals for load (429, or 503 with Retry-After) are an error kind of their
own ("rate limited: ..."): the registry's limit, not a crash.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..retry import is_rate_limited
from . import INTENDED, INTENDED_TYPES, NOT_REQUESTS, PHASE_TYPES, TRANSACTION_TYPES, intended_type

MB = 1_000_000.0


@dataclass
class Row:
    """One statistics row (a request type and name), or a merge of several."""

    kind: str  # HTTP method or transaction type
    name: str
    requests: int = 0
    failures: int = 0
    total_ms: float = 0.0
    min_ms: float = 0.0
    max_ms: float = 0.0
    bytes: int = 0
    histogram: Counter[int] = field(default_factory=Counter)  # rounded ms -> count
    per_second: Counter[int] = field(default_factory=Counter)  # unix second -> requests
    failures_per_second: Counter[int] = field(default_factory=Counter)
    first: float = 0.0
    last: float = 0.0

    @property
    def is_transaction(self) -> bool:
        return self.kind in TRANSACTION_TYPES

    @property
    def is_intended(self) -> bool:
        """An arrival iteration timed from its intended start (not an HTTP request)."""
        return self.kind in INTENDED_TYPES

    @property
    def is_phase(self) -> bool:
        """A pull or push phase timed to its first byte or end (regsuite.load.phases), not an HTTP request."""
        return self.kind in PHASE_TYPES

    @property
    def mean_ms(self) -> float:
        return self.total_ms / self.requests if self.requests else 0.0

    def percentile(self, q: float) -> float:
        """Response time at quantile q (0..1), from the histogram."""
        total = sum(self.histogram.values())
        if not total:
            return 0.0
        need = q * total
        seen = 0
        for ms in sorted(self.histogram):
            seen += self.histogram[ms]
            if seen >= need:
                return float(ms)
        return float(max(self.histogram))

    def merge(self, other: Row) -> None:
        self.min_ms = min(self.min_ms, other.min_ms) if self.requests else other.min_ms
        self.requests += other.requests
        self.failures += other.failures
        self.total_ms += other.total_ms
        self.max_ms = max(self.max_ms, other.max_ms)
        self.bytes += other.bytes
        self.histogram.update(other.histogram)
        self.per_second.update(other.per_second)
        self.failures_per_second.update(other.failures_per_second)
        self.first = min(self.first, other.first) if self.first else other.first
        self.last = max(self.last, other.last)

    def summary(self, seconds: float) -> dict[str, Any]:
        return {
            "type": self.kind, "name": self.name, "requests": self.requests, "failures": self.failures,
            "rps": round(self.requests / seconds, 2) if seconds else 0.0,
            "mean_ms": round(self.mean_ms, 2), "min_ms": round(self.min_ms, 2), "max_ms": round(self.max_ms, 2),
            "p50_ms": self.percentile(0.5), "p95_ms": self.percentile(0.95), "p99_ms": self.percentile(0.99),
            "bytes": self.bytes, "mb_per_s": round(self.bytes / MB / seconds, 2) if seconds else 0.0,
        }


@dataclass
class Sample:
    """One second of the run (from the history file)."""

    time: float
    users: int
    rps: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    failures_per_s: float


@dataclass
class ErrorKind:
    kind: str
    name: str
    error: str
    occurrences: int

    @property
    def rate_limited(self) -> bool:
        """The registry refused the request for load (429, or 503 with Retry-After)."""
        return is_rate_limited(self.error)

    @property
    def label(self) -> str:
        """The error with its row, once (step failures already name their row)."""
        return self.error if self.error.startswith(f"{self.kind} ") else f"{self.kind} {self.name}: {self.error}"


@dataclass
class RunStats:
    rows: list[Row]
    timeline: list[Sample]  # aggregated requests, one per second
    transaction_timeline: dict[str, list[Sample]]  # per transaction type
    errors: list[ErrorKind]
    seconds: float  # measured duration: first request to last

    @property
    def requests(self) -> list[Row]:
        return [r for r in self.rows if r.kind not in NOT_REQUESTS]

    @property
    def transactions(self) -> list[Row]:
        return [r for r in self.rows if r.is_transaction]

    @property
    def started(self) -> float:
        """Unix time of the first measured request (0 when none)."""
        return min((r.first for r in self.rows if r.requests), default=0.0)

    @property
    def total_requests(self) -> int:
        return sum(r.requests for r in self.requests)

    @property
    def total_failures(self) -> int:
        return sum(r.failures for r in self.requests)

    @property
    def total_rps(self) -> float:
        return self.total_requests / self.seconds if self.seconds else 0.0

    @property
    def error_rate(self) -> float:
        return self.total_failures / self.total_requests if self.total_requests else 0.0

    @property
    def rate_limited(self) -> int:
        """Requests the registry refused for load: a limit it set, counted apart from other failures."""
        return sum(e.occurrences for e in self.errors if e.rate_limited and e.kind not in NOT_REQUESTS)

    @property
    def failure_rate(self) -> float:
        """The failed share of requests, refusals for load left out (the SLO's error rate)."""
        failed = self.total_failures - self.rate_limited
        return failed / self.total_requests if self.total_requests else 0.0

    def throughput(self) -> list[tuple[float, int, int]]:
        """(unix second, requests, failures) for every second of the run, from exact counts."""
        merged = Row("", "all")
        for row in self.requests:
            merged.merge(row)
        seconds = sorted(set(merged.per_second) | set(merged.failures_per_second))
        if not seconds:
            return []
        return [(float(t), merged.per_second[t], merged.failures_per_second[t])
                for t in range(seconds[0], seconds[-1] + 1)]

    def mb_per_second(self) -> dict[str, list[tuple[float, float]]]:
        """MB/s of each transaction type for every second, from exact per-second counts.

        A row is one size class (and push method), so its bytes per operation are constant;
        this holds for distributed runs too, where the history file only moves when workers report.
        """
        out: dict[str, Counter[int]] = {}
        for row in self.transactions:
            if row.requests:
                per_op = row.bytes / row.requests
                series = out.setdefault(row.kind, Counter())
                for second, count in row.per_second.items():
                    series[second] += int(count * per_op)
        return {kind: [(float(t), series[t] / MB) for t in range(min(series), max(series) + 1)]
                for kind, series in out.items() if series}

    def by_type(self) -> dict[str, Row]:
        """Transaction rows merged per type ('image-pull', 'image-push')."""
        out: dict[str, Row] = {}
        for row in self.transactions:
            out.setdefault(row.kind, Row(row.kind, "all")).merge(row)
        return out

    def intended_by_type(self) -> dict[str, Row]:
        """Arrival iterations timed from their intended start, merged per type ('image-pull@intended')."""
        out: dict[str, Row] = {}
        for row in self.rows:
            if row.is_intended:
                out.setdefault(row.kind, Row(row.kind, "all")).merge(row)
        return out

    @property
    def is_arrival(self) -> bool:
        """The run followed an arrival-rate schedule (it has intended-start rows)."""
        return any(row.is_intended for row in self.rows)

    def iterations_per_second(self) -> list[tuple[float, int]]:
        """(unix second, arrival iterations finished) for every second from the first to the last."""
        merged = Row("", "all")
        for row in self.intended_by_type().values():
            merged.merge(row)
        if not merged.per_second:
            return []
        low, high = min(merged.per_second), max(merged.per_second)
        return [(float(t), merged.per_second[t]) for t in range(low, high + 1)]

    def row(self, name: str) -> Row | None:
        """A transaction type, an intended-start type ('image-pull@intended'), a row name, or 'METHOD name'."""
        merged = {**self.by_type(), **self.intended_by_type()}
        if name in merged:
            return merged[name]
        for row in self.rows:
            if name in (row.name, f"{row.kind} {row.name}"):
                return row
        return None

    def latency_row(self, name: str) -> tuple[Row | None, str]:
        """The row an SLO latency limit on `name` is judged on, and how to label it.

        In an arrival run a transaction type is judged from its iterations' intended
        start: that is the latency a client keeping to the schedule sees, waits included.
        """
        if name in TRANSACTION_TYPES and intended_type(name) in self.intended_by_type():
            return self.row(intended_type(name)), f"{name} (from intended start)"
        return self.row(name), name

    def to_dict(self) -> dict[str, Any]:
        s = self.seconds
        return {
            "seconds": round(s, 2),
            "total": {"requests": self.total_requests, "failures": self.total_failures,
                      "rps": round(self.total_rps, 2), "error_rate": round(self.error_rate, 5),
                      "rate_limited": self.rate_limited},
            "transactions": {kind: row.summary(s) for kind, row in self.by_type().items()},
            "intended": {kind: row.summary(s) for kind, row in self.intended_by_type().items()},
            "rows": [row.summary(s) for row in self.rows if not row.is_phase],
            "errors": [e.__dict__ for e in self.errors],
        }


def parse_run(run_dir: Path, prefix: str = "locust") -> RunStats:
    rows = _rows(run_dir / f"{prefix}.json")
    first = min((r.first for r in rows if r.requests), default=0.0)
    last = max((r.last for r in rows if r.requests), default=0.0)
    timeline, per_type = _history(run_dir / f"{prefix}_stats_history.csv")
    return RunStats(rows, timeline, per_type, _errors(run_dir / f"{prefix}_failures.csv"), max(last - first, 0.0))


def _rows(path: Path) -> list[Row]:
    if not path.exists():
        return []
    out = []
    for raw in json.loads(path.read_text() or "[]"):
        out.append(Row(
            kind=raw["method"] or "", name=raw["name"], requests=raw["num_requests"], failures=raw["num_failures"],
            total_ms=raw["total_response_time"], min_ms=raw["min_response_time"] or 0.0,
            max_ms=raw["max_response_time"], bytes=raw["total_content_length"],
            histogram=Counter({int(k): v for k, v in raw["response_times"].items()}),
            per_second=Counter({int(k): v for k, v in raw["num_reqs_per_sec"].items()}),
            failures_per_second=Counter({int(k): v for k, v in raw["num_fail_per_sec"].items()}),
            first=raw["start_time"], last=raw["last_request_timestamp"] or raw["start_time"],
        ))
    return sorted(out, key=lambda r: (r.is_transaction, r.name, r.kind))


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None  # "N/A" before the first response


def _percentile(value: str) -> float | None:
    number = _number(value)
    return number or None  # locust writes 0 for a window without responses


_WRAPPED = re.compile(r"""^CatchResponseError\((['"])(.*)\1\)$""")


def _unwrap(error: str) -> str:
    """The failure text a user marked, without locust's exception wrapper."""
    m = _WRAPPED.match(error)
    return m.group(2) if m else error


def _history(path: Path) -> tuple[list[Sample], dict[str, list[Sample]]]:
    if not path.exists():
        return [], {}
    timeline: list[Sample] = []
    per_type: dict[str, dict[float, Sample]] = defaultdict(dict)
    with path.open(newline="") as f:
        for rec in csv.DictReader(f):
            t = float(rec["Timestamp"])
            kind = rec["Type"]
            sample = Sample(t, int(rec["User Count"]), _number(rec["Requests/s"]) or 0.0, _percentile(rec["50%"]),
                            _percentile(rec["95%"]), _percentile(rec["99%"]), _number(rec["Failures/s"]) or 0.0)
            if rec["Name"] == "Aggregated" and not kind:
                timeline.append(sample)
            elif kind in TRANSACTION_TYPES or kind.endswith(INTENDED):
                # Several rows (sizes, methods) per type: keep the slowest window percentile.
                prev = per_type[kind].get(t)
                if prev is None or (sample.p95_ms or 0) > (prev.p95_ms or 0):
                    per_type[kind][t] = sample
    return timeline, {k: [v[t] for t in sorted(v)] for k, v in per_type.items()}


def _errors(path: Path) -> list[ErrorKind]:
    if not path.exists():
        return []
    with path.open(newline="") as f:
        out = [ErrorKind(r["Method"], r["Name"], _unwrap(r["Error"]), int(r["Occurrences"])) for r in csv.DictReader(f)]
    return sorted(out, key=lambda e: -e.occurrences)
