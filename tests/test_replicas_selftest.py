"""The `replicas` checks against two real distribution processes, shared or misconfigured.

Correct: one storage directory and one http.secret. Broken, one way per
check: different secrets (uploads do not move), separate storage (nothing is
shared), an in-memory blob descriptor cache (a deleted blob lives on in the
other replica), and a fault proxy in front of the second replica that hides a
tag or a repository from its lists.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from support import ConformanceRun, run_conformance

from regsuite.providers import RegistryConfig
from regsuite.results import Outcome
from regsuite.target import Target
from regsuite.testing.faultproxy import FaultProxy, Mutation

REPLICA_CHECKS = [
    "replicas.blob-read-after-write",
    "replicas.manifest-read-after-write",
    "replicas.upload-portable",
    "replicas.tags-agree",
    "replicas.catalog-agree",
    "replicas.delete-propagates",
]
WAIT = "1"  # --replica-wait for the self-tests: a broken replica fails after one second


def _pair(
    start: Callable[..., Target],
    storage: Path,
    *,
    secrets_: tuple[str, str] | None = None,
    separate_storage: bool = False,
    extra: dict[str, Any] | None = None,
) -> list[Target]:
    """Two distribution processes: one storage directory and one secret unless told otherwise."""
    shared = secrets.token_hex(16)
    chosen = secrets_ or (shared, shared)
    configs = [
        RegistryConfig(
            storage_dir=storage / (f"r{i}" if separate_storage else "shared"), http_secret=secret, extra=extra or {}
        )
        for i, secret in enumerate(chosen)
    ]
    return [start(config) for config in configs]


def _run(urls: list[str], report_dir: Path, checks: list[str] | None = None, wait: str = WAIT) -> ConformanceRun:
    args = [arg for url in urls for arg in ("--registry-url", url)]
    return run_conformance(None, report_dir, *args, "--replica-wait", wait, checks=checks or ["replicas."])


def _assert(run: ConformanceRun, check_id: str, outcome: Outcome, fragment: str = "") -> None:
    record = run.record(check_id)
    assert record.outcome == outcome, f"{check_id}: {record.outcome}: {record.message}\n{run.output[-3000:]}"
    assert fragment in record.message, f"{check_id}: {fragment!r} not in {record.message!r}"


def test_replicas_sharing_storage_and_secret_pass(registry_factory, tmp_path: Path) -> None:
    a, b = _pair(registry_factory, tmp_path)
    run = _run([a.url, b.url], tmp_path / "report")
    for check_id in REPLICA_CHECKS:
        _assert(run, check_id, Outcome.PASSED)
    _assert(run, "replicas.blob-read-after-write", Outcome.PASSED, "readable on every replica after at most")
    _assert(run, "replicas.upload-portable", Outcome.PASSED, "uploaded through replicas 1, 2, 1, 2, 1")


def test_different_secrets_fail_upload_portability_naming_the_shared_secret(registry_factory, tmp_path: Path) -> None:
    a, b = _pair(registry_factory, tmp_path, secrets_=(secrets.token_hex(16), secrets.token_hex(16)))
    run = _run([a.url, b.url], tmp_path / "report")
    _assert(run, "replicas.upload-portable", Outcome.FAILED, "the same http.secret")
    _assert(run, "replicas.upload-portable", Outcome.FAILED, "BLOB_UPLOAD_INVALID")
    for check_id in REPLICA_CHECKS:
        if check_id != "replicas.upload-portable":
            _assert(run, check_id, Outcome.PASSED)


def test_separate_storage_fails_read_after_write(registry_factory, tmp_path: Path) -> None:
    a, b = _pair(registry_factory, tmp_path, separate_storage=True)
    run = _run(
        [a.url, b.url],
        tmp_path / "report",
        ["replicas.blob-read-after-write", "replicas.manifest-read-after-write", "replicas.upload-portable"],
    )
    _assert(run, "replicas.blob-read-after-write", Outcome.FAILED, "is not readable on replica 2")
    message = run.record("replicas.blob-read-after-write").message
    assert message.endswith("s: HEAD of the blob answers 404"), message
    waited = float(message.split(" after ")[-1].split(" s:")[0])
    assert waited >= float(WAIT), f"gave up before --replica-wait: {message}"
    _assert(run, "replicas.manifest-read-after-write", Outcome.FAILED, "answers 404")
    _assert(run, "replicas.upload-portable", Outcome.FAILED, "must use the same storage")


def test_a_blob_descriptor_cache_per_replica_fails_delete_propagation(registry_factory, tmp_path: Path) -> None:
    cache = {"storage": {"cache": {"blobdescriptor": "inmemory"}}}
    a, b = _pair(registry_factory, tmp_path, extra=cache)
    run = _run([a.url, b.url], tmp_path / "report", ["replicas.delete-propagates"])
    _assert(run, "replicas.delete-propagates", Outcome.FAILED, "HEAD of the deleted blob")
    _assert(run, "replicas.delete-propagates", Outcome.FAILED, "still answers 200")


def test_a_replica_hiding_a_tag_or_repository_fails_the_agreement_checks(
    registry_factory, fault_proxy: Callable[..., FaultProxy], tmp_path: Path
) -> None:
    a, b = _pair(registry_factory, tmp_path)
    proxy = fault_proxy(
        Mutation(
            "tag-hidden", method="GET", path=r"/tags/list", json=lambda d: {**d, "tags": (d.get("tags") or [])[:-1]}
        ),
        Mutation(
            "repository-hidden",
            method="GET",
            path=r"/_catalog",
            json=lambda d: {**d, "repositories": [r for r in d.get("repositories") or [] if not r.endswith("/r0")]},
        ),
        upstream=b.url,
    )
    run = _run([a.url, proxy.url], tmp_path / "report", ["replicas.tags-agree", "replicas.catalog-agree"])
    _assert(run, "replicas.tags-agree", Outcome.FAILED, "disagree on replica 2")
    _assert(run, "replicas.catalog-agree", Outcome.FAILED, "does not list")


def test_a_lagging_replica_passes_within_the_wait_and_the_wait_is_reported(
    registry_factory, fault_proxy: Callable[..., FaultProxy], tmp_path: Path
) -> None:
    a, b = _pair(registry_factory, tmp_path)
    lag = fault_proxy(
        Mutation("not-yet", method="HEAD", path=r"/blobs/", respond=(404, {}, b""), times=3), upstream=b.url
    )
    run = _run([a.url, lag.url], tmp_path / "report", ["replicas.blob-read-after-write"], wait="10")
    record = run.record("replicas.blob-read-after-write")
    assert record.outcome == Outcome.PASSED, record.message
    waited = float(record.message.split("after at most ")[1].split(" s")[0])
    assert 0.1 < waited < 10, record.message


def test_one_url_skips_the_replica_checks(shared_distribution: Target, tmp_path: Path) -> None:
    run = run_conformance(shared_distribution.url, tmp_path, checks=["replicas."])
    for check_id in REPLICA_CHECKS:
        _assert(run, check_id, Outcome.SKIPPED, "one replica given")
