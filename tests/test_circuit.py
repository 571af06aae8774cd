"""The client's circuit: a stalled endpoint fails fast after a few timeouts, the others keep answering,
a target that answers again is trusted again, and a stopped run sends nothing.

A real registry behind the fault proxy; timeouts of a fraction of a second keep the tests quick (no
assertion is on time: what is asserted is what was sent and what was raised).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from regsuite.circuit import Circuit, EndpointDown, RunStopped
from regsuite.client import RegistryClient
from regsuite.content import Blob, random_bytes
from regsuite.providers.config import free_port
from regsuite.target import Target
from regsuite.testing.faultproxy import FaultProxy, Mutation

STALL = 3.0  # seconds the proxy holds a stalled request: longer than the client's timeout
GAVE_UP = (504, {}, b"")  # then answered without asking upstream (the client gave up long before)
TIMEOUT = httpx.Timeout(0.5, connect=0.5)
REPO = "circuit/test"
Through = Callable[..., tuple[RegistryClient, FaultProxy]]  # client_through(*mutations, circuit=None)
BLOB_GETS = r"/blobs/(?!uploads/)"


def stall(method: str, path: str) -> Mutation:
    return Mutation(f"stall {method} {path}", method=method, path=path, delay=STALL, respond=GAVE_UP)


@pytest.fixture
def stored(shared_distribution: Target) -> Blob:
    blob = Blob(random_bytes("circuit", 256))
    with RegistryClient(shared_distribution) as client:
        assert client.push_blob(REPO, blob).status_code == 201
    return blob


@pytest.fixture
def client_through(fault_proxy: Callable[..., FaultProxy]) -> Iterator[Through]:
    clients: list[RegistryClient] = []

    def make(*mutations: Mutation, circuit: Circuit | None = None) -> tuple[RegistryClient, FaultProxy]:
        proxy = fault_proxy(*mutations)
        client = RegistryClient(Target(proxy.url), timeout=TIMEOUT, circuit=circuit or Circuit(cooldown=60))
        clients.append(client)
        return client, proxy

    yield make
    for client in clients:
        client.close()


def gets_sent(proxy: FaultProxy, method: str = "GET") -> int:
    return sum(1 for m, path in proxy.requests if m == method and "/blobs/sha256:" in path)


def test_a_stalled_endpoint_fails_fast_and_names_itself(client_through: Through,
                                                         stored: Blob) -> None:
    client, proxy = client_through(stall("GET", BLOB_GETS))
    for _ in range(3):
        with pytest.raises(httpx.ReadTimeout, match=r"GET /v2/<name>/blobs/<digest> at http://.*: no answer within"):
            client.get_blob(REPO, stored.digest)
    with pytest.raises(EndpointDown) as refused:
        client.get_blob(REPO, stored.digest)
    message = str(refused.value)
    assert "not sent: GET /v2/<name>/blobs/<digest>" in message and "stopped answering at" in message
    assert gets_sent(proxy) == 3, "the fourth GET went out although the circuit was open"
    assert "EndpointDown: not sent" in client.transcript.render(last=1), "the refusal is in the transcript"
    # Other endpoints of the same registry still answer, and do not close the blob GET circuit.
    assert client.head_blob(REPO, stored.digest).status_code == 200
    assert client.list_tags(REPO).status_code in (200, 404)
    with pytest.raises(EndpointDown):
        client.get_blob(REPO, stored.digest)


def test_a_trial_that_is_answered_closes_the_circuit(client_through: Through,
                                                      stored: Blob) -> None:
    circuit = Circuit(cooldown=0.0)  # every request after the outage is due for a trial
    client, proxy = client_through(stall("GET", BLOB_GETS), circuit=circuit)
    for _ in range(3):
        with pytest.raises(httpx.ReadTimeout):
            client.get_blob(REPO, stored.digest)
    with pytest.raises(httpx.ReadTimeout, match="trial request after an outage"):
        client.get_blob(REPO, stored.digest)  # the trial, still stalled
    proxy.mutations.clear()  # the registry recovers
    assert client.get_blob(REPO, stored.digest).status_code == 200  # the next trial is answered
    assert client.get_blob(REPO, stored.digest).status_code == 200  # and the circuit is closed


def test_on_probation_one_more_failure_opens_the_circuit_again(
    client_through: Through, stored: Blob
) -> None:
    """An endpoint that answers some requests (a fast 404) and stalls others costs one timeout per trial."""
    circuit = Circuit(cooldown=0.0)
    client, proxy = client_through(stall("GET", BLOB_GETS), circuit=circuit)
    for _ in range(3):
        with pytest.raises(httpx.ReadTimeout):
            client.get_blob(REPO, stored.digest)
    proxy.mutations.clear()
    assert client.get_blob(REPO, stored.digest).status_code == 200  # an answered trial: closed, on probation
    proxy.mutations.append(stall("GET", BLOB_GETS))
    circuit.cooldown = 60.0
    with pytest.raises(httpx.ReadTimeout):
        client.get_blob(REPO, stored.digest)
    with pytest.raises(EndpointDown):
        client.get_blob(REPO, stored.digest)  # open again after a single failure


def test_connection_failures_open_the_host_circuit(stored: Blob, shared_distribution: Target) -> None:
    circuit = Circuit(cooldown=60)
    down = RegistryClient(Target(f"http://127.0.0.1:{free_port()}"), timeout=TIMEOUT, circuit=circuit)
    with down, RegistryClient(shared_distribution, timeout=TIMEOUT, circuit=circuit) as up:
        for _ in range(3):
            with pytest.raises(httpx.ConnectError):
                down.ping()
        with pytest.raises(EndpointDown, match=r"not sent: http://127\.0\.0\.1:\d+ stopped answering"):
            down.get_blob(REPO, stored.digest)  # the whole host, every endpoint
        assert up.get_blob(REPO, stored.digest).status_code == 200, "another host is not affected"


def test_a_registry_that_stalls_on_everything_opens_its_host_circuit(
    client_through: Through, stored: Blob
) -> None:
    client, proxy = client_through(Mutation("stall everything", delay=STALL, respond=GAVE_UP))
    for call in (lambda: client.get_blob(REPO, stored.digest), lambda: client.head_blob(REPO, stored.digest),
                 lambda: client.list_tags(REPO)):
        with pytest.raises(httpx.ReadTimeout):
            call()
    with pytest.raises(EndpointDown, match=r"not sent: http://127\.0\.0\.1:\d+ stopped answering"):
        client.get_manifest(REPO, "v1")  # an endpoint never tried: the host is down
    assert len(proxy.requests) == 3


def test_a_stopped_circuit_sends_nothing_until_resumed(shared_distribution: Target) -> None:
    circuit = Circuit()
    with RegistryClient(shared_distribution, timeout=TIMEOUT, circuit=circuit) as client:
        circuit.stop("run deadline reached (--max-duration 1 s)")
        with pytest.raises(RunStopped, match=r"not sent: run deadline reached"):
            client.ping()
        circuit.resume()
        assert client.ping().status_code == 200


def test_clients_of_one_run_share_what_they_learnt(client_through: Through,
                                                   stored: Blob) -> None:
    first, proxy = client_through(stall("GET", BLOB_GETS))
    with RegistryClient(Target(proxy.url), timeout=TIMEOUT, circuit=first.circuit) as second:
        for _ in range(3):
            with pytest.raises(httpx.ReadTimeout):
                first.get_blob(REPO, stored.digest)
        with pytest.raises(EndpointDown):
            second.get_blob(REPO, stored.digest)
    assert gets_sent(proxy) == 3
