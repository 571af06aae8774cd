"""The discovery checks can fail and can pass: tags list and catalog through a fault proxy.

distribution 2.8 ignores `n`/`last` on tags/list and answers in storage order,
so the tags rows start from `paginated_tags()` (the answer the spec wants),
see every tags check pass, and plant one fault on top. Its catalog paginates
properly, so the catalog rows plant faults on the registry as it is. The last
test compares the verdicts of all five areas against plain distribution 2.8
with the shipped expectations (tests/expected_verdicts.py). That every check
has a failing self-test is tests/test_every_check_can_fail.py's job.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from regsuite.providers import HtpasswdAuth, RegistryConfig
from regsuite.results import Outcome
from regsuite.target import Target
from regsuite.testing.faultproxy import FaultProxy, Mutation, ProxyRequest, ProxyResponse
from tests.expected_verdicts import verdict_mismatches
from tests.mutation_table import Row, each_row, run_row
from tests.registry_fixes import error_body, paginated_tags
from tests.support import run_conformance

TAG_CHECKS = (
    "discovery.tags-list",
    "discovery.tags-sorted",
    "discovery.tags-n",
    "discovery.tags-last",
    "discovery.tags-link",
    "discovery.tags-n-zero",
    "discovery.tags-unknown-repo",
)
CATALOG_CHECKS = (
    "discovery.catalog-list",
    "discovery.catalog-sorted",
    "discovery.catalog-n",
    "discovery.catalog-last",
    "discovery.catalog-link",
    "discovery.catalog-n-zero",
)
TAGS = r"/discovery-tags/tags/list"
JSON = {"Content-Type": "application/json"}


def _with_last_included(key: str):  # noqa: ANN202 - a response callable
    """The `last` entry comes back at the head of the page: `last` treated as inclusive."""

    def mutate(request: ProxyRequest, response: ProxyResponse) -> ProxyResponse:
        last = parse_qs(urlsplit(request.path).query).get("last")
        if response.status == 200 and last:
            body = json.loads(response.body)
            body[key] = [last[0], *(body.get(key) or [])]
            response.body = json.dumps(body).encode()
        return response

    return mutate


def _link_to_self(request: ProxyRequest, response: ProxyResponse) -> ProxyResponse:
    if response.header("Link"):
        response.set_header("Link", f'<{request.path}>; rel="next"')
    return response


def _tags(name: str, *faults: Mutation, fail: tuple[str, ...]) -> Row:
    return Row(name, lambda _: [paginated_tags(), *faults], fail=fail)


ROWS = [
    Row("tags fixed: sorted, n, last, Link", lambda _: [paginated_tags()], passes=TAG_CHECKS),
    _tags(
        "tags reordered",
        Mutation("reverse", method="GET", path=TAGS, json=lambda b: {**b, "tags": b["tags"][::-1]}),
        fail=("discovery.tags-sorted",),
    ),
    _tags(
        "n answers one tag too many",
        Mutation("n+1", method="GET", path=TAGS + r"\?n=", json=lambda b: {**b, "tags": [*b["tags"], "zz-extra"]}),
        fail=("discovery.tags-n",),
    ),
    _tags(
        "last included in the page",
        Mutation("last inclusive", method="GET", path=TAGS + r".*last=", response=_with_last_included("tags")),
        fail=("discovery.tags-last",),
    ),
    _tags(
        "Link dropped",
        Mutation("no Link", method="GET", path=TAGS, drop_headers=("Link",)),
        fail=("discovery.tags-link",),
    ),
    _tags(
        "Link points at the same page",
        Mutation("Link loop", method="GET", path=TAGS, response=_link_to_self),
        fail=("discovery.tags-link",),
    ),
    _tags(
        "n=0 answers a Link",
        Mutation(
            "n=0 Link",
            method="GET",
            path=TAGS + r"\?n=0$",
            set_headers={"Link": '</v2/x/tags/list?n=0&last=a>; rel="next"'},
        ),
        fail=("discovery.tags-n-zero",),
    ),
    Row(
        "tags list names another repository and lacks a tag",
        lambda _: [
            Mutation(
                "wrong name",
                method="GET",
                path=TAGS + "$",
                json=lambda b: {"name": "library/other", "tags": b["tags"][1:]},
            )
        ],
        fail=("discovery.tags-list",),
    ),
    Row(
        "unknown repository answers 200",
        lambda _: [
            Mutation(
                "200 for unknown",
                method="GET",
                path=r"/discovery-never-pushed/tags/list",
                respond=(200, {"Content-Type": "application/json"}, b'{"name":"x","tags":[]}'),
            )
        ],
        fail=("discovery.tags-unknown-repo",),
    ),
    Row(
        "catalog reordered",
        lambda _: [
            Mutation(
                "reverse", method="GET", path=r"/_catalog", json=lambda b: {"repositories": b["repositories"][::-1]}
            )
        ],
        fail=("discovery.catalog-sorted",),
    ),
    Row(
        "catalog sorted by the proxy",  # 2.8 lists in walk order; sorted, the same names pass
        lambda _: [
            Mutation(
                "sort", method="GET", path=r"/_catalog", json=lambda b: {"repositories": sorted(b["repositories"])}
            )
        ],
        passes=("discovery.catalog-sorted",),
    ),
    Row(
        "catalog n answers one too many",
        lambda _: [
            Mutation(
                "n+1",
                method="GET",
                path=r"/_catalog\?.*n=2",
                json=lambda b: {"repositories": [*b["repositories"], "zzz/extra"]},
            )
        ],
        fail=("discovery.catalog-n",),
    ),
    Row(
        "catalog last included",
        lambda _: [
            Mutation(
                "last inclusive", method="GET", path=r"/_catalog\?.*last=", response=_with_last_included("repositories")
            )
        ],
        fail=("discovery.catalog-last",),
    ),
    Row(
        "catalog Link dropped",
        lambda _: [Mutation("no Link", method="GET", path=r"/_catalog", drop_headers=("Link",))],
        fail=("discovery.catalog-link",),
        passes=("discovery.catalog-n",),
    ),
    Row(
        "catalog n=0 not empty",
        lambda _: [Mutation("n=0", method="GET", path=r"/_catalog\?n=0$", json=lambda b: {"repositories": ["x"]})],
        fail=("discovery.catalog-n-zero",),
    ),
    Row(
        "catalog misses a repository",
        lambda _: [
            Mutation(
                "drop r1",
                method="GET",
                path=r"/_catalog",
                json=lambda b: {"repositories": [r for r in b["repositories"] if not r.endswith("/catalog/r1")]},
            )
        ],
        fail=("discovery.catalog-list", "discovery.catalog-link"),
    ),
]


# The catalog is not in the OCI spec (regsuite.optional): a registry that does not offer it makes its checks
# unsupported, one that offers it is judged in full.
ROWS += [
    Row(
        "catalog answers 404 UNSUPPORTED",
        lambda _: [Mutation("404", method="GET", path=r"^/v2/_catalog",
                            respond=(404, JSON, error_body("UNSUPPORTED", "catalog not offered")))],
        unsupported=CATALOG_CHECKS,
    ),
    Row(
        "catalog answers 405",
        lambda _: [Mutation("405", method="GET", path=r"^/v2/_catalog", respond=(405, {}, b""))],
        unsupported=CATALOG_CHECKS,
    ),
    Row(
        "catalog answers 403 to an anonymous client",  # not a user who may pull: the refusal says nothing
        lambda _: [Mutation("403", method="GET", path=r"^/v2/_catalog", respond=(403, JSON, error_body("DENIED")))],
        fail=CATALOG_CHECKS,
    ),
    Row(
        "catalog offered, its pages refused",
        lambda _: [Mutation("404 with n", method="GET", path=r"^/v2/_catalog\?.*n=", respond=(404, {}, b""))],
        fail=CATALOG_CHECKS,
    ),
]


@each_row(ROWS)
def test_mutation(row: Row, fault_proxy, shared_distribution: Target, tmp_path: Path) -> None:
    run_row(fault_proxy, shared_distribution.url, row, tmp_path)


@pytest.mark.parametrize("status", [401, 403])
def test_catalog_kept_from_a_user_who_may_pull_is_not_offered(
        status: int, registry_factory: Callable[..., Target], htpasswd_file: Callable[..., Path], tmp_path: Path,
) -> None:
    """Harbor-style: the catalog refused to an authenticated user whose pushes and pulls work."""
    user, password = "catalog-user", "Catalog-" + secrets.token_urlsafe(12)
    upstream = registry_factory(RegistryConfig(auth=HtpasswdAuth(htpasswd_file({user: password}))))
    refusal = {"WWW-Authenticate": 'Basic realm="registry"', **JSON} if status == 401 else JSON
    code = "UNAUTHORIZED" if status == 401 else "DENIED"
    with FaultProxy(upstream.url, [Mutation(str(status), method="GET", path=r"^/v2/_catalog",
                                            respond=(status, refusal, error_body(code)))]) as proxy:
        docker_config = tmp_path / "docker-config"
        docker_config.mkdir()
        env = {"REGSUITE_USERNAME": user, "REGSUITE_PASSWORD": password, "DOCKER_CONFIG": str(docker_config)}
        run = run_conformance(proxy.url, tmp_path / "reports", checks=list(CATALOG_CHECKS), env=env, timeout=120)
    for check_id in CATALOG_CHECKS:
        record = run.record(check_id)
        assert record.outcome == Outcome.UNSUPPORTED, f"{check_id}: {record.outcome}: {record.message[:300]}"
        assert f"GET /v2/_catalog -> {status}" in record.message and code in record.message, record.message


# -- distribution 2.8.2 as it is ------------------------------------------------

MY_AREAS = ("discovery", "management", "referrers", "naming", "errors")
# Checks skipped against plain distribution, and why (none of them judges the registry)
SKIPS = (
    "errors.right-code",  # the answer was a 5xx or a 2xx: no error code to judge
    "errors.spec-code",
    "errors.unsupported-code",  # the delete was not refused
    "errors.warning-header",  # no Warning header in the run
    "errors.retry-after",  # no 429 in the run
    "errors.throttled-code",
    "management.delete-dataset[non-distributable]",  # data sets 2.8 refuses to store (push.manifest-put fails)
    "management.delete-dataset[sha512]",
)


def test_distribution_verdicts(shared_distribution: Target, tmp_path: Path) -> None:
    """Plain distribution 2.8.2: every verdict as expectations/distribution-2.8.2.yaml says."""
    run = run_conformance(shared_distribution.url, tmp_path, "-m", " or ".join(MY_AREAS), timeout=240)
    assert run.results is not None, run.output[-3000:]
    problems = verdict_mismatches(run, MY_AREAS)
    assert not problems, "\n".join(problems)
    assert run.with_outcome(Outcome.ERROR) == []
    for record in run.results.checks:
        if record.outcome == Outcome.SKIPPED:
            assert record.id.startswith(SKIPS), record
        if record.outcome in (Outcome.FAILED, Outcome.UNSUPPORTED):
            assert len(record.message) > 40, (
                f"{record.id}: a message a registry author can act on, got {record.message!r}"
            )
