"""Content from regsuite.content in the on-disk forms clients read: an OCI layout, a `docker save` archive.

Clients cannot pull anything on these machines, so every image a client pushes
is built here from the same deterministic content the API checks use.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

from ..content import Blob, Manifest, canonical_json

OCI_LAYOUT_VERSION = {"imageLayoutVersion": "1.0.0"}
REF_NAME = "org.opencontainers.image.ref.name"


def write_oci_layout(manifest: Manifest, directory: Path, tag: str) -> Path:
    """Write `manifest`, its children and blobs as an OCI image layout with one tagged entry."""
    contents = [(b.digest, b.data) for b in manifest.all_blobs()] + [(m.digest, m.body) for m in _manifests(manifest)]
    for digest, data in contents:
        algorithm, _, encoded = digest.partition(":")
        path = directory / "blobs" / algorithm / encoded
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (directory / "oci-layout").write_bytes(canonical_json(OCI_LAYOUT_VERSION))
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": manifest.media_type,
                "digest": manifest.digest,
                "size": manifest.size,
                "annotations": {REF_NAME: tag},
            }
        ],
    }
    (directory / "index.json").write_bytes(canonical_json(index))
    return directory


def docker_archive(manifest: Manifest, repo_tags: list[str]) -> bytes:
    """A `docker save` tarball of an image manifest (OCI or Docker schema 2), for `docker load`.

    The layers go in uncompressed, as `docker save` writes them: the engine
    checks each against the config's diff_ids.
    """
    config, *layers = manifest.blobs
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        config_name = f"{config.digest.partition(':')[2]}.json"
        _add(tar, config_name, config.data)
        layer_names = []
        for layer in layers:
            name = f"{layer.digest.partition(':')[2]}/layer.tar"
            _add(tar, name, _uncompressed(layer))
            layer_names.append(name)
        entry = {"Config": config_name, "RepoTags": repo_tags, "Layers": layer_names}
        _add(tar, "manifest.json", json.dumps([entry]).encode())
    return buf.getvalue()


def _uncompressed(layer: Blob) -> bytes:
    return gzip.decompress(layer.data) if layer.data[:2] == b"\x1f\x8b" else layer.data


def _manifests(manifest: Manifest) -> list[Manifest]:
    out = [manifest]
    for child in manifest.children:
        out += _manifests(child)
    return out


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 0
    tar.addfile(info, io.BytesIO(data))
