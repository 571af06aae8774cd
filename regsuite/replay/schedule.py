"""The second pass: the log's operations as a schedule of synthetic operations, written and read as a stream.

`write_schedule` walks the log again and writes one line per operation to a gzip'd JSON-lines file,
in the order of their start times at 1× (seconds from the window's start), with synthetic names
only (regsuite.replay.plan). Lines of a log are written when requests end, so starts come out of
order by up to a request's duration: a bounded buffer (`HORIZON` seconds of log time) puts them back
in order; a request that started longer ago than that is sent at the buffer's edge and counted as
`reordered`. The combined format has one-second times: the operations of one second are spread
evenly over it.

The file, not the log, is what the generators read (`ScheduleReader`): the locust master (or the
single local process) reads it a few seconds ahead and hands the operations to the pacers, so no
process of the run ever holds the whole schedule, the log's names, or the key.
"""

from __future__ import annotations

import gzip
import heapq
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import flows
from .. import mediatypes as mt
from .logformat import LogLines
from .operations import Op, Request
from .plan import Plan
from .survey import Walk
from .window import Window

HORIZON = 60.0  # seconds of log time the reordering buffer holds


@dataclass(frozen=True, slots=True)
class Entry:
    """One operation of the schedule, with synthetic names only."""

    at: float  # seconds from the schedule's start (at 1× in the file; at the run's speed once read)
    op: str  # regsuite.replay.operations.Op
    repo: str = ""
    ref: str = ""  # synthetic tag or digest
    size: int = 0  # bytes: the blob's, or the manifest's as the log recorded it
    status: int = 200  # the status the log recorded
    extra: dict[str, Any] | None = None  # upload: tag, method, chunk; mount: from, tag; manifest-put: body;
    #                                      tags-list and catalog: n, last

    def wire(self) -> list[Any]:
        return [round(self.at, 6), self.op, self.repo, self.ref, self.size, self.status, self.extra]

    @classmethod
    def from_wire(cls, raw: list[Any], speed: float = 1.0) -> Entry:
        at, op, repo, ref, size, status, extra = raw
        return cls(at / speed, op, repo, ref, size, status, extra)


@dataclass
class ScheduleSummary:
    """What the schedule holds (at 1×)."""

    operations: int = 0
    ops: Counter[str] = field(default_factory=Counter)
    per_second: Counter[int] = field(default_factory=Counter)  # whole second of the schedule -> operations
    last_at: float = 0.0
    reordered: int = 0  # started more than HORIZON before their line was written
    unfinished: int = 0  # uploads left out: the log never shows their end

    def to_dict(self) -> dict[str, Any]:
        return {"operations": self.operations, "ops": dict(self.ops), "last_at": round(self.last_at, 3),
                "reordered": self.reordered, "unfinished_uploads": self.unfinished,
                "per_second": [self.per_second.get(s, 0) for s in range(int(self.last_at) + 1)]}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ScheduleSummary:
        return cls(raw["operations"], Counter(raw["ops"]), Counter(dict(enumerate(raw["per_second"]))),
                   raw["last_at"], raw.get("reordered", 0), raw.get("unfinished_uploads", 0))


class _Ordered:
    """Requests back in start order within HORIZON seconds; coarse (one-second) starts spread over their second."""

    def __init__(self, summary: ScheduleSummary) -> None:
        self.summary = summary
        self.heap: list[tuple[float, int, Request]] = []
        self.newest = float("-inf")
        self.emitted = float("-inf")
        self.second: list[tuple[int, Request]] = []  # coarse requests of one second, waiting to be spread

    def push(self, request: Request) -> Iterator[tuple[float, Request]]:
        start = request.record.start
        if start < self.emitted:
            self.summary.reordered += 1
            start = self.emitted
        heapq.heappush(self.heap, (start, request.record.line, request))
        self.newest = max(self.newest, start)
        while self.heap and self.heap[0][0] <= self.newest - HORIZON:
            yield from self._pop()

    def flush(self) -> Iterator[tuple[float, Request]]:
        while self.heap:
            yield from self._pop()
        yield from self._spread()

    def _pop(self) -> Iterator[tuple[float, Request]]:
        start, _, request = heapq.heappop(self.heap)
        self.emitted = start
        if not request.record.coarse:
            yield start, request
            return
        if self.second and self.second[0][0] != int(start):
            yield from self._spread()
        self.second.append((int(start), request))

    def _spread(self) -> Iterator[tuple[float, Request]]:
        group, self.second = self.second, []
        for i, (second, request) in enumerate(group):
            yield second + i / len(group), request


