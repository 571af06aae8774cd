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

from regsuite import content, datasets, flows
from regsuite.client import RegistryClient
from regsuite.content import Blob, random_bytes
from regsuite.datasets import DATASET_NAMES, DatasetPush
from regsuite.digest import digest_of
from regsuite.fixtures.checks import check, unsupported
from regsuite.fixtures.content import dataset_params, upload_params
from regsuite.fixtures.store import PUSH_MATRIX, ContentStore, copy_dataset, matrix_id
from regsuite.flows import FlowFailed, Role
from regsuite.judge import answered, excerpt, expect, require_header, sent
from regsuite.optional import Feature, not_offered
from regsuite.uploads import cases_of, check_range, judge_exchange, judged, mount_case, open_with_chunk


def _cases(check_id: str) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("case_id", upload_params(cases_of(check_id)))


def _upload_check(check_id: str) -> Callable[..., None]:
    """A check judging one upload protocol, parametrised by its rows in UPLOAD_CASES."""

    @check(check_id)
    @_cases(check_id)
    def upload_check(writable: None, registry: RegistryClient, content_store: ContentStore, case_id: str) -> None:
        record = content_store.upload(case_id)
        registry.transcript.show(content_store.exchanges("upload", case_id))
        if record.violation is not None:
            raise record.violation

    return upload_check


test_blob_post_put = _upload_check("push.blob-post-put")
test_blob_post_digest = _upload_check("push.blob-post-digest")
test_blob_chunked_single = _upload_check("push.blob-chunked-single")
test_blob_chunked_multi = _upload_check("push.blob-chunked-multi")
test_blob_chunked_put_last = _upload_check("push.blob-chunked-put-last")
test_blob_stream = _upload_check("push.blob-stream")
test_mount_from = _upload_check("push.mount-from")
test_mount_anonymous = _upload_check("push.mount-anonymous")


@check("push.mount-missing")
@pytest.mark.parametrize("source", ["from", "anonymous"])
def test_mount_missing(writable: None, registry: RegistryClient, content_store: ContentStore, source: str) -> None:
    repo = content_store.repo("uploads")
    missing = Blob(random_bytes("mount-missing/never-pushed", 64))
    from_ = content_store.repo("uploads-source") if source == "from" else None
    response = registry.mount_blob(repo, missing.digest, from_)
    expect(
        response, (202,), "202 Accepted and an upload URL: no repository has such a blob to mount", "end-11", "Location"
    )
    location = require_header(response, "Location", "the upload URL in Location", "end-11")
    registry.cancel_upload(registry.resolve(response, location))


@check("push.blob-post-digest-fallback")
def test_blob_post_digest_fallback(writable: None, registry: RegistryClient, content_store: ContentStore) -> None:
    repo = content_store.repo("uploads")
    blob = Blob(random_bytes("post-digest-fallback", 512))
    response = registry.start_upload(repo, digest=blob.digest, data=blob.data)
    if response.status_code == 201:
        unsupported(f"{sent(response)} answered 201: single-POST uploads are supported, so there is no 202 fallback")
    expect(response, (202,), "201 Created, or 202 Accepted and an upload to finish with PUT", "end-4b", "Location")
    location = registry.resolve(response, require_header(response, "Location", "the upload URL", "end-4b"))
    early = [
        r for r in (registry.head_blob(repo, blob.digest), registry.get_blob(repo, blob.digest)) if r.status_code != 404
    ]
    registry.put_upload(location, blob.digest, blob.data)  # finish, so the run leaves no open upload
    assert not early, (
        f"{sent(response)} with the blob in its body answered 202 (an upload still to be finished), yet "
        f"{sent(early[0])} answered {early[0].status_code} before the closing PUT; a 202 means the registry did not "
        "take the blob: nothing is stored until the client closes the upload (end-4b)"
    )


