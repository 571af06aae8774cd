"""The registry's own view of a load run, from its Prometheus metrics (no I/O: regsuite.load.scrape fetches them).

A scrape is the text exposition of one metrics endpoint at one moment, parsed by
`prometheus_client`'s parser. Between the first and the last scrape of each
endpoint inside the measured window, counters and histogram buckets give
rates and latency percentiles, gauges their mean and peak. Several endpoints
(one per replica, or an exporter beside them) add up.

Read by name (distribution's; the `handler` label names its route):

- `registry_http_requests_total`, `registry_http_request_duration_seconds`,
  `registry_http_in_flight_requests`: request rate, latency and requests in
  flight per route;
- `registry_storage_action_seconds`: storage latency per action;
- `process_cpu_seconds_total`, `process_resident_memory_bytes`: the
  registry process (any Prometheus client library exports these);
- `node_cpu_seconds_total`, `node_memory_MemTotal_bytes`,
  `node_memory_MemAvailable_bytes`: the host (node_exporter).

Other names are listed as unknown, never an error.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from ..protocol import ROUTES, Kind
from .stats import Row

REQUESTS = "registry_http_requests_total"
DURATION = "registry_http_request_duration_seconds"
IN_FLIGHT = "registry_http_in_flight_requests"
STORAGE = "registry_storage_action_seconds"
PROCESS_CPU = "process_cpu_seconds_total"
PROCESS_MEMORY = "process_resident_memory_bytes"
NODE_CPU = "node_cpu_seconds_total"
NODE_MEMORY_TOTAL = "node_memory_MemTotal_bytes"
NODE_MEMORY_AVAILABLE = "node_memory_MemAvailable_bytes"
_USED = (REQUESTS, DURATION, IN_FLIGHT, STORAGE, PROCESS_CPU, PROCESS_MEMORY, NODE_CPU, NODE_MEMORY_TOTAL,
         NODE_MEMORY_AVAILABLE)
# Families read but not charted (runtime and exporter internals, size histograms, other node figures).
_FAMILIAR = ("go_", "process_", "promhttp_", "registry_http_", "registry_storage_", "node_", "python_")
_IDLE_MODES = ("idle", "iowait")

# distribution's `handler` label for each route of the API.
HANDLERS: dict[Kind, str] = {
    Kind.BASE: "base", Kind.CATALOG: "catalog", Kind.UPLOADS: "blob_upload", Kind.UPLOAD: "blob_upload_chunk",
    Kind.BLOBS: "blob", Kind.MANIFESTS: "manifest", Kind.TAGS: "tags", Kind.REFERRERS: "referrers",
}

Labels = tuple[tuple[str, str], ...]


@dataclass
class Scrape:
    """One endpoint's metrics at one moment: the samples regsuite reads, and every family name it saw."""

    time: float  # unix time the answer arrived
    samples: dict[tuple[str, Labels], float]
    families: frozenset[str]

    def values(self, name: str) -> Iterable[tuple[dict[str, str], float]]:
        for (sample, labels), value in self.samples.items():
            if sample == name:
                yield dict(labels), value


def parse_scrape(text: str, at: float) -> Scrape:
    """A text exposition parsed; ValueError when it is not one."""
    samples: dict[tuple[str, Labels], float] = {}
    families: set[str] = set()
    for family in text_string_to_metric_families(text):
        families.add(family.name)
        for s in family.samples:
            base = s.name.removesuffix("_bucket").removesuffix("_count").removesuffix("_sum")
            if s.name in _USED or base in _USED:
                samples[(s.name, tuple(sorted(s.labels.items())))] = float(s.value)
    return Scrape(at, samples, frozenset(families))


@dataclass
class Latency:
    """Operations over the window and their latency percentiles (from histogram buckets)."""

    count: int
    per_s: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    errors: int = 0  # 5xx answers (requests only)


@dataclass
class SourceReport:
    url: str
    scrapes: int
    error: str | None = None  # why it gave nothing (unreachable, not Prometheus text): one line


@dataclass
class ServerSide:
    """What the registry (and its exporters) measured over one run's window."""

    sources: list[SourceReport]
    seconds: float = 0.0
    requests: Latency | None = None  # every route together
    routes: dict[str, Latency] = field(default_factory=dict)  # by handler
    in_flight_mean: float | None = None
    in_flight_peak: float | None = None
    cpu_percent: float | None = None  # registry processes, % of one core (summed over endpoints)
    memory_bytes: float | None = None  # their resident memory at its peak (summed)
    host_cpu_percent: float | None = None  # node_exporter: % of all the host's cores
    host_cores: int | None = None
    host_memory_used_bytes: float | None = None
    storage: dict[str, Latency] = field(default_factory=dict)  # by storage action
    storage_all: Latency | None = None
    unknown: list[str] = field(default_factory=list)  # family names regsuite does not read

    @property
    def has_data(self) -> bool:
        return any(s.scrapes >= 2 for s in self.sources)

    def warnings(self) -> list[str]:
        return [f"metrics {s.url}: {s.error}" for s in self.sources if s.error]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ServerSide:
        def latency(value: Any) -> Latency | None:
            return Latency(**value) if value else None

        data = dict(raw)
        data["sources"] = [SourceReport(**s) for s in data.get("sources", [])]
        data["requests"] = latency(data.get("requests"))
        data["storage_all"] = latency(data.get("storage_all"))
        data["routes"] = {k: Latency(**v) for k, v in data.get("routes", {}).items()}
        data["storage"] = {k: Latency(**v) for k, v in data.get("storage", {}).items()}
        return cls(**data)


