"""Every registry operation written once, with no I/O: generators that yield requests and receive answers.

The model is h11 and `RegistryAuth.auth_flow`: a flow yields a `Send` (the
protocol step, its body, what answers let it go on), its driver sends it and
hands the answer back as a `Reply`, and the flow decides the next step from
it. The same flows run under every driver:

- `RegistryClient.run` (httpx): the conformance checks, cleanup, seeding, the
  fuzzer; the checks pass an observer that judges each exchange as it passes;
- `RegistryUser.drive` (geventhttpclient, locust): the load users;
- a scripted transport in the self-tests, with no sockets at all.

A flow raises `FlowFailed` when an answer leaves it nowhere to go; drivers
add what they know (the transport's response, the statistics row).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from . import mediatypes as mt
from . import protocol
from .content import Manifest
from .digest import digest_of

T = TypeVar("T")

# Blob push methods, one name each everywhere (checks, CLI, profiles); old names stay accepted.
POST_PUT, POST_DIGEST, CHUNKED, STREAM = "post-put", "post-digest", "chunked", "stream"
METHODS = (POST_PUT, POST_DIGEST, CHUNKED, STREAM)
ALIASES = {"monolithic": POST_PUT}
DEFAULT_CHUNK = 1024
MAX_PAGES = 1000
_RANGE = re.compile(r"^(?:bytes=)?0-(\d+)$")
_LINK_NEXT = re.compile(r'<([^>]*)>\s*;\s*rel="?next"?', re.IGNORECASE)


def canonical_method(name: str) -> str:
    """The method's one name (`monolithic` is `post-put`); ValueError for an unknown one."""
    method = ALIASES.get(name, name)
    if method not in METHODS:
        raise ValueError(f"unknown blob push method {name!r}; known: {', '.join(METHODS)} (alias: monolithic)")
    return method


# -- what flows exchange with drivers ------------------------------------------------------------------


class Role(StrEnum):
    """What one exchange is in its operation; judges (regsuite.uploads) have a rule for each role they see."""

    START = "start"  # POST opening an upload
    POST_DIGEST = "post-digest"  # POST ?digest= carrying the whole blob
    MOUNT = "mount"  # POST ?mount=&from=
    CHUNK = "chunk"  # PATCH, with Content-Range or streamed
    SKIP_AHEAD = "skip-ahead"  # a PATCH that skips bytes, sent to be refused
    STATUS = "status"  # GET of an upload
    RESUME = "resume"  # a PATCH after the status said where to go on from
    FINISH = "finish"  # the closing PUT ?digest=
    BLOB_EXISTS = "blob-exists"  # HEAD of a blob before pushing it
    MANIFEST_PUT = "manifest-put"
    MANIFEST_HEAD = "manifest-head"
    MANIFEST_GET = "manifest-get"
    BLOB_GET = "blob-get"
    DELETE_MANIFEST = "delete-manifest"
    DELETE_BLOB = "delete-blob"
    LIST = "list"  # a page of a paginated list
    READ_BACK = "read-back"  # HEAD (or GET) of the Location a write answered, as a client following it


WRITES = (Role.FINISH, Role.POST_DIGEST, Role.MOUNT, Role.MANIFEST_PUT)  # exchanges whose 201 carries a Location


class Source(Protocol):
    """Blob content a body is cut from: `content.Blob` (bytes) or `load.blobs.UniqueBlob` (a shared buffer)."""

    @property
    def digest(self) -> str: ...

    @property
    def size(self) -> int: ...

    def body(self, start: int = 0, length: int | None = None) -> Any: ...


@dataclass(frozen=True)
class Part:
    """Bytes [start, start+length) of a blob as a request body; `streamed`: chunked transfer coding."""

    source: Source
    start: int
    length: int
    streamed: bool = False

    def open(self) -> Any:
        """A fresh body (a retry after an auth challenge sends it again)."""
        return self.source.body(self.start, self.length)


Body = bytes | Part | None


@dataclass(frozen=True)
class Download:
    """A blob body the driver consumes (streamed where it can) and checks against its descriptor."""

    digest: str
    size: int


@dataclass(frozen=True)
class Written:
    """What a write puts in the registry, as a 201's Location must serve it back."""

    repository: str
    kind: protocol.Kind  # BLOBS or MANIFESTS
    digest: str
    size: int
    tag: str | None = None  # a manifest PUT by tag: its Location may name the tag instead of the digest
    media_type: str | None = None  # a manifest's

    @property
    def references(self) -> tuple[str, ...]:
        """What the Location may name: the digest, or for a manifest PUT by tag, that tag."""
        return (self.digest, self.tag) if self.tag else (self.digest,)


