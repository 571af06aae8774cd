"""The registry's own view: scraping a real distribution's Prometheus endpoint, the figures taken from it,
the server-side signal that saturated first, pull and push phases, and benchmark.json."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from regsuite.capacity.report import capacity_benchmark, write_reports
from regsuite.capacity.saturation import first_saturation
from regsuite.capacity.search import PASS, PLATEAU, CapacityResult, SearchPlan, StepResult, TransactionFigures
from regsuite.errors import UsageError
from regsuite.flows import Role
from regsuite.load.phases import Phase, phase_of
from regsuite.load.profiles import Slo
from regsuite.load.scrape import MetricsScraper, validate_metrics_urls
from regsuite.load.server import (
    Latency,
    ServerSide,
    SourceReport,
    handler_of_row,
    parse_scrape,
    quantile,
    server_side,
)
from regsuite.load.trend import BIGGER
from regsuite.providers.config import free_port, metrics_url, with_metrics
from regsuite.target import Target
from regsuite.testing.faultproxy import Mutation, ProxyRequest

CATALOGS, HEADS = 12, 7


@pytest.fixture
def metered(registry_factory) -> tuple[Target, str]:
    """A real distribution registry with its Prometheus endpoint on, and that endpoint's URL."""
    config = with_metrics()
    target = registry_factory(config)
    url = metrics_url(config)
    assert url is not None
    return target, url


def test_figures_from_a_real_registry_count_what_was_sent(metered, fault_proxy) -> None:
    target, url = metered
    methods: Counter[str] = Counter()
    lock = threading.Lock()

    def count(request: ProxyRequest) -> bool:
        with lock:
            methods[request.method] += 1
        return False

    # The scraper reads through a proxy that counts its methods: nothing but GET reaches the endpoint.
    proxy = fault_proxy(Mutation("count methods", when=count), upstream=url.removesuffix("/metrics"))
    scraper = MetricsScraper([f"{proxy.url}/metrics"], interval=0.3).start()
    time.sleep(1.5)  # scrapes before the first request, even on a busy machine
    start = time.time()
    with httpx.Client(base_url=target.url, timeout=10) as client:
        for _ in range(CATALOGS):
            assert client.get("/v2/_catalog").status_code == 200
        for _ in range(HEADS):
            assert client.head("/v2/nothing/here/manifests/latest").status_code == 404
    time.sleep(1.5)
    end = time.time()
    scraper.stop()
    server = scraper.result(start - 1.0, end)

    assert set(methods) == {"GET"} and methods["GET"] >= 4, methods
    assert server.has_data and not server.warnings(), server.sources
    assert server.routes["catalog"].count == CATALOGS and server.routes["manifest"].count == HEADS, server.routes
    assert server.routes["manifest"].errors == 0 and server.routes["catalog"].p95_ms is not None
    assert server.requests is not None and server.requests.count == CATALOGS + HEADS
    assert server.in_flight_mean is not None and server.cpu_percent is not None and (server.memory_bytes or 0) > 0
    assert server.unknown == [], "distribution's own families are all known"


def test_unknown_families_are_listed_and_node_exporter_gives_the_host(metered) -> None:
    _, url = metered
    text = httpx.get(url, timeout=5).text
    extra = ("# TYPE zot_http_requests_total counter\nzot_http_requests_total 3\n"
             "# TYPE node_cpu_seconds_total counter\n"
             'node_cpu_seconds_total{cpu="0",mode="idle"} 10\nnode_cpu_seconds_total{cpu="0",mode="user"} 10\n'
             'node_cpu_seconds_total{cpu="1",mode="idle"} 10\nnode_cpu_seconds_total{cpu="1",mode="user"} 10\n')
    later = extra.replace("} 10\n", "} 15\n").replace('mode="idle"} 15', 'mode="idle"} 11')
    first, last = parse_scrape(text + extra, 100.0), parse_scrape(text + later, 102.0)
    server = server_side({url: [first, last]}, {}, 100.0, 102.0)
    assert server.unknown == ["zot_http_requests"]
    assert server.host_cores == 2 and server.host_cpu_percent == pytest.approx(100 * 10 / 12, abs=0.1)
    with pytest.raises(ValueError):
        parse_scrape("this is { not exposition", 0.0)