def quantile(q: float, buckets: Mapping[float, float]) -> float | None:
    """The q-quantile of a cumulative histogram (upper bound -> count), interpolated inside its bucket as
    Prometheus's histogram_quantile does; None without observations."""
    bounds = sorted(buckets)
    if not bounds or buckets[bounds[-1]] <= 0:
        return None
    total = buckets[bounds[-1]]
    rank = q * total
    lower, below = 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank:
            if math.isinf(bound):  # beyond the last finite bucket: its bound is all one can say
                return lower
            inside = count - below
            return lower + (bound - lower) * ((rank - below) / inside if inside else 1.0)
        lower, below = bound, count
    return lower


def _delta(first: float, last: float) -> float:
    """A counter's growth; a restart (the counter fell) counts from zero."""
    return last - first if last >= first else last


class _Window:
    """The first and last scrape of one endpoint inside the window, and every scrape in it."""

    def __init__(self, scrapes: list[Scrape]) -> None:
        self.scrapes = scrapes
        self.first, self.last = scrapes[0], scrapes[-1]
        self.seconds = self.last.time - self.first.time

    def growth(self, name: str) -> dict[Labels, float]:
        before = self.first.samples
        return {labels: _delta(before.get((sample, labels), 0.0), value)
                for (sample, labels), value in self.last.samples.items() if sample == name}


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


def _latency(buckets: Mapping[float, float], seconds: float, errors: int = 0) -> Latency:
    count = buckets.get(math.inf, max(buckets.values(), default=0.0))
    return Latency(int(round(count)), round(count / seconds, 2) if seconds else 0.0,
                   _ms(quantile(0.5, buckets)), _ms(quantile(0.95, buckets)), _ms(quantile(0.99, buckets)), errors)


def _by(growth: dict[Labels, float], key: str) -> dict[str, dict[float, float]]:
    """Histogram bucket growth summed per value of `key` (other labels, such as method, merged)."""
    out: dict[str, dict[float, float]] = defaultdict(lambda: defaultdict(float))
    for labels, value in growth.items():
        named = dict(labels)
        if "le" in named:
            out[named.get(key, "")][float(named["le"])] += value
    return out


def server_side(scrapes: Mapping[str, list[Scrape]], errors: Mapping[str, str], start: float, end: float,
                slack: float = 1.5) -> ServerSide:
    """The registry's figures between `start` and `end` (unix times of the first and last measured request).

    A scrape up to `slack` seconds outside the window counts when fewer than two fall inside it.
    """
    sources = []
    windows: list[_Window] = []
    families: set[str] = set()
    for url, taken in scrapes.items():
        # Scrapes inside the window, so idle time around the load dilutes no rate; with too few (a short run),
        # those up to `slack` outside it.
        inside = [s for s in taken if start <= s.time <= end]
        if len(inside) < 2:
            inside = [s for s in taken if start - slack <= s.time <= end + slack]
        for s in taken:
            families |= s.families
        error = errors.get(url)
        if len(inside) >= 2:
            windows.append(_Window(inside))
        elif error is None:
            error = f"{len(inside)} scrape(s) inside the measured window, too few for rates"
        sources.append(SourceReport(url, len(inside), error))
    result = ServerSide(sources, unknown=sorted(f for f in families if not f.startswith(_FAMILIAR)))
    if not windows:
        return result
    seconds = max(w.seconds for w in windows)
    result.seconds = round(seconds, 2)
    _requests(result, windows, seconds)
    _in_flight(result, windows)
    _process(result, windows)
    _host(result, windows)
    storage: dict[str, dict[float, float]] = defaultdict(lambda: defaultdict(float))
    for w in windows:
        for action, buckets in _by(w.growth(f"{STORAGE}_bucket"), "action").items():
            for bound, n in buckets.items():
                storage[action][bound] += n
    result.storage = {a: _latency(b, seconds) for a, b in sorted(storage.items()) if b.get(math.inf)}
    result.storage_all = _merged(storage.values(), seconds)
    return result


def _merged(histograms: Iterable[Mapping[float, float]], seconds: float, errors: int = 0) -> Latency | None:
    total: dict[float, float] = defaultdict(float)
    for buckets in histograms:
        for bound, n in buckets.items():
            total[bound] += n
    return _latency(total, seconds, errors) if total.get(math.inf) else None