@dataclass(frozen=True)
class Send:
    step: protocol.Step
    role: Role
    expect: tuple[int, ...]  # answers the flow can go on from
    body: Body = None
    read: bool = False  # the flow needs the answer's body
    download: Download | None = None  # a blob body to consume and check (the flow does not need it)
    wrote: Written | None = None  # a write: what its 201 stored (a read-back: what it must serve)
    follow: bool = False  # follow redirects, as a client reading content does
    answers: tuple[Send, Reply] | None = None  # a read-back: the write and the 201 whose Location it follows


@dataclass
class Reply:
    """One answer as a flow sees it; `raw` is the driver's own response object (httpx, geventhttpclient)."""

    status: int
    headers: Mapping[str, str]  # case-insensitive lookups with lower-case names
    content: bytes = b""
    raw: Any = field(default=None, repr=False)

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


class FlowFailed(AssertionError):
    """An answer an operation cannot go on from: which exchange, what came back, what was needed.

    The one error of a failed step, whatever the driver. With `row`, the text names the step's statistics row
    instead of its URL (load statistics group failures by text: one per row, not one per URL).
    """

    def __init__(self, send: Send, reply: Reply | None, needed: str, *, got: str | None = None,
                 row: bool = False) -> None:
        self.send, self.reply, self.needed, self.got, self.row = send, reply, needed, got, row
        got = got or (str(reply.status) if reply is not None and reply.status else "no answer")
        step = send.step
        super().__init__(f"{step.method} {step.name}: expected {needed}, got {got}" if row
                         else f"{send.role}: expected {needed}, got {got} {step.method} {step.path}")

    @property
    def role(self) -> Role:
        return self.send.role

    @property
    def response(self) -> Any:
        """The driver's own response object (an httpx.Response under RegistryClient)."""
        return self.reply.raw if self.reply is not None and self.reply.raw is not None else self.reply


Flow = Generator[Send, Reply, T]


def exchange(send: Send) -> Generator[Send, Reply, Reply]:
    """Yield one request; the answer must be one the flow expects."""
    reply = yield send
    if reply.status not in send.expect:
        raise FlowFailed(send, reply, "/".join(map(str, send.expect)))
    return reply


def location(send: Send, reply: Reply) -> str:
    """The Location an answer points to, resolved against the request (relative ones are allowed)."""
    value = reply.header("location")
    if not value:
        raise FlowFailed(send, reply, f"{reply.status} with a Location header")
    return protocol.resolve_location(send.step.path, value)


def run(flow: Flow[T], transport: Callable[[Send], Reply]) -> T:
    """Drive a flow to its end with a function that answers each Send (drivers and tests share this loop)."""
    reply: Reply | None = None
    try:
        while True:
            send = flow.send(reply) if reply is not None else next(flow)
            reply = transport(send)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


# -- blob uploads (end-4a..end-6, end-11, end-13) ---------------------------------------------------------


def chunk_min_length(reply: Reply) -> int:
    """`OCI-Chunk-Min-Length` of an upload's POST answer: 0 when unset or not a number."""
    try:
        return max(int(reply.header("oci-chunk-min-length") or 0), 0)
    except ValueError:
        return 0


def received(reply: Reply) -> int | None:
    """Bytes an upload holds, from `Range: 0-<last>` (`bytes=0-<last>` tolerated); None when unreadable."""
    m = _RANGE.match((reply.header("range") or "").strip())
    return int(m.group(1)) + 1 if m else None


def start(repo: str, query: list[tuple[str, str]] | None = None) -> Generator[Send, Reply, tuple[Reply, str]]:
    """POST opening an upload: 202 and the upload's URL."""
    send = Send(protocol.start_upload(repo, query), Role.START, (202,))
    reply = yield from exchange(send)
    return reply, location(send, reply)


def patch(url: str, blob: Source, offset: int, length: int, *, ranged: bool = True, streamed: bool = False,
          role: Role = Role.CHUNK) -> Generator[Send, Reply, str]:
    """One PATCH: with Content-Range (a chunk), or without (a streamed upload); returns the next upload URL."""
    step = protocol.patch_chunk(url, offset, length) if ranged else protocol.patch_stream(url, length, streamed)
    send = Send(step, role, (202,), Part(blob, offset, length, streamed))
    reply = yield from exchange(send)
    return location(send, reply)