def test_an_unreachable_endpoint_gives_one_line_and_no_figures() -> None:
    nowhere = f"http://127.0.0.1:{free_port()}/metrics"  # a loopback port nothing listens on
    scraper = MetricsScraper([nowhere], interval=0.2, timeout=1.0).start()
    time.sleep(0.6)
    scraper.stop()
    server = scraper.result(time.time() - 1, time.time())
    assert not server.has_data
    [warning] = server.warnings()
    assert warning.startswith(f"metrics {nowhere}: unreachable") and "\n" not in warning
    with pytest.raises(UsageError, match="--metrics-url 'ftp://x/metrics'"):
        validate_metrics_urls(["ftp://x/metrics"])
    with pytest.raises(UsageError, match="carries credentials") as caught:
        validate_metrics_urls(["http://user:secret@host/metrics"])
    assert "secret" not in str(caught.value)


def test_quantiles_interpolate_inside_buckets_as_prometheus_does() -> None:
    buckets = {0.005: 0.0, 0.01: 50.0, 0.025: 90.0, 0.05: 100.0, math.inf: 100.0}
    assert quantile(0.5, buckets) == pytest.approx(0.01)
    assert quantile(0.95, buckets) == pytest.approx(0.0375)
    assert quantile(0.25, buckets) == pytest.approx(0.0075)
    assert quantile(0.99, {1.0: 0.0, math.inf: 10.0}) == 1.0  # beyond the last finite bound
    assert quantile(0.5, {1.0: 0.0, math.inf: 0.0}) is None


def test_client_rows_map_to_distributions_handlers() -> None:
    assert handler_of_row("/v2/[repo]/manifests/[ref]") == "manifest"
    assert handler_of_row("/v2/[repo]/blobs/uploads/[id] (finish)") == "blob_upload_chunk"
    assert handler_of_row("/v2/[repo]/blobs/uploads/") == "blob_upload"
    assert handler_of_row("/v2/_catalog") == "catalog"
    assert handler_of_row("token") is None


def test_phases_of_a_pull_and_a_push() -> None:
    assert phase_of(Role.MANIFEST_HEAD) is Phase.MANIFEST_HEAD
    assert phase_of(Role.BLOB_GET, config=True) is Phase.CONFIG and phase_of(Role.BLOB_GET) is Phase.LAYER
    assert phase_of(Role.START) is phase_of(Role.POST_DIGEST) is Phase.UPLOAD_START
    assert phase_of(Role.CHUNK) is Phase.CHUNK and phase_of(Role.FINISH) is Phase.CLOSING_PUT
    assert phase_of(Role.MANIFEST_PUT) is Phase.MANIFEST_PUT
    assert phase_of(Role.LIST) is None and phase_of(Role.BLOB_EXISTS) is None


# -- the signal that saturated first, on made-up steps -------------------------------------------------------


def server(rps: float, in_flight: float, cpu: float, storage_p95: float = 2.0, host: float | None = None,
           cores: int | None = None) -> ServerSide:
    return ServerSide([SourceReport("http://m/metrics", 10)], 10.0, Latency(int(rps * 10), rps, 1, 5, 9),
                      in_flight_mean=in_flight, in_flight_peak=in_flight + 1, cpu_percent=cpu,
                      host_cpu_percent=host, host_cores=cores, storage_all=Latency(100, 10, 1, storage_p95, 9))


def step(users: int, rps: float, figures: ServerSide | None, verdict: str = PASS) -> StepResult:
    tx = {"image-pull": TransactionFigures(int(rps), rps / 4, 10, 20, 30, rps / 8, 0)}
    return StepResult(index=users, users=users, seconds=10, requests=int(rps * 10), failures=0, rps=rps,
                      error_rate=0.0, p50_ms=10, p95_ms=20, p99_ms=30, transactions=tx, final_put_p95_ms=None,
                      generator_cpu=30, generator_saturated=False, machine_cpu=40, registry_cpu=None, breaches=[],
                      problems=[], run_dir="", verdict=verdict, server=figures)


