"""Real registry traffic with a known mix, for the replay's self-tests and benchmark: the log to replay.

`drive(target, seconds, rate)` sends, over the conformance client, a day-in-the-life mix at about
`rate` operations per second: pulls by tag and by digest (HEAD, GET, the blobs), pushes of new
images (blob HEAD, upload, manifest PUT), tag lists, catalog pages, deletes, lookups of images
that do not exist, and health checks outside the API. It first pushes a few images under
production-looking names (`acme-prod/payments-api:release-2026`, ...), which a replay must never
show. It returns what it sent, counted by the replay's operation names.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

from ..client import RegistryClient
from ..content import Manifest, image
from ..target import Target

REPOSITORIES = ("acme-prod/payments-api", "acme-prod/web-frontend", "ml-team/trainer-gpu")
TAGS = ("release-2026", "v1.4.2-hotfix")
# One round of the mix: what a registry in front of CI and deployments sees, in miniature.
ROUND = ("manifest-head", "manifest-get", "blob-get", "blob-get", "manifest-head", "manifest-get", "blob-get",
         "blob-head", "ping", "tags-list", "manifest-head", "push", "manifest-missing", "blob-get", "catalog",
         "health", "manifest-head", "blob-get", "manifest-get", "delete")


@dataclass
class Traffic:
    """What `drive` sent: operations by the replay's names, and the real names a replay must never show."""

    ops: Counter[str] = field(default_factory=Counter)
    not_api: int = 0
    names: set[str] = field(default_factory=set)  # repositories, tags and digests of the real traffic
    seconds: float = 0.0


def drive(target: Target, seconds: float, rate: float, layer_size: int = 64 << 10) -> Traffic:
    out = Traffic()
    images: list[tuple[str, str, Manifest]] = []
    with RegistryClient(target, timeout=httpx.Timeout(30.0, connect=5.0)) as client:
        for n, (repo, tag) in enumerate(itertools.product(REPOSITORIES, TAGS)):
            manifest = image(f"traffic/{repo}/{tag}", layers=2, layer_size=layer_size + n)
            client.push_image(repo, manifest, tag)  # HEADs, uploads and the PUT: traffic like any other
            images.append((repo, tag, manifest))
            out.names |= {repo, tag, manifest.digest, *(b.digest for b in manifest.blobs)}
            out.names |= set(repo.split("/"))
        out.ops.clear()  # the set-up is in the log too, but the mix counted here is the loop's
        started = time.monotonic()
        pushes = itertools.count()
        for i, what in enumerate(itertools.cycle(ROUND)):
            due = started + i / rate
            if due - started >= seconds:
                break
            time.sleep(max(due - time.monotonic(), 0.0))
            repo, tag, manifest = images[i % len(images)]
            _one(client, what, repo, tag, manifest, images, pushes, out, layer_size)
        out.seconds = time.monotonic() - started
    return out


def _one(client: RegistryClient, what: str, repo: str, tag: str, manifest: Manifest,
         images: list[tuple[str, str, Manifest]], pushes: itertools.count[int], out: Traffic, layer_size: int) -> None:
    layer = manifest.blobs[-1]
    if what == "manifest-head":
        client.head_manifest(repo, tag)
    elif what == "manifest-get":
        client.get_manifest(repo, manifest.digest)
    elif what == "manifest-missing":
        client.head_manifest(repo, "no-such-tag")
        what = "manifest-head"
    elif what == "blob-get":
        client.get_blob(repo, layer.digest)
    elif what == "blob-head":
        client.head_blob(repo, layer.digest)
    elif what == "ping":
        client.ping()
    elif what == "tags-list":
        client.list_tags(repo)
    elif what == "catalog":
        client.catalog(n=50)
    elif what == "health":
        client.request("GET", "/debug/health")
        out.not_api += 1
        return
    elif what == "push":
        n = next(pushes)
        pushed = image(f"traffic/push/{n}", layers=1, layer_size=layer_size)
        new_tag = f"ci-build-{n:04d}"
        present: set[str] = set()  # no HEADs before the uploads: one upload per blob, one manifest PUT
        client.push_image(repo, pushed, new_tag, present=present)
        out.ops["upload"] += len(pushed.blobs)
        out.ops["manifest-put"] += 1
        out.names |= {new_tag, pushed.digest, *(b.digest for b in pushed.blobs)}
        images.append((repo, new_tag, pushed))
        return
    elif what == "delete":
        victim = next((i for i in images[len(REPOSITORIES) * len(TAGS):] if i[0] == repo), None)
        if victim is None:
            client.head_manifest(repo, tag)
            what = "manifest-head"
        else:
            images.remove(victim)
            client.delete_manifest(repo, victim[2].digest)
            what = "delete-manifest"
    out.ops[what] += 1