def _judge_misplaced_chunk(
    registry: RegistryClient, repo: str, first: int, last: int, what: str, *, closing: bool = False
) -> None:
    """After bytes 0-999, a chunk with Content-Range first-last that does not continue them must get 416.

    With `closing`, the chunk comes in the closing PUT (?digest= of the whole blob) instead of a PATCH.
    """
    data = random_bytes(f"misplaced-chunk/{first}/{closing}", 3000)
    location = open_with_chunk(registry, repo, data[:1000])
    chunk = data[first : last + 1]
    if closing:
        response = registry.put_upload(location, digest_of(data), chunk, headers={"Content-Range": f"{first}-{last}"})
    else:
        response = registry.patch_upload(location, chunk, start=first)
    registry.cancel_upload(location)
    spec = (
        "end-5/end-6: the final chunk MAY come in the closing PUT; chunks MUST arrive in order" if closing else "end-5"
    )
    assert response.status_code == 416, (
        f"{sent(response)} with Content-Range: {first}-{last} after bytes 0-999 "
        f"answered {answered(response, 'Range')}; {what} must get 416 Requested Range Not Satisfiable ({spec})"
    )


@check("push.chunk-out-of-order")
def test_chunk_out_of_order(writable: None, registry: RegistryClient, content_store: ContentStore) -> None:
    _judge_misplaced_chunk(registry, content_store.repo("uploads"), 2000, 2999, "a chunk that skips bytes")


@check("push.chunk-overlap")
def test_chunk_overlap(writable: None, registry: RegistryClient, content_store: ContentStore) -> None:
    _judge_misplaced_chunk(
        registry, content_store.repo("uploads"), 500, 1499, "a chunk overlapping bytes already received"
    )


@check("push.chunk-put-misplaced")
@pytest.mark.parametrize("case", ["skips-bytes", "overlaps"])
def test_chunk_put_misplaced(writable: None, registry: RegistryClient, content_store: ContentStore, case: str) -> None:
    first, what = (
        (2000, "a closing chunk that skips bytes")
        if case == "skips-bytes"
        else (500, "a closing chunk overlapping bytes already received")
    )
    _judge_misplaced_chunk(registry, content_store.repo("uploads"), first, 2999, what, closing=True)


@check("push.upload-status")
def test_upload_status(writable: None, registry: RegistryClient, content_store: ContentStore) -> None:
    location = open_with_chunk(registry, content_store.repo("uploads"), random_bytes("upload-status", 1000))
    response = registry.upload_status(location)
    registry.cancel_upload(location)
    expect(response, (204,), "204 No Content with Range: 0-999", "end-13", "Range")
    check_range(response, 1000, "end-13")


def _judge_resumed(registry: RegistryClient, repo: str, blob: Blob, *, skip_ahead: bool) -> None:
    """The resumable push flow, every exchange judged; then the blob is there under its digest."""
    judged(registry, flows.resumable(repo, blob, skip_ahead=skip_ahead))
    head = registry.head_blob(repo, blob.digest, follow_redirects=True)
    assert head.status_code == 200 and head.headers.get("Content-Length") in (None, str(blob.size)), (
        f"{sent(head)} answered {answered(head, 'Content-Length')} after the resumed upload of {blob.size} bytes "
        "was closed with 201; the blob must be there, whole (end-2)"
    )


@check("push.resumable")
def test_resumable(writable: None, registry: RegistryClient, content_store: ContentStore) -> None:
    blob = Blob(random_bytes("resumable", 3 * flows.DEFAULT_CHUNK - 5))
    _judge_resumed(registry, content_store.repo("uploads"), blob, skip_ahead=False)


@check("push.resume-after-416")
def test_resume_after_416(writable: None, registry: RegistryClient, content_store: ContentStore) -> None:
    blob = Blob(random_bytes("resume-after-416", 3 * flows.DEFAULT_CHUNK - 5))
    _judge_resumed(registry, content_store.repo("uploads"), blob, skip_ahead=True)


def _opened_twice(repo: str, data: bytes) -> flows.Flow[tuple[str, str]]:
    """An upload holding `data` as its first chunk: the POST's URL and the PATCH's."""
    _, posted = yield from flows.start(repo)
    patched = yield from flows.patch(posted, Blob(data), 0, len(data))
    return posted, patched


