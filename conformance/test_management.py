"""Area management: deleting manifests, tags and blobs (end-9, end-10).

Registries MAY disable deletion: the spec then wants 400 or 405, which these
checks report as unsupported (the code such a refusal carries is judged by
errors.unsupported-code). Each check pushes its own small content.
"""

from __future__ import annotations

import httpx
import pytest

from regsuite import content
from regsuite.client import RegistryClient
from regsuite.errorcodes import error_codes
from regsuite.fixtures.checks import check, unsupported
from regsuite.fixtures.run import Run
from regsuite.judge import describe

REFUSED = (400, 405)  # "deletion is disabled", per the spec


@pytest.fixture(autouse=True)
def _deletes_wanted(regsuite_run: Run) -> None:
    if regsuite_run.settings.delete == "no":
        pytest.skip("deletes are off (--registry-delete no)")


def _image(repo: str) -> content.Manifest:
    return content.image(f"management/{repo}", layers=0)


def _accepted(response: httpx.Response, what: str) -> None:
    """A delete must answer 202; 400/405 means the registry disabled it (unsupported)."""
    if response.status_code == 202:
        return
    if response.status_code in REFUSED:
        try:
            codes = error_codes(response)
        except ValueError:
            codes = None
        said = f" {', '.join(codes)}" if codes else ""
        unsupported(
            f"{what} answered {response.status_code}{said}: the spec reads 400/405 as this deletion being disabled "
            "(registries MAY disable deletes, or allow them only by digest); errors.unsupported-code judges the code"
        )
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
@pytest.mark.parametrize("kind", ["manifest", "blob"])
def test_delete_unknown(registry: RegistryClient, repo: str, kind: str) -> None:
    blob = content.Blob(content.random_bytes(f"management/{repo}", 128))
    registry.push_blob(repo, blob)  # the repository exists; the digest below does not
    missing = content.digest_of(b"regsuite: never pushed " + repo.encode())
    response = registry.delete_manifest(repo, missing) if kind == "manifest" else registry.delete_blob(repo, missing)
    if response.status_code == 405:
        unsupported(f"DELETE of a {kind} answered 405: deletion is disabled")
    assert response.status_code == 404, f"{describe(response)}\nDELETE of an unknown {kind}: the spec wants 404"
