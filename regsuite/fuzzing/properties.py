"""Properties of names, tags and manifests: valid input is kept, invalid input is refused cleanly.

"Refused cleanly" means a 4xx (a 5xx answer to a client's mistake is never
conformant), a JSON error body, if there is one, with the spec's codes, and
nothing stored: reading the name, tag or digest back finds nothing.
"""

from __future__ import annotations

import itertools

import httpx
from hypothesis import example, given
from hypothesis import strategies as st

from .. import flows, strategies
from ..client import RegistryClient
from ..content import Manifest, image
from ..digest import digest_of
from ..errorcodes import KNOWN_CODES, MalformedErrorBody, error_codes
from ..flows import FlowFailed
from ..judge import describe
from ..reference import MAX_PATH, MAX_TAG, is_valid_repository, path_problem, tag_problem
from .runner import FuzzTarget, run

MAX_CATALOG_PAGES = 20


def tiny_image(seed: str, layers: int = 1) -> Manifest:
    return image(f"fuzz/{seed}", layers=layers, layer_size=32)


def _filled(prefix: str, length: int) -> str:
    """A name under `prefix` exactly `length` characters long."""
    return f"{prefix}/" + "a" * (length - len(prefix) - 1)


def refused_cleanly(response: httpx.Response, what: str) -> None:
    """A 4xx, and a JSON error body (if any) in the spec's shape with the spec's codes."""
    status = response.status_code
    assert status < 500, (
        f"{what}: the registry answered {status}, a server error, to a client's mistake: {describe(response)}"
    )
    assert 400 <= status < 500, f"{what}: want a 4xx refusal, got {status}: {describe(response)}"
    try:
        codes = error_codes(response)
    except MalformedErrorBody as error:
        raise AssertionError(f"{what}: {error}") from None
    unknown = sorted(set(codes or ()) - KNOWN_CODES)
    assert not unknown, f"{what}: error codes {unknown} are not in the spec's table: {describe(response)}"


def not_stored(response: httpx.Response, what: str) -> None:
    assert response.status_code != 200, f"{what} was refused, yet reading it back answers 200: {describe(response)}"


def push_blobs(client: RegistryClient, repo: str, manifest: Manifest) -> None:
    for blob in manifest.all_blobs():
        client.push_blob(repo, blob)


def stored_invalid_repositories(client: RegistryClient, prefix: str) -> list[str]:
    """Repositories under `prefix` in the catalog whose names break the grammar (catalog may be unsupported)."""
    return [n for n in client.run(flows.repositories_under(prefix, MAX_CATALOG_PAGES)) if not is_valid_repository(n)]


# -- names ------------------------------------------------------------------------------------


def valid_names(target: FuzzTarget) -> None:
    client, manifest = target.client, tiny_image("name")

    @target.settings
    @given(strategies.paths(prefix=target.repo))
    @example(_filled(target.repo, MAX_PATH))  # every profile tries the boundary
    def accepted_and_readable(name: str) -> None:
        target.begin_example()
        what = f"valid repository name {name!r} ({len(name)} characters)"
        try:
            client.push_image(name, manifest, "v1")
        except FlowFailed as failure:
            raise AssertionError(f"{what}: {failure}: {describe(failure.response)}") from None
        got = client.get_manifest(name, "v1")
        assert got.status_code == 200 and got.content == manifest.body, (
            f"{what}: pushed, but reading it back: {describe(got)}"
        )
        assert "v1" in client.all_tags(name), f"{what}: tag v1 is missing from tags/list"

    run(target, "valid repository names", accepted_and_readable)


def invalid_names(target: FuzzTarget) -> None:
    client, manifest = target.client, tiny_image("name")

    @target.settings
    @given(strategies.invalid_paths(prefix=target.repo, url_safe=True))
    @example(_filled(target.repo, MAX_PATH + 1))
    @example(f"{target.repo}/Upper")
    def refused_and_not_stored(name: str) -> None:
        target.begin_example()
        what = f"invalid repository name {name!r} ({path_problem(name)})"
        refused_cleanly(client.put_manifest(name, "v1", manifest), f"manifest PUT to {what}")
        started = client.start_upload(name)
        if started.status_code == 202:  # do not leave an upload behind in a repository that must not exist
            client.cancel_upload(client.resolve(started))
        refused_cleanly(started, f"blob upload to {what}")
        not_stored(client.get_manifest(name, "v1"), f"manifest of {what}")

    run(target, "invalid repository names", refused_and_not_stored)
    stored = stored_invalid_repositories(client, target.repo)
    assert not stored, f"invalid repository names: the catalog lists {stored[:5]}, names outside the grammar"


