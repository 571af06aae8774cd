"""Deleting what a load run pushed: every repository under the run's namespace.

The locust users push from other processes, so nothing here knows the
digests in advance: the catalog is walked from the namespace, each tag's
manifest is read for its blobs, then manifests and blobs are deleted. The
client's WriteGuard confines every DELETE to the namespace; the walk is
bounded in repositories and time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import httpx

from .. import flows
from ..client import RegistryClient, request_timeout
from ..namespace import Namespace, WriteGuard, WriteRefused
from ..target import Target

MAX_REPOSITORIES = 2000
MAX_SECONDS = 120.0


@dataclass
class Cleanup:
    repositories: int = 0
    manifests: int = 0
    blobs: int = 0
    deletes_disabled: bool = False
    problems: list[str] = field(default_factory=list)

    def line(self, namespace: str) -> str:
        if self.deletes_disabled:
            return f"the registry does not allow deletes: the run's content stays under {namespace}/"
        done = f"deleted {self.manifests} manifests and {self.blobs} blobs in {self.repositories} repositories"
        return done + (f"; {len(self.problems)} problems, first: {self.problems[0]}" if self.problems else "")


def delete_namespace(target: Target, namespace: str) -> Cleanup:
    prefix, _, run_id = namespace.partition("/")
    guard = WriteGuard(Namespace(prefix, run_id))
    report = Cleanup()
    deadline = time.monotonic() + MAX_SECONDS
    with RegistryClient(target, guard=guard, timeout=request_timeout(15.0)) as client:
        for repo in client.repositories_under(namespace):
            if report.repositories >= MAX_REPOSITORIES or time.monotonic() > deadline:
                report.problems.append("stopped at the cleanup bound; some content is left")
                break
            report.repositories += 1
            try:
                if not _delete_repository(client, repo, report):
                    break
            except (WriteRefused, httpx.HTTPError) as exc:  # the run's figures stand; say what is left
                report.problems.append(f"{repo}: {exc}")
    return report


def _delete_repository(client: RegistryClient, repo: str, report: Cleanup) -> bool:
    """False when the registry refuses deletes (nothing more to try)."""
    tags = client.run(flows.tags(repo, limit=100))
    blobs: dict[str, None] = {}
    manifests: dict[str, None] = {}
    for tag in tags:
        got = client.get_manifest(repo, tag)
        digest = got.headers.get("docker-content-digest")
        if got.status_code != 200 or not digest:
            continue
        manifests[digest] = None
        _, layers = flows.references(got.json())
        blobs.update((d, None) for d, _ in layers)
    entries = [(repo, "manifests", d) for d in manifests] + [(repo, "blobs", d) for d in sorted(blobs)]
    done = client.run(flows.delete_content(entries))
    report.manifests += done.manifests
    report.blobs += done.blobs
    report.problems += done.problems
    report.deletes_disabled = report.deletes_disabled or done.disabled
    return not done.disabled
