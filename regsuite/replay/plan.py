"""A replay planned from the survey: the synthetic blob and manifest for each of the log's, and what to seed.

Every decision is a function of the log and the run's key, so the parent process can make it again
at any point of the schedule:

- a blob of the log becomes the synthetic blob of its size (regsuite.replay.content), the same in
  every repository. Its size is what its GETs returned; an uploaded blob the log never sends back has
  the `upload_size` (the median blob GET of the log unless given); a blob only ever HEADed or deleted
  is small (`UNSIZED`), since no byte of it is read;
- a manifest by digest becomes a synthetic manifest of its recorded size, the same in every repository;
  by tag, one per repository and tag (a push by tag, one per push);
- seeds: every blob and manifest the log reads (HEAD, GET, DELETE, a mount's source) before it writes
  it, once per repository, sized as recorded, and the `{}` config blob in every repository that holds
  synthetic manifests. A repository whose tags the log lists gets one tag when nothing else gives it one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from ..errors import UsageError
from .content import SyntheticBlob, blob, manifest, manifest_digest
from .names import Names
from .survey import Inventory, Survey

UNSIZED = 1024  # bytes of a blob no request of the log reads a byte of
DEFAULT_UPLOAD_SIZE = 1 << 20  # uploads of unknown size when the log shows no blob size at all
MAX_SEED_BYTES = 20 << 30
MAX_SEEDS = 100_000


@dataclass(frozen=True)
class SeedBlob:
    repo: str  # synthetic
    blob: SyntheticBlob


@dataclass(frozen=True)
class SeedManifest:
    repo: str  # synthetic
    reference: str  # synthetic tag, or the body's digest
    body: bytes


@dataclass
class Seeds:
    blobs: list[SeedBlob] = field(default_factory=list)
    manifests: list[SeedManifest] = field(default_factory=list)
    configs: list[str] = field(default_factory=list)  # repositories that get the `{}` config blob

    @property
    def bytes(self) -> int:
        return sum(s.blob.size for s in self.blobs) + sum(len(m.body) for m in self.manifests)

    @property
    def count(self) -> int:
        return len(self.blobs) + len(self.manifests) + len(self.configs)

    @property
    def images(self) -> int:
        """Distinct synthetic images seeded (one per manifest)."""
        return len(self.manifests)


class Plan:
    def __init__(self, survey: Survey, names: Names, upload_size: int | None = None) -> None:
        self.survey, self.names = survey, names
        self.inventory: Inventory = survey.inventory
        median = survey.blob_sizes.percentile(0.5) if survey.blob_sizes.count else DEFAULT_UPLOAD_SIZE
        self.upload_size = upload_size if upload_size is not None else median
        self.blob = lru_cache(maxsize=200_000)(self._blob)  # type: ignore[method-assign]
        self.manifest_by_digest = lru_cache(maxsize=200_000)(self._manifest_by_digest)  # type: ignore[method-assign]

    def blob_size(self, digest: str) -> int:
        inv = self.inventory
        size = inv.blob_sizes.get(digest)
        if size is not None:
            return size
        return self.upload_size if digest in inv.uploaded else UNSIZED

    def _blob(self, digest: str) -> SyntheticBlob:
        return blob(self.names.raw("blob", digest), self.blob_size(digest))

    def _manifest_by_digest(self, digest: str) -> tuple[str, bytes]:
        """(synthetic digest, body) of the log's manifest `digest`."""
        size = self.inventory.manifest_sizes.get(digest, 0)
        body = manifest(self.names.token("manifest", digest), size)
        return manifest_digest(body), body

    def tag_manifest(self, repo: str, tag: str, push: int | None = None) -> bytes:
        """A manifest for repository and tag; `push` (the line of a push) makes each push's manifest new."""
        size = self.inventory.manifest_sizes.get(self.inventory.manifest_key(repo, tag), 0)
        parts = (repo, tag) if push is None else (repo, tag, str(push))
        return manifest(self.names.token("tagged", *parts), size)

    def reference(self, repo: str, ref: str) -> str:
        """A manifest reference of the log as the replay sends it: a synthetic tag or digest."""
        return self.manifest_by_digest(ref)[0] if ":" in ref else self.names.tag(ref)

    def seeds(self, max_bytes: int = MAX_SEED_BYTES, max_count: int = MAX_SEEDS) -> Seeds:
        """What to push before the replay; UsageError past the bounds (narrow the window, or raise them)."""
        inv, names, out = self.inventory, self.names, Seeds()
        with_manifests = {repo for repo, _ in inv.seed_manifests} | {repo for repo, _ in inv.written_manifests}
        out.configs = sorted(names.repo(r) for r in with_manifests)
        for repo, digest in inv.seed_blobs:
            out.blobs.append(SeedBlob(names.repo(repo), self.blob(digest)))
        for repo, ref in inv.seed_manifests:
            if ":" in ref:
                digest, body = self.manifest_by_digest(ref)
                out.manifests.append(SeedManifest(names.repo(repo), digest, body))
            else:
                out.manifests.append(SeedManifest(names.repo(repo), names.tag(ref), self.tag_manifest(repo, ref)))
        if out.count > max_count or out.bytes > max_bytes:
            raise UsageError(
                f"the window reads {out.count} blobs and manifests ({out.bytes / 1e9:.1f} GB) it never pushes, "
                f"which must be seeded first: more than the bounds ({max_count} items, {max_bytes / 1e9:.1f} GB); "
                "narrow --window or raise --max-seed-bytes")
        return out

