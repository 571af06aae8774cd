"""Pushing what the log reads but never writes, before the replay starts (its time is left out of every figure).

Blobs first (a blob already pushed to one repository of the run is mounted into the next), then the
`{}` config of every repository with manifests, then the manifests, over the conformance client with a
few threads. Large blobs go in chunks, so no blob is ever held whole.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import httpx

from .. import flows
from .. import mediatypes as mt
from ..client import RegistryClient
from ..errors import TargetError
from ..probe import classify
from ..target import Target
from .content import CONFIG, Bytes
from .plan import SeedBlob, SeedManifest, Seeds

THREADS = 4
CHUNK = 8 << 20  # blobs above this go in chunked uploads of this size
TIMEOUT = httpx.Timeout(120.0, connect=10.0)
T = TypeVar("T")


@dataclass
class SeedReport:
    blobs: int = 0
    manifests: int = 0
    bytes: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, float]:
        return {"blobs": self.blobs, "manifests": self.manifests, "bytes": self.bytes,
                "seconds": round(self.seconds, 2)}


def seed(target: Target, seeds: Seeds) -> SeedReport:
    report = SeedReport()
    started = time.monotonic()
    first_home: dict[str, str] = {}  # blob digest -> a repository that holds it already
    lock = threading.Lock()

    def push_blobs(client: RegistryClient, items: list[SeedBlob]) -> None:
        for item in items:
            push_blob(client, item)

    def push_blob(client: RegistryClient, item: SeedBlob) -> None:
        synthetic = item.blob
        with lock:
            home = first_home.setdefault(synthetic.digest, item.repo)
        source = Bytes(synthetic)
        if home != item.repo:
            client.run(flows.mount(item.repo, source, home))
        else:
            method = flows.CHUNKED if synthetic.size > CHUNK else flows.POST_PUT
            client.run(flows.upload(item.repo, source, method, chunk_size=CHUNK))
        with lock:
            report.blobs += 1
            report.bytes += synthetic.size

    def push_config(client: RegistryClient, repo: str) -> None:
        client.run(flows.upload(repo, CONFIG))

    def push_manifest(client: RegistryClient, item: SeedManifest) -> None:
        client.run(flows.put_manifest(item.repo, item.reference, item.body, mt.OCI_MANIFEST))
        with lock:
            report.manifests += 1
            report.bytes += len(item.body)

    # Blobs of one digest one after the other (the mounts need the first push done): grouped by digest.
    groups: dict[str, list[SeedBlob]] = {}
    for item in seeds.blobs:
        groups.setdefault(item.blob.digest, []).append(item)
    _in_threads(target, push_blobs, list(groups.values()))
    _in_threads(target, push_config, seeds.configs)
    _in_threads(target, push_manifest, seeds.manifests)
    report.seconds = time.monotonic() - started
    return report


def _in_threads(target: Target, work: Callable[[RegistryClient, T], None], items: Sequence[T]) -> None:
    """`work(client, item)` for every item, on THREADS threads with a client each."""
    if not items:
        return
    local = threading.local()
    clients: list[RegistryClient] = []

    def run(item: T) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = RegistryClient(target, timeout=TIMEOUT)
            clients.append(client)
        work(client, item)

    pool = ThreadPoolExecutor(THREADS, thread_name_prefix="regsuite-replay-seed")
    try:
        for done in [pool.submit(run, item) for item in items]:
            done.result()
    except flows.FlowFailed as exc:
        raise TargetError(f"seeding the replay failed: {exc}") from None
    except httpx.HTTPError as exc:
        raise classify(exc, target) from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # after a failure, what has not started never starts
        for client in clients:
            client.close()
