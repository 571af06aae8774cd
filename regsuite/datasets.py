"""Named data sets: the content a conformance run pushes and pulls back.

One row per kind of content a registry must store faithfully (images,
indexes, artifacts, subjects, odd-but-valid manifests). Every data set is
built by `regsuite.content` from a fixed seed, so it is byte-identical across
runs. Adding a data set is adding one row to `DATASETS`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import content
from . import mediatypes as mt
from .client import RegistryClient
from .content import Blob, Manifest
from .flows import FlowFailed, Write

ARTIFACT_TYPE = "application/vnd.regsuite.test.v1"
# The spec: "registries SHOULD expect to support manifest pushes of at least 4 megabytes". Exactly 4,000,000
# bytes: at least 4 MB, and below the 4 MiB (4,194,304) body limit some registries enforce.
LARGE_MANIFEST_BYTES = 4_000_000


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    manifest: Manifest
    tag: str | None  # None: pushed by digest only
    prerequisites: tuple[Manifest, ...] = ()  # pushed first (a subject), not part of the data set's checks
    version: str = "1.1"

    def manifests(self) -> list[Manifest]:
        """Every manifest of the data set, children before parents, without repeats."""
        return self.manifest.tree()

    def blobs(self) -> list[Blob]:
        return self.manifest.all_blobs()


@dataclass(frozen=True)
class DatasetRow:
    name: str
    title: str
    build: Callable[[str], Dataset] = field(repr=False)


def _large_manifest(seed: str, total: int) -> Manifest:
    """An image whose annotations make its manifest exactly `total` bytes long."""
    value = "A" * 10_000
    bulk = {f"org.regsuite.large.{i}": value for i in range(total // (len(value) + 32))}
    padding = total - _one_layer(seed, annotations={**bulk, "org.regsuite.padding": ""}).size
    manifest = _one_layer(seed, annotations={**bulk, "org.regsuite.padding": "A" * padding})
    assert manifest.size == total, f"large manifest is {manifest.size} bytes, want {total}"
    return manifest


def _row(
    name: str,
    title: str,
    make: Callable[[str], Manifest],
    *,
    by_digest: bool = False,
    prerequisites: Callable[[str], tuple[Manifest, ...]] | None = None,
) -> DatasetRow:
    def build(seed: str) -> Dataset:
        return Dataset(
            name,
            title,
            make(seed),
            None if by_digest else name,
            prerequisites(seed) if prerequisites else (),
        )

    return DatasetRow(name, title, build)


def _subject(seed: str) -> Manifest:
    return content.image(f"{seed}/subject", layers=1)


def _one_layer(seed: str, **kwargs: Any) -> Manifest:
    """Most data sets need one layer: fewer uploads, same coverage ("image" keeps two)."""
    return content.image(seed, layers=1, **kwargs)


def _pair(seed: str, **kwargs: Any) -> list[Manifest]:
    return [_one_layer(f"{seed}/a", **kwargs), _one_layer(f"{seed}/b", **kwargs)]


DATASETS: list[DatasetRow] = [
    _row("image", "OCI image", lambda s: content.image(s)),
    _row("image-uncompressed", "OCI image, uncompressed layers", lambda s: _one_layer(s, compressed=False)),
    _row("docker-schema2", "Docker schema 2 image", lambda s: _one_layer(s, docker=True)),
    _row("index", "OCI image index", lambda s: content.index(_pair(s))),
    _row(
        "nested-index",
        "OCI index of indexes",
        lambda s: content.index(
            [
                content.index(_pair(s), annotations={"org.regsuite.inner": "1"}),
                content.index(_pair(s), annotations={"org.regsuite.inner": "2"}),
            ]
        ),
    ),
    _row(
        "empty-index", "OCI index without manifests", lambda s: content.index([], annotations={"org.regsuite.seed": s})
    ),
    _row("docker-manifest-list", "Docker manifest list", lambda s: content.index(_pair(s, docker=True), docker=True)),
    _row("artifact", "OCI artifact (artifactType, empty config)", lambda s: content.artifact(s, ARTIFACT_TYPE)),
    _row(
        "artifact-empty-layer",
        "OCI artifact whose layer is the empty JSON blob",
        lambda s: content.artifact(s, ARTIFACT_TYPE, payload=content.EMPTY_JSON, payload_type=mt.OCI_EMPTY),
    ),
    _row(
        "artifact-index",
        "OCI index of artifacts",
        lambda s: content.index(
            [content.artifact(f"{s}/a", ARTIFACT_TYPE), content.artifact(f"{s}/b", ARTIFACT_TYPE)],
            artifact_type=ARTIFACT_TYPE,
        ),
    ),
    _row(
        "subject",
        "Artifact with a subject",
        lambda s: content.artifact(s, ARTIFACT_TYPE, subject=_subject(s)),
        prerequisites=lambda s: (_subject(s),),
    ),
    _row(
        "index-subject",
        "Index with a subject",
        lambda s: content.index(
            [content.artifact(f"{s}/a", ARTIFACT_TYPE)], artifact_type=ARTIFACT_TYPE, subject=_subject(s)
        ),
        prerequisites=lambda s: (_subject(s),),
    ),
    _row(
        "missing-subject",
        "Artifact whose subject is not in the registry",
        lambda s: content.artifact(s, ARTIFACT_TYPE, subject=_subject(s)),
    ),
    _row(
        "data-field",
        "Descriptor with an embedded data field",
        lambda s: content.artifact(s, ARTIFACT_TYPE, data_field=True),
    ),
    _row(
        "custom-fields",
        "Manifest and index with unknown fields",
        lambda s: content.index(
            [_one_layer(s, extra_fields={"org.regsuite.custom": {"kept": True}})],
            extra_fields={"org.regsuite.custom": ["unknown", "fields"]},
        ),
    ),
    _row("no-layers", "Image with an empty layer list", lambda s: content.image(s, layers=0)),
    _row(
        "large-manifest",
        "Image manifest of 4 MB (4,000,000 bytes)",
        lambda s: _large_manifest(s, LARGE_MANIFEST_BYTES),
    ),
    _row(
        "non-distributable",
        "Image with non-distributable (foreign URL) layers",
        lambda s: content.image_with_foreign_layers(s),
    ),
    _row(
        "sha512",
        "Index, images and blobs under sha512 digests",
        lambda s: content.index([_one_layer(f"{s}/a", algorithm="sha512")], algorithm="sha512"),
        by_digest=True,
    ),
]

DATASET_NAMES = [row.name for row in DATASETS]


_built: dict[str, Dataset] = {}
_building: dict[str, threading.Lock] = {}
_building_guard = threading.Lock()


def build(name: str, seed_prefix: str = "regsuite/dataset") -> Dataset:
    """The data set, built once per process: building compresses layers and writes a 4 MB manifest, and the
    checks of a run ask for the same data sets from many threads at once (data sets are immutable)."""
    row = next((row for row in DATASETS if row.name == name), None)
    if row is None:
        raise KeyError(f"unknown data set {name!r}; known: {', '.join(DATASET_NAMES)}")
    seed = f"{seed_prefix}/{name}"
    with _building_guard:
        lock = _building.setdefault(seed, threading.Lock())
    with lock:
        if seed not in _built:
            _built[seed] = row.build(seed)
        return _built[seed]


@dataclass
class DatasetPush:
    """What pushing one data set answered: every write of its manifest's push (each read back through its
    Location), or the step that failed."""

    dataset: Dataset
    repo: str
    method: str
    writes: list[Write] = field(default_factory=list)
    failure: FlowFailed | None = None

    @property
    def pushed(self) -> bool:
        return self.failure is None


def push_dataset(
    client: RegistryClient, repo: str, dataset: Dataset, method: str = "post-put", present: set[str] | None = None
) -> DatasetPush:
    """Push a data set (its prerequisites first) with `method` for the blobs; never raises StepFailed.

    `present`: the blobs `repo` holds, when the caller knows all of them; the rest are uploaded without
    asking the registry first.
    """
    result = DatasetPush(dataset, repo, method)
    try:
        for prerequisite in dataset.prerequisites:
            client.push_image(repo, prerequisite, None, blob_method=method, present=present)
        client.push_image(repo, dataset.manifest, dataset.tag, blob_method=method, writes=result.writes,
                          present=present)
    except FlowFailed as failure:
        result.failure = failure
    return result