def _blob_written(repo: str, blob: Source) -> Written:
    return Written(repo, protocol.Kind.BLOBS, blob.digest, blob.size)


def finish(repo: str, url: str, blob: Source, offset: int = 0) -> Generator[Send, Reply, Reply]:
    """The closing PUT ?digest= of an upload to `repo`, carrying bytes [offset, size) when any remain."""
    length = blob.size - offset
    send = Send(protocol.finish_upload(url, blob.digest, length), Role.FINISH, (201,),
                Part(blob, offset, length) if length else None, wrote=_blob_written(repo, blob))
    return (yield from exchange(send))


def post_put(repo: str, blob: Source) -> Flow[Reply]:
    """POST, then PUT with the whole blob (end-4a, end-6)."""
    _, url = yield from start(repo)
    return (yield from finish(repo, url, blob))


def post_digest(repo: str, blob: Source) -> Flow[Reply]:
    """POST ?digest= with the blob (end-4b): 201, or 202 and a PUT to the Location it gives."""
    send = Send(protocol.start_upload(repo, [("digest", blob.digest)], blob.size), Role.POST_DIGEST, (201, 202),
                Part(blob, 0, blob.size), wrote=_blob_written(repo, blob))
    reply = yield from exchange(send)
    if reply.status == 201:
        return reply
    return (yield from finish(repo, location(send, reply), blob))


def chunk_plan(size: int, chunk_size: int, min_length: int = 0) -> list[tuple[int, int]]:
    """(offset, length) of each PATCH: every chunk but the last at least the registry's minimum."""
    return protocol.chunk_ranges(size, chunk_size, min_length)