@check("push.upload-status-stale")
def test_upload_status_stale(writable: None, registry: RegistryClient, content_store: ContentStore) -> None:
    opened_twice = _opened_twice(content_store.repo("uploads"), random_bytes("stale", 1000))
    posted, patched = registry.run(opened_twice, judge_exchange)
    response = registry.upload_status(posted)
    registry.cancel_upload(patched)
    wants = (
        "204 No Content with Range: 0-999 and Location: the status may be asked at the URL of any preceding "
        "POST or PATCH"
    )
    expect(response, (204,), wants, "end-13", "Range", "Location")
    require_header(response, "Location", "the upload URL to continue with", "end-13")
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
    why = not_offered(Feature.DIGEST_ALGORITHM, response)
    if why:
        unsupported(why)
    expect(response, (202,), "202 Accepted with a Location header", "end-4c", "Location")
    location = registry.resolve(response, require_header(response, "Location", "the upload URL", "end-4c"))
    done = registry.put_upload(location, blob.digest, blob.data)
    why = not_offered(Feature.DIGEST_ALGORITHM, done)
    if why:
        unsupported(why)
    expect(done, (201,), "201 Created", "end-4c")
    stored = done.headers.get("Docker-Content-Digest") or registry.head_blob(repo, blob.digest).headers.get(
        "Docker-Content-Digest"
    )
    assert stored == blob.digest, (
        f"an upload started with ?digest-algorithm=sha512 and closed with digest={blob.digest} was stored as "
        f"Docker-Content-Digest: {stored}; the registry must keep the digest the client asked for (end-4c)"
    )


BAD_DIGEST_METHODS = ["post-put", "post-digest", "chunked", "stream"]
# Closed with POST+PUT under a digest of another algorithm: a wrong sha512 digest, and an algorithm nobody registered.
BAD_DIGEST_ALGORITHMS = {
    "sha512": lambda data: digest_of(data + b"oh no", "sha512"),
    "unknown-algorithm": lambda data: "sha999:" + digest_of(data).partition(":")[2],
}


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
@pytest.mark.parametrize("method", BAD_DIGEST_METHODS + list(BAD_DIGEST_ALGORITHMS))
def test_blob_bad_digest(writable: None, registry: RegistryClient, content_store: ContentStore, method: str) -> None:
    repo = content_store.repo("uploads")
    data = random_bytes(f"bad-digest/{method}", 1500)
    wrong = BAD_DIGEST_ALGORITHMS[method](data) if method in BAD_DIGEST_ALGORITHMS else digest_of(data + b"oh no")
    flow_method = "post-put" if method in BAD_DIGEST_ALGORITHMS else method
    try:
        response = registry.run(flows.upload(repo, Mislabelled(data, wrong), flow_method)).raw
    except FlowFailed as refused:
        response = refused.response
    why = (
        "an algorithm it does not know cannot verify the data"
        if method == "unknown-algorithm"
        else "a digest that does not match the data"
    )
    assert response.status_code == 400, (
        f"{sent(response)} closed an upload of {len(data)} bytes whose digest is {digest_of(data)} and answered "
        f"{response.status_code}; {why}: the spec wants 400 (DIGEST_INVALID) (end-6)"
    )
    stored = registry.head_blob(repo, wrong)
    assert stored.status_code in (400, 404), (
        f"after a rejected upload, HEAD /v2/{repo}/blobs/{wrong} answered {stored.status_code}: "
        "content must never be stored under a digest it does not have"
    )


# -- manifests (end-7), parametrised by data set and blob push method (PUSH_MATRIX) ---------------

LARGE = "large-manifest"  # judged at SHOULD level by push.manifest-large, not push.manifest-put
push_matrix = pytest.mark.parametrize(("dataset", "method"), dataset_params(PUSH_MATRIX))
PUT_MATRIX = [row for row in PUSH_MATRIX if row != (LARGE, "post-put")]


def _excerpt(response: httpx.Response) -> str:
    text = excerpt(response)
    return f": {text}" if text else ""


def _judge_dataset_push(push: DatasetPush, label: str) -> None:
    """Every PUT of a pushed data set answered 201 with a Location and (if any) the right digest header."""
    if push.failure is not None:
        response = push.failure.response
        pytest.fail(
            f"pushing data set {label!r} ({push.dataset.title}): {sent(response)} answered "
            f"{response.status_code}{_excerpt(response)}; the spec wants 201 Created (step: {push.failure.role}; "
            f"{'end-7' if push.failure.role is Role.MANIFEST_PUT else 'end-4a..end-6'})"
        )
    for write in push.writes:
        if write.send.role is Role.MANIFEST_PUT and write.send.wrote is not None:
            _judge_manifest_created(write.reply.raw, write.send.wrote.digest)


