"""Area push: blob uploads in every way the spec allows, manifest PUTs of every data set, and the answers
the spec forbids.

The upload protocols live in `regsuite/uploads.py`; each (check, parameter)
pair is one row of its UPLOAD_CASES table. Blobs pushed here are pulled back
by `pull.blob-get` / `pull.blob-head` (same case ids). Manifest checks are
parametrised by the data set table (regsuite/datasets.py) and by blob push
method (PUSH_MATRIX in regsuite/fixtures/content.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest

from regsuite import content, flows
from regsuite import mediatypes as mt
from regsuite.client import RegistryClient, StepFailed
from regsuite.content import Blob, random_bytes
from regsuite.digest import algorithm_of, digest_of
from regsuite.fixtures.checks import check, unsupported
from regsuite.fixtures.content import PUSH_MATRIX, ContentStore, matrix_id, show_exchanges
from regsuite.judge import answered, excerpt, expect, require_header, sent
from regsuite.uploads import cases_of, check_range, open_with_chunk


def _cases(check_id: str) -> pytest.MarkDecorator:
    cases = cases_of(check_id)
    return pytest.mark.parametrize("case_id", [c.id for c in cases], ids=[c.param for c in cases])


def _upload_check(check_id: str) -> Callable[..., None]:
    """A check judging one upload protocol, parametrised by its rows in UPLOAD_CASES."""

    @check(check_id)
    @_cases(check_id)
    def judge(writable: None, registry: RegistryClient, content_store: ContentStore, case_id: str) -> None:
        record = content_store.upload(case_id)
        show_exchanges(registry.transcript, content_store.exchanges("upload", case_id))
        if record.violation is not None:
            raise record.violation

    return judge


test_blob_post_put = _upload_check("push.blob-post-put")
test_blob_post_digest = _upload_check("push.blob-post-digest")
test_blob_chunked_single = _upload_check("push.blob-chunked-single")
test_blob_chunked_multi = _upload_check("push.blob-chunked-multi")
test_blob_chunked_put_last = _upload_check("push.blob-chunked-put-last")
test_blob_stream = _upload_check("push.blob-stream")
test_mount_from = _upload_check("push.mount-from")
test_mount_anonymous = _upload_check("push.mount-anonymous")


@check("push.mount-missing")
def test_mount_missing(writable: None, registry: RegistryClient, content_store: ContentStore) -> None:
    repo = content_store.repo("uploads")
    missing = Blob(random_bytes("mount-missing/never-pushed", 64))
    response = registry.mount_blob(repo, missing.digest, content_store.repo("uploads-source"))
    expect(
        response, (202,), "202 Accepted and an upload URL: the source has no such blob to mount", "end-11", "Location"
    )
    location = require_header(response, "Location", "the upload URL in Location", "end-11")
    registry.cancel_upload(registry.resolve(response, location))


def _judge_misplaced_chunk(registry: RegistryClient, repo: str, first: int, last: int, what: str) -> None:
    """After bytes 0-999, a PATCH with Content-Range first-last that does not continue them must get 416."""
    data = random_bytes(f"misplaced-chunk/{first}", 3000)
    location = open_with_chunk(registry, repo, data[:1000])
    response = registry.patch_upload(location, data[first : last + 1], start=first)
    registry.cancel_upload(location)
    assert response.status_code == 416, (
        f"{sent(response)} with Content-Range: {first}-{last} after bytes 0-999 "
        f"answered {answered(response, 'Range')}; {what} must get 416 Requested Range Not Satisfiable (end-5)"
    )


@check("push.chunk-out-of-order")
def test_chunk_out_of_order(writable: None, registry: RegistryClient, content_store: ContentStore) -> None:
    _judge_misplaced_chunk(registry, content_store.repo("uploads"), 2000, 2999, "a chunk that skips bytes")


@check("push.chunk-overlap")
def test_chunk_overlap(writable: None, registry: RegistryClient, content_store: ContentStore) -> None:
    _judge_misplaced_chunk(
        registry, content_store.repo("uploads"), 500, 1499, "a chunk overlapping bytes already received"
    )


@check("push.upload-status")
def test_upload_status(writable: None, registry: RegistryClient, content_store: ContentStore) -> None:
    location = open_with_chunk(registry, content_store.repo("uploads"), random_bytes("upload-status", 1000))
    response = registry.upload_status(location)
    registry.cancel_upload(location)
    expect(response, (204,), "204 No Content with Range: 0-999", "end-13", "Range")
    check_range(response, 1000, "end-13")


@check("push.upload-cancel")
def test_upload_cancel(writable: None, registry: RegistryClient, content_store: ContentStore) -> None:
    location = open_with_chunk(registry, content_store.repo("uploads"), random_bytes("upload-cancel", 100))
    response = registry.cancel_upload(location)
    if response.status_code == 405:
        unsupported(f"{sent(response)} answered 405: the registry does not cancel uploads")
    expect(response, (204,), "204 No Content: the upload is cancelled", "end-14")
    after = registry.upload_status(location)
    expect(after, (404,), "404 Not Found: a cancelled upload no longer exists", "end-14")


@check("push.digest-algorithm")
def test_digest_algorithm(writable: None, registry: RegistryClient, content_store: ContentStore) -> None:
    repo = content_store.repo("uploads")
    blob = Blob(random_bytes("digest-algorithm", 512), algorithm="sha512")
    response = registry.start_upload(repo, digest_algorithm="sha512")
    if response.status_code == 400:
        unsupported(f"{sent(response)} answered 400: sha512 uploads are not supported")
    expect(response, (202,), "202 Accepted with a Location header", "end-4c", "Location")
    location = registry.resolve(response, require_header(response, "Location", "the upload URL", "end-4c"))
    done = registry.put_upload(location, blob.digest, blob.data)
    if done.status_code == 400:
        unsupported(f"{sent(done)} answered 400: the registry refuses sha512 digests")
    expect(done, (201,), "201 Created", "end-4c")
    stored = done.headers.get("Docker-Content-Digest") or registry.head_blob(repo, blob.digest).headers.get(
        "Docker-Content-Digest"
    )
    assert stored == blob.digest, (
        f"an upload started with ?digest-algorithm=sha512 and closed with digest={blob.digest} was stored as "
        f"Docker-Content-Digest: {stored}; the registry must keep the digest the client asked for (end-4c)"
    )


BAD_DIGEST_METHODS = ["post-put", "post-digest", "chunked", "stream"]


@dataclass(frozen=True)
class Mislabelled:
    """Bytes presented under another content's digest (a flow's blob source)."""

    data: bytes
    digest: str

    @property
    def size(self) -> int:
        return len(self.data)

    def body(self, start: int = 0, length: int | None = None) -> bytes:
        return self.data[start : None if length is None else start + length]


@check("push.blob-bad-digest")
@pytest.mark.parametrize("method", BAD_DIGEST_METHODS)
def test_blob_bad_digest(writable: None, registry: RegistryClient, content_store: ContentStore, method: str) -> None:
    repo = content_store.repo("uploads")
    data = random_bytes(f"bad-digest/{method}", 1500)
    wrong = digest_of(data + b"oh no")  # the digest of other content
    try:
        response = registry.run(flows.upload(repo, Mislabelled(data, wrong), method)).raw
    except StepFailed as refused:
        response = refused.response
    assert response.status_code == 400, (
        f"{sent(response)} closed an upload of {len(data)} bytes whose digest is {digest_of(data)} and answered "
        f"{response.status_code}; a digest that does not match the data must get 400 (DIGEST_INVALID) (end-6)"
    )
    stored = registry.head_blob(repo, wrong)
    assert stored.status_code == 404, (
        f"after a rejected upload, HEAD /v2/{repo}/blobs/{wrong} answered {stored.status_code}: "
        "content must never be stored under a digest it does not have"
    )


# -- manifests (end-7), parametrised by data set and blob push method (PUSH_MATRIX) ---------------

push_matrix = pytest.mark.parametrize(
    ("dataset", "method"), PUSH_MATRIX, ids=[matrix_id(name, method) for name, method in PUSH_MATRIX]
)


def _excerpt(response: httpx.Response) -> str:
    text = excerpt(response)
    return f": {text}" if text else ""


@check("push.manifest-put")
@push_matrix
def test_manifest_put(
    writable: None, registry: RegistryClient, content_store: ContentStore, dataset: str, method: str
) -> None:
    push = content_store.dataset(dataset, method)
    show_exchanges(registry.transcript, content_store.exchanges("dataset", dataset, method))
    if push.failure is not None:
        response = push.failure.response
        pytest.fail(
            f"pushing data set {dataset!r} ({push.dataset.title}): {sent(response)} answered "
            f"{response.status_code}{_excerpt(response)}; the spec wants 201 Created (step: {push.failure.step}; "
            f"{'end-7' if push.failure.step == 'manifest-put' else 'end-4a..end-6'})"
        )
    expected = {m.body: m.digest for m in push.dataset.manifests()}
    for response in push.responses:
        if "/manifests/" not in response.request.url.path:
            continue
        digest = expected.get(response.request.content)
        require = f"{sent(response)} answered 201"
        assert response.headers.get("Location"), (
            f"{require} without a Location header; the spec wants the manifest's URL (end-7)"
        )
        got = response.headers.get("Docker-Content-Digest")
        assert got is None or got == digest, (
            f"{require} with Docker-Content-Digest: {got}; the manifest's digest is {digest} (end-7)"
        )


@check("push.manifest-location")
@push_matrix
def test_manifest_location(
    writable: None, registry: RegistryClient, content_store: ContentStore, dataset: str, method: str
) -> None:
    push = content_store.dataset(dataset, method)
    if not push.pushed:
        pytest.skip(f"data set {dataset!r} was not pushed; see push.manifest-put[{matrix_id(dataset, method)}]")
    registry.transcript.clear()
    algorithm = push.dataset.manifest.algorithm
    by_body = {m.body: m.digest for m in push.dataset.manifests()}
    for response in push.responses:
        url = response.request.url
        digest = url.params.get("digest") if "/blobs/" in url.path else by_body.get(response.request.content)
        location = registry.resolve(response)
        got = registry.request("GET", location, headers={"Accept": mt.ACCEPT_ALL_MANIFESTS}, follow_redirects=True)
        assert got.status_code == 200, (
            f"{sent(response)} answered Location: {response.headers.get('Location')}, but GET on it answered "
            f"{got.status_code}; every Location a PUT returns must serve the content just pushed"
        )
        body_digest = digest_of(got.content, algorithm_of(digest or f"{algorithm}:"))
        assert body_digest == digest, (
            f"GET {location} (the Location of {sent(response)}) served content whose digest is {body_digest}; "
            f"it must serve the content pushed there, {digest}"
        )


@check("push.manifest-bad-digest")
def test_manifest_bad_digest(registry: RegistryClient, stored_image: tuple[str, content.Manifest]) -> None:
    repo, image = stored_image
    body = image.body + b"  "  # still valid JSON, another digest
    response = registry.put_manifest(repo, image.digest, body, image.media_type)
    assert response.status_code == 400, (
        f"{sent(response)} with a body whose digest is {digest_of(body)} answered {response.status_code}"
        f"{_excerpt(response)}; a manifest PUT by a digest the body does not have must get 400 (DIGEST_INVALID) (end-7)"
    )


@check("push.manifest-malformed-digest")
def test_manifest_malformed_digest(registry: RegistryClient, stored_image: tuple[str, content.Manifest]) -> None:
    repo, image = stored_image
    response = registry.put_manifest(repo, "sha256:0123abc", image)
    assert response.status_code == 400, (
        f"{sent(response)} (a reference that is neither a tag nor a well-formed digest) answered "
        f"{response.status_code}{_excerpt(response)}; a client mistake must get 400, never 5xx (end-7)"
    )


@check("push.manifest-tag-param")
def test_manifest_tag_param(registry: RegistryClient, stored_image: tuple[str, content.Manifest]) -> None:
    repo, image = stored_image
    tags = ["tag-param-a", "tag-param-b"]
    response = registry.request(
        "PUT",
        f"/v2/{repo}/manifests/{image.digest}",
        params=[("tag", t) for t in tags],
        content=image.body,
        headers={"Content-Type": image.media_type},
    )
    expect(response, (201,), "201 Created", "end-7b", "OCI-Tag")
    answered_tags = response.headers.get_list("OCI-Tag")
    if not answered_tags:
        if registry.head_manifest(repo, tags[0]).status_code == 404:
            unsupported(f"{sent(response)} answered 201 without OCI-Tag and created no tag: ?tag= is not supported")
        pytest.fail(
            f"{sent(response)} created tag {tags[0]} but answered no OCI-Tag header; "
            "the spec wants one per tag (end-7b)"
        )
    assert sorted(answered_tags) == tags, (
        f"{sent(response)} answered OCI-Tag: {answered_tags}; the spec wants exactly {tags} (end-7b)"
    )
    for tag in tags:
        head = registry.head_manifest(repo, tag)
        assert head.status_code == 200, (
            f"HEAD /v2/{repo}/manifests/{tag} answered {head.status_code} after OCI-Tag: {tag} (end-7b)"
        )
