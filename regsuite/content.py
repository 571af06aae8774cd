"""Deterministic test content: blobs, images, indexes and artifacts as bytes.

Everything is derived from a seed, so two runs (or a conformance check and its
self-test) build byte-identical content, and generation is cheap: no real
compression work beyond small gzip layers.
"""

from __future__ import annotations

import gzip
import io
import json
import random
import tarfile
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from . import mediatypes as mt
from .digest import digest_of

EMPTY_JSON = b"{}"


@dataclass(frozen=True)
class Blob:
    """A blob and the media type it is referenced with."""

    data: bytes
    media_type: str = "application/octet-stream"
    algorithm: str = "sha256"

    @cached_property
    def digest(self) -> str:  # hashed once: a large blob's digest is asked for at every step of its push
        return digest_of(self.data, self.algorithm)

    @property
    def size(self) -> int:
        return len(self.data)

    def body(self, start: int = 0, length: int | None = None) -> bytes:
        """Bytes [start, start+length) as a request body (a flow's `Part`)."""
        end = len(self.data) if length is None else start + length
        return self.data if (start, end) == (0, len(self.data)) else self.data[start:end]

    def descriptor(self, **extra: Any) -> dict[str, Any]:
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size, **extra}


@dataclass(frozen=True)
class Manifest:
    """A manifest's exact bytes plus everything that must be pushed before it."""

    body: bytes
    media_type: str
    blobs: tuple[Blob, ...] = ()
    children: tuple[Manifest, ...] = ()
    algorithm: str = "sha256"
    # Descriptor fields an index entry for this manifest carries (platform, ...).
    index_fields: dict[str, Any] = field(default_factory=dict, compare=False)

    @cached_property
    def digest(self) -> str:
        return digest_of(self.body, self.algorithm)

    @property
    def size(self) -> int:
        return len(self.body)

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)

    def descriptor(self, **extra: Any) -> dict[str, Any]:
        return {
            "mediaType": self.media_type,
            "digest": self.digest,
            "size": self.size,
            **self.index_fields,
            **extra,
        }

    def tree(self) -> list[Manifest]:
        """This manifest and every manifest below it, children before parents, without repeats."""
        seen: dict[str, Manifest] = {}

        def walk(m: Manifest) -> None:
            for child in m.children:
                walk(child)
            seen.setdefault(m.digest, m)

        walk(self)
        return list(seen.values())

    def all_blobs(self) -> list[Blob]:
        """Every blob this manifest needs, children's first, without repeats."""
        seen: dict[str, Blob] = {}
        for child in self.children:
            for blob in child.all_blobs():
                seen.setdefault(blob.digest, blob)
        for blob in self.blobs:
            seen.setdefault(blob.digest, blob)
        return list(seen.values())


