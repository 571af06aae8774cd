"""Whole runs against a registry that sheds load: the verdicts are the registry's, not the rate limiter's.

A throttling proxy (`faultproxy.throttle`) sits in front of a real
distribution registry and refuses some requests without forwarding them, as
Docker Hub, GHCR, Quay or nginx `limit_req` do. The verdicts are compared,
check id by check id, with those recorded for the registry alone
(tests/data/verdicts-distribution-2.8.2-url.json, which
tests/test_speed_verdicts.py keeps true).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from regsuite.providers import ProcessProvider, RegistryConfig
from regsuite.results import Outcome, RunResults
from regsuite.testing.faultproxy import FaultProxy, Mutation, ProxyRequest, throttle
from tests.support import ConformanceRun, run_conformance
from tests.test_speed_verdicts import LEFT_OUT, RECORDED, verdicts

# The refusals themselves are what these judge: they see the proxy's 429s, which the registry alone never sends.
JUDGE_THE_REFUSALS = {"errors.retry-after", "errors.throttled-code"}


def recorded() -> dict[str, str]:
    return dict(json.loads(RECORDED.read_text())["verdicts"])


def changed(run: ConformanceRun, areas: set[str] | None = None) -> list[str]:
    """Verdicts that differ from the registry alone's (in `areas`, or all but the left-out ones)."""
    assert run.results is not None
    alone, now = recorded(), verdicts(run.results)
    ran = {c.id for c in run.results.checks if areas is None or c.area in areas} & now.keys()
    return [f"{i}: alone {alone.get(i)}, now {now[i]}: {run.record(i).message[:200]}"
            for i in sorted(ran - JUDGE_THE_REFUSALS) if now[i] != alone.get(i)]


def through(proxy: FaultProxy, tmp_path: Path, *args: str, timeout: float = 300) -> tuple[ConformanceRun, RunResults]:
    run = run_conformance(proxy.url, tmp_path, *args, timeout=timeout)
    assert run.results is not None, run.output[-3000:]
    assert run.results.run.complete, run.results.run.reason
    return run, run.results


@pytest.mark.slow  # the whole suite through the proxy: about 3 minutes on a busy 2-core machine
def test_a_rate_limited_registry_gets_the_verdicts_of_the_registry_alone(tmp_path: Path) -> None:
    refusals = [
        throttle("one in fifteen, Retry-After 1", every=15, retry_after="1"),
        throttle("one in 23, no Retry-After", every=23, retry_after=None),
        throttle("everything for 2 s every 40 s", burst=(40, 2), retry_after=None),
    ]
    began = time.monotonic()
    with ProcessProvider(RegistryConfig(delete_enabled=True)) as registry, \
            FaultProxy(registry.url, refusals) as proxy:
        run, results = through(proxy, tmp_path, "-m", f"not {' and not '.join(sorted(LEFT_OUT))}",
                               "--max-duration", "840", timeout=900)
    assert all(m.hits for m in refusals), {m.name: m.hits for m in refusals}
    assert not changed(run), "a rate limit changed verdicts:\n" + "\n".join(changed(run)[:30])
    assert run.outcome("errors.retry-after") == Outcome.FAILED, "some 429s carried no Retry-After"
    assert run.outcome("errors.throttled-code") == Outcome.PASSED
    limits = results.run.rate_limits or {}
    assert limits["refusals"] >= refusals[0].hits and limits["gave_up"] == 0, limits
    assert time.monotonic() - began < 840


def test_a_rate_limit_longer_than_the_budget_is_an_error_never_a_failure(shared_distribution, tmp_path: Path
                                                                         ) -> None:
    hour = throttle("tags lists refused for an hour", every=1, retry_after="3600", method="GET",
                    path=r"/tags/list")
    with FaultProxy(shared_distribution.url, [hour]) as proxy:
        run, results = through(proxy, tmp_path, "-m", "discovery or management")
    differ = changed(run, {"discovery", "management"})
    assert differ, "no check met the refused tags lists"
    for check in results.checks:
        if check.id in recorded() and check.outcome.value != recorded()[check.id]:
            assert check.outcome == Outcome.ERROR, f"{check.id}: {check.outcome}: {check.message}"
            assert check.message.startswith("rate limited: 429 on GET /v2/<name>/tags/list after 1 attempt"), \
                check.message
            assert "Retry-After 3600 s, longer than the 30 s a request may wait" in check.message
    assert (results.run.rate_limits or {}).get("gave_up", 0) >= len(differ)


def test_a_503_with_retry_after_is_waited_out(shared_distribution, tmp_path: Path) -> None:
    """nginx `limit_req` answers 503 by default: with Retry-After it is a refusal for load, like a 429."""
    unavailable = throttle("one in ten, 503 with Retry-After", every=10, status=503, retry_after="1")
    with FaultProxy(shared_distribution.url, [unavailable]) as proxy:
        run, results = through(proxy, tmp_path, "-m", "push or pull")
    assert unavailable.hits
    assert not changed(run, {"push", "pull"}), "\n".join(changed(run, {"push", "pull"})[:30])
    assert (results.run.rate_limits or {}).get("answers") == {"503": unavailable.hits}
    said = f"regsuite: rate limited {unavailable.hits} times (503 ×{unavailable.hits}), waited "
    assert said in run.output, run.output[-2000:]
    assert said.removeprefix("regsuite: ") in (run.report_dir / "conformance" / "report.html").read_text()


def test_max_rate_is_held_by_the_whole_run(shared_distribution, tmp_path: Path) -> None:
    sent: list[float] = []

    def clock(_: ProxyRequest) -> bool:
        sent.append(time.monotonic())
        return False

    with FaultProxy(shared_distribution.url, [Mutation("clock", when=clock)]) as proxy:
        run, results = through(proxy, tmp_path, "-m", "discovery or pull", "--max-rate", "25")
    # Requests leave the client 1/25 s apart; on their way (threads waiting for the interpreter on a busy machine,
    # here and in the proxy) some may bunch, never many: under a full machine up to 9 were seen. Unpaced, the same
    # run reaches about 150 requests in its busiest second here.
    for window, most in ((1.0, 25 + 12), (5.0, 5 * 25 + 12)):
        busiest = max(sum(1 for t in sent if start <= t < start + window) for start in sent)
        assert busiest <= most, f"{busiest} requests within {window:g} s under --max-rate 25"
    assert not changed(run, {"discovery", "pull"}), "\n".join(changed(run, {"discovery", "pull"})[:30])
    limits = results.run.rate_limits or {}
    assert limits.get("paced_s", 0) > 0, limits
