"""The pull pool: images pushed before measurement starts, one per size class.

Seeding runs in the parent process with the conformance client, before
locust starts, so its time never enters the results. The pool (repositories,
digests, sizes) tells the pull users what to fetch and which digests to
expect; it reaches them from the pool file or, on workers, in the master's
settings message.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from ..client import RegistryClient, request_timeout
from ..content import image
from ..errors import TargetError
from ..flows import FlowFailed
from ..probe import classify
from ..target import Target
from .profiles import PullSpec, size_label


@dataclass(frozen=True)
class PoolBlob:
    digest: str
    size: int


@dataclass(frozen=True)
class PoolImage:
    label: str  # size class, e.g. "1MiB"
    repo: str
    tag: str
    manifest_digest: str
    media_type: str
    config: PoolBlob
    layers: tuple[PoolBlob, ...]

    @property
    def total_bytes(self) -> int:
        return self.config.size + sum(layer.size for layer in self.layers)


def seed_pull_pool(target: Target, repo: str, spec: PullSpec, *, timeout: float = 120.0) -> list[PoolImage]:
    """Push one image per size class into `repo` (tags `size-<label>`)."""
    pool: list[PoolImage] = []
    with RegistryClient(target, timeout=request_timeout(timeout, connect=10.0)) as client:
        for size in spec.sizes:
            label = size_label(size)
            manifest = image(f"load-pool/{label}", layers=spec.layers, layer_size=max(size // spec.layers, 1),
                             compressed=False)
            tag = f"size-{label}"
            try:
                client.push_image(repo, manifest, tag)
            except FlowFailed as exc:
                raise TargetError(f"seeding the pull pool failed: {exc}") from None
            except httpx.HTTPError as exc:
                raise classify(exc, target) from None
            config, *layers = manifest.blobs
            pool.append(PoolImage(
                label, repo, tag, manifest.digest, manifest.media_type,
                PoolBlob(config.digest, config.size),
                tuple(PoolBlob(b.digest, b.size) for b in layers),
            ))
    return pool


def pool_to_data(pool: list[PoolImage]) -> list[dict[str, Any]]:
    """Plain data (for the pool file and for the master's message to its workers)."""
    return [asdict(p) for p in pool]


def pool_from_data(data: list[dict[str, Any]]) -> list[PoolImage]:
    return [PoolImage(raw["label"], raw["repo"], raw["tag"], raw["manifest_digest"], raw["media_type"],
                      PoolBlob(**raw["config"]), tuple(PoolBlob(**b) for b in raw["layers"]))
            for raw in data]


def write_pool(pool: list[PoolImage], path: Path) -> None:
    path.write_text(json.dumps(pool_to_data(pool), indent=1))


def read_pool(path: Path) -> list[PoolImage]:
    return pool_from_data(json.loads(path.read_text()))
