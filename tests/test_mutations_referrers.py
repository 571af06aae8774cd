"""The referrers checks can fail and can pass.

distribution 2.8 has no referrers API (all unsupported, see
test_mutations_discovery's verdict test). `ReferrersEmulation` answers the API
in the proxy from the manifests pushed through it: every referrers check
passes, with pages of two; each row plants one fault on top.
"""

from __future__ import annotations

from pathlib import Path

from regsuite import content
from regsuite.checklist import CHECKLIST
from regsuite.client import RegistryClient
from regsuite.results import Outcome
from regsuite.target import Target
from regsuite.testing.faultproxy import Mutation
from tests.mutation_table import Row, each_row, run_row
from tests.registry_fixes import ReferrersEmulation
from tests.support import run_conformance

REFERRERS = tuple(sorted(cid for cid, info in CHECKLIST.items() if info.area == "referrers"))
GET = r"/referrers/"
PATHS = ["conformance/test_referrers.py"]


def _faulty(*faults: Mutation, page_size: int | None = None, apply_filter: bool = True, **fault: bool):  # noqa: ANN202
    """The emulated referrers API (with `fault` options of ReferrersEmulation) and `faults` on top."""
    return lambda _: [*ReferrersEmulation(page_size, apply_filter, **fault).mutations(), *faults]


def _without(*keys: str):  # noqa: ANN202 - a json mutation
    return lambda body: {
        **body,
        "manifests": [{k: v for k, v in d.items() if k not in keys} for d in body["manifests"]],
    }


def _unknown_subject_404(upstream: str) -> list[Mutation]:
    emulation = ReferrersEmulation()
    return [
        *emulation.mutations(),
        Mutation("404", method="GET", path=GET, when=lambda r: not emulation.known(r), status=404),
    ]


ROWS = [
    Row("referrers emulated, two per page", _faulty(page_size=2), passes=REFERRERS),
    Row(
        "OCI-Subject dropped",
        _faulty(Mutation("no OCI-Subject", method="PUT", path=r"/manifests/", drop_headers=("OCI-Subject",))),
        fail=("referrers.oci-subject",),
        passes=("referrers.list",),
    ),
    Row(
        "filter ignored, header kept",
        _faulty(apply_filter=False),
        fail=("referrers.filter", "referrers.filters-applied"),
    ),
    Row(
        "OCI-Filters-Applied dropped",
        _faulty(Mutation("no header", method="GET", path=GET, drop_headers=("OCI-Filters-Applied",))),
        fail=("referrers.filters-applied",),
        passes=("referrers.filter",),
    ),
    Row(
        "Content-Type application/json",
        _faulty(Mutation("type", method="GET", path=GET, set_headers={"Content-Type": "application/json"})),
        fail=("referrers.index-format",),
    ),
    Row(
        "artifactType and annotations dropped",
        _faulty(Mutation("fields", method="GET", path=GET, json=_without("artifactType", "annotations"))),
        fail=("referrers.descriptors", "referrers.index-referrer"),
    ),
    Row(
        "a referrer missing",
        _faulty(
            Mutation(
                "drop one",
                method="GET",
                path=GET + r"sha256:[0-9a-f]{64}$",
                json=lambda b: {**b, "manifests": b["manifests"][1:]},
            )
        ),
        fail=("referrers.list", "referrers.pagination"),
    ),
    Row(
        "unknown subject answers 404",
        _unknown_subject_404,
        fail=("referrers.unknown-subject",),
        passes=("referrers.list",),
    ),
    Row(
        "pages repeat an entry",
        _faulty(
            Mutation(
                "repeat",
                method="GET",
                path=r"page=1",
                json=lambda b: {**b, "manifests": [*b["manifests"], *b["manifests"][:1]]},
            ),
            page_size=2,
        ),
        fail=("referrers.pagination",),
        passes=("referrers.list",),
    ),
    Row(
        "referrers listed across repositories",
        _faulty(per_repository=False),
        fail=("referrers.other-repository", "referrers.list"),
    ),
    Row(
        "referrers recorded only when their subject is there",
        lambda upstream: ReferrersEmulation(subject_required_at=upstream).mutations(),
        fail=("referrers.subject-pushed-later", "referrers.missing-subject"),
        passes=("referrers.index-subject",),
    ),
    Row(
        "referrers of an index ignored",
        _faulty(index_subjects=False),
        fail=("referrers.index-subject",),
        passes=("referrers.list",),
    ),
    Row(
        "an index without artifactType listed with one",
        _faulty(type_untyped_indexes=True),
        fail=("referrers.index-artifact-type-omitted", "referrers.descriptors"),
        passes=("referrers.list",),
    ),
    Row(
        "Link dropped from paginated answers",
        _faulty(Mutation("no Link", method="GET", path=GET, drop_headers=("Link",)), page_size=2),
        fail=("referrers.list", "referrers.pagination"),
    ),
]


@each_row(ROWS)
def test_mutation(row: Row, fault_proxy, shared_distribution: Target, tmp_path: Path) -> None:
    run_row(fault_proxy, shared_distribution.url, row, tmp_path)


def test_read_only_listing_of_a_given_subject(fault_proxy, shared_distribution: Target, tmp_path: Path) -> None:
    """--ro-subject-digest lists referrers with GET only: passes, fails on a wrong Content-Type, unsupported on 404."""
    proxy = fault_proxy(*ReferrersEmulation().mutations())
    repo, subject = "selftest/referrers-read-only", content.image("referrers-read-only", layers=0)
    with RegistryClient(Target(proxy.url)) as client:
        client.push_image(repo, subject, "v1")
        client.push_image(repo, content.artifact("referrers-read-only", subject=subject))
    args = ("--read-only", "--ro-repo", repo, "--ro-tag", "v1", "--ro-subject-digest", subject.digest)

    def verdict(url: str, report: str) -> Outcome:
        run = run_conformance(url, tmp_path / report, *args, checks=["referrers.index-format"], paths=PATHS)
        return run.outcome("referrers.index-format")

    assert verdict(proxy.url, "emulated") == Outcome.PASSED
    proxy.mutations.append(Mutation("type", method="GET", path=GET, set_headers={"Content-Type": "application/json"}))
    assert verdict(proxy.url, "wrong-type") == Outcome.FAILED
    assert verdict(shared_distribution.url, "without-api") == Outcome.UNSUPPORTED
