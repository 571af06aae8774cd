"""Area replicas: several --registry-url as replicas of one deployment (behind one load balancer).

No spec line covers replication; a client behind a load balancer expects
any replica to answer as the one it last wrote to ("beyond").
"""

from . import SPEC_BASE, Level, area_checks

SHARED_SECRET = "https://distribution.github.io/distribution/about/configuration/#http"


_check = area_checks("replicas", url=SPEC_BASE, version="beyond")


CHECKS = [
    _check(
        "replicas.blob-read-after-write",
        "A blob pushed through one replica is readable through every other (bounded wait)",
        "end-2 after end-6",
        url=f"{SPEC_BASE}#pulling-blobs",
    ),
    _check(
        "replicas.manifest-read-after-write",
        "A manifest pushed through one replica is readable by tag and digest through every other (bounded wait)",
        "end-3 after end-7",
        url=f"{SPEC_BASE}#pulling-manifests",
    ),
    _check(
        "replicas.upload-portable",
        "An upload started on one replica can be continued and finished on another",
        "end-4a, end-5, end-6 across replicas",
        url=SHARED_SECRET,
    ),
    _check(
        "replicas.tags-agree",
        "Every replica lists the same tags for a repository",
        "end-8a",
        url=f"{SPEC_BASE}#listing-tags",
    ),
    _check(
        "replicas.catalog-agree",
        "Every replica lists the same repositories in the catalog",
        "catalog",
        url="https://distribution.github.io/distribution/spec/api/#listing-repositories",
        level=Level.SHOULD,
    ),
    _check(
        "replicas.delete-propagates",
        "A manifest and a blob deleted through one replica are gone on every other (bounded wait)",
        "end-9, end-10",
        url=f"{SPEC_BASE}#deleting-manifests",
        level=Level.SHOULD,
    ),
]
