"""Area management: deleting manifests, tags and blobs (end-9, end-10).

Registries MAY disable deletion: the spec then wants 400 or 405, which these
checks report as unsupported (the code such a refusal carries is judged by
errors.unsupported-code). Each check pushes its own small content, except
management.delete-dataset: it deletes the data sets the run pushed, after
every other check has read them (session_end).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import httpx
import pytest

from regsuite import content, datasets, flows
from regsuite.client import RegistryClient
from regsuite.fixtures.checks import check, unsupported
from regsuite.fixtures.content import dataset_params
from regsuite.fixtures.run import Run
from regsuite.fixtures.store import ContentStore
from regsuite.judge import describe
from regsuite.optional import Feature, not_offered
from regsuite.uploads import judged


@pytest.fixture(autouse=True)
def _deletes_wanted(regsuite_run: Run) -> None:
    if regsuite_run.settings.delete == "no":
        pytest.skip("deletes are off (--registry-delete no)")


def _image(repo: str) -> content.Manifest:
    return content.image(f"management/{repo}", layers=0)


def _accepted(response: httpx.Response, what: str) -> None:
    """A delete must answer 202; 400/405 means the registry disabled it (unsupported: regsuite.optional)."""
    if response.status_code == 202:
        return
    why = not_offered(Feature.DELETES, response)
    if why:
        unsupported(f"{what}: {why}; errors.unsupported-code judges the code")
    raise AssertionError(f"{describe(response)}\n{what}: the spec wants 202 (or 400/405 when deletion is disabled)")


def _gone(response: httpx.Response, what: str) -> None:
    assert response.status_code == 404, f"{describe(response)}\n{what}: the spec wants 404 once deleted"


@check("management.delete-manifest")
def test_delete_manifest(registry: RegistryClient, repo: str) -> None:
    image = _image(repo)
    registry.push_image(repo, image, "v1")
    _accepted(registry.delete_manifest(repo, image.digest), "DELETE of a manifest by digest")


@check("management.deleted-manifest-gone")
def test_deleted_manifest_gone(registry: RegistryClient, repo: str) -> None:
    image = _image(repo)
    registry.push_image(repo, image, "v1")
    _accepted(registry.delete_manifest(repo, image.digest), "DELETE of a manifest by digest")
    _gone(registry.get_manifest(repo, image.digest), "GET of the deleted manifest by digest")
    _gone(registry.head_manifest(repo, image.digest), "HEAD of the deleted manifest by digest")
    _gone(registry.get_manifest(repo, "v1"), "GET of a tag that pointed at the deleted manifest")


@check("management.delete-tag")
def test_delete_tag(registry: RegistryClient, repo: str) -> None:
    image = _image(repo)
    registry.push_image(repo, image, "doomed")
    _accepted(registry.delete_manifest(repo, "doomed"), "DELETE of a tag")
    _gone(registry.get_manifest(repo, "doomed"), "GET of the deleted tag")
    listed = registry.list_tags(repo)
    tags = (listed.json() or {}).get("tags") or [] if listed.status_code == 200 else []
    assert "doomed" not in tags, f"{describe(listed)}\nthe deleted tag is still listed"


@check("management.delete-tag-keeps-others")
def test_delete_tag_keeps_others(registry: RegistryClient, repo: str) -> None:
    image = _image(repo)
    registry.push_image(repo, image, "keep")
    assert registry.put_manifest(repo, "doomed", image).status_code == 201, "setup: second tag"
    _accepted(registry.delete_manifest(repo, "doomed"), "DELETE of a tag")
    for reference, what in (("keep", "the other tag"), (image.digest, "the manifest by digest")):
        response = registry.get_manifest(repo, reference)
        assert response.status_code == 200 and response.content == image.body, (
            f"{describe(response)}\ndeleting tag 'doomed' also removed {what}; only the tag should go"
        )


@check("management.delete-blob")
def test_delete_blob(registry: RegistryClient, repo: str) -> None:
    blob = content.Blob(content.random_bytes(f"management/{repo}", 128))
    registry.push_blob(repo, blob)
    _accepted(registry.delete_blob(repo, blob.digest), "DELETE of a blob")


@check("management.deleted-blob-gone")
def test_deleted_blob_gone(registry: RegistryClient, repo: str) -> None:
    blob = content.Blob(content.random_bytes(f"management/{repo}", 128))
    registry.push_blob(repo, blob)
    _accepted(registry.delete_blob(repo, blob.digest), "DELETE of a blob")
    _gone(registry.head_blob(repo, blob.digest), "HEAD of the deleted blob")
    _gone(registry.get_blob(repo, blob.digest), "GET of the deleted blob")


@check("management.delete-unknown")
@pytest.mark.parametrize("kind", ["manifest", "blob", "repository"])
def test_delete_unknown(registry: RegistryClient, repo: str, kind: str) -> None:
    missing = content.digest_of(b"regsuite: never pushed " + repo.encode())
    if kind == "repository":  # a manifest DELETE where nothing was ever pushed
        response = registry.delete_manifest(f"{repo}-never-created", missing)
        what = "DELETE of a manifest in a repository that does not exist"
    else:
        blob = content.Blob(content.random_bytes(f"management/{repo}", 128))
        registry.push_blob(repo, blob)  # the repository exists; the digest below does not
        response = (
            registry.delete_manifest(repo, missing) if kind == "manifest" else registry.delete_blob(repo, missing)
        )
        what = f"DELETE of an unknown {kind}"
    why = not_offered(Feature.DELETES, response)
    if why:
        unsupported(f"{what}: {why}")
    assert response.status_code == 404, f"{describe(response)}\n{what}: the spec wants 404"


@check("management.sha512-delete")
def test_sha512_delete(registry: RegistryClient, sha512_repo: str) -> None:
    blob = content.Blob(content.random_bytes("management/sha512-delete", 128), algorithm="sha512")
    judged(registry, flows.post_put(sha512_repo, blob))
    _accepted(registry.delete_blob(sha512_repo, blob.digest), "DELETE of a blob by its sha512 digest")
    _gone(registry.head_blob(sha512_repo, blob.digest), "HEAD of the deleted sha512 blob")
    _gone(registry.get_blob(sha512_repo, blob.digest), "GET of the deleted sha512 blob")


# -- every data set the run pushed, deleted once every other check has read it --------------------------------


@functools.cache
def _blobs_of(name: str) -> frozenset[str]:
    ds = datasets.build(name)
    return frozenset(b.digest for m in (*ds.prerequisites, ds.manifest) for b in m.all_blobs())


def _unshared_blobs(name: str) -> list[str]:
    """The data set's blobs no other data set holds (a shared one, the empty JSON, goes with the run's cleanup)."""
    elsewhere = set().union(*(_blobs_of(other) for other in datasets.DATASET_NAMES if other != name))
    return sorted(_blobs_of(name) - elsewhere)


@check("management.delete-dataset")
@pytest.mark.session_end
@pytest.mark.parametrize("dataset", dataset_params(datasets.DATASET_NAMES))
def test_delete_dataset(writable: None, registry: RegistryClient, content_store: ContentStore, dataset: str,
                        regsuite_run: Run) -> None:
    tagged = content_store.tagged(content_store.repo("datasets"))  # read before the first delete
    push = content_store.dataset(dataset)
    if not push.pushed:
        pytest.skip(f"data set {dataset!r} was not pushed; see push.manifest-put[{dataset}]")
    registry.transcript.clear()
    ds, repo = push.dataset, push.repo
    manifests = [m for top in (ds.manifest, *ds.prerequisites) for m in reversed(top.tree())]  # parents first
    pointing = {m.digest: tagged.get(m.digest, []) for m in manifests}
    gone_tags = sorted({tag for tags in pointing.values() for tag in tags})
    if ds.tag:
        response = registry.delete_manifest(repo, ds.tag)
        if not not_offered(Feature.DELETES, response):  # tag deletion MAY be refused; the manifest deletes take it
            _accepted(response, f"DELETE of tag {ds.tag}")
            _judge_gone(regsuite_run, registry, repo, "manifests", ds.tag, [])

    def judge_delete(send: flows.Send, response: httpx.Response) -> None:
        kind, reference = send.step.path.rsplit("/", 2)[-2:]
        what = f"DELETE of {kind[:-1]} {reference} of data set {dataset!r} (pushed, and read, by this run)"
        _accepted(response, what)
        _judge_gone(regsuite_run, registry, repo, kind, reference, pointing.get(reference, []))

    entries = [(repo, "manifests", m.digest) for m in manifests]
    entries += [(repo, "blobs", digest) for digest in _unshared_blobs(dataset)]
    registry.run(flows.delete_content(entries), observe=judge_delete)
    listed = registry.list_tags(repo)
    if listed.status_code == 200:
        tags = [t for page in registry.pages(listed, "tags") for t in page.items]
        kept = sorted(set(gone_tags) & set(tags))
        assert not kept, (
            f"{describe(listed)}\nstill lists {kept} after the manifests they pointed at were deleted; "
            "a deleted manifest takes its tags with it (end-9)"
        )


def _judge_gone(run: Run, registry: RegistryClient, repo: str, kind: str, reference: str, tags: list[str]) -> None:
    """HEAD and GET of what was deleted, and of every tag that pointed at it, answer 404. Read side by side,
    before the next delete (a later delete could hide what this one left behind)."""
    reads: list[Callable[[RegistryClient], httpx.Response]]
    if kind == "blobs":
        reads = [lambda c: c.head_blob(repo, reference), lambda c: c.get_blob(repo, reference)]
    else:
        reads = [
            read
            for ref in (reference, *tags)
            for read in (lambda c, ref=ref: c.head_manifest(repo, ref), lambda c, ref=ref: c.get_manifest(repo, ref))
        ]
    for response in run.side_by_side(registry, reads):
        _gone(
            response,
            f"after DELETE of {kind[:-1]} {reference} answered 202, {response.request.method} "
            f"{response.request.url.path}",
        )
