"""The table of optional features: what the docs show is what the checks use, and how an answer is read.

The verdicts themselves are proved against a real registry behind a proxy
(tests/test_mutations_discovery.py: the catalog refused in each way).
"""

from __future__ import annotations

import httpx

from regsuite import access
from regsuite.optional import ROW, TABLE, Feature, markdown_table, not_offered
from tests.support import ROOT


def answer(status: int, method: str = "GET", path: str = "/v2/_catalog", **headers: str) -> httpx.Response:
    return httpx.Response(status, headers=headers, content=b'{"errors": [{"code": "UNSUPPORTED"}]}',
                          request=httpx.Request(method, f"http://registry.test{path}"))


def test_the_docs_show_the_table_the_checks_use() -> None:
    docs = (ROOT / "docs" / "api-checks.md").read_text()
    assert markdown_table() in docs, "docs/api-checks.md: paste regsuite.optional.markdown_table() under "\
        "'Optional endpoints'"
    assert {row.feature for row in TABLE} == set(Feature)


def test_catalog_answers() -> None:
    for status in (404, 405):
        reason = not_offered(Feature.CATALOG, answer(status))
        assert reason is not None and reason.startswith(f"GET /v2/_catalog -> {status}"), reason
        assert "UNSUPPORTED" in reason, "the answer is quoted"
    for status in (401, 403):
        assert not_offered(Feature.CATALOG, answer(status)) is None, "without proof the user may pull"
        assert not_offered(Feature.CATALOG, answer(status), may_pull=lambda: False) is None
        assert not_offered(Feature.CATALOG, answer(status), may_pull=lambda: True) is not None
    asked: list[bool] = []
    assert not_offered(Feature.CATALOG, answer(200), may_pull=lambda: asked.append(True) or True) is None
    assert not_offered(Feature.CATALOG, answer(500)) is None
    assert not asked, "an offered catalog costs no request to prove the user may pull"


def test_other_features() -> None:
    assert not_offered(Feature.REFERRERS, answer(404, path="/v2/r/referrers/sha256:00")) is not None
    assert not_offered(Feature.REFERRERS, answer(405, path="/v2/r/referrers/sha256:00")) is None
    assert not_offered(Feature.DELETES, answer(405, "DELETE", "/v2/r/manifests/sha256:00")) is not None
    assert not_offered(Feature.DELETES, answer(202, "DELETE", "/v2/r/manifests/sha256:00")) is None
    tagged = answer(201, "PUT", "/v2/r/manifests/sha256:00?tag=a", **{"OCI-Tag": "a"})
    assert not_offered(Feature.TAG_PARAM, tagged) is None
    assert not_offered(Feature.TAG_PARAM, answer(201, "PUT", "/v2/r/manifests/sha256:00?tag=a")) is not None
    assert not_offered(Feature.DIGEST_ALGORITHM, answer(400, "POST", "/v2/r/blobs/uploads/")) is not None


def test_the_access_matrix_reads_absent_routes_from_the_table() -> None:
    assert access.ROUTE["catalog"].absent == ROW[Feature.CATALOG].statuses
    assert access.ROUTE["referrers"].absent == ROW[Feature.REFERRERS].statuses
    assert access.ROUTE["manifest-delete"].absent == access.ROUTE["blob-delete"].absent == ROW[Feature.DELETES].statuses