def write_schedule(log: LogLines, window: Window, plan: Plan, path: Path,
                   seconds: float | None = None) -> ScheduleSummary:
    """Pass two (see the module): the schedule file at `path`, and what it holds."""
    summary = ScheduleSummary()
    ordered = _Ordered(summary)
    origin = plan.survey.window_start
    with gzip.open(path, "wt", compresslevel=3) as out:

        def emit(items: Iterator[tuple[float, Request]]) -> None:
            for start, request in items:
                entry = _entry(plan, max(start - origin, 0.0), request, summary)
                if entry is None:
                    continue
                out.write(json.dumps(entry.wire(), separators=(",", ":")) + "\n")
                summary.operations += 1
                summary.ops[entry.op] += 1
                summary.per_second[int(entry.at)] += 1
                summary.last_at = max(summary.last_at, entry.at)

        for item in Walk(log, window, seconds):
            if isinstance(item, Request) and item.op is not None:
                emit(ordered.push(item))
        emit(ordered.flush())
    return summary


def _entry(plan: Plan, at: float, request: Request, summary: ScheduleSummary) -> Entry | None:
    names, op, record = plan.names, request.op, request.record
    repo = names.repo(request.repo) if request.repo else ""
    status, query = record.status, request.query
    if op in (Op.MANIFEST_HEAD, Op.MANIFEST_GET, Op.DELETE_MANIFEST):
        return Entry(at, op, repo, plan.reference(request.repo, request.ref), record.written, status)
    if op in (Op.BLOB_HEAD, Op.BLOB_GET, Op.DELETE_BLOB):
        synthetic = plan.blob(request.ref)
        return Entry(at, op, repo, synthetic.digest, synthetic.size, status)
    if op is Op.UPLOAD:
        upload = plan.inventory.uploads.get(record.line)
        if upload is None or upload.digest is None:
            summary.unfinished += 1
            return None
        synthetic = plan.blob(upload.digest)
        method, chunk = _method(upload.patches, synthetic.size, bool(query.get("digest")))
        return Entry(at, op, repo, synthetic.digest, synthetic.size, status,
                     {"tag": synthetic.tag.hex(), "method": method, "chunk": chunk})
    if op is Op.MOUNT:
        synthetic = plan.blob(query.get("mount", ""))
        return Entry(at, op, repo, synthetic.digest, synthetic.size, status,
                     {"from": names.repo(query["from"]) if query.get("from") else "", "tag": synthetic.tag.hex()})
    if op is Op.MANIFEST_PUT:
        if request.by_digest:
            ref, body = plan.manifest_by_digest(request.ref)
        else:
            ref, body = names.tag(request.ref), plan.tag_manifest(request.repo, request.ref, push=record.line)
        return Entry(at, op, repo, ref, len(body), status, {"body": body.decode(), "type": mt.OCI_MANIFEST})
    if op is Op.TAGS:
        return Entry(at, op, repo, "", record.written, status, _paging(query, names.tag))
    if op is Op.CATALOG:
        return Entry(at, op, "", "", record.written, status, _paging(query, names.repo))
    if op is Op.REFERRERS:
        return Entry(at, op, repo, plan.reference(request.repo, request.ref), record.written, status)
    return Entry(at, Op.PING, status=status)


def _method(patches: int, size: int, digest_in_post: bool) -> tuple[str, int]:
    """How the log's client sent the blob, by its requests: (flows method, chunk size for chunked)."""
    if digest_in_post:
        return flows.POST_DIGEST, 0
    if patches == 0:
        return flows.POST_PUT, 0
    if patches == 1:
        return flows.STREAM, 0
    return flows.CHUNKED, max(-(-size // patches), 1)


def _paging(query: dict[str, str], mapped: Any) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    if query.get("n", "").isdigit():
        out["n"] = int(query["n"])
    if query.get("last"):
        out["last"] = mapped(query["last"])
    return out or None


def read_schedule(path: Path, speed: float = 1.0) -> Iterator[Entry]:
    """The schedule's operations in order, their times divided by `speed`."""
    with gzip.open(path, "rt") as f:
        for line in f:
            yield Entry.from_wire(json.loads(line), speed)


class ScheduleReader:
    """Reads a schedule a little ahead of the run: `until(t)` gives the operations due by `t` not given yet."""

    def __init__(self, path: Path, speed: float = 1.0, stop_at: float | None = None) -> None:
        self._entries = read_schedule(path, speed)
        self._next: Entry | None = None
        self.stop_at = stop_at
        self.exhausted = False

    def until(self, t: float) -> list[Entry]:
        out: list[Entry] = []
        while not self.exhausted:
            if self._next is None:
                self._next = next(self._entries, None)
                if self._next is None or (self.stop_at is not None and self._next.at > self.stop_at):
                    self.exhausted = True
                    break
            if self._next.at > t:
                break
            out.append(self._next)
            self._next = None
        return out
