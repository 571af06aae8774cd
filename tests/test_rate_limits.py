"""A registry shedding load: the retry policy, and the client waiting it out through a throttling proxy.

The proxy (`faultproxy.throttle`) answers some requests with 429 or 503 and
never forwards them, as a hosted registry or nginx `limit_req` in front of one
does; behind it is a real distribution registry.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from regsuite import content, retry
from regsuite.circuit import Circuit
from regsuite.client import RegistryClient
from regsuite.pace import Pace, RateLimits
from regsuite.protocol import Endpoint, Kind
from regsuite.retry import GiveUp, Retry, RetryPolicy, next_step
from regsuite.target import Target
from regsuite.testing.faultproxy import FaultProxy, Mutation, ProxyRequest, throttle

# -- the policy, without I/O ----------------------------------------------------------------


def test_retry_after_in_both_forms() -> None:
    now = time.time()
    later = format_datetime(datetime.fromtimestamp(now, UTC) + timedelta(seconds=30), usegmt=True)
    earlier = format_datetime(datetime.fromtimestamp(now, UTC) - timedelta(seconds=30), usegmt=True)
    assert retry.retry_after_seconds("7") == 7.0
    assert retry.retry_after_seconds(" 0 ") == 0.0
    assert retry.retry_after_seconds(later, now=now) == pytest.approx(30, abs=1)
    assert retry.retry_after_seconds(earlier, now=now) == 0.0
    assert retry.retry_after_seconds("soon") is None
    assert retry.retry_after_seconds("-1") is None
    assert retry.retry_after_seconds(None) is None


def test_what_is_a_refusal_for_load() -> None:
    assert retry.throttled(429, None) and retry.throttled(429, "1")
    assert retry.throttled(503, "2")
    assert not retry.throttled(503, None), "a 503 without Retry-After is the registry failing, judged as such"
    assert not retry.throttled(503, "whenever")
    assert not retry.throttled(200, "1") and not retry.throttled(500, "1")


def test_backoff_doubles_with_jitter_up_to_its_cap() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_cap=4.0)
    assert [retry.backoff(n, policy, jitter=0.999999) for n in (1, 2, 3, 4, 5)] == pytest.approx([0.5, 1, 2, 4, 4])
    assert [retry.backoff(n, policy, jitter=0.0) for n in (1, 2, 3)] == [0.25, 0.5, 1.0]
    assert 0.25 <= retry.backoff(1, policy) <= 0.5


def test_next_step_waits_as_told_and_gives_up_within_its_budget() -> None:
    policy = RetryPolicy(attempts=4, max_wait=10, budget=12)
    assert next_step(200, None, attempt=1, waited=0, policy=policy) is None
    assert next_step(429, "3", attempt=1, waited=0, policy=policy) == Retry(3.0, True)
    told = next_step(429, None, attempt=2, waited=0, policy=policy, jitter=0.0)
    assert isinstance(told, Retry) and not told.told and told.wait == 0.5
    assert next_step(429, "11", attempt=1, waited=0, policy=policy) == \
        GiveUp("Retry-After 11 s, longer than the 10 s a request may wait")
    assert next_step(429, "5", attempt=2, waited=8, policy=policy) == \
        GiveUp("Retry-After 5 s, past the 12 s a request may spend waiting")
    assert next_step(429, "1", attempt=4, waited=3, policy=policy) == GiveUp("the last said Retry-After 1 s")
    assert next_step(503, "2", attempt=1, waited=0, policy=policy, left=1.0) == \
        GiveUp("Retry-After 2 s, past the run deadline (1 s left)")
    line = retry.exhausted(429, "PUT /v2/<name>/manifests/<reference>", 3, 2.04, "the last said Retry-After 1 s")
    assert line == ("rate limited: 429 on PUT /v2/<name>/manifests/<reference> after 3 attempts over 2.0 s "
                    "(the last said Retry-After 1 s)")
    assert retry.is_rate_limited(line) and not retry.is_rate_limited("GET /v2/: expected 200, got 500")


def test_tallies_of_several_processes_merge() -> None:
    a, b = RateLimits(), RateLimits()
    a.answers[429] += 3
    a.endpoints["GET /v2/"] += 3
    b.answers[503] += 1
    b.waited, b.gave_up = 2.5, 1
    merged = RateLimits.merged([a.to_dict(), b.to_dict()])
    assert merged.refusals == 4 and merged.gave_up == 1 and merged.waited == 2.5
    assert merged.line() == ("rate limited 4 times (429 ×3, 503 ×1), waited 2.5 s in all, "
                             "1 request(s) gave up (their checks are error)")


# -- the client through a throttling proxy -----------------------------------------------------


@pytest.fixture
def through(shared_distribution: Target) -> Iterator[Callable[..., tuple[RegistryClient, FaultProxy]]]:
    made: list[tuple[RegistryClient, FaultProxy]] = []

    def make(*mutations: Mutation, pace: Pace | None = None,
             circuit: Circuit | None = None) -> tuple[RegistryClient, FaultProxy]:
        proxy = FaultProxy(shared_distribution.url, list(mutations)).start()
        client = RegistryClient(Target(proxy.url), pace=pace, circuit=circuit)
        made.append((client, proxy))
        return client, proxy

    yield make
    for client, proxy in made:
        client.close()
        proxy.stop()


def test_refusals_are_waited_out_and_stay_in_the_transcript(through: Callable[..., tuple[RegistryClient, FaultProxy]]
                                                           ) -> None:
    refusals = [throttle("429 with Retry-After", every=4, retry_after="0"),
                throttle("429 without Retry-After", every=5, retry_after=None),
                throttle("503 with Retry-After", every=7, status=503, retry_after="0")]
    client, proxy = through(*refusals, pace=Pace(policy=RetryPolicy(backoff_base=0.05)))
    repo = "ratelimit/pushed-through"
    image = content.image(repo, layers=3)
    client.push_image(repo, image, "v1")  # every step of a push, a streamed chunk and PUTs with bodies included
    client.push_blob(repo, content.Blob(content.random_bytes(f"{repo}/stream", 9000)), method="stream")
    for _ in range(6):
        head, get = client.head_manifest(repo, "v1"), client.get_manifest(repo, "v1")
        assert (head.status_code, get.status_code) == (200, 200)
        assert get.content == image.body and head.headers["docker-content-digest"] == image.digest

    assert all(m.hits for m in refusals), proxy.hits()
    exchanges = client.transcript.exchanges
    limits = client.pace.limits
    assert limits.answers.keys() == {429, 503}
    assert limits.refusals == sum(e.status in (429, 503) for e in exchanges) >= max(m.hits for m in refusals)
    for i, exchange in enumerate(exchanges[:-1]):
        if exchange.status in (429, 503):
            again = exchanges[i + 1]
            assert (again.method, again.url) == (exchange.method, exchange.url), "the same request, sent again"


def test_a_503_without_retry_after_is_the_answer(through: Callable[..., tuple[RegistryClient, FaultProxy]]) -> None:
    client, _ = through(throttle("503", every=1, status=503, retry_after=None, path=r"^/v2/$"))
    assert client.ping().status_code == 503
    assert client.pace.limits.refusals == 0


def test_a_burst_is_waited_out_with_backoff(through: Callable[..., tuple[RegistryClient, FaultProxy]]) -> None:
    burst = throttle("everything refused for 1.5 s", burst=(60, 1.5), retry_after=None)
    client, _ = through(burst)
    began = time.monotonic()
    assert client.ping().status_code == 200
    assert time.monotonic() - began >= 1.5
    assert burst.hits >= 2 and client.pace.limits.waited >= 1.5


def test_a_rate_limit_past_the_budget_is_an_error_not_a_dead_endpoint(
        through: Callable[..., tuple[RegistryClient, FaultProxy]]) -> None:
    circuit = Circuit()
    client, _ = through(throttle("an hour", every=1, retry_after="3600", path=r"/manifests/"), circuit=circuit)
    for _ in range(4):  # more than the circuit's threshold
        with pytest.raises(retry.RateLimited) as refused:
            client.get_manifest("ratelimit/hour", "v1")
    assert str(refused.value) == ("rate limited: 429 on GET /v2/<name>/manifests/<reference> after 1 attempt over "
                                  "0.0 s (Retry-After 3600 s, longer than the 30 s a request may wait)")
    assert circuit.down(client.target.url, [Endpoint("GET", Kind.MANIFESTS)]) is None
    assert client.head_blob("ratelimit/hour", content.digest_of(b"x")).status_code == 404
    assert client.pace.limits.gave_up == 4


def test_the_run_deadline_and_its_stop_bound_every_wait(through: Callable[..., tuple[RegistryClient, FaultProxy]]
                                                        ) -> None:
    pace = Pace()
    client, _ = through(throttle("5 s", every=1, retry_after="5", path=r"^/v2/$"), pace=pace)
    pace.deadline = time.time() + 2
    with pytest.raises(retry.RateLimited, match=r"past the run deadline \(2 s left\)"):
        client.ping()
    pace.deadline = None
    stopper = threading.Timer(0.5, pace.stop)
    stopper.start()
    began = time.monotonic()
    with pytest.raises(retry.RateLimited):  # woken at the stop: the next attempts do not wait at all
        client.ping()
    assert time.monotonic() - began < 4


def test_max_rate_is_held_by_every_client_sharing_the_pace(shared_distribution: Target) -> None:
    sent: list[float] = []

    def note(_: ProxyRequest) -> bool:
        sent.append(time.monotonic())
        return False

    pace = Pace(max_rate=20)
    with FaultProxy(shared_distribution.url, [Mutation("clock", when=note)]) as proxy:
        clients = [RegistryClient(Target(proxy.url), pace=pace) for _ in range(3)]
        threads = [threading.Thread(target=lambda c=c: [c.ping() for _ in range(15)]) for c in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        for client in clients:
            client.close()
    assert len(sent) == 45
    busiest = max(sum(1 for t in sent if start <= t < start + 1.0) for start in sent)
    assert busiest <= 20 + 3, f"{busiest} requests within one second under --max-rate 20"  # a few may bunch on the way
    assert sent[-1] - sent[0] >= 44 / 20 * 0.9
