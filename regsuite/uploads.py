"""Blob upload protocols, step by step, each step judged against the spec.

Every function here drives one way of pushing a blob (end-4a..end-6, end-11)
and raises `Violation` at the first answer the spec does not allow, with a
message naming what was sent, what came back and what the spec wants. The
conformance checks call them (through the session's upload store, so a blob
pushed once is pulled back by the pull checks).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx

from regsuite.client import RegistryClient
from regsuite.content import Blob, random_bytes
from regsuite.judge import Violation, expect, require_header, sent

DEFAULT_CHUNK = 1024


def check_range(response: httpx.Response, received: int, spec: str = "end-5") -> None:
    """`Range: 0-<last byte received>` (the OCI form; `bytes=0-N` is tolerated)."""
    value = require_header(response, "Range", f"Range: 0-{received - 1}", spec)
    if value.removeprefix("bytes=") != f"0-{max(received - 1, 0)}":
        raise Violation(
            f"{sent(response)} answered Range: {value} after {received} bytes were received; "
            f"the spec wants Range: 0-{received - 1} ({spec})"
        )


def check_digest_header(response: httpx.Response, digest: str, spec: str) -> None:
    value = response.headers.get("Docker-Content-Digest")
    if value is not None and value != digest:
        raise Violation(
            f"{sent(response)} answered Docker-Content-Digest: {value} for content whose digest is {digest}; "
            f"the header must be the content's digest ({spec})"
        )


def start(client: RegistryClient, repo: str, **kwargs: object) -> tuple[httpx.Response, str]:
    response = client.start_upload(repo, **kwargs)  # type: ignore[arg-type]
    expect(response, (202,), "202 Accepted with a Location header", "end-4a", "Location")
    return response, client.resolve(
        response, require_header(response, "Location", "the upload URL in Location", "end-4a")
    )


def finish(client: RegistryClient, location: str, blob: Blob, data: bytes = b"") -> httpx.Response:
    response = client.put_upload(location, blob.digest, data)
    expect(response, (201,), "201 Created", "end-6", "Location")
    require_header(response, "Location", "the blob's URL in Location", "end-6")
    check_digest_header(response, blob.digest, "end-6")
    return response


def patch_chunk(client: RegistryClient, location: str, data: bytes, offset: int) -> str:
    response = client.patch_upload(location, data, start=offset)
    expect(response, (202,), "202 Accepted for an in-order chunk", "end-5", "Range", "Location")
    check_range(response, offset + len(data))
    return client.resolve(response, require_header(response, "Location", "the upload URL in Location", "end-5"))


def chunk_size(post: httpx.Response) -> int:
    """The chunk size to use: the registry's OCI-Chunk-Min-Length when it asks for more than our default."""
    try:
        return max(DEFAULT_CHUNK, int(post.headers.get("OCI-Chunk-Min-Length", "0")))
    except ValueError:
        return DEFAULT_CHUNK


def chunked_blob(seed: str, algorithm: str, size: int) -> Blob:
    """A blob spanning three chunks (the last one short)."""
    return Blob(random_bytes(seed, size * 3 - 5), algorithm=algorithm)


# -- the protocols --------------------------------------------------------------


def post_put(client: RegistryClient, repo: str, blob: Blob) -> httpx.Response:
    _, location = start(client, repo)
    return finish(client, location, blob, blob.data)


def post_digest(client: RegistryClient, repo: str, blob: Blob) -> httpx.Response:
    """Monolithic POST with ?digest= (end-4b): 201, or 202 and the client falls back to PUT."""
    response = client.start_upload(repo, digest=blob.digest, data=blob.data)
    expect(response, (201, 202), "201 Created, or 202 Accepted to fall back to POST+PUT", "end-4b", "Location")
    location = client.resolve(response, require_header(response, "Location", "a Location header", "end-4b"))
    if response.status_code == 201:
        check_digest_header(response, blob.digest, "end-4b")
        return response
    return finish(client, location, blob, blob.data)


