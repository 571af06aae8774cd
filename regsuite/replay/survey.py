"""The first pass over a log: what it holds (rate, mix, sizes, hot images) and what the replay needs to know.

`survey(log, window)` streams the log once. Memory grows with what the log refers to (distinct
repositories, images, blobs, uploads in the window), never with its lines. It gives:

- the statistics `regsuite replay-stats` prints: requests per second, the operation mix, blob and
  manifest sizes, the most requested images, lines skipped by reason;
- the inventory the replay is planned from (regsuite.replay.plan): each blob's size (from its
  GETs), each upload's blob and method (its POST, PATCHes and closing PUT, matched by upload id and,
  for the POST, which the log records without its id, by order within the repository), and what
  the log reads before it writes it (to be seeded before the replay).
"""

from __future__ import annotations

import bisect
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..errors import LogEmpty, LogWindowEmpty
from .logformat import LogLines, Record
from .operations import ORPHAN_STEP, OUTSIDE, Op, Request, classify
from .window import Window, stamp

# Size classes of the size distribution: powers of two from 1 KiB to 4 GiB.
SIZE_CLASSES = tuple(1 << p for p in range(10, 33))


@dataclass
class Sizes:
    """A distribution of sizes in bytes: count, total, and counts per power-of-two class (for percentiles)."""

    count: int = 0
    total: int = 0
    largest: int = 0
    classes: Counter[int] = field(default_factory=Counter)

    def add(self, size: int) -> None:
        self.count += 1
        self.total += size
        self.largest = max(self.largest, size)
        self.classes[SIZE_CLASSES[min(bisect.bisect_left(SIZE_CLASSES, size), len(SIZE_CLASSES) - 1)]] += 1

    def percentile(self, q: float) -> int:
        """The upper bound of the class holding quantile q (the exact largest for the top one)."""
        need, seen = q * self.count, 0
        for bound in sorted(self.classes):
            seen += self.classes[bound]
            if seen >= need:
                return min(bound, self.largest)
        return self.largest

    def to_dict(self) -> dict[str, int]:
        return {"count": self.count, "bytes": self.total, "p50": self.percentile(0.5), "p90": self.percentile(0.9),
                "p99": self.percentile(0.99), "max": self.largest}


@dataclass(slots=True)
class Upload:
    """One upload of the log, from its POST."""

    repo: str
    line: int  # its POST's line
    patches: int = 0
    digest: str | None = None  # the closing PUT's (or the POST's, for a one-request upload)
    cancelled: bool = False


@dataclass
class Inventory:
    """What the replay is planned from."""

    blob_sizes: dict[str, int] = field(default_factory=dict)  # digest -> bytes its GETs returned
    manifest_sizes: dict[str, int] = field(default_factory=dict)  # digest, or repo\0tag -> bytes of its GETs
    uploads: dict[int, Upload] = field(default_factory=dict)  # by the line of their POST
    uploaded: set[str] = field(default_factory=set)  # blob digests the log uploads
    seed_blobs: dict[tuple[str, str], None] = field(default_factory=dict)  # (repo, digest) read before written
    seed_manifests: dict[tuple[str, str], None] = field(default_factory=dict)  # (repo, tag or digest) likewise
    written_blobs: set[tuple[str, str]] = field(default_factory=set)
    written_manifests: set[tuple[str, str]] = field(default_factory=set)
    tagged: set[str] = field(default_factory=set)  # repositories holding a tag (seeded or pushed) so far

    @staticmethod
    def manifest_key(repo: str, ref: str) -> str:
        """Where a manifest's size is kept: by digest (the same in every repository), or by repository and tag."""
        return ref if ":" in ref else f"{repo}\0{ref}"


@dataclass
class Survey:
    path: str
    fmt: str  # regsuite.replay.logformat's name of the format
    format: str  # its description
    lines: int = 0  # non-blank lines read
    requests: int = 0  # registry operations in the window (upload steps not counted)
    skipped: Counter[str] = field(default_factory=Counter)
    ops: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)  # "2xx", "3xx", "404" of the operations
    per_second: Counter[int] = field(default_factory=Counter)  # whole unix second -> operations starting in it
    blob_sizes: Sizes = field(default_factory=Sizes)  # blob GETs (bytes sent)
    manifest_sizes: Sizes = field(default_factory=Sizes)  # manifest GETs
    upload_sizes: Sizes = field(default_factory=Sizes)  # uploads whose blob's size the log shows (a later GET)
    uploads_unsized: int = 0
    images: Counter[tuple[str, str]] = field(default_factory=Counter)  # (repo, tag or digest) -> manifest reads
    first: float = 0.0  # the window's first and last operation
    last: float = 0.0
    log_first: float = 0.0  # the whole log's first and last request
    log_last: float = 0.0
    window_start: float = 0.0  # where the schedule's time 0 is (the window's start, or its first request)
    window_end: float = float("inf")
    inventory: Inventory = field(default_factory=Inventory)

    @property
    def seconds(self) -> float:
        return max(self.last - self.first, 0.0)


class Walk:
    """A log's requests in the window, classified, in file order; lines that carry none with their reason.

    Both passes walk the log this way, so they see the same lines the same way.
    """

    def __init__(self, log: LogLines, window: Window, seconds: float | None = None) -> None:
        self.log, self.window, self.seconds = log, window, seconds
        self.start, self.end = 0.0, float("inf")
        self.log_first = self.log_last = 0.0

    def __iter__(self) -> Iterator[Request | tuple[int, str]]:
        resolved = False
        for item in self.log:
            if not isinstance(item, Record):
                yield item
                continue
            if not resolved:
                self.log_first, resolved = item.start, True
                self.start, self.end = self.window.resolve(item.start, self.seconds)
            self.log_first = min(self.log_first, item.start)
            self.log_last = max(self.log_last, item.start)
            if not self.start <= item.start < self.end:
                yield item.line, OUTSIDE
                continue
            got = classify(item)
            yield got if isinstance(got, Request) else (item.line, got)