def chunked(repo: str, blob: Source, *, chunk_size: int | None = None, chunks: int = 3,
            last_in_put: bool = False) -> Flow[Reply]:
    """PATCH chunks with Content-Range (end-5), then PUT (carrying the last chunk when `last_in_put`).

    Without `chunk_size`, the blob goes in `chunks` pieces, none below DEFAULT_CHUNK or the registry's
    `OCI-Chunk-Min-Length`.
    """
    post, url = yield from start(repo)
    minimum = chunk_min_length(post)
    size = chunk_size or max(DEFAULT_CHUNK, -(-blob.size // max(chunks, 1)))
    plan = [(o, n) for o, n in chunk_plan(blob.size, size, minimum) if n]
    if last_in_put and len(plan) > 1:
        plan.pop()
    for offset, length in plan:
        url = yield from patch(url, blob, offset, length)
    return (yield from finish(repo, url, blob, sum(n for _, n in plan)))


def stream(repo: str, blob: Source, *, streamed: bool = False) -> Flow[Reply]:
    """One PATCH with the whole blob and no Content-Range (`streamed`: chunked transfer coding), then PUT."""
    _, url = yield from start(repo)
    url = yield from patch(url, blob, 0, blob.size, ranged=False, streamed=streamed)
    return (yield from finish(repo, url, blob, blob.size))


def mount(repo: str, blob: Source, source_repo: str | None) -> Flow[Reply]:
    """Cross-repository mount (end-11): 201 mounted, or 202 and the blob uploaded to the Location given."""
    query = [("mount", blob.digest)] + ([("from", source_repo)] if source_repo else [])
    send = Send(protocol.start_upload(repo, query), Role.MOUNT, (201, 202), wrote=_blob_written(repo, blob))
    reply = yield from exchange(send)
    if reply.status == 201:
        return reply
    return (yield from finish(repo, location(send, reply), blob))


def upload(repo: str, blob: Source, method: str = POST_PUT, *, chunk_size: int | None = None) -> Flow[Reply]:
    """Push a blob by one of the METHODS (or an alias); the final (201) answer."""
    method = canonical_method(method)
    if method == POST_PUT:
        return (yield from post_put(repo, blob))
    if method == POST_DIGEST:
        return (yield from post_digest(repo, blob))
    if method == CHUNKED:
        return (yield from chunked(repo, blob, chunk_size=chunk_size))
    return (yield from stream(repo, blob))


def status(url: str) -> Generator[Send, Reply, tuple[Reply, int]]:
    """GET an upload's status (end-13): 204, and how many bytes it holds (from Range)."""
    send = Send(protocol.upload_status(url), Role.STATUS, (204,))
    reply = yield from exchange(send)
    held = received(reply)
    if held is None:
        raise FlowFailed(send, reply, "204 with Range: 0-<last byte received>")
    return reply, held


def resumable(repo: str, blob: Source, *, chunk_size: int = DEFAULT_CHUNK, skip_ahead: bool = False) -> Flow[Reply]:
    """The spec's resumable push: a chunk, the upload's status, the rest from the offset the registry reports.

    With `skip_ahead`, a chunk that skips bytes is sent first after the opening chunk; the registry must
    refuse it (416), and the push resumes from the status it reports.
    """
    post, url = yield from start(repo)
    size = max(chunk_size, chunk_min_length(post), 1)
    first = min(size, blob.size)
    url = yield from patch(url, blob, 0, first)
    if skip_ahead and first + 1 < blob.size:
        gap = first + 1
        send = Send(protocol.patch_chunk(url, gap, min(size, blob.size - gap)), Role.SKIP_AHEAD, (416,),
                    Part(blob, gap, min(size, blob.size - gap)))
        yield from exchange(send)
    reply, offset = yield from status(url)
    moved = reply.header("location")
    url = protocol.resolve_location(url, moved) if moved else url
    for start_at, length in chunk_plan(blob.size - offset, size):
        if length:
            url = yield from patch(url, blob, offset + start_at, length, role=Role.RESUME)
    return (yield from finish(repo, url, blob, blob.size))


# -- manifests and images ---------------------------------------------------------------------------------


def put_manifest(repo: str, reference: str, body: bytes, media_type: str, digest: str | None = None) -> Flow[Reply]:
    """PUT a manifest by tag or digest (end-7): 201. `digest`: the manifest's (sha256 of the body by default)."""
    digest = digest or (reference if ":" in reference else digest_of(body))
    tag = None if ":" in reference else reference
    wrote = Written(repo, protocol.Kind.MANIFESTS, digest, len(body), tag, media_type)
    send = Send(protocol.put_manifest(repo, reference, media_type, len(body)), Role.MANIFEST_PUT, (201,), body,
                wrote=wrote)
    return (yield from exchange(send))


def push_image(repo: str, manifest: Manifest, tag: str | None = None, *, blob_method: str = POST_PUT,
               chunk_size: int | None = None, present: set[str] | None = None, ask: bool = True) -> Flow[Reply]:
    """Children first (their blobs, then them), then this manifest's blobs the registry lacks, then it by tag.

    `present` holds the digests already there, so no blob is asked about twice in one push. With `ask`
    off, `present` is taken as all the repository holds: other blobs are uploaded without a HEAD first.
    """
    present = set() if present is None else present
    for child in manifest.children:
        yield from push_image(repo, child, None, blob_method=blob_method, chunk_size=chunk_size, present=present,
                              ask=ask)
    for blob in manifest.blobs:
        if blob.digest in present:
            continue
        present.add(blob.digest)
        seen = (yield from exchange(Send(protocol.head_blob(repo, blob.digest), Role.BLOB_EXISTS, (200, 404)))) \
            if ask else None
        if seen is None or seen.status != 200:
            yield from upload(repo, blob, blob_method, chunk_size=chunk_size)
    return (yield from put_manifest(repo, tag or manifest.digest, manifest.body, manifest.media_type,
                                    manifest.digest))


# -- writes read back through their Location (end-6, end-7, end-11) ---------------------------------------------


@dataclass
class Write:
    """A write that answered 201, and the exchanges that read it back through its Location."""

    send: Send
    reply: Reply
    read: list[tuple[Send, Reply]] = field(default_factory=list)


def read_back(send: Send, reply: Reply) -> Generator[Send, Reply, list[tuple[Send, Reply]]]:
    """Read the Location of a write's 201 as a client following it would (redirects followed): a manifest with GET
    (it is small, and its body and Content-Type are judged), a blob with HEAD, then GET when the HEAD names no
    digest, so the content itself can be judged. Every answer is taken: judging them is the caller's
    (regsuite.uploads.judge_exchange, role READ_BACK)."""
    value = reply.header("location")
    if not value or send.wrote is None:
        return []  # no Location: the write's own rule says so
    url = protocol.resolve_location(send.step.path, value)
    wrote = send.wrote
    accept = {"Accept": f"{wrote.media_type}, {mt.ACCEPT_ALL_MANIFESTS}"} if wrote.media_type else {}
    row = f"{protocol.ROUTE[wrote.kind].row} (location)"
    exchanges = []
    for method in ("GET",) if wrote.kind is protocol.Kind.MANIFESTS else ("HEAD", "GET"):
        read = Send(protocol.Step(method, url, row, accept), Role.READ_BACK, (200,), read=method == "GET",
                    wrote=wrote, follow=True, answers=(send, reply))
        answer = yield read
        exchanges.append((read, answer))
        if answer.status != 200 or answer.header("docker-content-digest"):
            break  # the HEAD says what is served (or that nothing is): no need to read the body
    return exchanges


def reading_back(flow: Flow[T], writes: list[Write] | None = None) -> Flow[T]:
    """`flow`, with the Location of every 201 it gets to a write read back (`read_back`) before it goes on.

    `writes`, when given, collects each write with its read-back exchanges (judged later, in a check's turn).
    """
    reply: Reply | None = None
    try:
        send = next(flow)
        while True:
            reply = yield send
            if reply.status == 201 and send.role in WRITES:
                write = Write(send, reply)
                write.read = yield from read_back(send, reply)
                if writes is not None:
                    writes.append(write)
            send = flow.send(reply)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


@dataclass
class Pulled:
    """What an image pull fetched: the top manifest's digest and the bytes moved."""

    digest: str
    manifests: int = 0
    blobs: int = 0
    bytes: int = 0


def references(document: Mapping[str, Any]) -> tuple[list[str], list[tuple[str, int]]]:
    """(child manifest digests, (blob digest, size) pairs) a manifest or index refers to."""

    def described(items: Any) -> list[dict[str, Any]]:
        return [d for d in items if isinstance(d, dict) and isinstance(d.get("digest"), str)]

    children = [d["digest"] for d in described(document.get("manifests") or [])]
    blobs = [(d["digest"], d["size"] if isinstance(d.get("size"), int) else 0)
             for d in described([document.get("config") or {}, *(document.get("layers") or [])])]
    return children, blobs


def pull_image(repo: str, reference: str, *, expected_digest: str | None = None, blobs: bool = True,
               accept: str = mt.ACCEPT_ALL_MANIFESTS, max_manifests: int = 64) -> Flow[Pulled]:
    """Pull as a client does: HEAD the reference, GET the manifest by digest, its children, config and layers."""
    send = Send(protocol.head_manifest(repo, reference, accept), Role.MANIFEST_HEAD, (200,))
    head = yield from exchange(send)
    digest = head.header("docker-content-digest") or expected_digest or reference
    if expected_digest and digest != expected_digest:
        raise FlowFailed(send, head, f"Docker-Content-Digest {expected_digest}")
    pulled = Pulled(digest)
    queue = [digest]
    while queue and pulled.manifests < max_manifests:
        wanted = queue.pop(0)
        reply = yield from exchange(Send(protocol.get_manifest(repo, wanted, accept), Role.MANIFEST_GET, (200,),
                                         read=True))
        pulled.manifests += 1
        pulled.bytes += len(reply.content)
        try:
            document = json.loads(reply.content)
        except ValueError:
            document = {}
        children, layers = references(document if isinstance(document, dict) else {})
        queue += children
        if not blobs:
            continue
        for blob_digest, size in layers:
            yield from exchange(Send(protocol.get_blob(repo, blob_digest), Role.BLOB_GET, (200,),
                                     download=Download(blob_digest, size)))
            pulled.blobs += 1
            pulled.bytes += size
    return pulled


# -- deletes ------------------------------------------------------------------------------------------------


@dataclass
class Deleted:
    """What a delete flow did: counts, whether the registry refuses deletes (405), what went wrong."""

    manifests: int = 0
    blobs: int = 0
    disabled: bool = False
    problems: list[str] = field(default_factory=list)


def delete(repo: str, kind: str, reference: str, report: Deleted) -> Generator[Send, Reply, bool]:
    """DELETE one manifest or blob; False once the registry says deletes are off (405).

    Any answer is taken (a cleanup goes on past one refusal); those but 202/404/405 become problems.
    """
    role = Role.DELETE_MANIFEST if kind == "manifests" else Role.DELETE_BLOB
    reply = yield Send(protocol.delete(repo, kind, reference), role, (202, 404, 405))
    if reply.status == 405:
        report.disabled = True
        return False
    if reply.status == 202:
        setattr(report, kind, getattr(report, kind) + 1)
    elif reply.status != 404:  # already gone is fine
        report.problems.append(f"DELETE {repo} {kind} {reference}: {reply.status}")
    return True


def delete_content(entries: Sequence[tuple[str, str, str]]) -> Flow[Deleted]:
    """Delete (repo, kind, digest) entries in the order given; stops at the first 405 (deletes disabled).

    Callers order them parents first: every manifest before the blobs, an index before its children.
    """
    report = Deleted()
    for repo, kind, reference in entries:
        if not (yield from delete(repo, kind, reference, report)):
            break
    return report


def delete_image(repo: str, manifest: Manifest, tags: Sequence[str] = ()) -> Flow[Deleted]:
    """Delete an image the run pushed: its tags, then its manifests parents first, then its blobs."""
    entries = [(repo, "manifests", tag) for tag in tags]
    entries += [(repo, "manifests", m.digest) for m in reversed(manifest.tree())]
    entries += [(repo, "blobs", digest) for digest in dict.fromkeys(b.digest for b in manifest.all_blobs())]
    return (yield from delete_content(entries))


# -- listings -----------------------------------------------------------------------------------------------


@dataclass
class Page:
    reply: Reply
    items: list[Any]  # the list under the page's key (names, tags, or referrers' descriptors)
    next_url: str | None

    @property
    def response(self) -> Any:
        """The driver's own response object (an httpx.Response under RegistryClient)."""
        return self.reply.raw if self.reply.raw is not None else self.reply


def next_link(reply: Reply, request_path: str) -> str | None:
    """The `rel="next"` target of a Link header, resolved against the request."""
    for value in _link_values(reply):
        m = _LINK_NEXT.search(value)
        if m:
            return protocol.resolve_location(request_path, m.group(1))
    return None


def _link_values(reply: Reply) -> list[str]:
    get_list = getattr(reply.headers, "get_list", None)
    if get_list is not None:
        return list(get_list("link"))
    value = reply.header("link")
    return [value] if value else []


def _items(reply: Reply, key: str) -> list[Any]:
    if reply.status != 200:
        return []
    try:
        return list((json.loads(reply.content) or {}).get(key) or [])
    except (ValueError, AttributeError, TypeError):
        return []


def pages(first: protocol.Step, key: str, limit: int = MAX_PAGES, *, answered: Reply | None = None,
          until: Callable[[Page], bool] | None = None) -> Generator[Send, Reply, list[Page]]:
    """Follow `Link: rel="next"` from a first list request, bounded by `limit` pages; every paginated list
    (tags, catalog, referrers) is walked here.

    `answered`: the first request's answer, when the caller sent it already (to judge it). `until(page)`:
    stop after a page that says enough (a catalog walked past the names it was looking for).
    """
    step, out = first, []
    for _ in range(limit):
        if answered is not None:
            reply, answered = answered, None
        else:
            reply = yield Send(step, Role.LIST, (200,), read=True)
        nxt = next_link(reply, step.path)
        page = Page(reply, _items(reply, key), nxt)
        out.append(page)
        if not nxt or reply.status != 200 or (until is not None and until(page)):
            break
        step = protocol.Step("GET", nxt, first.name)
    return out


def list_all(first: protocol.Step, key: str, limit: int = MAX_PAGES) -> Flow[list[Any]]:
    """Every item of a paginated list."""
    return [item for page in (yield from pages(first, key, limit)) for item in page.items]


def tags(repo: str, limit: int = MAX_PAGES) -> Flow[list[str]]:
    """Every tag of a repository (none when the list does not answer 200)."""
    return (yield from list_all(protocol.tags_list(repo), "tags", limit))


def catalog_under(prefix: str, limit: int = MAX_PAGES, page_size: int = 100) -> Flow[list[Page]]:
    """The catalog's pages from `last=prefix` on (the catalog is in lexical order) until one goes past the names
    under `prefix/`: a big registry's catalog is not walked to its end."""
    inside = prefix + "/"

    def past(page: Page) -> bool:
        return bool(page.items) and not str(page.items[-1]).startswith(inside) and str(page.items[-1]) > inside

    return (yield from pages(protocol.catalog(page_size, prefix), "repositories", limit, until=past))


def under(prefix: str, walked: Sequence[Page]) -> list[str]:
    """The repositories under `prefix/` that pages of the catalog list."""
    return [name for page in walked for name in page.items if str(name).startswith(prefix + "/")]


def repositories_under(prefix: str, limit: int = MAX_PAGES) -> Flow[list[str]]:
    """The repositories under `prefix/` (none when the catalog does not answer 200)."""
    return under(prefix, (yield from catalog_under(prefix, limit)))