def _judge_manifest_created(response: httpx.Response, digest: str | None) -> None:
    require = f"{sent(response)} answered 201"
    assert response.headers.get("Location"), (
        f"{require} without a Location header; the spec wants the manifest's URL (end-7)"
    )
    got = response.headers.get("Docker-Content-Digest")
    assert got is None or got == digest, (
        f"{require} with Docker-Content-Digest: {got}; the manifest's digest is {digest} (end-7)"
    )


@check("push.manifest-put")
@pytest.mark.parametrize(("dataset", "method"), dataset_params(PUT_MATRIX))
def test_manifest_put(
    writable: None, registry: RegistryClient, content_store: ContentStore, dataset: str, method: str
) -> None:
    push = content_store.dataset(dataset, method)
    registry.transcript.show(content_store.exchanges("dataset", dataset, method))
    _judge_dataset_push(push, dataset)


@check("push.manifest-large")
@pytest.mark.datasets(LARGE)
def test_manifest_large(writable: None, registry: RegistryClient, content_store: ContentStore) -> None:
    push = content_store.dataset(LARGE)
    registry.transcript.show(content_store.exchanges("dataset", LARGE, "post-put"))
    failure = push.failure
    if failure is not None and failure.role is Role.MANIFEST_PUT:
        response, size = failure.response, push.dataset.manifest.size
        refusal = (
            "413 is the right answer for a size limit, but the limit is too low"
            if response.status_code == 413
            else "a refusal for size must be 413 Payload Too Large"
        )
        pytest.fail(
            f"{sent(response)} with a manifest of {size:,} bytes answered {response.status_code}{_excerpt(response)}; "
            f"registries SHOULD accept manifest pushes of at least 4 megabytes, and {refusal} (end-7)"
        )
    _judge_dataset_push(push, LARGE)


@check("push.manifest-location")
@push_matrix
def test_manifest_location(
    writable: None, registry: RegistryClient, content_store: ContentStore, dataset: str, method: str
) -> None:
    push = content_store.dataset(dataset, method)
    if not push.pushed:
        pytest.skip(f"data set {dataset!r} was not pushed; see push.manifest-put[{matrix_id(dataset, method)}]")
    registry.transcript.show(content_store.exchanges("dataset", dataset, method))
    for write in push.writes:  # read back through its Location while the data set was pushed; judged here
        for send, reply in write.read:
            judge_exchange(send, reply.raw)


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


def _judge_tag_param(registry: RegistryClient, repo: str, image: content.Manifest, tags: list[str]) -> None:
    """PUT by digest with one ?tag= per tag: 201, one OCI-Tag per tag, and every tag resolves."""
    response = registry.request(
        "PUT",
        f"/v2/{repo}/manifests/{image.digest}",
        params=[("tag", t) for t in tags],
        content=image.body,
        headers={"Content-Type": image.media_type},
    )
    expect(response, (201,), "201 Created", "end-7b", "OCI-Tag")
    answered_tags = [t.strip() for value in response.headers.get_list("OCI-Tag") for t in value.split(",")]
    why = not_offered(Feature.TAG_PARAM, response)
    if why:
        if registry.head_manifest(repo, tags[0]).status_code == 404:
            unsupported(why)
        pytest.fail(
            f"{sent(response)} created tag {tags[0]} but answered no OCI-Tag header; "
            "the spec wants one per tag (end-7b)"
        )
    assert sorted(answered_tags) == sorted(tags), (
        f"{sent(response)} with {len(tags)} tags answered OCI-Tag: {answered_tags}; the spec wants exactly "
        f"{sorted(tags)} (end-7b)"
    )
    for tag in tags:
        head = registry.head_manifest(repo, tag)
        assert head.status_code == 200, (
            f"HEAD /v2/{repo}/manifests/{tag} answered {head.status_code} after OCI-Tag: {tag} (end-7b)"
        )


