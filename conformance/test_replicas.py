"""Area replicas: the --registry-url targets are replicas of one deployment; any of them must answer alike.

Reads after a write wait at most --replica-wait seconds; a passed check
keeps the longest wait it saw as its message.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import httpx
import pytest

from regsuite import content, flows, protocol
from regsuite.client import RegistryClient
from regsuite.content import Blob, Manifest
from regsuite.fixtures.checks import NOTE_PROPERTY, check, unsupported
from regsuite.fixtures.replicas import Replicas
from regsuite.fixtures.run import Run
from regsuite.optional import Feature, not_offered, pulls_with_credentials

RecordProperty = Callable[[str, object], None]  # the record_property fixture
CHUNK = 1024
SHARED_SECRET_HINT = (
    "Replicas of one deployment must share upload state: for distribution, every replica needs the same "
    "http.secret (REGISTRY_HTTP_SECRET). The likely cause is a different secret per replica, or none "
    "configured so that each replica made up its own."
)
SHARED_STORAGE_HINT = (
    "The replica does not know the upload: replicas of one deployment must use the same storage, where "
    "uploads in progress live (and, for distribution, the same http.secret)."
)


def _note(record_property: RecordProperty, waits: list[float], what: str) -> None:
    record_property(NOTE_PROPERTY, f"{what} after at most {max(waits, default=0.0):.2f} s")


def _error_code(response: httpx.Response) -> str:
    try:
        errors = response.json().get("errors") or []
        return f" {errors[0].get('code')}" if errors else ""
    except (ValueError, AttributeError):
        return ""


def _not_portable(replicas: Replicas, holder: int, step: int, verb: str, method: str, response: httpx.Response) -> str:
    code = _error_code(response)
    hint = SHARED_STORAGE_HINT if code == " BLOB_UPLOAD_UNKNOWN" else SHARED_SECRET_HINT
    return (
        f"the upload last handled by {replicas.label(holder)} cannot be {verb} on {replicas.label(step)}: "
        f"{method} answered {response.status_code}{code}. {hint}"
    )


def _blob_readable(client: RegistryClient, repo: str, blob: Blob) -> str | None:
    head = client.head_blob(repo, blob.digest)
    if head.status_code != 200:
        return f"HEAD of the blob answers {head.status_code}"
    got = client.get_blob(repo, blob.digest)
    if got.status_code != 200 or got.content != blob.data:
        return f"GET of the blob answers {got.status_code} with {len(got.content)} bytes (pushed {blob.size})"
    return None


def _manifest_readable(client: RegistryClient, repo: str, tag: str, manifest: Manifest) -> str | None:
    for reference in (tag, manifest.digest):
        got = client.get_manifest(repo, reference)
        if got.status_code != 200 or got.content != manifest.body:
            return f"GET of the manifest by {reference} answers {got.status_code} with {len(got.content)} bytes"
    return None


def _gone(client: RegistryClient, repo: str, manifest: Manifest, blob: Blob) -> str | None:
    got = client.get_manifest(repo, manifest.digest)
    if got.status_code != 404:
        return f"GET of the deleted manifest {manifest.digest} still answers {got.status_code}"
    head = client.head_blob(repo, blob.digest)
    if head.status_code != 404:
        return f"HEAD of the deleted blob {blob.digest} still answers {head.status_code}"
    return None


def _on_each(
    replicas: Replicas, indexes: list[int], problem: Callable[[RegistryClient], str | None], failure: str
) -> list[float]:
    """Wait on each replica in `indexes` until `problem(its client)` is None; the seconds each took."""
    waits = []
    for j in indexes:
        found, seconds = replicas.converge(functools.partial(problem, replicas.clients[j]))
        assert found is None, f"{failure} on {replicas.label(j)} after {seconds:.1f} s: {found}"
        waits.append(seconds)
    return waits


@check("replicas.blob-read-after-write")
def test_blob_read_after_write(replicas: Replicas, repo: str, record_property: RecordProperty) -> None:
    waits: list[float] = []
    for i, writer in enumerate(replicas.clients):
        blob = Blob(content.random_bytes(f"{repo}/blob-{i}", CHUNK))
        writer.push_blob(repo, blob)
        readable = functools.partial(_blob_readable, repo=repo, blob=blob)
        waits += _on_each(
            replicas, replicas.others(i), readable, f"a blob pushed through {replicas.label(i)} is not readable"
        )
    _note(record_property, waits, "blobs readable on every replica")


@check("replicas.manifest-read-after-write")
def test_manifest_read_after_write(replicas: Replicas, repo: str, record_property: RecordProperty) -> None:
    waits: list[float] = []
    for i, writer in enumerate(replicas.clients):
        image = content.image(f"{repo}/image-{i}", layers=1)
        writer.push_image(repo, image, f"w{i}")
        readable = functools.partial(_manifest_readable, repo=repo, tag=f"w{i}", manifest=image)
        failure = f"a manifest pushed through {replicas.label(i)} as tag w{i} is not readable"
        waits += _on_each(replicas, replicas.others(i), readable, failure)
    _note(record_property, waits, "manifests readable on every replica")


@check("replicas.upload-portable")
def test_upload_portable(replicas: Replicas, repo: str, record_property: RecordProperty) -> None:
    """POST on replica 1, each PATCH and the final PUT on the next replica in turn."""
    data = content.random_bytes(f"{repo}/upload", 3 * CHUNK)
    blob = Blob(data)
    started = replicas.clients[0].start_upload(repo)
    assert started.status_code == 202 and "location" in started.headers, (
        f"starting an upload on {replicas.label(0)} answered {started.status_code}; the spec wants 202 with a Location"
    )
    location, holder = replicas.clients[0].resolve(started), 0
    path = [0]  # which replica handled each step
    for k, offset in enumerate(range(0, len(data), CHUNK)):
        step = (k + 1) % len(replicas)
        response = replicas.clients[step].patch_upload(
            replicas.on(step, location), data[offset : offset + CHUNK], start=offset
        )
        assert response.status_code == 202, _not_portable(replicas, holder, step, "continued", "PATCH", response)
        location, holder = replicas.clients[step].resolve(response), step
        path.append(step)
    step = (holder + 1) % len(replicas)
    done = replicas.clients[step].put_upload(replicas.on(step, location), blob.digest)
    assert done.status_code == 201, _not_portable(replicas, holder, step, "finished", "PUT", done)
    path.append(step)
    readable = functools.partial(_blob_readable, repo=repo, blob=blob)
    _on_each(replicas, list(range(len(replicas))), readable, "the blob uploaded across replicas is not readable")
    steps = ", ".join(str(i + 1) for i in path)
    record_property(NOTE_PROPERTY, f"uploaded through replicas {steps} (POST, PATCH..., PUT)")


def _all_tags(client: RegistryClient, repo: str) -> list[str] | str:
    pages = client.pages(protocol.tags_list(repo), "tags")
    if pages[0].reply.status != 200:
        return f"the tag list answers {pages[0].reply.status}"
    return [tag for page in pages for tag in page.items]


@check("replicas.tags-agree")
def test_tags_agree(replicas: Replicas, repo: str, record_property: RecordProperty) -> None:
    image = content.image(f"{repo}/tagged", layers=1)
    tags = [f"t{k}" for k in range(2 * len(replicas))]
    replicas.clients[0].push_image(repo, image, tags[0])
    for k, tag in enumerate(tags[1:], start=1):
        writer = k % len(replicas)
        put = replicas.clients[writer].put_manifest(repo, tag, image)
        assert put.status_code == 201, (
            f"tagging through {replicas.label(writer)} answered {put.status_code}{_error_code(put)}"
        )

    def disagreement(client: RegistryClient) -> str | None:
        listed = _all_tags(client, repo)
        if isinstance(listed, str):
            return listed
        return None if sorted(listed) == sorted(tags) else f"it lists {sorted(listed)}, the replicas were given {tags}"

    waits = _on_each(replicas, list(range(len(replicas))), disagreement, f"the tags of {repo} disagree")
    _note(record_property, waits, "every replica lists the same tags")


def _namespace_catalog(client: RegistryClient, root: str) -> list[str] | httpx.Response:
    """The catalog's entries under `root/`, starting after `root` (the catalog is sorted); the response if not 200."""
    walked = client.run(flows.catalog_under(root))
    if walked[0].reply.status != 200:
        return walked[0].response  # type: ignore[no-any-return]
    return flows.under(root, walked)