def canonical_json(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def random_bytes(seed: int | str, size: int) -> bytes:
    """Incompressible, reproducible bytes."""
    return random.Random(f"regsuite:{seed}").randbytes(size)


def layer_tar(seed: int | str, size: int = 1024) -> bytes:
    """A real tar archive holding one file of pseudo-random content."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        data = random_bytes(seed, size)
        info = tarfile.TarInfo(f"regsuite/{seed}.bin")
        info.size = len(data)
        info.mtime = 0
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def gzip_bytes(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=1, mtime=0)


def empty_json_blob() -> Blob:
    return Blob(EMPTY_JSON, mt.OCI_EMPTY)


def image_config(seed: int | str, diff_ids: list[str], media_type: str = mt.OCI_CONFIG) -> Blob:
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Labels": {"org.regsuite.seed": str(seed)}},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }
    return Blob(canonical_json(config), media_type)


def image(
    seed: int | str,
    *,
    layers: int = 2,
    layer_size: int = 1024,
    docker: bool = False,
    compressed: bool = True,
    algorithm: str = "sha256",
    artifact_type: str | None = None,
    subject: Manifest | None = None,
    annotations: dict[str, str] | None = None,
    extra_fields: dict[str, Any] | None = None,
    layer_media_type: str | None = None,
    layer_fields: dict[str, Any] | None = None,
) -> Manifest:
    """An OCI (or Docker schema 2) image manifest with real tar(+gzip) layers."""
    tars = [layer_tar(f"{seed}/{i}", layer_size) for i in range(layers)]
    if docker:
        layer_type, config_type, manifest_type = mt.DOCKER_LAYER_GZIP, mt.DOCKER_CONFIG, mt.DOCKER_MANIFEST
    else:
        layer_type = mt.OCI_LAYER_GZIP if compressed else mt.OCI_LAYER
        config_type, manifest_type = mt.OCI_CONFIG, mt.OCI_MANIFEST
    layer_type = layer_media_type or layer_type
    layer_blobs = [
        Blob(gzip_bytes(t) if compressed or docker else t, layer_type, algorithm) for t in tars
    ]
    config = image_config(seed, [digest_of(t, algorithm) for t in tars], config_type)
    config = Blob(config.data, config.media_type, algorithm)
    body: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": manifest_type,
    }
    if artifact_type:
        body["artifactType"] = artifact_type
    body["config"] = config.descriptor()
    body["layers"] = [b.descriptor(**(layer_fields or {})) for b in layer_blobs]
    if subject is not None:
        body["subject"] = _subject_descriptor(subject)
    if annotations:
        body["annotations"] = annotations
    body.update(extra_fields or {})
    return Manifest(canonical_json(body), manifest_type, (config, *layer_blobs), (), algorithm)


def artifact(
    seed: int | str,
    artifact_type: str = "application/vnd.regsuite.test.v1",
    *,
    subject: Manifest | None = None,
    payload: bytes | None = None,
    payload_type: str = "application/vnd.regsuite.payload.v1",
    annotations: dict[str, str] | None = None,
    data_field: bool = False,
) -> Manifest:
    """An OCI 1.1 artifact: an image manifest with `artifactType` and the empty config."""
    config = empty_json_blob()
    layer = Blob(payload if payload is not None else random_bytes(seed, 256), payload_type)
    layer_desc = layer.descriptor()
    if data_field:
        import base64

        layer_desc["data"] = base64.b64encode(layer.data).decode()
    body: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": mt.OCI_MANIFEST,
        "artifactType": artifact_type,
        "config": config.descriptor(),
        "layers": [layer_desc],
    }
    if subject is not None:
        body["subject"] = _subject_descriptor(subject)
    body["annotations"] = {"org.regsuite.seed": str(seed), **(annotations or {})}
    return Manifest(canonical_json(body), mt.OCI_MANIFEST, (config, layer))


def index(
    manifests: list[Manifest],
    *,
    docker: bool = False,
    artifact_type: str | None = None,
    subject: Manifest | None = None,
    annotations: dict[str, str] | None = None,
    algorithm: str = "sha256",
    extra_fields: dict[str, Any] | None = None,
) -> Manifest:
    """An OCI image index (or Docker manifest list) over `manifests`."""
    media_type = mt.DOCKER_MANIFEST_LIST if docker else mt.OCI_INDEX
    body: dict[str, Any] = {"schemaVersion": 2, "mediaType": media_type}
    if artifact_type:
        body["artifactType"] = artifact_type
    entries = []
    for i, m in enumerate(manifests):
        desc = m.descriptor()
        if "platform" not in desc and m.media_type in (mt.OCI_MANIFEST, mt.DOCKER_MANIFEST):
            desc["platform"] = {"architecture": ["amd64", "arm64", "s390x", "ppc64le"][i % 4], "os": "linux"}
        entries.append(desc)
    body["manifests"] = entries
    if subject is not None:
        body["subject"] = _subject_descriptor(subject)
    if annotations:
        body["annotations"] = annotations
    body.update(extra_fields or {})
    return Manifest(canonical_json(body), media_type, (), tuple(manifests), algorithm)


def image_with_foreign_layers(seed: int | str, foreign: int = 2) -> Manifest:
    """An image whose first layers are non-distributable: referenced by `urls`, never uploaded."""
    base = image(seed, layers=1)
    body = base.json
    foreign_layers = []
    for i in range(foreign):
        data = random_bytes(f"{seed}/foreign/{i}", 256)
        digest = digest_of(data)
        foreign_layers.append({
            "mediaType": mt.OCI_LAYER_NONDIST_GZIP,
            "digest": digest,
            "size": len(data),
            "urls": [f"https://store.example.com/blobs/sha256/{digest.partition(':')[2]}"],
        })
    body["layers"] = foreign_layers + body["layers"]
    return Manifest(canonical_json(body), base.media_type, base.blobs)


def _subject_descriptor(subject: Manifest) -> dict[str, Any]:
    return {"mediaType": subject.media_type, "digest": subject.digest, "size": subject.size}
