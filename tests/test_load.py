"""Self-tests of the load runner against a real distribution registry.

Each run is a few seconds of load in a locust subprocess (gevent stays out
of this process); proxies in front of the registry delay requests or count
who sent them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from regsuite import protocol
from regsuite.client import RegistryClient
from regsuite.digest import digest_of
from regsuite.errors import UsageError
from regsuite.load.blobs import UniqueBlobs
from regsuite.load.profiles import Profile, PullSpec, Shape, Slo, from_dict, parse_size, profile_named
from regsuite.load.result import LoadResult
from regsuite.load.runner import LoadOptions, run_profile
from regsuite.load.schedule import users_at
from regsuite.load.slo import evaluate
from regsuite.load.stats import Row, RunStats
from regsuite.target import Target
from regsuite.testing.faultproxy import Mutation, ProxyRequest, throttle

ROOT = Path(__file__).resolve().parent.parent
PROFILES = ROOT / "loadtest" / "profiles.yml"


def smoke(**shape: float) -> Profile:
    profile = profile_named(PROFILES, "smoke")
    return replace(profile, shape=replace(profile.shape, **shape)) if shape else profile


def listing(seconds: float = 3, users: int = 2) -> Profile:
    """Only list users: small, fast requests whose latency a proxy can move."""
    return Profile("listing", shape=Shape("constant", users=users, spawn_rate=users, duration=seconds),
                   max_requests=50_000, mix={"list": 1}, pull=PullSpec(sizes=(1024,)))


def run(target: Target, profile: Profile, report_dir: Path, **options: object) -> LoadResult:
    return run_profile(LoadOptions(target=target, profile=profile, report_dir=report_dir, run_name="t", **options))


# -- whole runs -------------------------------------------------------------------


def test_smoke_profile_runs_every_user_type_without_errors(shared_distribution: Target, tmp_path: Path) -> None:
    result = run(shared_distribution, smoke(), tmp_path)

    assert result.exit_code == 0, result.verdict()
    stats = result.stats
    assert stats.total_requests > 0 and stats.total_failures == 0, stats.errors
    by_type = stats.by_type()
    for kind in ("image-pull", "image-push"):
        assert by_type[kind].requests > 0 and by_type[kind].failures == 0, kind
        assert by_type[kind].bytes > 0, f"{kind} moved no bytes"
    catalog = stats.row("/v2/_catalog")
    assert catalog is not None and catalog.requests > 0, "the list user sent nothing"
    pushed = {row.name.split()[-1] for row in stats.transactions if row.kind == "image-push"}
    assert pushed == {"post-put", "chunked", "stream"}
    for name in ("locust.html", "locust_stats.csv", "locust_stats_history.csv", "locust.json", "summary.html",
                 "summary.json"):
        assert (result.run_dir / name).stat().st_size > 0, name
    assert result.run_dir == tmp_path / "load" / "t"
    assert shared_distribution.url in (result.run_dir / "summary.html").read_text(), "summary.html names the registry"
    assert result.cpu.processes, "the generator's CPU was not sampled"
    # what the run pushed is gone: the pool and the pushed images, manifests and blobs
    assert result.cleanup.startswith("deleted ") and " 0 manifests" not in result.cleanup, result.cleanup
    with RegistryClient(shared_distribution) as client:
        pool = json.loads((result.run_dir / "pool.json").read_text())
        assert pool, "the smoke profile seeds a pull pool"
        for image in pool:
            assert client.head_manifest(image["repo"], image["tag"]).status_code == 404, image


def test_injected_latency_moves_the_percentiles(shared_distribution: Target, fault_proxy, tmp_path: Path) -> None:
    delay = 0.2
    plain = fault_proxy()
    slow = fault_proxy(Mutation("slow tags list", method="GET", path=r"/tags/list", delay=delay))

    before = run(replace(shared_distribution, url=plain.url), listing(), tmp_path / "plain").stats
    after = run(replace(shared_distribution, url=slow.url), listing(), tmp_path / "slow").stats

    tags_before, tags_after = before.row("/v2/[repo]/tags/list"), after.row("/v2/[repo]/tags/list")
    assert tags_before and tags_after and tags_after.requests > 0
    assert tags_after.min_ms >= delay * 1000, "a delayed request was faster than the delay"
    moved = tags_after.percentile(0.5) - tags_before.percentile(0.5)
    # Bounds wide enough for a busy CI machine, narrow enough to catch a delay counted twice or lost.
    assert delay * 1000 * 0.8 <= moved <= delay * 1000 + 250, f"p50 moved {moved} ms for a {delay * 1000} ms delay"
    catalog = after.row("/v2/_catalog")
    assert catalog is not None and catalog.percentile(0.5) < delay * 1000 / 2, "the undelayed row moved too"


def test_request_budget_stops_the_run_early(shared_distribution: Target, tmp_path: Path) -> None:
    profile = replace(listing(seconds=30), max_requests=200)
    started = time.monotonic()
    result = run(shared_distribution, profile, tmp_path)

    assert result.exit_code == 0, result.verdict()
    # The shape looks at the budget once a second, so up to a second of load may pass it.
    assert result.stats.total_requests >= 200
    assert result.stats.seconds < 5 and time.monotonic() - started < 25, "the run went on past its budget"


def test_refusals_for_load_are_their_own_error_and_honoured_on_request(shared_distribution: Target, fault_proxy,
                                                                      tmp_path: Path) -> None:
    refusals = throttle("one manifest GET in four", every=4, retry_after="0", method="GET", path=r"/manifests/")
    target = replace(shared_distribution, url=fault_proxy(refusals).url)
    pulls = replace(smoke(duration=3), mix={"pull": 1}, slo=Slo(max_error_rate=0.01))

    measured = run(target, pulls, tmp_path / "measured")
    honoured = run(target, replace(pulls, honour_retry_after=True), tmp_path / "honoured")

    for result in (measured, honoured):
        stats = result.stats
        assert stats.rate_limited > 0 and stats.failure_rate == 0, stats.errors
        assert all(e.error.startswith("rate limited: 429 on ") for e in stats.errors if e.kind == "GET")
        assert result.breaches[0].startswith("rate limited: the registry refused "), result.breaches
        assert result.exit_code == 1
    assert measured.stats.by_type()["image-pull"].failures > 0, "a refused pull fails when Retry-After is not honoured"
    assert honoured.stats.by_type()["image-pull"].failures == 0, honoured.stats.errors
    summary = (honoured.run_dir / "summary.html").read_text()
    assert "rate limited (429, or 503 with Retry-After)" in summary


def test_slo_breach_exits_non_zero_with_one_line(shared_distribution: Target, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "regsuite.cli", "load", "--host", shared_distribution.url, "--profile", "smoke",
         "--duration", "2", "--slo-p95", "image-pull=0.001",
         "--report-dir", os.path.relpath(tmp_path, ROOT), "--run-name", "slo"],  # relative, as people type it
        cwd=ROOT, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("regsuite load: SLO breached: image-pull p95 "), last
    assert "> 0.001 ms" in last
    assert "Traceback" not in proc.stdout + proc.stderr
    assert (tmp_path / "load" / "slo" / "summary.html").exists()


def test_bad_profile_name_is_one_line_usage_error(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "regsuite.cli", "load", "--host", "http://127.0.0.1:9", "--profile", "nope"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 4
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
    assert "no profile 'nope'" in proc.stderr and "smoke" in proc.stderr


def test_master_with_two_workers_reports_the_sum_of_their_work(shared_distribution: Target, fault_proxy,
                                                                 tmp_path: Path) -> None:
    seen: Counter[str] = Counter()
    lock = threading.Lock()

    def count(request: ProxyRequest) -> bool:
        agent = request.headers.get("user-agent", "")
        if agent.startswith("regsuite-load/"):
            with lock:
                seen[agent] += 1
        return False  # count only, change nothing

    proxy = fault_proxy(Mutation("count by generator", when=count))
    profile = replace(listing(seconds=4, users=4), mix={"pull": 1, "list": 1})
    result = run(replace(shared_distribution, url=proxy.url), profile, tmp_path, workers=2)

    assert result.exit_code == 0, result.verdict()
    assert len(seen) == 2, f"expected two worker processes at the registry, saw {dict(seen)}"
    assert all(n > 0 for n in seen.values())
    reported, received = result.stats.total_requests, sum(seen.values())
    # A request still in flight when the run stops reaches the registry but is not reported.
    assert 0 <= received - reported <= profile.shape.users, (reported, dict(seen))
    assert result.stats.by_type()["image-pull"].requests > 0
    assert (result.run_dir / "locust.html").exists() and (result.run_dir / "summary.html").exists()


def test_forked_processes_share_one_report(shared_distribution: Target, tmp_path: Path) -> None:
    result = run(shared_distribution, smoke(duration=3), tmp_path, processes=2)

    assert result.exit_code == 0, result.verdict()
    assert result.stats.total_requests > 0 and result.stats.total_failures == 0
    # The forked children are the master's workers: each reports itself (requests, CPU).
    assert result.generator is not None and len(result.generator.workers) == 2, result.generator
    assert sum(w.requests for w in result.generator.workers) == result.stats.total_requests
    workers = [p for p in result.cpu.processes if p.name.startswith("worker ")]
    assert len(workers) == 2 and all(p.samples for p in workers), [p.name for p in result.cpu.processes]


def test_basic_auth_runs_clean(registry_factory, htpasswd_file, tmp_path: Path) -> None:
    from regsuite.providers import HtpasswdAuth, RegistryConfig

    password = "load-secret-" + tmp_path.name[-6:]
    target = registry_factory(RegistryConfig(auth=HtpasswdAuth(htpasswd_file({"loader": password}))))
    result = run(replace(target, username="loader", password=password), smoke(duration=4), tmp_path)

    assert result.exit_code == 0, result.verdict()
    assert result.stats.by_type()["image-push"].requests > 0
    # Credentials stay out of every file the run wrote.
    for path in result.run_dir.iterdir():
        assert password not in path.read_text(errors="replace"), path.name


def test_token_auth_over_tls_counts_token_fetches_when_asked(auth_deployment, tmp_path: Path) -> None:
    if not auth_deployment.embedded:
        pytest.skip("needs the embedded token-auth registry")
    profile = replace(smoke(duration=4), count_token_fetches=True)
    result = run(auth_deployment.target, profile, tmp_path)

    assert result.exit_code == 0, result.verdict()
    token = result.stats.row("token")
    assert token is not None and token.requests > 0 and token.failures == 0
    assert result.stats.by_type()["image-pull"].requests > 0


# -- pure parts -------------------------------------------------------------------


def test_profiles_file_is_valid_and_every_profile_is_bounded() -> None:
    from regsuite.load.profiles import load_profiles

    profiles = load_profiles(PROFILES)
    assert {"smoke", "ramp", "step", "spike", "soak"} <= set(profiles)
    for profile in profiles.values():
        assert 0 < profile.shape.total_seconds() and profile.max_requests > 0
        assert users_at(profile.shape, profile.shape.total_seconds()) is None


@pytest.mark.parametrize("raw, message", [
    ({"shape": {"kind": "wave"}}, "shape kind 'wave'"),
    ({"max_requests": 0}, "max_requests must be positive"),
    ({"mix": {"pull": 0}}, "at least one positive"),
    ({"push": {"methods": ["teleport"]}}, "push methods"),
    ({"shape": {"users": 1, "colour": "red"}}, "colour"),
])
def test_bad_profiles_are_usage_errors(raw: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        from_dict({"name": "bad", **raw})


def test_shapes_follow_their_schedule() -> None:
    assert users_at(Shape("ramp", users=10, ramp=10, hold=5), 5) == (5, 10.0)
    assert users_at(Shape("ramp", users=10, ramp=10, hold=5), 12) == (10, 10.0)
    step = Shape("step", start_users=2, step_users=3, step_duration=10, steps=3)
    assert [users_at(step, t)[0] for t in (0, 10, 25)] == [2, 5, 8]  # type: ignore[index]
    spike = Shape("spike", users=2, spike_users=20, spike_at=5, spike_for=2, duration=10)
    assert [users_at(spike, t)[0] for t in (4, 5, 6.9, 7)] == [2, 20, 20, 2]  # type: ignore[index]


def test_chunks_honour_the_registry_minimum() -> None:
    assert protocol.chunk_ranges(10, 4) == [(0, 4), (4, 4), (8, 2)]
    assert protocol.chunk_ranges(10, 4, min_length=6) == [(0, 6), (6, 4)]
    assert parse_size("5MiB") == 5 << 20


def test_unique_blobs_have_correct_digests_in_any_slicing() -> None:
    blobs = UniqueBlobs("t", 5000)
    blob, other = blobs.next(), blobs.next()
    assert blob.digest != other.digest and blob.size == 5000

    def read_all(start: int, length: int) -> bytes:
        body = blob.body(start, length)
        return b"".join(bytes(part) for part in iter(body.read, b""))

    whole = b"".join(read_all(s, n) for s, n in protocol.chunk_ranges(5000, 1234))
    assert digest_of(whole) == blob.digest


def test_slo_gate_names_each_breach() -> None:
    row = Row("image-pull", "1KiB", requests=10, failures=1, histogram=Counter({10: 9, 900: 1}))
    get = Row("GET", "/v2/_catalog", requests=100, failures=5)
    stats = RunStats([row, get], [], {}, [], seconds=10.0)
    slo = Slo(p95_ms={"image-pull": 500}, p99_ms={"image-push": 1}, max_error_rate=0.01, min_rps=50)
    assert evaluate(slo, stats) == [
        "image-pull p95 900 ms > 500 ms",
        "image-push p99: no requests were measured (limit 1 ms)",
        "error rate 5.00% (5/100) > 1.00%",
        "throughput 10.0 req/s < 50 req/s",
    ]
    assert evaluate(Slo(p95_ms={"image-pull": 1000}), stats) == []


def test_slo_names_the_rate_limit_apart_from_errors() -> None:
    from regsuite.load.stats import ErrorKind

    get = Row("GET", "/v2/_catalog", requests=100, failures=7)
    refused = ErrorKind("GET", "/v2/_catalog", "rate limited: 429 on GET /v2/_catalog", 5)
    broken = ErrorKind("GET", "/v2/_catalog", "GET /v2/_catalog: expected 200, got 500", 2)
    in_transactions = ErrorKind("image-pull", "1KiB", "rate limited: 429 on GET /v2/[repo]/manifests/[ref]", 9)
    stats = RunStats([get], [], {}, [refused, broken, in_transactions], seconds=10.0)
    assert stats.rate_limited == 5 and stats.failure_rate == 0.02 and stats.error_rate == 0.07
    assert evaluate(Slo(max_error_rate=0.01), stats) == [
        "rate limited: the registry refused 5 of 100 requests for load (429, or 503 with Retry-After): "
        "its limit is below this load",
        "error rate 2.00% (2/100) > 1.00%",
    ]
    assert stats.to_dict()["total"]["rate_limited"] == 5


def test_summary_warns_when_the_generator_was_saturated(tmp_path: Path) -> None:
    from regsuite.load.cpu import CpuReport, ProcessCpu
    from regsuite.load.stats import ErrorKind, Sample
    from regsuite.load.summary import render

    pull = Row("image-pull", "1KiB", requests=4, histogram=Counter({20: 4}), bytes=4096,
               per_second=Counter({100: 4}))
    stats = RunStats([pull], [Sample(100.0, 2, 4.0, 10.0, 20.0, 30.0, 0.0)], {},
                     [ErrorKind("GET", "/v2/_catalog", "CatchResponseError('x')", 1)], seconds=1.0)
    busy = ProcessCpu(1, "locust", [99.0, 98.0, 97.0, 99.0])
    result = LoadResult(tmp_path, smoke(), stats, CpuReport([busy], [], 2), [], 0, 0.5)

    page = render(result)
    assert "Generator saturated" in page and "measure the generator, not the registry" in page
    assert page.count("<svg") == 6
    assert result.cpu.warning() and result.cpu.to_dict()["warning"] == result.cpu.warning()
    calm = LoadResult(tmp_path, smoke(), stats, CpuReport([ProcessCpu(1, "locust", [20.0] * 4)], [], 2), [], 0, 0.5)
    assert "Generator saturated" not in render(calm) and "Machine busy" not in render(calm)
    crowded = CpuReport([ProcessCpu(1, "locust", [20.0] * 4)], [(float(t), 99.0) for t in range(5)], 2)
    assert "Machine busy" in render(replace(calm, cpu=crowded)) and crowded.warning() is None


def test_failure_text_is_shown_without_locusts_wrapper() -> None:
    from regsuite.load.stats import ErrorKind, _unwrap

    text = _unwrap("CatchResponseError('GET /v2/[repo]/tags/list: expected 200, got 500')")
    assert text == "GET /v2/[repo]/tags/list: expected 200, got 500"
    assert ErrorKind("GET", "/v2/[repo]/tags/list", text, 3).label == text
    assert ErrorKind("GET", "/v2/_catalog", "ConnectionRefusedError(111)", 1).label == \
        "GET /v2/_catalog: ConnectionRefusedError(111)"


# -- the open model (arrival rate) -------------------------------------------------------


def arrival(rate: float, seconds: float, users: int = 2, max_users: int = 20) -> Profile:
    profile = profile_named(PROFILES, "arrival")
    shape = replace(profile.shape, rate=rate, duration=seconds, users=users, max_users=max_users)
    return replace(profile, shape=shape)


def test_arrival_profile_holds_its_intended_rate(shared_distribution: Target, tmp_path: Path) -> None:
    # A low rate (a pull every 200 ms) leaves a loaded two-core machine room to keep up.
    result = run(shared_distribution, arrival(rate=5, seconds=10), tmp_path)

    assert result.exit_code == 0, result.verdict()
    assert result.intended_rate == pytest.approx(5.0)
    assert result.achieved_rate is not None and abs(result.achieved_rate - 5.0) <= 0.5, result.achieved_rate
    summary = json.loads((result.run_dir / "summary.json").read_text())
    assert summary["intended_rate"] == pytest.approx(5.0) and summary["achieved_rate"] == result.achieved_rate
    assert summary["arrival"]["scheduled"] >= 45 and summary["arrival"]["dropped"] == 0, summary["arrival"]
    sent, intended = result.stats.row("image-pull"), result.stats.row("image-pull@intended")
    assert sent is not None and intended is not None and sent.requests == intended.requests
    page = (result.run_dir / "summary.html").read_text()
    assert "Iterations per second: intended vs achieved" in page and "Latency from the intended start" in page


def test_a_slow_registry_shows_in_latency_from_the_intended_start(shared_distribution: Target, fault_proxy,
                                                                  tmp_path: Path) -> None:
    # Each pull is 4 requests of at least 0.2 s: 2 users finish at most 2.5 pulls/s of the 10/s intended,
    # so iterations queue, and only the latency from their intended start shows the wait.
    slow = fault_proxy(Mutation("slow registry", delay=0.2))
    result = run(replace(shared_distribution, url=slow.url), arrival(rate=10, seconds=5, users=2, max_users=2),
                 tmp_path)

    sent, intended = result.stats.row("image-pull"), result.stats.row("image-pull@intended")
    assert sent is not None and intended is not None and intended.requests > 0
    assert sent.percentile(0.5) >= 800, "the proxy's delay did not show"
    assert intended.percentile(0.5) > 2 * sent.percentile(0.5), (intended.percentile(0.5), sent.percentile(0.5))
    assert intended.percentile(0.95) > sent.percentile(0.95)
    notice = result.keep_up_notice()
    assert notice is not None and "all 2 users (max_users) were busy" in notice, notice
    assert result.achieved_rate is not None and result.achieved_rate < 5
    # The SLO on a transaction type is judged from the intended start in an arrival run.
    breaches = evaluate(Slo(p95_ms={"image-pull": sent.percentile(0.95) + 1}), result.stats)
    assert breaches and breaches[0].startswith("image-pull (from intended start) p95 "), breaches


def test_rate_override_and_its_usage_errors(tmp_path: Path) -> None:
    from regsuite.cli import build_parser
    from regsuite.commands.load import profile_from

    def parsed(*argv: str) -> Profile:
        return profile_from(build_parser().parse_args(["load", *argv]))

    assert parsed("--profile", "arrival", "--rate", "7.5").shape.rate == 7.5
    with pytest.raises(UsageError, match="--rate applies to arrival shapes"):
        parsed("--profile", "smoke", "--rate", "5")
    with pytest.raises(UsageError, match="positive"):
        parsed("--profile", "arrival", "--rate", "0")


@pytest.mark.parametrize("raw, message", [
    ({"shape": {"kind": "arrival", "rate": 0}}, "positive rate"),
    ({"shape": {"kind": "arrival", "rate": 5, "users": 10, "max_users": 4}}, "users <= max_users"),
])
def test_bad_arrival_shapes_are_usage_errors(raw: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        from_dict({"name": "bad", **raw})


def test_arrival_schedule_and_mix() -> None:
    from regsuite.load.arrival import KindCycle, Schedule
    from regsuite.load.schedule import rate_at, scheduled_iterations, users_for

    stepped = Shape("arrival", rate=10, step_rate=5, steps=3, step_duration=4)
    assert [rate_at(stepped, t) for t in (0, 4, 11.9, 12)] == [10, 15, 20, None]
    assert scheduled_iterations(stepped, 12) == 4 * (10 + 15 + 20) and scheduled_iterations(stepped, 6) == 70
    assert users_at(stepped, 1) == (1, 10.0) and users_at(stepped, 12) is None
    schedule = Schedule(start=100.0)
    assert schedule.due(100.35, rate=10) == pytest.approx([100.0, 100.1, 100.2, 100.3])
    assert schedule.due(101.0, rate=0) == [] and schedule.due(101.0, rate=2) == [101.0]
    kinds = KindCycle({"pull": 3, "push": 1, "list": 0})
    assert [kinds.next() for _ in range(8)] == ["pull", "pull", "push", "pull"] * 2
    assert users_for(current=4, busy=4, backlog=3, max_users=10) == 8
    assert users_for(current=4, busy=1, backlog=0, max_users=10) == 4
    assert users_for(current=9, busy=9, backlog=5, max_users=10) == 10


def test_keep_up_notice_names_the_cause() -> None:
    from regsuite.load.arrival import ArrivalCounts, keep_up_notice

    kept = ArrivalCounts(scheduled=100, started=100, late=2, users=3)
    assert keep_up_notice(10, 9.9, kept, max_users=20, saturated=False) is None
    behind = ArrivalCounts(scheduled=100, started=80, late=40, unstarted=20, max_backlog=12, max_lag_ms=2500,
                           users=20)
    notice = keep_up_notice(10, 7.5, behind, max_users=20, saturated=True)
    assert notice is not None
    for part in ("all 20 users (max_users) were busy", "CPU-saturated", "20 iterations never started",
                 "50% of iterations started over 100 ms late", "achieved 7.5/s of 10.0/s"):
        assert part in notice, part


def test_summary_names_workers_and_lost_ones(tmp_path: Path) -> None:
    from regsuite.load.arrival import ArrivalCounts
    from regsuite.load.cpu import CpuReport
    from regsuite.load.generator import GeneratorReport, WorkerFigures
    from regsuite.load.summary import render

    def worker(index: int, name: str, requests: int, cpu: float, lost: dict | None = None) -> WorkerFigures:
        return WorkerFigures(f"id{index}", index, name, "node-a", 100 + index, requests, requests, [cpu] * 5, 2,
                             ArrivalCounts(), lost)

    lost = {"at": 12.5, "last_heard": 9.0, "how": "stopped sending heartbeats", "requests_lost": 7}
    generator = GeneratorReport("master", 1.0, 30.0, [], [worker(0, "alpha", 120, 95.0), worker(1, "beta", 40, 20.0,
                                                                                              lost)])
    stats = RunStats([Row("GET", "/v2/", requests=160, per_second=Counter({100: 160}))], [], {}, [], seconds=10.0)
    cpu = CpuReport([w.cpu_record() for w in generator.workers], [], 2)
    result = LoadResult(tmp_path, smoke(), stats, cpu, [], 0, 0.5, generator=generator)

    page = render(result)
    assert "Worker lost." in page and "worker 2 (beta) on node-a was lost 12.5 s into the run" in page
    assert "add up to 160" in page and "Generator saturated" in page and "worker 1 (alpha) on node-a 95%" in page
    assert generator.workers_dict()["workers"][0]["saturated"] is True


def test_pulled_layers_are_read_whole_and_verified_against_their_digest(shared_distribution: Target, fault_proxy,
                                                                        tmp_path: Path) -> None:
    profile = Profile("verify", shape=Shape("constant", users=2, spawn_rate=2, duration=3), max_requests=10_000,
                      mix={"pull": 1}, pull=PullSpec(sizes=(1 << 20, 3 << 20), verify=True))
    clean = run(shared_distribution, profile, tmp_path / "clean")
    assert clean.exit_code == 0 and clean.stats.total_failures == 0, clean.stats.errors
    pulled = clean.stats.by_type()["image-pull"]
    assert pulled.requests > 0 and pulled.bytes >= pulled.requests * (1 << 20)

    flip = fault_proxy(Mutation("one flipped byte per layer", method="GET", path=r"/blobs/sha256:",
                                body=lambda b: b[:-1] + bytes([b[-1] ^ 1]) if b else b))
    corrupt = run(replace(shared_distribution, url=flip.url), profile, tmp_path / "corrupt").stats
    assert corrupt.total_failures > 0
    assert any("content does not match its digest" in e.error for e in corrupt.errors), corrupt.errors