@check("replicas.catalog-agree")
def test_catalog_agree(replicas: Replicas, repo: str, regsuite_run: Run, record_property: RecordProperty) -> None:
    root = regsuite_run.namespace.root
    pushed = [f"{repo}/r{i}" for i in range(len(replicas))]
    for i, name in enumerate(pushed):
        replicas.clients[i].push_image(name, content.image(f"{name}/catalog", layers=1), "v1")
    probe = _namespace_catalog(replicas.clients[0], root)
    if isinstance(probe, httpx.Response):
        why = not_offered(Feature.CATALOG, probe, may_pull=pulls_with_credentials(replicas.clients[0], pushed[0]))
        if why:
            unsupported(why)
        raise AssertionError(f"GET /v2/_catalog on {replicas.label(0)} answered {probe.status_code}")

    listings: dict[str, list[str]] = {}  # by replica URL

    def missing(client: RegistryClient) -> str | None:
        listed = _namespace_catalog(client, root)
        if isinstance(listed, httpx.Response):
            return f"GET /v2/_catalog answers {listed.status_code}"
        listings[client.target.url] = listed
        absent = sorted(set(pushed) - set(listed))
        return f"it does not list {absent}" if absent else None

    waits = _on_each(replicas, list(range(len(replicas))), missing, "the new repositories are missing from the catalog")
    first = listings[replicas.clients[0].target.url]
    for j in replicas.others(0):
        other = listings[replicas.clients[j].target.url]
        assert other == first, (
            f"the catalogs under {root}/ differ: {replicas.label(0)} lists {first}, {replicas.label(j)} lists {other}"
        )
    _note(record_property, waits, "every replica's catalog lists the new repositories")


