"""`protocol.route` reads every legal repository name, API words included, from the end of the path.

The paths are the ones the client sends (built by `regsuite.protocol`'s steps)
for names from the grammar's strategy, mixed with components that are API
words (`blobs`, `uploads`, `manifests`, `tags`, `list`, `referrers`): all legal
in a name, and exactly what a parser splitting at the first `/manifests/`
gets wrong.
"""

from __future__ import annotations

import os

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from regsuite import protocol, strategies
from regsuite.protocol import ROUTE, ROUTES, Kind, RouteMatch, route
from regsuite.reference import MAX_PATH, is_valid_repository

API_WORDS = ("blobs", "uploads", "manifests", "tags", "list", "referrers", "v2")
DEEP = os.environ.get("REGSUITE_FUZZ_PROFILE") == "deep"
PROPERTY = settings(max_examples=3000 if DEEP else 300, derandomize=not DEEP, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def names(draw: st.DrawFn) -> str:
    """A valid repository name, often with API words as whole components."""
    parts = draw(st.lists(st.one_of(strategies.components(), st.sampled_from(API_WORDS)), min_size=1, max_size=6))
    name = "/".join(parts)[:MAX_PATH].rstrip("/._-")
    if not is_valid_repository(name):
        name = draw(strategies.paths())
    return name


any_name = st.one_of(names(), strategies.paths())
upload_ids = st.one_of(st.uuids().map(str), st.text("abcdef0123456789-_=", min_size=1, max_size=40),
                       st.sampled_from(API_WORDS))


def path_of(step: protocol.Step) -> str:
    """The path a client sends for a step (a relative step path is taken on a registry URL)."""
    return httpx.URL("http://registry.test").join(step.path).path


@PROPERTY
@given(any_name, st.one_of(strategies.tags(), strategies.digests()))
@example("team/manifests/app", "v1")
@example("a/tags/b", "latest")
@example("ci/blobs/x", "sha256:" + "a" * 64)
def test_manifest_paths(name: str, reference: str) -> None:
    want = RouteMatch(name, "manifests", reference)
    for step in (protocol.get_manifest(name, reference), protocol.head_manifest(name, reference),
                 protocol.put_manifest(name, reference, "application/json", 2)):
        assert route(path_of(step)) == want


@PROPERTY
@given(any_name, strategies.digests())
@example("ci/blobs/x", "sha256:" + "b" * 64)
@example("blobs/uploads", "sha256:" + "c" * 64)
def test_blob_and_referrers_paths(name: str, digest: str) -> None:
    for step in (protocol.get_blob(name, digest), protocol.head_blob(name, digest)):
        assert route(path_of(step)) == RouteMatch(name, "blobs", digest)
    assert route(f"/v2/{name}/referrers/{digest}") == RouteMatch(name, "referrers", digest)


@PROPERTY
@given(any_name, upload_ids, strategies.digests())
@example("a/blobs/uploads", "uploads", "sha256:" + "d" * 64)
def test_upload_paths(name: str, upload_id: str, digest: str) -> None:
    started = protocol.start_upload(name, [("digest", digest)], 3)
    assert route(path_of(started)) == RouteMatch(name, Kind.UPLOADS, "")
    location = f"/v2/{name}/blobs/uploads/{upload_id}"
    for step in (protocol.patch_chunk(location, 0, 4), protocol.patch_stream(location, 4),
                 protocol.finish_upload(location, digest)):
        assert route(path_of(step)) == RouteMatch(name, Kind.UPLOAD, upload_id)


@PROPERTY
@given(any_name, st.integers(0, 100))
@example("a/tags/list", 1)
def test_tags_list_paths(name: str, n: int) -> None:
    assert route(path_of(protocol.tags_list(name, n, "x"))) == RouteMatch(name, "tags", "list")


def test_an_upload_id_with_slashes_is_read_as_an_upload() -> None:
    """A registry's own Location scheme may put slashes in the id: no fixed suffix fits, so it is an upload."""
    assert route("/v2/team/app/blobs/uploads/2024/abc") == RouteMatch("team/app", Kind.UPLOAD, "2024/abc")


@pytest.mark.parametrize("path", ["/v2/team/app", "/token", "/v2/blobs/uploads/", "/v2"])
def test_paths_that_are_not_the_api(path: str) -> None:
    assert route(path) is None


def test_the_base_and_the_catalog_name_no_repository() -> None:
    assert route("/v2/") == RouteMatch("", Kind.BASE, "")
    assert route("/v2/_catalog") == RouteMatch("", Kind.CATALOG, "")


def test_every_step_is_on_its_routes_statistics_row() -> None:
    """Load statistics rows come from the route table: a step's row is its route's, or a variant of it."""
    upload = "/v2/r/blobs/uploads/u"
    steps = [protocol.get_blob("r", "d"), protocol.head_manifest("r", "t"), protocol.start_upload("r"),
             protocol.patch_chunk(upload, 0, 1), protocol.finish_upload(upload, "d"), protocol.tags_list("r"),
             protocol.catalog(), protocol.referrers("r", "d"), protocol.delete("r", "blobs", "d"),
             protocol.upload_status(upload), protocol.cancel_upload(upload), protocol.ping()]
    rows = {r.row for r in ROUTES}
    for step in steps:
        found = route(path_of(step))
        assert found is not None and step.name.split(" (")[0] == ROUTE[found.kind].row in rows, step


@pytest.mark.parametrize(("found", "template"), [
    (RouteMatch("a", Kind.UPLOADS, ""), "/v2/<name>/blobs/uploads/"),
    (RouteMatch("a", Kind.UPLOAD, "id"), "/v2/<name>/blobs/uploads/<id>"),
    (RouteMatch("a", "blobs", "sha256:x"), "/v2/<name>/blobs/<digest>"),
    (RouteMatch("a", "manifests", "v1"), "/v2/<name>/manifests/<reference>"),
    (RouteMatch("a", "tags", "list"), "/v2/<name>/tags/list"),
    (RouteMatch("a", "referrers", "sha256:x"), "/v2/<name>/referrers/<digest>"),
])
def test_templates_name_the_route_as_the_spec_writes_it(found: RouteMatch, template: str) -> None:
    assert found.template == template
