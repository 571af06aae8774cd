"""The run namespace: every write goes under `<prefix>/<run-id>/`, and only there.

The client consults a `WriteGuard` before every request: outside the
namespace, and in read-only mode for anything but GET/HEAD, the request is
refused before it leaves the process. Writes that succeed are logged so the
run can delete exactly what it created.
"""

from __future__ import annotations

import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx

from . import flows
from .protocol import Kind, route

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class WriteRefused(RuntimeError):
    """A request the namespace rules forbid (raised before anything is sent)."""


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


@dataclass
class Namespace:
    prefix: str
    run_id: str = field(default_factory=new_run_id)
    read_only: bool = False

    @property
    def root(self) -> str:
        return f"{self.prefix}/{self.run_id}"

    def repo(self, name: str) -> str:
        return f"{self.root}/{name}"

    def owns(self, repository: str) -> bool:
        return repository == self.root or repository.startswith(self.root + "/")


@dataclass
class WriteLog:
    """What the run created and has not deleted yet: manifests (repo, digest) and blobs (repo, digest), in order.

    A DELETE by digest the registry accepted (202) takes its entry out, so the
    cleanup never asks again for what a check already deleted.
    """

    manifests: list[tuple[str, str]] = field(default_factory=list)
    blobs: list[tuple[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def on_response(self, response: httpx.Response) -> None:
        request = response.request
        if request.method == "DELETE" and response.status_code == 202:
            self._deleted(request)
            return
        if response.status_code != 201 or request.method not in ("PUT", "POST"):
            return
        found = route(request.url.path)
        digest = response.headers.get("docker-content-digest") or request.url.params.get("digest")
        if found is None or not digest:
            return
        if found.kind not in (Kind.MANIFESTS, Kind.UPLOADS, Kind.UPLOAD):
            return
        entry = (found.repository, digest)
        with self._lock:
            target = self.manifests if found.kind is Kind.MANIFESTS else self.blobs
            if entry not in target:
                target.append(entry)

    def _deleted(self, request: httpx.Request) -> None:
        found = route(request.url.path)
        if found is None or found.kind not in (Kind.MANIFESTS, Kind.BLOBS):
            return
        with self._lock:
            target = self.manifests if found.kind is Kind.MANIFESTS else self.blobs
            entry = (found.repository, found.reference)
            if entry in target:
                target.remove(entry)


class WriteGuard:
    """Refuses writes outside the namespace and every write in read-only mode."""

    def __init__(self, namespace: Namespace) -> None:
        self.namespace = namespace
        self.refused: list[str] = []

    def __call__(self, request: httpx.Request) -> None:
        if request.method in READ_METHODS:
            return
        if self.namespace.read_only:
            self._refuse(request, "read-only mode sends only GET and HEAD")
        path = request.url.path
        if not path.startswith("/v2/"):
            return  # token endpoints and the like are not the registry's storage
        found = route(path)
        if found is None or not self.namespace.owns(found.repository):
            self._refuse(request, f"writes go only under {self.namespace.root}/")

    def _refuse(self, request: httpx.Request, why: str) -> None:
        self.refused.append(f"{request.method} {request.url.path}")
        raise WriteRefused(f"refused {request.method} {request.url.path}: {why}")


def cleanup(client: object, log: WriteLog, *, parallel: int = 8) -> list[str]:
    """Delete what the run wrote: all manifests first, then all blobs, each group concurrently.

    `client` is a RegistryClient (thread-safe, like the httpx client under it).
    Returns the problems met (a registry without deletes answers 405, which is
    not a problem). Only entries inside the namespace are ever in the log,
    because the guard let nothing else through.
    """
    problems: list[str] = []
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        for kind, entries in (("manifests", list(reversed(log.manifests))), ("blobs", list(reversed(log.blobs)))):
            for problem in pool.map(lambda e, k=kind: _delete(client, k, *e), entries):
                problems += problem
    return problems


def _delete(client: object, kind: str, repo: str, digest: str) -> list[str]:
    try:
        return client.run(flows.delete_content([(repo, kind, digest)])).problems  # type: ignore[attr-defined, no-any-return]
    except httpx.HTTPError as exc:
        return [f"DELETE {repo} {kind} {digest}: {exc}"]
