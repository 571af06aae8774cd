"""Read-only mode sends nothing but GET and HEAD, and still judges the preloaded content.

Content is preloaded into a real registry; the whole conformance suite then
runs read-only through a fault proxy that counts the methods it receives.
"""

from __future__ import annotations

from pathlib import Path

from regsuite import content
from regsuite.client import RegistryClient
from regsuite.digest import digest_of
from regsuite.results import Outcome
from regsuite.target import Target
from regsuite.testing.faultproxy import Mutation
from tests.support import run_conformance

REPO = "selftest/readonly/app"
TAG = "v1"


def _preload(shared_distribution: Target) -> content.Manifest:
    image = content.image("readonly-preloaded", layer_size=4096)
    with RegistryClient(shared_distribution) as client:
        client.push_image(REPO, image, TAG)
    return image


def _read_only_args(image: content.Manifest) -> list[str]:
    return [
        "--read-only",
        "--ro-repo",
        REPO,
        "--ro-tag",
        TAG,
        "--ro-manifest-digest",
        image.digest,
        "--ro-blob-digest",
        image.blobs[1].digest,
    ]


def test_read_only_sends_only_get_and_head(shared_distribution: Target, fault_proxy, tmp_path: Path) -> None:
    image = _preload(shared_distribution)
    proxy = fault_proxy()
    run = run_conformance(proxy.url, tmp_path, *_read_only_args(image), timeout=180)
    assert run.results is not None, run.output[-3000:]
    methods = proxy.methods()
    assert set(methods) <= {"GET", "HEAD"}, f"read-only mode sent {dict(methods)}"
    assert methods["GET"] > 10 and methods["HEAD"] > 3, dict(methods)
    passed = run.with_outcome(Outcome.PASSED)
    for check_id in (
        "pull.manifest-by-tag[read-only]",
        "pull.manifest-by-digest[read-only]",
        "pull.manifest-head[read-only]",
        "pull.manifest-content-type[read-only]",
        "pull.blob-get[read-only]",
        "pull.blob-head[read-only]",
        "pull.head-get-agree[read-only]",
        "pull.blob-range[middle]",
        "pull.blob-unknown",
    ):
        assert check_id in passed, f"{check_id}: {run.record(check_id).outcome} {run.record(check_id).message}"
    assert all(not c.startswith("push.") for c in passed), "a push check ran in read-only mode"


def test_read_only_judges_the_preloaded_content(shared_distribution: Target, fault_proxy, tmp_path: Path) -> None:
    """A registry serving other bytes under the preloaded digest fails, read-only as well."""
    image = _preload(shared_distribution)
    proxy = fault_proxy(
        Mutation(
            "manifest-changed",
            method="GET",
            path=rf"/manifests/({TAG}|{image.digest})$",
            body=lambda b: b.replace(b'"schemaVersion":2', b'"schemaVersion": 2'),
        )
    )
    run = run_conformance(
        proxy.url,
        tmp_path,
        *_read_only_args(image),
        checks=["pull.manifest-by-tag", "pull.manifest-by-digest"],
        timeout=120,
        paths=["conformance/test_pull.py"],
    )
    assert digest_of(image.body) == image.digest
    for check_id in ("pull.manifest-by-tag[read-only]", "pull.manifest-by-digest[read-only]"):
        assert run.outcome(check_id) == Outcome.FAILED, run.record(check_id).message
    assert set(proxy.methods()) <= {"GET", "HEAD"}