@check("replicas.delete-propagates")
def test_delete_propagates(replicas: Replicas, repo: str, regsuite_run: Run, record_property: RecordProperty) -> None:
    if regsuite_run.target.capabilities.delete_enabled is False:
        unsupported("the registry's deletes are disabled")
    image = content.image(f"{repo}/deleted", layers=1)
    blob = Blob(content.random_bytes(f"{repo}/deleted-blob", CHUNK))
    replicas.clients[0].push_image(repo, image, "v1")
    replicas.clients[0].push_blob(repo, blob)
    for j in range(len(replicas)):
        # every replica reads both first, as a client would: a replica that caches what it served must still forget it
        problem, _ = replicas.converge(functools.partial(_manifest_readable, replicas.clients[j], repo, "v1", image))
        problem = problem or _blob_readable(replicas.clients[j], repo, blob)
        if problem:
            pytest.skip(
                f"not readable through {replicas.label(j)} before the delete ({problem}); "
                "see replicas.*-read-after-write"
            )
    deleter = replicas.clients[1]
    for what, response in (
        ("manifest", deleter.delete_manifest(repo, image.digest)),
        ("blob", deleter.delete_blob(repo, blob.digest)),
    ):
        why = not_offered(Feature.DELETES, response)
        if why:
            unsupported(f"DELETE of a {what}: {why}")
        assert response.status_code == 202, (
            f"DELETE of the {what} through {replicas.label(1)} answered {response.status_code}"
        )
    gone = functools.partial(_gone, repo=repo, manifest=image, blob=blob)
    waits = _on_each(
        replicas, list(range(len(replicas))), gone, f"deleted through {replicas.label(1)}, but still there"
    )
    _note(record_property, waits, "gone from every replica")