def survey(log: LogLines, window: Window, seconds: float | None = None) -> Survey:
    """Pass one (see the module); LogWindowEmpty when the window holds no operation."""
    out = Survey(str(log.path), log.fmt, log.description)
    walk = Walk(log, window, seconds)
    uploads = _Uploads(out.inventory)
    for item in walk:
        out.lines += 1
        if not isinstance(item, Request):
            out.skipped[item[1]] += 1
            continue
        record = item.record
        if item.op is None:
            reason = uploads.step(item)
            if reason:
                out.skipped[reason] += 1
            continue
        out.requests += 1
        out.ops[item.op] += 1
        out.statuses["404" if record.status == 404 else f"{record.status // 100}xx"] += 1
        out.per_second[int(record.start)] += 1
        out.first = record.start if out.requests == 1 else min(out.first, record.start)
        out.last = max(out.last, record.start)
        _note(out, item, uploads)
    out.log_first, out.log_last = walk.log_first, walk.log_last
    out.window_start = walk.start if window.start.at is not None or window.start.offset is not None else out.first
    out.window_end = walk.end
    if not out.requests:
        if window.text == "" and seconds is None:
            skipped = ", ".join(f"{n} {reason}" for reason, n in out.skipped.most_common(3))
            raise LogEmpty(f"{log.path}: the log holds no registry operation to replay ({skipped})")
        raise LogWindowEmpty(f"{log.path}: --window {window.text or '(none)'} selects no registry request; the log's "
                             f"requests run from {stamp(walk.log_first)} to {stamp(walk.log_last)}")
    inventory = out.inventory
    for upload in inventory.uploads.values():
        if upload.digest is not None:
            size = inventory.blob_sizes.get(upload.digest)
            if size is None:
                out.uploads_unsized += 1
            else:
                out.upload_sizes.add(size)
    return out


def _note(out: Survey, request: Request, uploads: _Uploads) -> None:
    """One operation's facts: sizes, hot images, what it reads before the log writes it."""
    inv, record, op = out.inventory, request.record, request.op
    repo, ref, ok = request.repo, request.ref, request.ok
    if op is Op.BLOB_GET and record.status == 200:
        out.blob_sizes.add(record.written)
        inv.blob_sizes[ref] = max(inv.blob_sizes.get(ref, 0), record.written)
    elif op is Op.MANIFEST_GET and record.status == 200:
        out.manifest_sizes.add(record.written)
        key = inv.manifest_key(repo, ref)
        inv.manifest_sizes[key] = max(inv.manifest_sizes.get(key, 0), record.written)
    if op in (Op.MANIFEST_GET, Op.MANIFEST_HEAD) and ok:
        out.images[(repo, ref)] += 1
    if not ok:
        return
    if op in (Op.BLOB_GET, Op.BLOB_HEAD, Op.DELETE_BLOB) and (repo, ref) not in inv.written_blobs:
        inv.seed_blobs.setdefault((repo, ref), None)
    elif op in (Op.MANIFEST_GET, Op.MANIFEST_HEAD, Op.DELETE_MANIFEST) and (repo, ref) not in inv.written_manifests:
        inv.seed_manifests.setdefault((repo, ref), None)
        if not request.by_digest:
            inv.tagged.add(repo)
    elif op is Op.TAGS and repo not in inv.tagged:
        inv.seed_manifests.setdefault((repo, ""), None)  # "": one tag so the repository lists one
        inv.tagged.add(repo)
    elif op is Op.MANIFEST_PUT:
        inv.written_manifests.add((repo, ref))
        if not request.by_digest:
            inv.tagged.add(repo)
    elif op is Op.MOUNT:
        source, digest = request.query.get("from", ""), request.query.get("mount", "")
        if source and (source, digest) not in inv.written_blobs:
            inv.seed_blobs.setdefault((source, digest), None)
        inv.written_blobs.add((repo, digest))
    elif op is Op.UPLOAD:
        uploads.start(request)


class _Uploads:
    """Matches upload steps to their POST: by upload id once known, else the oldest open upload of the repository."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory
        self.waiting: dict[str, deque[Upload]] = {}  # repo -> POSTs whose id no step has shown yet
        self.by_id: dict[str, Upload] = {}

    def start(self, request: Request) -> None:
        upload = Upload(request.repo, request.record.line)
        self.inventory.uploads[upload.line] = upload
        digest = request.query.get("digest")
        if request.record.status == 201 and digest:  # the whole blob in the POST
            self._done(upload, digest)
        else:
            self.waiting.setdefault(request.repo, deque()).append(upload)

    def step(self, request: Request) -> str | None:
        """Note a PATCH, closing PUT, status GET or cancel; the reason to skip it when no POST is known."""
        upload = self.by_id.get(request.ref)
        if upload is None:
            queue = self.waiting.get(request.repo)
            if not queue:
                return ORPHAN_STEP
            upload = queue.popleft()
            self.by_id[request.ref] = upload
        method, ok = request.record.method, request.ok
        if method == "PATCH" and ok:
            upload.patches += 1
        elif method == "PUT" and ok and request.query.get("digest"):
            self._done(upload, request.query["digest"])
            self.by_id.pop(request.ref, None)
        elif method == "DELETE":
            upload.cancelled = True
            self.by_id.pop(request.ref, None)
        return None

    def _done(self, upload: Upload, digest: str) -> None:
        upload.digest = digest
        self.inventory.uploaded.add(digest)
        self.inventory.written_blobs.add((upload.repo, digest))
