"""Self-tests of the capacity search, reports and comparisons.

The searches run against the embedded distribution registry behind a fault
proxy whose delay grows with the requests in flight: up to KNEE requests in
flight it adds 0.1 s, beyond that 1 s and more. List users send one request at
a time, so requests in flight never exceed the users, and the SLO (p95 of
every request <= 600 ms) holds up to KNEE users and breaks right above. The
proxy's delay dominates the registry's own latency (a few ms) and leaves
500 ms of headroom for a loaded machine. Tolerance: the knee found is KNEE
users, or KNEE - 1 when machine load alone pushes the KNEE step's p95 over
600 ms; assertions are on users, never on timings.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from regsuite.capacity.compare import compare_runs, load_run
from regsuite.capacity.report import ticket_text, write_reports
from regsuite.capacity.scenarios import SCENARIOS, scenario_profile
from regsuite.capacity.search import (
    BEHIND,
    BREACH,
    GENERATOR,
    LIMITED,
    PASS,
    PLATEAU,
    CapacityOptions,
    CapacityResult,
    SearchPlan,
    StepResult,
    TransactionFigures,
    bound_reached,
    fit_to_mix,
    next_level,
    search,
    step_verdict,
)
from regsuite.commands.capacity import parse_slo
from regsuite.errors import UsageError
from regsuite.load.profiles import Profile, PullSpec, Slo
from regsuite.target import Target
from regsuite.testing.faultproxy import Mutation, ProxyRequest

ROOT = Path(__file__).resolve().parent.parent
SLO_P95_MS = 600.0


def crowding(knee: int) -> Mutation:
    """0.1 s per request up to `knee` requests in flight, then 1 s more per extra request."""
    return Mutation("latency grows with concurrency",
                    delay=lambda in_flight: 0.1 if in_flight <= knee else 0.1 + 0.9 * (in_flight - knee))


def listing() -> Profile:
    return Profile("listing", max_requests=50_000, mix={"list": 1}, pull=PullSpec(sizes=(1024,)),
                   slo=Slo(p95_ms={"GET /v2/_catalog": SLO_P95_MS, "GET /v2/[repo]/tags/list": SLO_P95_MS}))


# -- searches against a registry ------------------------------------------------------


def test_search_finds_the_knee_the_proxy_plants(shared_distribution: Target, fault_proxy, tmp_path: Path) -> None:
    knee = 5
    proxy = fault_proxy(crowding(knee))
    plan = SearchPlan(start_users=2, step_users=3, max_users=20, step_seconds=3, max_steps=6, max_seconds=150,
                      refine=2)
    result = search(CapacityOptions(replace(shared_distribution, url=proxy.url), listing(), plan, tmp_path, "planted"))

    assert result.knee is not None, result.stop_detail
    assert knee - 1 <= result.knee.users <= knee, ticket_text(result)
    assert result.stop_reason == BREACH, result.stop_detail
    assert min(s.users for s in result.steps if s.verdict == BREACH) <= knee + 1, ticket_text(result)
    assert proxy.peak_in_flight <= max(s.users for s in result.steps)
    paths = write_reports(result, Path(result.run_dir))
    html = paths["html"].read_text()
    assert f"knee: {result.knee.users} users" in html and "Throughput vs users" in html
    doc = json.loads(paths["json"].read_text())
    assert doc["schema"] == "regsuite.capacity/1" and doc["knee"]["users"] == result.knee.users
    assert paths["text"].read_text().startswith(f"Capacity of {proxy.url}")


def test_search_stops_at_the_registry_rate_limit(shared_distribution: Target, fault_proxy, tmp_path: Path) -> None:
    """A registry that answers 429 beyond 3 requests in flight: a limit it sets, not a failed step."""
    limit, proxies = 3, []
    limiter = Mutation("429 beyond 3 in flight", when=lambda _: proxies[0].in_flight > limit,
                       respond=(429, {"Retry-After": "1"}, b""))
    proxies.append(fault_proxy(Mutation("0.1 s per request", delay=0.1), limiter))
    plan = SearchPlan(start_users=2, step_users=4, max_users=10, step_seconds=3, max_steps=4, max_seconds=150,
                      refine=1)
    result = search(CapacityOptions(replace(shared_distribution, url=proxies[0].url), listing(), plan, tmp_path,
                                    "limited"))

    assert result.stop_reason == LIMITED, ticket_text(result)
    assert result.knee is not None and result.knee.users <= limit and result.knee.rate_limited == 0
    limited = [s for s in result.steps if s.verdict == LIMITED]
    assert limited and all(s.rate_limited > 0 and not s.problems for s in limited), ticket_text(result)
    assert result.limited_by.startswith("the registry's rate limit") and result.exit_code == 0
    assert "rate limited" in write_reports(result, Path(result.run_dir))["html"].read_text()


def test_master_and_workers_search_and_merge(shared_distribution: Target, fault_proxy, tmp_path: Path) -> None:
    knee = 4
    agents: Counter[str] = Counter()
    lock = threading.Lock()

    def count(request: ProxyRequest) -> bool:
        with lock:
            agents[request.headers.get("user-agent", "")] += 1
        return True

    proxy = fault_proxy(replace(crowding(knee), when=count))
    # 5 s steps: each worker's first requests can be slow on a busy machine; with ~25 requests per row
    # (3 s steps) one of them is already the p95.
    plan = SearchPlan(start_users=2, step_users=2, max_users=8, step_seconds=5, max_steps=4, max_seconds=150,
                      refine=0)
    result = search(CapacityOptions(replace(shared_distribution, url=proxy.url), listing(), plan, tmp_path, "spread",
                                    workers=2))

    assert result.knee is not None and knee - 1 <= result.knee.users <= knee, ticket_text(result)
    generators = {a for a in agents if a.startswith("regsuite-load/")}
    assert len(generators) >= 2, f"two workers per step expected at the registry, saw {sorted(agents)}"
    step = json.loads((Path(result.knee.run_dir) / "summary.json").read_text())
    names = {p["name"] for p in step["cpu"]["processes"]}
    assert "master" in names and len([n for n in names if n.startswith("worker ")]) == 2, names
    assert result.to_dict()["workers"] == 2


def test_open_model_reports_the_highest_rate_held(shared_distribution: Target, fault_proxy, tmp_path: Path) -> None:
    # One user, two requests of at least 0.1 s per listing: at most 5 listings/s. 2/s is held,
    # 8/s cannot be (whatever the machine's load, the proxy's delay alone forbids it).
    proxy = fault_proxy(Mutation("0.1 s per request", delay=0.1))
    plan = SearchPlan(model="open", start_rate=2, step_rate=6, max_rate=8, max_users=1, step_seconds=4, max_steps=3,
                      max_seconds=150, refine=0)
    profile = replace(listing(), slo=Slo(max_error_rate=0.01))
    result = search(CapacityOptions(replace(shared_distribution, url=proxy.url), profile, plan, tmp_path, "open"))

    assert [s.rate for s in result.steps] == [2, 8], ticket_text(result)
    assert [s.verdict for s in result.steps] == [PASS, BEHIND], ticket_text(result)
    assert result.knee is result.steps[0] and result.stop_reason == BEHIND
    assert (result.steps[1].achieved_rate or 0) < 0.9 * 8 and all(s.users == 1 for s in result.steps)
    assert result.to_dict()["knee"]["rate"] == 2
    paths = write_reports(result, Path(result.run_dir))
    assert "Knee: held 2 iterations/s" in paths["text"].read_text()
    assert "Achieved vs intended rate" in paths["html"].read_text()


def test_open_model_steps_bisect_on_rates() -> None:
    plan = SearchPlan(model="open", start_rate=10, step_rate=10, max_rate=100, refine=2)
    held = step(4, 100)
    held.rate, held.achieved_rate = 20.0, 19.5
    behind = step(9, 150)
    behind.rate, behind.achieved_rate = 40.0, 31.0
    steps = judged([held, behind])
    assert [s.verdict for s in steps] == [PASS, BEHIND]
    assert next_level(steps, plan, refined=0) == 30.0
    assert next_level([], plan, refined=0) == 10
    result = CapacityResult("s", "", {}, Slo(), plan, steps, BEHIND, "", 0, 0)
    assert result.knee is held and result.limited_by == "registry"


def test_command_writes_reports_and_prints_the_knee(shared_distribution: Target, fault_proxy, tmp_path: Path) -> None:
    proxy = fault_proxy(crowding(1))
    proc = subprocess.run(
        [sys.executable, "-m", "regsuite.cli", "capacity", "--host", proxy.url, "--scenario", "hot-image",
         "--slo", f"p95:image-pull={SLO_P95_MS * 3}", "--slo", "errors=1%", "--start-users", "1", "--step-users", "2",
         "--max-users", "3", "--step-seconds", "3", "--max-seconds", "90", "--refine", "0",
         "--report-dir", str(tmp_path), "--run-name", "cli"],
        cwd=ROOT, capture_output=True, text=True, timeout=150, stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "regsuite capacity: knee: 1 user," in proc.stdout, proc.stdout
    run_dir = tmp_path / "capacity" / "cli"
    for name in ("capacity.html", "capacity.txt", "capacity.json"):
        assert (run_dir / name).stat().st_size > 0, name
    assert "pulls/s" in (run_dir / "capacity.txt").read_text()


@pytest.mark.parametrize("argv, message", [
    (["--scenario", "nope"], "no capacity scenario or load profile 'nope'"),
    (["--slo", "p95=5"], "--slo 'p95=5': give p95:NAME=MS"),
    (["--start-users", "0"], "need 1 <= --start-users"),
    (["--max-seconds", "1"], "leaves no room for one step"),
    (["--metrics-url", "ftp://registry/metrics"], "--metrics-url 'ftp://registry/metrics': give http(s)://"),
    (["--master", "--workers", "2"], "use one of --processes, --workers and --master"),
])
def test_bad_input_is_one_line_and_exit_4(argv: list[str], message: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "regsuite.cli", "capacity", "--host", "http://127.0.0.1:9", *argv],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and message in proc.stderr, proc.stderr


# -- the search's decisions, on made-up steps -------------------------------------------


def step(users: int, rps: float, *, breaches: list[str] | None = None, index: int = 0, **figures: float) -> StepResult:
    tx = {"image-pull": TransactionFigures(int(rps), rps / 4, 10, 20, 30, rps / 4, 0)}
    return StepResult(index=index or users, users=users, seconds=10, requests=int(rps * 10), failures=0, rps=rps,
                      error_rate=0.0, p50_ms=10, p95_ms=figures.get("p95", 20), p99_ms=30, transactions=tx,
                      final_put_p95_ms=None, generator_cpu=figures.get("cpu", 30), generator_saturated=False,
                      machine_cpu=50, registry_cpu=None, breaches=breaches or [], problems=[], run_dir="")


def judged(steps: list[StepResult], min_gain: float = 0.05) -> list[StepResult]:
    out: list[StepResult] = []
    for s in steps:
        previous = max((p for p in out if p.verdict == PASS), key=lambda p: p.users, default=None)
        s.verdict, s.gain = step_verdict(s, previous, min_gain)
        out.append(s)
    return out


def test_plateau_stops_the_search_and_the_step_before_is_the_knee() -> None:
    plan = SearchPlan(start_users=2, step_users=2)
    steps = judged([step(2, 100), step(4, 190), step(6, 195)])
    assert [s.verdict for s in steps] == [PASS, PASS, PLATEAU]
    assert next_level(steps, plan, refined=0) is None
    result = CapacityResult("s", "", {"url": "u"}, Slo(), plan, steps, PLATEAU, "", 0, 0)
    assert result.knee is steps[1] and result.limited_by == "registry"


def test_breach_is_bisected_within_the_refine_budget() -> None:
    plan = SearchPlan(start_users=2, step_users=4, refine=2)
    steps = judged([step(2, 100), step(6, 290), step(10, 300, breaches=["p95 over"])])
    assert next_level(steps, plan, refined=0) == 8
    steps.append(judged([step(8, 299, breaches=["p95 over"])])[0])
    assert next_level(steps, plan, refined=1) == 7
    assert next_level(steps, plan, refined=2) is None  # the budget is spent


def test_a_rate_limited_step_is_bisected_like_a_breach() -> None:
    plan = SearchPlan(start_users=2, step_users=4, refine=1)
    limited = step(10, 320, breaches=["rate limited: the registry refused 40 of 3200 requests for load"])
    limited.rate_limited = 40
    steps = judged([step(2, 100), step(6, 290), limited])
    assert [s.verdict for s in steps] == [PASS, PASS, LIMITED]
    assert next_level(steps, plan, refined=0) == 8
    result = CapacityResult("s", "", {}, Slo(), plan, steps, LIMITED, "", 0, 0)
    assert result.knee is steps[1] and result.exit_code == 0


def test_bounds_stop_a_search_without_a_knee() -> None:
    plan = SearchPlan(start_users=2, step_users=2, max_users=4)
    steps = judged([step(2, 100), step(4, 200)])
    assert next_level(steps, plan, refined=0) is None
    assert next_level([], plan, refined=0) == 2


def test_saturated_generator_is_named_as_the_limit() -> None:
    steps = judged([step(2, 100), step(4, 101)])
    steps[1].generator_saturated = True
    result = CapacityResult("s", "", {}, Slo(), SearchPlan(), steps, PLATEAU, "", 0, 0)
    assert result.limited_by == "generator"


def test_a_saturated_generator_stops_the_search() -> None:
    steps = judged([step(2, 100), step(4, 190)])
    steps[1].generator_saturated = True
    assert next_level(steps, SearchPlan(start_users=2, step_users=2), refined=0) is None
    result = CapacityResult("s", "", {}, Slo(), SearchPlan(), steps, GENERATOR, "", 0, 0)
    assert result.knee is steps[1] and result.limited_by == "generator"


def test_step_and_time_bounds() -> None:
    plan = SearchPlan(step_seconds=10, max_steps=3, max_seconds=100)
    assert bound_reached([], plan, elapsed=0) is None
    assert bound_reached([step(i, 10 * i) for i in (1, 2, 3)], plan, elapsed=0) == (
        "max-steps", "stopped after 3 steps (--max-steps)")
    slow = step(1, 10)
    slow.wall_seconds = 40
    assert bound_reached([slow], plan, elapsed=70) == (
        "time", "the next step would pass the 100 s budget (--max-seconds)")
    assert bound_reached([slow], plan, elapsed=50) is None


def test_slo_rules_parse_and_reject() -> None:
    slo = parse_slo(["p95:image-pull=500", "p99:image-push=2000", "errors=1%", "min-rps=10"], Slo())
    assert slo == Slo(p95_ms={"image-pull": 500}, p99_ms={"image-push": 2000}, max_error_rate=0.01, min_rps=10)
    assert parse_slo([], Slo(max_error_rate=0.5)).max_error_rate == 0.5
    with pytest.raises(UsageError, match="give p95:NAME=MS"):
        parse_slo(["p95:image-pull=fast"], Slo())


def test_every_scenario_is_a_valid_profile_with_an_slo() -> None:
    for name in SCENARIOS:
        profile = scenario_profile(name)
        assert not profile.slo.is_empty(), name
    assert scenario_profile("push-same-repo").push.repositories == "shared"
    assert scenario_profile("push-many-repos").push.repositories == "many"
    assert scenario_profile("mixed-75-25").mix == {"pull": 3, "push": 1}
    large = scenario_profile("large-upload").push
    assert large.methods == ("chunked",) and large.sizes == (64 << 20,)
    assert scenario_profile("smoke", ROOT / "loadtest" / "profiles.yml").name == "smoke"


# -- comparisons ---------------------------------------------------------------------


def capacity_run(tmp_path: Path, name: str, knee_rps: float) -> Path:
    steps = judged([step(2, knee_rps / 2), step(4, knee_rps), step(6, knee_rps * 1.01)])
    result = CapacityResult(name, "", {"url": f"http://{name}"}, Slo(max_error_rate=0.01), SearchPlan(), steps,
                            PLATEAU, "plateau", 0, 0, run_dir=str(tmp_path / name))
    Path(result.run_dir).mkdir(parents=True)
    write_reports(result, Path(result.run_dir))
    return Path(result.run_dir)


def test_compare_flags_a_capacity_regression(tmp_path: Path) -> None:
    before, after = capacity_run(tmp_path, "before", 200), capacity_run(tmp_path, "after", 120)
    comparison = compare_runs([load_run(before), load_run(after)], ["2.8.2", "next"], tolerance=0.1)
    text = comparison.text()
    assert comparison.regressed and "knee requests/s" in text and "REGRESSION" in text
    html = comparison.html()
    assert "Throughput vs users" in html and "next" in html
    same = compare_runs([load_run(before), load_run(before)], ["a", "b"], tolerance=0.1)
    assert not same.regressed


def test_compare_command_detects_the_kind(tmp_path: Path) -> None:
    before, after = capacity_run(tmp_path, "before", 200), capacity_run(tmp_path, "after", 120)
    proc = subprocess.run([sys.executable, "-m", "regsuite.cli", "compare", str(before), str(after),
                           "--output", str(tmp_path / "cmp"), "--fail-on-regression"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "REGRESSION" in proc.stdout
    assert (tmp_path / "cmp" / "compare.html").exists() and (tmp_path / "cmp" / "diff.txt").exists()


def load_summary(tmp_path: Path, name: str, p95: float, rps: float) -> Path:
    run_dir = tmp_path / name
    run_dir.mkdir()
    tx = {"image-pull": {"rps": rps / 4, "mb_per_s": rps / 4, "p50_ms": p95 / 2, "p95_ms": p95, "p99_ms": p95 * 2}}
    doc = {"schema": "regsuite.load/1", "profile": "smoke", "target": {"url": f"http://{name}"},
           "stats": {"total": {"rps": rps, "error_rate": 0.0}, "transactions": tx}}
    (run_dir / "summary.json").write_text(json.dumps(doc))
    return run_dir


def test_compare_of_load_runs_flags_latency_and_refuses_mixed_kinds(tmp_path: Path) -> None:
    base, slower = load_summary(tmp_path, "base", 100, 400), load_summary(tmp_path, "slower", 180, 400)
    comparison = compare_runs([load_run(base), load_run(slower)], ["base", "slower"])
    flagged = {line.metric.label for line in comparison.lines if "regression" in line.changes}
    assert flagged == {"image-pull p50", "image-pull p95", "image-pull p99"}
    noise = load_summary(tmp_path, "noise", 103, 390)
    assert not compare_runs([load_run(base), load_run(noise)], ["base", "noise"]).regressed
    with pytest.raises(UsageError, match="cannot compare capacity and load runs"):
        compare_runs([load_run(base), load_run(capacity_run(tmp_path, "cap", 100))], ["a", "b"])


def test_every_user_type_of_the_mix_gets_a_user_from_the_first_step() -> None:
    mixed = scenario_profile("mixed-75-25")
    assert fit_to_mix(SearchPlan(start_users=1, max_users=1), mixed) == SearchPlan(start_users=2, max_users=2)
    assert fit_to_mix(SearchPlan(start_users=1), scenario_profile("hot-image")).start_users == 1