@check("push.manifest-tag-param")
def test_manifest_tag_param(registry: RegistryClient, stored_image: tuple[str, content.Manifest]) -> None:
    repo, image = stored_image
    _judge_tag_param(registry, repo, image, ["tag-param-a", "tag-param-b"])


@check("push.manifest-tag-param-ten")
def test_manifest_tag_param_ten(registry: RegistryClient, stored_image: tuple[str, content.Manifest]) -> None:
    repo, image = stored_image
    _judge_tag_param(registry, repo, image, [f"tag-param-{i:02}" for i in range(10)])


@check("push.manifest-by-digest")
@pytest.mark.parametrize("dataset", dataset_params(n for n in DATASET_NAMES if n != LARGE))  # the 4 MB: pushed once
def test_manifest_by_digest(
    writable: None, registry: RegistryClient, content_store: ContentStore, dataset: str
) -> None:
    push = content_store.dataset(dataset)
    if not push.pushed:
        pytest.skip(f"data set {dataset!r} was not pushed; see push.manifest-put[{dataset}]")
    ds = push.dataset
    own = content_store.repo(f"by-digest-{dataset}")
    copy_dataset(registry, push, own)  # where no other check reads: see copy_dataset
    registry.transcript.clear()
    puts = [(m.digest, m) for m in ds.manifests()] + ([(ds.tag, ds.manifest)] if ds.tag else [])
    for reference, manifest in puts:  # children first, every manifest by digest, then the tag

        def judge_put(send: flows.Send, response: httpx.Response, by: str = reference,
                      digest: str = manifest.digest) -> None:
            if send.role is not Role.MANIFEST_PUT:
                judge_exchange(send, response)  # its Location, read back
                return
            expect(response, (201,), f"201 Created for a manifest PUT by {'tag' if by == ds.tag else 'digest'}",
                   "end-7", "Location", "Docker-Content-Digest")
            _judge_manifest_created(response, digest)

        put = flows.put_manifest(own, reference, manifest.body, manifest.media_type, manifest.digest)
        registry.run(flows.reading_back(put), observe=judge_put)


OVERWRITTEN = "overwritten"


@check("push.tag-overwrite")
def test_tag_overwrite(registry: RegistryClient, repo: str) -> None:
    a, b = datasets.build("image").manifest, datasets.build("index").manifest
    for manifest in (a, *b.children):  # what the tag is PUT with, in a repository of the check's own
        try:
            registry.push_image(repo, manifest, None)
        except FlowFailed as failed:
            pytest.skip(f"the manifests to tag could not be pushed ({failed}); see push.manifest-put")
    registry.transcript.clear()
    for manifest in (a, b):
        response = registry.put_manifest(repo, OVERWRITTEN, manifest)
        expect(response, (201,), "201 Created", "end-7")
    get, head = registry.get_manifest(repo, OVERWRITTEN), registry.head_manifest(repo, OVERWRITTEN)
    expect(get, (200,), "200 OK and the manifest the tag was PUT with last", "end-3")
    problems = []
    if get.content != b.body:
        was = "the first manifest, " + a.digest if get.content == a.body else f"{len(get.content)} other bytes"
        problems.append(f"GET served {was}")
    for response in (get, head):
        digest = response.headers.get("Docker-Content-Digest")
        if digest not in (None, b.digest):
            problems.append(f"{response.request.method} answered Docker-Content-Digest: {digest}")
        ctype = (response.headers.get("Content-Type") or "").split(";")[0].strip()
        if ctype != b.media_type:
            problems.append(f"{response.request.method} answered Content-Type: {response.headers.get('Content-Type')}")
    if head.headers.get("Content-Length") not in (None, str(b.size)):
        problems.append(f"HEAD answered Content-Length: {head.headers.get('Content-Length')}")
    assert not problems, (
        f"tag {OVERWRITTEN!r} of /v2/{repo} was PUT with {a.digest} ({a.media_type}), then with {b.digest} "
        f"({b.media_type}), both answered 201; then {'; '.join(problems)}. A tag PUT again points at the new "
        "manifest (end-7, end-3)"
    )
    kept = registry.get_manifest(repo, a.digest)
    assert kept.status_code == 200 and kept.content == a.body, (
        f"{sent(kept)} answered {kept.status_code} after its tag moved to another manifest; retagging must not "
        "delete the manifest it pointed at"
    )
    listed = registry.all_tags(repo)
    assert listed.count(OVERWRITTEN) == 1, (
        f"GET /v2/{repo}/tags/list lists {OVERWRITTEN!r} {listed.count(OVERWRITTEN)} times; a tag PUT twice "
        "is one tag (end-8a)"
    )


