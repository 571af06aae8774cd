"""The management (delete) checks can fail and can pass, and a registry without deletes reads as unsupported.

distribution 2.8 refuses tag deletion (400), so `tag_deletion()` builds it in
the proxy to show the tag checks passing, and then loses the other tags to
show delete-tag-keeps-others failing. A real registry with
`storage.delete.enabled: false` answers 405 UNSUPPORTED everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from regsuite.providers import RegistryConfig
from regsuite.results import Outcome
from regsuite.target import Target
from regsuite.testing.faultproxy import Mutation
from tests.mutation_table import Row, each_row, run_row
from tests.registry_fixes import error_body, tag_deletion
from tests.support import run_conformance

MANAGEMENT = (
    "management.delete-manifest",
    "management.deleted-manifest-gone",
    "management.delete-tag",
    "management.delete-tag-keeps-others",
    "management.delete-blob",
    "management.deleted-blob-gone",
    "management.delete-unknown[manifest]",
    "management.delete-unknown[blob]",
    "management.delete-unknown[repository]",
)
REFUSALS = (
    "errors.unsupported-code[delete-tag]",
    "errors.unsupported-code[delete-manifest]",
    "errors.unsupported-code[delete-blob]",
)

ROWS = [
    Row(
        "DELETE of a manifest answers 500",
        lambda _: [Mutation("500", method="DELETE", path=r"/test-delete-manifest/manifests/sha256:", status=500)],
        fail=("management.delete-manifest",),
    ),
    Row(
        "DELETE answers 202 and deletes nothing",
        lambda _: [Mutation("fake 202", method="DELETE", path=r"/test-deleted-", respond=(202, {}, b""))],
        fail=("management.deleted-manifest-gone", "management.deleted-blob-gone"),
    ),
    Row(
        "DELETE of a blob answers 200",
        lambda _: [Mutation("200", method="DELETE", path=r"/test-delete-blob/blobs/", status=200)],
        fail=("management.delete-blob",),
    ),
    Row(
        "DELETE of unknown content answers 202",
        lambda _: [Mutation("202", method="DELETE", path=r"/test-delete-unknown-", status=202)],
        fail=(
            "management.delete-unknown[manifest]",
            "management.delete-unknown[blob]",
            "management.delete-unknown[repository]",
        ),
    ),
    Row(
        "data set deletes acknowledged, not done",
        lambda _: [
            Mutation("fake 202", method="DELETE", path=r"/datasets/(manifests|blobs)/sha256:", respond=(202, {}, b""))
        ],
        fail=("management.delete-dataset[image]", "management.delete-dataset[nested-index]"),
    ),
    Row(
        "a deleted data set's tag still listed",
        lambda _: [
            Mutation(
                "listed",
                method="GET",
                path=r"/datasets/tags/list",
                json=lambda b: {**b, "tags": sorted({*(b.get("tags") or []), "index"})},
            )
        ],
        fail=("management.delete-dataset[index]",),
        passes=("management.delete-dataset[image]",),
    ),
    Row(
        "tag deletion supported",
        lambda upstream: [tag_deletion(upstream)],
        passes=("management.delete-tag", "management.delete-tag-keeps-others"),
    ),
    Row(
        "tag deletion takes the manifest's other tags",
        lambda upstream: [tag_deletion(upstream, keep_other_tags=False)],
        fail=("management.delete-tag-keeps-others",),
        passes=("management.delete-tag",),
    ),
    Row(
        "deleted tag still listed",
        lambda upstream: [
            tag_deletion(upstream),
            Mutation(
                "listed",
                method="GET",
                path=r"/test-delete-tag/tags/list",
                json=lambda b: {**b, "tags": [*(b.get("tags") or []), "doomed"]},
            ),
        ],
        fail=("management.delete-tag",),
    ),
]


@each_row(ROWS)
def test_mutation(row: Row, fault_proxy, shared_distribution: Target, tmp_path: Path) -> None:
    run_row(fault_proxy, shared_distribution.url, row, tmp_path)


@pytest.fixture
def without_deletes(registry_factory: Callable[..., Target]) -> Target:
    return registry_factory(RegistryConfig(delete_enabled=False))


def test_deletes_disabled_read_as_unsupported(without_deletes: Target, tmp_path: Path) -> None:
    run = run_conformance(without_deletes.url, tmp_path, checks=["management.", "errors.unsupported-code"], timeout=120)
    for check_id in MANAGEMENT:
        record = run.record(check_id)
        assert record.outcome == Outcome.UNSUPPORTED, f"{check_id}: {record.outcome} {record.message}"
    assert "405" in run.record("management.delete-manifest").message
    for check_id in REFUSALS:
        assert run.outcome(check_id) == Outcome.PASSED, run.record(check_id).message


def _code_replaced(body: dict) -> dict:
    return {"errors": [{**e, "code": "DIGEST_INVALID"} for e in body.get("errors", [])]}


# Rows in front of the registry without deletes.
OTHER_ROWS = [
    Row("405 with DIGEST_INVALID", lambda _: [Mutation("code", method="DELETE", json=_code_replaced)], fail=REFUSALS),
]


@each_row(OTHER_ROWS)
def test_refusal_with_the_wrong_code(row: Row, fault_proxy, without_deletes: Target, tmp_path: Path) -> None:
    run_row(fault_proxy, without_deletes.url, row, tmp_path)


def test_refusal_with_unsupported_passes(fault_proxy, shared_distribution: Target, tmp_path: Path) -> None:
    """distribution refuses tag deletion with DIGEST_INVALID; the same refusal as UNSUPPORTED passes."""
    row = Row(
        "tag deletion refused as UNSUPPORTED",
        lambda _: [
            Mutation(
                "405",
                method="DELETE",
                path=r"/manifests/v1$",
                respond=(405, {"Content-Type": "application/json"}, error_body("UNSUPPORTED")),
            )
        ],
        passes=("errors.unsupported-code[delete-tag]",),
    )
    run_row(fault_proxy, shared_distribution.url, row, tmp_path)