def chunked(
    client: RegistryClient, repo: str, blob: Blob, *, chunks: int = 3, last_in_put: bool = False
) -> httpx.Response:
    """PATCH chunks with Content-Range (end-5), then PUT (with the last chunk when `last_in_put`)."""
    post, location = start(client, repo)
    size = max(chunk_size(post), -(-len(blob.data) // chunks)) if chunks > 1 else max(len(blob.data), 1)
    pieces = [blob.data[i : i + size] for i in range(0, len(blob.data), size)] or [b""]
    tail = pieces.pop() if last_in_put and len(pieces) > 1 else b""
    offset = 0
    for piece in pieces:
        location = patch_chunk(client, location, piece, offset)
        offset += len(piece)
    return finish(client, location, blob, tail)


def stream(client: RegistryClient, repo: str, blob: Blob) -> httpx.Response:
    """One PATCH without Content-Range, sent with chunked transfer encoding (streamed)."""
    _, location = start(client, repo)

    def body() -> Iterator[bytes]:
        for i in range(0, len(blob.data), 4096):
            yield blob.data[i : i + 4096]

    response = client.request("PATCH", location, content=body(), headers={"Content-Type": "application/octet-stream"})
    expect(response, (202,), "202 Accepted for a streamed PATCH", "end-5", "Range", "Location")
    check_range(response, len(blob.data))
    location = client.resolve(response, require_header(response, "Location", "the upload URL in Location", "end-5"))
    return finish(client, location, blob)


def mount(client: RegistryClient, repo: str, blob: Blob, source: str | None) -> httpx.Response:
    """Cross-repository mount (end-11): 201 Created, or 202 Accepted and the client uploads instead."""
    client.push_blob(source or repo + "-source", blob)
    response = client.mount_blob(repo, blob.digest, source)
    expect(
        response, (201, 202), "201 Created (mounted) or 202 Accepted (an upload to fall back to)", "end-11", "Location"
    )
    location = client.resolve(response, require_header(response, "Location", "a Location header", "end-11"))
    if response.status_code == 201:
        check_digest_header(response, blob.digest, "end-11")
        return response
    return finish(client, location, blob, blob.data)


@dataclass(frozen=True)
class UploadCase:
    """One blob pushed one way; its id names the verdicts.

    E.g. `push.blob-stream[sha256]` judges the protocol, `pull.blob-get[stream-sha256]` reads the blob back.
    """

    id: str
    check: str  # the push check judging the protocol
    param: str  # that check's parameter
    blob: Blob
    push: Callable[[RegistryClient, str, Blob], httpx.Response]


def _cases() -> list[UploadCase]:
    cases: list[UploadCase] = []
    for algorithm in ("sha256", "sha512"):

        def blob(kind: str, size: int = 512, algorithm: str = algorithm) -> Blob:
            return Blob(random_bytes(f"upload/{kind}/{algorithm}", size), algorithm=algorithm)

        cases += [
            UploadCase(f"post-put-{algorithm}", "push.blob-post-put", algorithm, blob("post-put"), post_put),
            UploadCase(
                f"post-digest-{algorithm}", "push.blob-post-digest", algorithm, blob("post-digest"), post_digest
            ),
            UploadCase(
                f"chunked-single-{algorithm}",
                "push.blob-chunked-single",
                algorithm,
                blob("chunked-single"),
                lambda c, r, b: chunked(c, r, b, chunks=1),
            ),
            UploadCase(
                f"chunked-multi-{algorithm}",
                "push.blob-chunked-multi",
                algorithm,
                chunked_blob(f"upload/chunked-multi/{algorithm}", algorithm, DEFAULT_CHUNK),
                chunked,
            ),
            UploadCase(
                f"chunked-put-last-{algorithm}",
                "push.blob-chunked-put-last",
                algorithm,
                chunked_blob(f"upload/chunked-put-last/{algorithm}", algorithm, DEFAULT_CHUNK),
                lambda c, r, b: chunked(c, r, b, last_in_put=True),
            ),
            UploadCase(f"stream-{algorithm}", "push.blob-stream", algorithm, blob("stream", 10_000), stream),
        ]
    cases += [
        UploadCase("empty", "push.blob-post-put", "empty", Blob(b""), post_put),
        UploadCase("empty-json", "push.blob-post-put", "empty-json", Blob(b"{}"), post_put),
        UploadCase(
            "mount-from",
            "push.mount-from",
            "sha256",
            Blob(random_bytes("upload/mount-from", 512)),
            lambda c, r, b: mount(c, r, b, r + "-source"),
        ),
        UploadCase(
            "mount-anonymous",
            "push.mount-anonymous",
            "sha256",
            Blob(random_bytes("upload/mount-anonymous", 512)),
            lambda c, r, b: mount(c, r, b, None),
        ),
        UploadCase("range", "push.blob-post-put", "range", Blob(random_bytes("upload/range", 2048)), post_put),
    ]
    return cases


UPLOAD_CASES = {case.id: case for case in _cases()}


def cases_of(check_id: str) -> list[UploadCase]:
    return [c for c in UPLOAD_CASES.values() if c.check == check_id]