TOO_LARGE_BYTES = 8 << 20  # over the common 4 MiB limits, small enough to send in well under a second


@check("push.manifest-too-large")
def test_manifest_too_large(registry: RegistryClient, stored_image: tuple[str, content.Manifest]) -> None:
    repo, image = stored_image
    body = content.canonical_json({**image.json, "annotations": {"org.regsuite.padding": "A" * TOO_LARGE_BYTES}})
    response = registry.put_manifest(repo, "too-large", body, image.media_type)
    if response.status_code == 201:
        unsupported(
            f"{sent(response)} accepted a manifest of {len(body):,} bytes: no size limit at this size, and 413 is "
            "owed only by registries that enforce one"
        )
    assert response.status_code == 413, (
        f"{sent(response)} with a manifest of {len(body):,} bytes answered {response.status_code}{_excerpt(response)}; "
        "a registry refusing a manifest over its size limit SHOULD answer 413 Payload Too Large (end-7)"
    )


@check("push.manifest-content-type-params")
def test_manifest_content_type_params(registry: RegistryClient, stored_image: tuple[str, content.Manifest]) -> None:
    repo, image = stored_image
    ctype = f"{image.media_type}; charset=utf-8"
    response = registry.put_manifest(repo, "content-type-params", image, media_type=ctype)
    assert response.status_code == 201, (
        f"{sent(response)} with Content-Type: {ctype} answered {response.status_code}{_excerpt(response)}; "
        "the registry SHOULD ignore parameters on the Content-Type of a manifest PUT (end-7)"
    )
    got = registry.get_manifest(repo, "content-type-params")
    served = (got.headers.get("Content-Type") or "").split(";")[0].strip()
    assert got.status_code == 200 and served == image.media_type, (
        f"{sent(got)} answered {answered(got, 'Content-Type')} for a manifest pushed with Content-Type: {ctype}; "
        f"it must be served as its mediaType {image.media_type} (end-3)"
    )


# -- sha512 beyond uploads: judged where the registry keeps sha512 digests (the sha512_repo fixture) ---------


def _judge_stored(registry: RegistryClient, repo: str, blob: Blob, spec: str) -> None:
    """HEAD and GET of `blob` by its digest: 200, its size, its bytes, and no other digest."""
    head, get = registry.head_blob(repo, blob.digest, follow_redirects=True), registry.get_blob(repo, blob.digest)
    for response in (head, get):
        expect(response, (200,), f"200 OK for the blob stored under {blob.digest}", spec)
        digest = response.headers.get("Docker-Content-Digest")
        assert digest in (None, blob.digest), (
            f"{sent(response)} answered Docker-Content-Digest: {digest}; the blob's digest is {blob.digest} ({spec})"
        )
    assert head.headers.get("Content-Length") == str(blob.size), (
        f"{sent(head)} answered {answered(head, 'Content-Length')}; the blob is {blob.size} bytes ({spec})"
    )
    assert get.content == blob.data, (
        f"{sent(get)} served {len(get.content)} bytes that are not the {blob.size} bytes pushed ({spec})"
    )


@check("push.sha512-mount")
def test_sha512_mount(registry: RegistryClient, sha512_repo: str) -> None:
    blob = Blob(random_bytes("sha512-mount", 512), algorithm="sha512")
    target = f"{sha512_repo}-sha512-mount"
    mount_case(registry, target, blob, f"{sha512_repo}-source")
    _judge_stored(registry, target, blob, "end-11")


@check("push.sha512-empty-blob")
def test_sha512_empty_blob(registry: RegistryClient, sha512_repo: str) -> None:
    blob = Blob(b"", algorithm="sha512")
    judged(registry, flows.post_put(sha512_repo, blob))
    _judge_stored(registry, sha512_repo, blob, "end-6")