# -- tags ---------------------------------------------------------------------------------------


def valid_tags(target: FuzzTarget) -> None:
    client, manifest, repo = target.client, tiny_image("tag"), f"{target.repo}/tags"
    push_blobs(client, repo, manifest)

    @target.settings
    @given(strategies.tags())
    @example("t" * MAX_TAG)
    def accepted_and_readable(tag: str) -> None:
        target.begin_example()
        what = f"valid tag {tag!r} ({len(tag)} characters)"
        put = client.put_manifest(repo, tag, manifest)
        assert put.status_code == 201, f"{what}: manifest PUT answered {put.status_code}, want 201: {describe(put)}"
        got = client.get_manifest(repo, tag)
        assert got.status_code == 200 and got.content == manifest.body, f"{what}: reading it back: {describe(got)}"
        assert tag in client.all_tags(repo), f"{what}: missing from tags/list"

    run(target, "valid tags", accepted_and_readable)


def invalid_tags(target: FuzzTarget) -> None:
    client, manifest, repo = target.client, tiny_image("tag"), f"{target.repo}/tags"
    push_blobs(client, repo, manifest)
    client.put_manifest(repo, "valid", manifest)  # the repository exists, so tags/list answers

    @target.settings
    @given(strategies.invalid_tags(url_safe=True))
    @example("t" * (MAX_TAG + 1))
    @example("v1:2")  # a ':' makes the reference look like a digest to some routers
    def refused_and_not_stored(tag: str) -> None:
        target.begin_example()
        what = f"invalid tag {tag[:40]!r}{'...' if len(tag) > 40 else ''} ({tag_problem(tag)})"
        refused_cleanly(client.put_manifest(repo, tag, manifest), f"manifest PUT with {what}")
        not_stored(client.get_manifest(repo, tag), what)
        assert tag not in client.all_tags(repo), f"{what}: refused, yet listed in tags/list"

    run(target, "invalid tags", refused_and_not_stored)


# -- manifests -------------------------------------------------------------------------------------


def _mutated_manifests(
    target: FuzzTarget, label: str, mutations: st.SearchStrategy[strategies.MutatedManifest], repo: str
) -> None:
    client = target.client
    numbers = itertools.count()
    accepted: set[str] = set()  # digests of bodies kept earlier: a later refusal of the same bytes finds them

    @target.settings
    @given(mutations)
    def refused_cleanly_or_kept(mutated: strategies.MutatedManifest) -> None:
        target.begin_example()
        tag = f"m{next(numbers)}"
        what = f"manifest ({mutated.label})"
        put = client.put_manifest(repo, tag, mutated.body, media_type=mutated.content_type)
        if put.status_code >= 500 or mutated.must_reject or put.status_code >= 400:
            refused_cleanly(put, f"{what} (Content-Type {mutated.content_type})")
            not_stored(client.get_manifest(repo, tag), f"{what}, by tag")
            if digest_of(mutated.body) not in accepted:
                not_stored(client.get_manifest(repo, digest_of(mutated.body)), f"{what}, by digest")
            return
        assert put.status_code == 201, f"{what}: want 201 or a 4xx, got {describe(put)}"
        accepted.add(digest_of(mutated.body))
        got = client.get_manifest(repo, tag)
        assert got.status_code == 200 and got.content == mutated.body, (
            f"{what}: accepted with 201, but reading it back: {describe(got)}"
        )

    run(target, label, refused_cleanly_or_kept)


def manifest_structure(target: FuzzTarget) -> None:
    base, repo = tiny_image("manifest", layers=2), f"{target.repo}/structure"
    push_blobs(target.client, repo, base)
    mutations = strategies.structure_mutations(base.body, base.media_type)
    _mutated_manifests(target, "manifests with broken structure", mutations, repo)


def manifest_descriptors(target: FuzzTarget) -> None:
    base, repo = tiny_image("manifest", layers=2), f"{target.repo}/descriptors"
    push_blobs(target.client, repo, base)
    mutations = strategies.descriptor_mutations(base.body, base.media_type)
    _mutated_manifests(target, "manifests with broken descriptors", mutations, repo)
