"""Area pull: blobs and manifests by GET and HEAD, Range requests, unknown content, and HEAD/GET agreement.

Blobs are those pushed by the push checks (same case ids), manifests those of
every data set (regsuite/datasets.py); in read-only mode, the preloaded
content. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from regsuite import flows
from regsuite.client import RegistryClient
from regsuite.content import Blob, random_bytes
from regsuite.digest import algorithm_of, digest_of
from regsuite.fixtures.checks import check, unsupported
from regsuite.fixtures.store import BlobSubject, ExpectedManifest, Observation, PullSubject
from regsuite.judge import answered, expect, sent
from regsuite.mediatypes import ACCEPT_ALL_MANIFESTS
from regsuite.uploads import judged


def _blob_digest(data: bytes, like: str) -> str:
    return digest_of(data, algorithm_of(like))


@check("pull.blob-get")
def test_blob_get(registry: RegistryClient, blob_subject: BlobSubject) -> None:
    response = registry.get_blob(blob_subject.repo, blob_subject.digest)
    expect(response, (200,), "200 OK with the blob", "end-2")
    got = _blob_digest(response.content, blob_subject.digest)
    assert got == blob_subject.digest, (
        f"{sent(response)} served {len(response.content)} bytes whose digest is {got}; "
        f"the spec wants the blob {blob_subject.digest} (end-2)"
    )
    length = response.headers.get("Content-Length")
    assert length in (None, str(len(response.content))), (
        f"{sent(response)} answered Content-Length: {length} with a body of {len(response.content)} bytes (end-2)"
    )


@check("pull.blob-get-length")
def test_blob_get_length(registry: RegistryClient, blob_subject: BlobSubject) -> None:
    response = registry.get_blob(blob_subject.repo, blob_subject.digest)
    expect(response, (200,), "200 OK with the blob", "end-2")
    length = response.headers.get("Content-Length")
    assert length == str(len(response.content)), (
        f"{sent(response)} served {len(response.content)} bytes with {answered(response, 'Content-Length')}; a blob "
        "GET SHOULD announce its size: HEAD SHOULD carry Content-Length (end-2) and answers as GET would "
        "(RFC 9110 9.3.2), and the official suite requires it on GET"
    )


@check("pull.blob-head")
def test_blob_head(registry: RegistryClient, blob_subject: BlobSubject) -> None:
    response = registry.head_blob(blob_subject.repo, blob_subject.digest, follow_redirects=True)
    expect(response, (200,), "200 OK: the blob exists", "end-2")
    length = response.headers.get("Content-Length")
    if blob_subject.data is not None:
        assert length == str(len(blob_subject.data)), (
            f"{sent(response)} answered {answered(response, 'Content-Length')}; "
            f"the blob is {len(blob_subject.data)} bytes "
            "and HEAD must announce its size (end-2)"
        )
    else:
        assert length is not None and length.isdigit(), (
            f"{sent(response)} answered {answered(response, 'Content-Length')}; "
            "HEAD must announce the blob's size (end-2)"
        )
    digest = response.headers.get("Docker-Content-Digest")
    assert digest in (None, blob_subject.digest), (
        f"{sent(response)} answered Docker-Content-Digest: {digest}; the blob's digest is {blob_subject.digest} (end-2)"
    )


@check("pull.blob-unknown")
def test_blob_unknown(registry: RegistryClient, pull_repo: str) -> None:
    digest = digest_of(random_bytes("never-pushed-blob", 64))
    for response in (
        registry.head_blob(pull_repo, digest, follow_redirects=True),
        registry.get_blob(pull_repo, digest),
    ):
        expect(response, (404,), "404 Not Found for a blob the repository does not have", "end-2")


@check("pull.manifest-unknown")
@pytest.mark.parametrize("reference", ["tag", "digest"])
def test_manifest_unknown(registry: RegistryClient, pull_repo: str, reference: str) -> None:
    ref = "no-such-tag" if reference == "tag" else digest_of(random_bytes("never-pushed-manifest", 64))
    for response in (registry.head_manifest(pull_repo, ref), registry.get_manifest(pull_repo, ref)):
        expect(response, (404,), f"404 Not Found for an unknown manifest {reference}", "end-3")


# -- HEAD/GET agreement and the digest header, over the data sets ------------------


@check("pull.head-get-agree")
def test_head_get_agree(pull_subject: PullSubject, observed: list[Observation]) -> None:
    for o in observed:
        head, get = o.head, o.get
        pairs = {
            "status": (head.status_code, get.status_code),
            "Content-Length": (
                head.headers.get("Content-Length"),
                get.headers.get("Content-Length", str(len(get.content))),
            ),
            "Content-Type": (head.headers.get("Content-Type"), get.headers.get("Content-Type")),
            "Docker-Content-Digest": (
                head.headers.get("Docker-Content-Digest"),
                get.headers.get("Docker-Content-Digest"),
            ),
        }
        for what, (h, g) in pairs.items():
            assert h == g, (
                f"HEAD and GET /v2/{pull_subject.repo}/{o.kind}/{o.reference} disagree on {what}: HEAD says {h}, "
                f"GET says {g}; HEAD must answer what GET would, without the body"
            )


@check("pull.digest-header")
def test_digest_header(observed: list[Observation]) -> None:
    for o in observed:
        for response in (o.head, o.get):
            value = response.headers.get("Docker-Content-Digest")
            assert value == o.digest, (
                f"{sent(response)} answered {answered(response, 'Docker-Content-Digest')}; "
                f"the spec (main) requires Docker-Content-Digest: {o.digest} on every GET and HEAD"
            )


# -- Range requests ------------------------------------------------------------------

# Each case: (first byte, last byte) for a blob of n bytes, and the Range header asking for them.
RangeCase = Callable[[int], tuple[int, int, str]]
RANGES: dict[str, RangeCase] = {
    "middle": lambda n: (n // 4, n // 2 - 1, f"bytes={n // 4}-{n // 2 - 1}"),
    "open-ended": lambda n: (n // 4, n - 1, f"bytes={n // 4}-"),
    "suffix": lambda n: (n - n // 4, n - 1, f"bytes=-{n // 4}"),
    "past-the-end": lambda n: (n - 48, n - 1, f"bytes={n - 48}-{n + 3000}"),
}
UNSATISFIABLE: dict[str, Callable[[int], str]] = {
    "beyond-the-end": lambda n: f"bytes={n + 1000}-{n + 2000}",
    "inverted": lambda n: f"bytes={n // 2}-{n // 4}",
}


def _judge_range(registry: RegistryClient, repo: str, digest: str, data: bytes, case: str) -> None:
    n = len(data)
    first, last, header = RANGES[case](n)
    response = registry.get_blob(repo, digest, range=header)
    if response.status_code == 200 and response.content == data:
        unsupported(
            f"{sent(response)} with Range: {header} answered 200 with the whole blob: Range requests are ignored"
        )
    expect(response, (206,), f"206 Partial Content for Range: {header}", "end-2, RFC 9110 §14", "Content-Range")
    content_range = response.headers.get("Content-Range")
    assert content_range in (f"bytes {first}-{last}/{n}", f"bytes {first}-{last}/*"), (
        f"{sent(response)} with Range: {header} answered Content-Range: {content_range}; "
        f"want bytes {first}-{last}/{n} (RFC 9110 §14.4)"
    )
    length = response.headers.get("Content-Length")
    assert length == str(last - first + 1), (
        f"{sent(response)} with Range: {header} answered Content-Length: {length}; "
        f"the range holds {last - first + 1} bytes"
    )
    assert response.content == data[first : last + 1], (
        f"{sent(response)} with Range: {header} answered bytes that are not bytes {first}-{last} of the blob"
    )


@check("pull.blob-range")
@pytest.mark.parametrize("case", list(RANGES))
def test_blob_range(registry: RegistryClient, range_blob: BlobSubject, case: str) -> None:
    assert range_blob.data is not None
    _judge_range(registry, range_blob.repo, range_blob.digest, range_blob.data, case)


@check("pull.sha512-range")
@pytest.mark.parametrize("case", list(RANGES))
def test_sha512_range(registry: RegistryClient, sha512_repo: str, case: str) -> None:
    # a blob per case: the cases run side by side, and two uploads of one blob at once race on some registries
    blob = Blob(random_bytes(f"sha512-range-{case}", 2048), algorithm="sha512")
    if registry.head_blob(sha512_repo, blob.digest).status_code != 200:
        judged(registry, flows.post_put(sha512_repo, blob))
        registry.transcript.clear()
    _judge_range(registry, sha512_repo, blob.digest, blob.data, case)


@check("pull.blob-range-unsatisfiable")
@pytest.mark.parametrize("case", list(UNSATISFIABLE))
def test_blob_range_unsatisfiable(registry: RegistryClient, range_blob: BlobSubject, case: str) -> None:
    data = range_blob.data
    assert data is not None
    header = UNSATISFIABLE[case](len(data))
    path = f"/v2/{range_blob.repo}/blobs/{range_blob.digest}"
    try:
        response = registry.get_blob(range_blob.repo, range_blob.digest, range=header)
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.ReadTimeout) as exc:
        # The body was shorter than announced (or never came);
        # the exchange recorded before the read says what was announced.
        answer = registry.transcript.exchanges[-1]
        headers = dict(answer.response_headers)
        pytest.fail(
            f"GET {path} with Range: {header} answered {answer.status} announcing Content-Length: "
            f"{headers.get('content-length')}, then did not send that many bytes ({type(exc).__name__}: {exc}); "
            "an HTTP answer must carry the body it announces (RFC 9110 §8.6)"
        )
    status = response.status_code
    body = response.content
    if status == 200 and body == data:
        if case == "inverted":
            return  # an invalid range may be ignored (RFC 9110 §14.2)
        unsupported(f"GET {path} with Range: {header} answered 200 with the whole blob: Range requests are ignored")
    assert status == 416, (
        f"GET {path} with Range: {header} (blob of {len(data)} bytes) answered {status}; "
        "the spec wants 416 Range Not Satisfiable (RFC 9110 §15.5.17)"
    )


# -- manifests (end-3), every data set -----------------------------------------------------------


def _same_type(header: str | None, media_type: str | None) -> bool:
    return (header or "").split(";")[0].strip() == media_type


def _manifests(observed: list[Observation]) -> list[Observation]:
    return [o for o in observed if o.kind == "manifests"]


def _judge_body(response: httpx.Response, expected: ExpectedManifest) -> None:
    if expected.body is not None:
        assert response.content == expected.body, (
            f"{sent(response)} answered {len(response.content)} bytes that differ from the {len(expected.body)} "
            f"bytes pushed (digest {expected.reference}); a registry must serve manifests byte for byte (end-3)"
        )
    got = digest_of(response.content, algorithm_of(expected.reference))
    assert got == expected.reference, (
        f"{sent(response)} served a manifest whose digest is {got}; "
        f"the spec wants the content of {expected.reference} (end-3)"
    )


def _expected(subject: PullSubject, digest: str) -> ExpectedManifest:
    return next(m for m in subject.manifests if m.reference == digest)


@check("pull.manifest-by-tag")
def test_manifest_by_tag(pull_subject: PullSubject, observed: list[Observation]) -> None:
    if not pull_subject.tag:
        pytest.skip(f"data set {pull_subject.label!r} is pushed by digest only")
    get = next(o.get for o in observed if o.reference == pull_subject.tag)
    expect(get, (200,), "200 OK with the manifest", "end-3")
    _judge_body(get, pull_subject.top)


@check("pull.manifest-by-digest")
def test_manifest_by_digest(pull_subject: PullSubject, observed: list[Observation]) -> None:
    for o in _manifests(observed):
        if o.reference == o.digest:
            expect(o.get, (200,), "200 OK with the manifest", "end-3")
            _judge_body(o.get, _expected(pull_subject, o.digest))


@check("pull.manifest-head")
def test_manifest_head(pull_subject: PullSubject, observed: list[Observation]) -> None:
    for o in _manifests(observed):
        expect(o.head, (200,), "200 OK: the manifest exists", "end-3")
        manifest = _expected(pull_subject, o.digest)
        length = o.head.headers.get("Content-Length")
        if manifest.body is not None:
            assert length == str(len(manifest.body)), (
                f"{sent(o.head)} answered Content-Length: {length}; the manifest is {len(manifest.body)} bytes (end-3)"
            )
        digest = o.head.headers.get("Docker-Content-Digest")
        assert digest in (None, o.digest), (
            f"{sent(o.head)} answered Docker-Content-Digest: {digest}; the manifest's digest is {o.digest} (end-3)"
        )


@check("pull.manifest-content-type")
def test_manifest_content_type(pull_subject: PullSubject, observed: list[Observation]) -> None:
    for o in _manifests(observed):
        media_type = _expected(pull_subject, o.digest).media_type
        for response in (o.get, o.head):
            expect(response, (200,), "200 OK", "end-3")
            assert _same_type(response.headers.get("Content-Type"), media_type), (
                f"{sent(response)} answered {answered(response, 'Content-Type')}; the manifest's mediaType is "
                f"{media_type} and the Content-Type must equal it"
            )


@check("pull.manifest-content-type-exact")
def test_manifest_content_type_exact(pull_subject: PullSubject, observed: list[Observation]) -> None:
    for o in _manifests(observed):
        media_type = _expected(pull_subject, o.digest).media_type
        for response in (o.get, o.head):
            header = response.headers.get("Content-Type")
            if response.status_code != 200 or not _same_type(header, media_type):
                continue  # pull.manifest-content-type judges the status and the type itself
            assert header == media_type, (
                f"{sent(response)} answered Content-Type: {header}; the type is right, but the registry SHOULD NOT "
                f"include parameters: the spec wants exactly {media_type} (end-3; the official suite fails it)"
            )


@check("pull.oci-namespace")
def test_oci_namespace(registry: RegistryClient, pull_reference: tuple[str, str]) -> None:
    repo, reference = pull_reference
    ns = registry.target.url.split("://", 1)[1].rstrip("/")  # the host a client names the repository with
    response = registry.request(
        "GET", f"/v2/{repo}/manifests/{reference}", params={"ns": ns}, headers={"Accept": ACCEPT_ALL_MANIFESTS}
    )
    expect(response, (200,), f"200 OK: the manifest, whether or not the registry uses ns={ns}", "registry-proxying")
    echoed = response.headers.get("OCI-Namespace")
    if echoed is None:
        unsupported(f"{sent(response)} answered without OCI-Namespace: the registry ignores ns (it MAY)")
    assert echoed == ns, (
        f"{sent(response)} answered OCI-Namespace: {echoed}; a registry scoping a request by ns SHOULD answer "
        f"the ns value, {ns} (registry proxying)"
    )
