"""Manifests: PUT (area push) and GET/HEAD (area pull) for every data set.

Parametrised by the data set table (regsuite/datasets.py) and, for pushes,
by blob push method (PUSH_MATRIX in conformance/conftest.py): adding a data set
or a method is adding one row there.
"""

from __future__ import annotations

import httpx
import pytest

from conformance.conftest import (
    PUSH_MATRIX,
    ContentStore,
    ExpectedManifest,
    Observation,
    PullSubject,
    matrix_id,
    show_exchanges,
)
from conformance.judge import answered, expect, sent
from fixtures.checks import check, unsupported
from regsuite import content
from regsuite import mediatypes as mt
from regsuite.client import RegistryClient
from regsuite.digest import algorithm_of, digest_of

push_matrix = pytest.mark.parametrize(
    ("dataset", "method"), PUSH_MATRIX, ids=[matrix_id(name, method) for name, method in PUSH_MATRIX]
)


def _excerpt(response: httpx.Response) -> str:
    text = response.text.strip() if response.request.method != "HEAD" else ""
    return f": {text[:200]}" if text else ""


# -- push ------------------------------------------------------------------------


@check("push.manifest-put")
@push_matrix
def test_manifest_put(
    writable: None, registry: RegistryClient, content_store: ContentStore, dataset: str, method: str
) -> None:
    push = content_store.dataset(dataset, method)
    show_exchanges(registry.transcript, content_store.exchanges("dataset", dataset, method))
    if push.failure is not None:
        response = push.failure.response
        pytest.fail(
            f"pushing data set {dataset!r} ({push.dataset.title}): {sent(response)} answered "
            f"{response.status_code}{_excerpt(response)}; the spec wants 201 Created (step: {push.failure.step}; "
            f"{'end-7' if push.failure.step == 'manifest PUT' else 'end-4a..end-6'})"
        )
    expected = {m.body: m.digest for m in push.dataset.manifests()}
    for response in push.responses:
        if "/manifests/" not in response.request.url.path:
            continue
        digest = expected.get(response.request.content)
        require = f"{sent(response)} answered 201"
        assert response.headers.get("Location"), (
            f"{require} without a Location header; the spec wants the manifest's URL (end-7)"
        )
        got = response.headers.get("Docker-Content-Digest")
        assert got is None or got == digest, (
            f"{require} with Docker-Content-Digest: {got}; the manifest's digest is {digest} (end-7)"
        )


@check("push.manifest-location")
@push_matrix
def test_manifest_location(
    writable: None, registry: RegistryClient, content_store: ContentStore, dataset: str, method: str
) -> None:
    push = content_store.dataset(dataset, method)
    if not push.pushed:
        pytest.skip(f"data set {dataset!r} was not pushed; see push.manifest-put[{matrix_id(dataset, method)}]")
    registry.transcript.clear()
    algorithm = push.dataset.manifest.algorithm
    by_body = {m.body: m.digest for m in push.dataset.manifests()}
    for response in push.responses:
        url = response.request.url
        digest = url.params.get("digest") if "/blobs/" in url.path else by_body.get(response.request.content)
        location = registry.resolve(response)
        got = registry.request("GET", location, headers={"Accept": mt.ACCEPT_ALL_MANIFESTS}, follow_redirects=True)
        assert got.status_code == 200, (
            f"{sent(response)} answered Location: {response.headers.get('Location')}, but GET on it answered "
            f"{got.status_code}; every Location a PUT returns must serve the content just pushed"
        )
        body_digest = digest_of(got.content, algorithm_of(digest or f"{algorithm}:"))
        assert body_digest == digest, (
            f"GET {location} (the Location of {sent(response)}) served content whose digest is {body_digest}; "
            f"it must serve the content pushed there, {digest}"
        )


@check("push.manifest-bad-digest")
def test_manifest_bad_digest(registry: RegistryClient, stored_image: tuple[str, content.Manifest]) -> None:
    repo, image = stored_image
    body = image.body + b"  "  # still valid JSON, another digest
    response = registry.put_manifest(repo, image.digest, body, image.media_type)
    assert response.status_code == 400, (
        f"{sent(response)} with a body whose digest is {digest_of(body)} answered {response.status_code}"
        f"{_excerpt(response)}; a manifest PUT by a digest the body does not have must get 400 (DIGEST_INVALID) (end-7)"
    )


@check("push.manifest-malformed-digest")
def test_manifest_malformed_digest(registry: RegistryClient, stored_image: tuple[str, content.Manifest]) -> None:
    repo, image = stored_image
    response = registry.put_manifest(repo, "sha256:0123abc", image)
    assert response.status_code == 400, (
        f"{sent(response)} (a reference that is neither a tag nor a well-formed digest) answered "
        f"{response.status_code}{_excerpt(response)}; a client mistake must get 400, never 5xx (end-7)"
    )


