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
from regsuite.faultproxy import Mutation, ProxyRequest
from regsuite.load.blobs import UniqueBlobs
from regsuite.load.profiles import Profile, PullSpec, Shape, Slo, from_dict, parse_size, profile_named
from regsuite.load.runner import LoadOptions, LoadResult, run_profile
from regsuite.load.schedule import users_at
from regsuite.load.slo import evaluate
from regsuite.load.stats import Row, RunStats
from regsuite.target import Target

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


def test_smoke_profile_runs_every_user_type_without_errors(distribution: Target, tmp_path: Path) -> None:
    result = run(distribution, smoke(), tmp_path)

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
    assert result.cpu.processes, "the generator's CPU was not sampled"
    # what the run pushed is gone: the pool and the pushed images, manifests and blobs
    assert result.cleanup.startswith("deleted ") and " 0 manifests" not in result.cleanup, result.cleanup
    with RegistryClient(distribution) as client:
        pool = json.loads((result.run_dir / "pool.json").read_text())
        assert pool, "the smoke profile seeds a pull pool"
        for image in pool:
            assert client.head_manifest(image["repo"], image["tag"]).status_code == 404, image


def test_injected_latency_moves_the_percentiles(distribution: Target, fault_proxy, tmp_path: Path) -> None:
    delay = 0.2
    plain = fault_proxy()
    slow = fault_proxy(Mutation("slow tags list", method="GET", path=r"/tags/list", delay=delay))

    before = run(replace(distribution, url=plain.url), listing(), tmp_path / "plain").stats
    after = run(replace(distribution, url=slow.url), listing(), tmp_path / "slow").stats

    tags_before, tags_after = before.row("/v2/[repo]/tags/list"), after.row("/v2/[repo]/tags/list")
    assert tags_before and tags_after and tags_after.requests > 0
    assert tags_after.min_ms >= delay * 1000, "a delayed request was faster than the delay"
    moved = tags_after.percentile(0.5) - tags_before.percentile(0.5)
    # Bounds wide enough for a busy CI machine, narrow enough to catch a delay counted twice or lost.
    assert delay * 1000 * 0.8 <= moved <= delay * 1000 + 250, f"p50 moved {moved} ms for a {delay * 1000} ms delay"
    catalog = after.row("/v2/_catalog")
    assert catalog is not None and catalog.percentile(0.5) < delay * 1000 / 2, "the undelayed row moved too"


def test_request_budget_stops_the_run_early(distribution: Target, tmp_path: Path) -> None:
    profile = replace(listing(seconds=30), max_requests=200)
    started = time.monotonic()
    result = run(distribution, profile, tmp_path)

    assert result.exit_code == 0, result.verdict()
    # The shape looks at the budget once a second, so up to a second of load may pass it.
    assert result.stats.total_requests >= 200
    assert result.stats.seconds < 5 and time.monotonic() - started < 25, "the run went on past its budget"


def test_slo_breach_exits_non_zero_with_one_line(distribution: Target, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "regsuite.cli", "load", "--host", distribution.url, "--profile", "smoke",
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


def test_master_with_two_workers_reports_the_sum_of_their_work(distribution: Target, fault_proxy,
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
    result = run(replace(distribution, url=proxy.url), profile, tmp_path, workers=2)

    assert result.exit_code == 0, result.verdict()
    assert len(seen) == 2, f"expected two worker processes at the registry, saw {dict(seen)}"
    assert all(n > 0 for n in seen.values())
    reported, received = result.stats.total_requests, sum(seen.values())
    # A request still in flight when the run stops reaches the registry but is not reported.
    assert 0 <= received - reported <= profile.shape.users, (reported, dict(seen))
    assert result.stats.by_type()["image-pull"].requests > 0
    assert (result.run_dir / "locust.html").exists() and (result.run_dir / "summary.html").exists()


def test_forked_processes_share_one_report(distribution: Target, tmp_path: Path) -> None:
    result = run(distribution, smoke(duration=3), tmp_path, processes=2)

    assert result.exit_code == 0, result.verdict()
    assert result.stats.total_requests > 0 and result.stats.total_failures == 0
    children = [p for p in result.cpu.processes if "/child" in p.name]
    assert len(children) == 2, [p.name for p in result.cpu.processes]


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
