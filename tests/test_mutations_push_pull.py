"""Every ping, push and pull check can fail: a table of planted faults, one per run.

Each row puts one `Mutation` (or none) on a fault proxy in front of a real
distribution registry, runs only the checks concerned in a pytest subprocess
and asserts their verdicts: the checks the fault breaks fail; "control" rows
show that a check distribution 2.8.2 fails can pass when the answer is right.
A last test runs the areas against plain distribution and compares the
verdicts with the shipped expectations (tests/expected_verdicts.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from regsuite.client import RegistryClient
from regsuite.content import random_bytes
from regsuite.digest import digest_of
from regsuite.results import Outcome
from regsuite.target import Target
from regsuite.testing.faultproxy import Mutation, ProxyRequest, ProxyResponse
from tests.expected_verdicts import verdict_mismatches
from tests.mutation_table import Row, each_row, run_row
from tests.registry_fixes import error_body, latest_upload_state, tag_parameters
from tests.support import run_conformance

UPLOAD = r"/blobs/uploads/"
MANIFEST = r"/manifests/"
BLOB = r"/blobs/sha(256|512):"
UNKNOWN_BLOB = digest_of(random_bytes("never-pushed-blob", 64))  # as conformance/test_pull.py asks for it
# Only the files holding these checks are collected, and deletes are off (no probe, no cleanup): seconds per run.
PATHS = [
    "conformance/test_ping.py",
    "conformance/test_push.py",
    "conformance/test_pull.py",
]
FAST = ("--registry-delete", "no")


def _m(name: str, **kwargs: object) -> Callable[[str], list[Mutation]]:
    """A row's single mutation, made fresh for each run (some keep state)."""
    return lambda upstream: [Mutation(name, **kwargs)]  # type: ignore[arg-type]


def _after_first(count: int = 1) -> Callable[[ProxyRequest], bool]:
    """Match every request but the first `count` (the run's own probe of /v2/ must succeed)."""
    seen = [0]

    def when(_: ProxyRequest) -> bool:
        seen[0] += 1
        return seen[0] > count

    return when


def _range_start(request: ProxyRequest) -> int | None:
    m = re.match(r"bytes=(\d+)-(\d*)", request.headers.get("range", ""))
    return int(m.group(1)) if m else None


def _unsatisfiable(request: ProxyRequest) -> bool:
    m = re.match(r"bytes=(\d+)-(\d+)$", request.headers.get("range", ""))
    return bool(m) and (int(m.group(1)) >= 2048 or int(m.group(2)) < int(m.group(1)))


def _keep_sha512(request: ProxyRequest, response: ProxyResponse) -> ProxyResponse:
    """What a registry supporting sha512 answers: the digest the client asked for."""
    m = re.search(r"digest=(sha512(?:%3A|:)[0-9a-f]+)", request.path)
    if m and response.status == 201:
        response.set_header("Docker-Content-Digest", unquote(m.group(1)))
    return response


def _misplaced_closing_chunk(request: ProxyRequest) -> bool:
    """A closing PUT carrying a chunk that does not start at byte 1000 (what the check sends after 0-999)."""
    return request.method == "PUT" and not request.headers.get("content-range", "1000-").startswith("1000-")


def _with_parameter(request: ProxyRequest, response: ProxyResponse) -> ProxyResponse:
    ctype = response.header("Content-Type")
    if ctype:
        response.set_header("Content-Type", f"{ctype}; charset=utf-8")
    return response


def _echo_ns(request: ProxyRequest, response: ProxyResponse) -> ProxyResponse:
    """What a registry scoping requests by ns answers: OCI-Namespace with the ns value."""
    ns = parse_qs(urlsplit(request.path).query).get("ns")
    if ns:
        response.set_header("OCI-Namespace", ns[0])
    return response


def _stored_on_post(upstream: str) -> Callable[[ProxyRequest, ProxyResponse], ProxyResponse]:
    """A registry that answers 202 to a POST with ?digest= and the blob, but stores the blob all the same."""

    def store(request: ProxyRequest, response: ProxyResponse) -> ProxyResponse:
        path = urlsplit(request.path).path.removesuffix("/blobs/uploads/").removeprefix("/v2/")
        with RegistryClient(Target(upstream)) as client:
            client.push_blob(path, request.body)
        return response

    return store


def _upload_id(path: str) -> str:
    return urlsplit(path).path.rstrip("/").rsplit("/", 1)[-1]


