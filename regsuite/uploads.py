"""Blob upload protocols as the conformance checks push them: regsuite.flows, each exchange judged.

The flows (regsuite/flows.py) know what to send next; `judge_exchange` knows
what the spec wants of each answer, by the exchange's role (a role with no
rule raises), and raises `Violation` at the first answer the spec does not
allow, with a message naming what was sent, what came back and what the spec
wants. One of its rules is the Location rule of every write: a 201's Location
serves what was written (role READ_BACK; flows.reading_back reads it).
`UPLOAD_CASES` is the table of blobs pushed one way each: one row per
(check, parameter).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx

from . import flows
from .client import RegistryClient
from .content import Blob, random_bytes
from .digest import algorithm_of, digest_of
from .judge import Violation, expect, require_header, sent
from .protocol import Kind, route

DEFAULT_CHUNK = flows.DEFAULT_CHUNK


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


def _query(send: flows.Send, name: str) -> str:
    return (parse_qs(urlsplit(send.step.path).query).get(name) or [""])[0]


def _start(send: flows.Send, response: httpx.Response) -> None:
    expect(response, (202,), "202 Accepted with a Location header", "end-4a", "Location")
    require_header(response, "Location", "the upload URL in Location", "end-4a")


def _chunk(send: flows.Send, response: httpx.Response) -> None:
    part = send.body
    assert isinstance(part, flows.Part)
    ranged = "Content-Range" in send.step.headers
    wants = "202 Accepted for an in-order chunk" if ranged else "202 Accepted for a streamed PATCH"
    expect(response, (202,), wants, "end-5", "Range", "Location")
    check_range(response, part.start + part.length)
    require_header(response, "Location", "the upload URL in Location", "end-5")


def _finish(send: flows.Send, response: httpx.Response) -> None:
    expect(response, (201,), "201 Created", "end-6", "Location")
    require_header(response, "Location", "the blob's URL in Location", "end-6")
    check_digest_header(response, _query(send, "digest"), "end-6")


def _post_digest(send: flows.Send, response: httpx.Response) -> None:
    expect(response, (201, 202), "201 Created, or 202 Accepted to fall back to POST+PUT", "end-4b", "Location")
    require_header(response, "Location", "a Location header", "end-4b")
    if response.status_code == 201:
        check_digest_header(response, _query(send, "digest"), "end-4b")


def _mount(send: flows.Send, response: httpx.Response) -> None:
    expect(response, (201, 202), "201 Created (mounted) or 202 Accepted (an upload to fall back to)", "end-11",
           "Location")
    require_header(response, "Location", "a Location header", "end-11")
    if response.status_code == 201:
        check_digest_header(response, _query(send, "mount"), "end-11")


def _status(send: flows.Send, response: httpx.Response) -> None:
    expect(response, (204,), "204 No Content with Range and Location", "end-13", "Range", "Location")
    require_header(response, "Location", "the upload URL to go on with in Location", "end-13")


def _skip_ahead(send: flows.Send, response: httpx.Response) -> None:
    expect(response, (416,), "416 Requested Range Not Satisfiable for a chunk that skips bytes", "end-5", "Range")


_WRITE_SPEC = {flows.Role.FINISH: "end-6", flows.Role.POST_DIGEST: "end-4b", flows.Role.MOUNT: "end-11",
               flows.Role.MANIFEST_PUT: "end-7"}


def _read_back(send: flows.Send, response: httpx.Response) -> None:
    """A 201's Location serves what was written: it resolves against the write's URL, names this repository and
    the written digest (a manifest PUT by tag: that tag or the digest), and serves that content with its digest
    and length. A Location on another host (a redirecting registry) is judged by what it serves alone."""
    assert send.wrote is not None and send.answers is not None
    wrote, (write, reply) = send.wrote, send.answers
    written = reply.raw if isinstance(reply.raw, httpx.Response) else None
    what = "manifest" if wrote.kind is Kind.MANIFESTS else "blob"
    head = (f"{sent(written) if written is not None else write.step.method + ' ' + write.step.path} wrote {what} "
            f"{wrote.digest} ({wrote.size} bytes) to {wrote.repository} and answered 201 with Location: "
            f"{reply.header('location')}")
    rule = f"a 201's Location must serve what was written ({_WRITE_SPEC.get(write.role, 'end-6/end-7')})"
    first = response.history[0].request.url if response.history else response.request.url
    if written is None or first.netloc == written.request.url.netloc:
        found = route(first.path)
        wanted = " or ".join(f"/v2/{wrote.repository}/{wrote.kind.value}/{r}" for r in wrote.references)
        if found is None or (found.kind, found.repository) != (wrote.kind, wrote.repository) \
                or found.reference not in wrote.references:
            raise Violation(f"{head}; it resolves to {first.path}, not {wanted}; {rule}")
    problem = _served_problem(response, wrote)
    if problem:
        raise Violation(f"{head}; {response.request.method} of it {problem}; {rule}")


def _served_problem(response: httpx.Response, wrote: flows.Written) -> str | None:
    """What is wrong with an answer to a read of written content, or None."""
    if response.status_code != 200:
        return f"answered {response.status_code}"
    served = response.headers.get("Docker-Content-Digest")
    if served is not None and served != wrote.digest:
        return f"answered Docker-Content-Digest: {served}"
    if response.request.method == "GET":
        got = digest_of(response.content, algorithm_of(wrote.digest))
        if got != wrote.digest or len(response.content) != wrote.size:
            return f"served {len(response.content)} bytes of digest {got}"
    length = response.headers.get("Content-Length")
    if length is not None and length != str(wrote.size):
        return f"answered Content-Length: {length}"
    media_type = (response.headers.get("Content-Type") or "").split(";")[0].strip()
    if wrote.media_type and media_type != wrote.media_type:
        return f"answered Content-Type: {response.headers.get('Content-Type')}, not the manifest's {wrote.media_type}"
    return None


Rule = Callable[[flows.Send, httpx.Response], None]
RULES: dict[flows.Role, Rule] = {
    flows.Role.START: _start,
    flows.Role.CHUNK: _chunk,
    flows.Role.RESUME: _chunk,
    flows.Role.FINISH: _finish,
    flows.Role.POST_DIGEST: _post_digest,
    flows.Role.MOUNT: _mount,
    flows.Role.STATUS: _status,
    flows.Role.SKIP_AHEAD: _skip_ahead,
    flows.Role.READ_BACK: _read_back,
}


class Unjudged(LookupError):
    """An exchange whose role has no rule here: a flow this judge was not written for (never a silent pass)."""


def judge_exchange(send: flows.Send, response: httpx.Response) -> None:
    """What the spec wants of one upload exchange, by its role in the flow."""
    rule = RULES.get(send.role)
    if rule is None:
        raise Unjudged(f"uploads.judge_exchange has no rule for a {send.role!r} exchange ({send.step.method} "
                       f"{send.step.name}); judge it where its flow is written")
    rule(send, response)


def judged(client: RegistryClient, flow: flows.Flow[flows.Reply]) -> httpx.Response:
    """Run an upload flow with every exchange judged, the blob it wrote read back through its Location; the
    final response."""
    return client.run(flows.reading_back(flow), observe=judge_exchange).raw  # type: ignore[no-any-return]


def opened(repo: str, data: bytes) -> flows.Flow[str]:
    """An upload holding `data` as its first chunk; the URL to go on with."""
    _, url = yield from flows.start(repo)
    return (yield from flows.patch(url, Blob(data), 0, len(data)))


def open_with_chunk(client: RegistryClient, repo: str, data: bytes) -> str:
    """Start an upload and PATCH `data` as bytes 0..len-1, judged; the upload URL to go on with."""
    return client.run(opened(repo, data), observe=judge_exchange)


def chunked_blob(seed: str, algorithm: str, size: int) -> Blob:
    """A blob spanning three chunks (the last one short)."""
    return Blob(random_bytes(seed, size * 3 - 5), algorithm=algorithm)


def mount_case(client: RegistryClient, repo: str, blob: Blob, source: str | None) -> httpx.Response:
    """Cross-repository mount: the source gets the blob first (unjudged), then the mount is judged."""
    client.push_blob(source or repo + "-source", blob)
    return judged(client, flows.mount(repo, blob, source))


@dataclass(frozen=True)
class UploadCase:
    """One blob pushed one way; its id names the verdicts.

    E.g. `push.blob-stream[sha256]` judges the protocol, `pull.blob-get[stream-sha256]` reads the blob back.
    """

    id: str
    check: str  # the push check judging the protocol
    param: str  # that check's parameter
    blob: Blob
    push: Push


Push = Callable[[RegistryClient, str, Blob], httpx.Response]


def _flow(make: Callable[[str, Blob], flows.Flow[flows.Reply]]) -> Push:
    return lambda client, repo, blob: judged(client, make(repo, blob))


def _cases() -> list[UploadCase]:
    cases: list[UploadCase] = []
    post_put = _flow(flows.post_put)
    for algorithm in ("sha256", "sha512"):

        def blob(kind: str, size: int = 512, algorithm: str = algorithm) -> Blob:
            return Blob(random_bytes(f"upload/{kind}/{algorithm}", size), algorithm=algorithm)

        def chunky(kind: str, algorithm: str = algorithm) -> Blob:
            return chunked_blob(f"upload/{kind}/{algorithm}", algorithm, DEFAULT_CHUNK)

        cases += [
            UploadCase(f"post-put-{algorithm}", "push.blob-post-put", algorithm, blob("post-put"), post_put),
            UploadCase(f"post-digest-{algorithm}", "push.blob-post-digest", algorithm, blob("post-digest"),
                       _flow(flows.post_digest)),
            UploadCase(f"chunked-single-{algorithm}", "push.blob-chunked-single", algorithm, blob("chunked-single"),
                       _flow(lambda r, b: flows.chunked(r, b, chunks=1))),
            UploadCase(f"chunked-multi-{algorithm}", "push.blob-chunked-multi", algorithm, chunky("chunked-multi"),
                       _flow(flows.chunked)),
            UploadCase(f"chunked-put-last-{algorithm}", "push.blob-chunked-put-last", algorithm,
                       chunky("chunked-put-last"), _flow(lambda r, b: flows.chunked(r, b, last_in_put=True))),
            # One PATCH without Content-Range, sent with chunked transfer coding (streamed).
            UploadCase(f"stream-{algorithm}", "push.blob-stream", algorithm, blob("stream", 10_000),
                       _flow(lambda r, b: flows.stream(r, b, streamed=True))),
        ]
    cases += [
        UploadCase("empty", "push.blob-post-put", "empty", Blob(b""), post_put),
        UploadCase("empty-json", "push.blob-post-put", "empty-json", Blob(b"{}"), post_put),
        UploadCase("mount-from", "push.mount-from", "sha256", Blob(random_bytes("upload/mount-from", 512)),
                   lambda c, r, b: mount_case(c, r, b, r + "-source")),
        UploadCase("mount-anonymous", "push.mount-anonymous", "sha256",
                   Blob(random_bytes("upload/mount-anonymous", 512)), lambda c, r, b: mount_case(c, r, b, None)),
        UploadCase("range", "push.blob-post-put", "range", Blob(random_bytes("upload/range", 2048)), post_put),
    ]
    return cases


UPLOAD_CASES = {case.id: case for case in _cases()}


def cases_of(check_id: str) -> list[UploadCase]:
    return [c for c in UPLOAD_CASES.values() if c.check == check_id]