@check("push.manifest-tag-param")
def test_manifest_tag_param(registry: RegistryClient, stored_image: tuple[str, content.Manifest]) -> None:
    repo, image = stored_image
    tags = ["tag-param-a", "tag-param-b"]
    response = registry.request(
        "PUT",
        f"/v2/{repo}/manifests/{image.digest}",
        params=[("tag", t) for t in tags],
        content=image.body,
        headers={"Content-Type": image.media_type},
    )
    expect(response, (201,), "201 Created", "end-7b", "OCI-Tag")
    answered_tags = response.headers.get_list("OCI-Tag")
    if not answered_tags:
        if registry.head_manifest(repo, tags[0]).status_code == 404:
            unsupported(f"{sent(response)} answered 201 without OCI-Tag and created no tag: ?tag= is not supported")
        pytest.fail(
            f"{sent(response)} created tag {tags[0]} but answered no OCI-Tag header; "
            "the spec wants one per tag (end-7b)"
        )
    assert sorted(answered_tags) == tags, (
        f"{sent(response)} answered OCI-Tag: {answered_tags}; the spec wants exactly {tags} (end-7b)"
    )
    for tag in tags:
        head = registry.head_manifest(repo, tag)
        assert head.status_code == 200, (
            f"HEAD /v2/{repo}/manifests/{tag} answered {head.status_code} after OCI-Tag: {tag} (end-7b)"
        )


# -- pull ------------------------------------------------------------------------


def _same_type(header: str | None, media_type: str | None) -> bool:
    return (header or "").split(";")[0].strip() == media_type


def _manifests(observed: list[Observation]) -> list[Observation]:
    return [o for o in observed if o.kind == "manifests"]


def _judge_body(response: httpx.Response, expected: ExpectedManifest) -> None:
    if expected.body is not None:
        assert response.content == expected.body, (
            f"{sent(response)} answered {len(response.content)} bytes that differ from the {len(expected.body)} "
            f"bytes pushed (digest {expected.reference}); a registry must serve manifests byte for byte (end-3)"
        )
    got = digest_of(response.content, algorithm_of(expected.reference))
    assert got == expected.reference, (
        f"{sent(response)} served a manifest whose digest is {got}; "
        f"the spec wants the content of {expected.reference} (end-3)"
    )


def _expected(subject: PullSubject, digest: str) -> ExpectedManifest:
    return next(m for m in subject.manifests if m.reference == digest)


@check("pull.manifest-by-tag")
def test_manifest_by_tag(pull_subject: PullSubject, observed: list[Observation]) -> None:
    if not pull_subject.tag:
        pytest.skip(f"data set {pull_subject.label!r} is pushed by digest only")
    get = next(o.get for o in observed if o.reference == pull_subject.tag)
    expect(get, (200,), "200 OK with the manifest", "end-3")
    _judge_body(get, pull_subject.top)


@check("pull.manifest-by-digest")
def test_manifest_by_digest(pull_subject: PullSubject, observed: list[Observation]) -> None:
    for o in _manifests(observed):
        if o.reference == o.digest:
            expect(o.get, (200,), "200 OK with the manifest", "end-3")
            _judge_body(o.get, _expected(pull_subject, o.digest))


@check("pull.manifest-head")
def test_manifest_head(pull_subject: PullSubject, observed: list[Observation]) -> None:
    for o in _manifests(observed):
        expect(o.head, (200,), "200 OK: the manifest exists", "end-3")
        manifest = _expected(pull_subject, o.digest)
        length = o.head.headers.get("Content-Length")
        if manifest.body is not None:
            assert length == str(len(manifest.body)), (
                f"{sent(o.head)} answered Content-Length: {length}; the manifest is {len(manifest.body)} bytes (end-3)"
            )
        digest = o.head.headers.get("Docker-Content-Digest")
        assert digest in (None, o.digest), (
            f"{sent(o.head)} answered Docker-Content-Digest: {digest}; the manifest's digest is {o.digest} (end-3)"
        )


@check("pull.manifest-content-type")
def test_manifest_content_type(pull_subject: PullSubject, observed: list[Observation]) -> None:
    for o in _manifests(observed):
        media_type = _expected(pull_subject, o.digest).media_type
        for response in (o.get, o.head):
            expect(response, (200,), "200 OK", "end-3")
            assert _same_type(response.headers.get("Content-Type"), media_type), (
                f"{sent(response)} answered {answered(response, 'Content-Type')}; the manifest's mediaType is "
                f"{media_type} and the Content-Type must equal it"
            )