def test_the_first_saturated_signal_is_named() -> None:
    queueing = [step(2, 100, server(100, 1, 40)), step(4, 190, server(190, 2, 70)),
                step(6, 192, server(192, 5, 72), PLATEAU)]
    assert first_saturation(queueing).startswith("requests in flight (mean 2 -> 5"), first_saturation(queueing)
    cpu = [step(2, 100, server(100, 1, 80, cores=None, host=50)), step(4, 150, server(150, 2, 95, host=93, cores=4))]
    assert first_saturation(cpu) == "host CPU 93 % busy (4 cores), first at 4 users"
    flat = [step(2, 100, server(100, 1, 95)), step(4, 104, server(104, 1.2, 96))]
    assert first_saturation(flat).startswith("registry CPU flat at 96 % of one core")
    storage = [step(2, 100, server(100, 1, 40, 2.0)), step(4, 190, server(190, 1.5, 60, 9.0))]
    assert first_saturation(storage) == "storage latency (storage action p95 2 -> 9 ms), first at 4 users"
    assert first_saturation([step(2, 100, None), step(4, 190, server(190, 1, 50))]) is None

    result = CapacityResult("s", "", {}, Slo(), SearchPlan(), queueing, PLATEAU, "", 0, 0)
    assert result.limited_by.startswith("registry: requests in flight"), result.limited_by
    assert result.to_dict()["server_limit"] == result.server_limit


def test_capacity_reports_write_benchmark_json_and_server_charts(tmp_path: Path) -> None:
    steps = [step(2, 100, server(100, 1, 40)), step(4, 190, server(190, 2, 70)),
             step(6, 192, server(192, 5, 72), PLATEAU)]
    steps[1].phases = {"layer": {"count": 10, "failures": 0, "ttfb": {"p50_ms": 3, "p95_ms": 5, "p99_ms": 6},
                                 "total": {"p50_ms": 9, "p95_ms": 12, "p99_ms": 14}}}
    result = CapacityResult("hot-image", "", {"url": "u"}, Slo(), SearchPlan(), steps, PLATEAU, "plateau", 0, 0,
                            run_dir=str(tmp_path))
    paths = write_reports(result, tmp_path)
    bench = json.loads(paths["benchmark"].read_text())
    by_name = {b["name"]: b for b in bench}
    assert by_name["capacity hot-image knee users"]["value"] == 4
    assert by_name["capacity hot-image knee image-pull p95"]["unit"] == "ms"
    assert all(set(b) == {"name", "unit", "value"} for b in bench)
    assert {b["unit"] for b in bench} <= {*BIGGER, "ms", "%"}
    assert capacity_benchmark(CapacityResult("x", "", {}, Slo(), SearchPlan(), [], "failed", "", 0, 0)) == []
    html = paths["html"].read_text()
    assert "Requests in flight at the registry" in html and "Pull phases" in html and "time to first byte" in html
    assert "Server side at the knee" in paths["text"].read_text()
    again = CapacityResult.from_dict(json.loads(paths["json"].read_text()))
    assert again.steps[1].server == steps[1].server and again.server_limit == result.server_limit


def test_a_load_run_without_host_reads_the_embedded_registrys_metrics_and_times_every_phase(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "regsuite.cli", "load", "--profile", "smoke", "--duration", "5",
                           "--report-dir", str(tmp_path), "--run-name", "own"],
                          capture_output=True, text=True, timeout=240, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "warning: metrics" not in proc.stdout, proc.stdout
    run = tmp_path / "load" / "own"
    summary = json.loads((run / "summary.json").read_text())
    server = summary["server"]
    assert server["requests"]["count"] > 0 and server["storage_all"]["count"] > 0, server
    assert {r["handler"] for r in summary["routes"]} >= {"manifest", "blob", "blob_upload", "catalog"}
    # The smoke profile pulls and pushes with every method: every phase ran, each with TTFB <= total.
    assert list(summary["phases"]) == [p.value for p in Phase], summary["phases"]
    for name, figures in summary["phases"].items():
        assert figures["count"] > 0 and figures["ttfb"]["p50_ms"] <= figures["total"]["p50_ms"], (name, figures)
    assert all(row["type"] not in ("ttfb", "phase") for row in summary["stats"]["rows"])
    assert summary["stats"]["total"]["requests"] == sum(r["requests"] for r in summary["stats"]["rows"]
                                                        if r["type"] not in ("image-pull", "image-push"))
    page = (run / "summary.html").read_text()
    assert "The registry&#x27;s side" in page and "Phases: time to first byte and total" in page
    names = {b["name"] for b in json.loads((run / "benchmark.json").read_text())}
    assert {"load smoke requests/s", "load smoke image-pull p95", "load smoke image-push MB/s"} <= names
