"""A replay on the locust side: the schedule handed out a few seconds ahead, and the user that sends it.

The schedule file (synthetic names only; regsuite.replay.schedule) is on the machine of the run's
lead process: the single local locust process, or the master. Each shape tick it reads the next
`LOOKAHEAD` seconds of it. A local process puts them on its own `FEED`; a master deals them out in
turn to the workers taking part and sends each its share in a message, so a worker needs no file
and never sees more than a few seconds of the schedule. Each process's pacer (loadtest.arrival)
issues an operation when it falls due, whatever the registry does; a free `ReplayUser` sends it.

Every operation is a transaction of type `replay` named by its operation (`blob-get`, `upload`, ...),
timed from its actual send and from its intended start (`replay@intended`), with its start's
lateness against the schedule (`replay@lateness`, in ms). A read answered 404 where the log had it
found (or the reverse) is not a failure: the content depends on what ran before, which the replay
only approximates at another speed; it is counted under `replay@differed`.
"""

from __future__ import annotations

import os
import time
from collections import deque
from pathlib import Path
from typing import Any

from locust import events
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

from regsuite import flows, protocol
from regsuite.load import DIFFERED, LATENESS
from regsuite.load import env as load_env
from regsuite.loadtest import coordination, shapes, users
from regsuite.loadtest.arrival import PACER, PacedUser, Ticket
from regsuite.replay.content import SyntheticBlob
from regsuite.replay.operations import Op
from regsuite.replay.schedule import Entry, ScheduleReader

ENTRIES_MESSAGE = "regsuite-replay"
LOOKAHEAD = 3.0  # seconds of the schedule handed out ahead of their time
_FOUND = (200, 201, 202, 204, 206, 307)


class Feed:
    """This process's operations not yet due, in schedule order (times at the run's speed)."""

    def __init__(self) -> None:
        self.entries: deque[Entry] = deque()

    def extend(self, entries: list[Entry]) -> None:
        self.entries.extend(entries)

    def due(self, elapsed: float) -> list[tuple[float, Any]]:
        out = []
        while self.entries and self.entries[0].at <= elapsed:
            entry = self.entries.popleft()
            out.append((entry.at, entry))
        return out

    def next_at(self) -> float | None:
        return self.entries[0].at if self.entries else None


FEED = Feed()


class Dealer:
    """The lead process's side: reads the schedule ahead and hands it out (its own feed, or the workers')."""

    def __init__(self, environment: Environment) -> None:
        self.environment = environment
        path = os.environ.get(load_env.REPLAY)
        shape = users.PROFILE.shape
        self.reader = ScheduleReader(Path(path), shape.speed, stop_at=shape.duration) if path else None
        self.turn = 0

    def deal(self, elapsed: float) -> None:
        if self.reader is None:
            return
        entries = self.reader.until(elapsed + LOOKAHEAD)
        runner = self.environment.runner
        if not isinstance(runner, MasterRunner):
            FEED.extend(entries)
            return
        role = coordination.ROLE
        active = role.active() if isinstance(role, coordination.Master) else []
        if not active or not entries:
            return
        shares: dict[str, list[list[Any]]] = {worker: [] for worker in active}
        for entry in entries:  # in turn: neighbours in time go to different workers
            shares[active[self.turn % len(active)]].append(entry.wire())
            self.turn += 1
        for worker, wired in shares.items():
            if wired:
                runner.send_message(ENTRIES_MESSAGE, {"entries": wired}, client_id=worker)


DEALER: Dealer | None = None


def _on_entries(msg: Any, **_kw: Any) -> None:
    FEED.extend([Entry.from_wire(raw) for raw in msg.data["entries"]])


def _on_init(environment: Environment, **_kw: Any) -> None:
    global DEALER
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        runner.register_message(ENTRIES_MESSAGE, _on_entries)
    elif users.PROFILE.shape.kind == "replay":
        DEALER = Dealer(environment)


def install() -> None:
    events.init.add_listener(_on_init)


def shape_for(profile: Any) -> type:
    """The profile's arrival shape, dealing the schedule out at each tick."""
    base = shapes.shape_for(profile)

    class ReplayShape(base):  # type: ignore[valid-type,misc]
        def tick(self) -> tuple[int, float] | None:
            if DEALER is not None and not self.drain_started:
                DEALER.deal(self.get_run_time())
            return super().tick()  # type: ignore[no-any-return]

    ReplayShape.__name__ = ReplayShape.__qualname__ = "ReplayShape"
    return ReplayShape