def _skip_ahead(request: ProxyRequest) -> bool:
    """The chunk the resumable check sends after bytes 0-1023, skipping byte 1024."""
    return request.headers.get("content-range", "").startswith("1025-")


def _lost_after_status() -> list[Mutation]:
    """A registry that forgets an upload once its status was asked: later PATCH and PUT answer 404."""
    asked: set[str] = set()

    def remember(request: ProxyRequest, response: ProxyResponse) -> ProxyResponse:
        if response.status == 204:
            asked.add(_upload_id(request.path))
        return response

    return [
        Mutation("remember status queries", method="GET", path=UPLOAD, response=remember),
        Mutation(
            "forget the upload",
            path=UPLOAD,
            when=lambda r: r.method in ("PATCH", "PUT") and _upload_id(r.path) in asked,
            respond=(404, {"Content-Type": "application/json"}, error_body("BLOB_UPLOAD_UNKNOWN")),
        ),
    ]


ROWS = [
    # -- ping
    Row(
        "v2-404",
        lambda upstream: [Mutation("v2-404", path=r"^/v2/$", when=_after_first(), status=404)],
        fail=("ping.v2-200",),
    ),
    Row(
        "no-api-version",
        _m("no-api-version", path=r"^/v2/$", drop_headers=("Docker-Distribution-API-Version",)),
        fail=("ping.api-version-header",),
    ),
    # -- blob uploads
    Row(
        "put-upload-202",
        _m("put-upload-202", method="PUT", path=UPLOAD, status=202),
        fail=(
            "push.blob-post-put[sha256]",
            "push.blob-post-put[empty]",
            "push.blob-post-put[empty-json]",
            "push.blob-post-digest[sha256]",
            "push.blob-chunked-put-last[sha256]",
        ),
    ),
    Row(
        "put-upload-no-location",
        _m("put-upload-no-location", method="PUT", path=UPLOAD, drop_headers=("Location",)),
        fail=("push.blob-post-put[sha256]",),
    ),
    Row(
        "put-upload-wrong-digest",
        _m(
            "put-upload-wrong-digest",
            method="PUT",
            path=UPLOAD,
            set_headers={"Docker-Content-Digest": digest_of(b"other")},
        ),
        fail=("push.blob-post-put[sha256]", "push.blob-chunked-multi[sha256]"),
    ),
    Row(
        "post-no-location",
        _m("post-no-location", method="POST", path=UPLOAD, drop_headers=("Location",)),
        fail=("push.blob-post-put[sha256]", "push.blob-stream[sha256]"),
    ),
    Row(
        "post-digest-200",
        _m("post-digest-200", method="POST", path=r"uploads/\?digest=", status=200),
        fail=("push.blob-post-digest[sha256]",),
    ),
    Row(
        "patch-no-range",
        _m("patch-no-range", method="PATCH", drop_headers=("Range",)),
        fail=(
            "push.blob-chunked-single[sha256]",
            "push.blob-chunked-multi[sha256]",
            "push.blob-chunked-put-last[sha256]",
            "push.blob-stream[sha256]",
        ),
    ),
    Row(
        "patch-range-stuck",
        _m("patch-range-stuck", method="PATCH", set_headers={"Range": "0-0"}),
        fail=("push.blob-chunked-multi[sha256]", "push.upload-status"),
    ),
    Row(
        "streamed-patch-refused",
        _m("streamed-patch-refused", method="PATCH", when=lambda r: "content-range" not in r.headers, status=400),
        fail=("push.blob-stream[sha256]",),
    ),
    Row(
        "chunk-order-enforced",
        _m(
            "chunk-order-enforced",
            method="PATCH",
            when=lambda r: r.headers.get("content-range", "").startswith(("2000-", "500-")),
            respond=(416, {}, b""),
        ),
        passes=("push.chunk-out-of-order", "push.chunk-overlap"),
    ),
    Row(
        "closing-chunk-misplaced-201",
        _m("closing-chunk-misplaced-201", path=UPLOAD, when=_misplaced_closing_chunk, respond=(201, {}, b"")),
        fail=("push.chunk-put-misplaced[skips-bytes]", "push.chunk-put-misplaced[overlaps]"),
    ),
    Row(
        "closing-chunk-misplaced-416",
        _m("closing-chunk-misplaced-416", path=UPLOAD, when=_misplaced_closing_chunk, respond=(416, {}, b"")),
        passes=("push.chunk-put-misplaced[skips-bytes]", "push.chunk-put-misplaced[overlaps]"),
    ),
    Row(
        "stale-upload-status-kept",
        lambda upstream: [latest_upload_state()],
        passes=("push.upload-status-stale", "push.upload-status"),
    ),
    Row(
        "stale-upload-status-without-range",
        lambda upstream: [
            latest_upload_state(),
            Mutation("no Range", method="GET", path=UPLOAD, drop_headers=("Range",)),
        ],
        fail=("push.upload-status-stale",),
    ),
    Row(
        "post-digest-202-but-stored",
        lambda upstream: [
            Mutation("stored on POST", method="POST", path=r"uploads/\?digest=", response=_stored_on_post(upstream))
        ],
        fail=("push.blob-post-digest-fallback",),
    ),
    Row(
        "chunk-order-ignored",
        _m(
            "chunk-order-ignored",
            method="PATCH",
            when=lambda r: r.headers.get("content-range", "").startswith(("2000-", "500-")),
            status=202,
        ),
        fail=("push.chunk-out-of-order", "push.chunk-overlap"),
    ),
    Row(
        "skip-ahead-refused",
        _m("skip-ahead-refused", method="PATCH", when=_skip_ahead, respond=(416, {}, b"")),
        passes=("push.resumable", "push.resume-after-416"),
    ),
    Row(
        "upload-lost-after-status",
        lambda upstream: [
            Mutation("skip-ahead refused", method="PATCH", when=_skip_ahead, respond=(416, {}, b"")),
            *_lost_after_status(),
        ],
        fail=("push.resumable", "push.resume-after-416"),
    ),
    Row(
        "upload-status-200",
        _m("upload-status-200", method="GET", path=UPLOAD, status=200),
        fail=("push.upload-status", "push.upload-cancel"),
    ),
    Row("cancel-202", _m("cancel-202", method="DELETE", path=UPLOAD, status=202), fail=("push.upload-cancel",)),
    Row(
        "sha512-kept",
        _m("sha512-kept", method="PUT", path=UPLOAD, response=_keep_sha512),
        passes=("push.digest-algorithm",),
    ),
    Row(
        "bad-digest-accepted",
        _m("bad-digest-accepted", method="PUT", path=UPLOAD, status=201),
        fail=(
            "push.blob-bad-digest[post-put]",
            "push.blob-bad-digest[post-digest]",
            "push.blob-bad-digest[chunked]",
            "push.blob-bad-digest[stream]",
            "push.blob-bad-digest[sha512]",
            "push.blob-bad-digest[unknown-algorithm]",
        ),
    ),
    Row(
        "mount-200",
        _m("mount-200", method="POST", path=r"mount=", status=200),
        fail=(
            "push.mount-from[sha256]",
            "push.mount-anonymous[sha256]",
            "push.mount-missing[from]",
            "push.mount-missing[anonymous]",
        ),
    ),
    Row(
        "mount-missing-201",
        _m("mount-missing-201", method="POST", path=r"mount=", status=201),
        fail=("push.mount-missing[from]", "push.mount-missing[anonymous]"),
    ),
    # -- manifest PUT
    Row(
        "manifest-put-no-location",
        _m("manifest-put-no-location", method="PUT", path=MANIFEST, drop_headers=("Location",)),
        fail=("push.manifest-put[image]", "push.manifest-put[index]"),
    ),
    Row(
        "manifest-put-wrong-digest",
        _m(
            "manifest-put-wrong-digest",
            method="PUT",
            path=MANIFEST,
            set_headers={"Docker-Content-Digest": digest_of(b"other")},
        ),
        fail=("push.manifest-put[artifact]",),
    ),
    Row(
        "manifest-put-500",
        _m("manifest-put-500", method="PUT", path=MANIFEST + "docker-schema2", status=500),
        fail=("push.manifest-put[docker-schema2-chunked]",),
    ),
    Row(
        "location-elsewhere",
        _m(
            "location-elsewhere",
            method="PUT",
            path=MANIFEST,
            set_headers={"Location": "/v2/regsuite/elsewhere/manifests/latest"},
        ),
        fail=("push.manifest-location[image]", "push.manifest-location[nested-index]"),
    ),
    Row(
        "blob-location-elsewhere",
        _m(
            "blob-location-elsewhere",
            method="PUT",
            path=UPLOAD,
            set_headers={"Location": f"/v2/regsuite/elsewhere/blobs/{UNKNOWN_BLOB}"},
        ),
        fail=("push.manifest-location[image-stream]",),
    ),
    Row(
        "manifest-bad-digest-accepted",
        _m("manifest-bad-digest-accepted", method="PUT", path=MANIFEST + "sha256:", status=201),
        fail=("push.manifest-bad-digest",),
    ),
    Row(
        "malformed-digest-400",
        _m(
            "malformed-digest-400",
            method="PUT",
            path=MANIFEST + "sha256:0123abc$",
            respond=(
                400,
                {"Content-Type": "application/json"},
                b'{"errors":[{"code":"DIGEST_INVALID","message":"invalid digest"}]}',
            ),
        ),
        passes=("push.manifest-malformed-digest",),
    ),
    Row(
        "malformed-digest-500",
        _m("malformed-digest-500", method="PUT", path=MANIFEST + "sha256:0123abc$", respond=(500, {}, b"")),
        fail=("push.manifest-malformed-digest",),
    ),
    Row(
        "oci-tag-wrong",
        _m("oci-tag-wrong", method="PUT", path=r"\?tag=", set_headers={"OCI-Tag": "other"}),
        fail=("push.manifest-tag-param",),
    ),
    Row(
        "manifest-by-digest-served-as-json",
        _m(
            "manifest-by-digest-served-as-json",
            method="GET",
            path=MANIFEST + "sha256:",
            set_headers={"Content-Type": "application/json"},
        ),
        fail=("push.manifest-by-digest[index]", "push.manifest-by-digest[artifact]"),
    ),
    Row(
        "tag-overwrite-acknowledged-not-done",
        _m(
            "tag-overwrite-acknowledged-not-done",
            method="PUT",
            path=MANIFEST + "overwritten$",
            when=_after_first(),
            respond=(201, {"Location": "/v2/x/manifests/overwritten"}, b""),
        ),
        fail=("push.tag-overwrite",),
    ),
    Row(
        "large-manifest-413",
        _m("large-manifest-413", method="PUT", path=MANIFEST + "large-manifest$", respond=(413, {}, b"")),
        fail=("push.manifest-large",),
    ),
    Row(
        "too-large-413",
        _m("too-large-413", method="PUT", path=MANIFEST + "too-large$", respond=(413, {}, b"")),
        passes=("push.manifest-too-large",),
    ),
    Row(
        "too-large-500",
        _m("too-large-500", method="PUT", path=MANIFEST + "too-large$", respond=(500, {}, b"")),
        fail=("push.manifest-too-large",),
    ),
    Row(
        "content-type-parameters-refused",
        _m(
            "content-type-parameters-refused",
            method="PUT",
            path=MANIFEST,
            when=lambda r: ";" in r.headers.get("content-type", ""),
            respond=(415, {}, b""),
        ),
        fail=("push.manifest-content-type-params",),
    ),
    Row(
        "tag-parameters",
        lambda upstream: [tag_parameters(upstream)],
        passes=("push.manifest-tag-param", "push.manifest-tag-param-ten"),
    ),
    Row(
        "tag-parameters-capped-at-five",
        lambda upstream: [tag_parameters(upstream, limit=5)],
        fail=("push.manifest-tag-param-ten",),
        passes=("push.manifest-tag-param",),
    ),
    # -- manifest pull
    Row(
        "manifest-body-changed",
        _m("manifest-body-changed", method="GET", path=MANIFEST, body=lambda b: b + b" "),
        fail=("pull.manifest-by-tag[image]", "pull.manifest-by-digest[index]", "pull.head-get-agree[image]"),
    ),
    Row(
        "manifest-head-length",
        _m("manifest-head-length", method="HEAD", path=MANIFEST, set_headers={"Content-Length": "7"}),
        fail=("pull.manifest-head[docker-schema2]", "pull.head-get-agree[docker-schema2]"),
    ),
    Row(
        "manifest-head-404",
        _m("manifest-head-404", method="HEAD", path=MANIFEST, status=404),
        fail=("pull.manifest-head[artifact]",),
    ),
    Row(
        "manifest-content-type",
        _m("manifest-content-type", method="GET", path=MANIFEST, set_headers={"Content-Type": "application/json"}),
        fail=("pull.manifest-content-type[index]", "pull.head-get-agree[index]"),
    ),
    Row(
        "manifest-unknown-200",
        _m("manifest-unknown-200", path=MANIFEST + r"(no-such-tag|sha256:)", status=200),
        fail=("pull.manifest-unknown[tag]", "pull.manifest-unknown[digest]"),
    ),
    Row(
        "manifest-content-type-with-parameter",
        _m("manifest-content-type-with-parameter", method="GET", path=MANIFEST, response=_with_parameter),
        fail=("pull.manifest-content-type-exact[image]", "pull.manifest-content-type-exact[docker-schema2]"),
        passes=("pull.manifest-content-type[image]",),
    ),
    Row(
        "ns-echoed",
        _m("ns-echoed", method="GET", path=r"[?&]ns=", response=_echo_ns),
        passes=("pull.oci-namespace",),
    ),
    Row(
        "ns-answered-with-another-namespace",
        _m(
            "ns-answered-with-another-namespace",
            method="GET",
            path=r"[?&]ns=",
            set_headers={"OCI-Namespace": "docker.io"},
        ),
        fail=("pull.oci-namespace",),
    ),
    Row(
        "blob-streamed-without-length",
        _m("blob-streamed-without-length", method="GET", path=BLOB, set_headers={"Transfer-Encoding": "chunked"}),
        fail=("pull.blob-get-length[post-put-sha256]", "pull.blob-get-length[stream-sha256]"),
        passes=("pull.blob-get[post-put-sha256]",),
    ),
    # -- blob pull
    Row(
        "blob-digest-header-dropped",
        _m("blob-digest-header-dropped", method="GET", path=BLOB, drop_headers=("Docker-Content-Digest",)),
        fail=("pull.digest-header[image]", "pull.head-get-agree[image]"),
    ),
    Row(
        "blob-body-changed",
        _m("blob-body-changed", method="GET", path=BLOB, body=lambda b: b[::-1] + b"x"),
        fail=("pull.blob-get[post-put-sha256]", "pull.blob-get[chunked-multi-sha256]"),
    ),
    Row(
        "blob-head-length",
        _m("blob-head-length", method="HEAD", path=BLOB, set_headers={"Content-Length": "3"}),
        fail=("pull.blob-head[stream-sha256]", "pull.blob-head[mount-from]"),
    ),
    Row(
        "blob-unknown-200",
        _m("blob-unknown-200", path=f"/blobs/{UNKNOWN_BLOB}", status=200),
        fail=("pull.blob-unknown",),
    ),
    Row(
        "range-no-content-range",
        _m(
            "range-no-content-range", method="GET", when=lambda r: "range" in r.headers, drop_headers=("Content-Range",)
        ),
        fail=("pull.blob-range[middle]", "pull.blob-range[suffix]"),
    ),
    Row(
        "range-wrong-bytes",
        _m(
            "range-wrong-bytes",
            method="GET",
            when=lambda r: _range_start(r) is not None,
            body=lambda b: bytes(reversed(b)),
        ),
        fail=("pull.blob-range[open-ended]", "pull.blob-range[past-the-end]"),
    ),
    Row(
        "range-416-right",
        _m("range-416-right", method="GET", when=_unsatisfiable, respond=(416, {"Content-Range": "bytes */2048"}, b"")),
        passes=("pull.blob-range-unsatisfiable[beyond-the-end]", "pull.blob-range-unsatisfiable[inverted]"),
    ),
    Row(
        "range-416-as-206",
        _m(
            "range-416-as-206",
            method="GET",
            when=_unsatisfiable,
            respond=(206, {"Content-Range": "bytes 0-0/2048"}, b"x"),
        ),
        fail=("pull.blob-range-unsatisfiable[beyond-the-end]",),
    ),
]


@each_row(ROWS)
def test_mutation(row: Row, fault_proxy, shared_distribution: Target, tmp_path: Path) -> None:
    run = run_row(fault_proxy, shared_distribution.url, row, tmp_path, *FAST, paths=PATHS, exact=True)
    for check_id in row.fail:
        assert run.record(check_id).message, f"{row.name}: {check_id} failed without a message"


def test_distribution_verdicts(shared_distribution: Target, tmp_path: Path) -> None:
    """Plain distribution 2.8.2: every verdict as expectations/distribution-2.8.2.yaml says."""
    run = run_conformance(shared_distribution.url, tmp_path, *FAST, timeout=240, paths=PATHS)
    assert run.results is not None, run.output[-3000:]
    problems = verdict_mismatches(run, ("ping", "push", "pull"))
    assert not problems, "\n".join(problems)
    assert run.with_outcome(Outcome.ERROR) == []
    for skipped in run.with_outcome(Outcome.SKIPPED):
        # only the checks reading content distribution refused to store
        assert any(s in skipped for s in ("sha512", "non-distributable")), f"{skipped} skipped"