def _requests(result: ServerSide, windows: list[_Window], seconds: float) -> None:
    histograms: dict[str, dict[float, float]] = defaultdict(lambda: defaultdict(float))
    counted: dict[str, float] = defaultdict(float)
    failed: dict[str, float] = defaultdict(float)
    for w in windows:
        for handler, buckets in _by(w.growth(f"{DURATION}_bucket"), "handler").items():
            for bound, n in buckets.items():
                histograms[handler][bound] += n
        for labels, n in w.growth(REQUESTS).items():
            named = dict(labels)
            counted[named.get("handler", "")] += n
            if named.get("code", "").startswith("5"):
                failed[named.get("handler", "")] += n
    routes = {}
    for handler in sorted(set(histograms) | set(counted)):
        if histograms.get(handler, {}).get(math.inf):
            routes[handler] = _latency(histograms[handler], seconds, int(failed[handler]))
        elif counted[handler]:
            routes[handler] = Latency(int(counted[handler]), round(counted[handler] / seconds, 2), None, None, None,
                                      int(failed[handler]))
    result.routes = routes
    if routes:
        merged = _merged(histograms.values(), seconds, int(sum(failed.values())))
        total = sum(counted.values()) or sum(r.count for r in routes.values())
        result.requests = merged or Latency(int(total), round(total / seconds, 2), None, None, None,
                                            int(sum(failed.values())))


def _in_flight(result: ServerSide, windows: list[_Window]) -> None:
    means, peaks = [], []
    for w in windows:
        per_scrape = [sum(v for _, v in s.values(IN_FLIGHT)) for s in w.scrapes
                      if any(True for _ in s.values(IN_FLIGHT))]
        if per_scrape:
            means.append(sum(per_scrape) / len(per_scrape))
            peaks.append(max(per_scrape))
    if means:
        result.in_flight_mean, result.in_flight_peak = round(sum(means), 2), round(sum(peaks), 2)


def _process(result: ServerSide, windows: list[_Window]) -> None:
    cpu = [sum(w.growth(PROCESS_CPU).values()) / w.seconds for w in windows
           if w.seconds > 0 and w.growth(PROCESS_CPU)]
    if cpu:
        result.cpu_percent = round(100 * sum(cpu), 1)
    memory = [max(sum(v for _, v in s.values(PROCESS_MEMORY)) for s in w.scrapes) for w in windows
              if any(True for _ in w.last.values(PROCESS_MEMORY))]
    if memory:
        result.memory_bytes = sum(memory)


def _host(result: ServerSide, windows: list[_Window]) -> None:
    busy = total = 0.0
    cores: set[tuple[int, str]] = set()
    used = []
    for i, w in enumerate(windows):
        for labels, n in w.growth(NODE_CPU).items():
            named = dict(labels)
            cores.add((i, named.get("cpu", "")))
            total += n
            if named.get("mode") not in _IDLE_MODES:
                busy += n
        last = dict(((name, labels), v) for (name, labels), v in w.last.samples.items())
        memory_total = sum(v for (name, _), v in last.items() if name == NODE_MEMORY_TOTAL)
        available = sum(v for (name, _), v in last.items() if name == NODE_MEMORY_AVAILABLE)
        if memory_total:
            used.append(memory_total - available)
    if total > 0:
        result.host_cpu_percent = round(100 * busy / total, 1)
        result.host_cores = len(cores)
    if used:
        result.host_memory_used_bytes = sum(used)


# -- the client's side next to it --------------------------------------------------------------------


def handler_of_row(name: str) -> str | None:
    """distribution's handler for a client statistics row ('/v2/[repo]/manifests/[ref]', '... (finish)')."""
    path = name.split(" (", 1)[0]
    for route in ROUTES:
        if path == route.row:
            return HANDLERS.get(route.kind)
    return None


@dataclass
class RouteComparison:
    """One route as the generator saw it and as the registry measured it (the difference: network and queueing)."""

    handler: str
    client_per_s: float
    client_p95_ms: float | None
    server_per_s: float | None
    server_p95_ms: float | None

    @property
    def outside_ms(self) -> float | None:
        """p95 time spent outside the registry's handler: network, TLS, proxies, queueing in front of it."""
        if self.client_p95_ms is None or self.server_p95_ms is None:
            return None
        return round(self.client_p95_ms - self.server_p95_ms, 2)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "outside_p95_ms": self.outside_ms}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> RouteComparison:
        return cls(raw["handler"], raw["client_per_s"], raw["client_p95_ms"], raw["server_per_s"],
                   raw["server_p95_ms"])


def compare_routes(requests: Iterable[Row], seconds: float, server: ServerSide) -> list[RouteComparison]:
    """Per route: the client's rows merged by handler, beside the server's figures."""
    merged: dict[str, Row] = {}
    for row in requests:
        handler = handler_of_row(row.name)
        if handler is not None:
            merged.setdefault(handler, Row("", handler)).merge(row)
    out = []
    for handler in sorted(set(merged) | set(server.routes)):
        client, own = merged.get(handler), server.routes.get(handler)
        out.append(RouteComparison(
            handler, round(client.requests / seconds, 2) if client and seconds else 0.0,
            client.percentile(0.95) if client and client.requests else None,
            own.per_s if own else None, own.p95_ms if own else None))
    return out