class ReplayUser(PacedUser):
    """Sends the replay's operations as the pacer issues them."""

    abstract = False

    def on_start(self) -> None:
        super().on_start()
        PACER.feed = FEED

    def run_ticket(self, ticket: Ticket) -> None:
        entry: Entry = ticket.op
        now = time.perf_counter()
        fire = self.environment.events.request.fire
        fire(request_type=LATENESS, name=entry.op, response_time=max(now - ticket.intended, 0.0) * 1000,
             response_length=0, exception=None, context={})
        if entry.repo and not entry.repo.startswith(users.SETTINGS.namespace + "/"):
            raise RuntimeError("a replayed operation outside the run namespace")  # never sent
        with self.transaction("replay", entry.op) as tx:
            status = self.operate(entry, tx)
        if status is not None and (status in _FOUND) != (entry.status in _FOUND):
            fire(request_type=DIFFERED, name=entry.op, response_time=0, response_length=0, exception=None,
                 context={})

    def operate(self, entry: Entry, tx: users.Transaction) -> int | None:
        """Send one operation; the status that decided it (None for multi-request operations)."""
        op, repo, ref, extra = Op(entry.op), entry.repo, entry.ref, entry.extra or {}
        if op is Op.UPLOAD:
            blob = SyntheticBlob(ref, entry.size, bytes.fromhex(extra["tag"]))
            self.drive(flows.upload(repo, blob, extra["method"], chunk_size=extra.get("chunk") or None), tx)
            return None
        if op is Op.MOUNT:
            blob = SyntheticBlob(ref, entry.size, bytes.fromhex(extra["tag"]))
            self.drive(flows.mount(repo, blob, extra.get("from") or None), tx)
            return None
        if op is Op.MANIFEST_PUT:
            self.drive(flows.put_manifest(repo, ref, extra["body"].encode(), extra["type"]), tx)
            return None
        if op is Op.BLOB_GET:
            return self._blob_get(entry, tx)
        step, role, expect, read = _single(op, repo, ref, extra)
        reply = self.drive(flows.exchange(flows.Send(step, role, expect, read=read)), tx)
        return reply.status

    def _blob_get(self, entry: Entry, tx: users.Transaction) -> int:
        """A blob GET: its body read to the end and checked against its size when found (404 when not)."""
        send = flows.Send(protocol.get_blob(entry.repo, entry.ref), flows.Role.BLOB_GET, (200, 404),
                          download=flows.Download(entry.ref, entry.size))
        whole = self._reader(send)

        def read(response: Any) -> int:
            return whole(response) if response.status_code == 200 else len(response.content or b"")

        response = self.send(send, read=read)
        tx.bytes += int(response.request_meta.get("response_length") or 0)
        return int(response.status_code)


def _single(op: Op, repo: str, ref: str,
            extra: dict[str, Any]) -> tuple[protocol.Step, flows.Role, tuple[int, ...], bool]:
    """(step, role, answers taken, body needed) of an operation of one request."""
    read_role = {Op.MANIFEST_HEAD: flows.Role.MANIFEST_HEAD, Op.MANIFEST_GET: flows.Role.MANIFEST_GET,
                 Op.BLOB_HEAD: flows.Role.BLOB_EXISTS}
    if op is Op.MANIFEST_HEAD:
        return protocol.head_manifest(repo, ref), read_role[op], (200, 404), False
    if op is Op.MANIFEST_GET:
        return protocol.get_manifest(repo, ref), read_role[op], (200, 404), True
    if op is Op.BLOB_HEAD:
        return protocol.head_blob(repo, ref), read_role[op], (200, 404), False
    if op is Op.TAGS:
        return protocol.tags_list(repo, extra.get("n"), extra.get("last")), flows.Role.LIST, (200, 404), True
    if op is Op.CATALOG:
        return protocol.catalog(extra.get("n"), extra.get("last")), flows.Role.LIST, (200,), True
    if op is Op.REFERRERS:
        return protocol.referrers(repo, ref), flows.Role.LIST, (200, 404), True
    if op is Op.DELETE_MANIFEST:
        return protocol.delete(repo, "manifests", ref), flows.Role.DELETE_MANIFEST, (202, 404), False
    if op is Op.DELETE_BLOB:
        return protocol.delete(repo, "blobs", ref), flows.Role.DELETE_BLOB, (202, 404), False
    return protocol.ping(), flows.Role.LIST, (200,), False


ReplayUser.tasks = [ReplayUser.iterate]
