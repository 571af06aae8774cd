"""RegistryClient round-trips every operation against a real distribution 2.8.2.

Each test checks both sides: the request the client sent (from its transcript
or a fault proxy's record) and the registry's answer.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from regsuite import content, protocol
from regsuite import mediatypes as mt
from regsuite.client import RegistryClient
from regsuite.content import Blob, random_bytes
from regsuite.fixtures.auth import SERVICE
from regsuite.flows import FlowFailed, Reply, chunk_min_length, next_link
from regsuite.providers import HtpasswdAuth, RegistryConfig
from regsuite.target import Target
from regsuite.testing.faultproxy import FaultProxy, Mutation
from regsuite.tokenserver import TokenServer
from regsuite.transcript import Exchange, ThreadTranscripts, Transcript
from tests.token_registry import start_token_registry


@pytest.fixture
def client(shared_distribution: Target) -> Iterator[RegistryClient]:
    with RegistryClient(shared_distribution) as c:
        yield c


@pytest.fixture
def repo() -> str:
    """A repository of its own per test (the session's registry is shared)."""
    return f"selftest/client/{secrets.token_hex(4)}"


def sent(client: RegistryClient, method: str) -> list[Exchange]:
    return [e for e in client.transcript.exchanges if e.method == method]


def header(exchange: Exchange, name: str, side: str = "request") -> str | None:
    pairs = exchange.request_headers if side == "request" else exchange.response_headers
    return next((v for k, v in pairs if k.lower() == name.lower()), None)


# -- base and blobs ------------------------------------------------------------------


def test_ping(client: RegistryClient) -> None:
    response = client.ping()
    assert response.status_code == 200
    assert response.headers["docker-distribution-api-version"] == "registry/2.0"
    assert response.request.url.path == "/v2/"


def test_blob_head_get_range_delete(client: RegistryClient, repo: str) -> None:
    blob = Blob(random_bytes("client-blob", 4096))
    assert client.push_blob(repo, blob).status_code == 201
    head = client.head_blob(repo, blob.digest)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == "4096" and head.headers["docker-content-digest"] == blob.digest
    full = client.get_blob(repo, blob.digest)
    assert full.status_code == 200 and full.content == blob.data
    part = client.get_blob(repo, blob.digest, range="bytes=100-199")
    assert header(sent(client, "GET")[-1], "range") == "bytes=100-199"
    assert part.status_code == 206 and part.content == blob.data[100:200]
    assert part.headers["content-range"] == "bytes 100-199/4096"
    assert client.delete_blob(repo, blob.digest).status_code == 202
    assert client.head_blob(repo, blob.digest).status_code == 404


# -- uploads ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["post-put", "post-digest", "chunked", "stream"])
def test_push_blob_methods(client: RegistryClient, repo: str, method: str) -> None:
    blob = Blob(random_bytes(f"client-{method}", 3000))
    done = client.push_blob(repo, blob, method=method, chunk_size=1000)
    assert done.status_code == 201 and done.headers["docker-content-digest"] == blob.digest
    assert client.get_blob(repo, blob.digest).content == blob.data
    posts, patches, puts = sent(client, "POST"), sent(client, "PATCH"), sent(client, "PUT")
    assert len(posts) == 1
    if method == "post-digest":
        assert parse_qs(urlsplit(posts[0].url).query)["digest"] == [blob.digest]
        assert header(posts[0], "content-length") == "3000" and posts[0].status == 202
        # distribution 2.8 does not finish a monolithic POST (202): the client falls back to a PUT with the body.
        assert len(puts) == 1 and header(puts[0], "content-length") == "3000"
    if method == "post-put":
        assert not patches and header(puts[0], "content-length") == "3000"
    if method == "chunked":
        assert [header(p, "content-range") for p in patches] == ["0-999", "1000-1999", "2000-2999"]
        assert header(puts[0], "content-length") == "0"
    if method == "stream":
        assert len(patches) == 1 and header(patches[0], "content-range") is None
        assert header(puts[0], "content-length") == "0"


def test_chunked_push_honours_oci_chunk_min_length(shared_distribution: Target, repo: str) -> None:
    """distribution 2.8 sends no OCI-Chunk-Min-Length; a proxy adds it to the POST answer."""
    minimum = Mutation("chunk-min", method="POST", path=r"/blobs/uploads/$",
                       set_headers={"OCI-Chunk-Min-Length": "1024"})
    blob = Blob(random_bytes("client-min-chunk", 2500))
    with FaultProxy(shared_distribution.url, [minimum]) as proxy, RegistryClient(Target(proxy.url)) as client:
        assert client.push_blob(repo, blob, method="chunked", chunk_size=100).status_code == 201
        ranges = [header(p, "content-range") for p in sent(client, "PATCH")]
        assert client.get_blob(repo, blob.digest).content == blob.data
    assert minimum.hits == 1
    assert ranges == ["0-1023", "1024-2047", "2048-2499"], "a non-final chunk was below the registry's minimum"


@pytest.mark.parametrize(("value", "expected"), [("4096", 4096), (None, 0), ("junk", 0), ("-5", 0)])
def test_chunk_min_length_header_parsing(value: str | None, expected: int) -> None:
    headers = {"OCI-Chunk-Min-Length": value} if value is not None else {}
    assert chunk_min_length(Reply(202, httpx.Headers(headers))) == expected


def test_upload_status_and_cancel(client: RegistryClient, repo: str) -> None:
    started = client.start_upload(repo)
    assert started.status_code == 202
    location = client.resolve(started)
    patched = client.patch_upload(location, b"x" * 100, start=0)
    assert patched.status_code == 202 and patched.headers["range"] == "0-99"
    location = client.resolve(patched)
    status = client.upload_status(location)
    assert status.status_code == 204 and status.headers["range"] == "0-99"
    assert sent(client, "GET")[-1].url.split("?")[0] == location.split("?")[0]
    assert client.cancel_upload(location).status_code == 204
    assert client.upload_status(location).status_code == 404


def test_step_failed_names_the_step(client: RegistryClient) -> None:
    with pytest.raises(FlowFailed, match="start: expected 202, got 404 POST"):
        client.push_blob("Invalid/UPPER/case", b"data")


def test_mount_with_from(client: RegistryClient, repo: str) -> None:
    blob = Blob(random_bytes("client-mount", 512))
    client.push_blob(f"{repo}/source", blob)
    mounted = client.mount_blob(f"{repo}/target", blob.digest, f"{repo}/source")
    query = parse_qs(urlsplit(str(mounted.request.url)).query)
    assert query == {"mount": [blob.digest], "from": [f"{repo}/source"]}
    assert mounted.status_code == 201 and mounted.headers["location"].endswith(f"/v2/{repo}/target/blobs/{blob.digest}")
    assert client.head_blob(f"{repo}/target", blob.digest).status_code == 200


def test_mount_without_from(client: RegistryClient, repo: str) -> None:
    """distribution 2.8 does not search other repositories: it opens an upload session instead (202)."""
    blob = Blob(random_bytes("client-mount-nofrom", 512))
    client.push_blob(f"{repo}/source", blob)
    answer = client.mount_blob(f"{repo}/target", blob.digest, None)
    assert parse_qs(urlsplit(str(answer.request.url)).query) == {"mount": [blob.digest]}
    assert answer.status_code == 202
    assert client.cancel_upload(client.resolve(answer)).status_code == 204


# -- manifests ---------------------------------------------------------------------------


@pytest.mark.parametrize("docker", [False, True], ids=["oci", "docker"])
def test_manifest_put_get_head_delete(client: RegistryClient, repo: str, docker: bool) -> None:
    image = content.image(f"client-manifest-{docker}", docker=docker)
    put = client.push_image(repo, image, "v1")
    assert put.status_code == 201 and put.headers["docker-content-digest"] == image.digest
    assert header(sent(client, "PUT")[-1], "content-type") == image.media_type
    for reference in ("v1", image.digest):
        got = client.get_manifest(repo, reference)
        assert got.status_code == 200 and got.content == image.body
        assert got.headers["content-type"] == image.media_type
        assert got.headers["docker-content-digest"] == image.digest
        head = client.head_manifest(repo, reference)
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-length"] == str(image.size)
    assert client.delete_manifest(repo, image.digest).status_code == 202
    assert client.get_manifest(repo, "v1").status_code == 404
    assert client.get_manifest(repo, image.digest).status_code == 404


def test_delete_manifest_by_tag_is_sent_as_asked(client: RegistryClient, repo: str) -> None:
    """The client sends DELETE /manifests/<tag>; distribution 2.8 refuses tags (it wants a digest)."""
    client.push_image(repo, content.image("client-delete-tag"), "v1")
    response = client.delete_manifest(repo, "v1")
    assert response.request.url.path.endswith(f"/{repo}/manifests/v1")
    assert response.status_code == 400 and "DIGEST_INVALID" in response.text


def test_accept_negotiation(client: RegistryClient, repo: str) -> None:
    oci, docker = content.image("client-accept-oci"), content.image("client-accept-docker", docker=True)
    client.push_image(repo, oci, "oci")
    client.push_image(repo, docker, "docker")
    everything = client.get_manifest(repo, "oci")
    assert header(sent(client, "GET")[-1], "accept") == mt.ACCEPT_ALL_MANIFESTS
    assert everything.headers["content-type"] == mt.OCI_MANIFEST
    only_oci = client.get_manifest(repo, "oci", accept=mt.OCI_MANIFEST)
    assert header(sent(client, "GET")[-1], "accept") == mt.OCI_MANIFEST and only_oci.status_code == 200
    refused = client.get_manifest(repo, "oci", accept=mt.DOCKER_MANIFEST)
    assert refused.status_code == 404 and "accept header does not support OCI manifests" in refused.text
    assert client.get_manifest(repo, "docker", accept=mt.DOCKER_MANIFEST).headers["content-type"] == mt.DOCKER_MANIFEST
    # 2.8 tries to rewrite a schema 2 manifest to schema 1 for a client that does not take schema 2.
    assert client.get_manifest(repo, "docker", accept=mt.OCI_MANIFEST).status_code == 400


def test_index_with_children(client: RegistryClient, repo: str) -> None:
    children = [content.image(f"client-index-{i}") for i in range(2)]
    index = content.index(children)
    assert client.push_image(repo, index, "multi").status_code == 201
    got = client.get_manifest(repo, "multi")
    assert got.headers["content-type"] == mt.OCI_INDEX and got.content == index.body
    for child in children:
        assert client.head_manifest(repo, child.digest).status_code == 200


# -- discovery -------------------------------------------------------------------------------


def test_tags_list_and_paging_parameters(client: RegistryClient, repo: str) -> None:
    """The client sends `n` and `last`; distribution 2.8 ignores both for tags (pagination came in 3.0)."""
    image = content.image("client-tags")
    tags = ["a1", "b2", "c3", "d4", "e5"]
    for tag in tags:
        client.push_image(repo, image, tag)
    first = client.list_tags(repo, n=2, last="a1")
    assert first.request.url.path == f"/v2/{repo}/tags/list"
    assert parse_qs(urlsplit(str(first.request.url)).query) == {"n": ["2"], "last": ["a1"]}
    assert first.status_code == 200 and first.json()["name"] == repo
    pages = client.pages(client.list_tags(repo), "tags")
    assert sorted(item for p in pages for item in p.items) == tags == sorted(client.all_tags(repo))
    assert client.list_tags(repo).request.url.query == b""


def test_catalog_pagination(registry_factory: Callable[..., Target]) -> None:
    target = registry_factory(RegistryConfig())  # a registry of its own: the catalog is registry-wide
    repos = sorted(f"selftest/catalog/r{i}" for i in range(5))
    with RegistryClient(target) as client:
        for name in repos:
            client.push_image(name, content.image("client-catalog"), "v1")
        first = client.catalog(n=2)
        assert first.request.url.path == "/v2/_catalog" and first.request.url.params["n"] == "2"
        assert first.json() == {"repositories": repos[:2]}
        link = next_link(Reply(first.status_code, first.headers), str(first.request.url))
        assert link is not None and parse_qs(urlsplit(link).query) == {"n": ["2"], "last": [repos[1]]}
        pages = client.pages(first, "repositories")
        assert [p.items for p in pages] == [repos[:2], repos[2:4], repos[4:]]
        assert pages[-1].next_url is None
        assert len(client.pages(first, "repositories", limit=1)) == 1, "pages() ignored its bound"
        assert [p.items for p in client.pages(protocol.catalog(2), "repositories")] == [p.items for p in pages]
        assert client.repositories_under("selftest/catalog") == repos
        after = client.catalog(n=10, last=repos[2])
        assert parse_qs(urlsplit(str(after.request.url)).query) == {"n": ["10"], "last": [repos[2]]}
        assert after.json()["repositories"] == repos[3:]


def test_referrers_request(client: RegistryClient, repo: str) -> None:
    """distribution 2.8 has no referrers API (404); the request itself must be right."""
    subject = content.image("client-referrers")
    client.push_image(repo, subject, "v1")
    response = client.referrers(repo, subject.digest, artifact_type="application/vnd.example+json")
    assert response.request.method == "GET"
    assert response.request.url.path == f"/v2/{repo}/referrers/{subject.digest}"
    assert response.request.url.params["artifactType"] == "application/vnd.example+json"
    assert response.status_code == 404
    assert client.referrers(repo, subject.digest).request.url.query == b""


# -- auth --------------------------------------------------------------------------------------


def test_basic_challenge_answered(registry_factory: Callable[..., Target], htpasswd_file: Callable[..., Path]) -> None:
    password = secrets.token_urlsafe(12)
    target = registry_factory(RegistryConfig(auth=HtpasswdAuth(htpasswd_file({"carol": password}))))
    with RegistryClient(target.with_credentials("carol", password)) as client:
        assert client.ping().status_code == 200
        statuses = [(e.status, header(e, "authorization")) for e in client.transcript.exchanges]
        assert statuses == [(401, None), (200, "Basic <redacted>")]
        image = content.image("client-basic")
        assert client.push_image("selftest/basic", image, "v1").status_code == 201
        assert all(header(e, "authorization") == "Basic <redacted>" for e in client.transcript.exchanges[2:])
    with RegistryClient(target.with_credentials("carol", "not-the-password")) as wrong:
        assert wrong.ping().status_code == 401
    with RegistryClient(target) as anonymous:
        assert anonymous.ping().status_code == 401


def test_basic_challenges_met_at_once_by_several_threads_are_each_answered(
        registry_factory: Callable[..., Target], htpasswd_file: Callable[..., Path]) -> None:
    """Clients shared by checks running side by side: two first requests both meet the challenge, and each is
    sent again with credentials (not only the one that taught the client to use Basic)."""
    password = secrets.token_urlsafe(12)
    target = registry_factory(RegistryConfig(auth=HtpasswdAuth(htpasswd_file({"dave": password}))))
    both_challenged = threading.Barrier(2, timeout=10)
    second = threading.local()

    def hold_the_401s(response: httpx.Response) -> None:
        if response.status_code == 401 and "authorization" not in response.request.headers:
            both_challenged.wait()  # both threads hold their 401 before either answers it
            if getattr(second, "late", False):
                time.sleep(0.2)  # the other has answered its challenge by now

    statuses: dict[str, int] = {}
    with RegistryClient(target.with_credentials("dave", password)) as shared:
        shared.http.event_hooks["response"].append(hold_the_401s)

        def first_request(name: str, late: bool) -> None:
            second.late = late
            statuses[name] = shared.request("GET", "/v2/").status_code

        threads = [threading.Thread(target=first_request, args=(n, n == "b")) for n in ("a", "b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert statuses == {"a": 200, "b": 200}


@pytest.fixture
def token_registry(registry_factory: Callable[..., Target], token_server: Callable[..., TokenServer],
                   tmp_path: Path) -> tuple[Target, TokenServer]:
    push, pull = ("dave", secrets.token_urlsafe(12)), ("erin", secrets.token_urlsafe(12))
    registry = start_token_registry(registry_factory, token_server, tmp_path, push, pull)
    return registry.target, registry.server


def test_bearer_challenge_answered_with_scoped_cached_tokens(token_registry: tuple[Target, TokenServer]) -> None:
    target, server = token_registry
    image = content.image("client-token")
    with RegistryClient(target) as client:
        assert client.push_image("selftest/token", image, "v1").status_code == 201
        token_calls = [e for e in client.transcript.exchanges if e.url.startswith(server.realm)]
        assert token_calls, "no token was fetched"
        scopes = [parse_qs(urlsplit(e.url).query).get("scope") or [""] for e in token_calls]
        asked = [(scope[0].rpartition(":")[0], set(scope[0].rpartition(":")[2].split(","))) for scope in scopes]
        assert ("repository:selftest/token", {"pull", "push"}) in asked, scopes  # the challenge's order varies
        assert all(parse_qs(urlsplit(e.url).query)["service"] == [SERVICE] for e in token_calls)
        assert all(header(e, "authorization") == "Basic <redacted>" for e in token_calls)
        bearer = [e for e in client.transcript.exchanges if (header(e, "authorization") or "").startswith("Bearer")]
        assert bearer and all(header(e, "authorization") == "Bearer <redacted>" for e in bearer)
        issued = server.issued
        for _ in range(3):
            assert client.get_manifest("selftest/token", "v1").status_code == 200
        assert server.issued == issued, "a pull token was fetched again: tokens are not cached per scope"
        assert client.get_manifest("selftest/token", "v1").content == image.body
    with RegistryClient(target.with_credentials("dave", "wrong")) as wrong:
        assert wrong.ping().status_code == 401


def test_a_client_shared_by_threads_records_each_threads_exchanges_in_its_own_transcript(
        shared_distribution: Target, repo: str) -> None:
    """The access matrix's cells share a deployment's clients and run side by side: each cell's transcript must
    hold its own requests and no other's."""
    fallback = Transcript()
    routed = ThreadTranscripts(fallback)
    theirs = {name: Transcript() for name in ("a", "b", "c", "d")}
    with RegistryClient(shared_distribution, transcript=routed) as shared:

        def cell(name: str) -> None:
            with routed.to(theirs[name]):
                for _ in range(5):
                    shared.request("GET", f"/v2/{repo}-{name}/tags/list")

        threads = [threading.Thread(target=cell, args=(name,)) for name in theirs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        shared.ping()
    for name, transcript in theirs.items():
        assert [e.url.rsplit("/v2/", 1)[1] for e in transcript.exchanges] == [f"{repo}-{name}/tags/list"] * 5
        assert all(e.status == 404 for e in transcript.exchanges)
    assert [e.url for e in fallback.exchanges] == [f"{shared_distribution.url}/v2/"]  # outside any `to`
