"""What the access matrix sends on each route, and what a write left behind.

The push user prepares the content once per deployment (`Stage`): an image
under two tags in the run namespace, so reads touch content the run pushed.
Each cell then gets a `Scene` for its route: the request to send (on fresh
scratch content for writes, so no cell depends on another), what a refusal
must not give away, and a look afterwards, as the push user, at whether the
write took effect.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx

from . import content, protocol
from . import mediatypes as mt
from .access import ROUTE, Route
from .client import RegistryClient, StepFailed
from .content import Blob, Manifest
from .namespace import Namespace

Effect = Callable[[], str | None]  # what a write changed, as the push user sees it afterwards; None: nothing


@dataclass
class Scene:
    route: Route
    method: str
    url: str  # a path on the registry, or an absolute upload Location
    repository: str | None  # the repository the route touches (for a challenge's scope)
    source: str | None = None  # a mount's source repository
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    effect: Effect | None = None  # writes only
    cleanups: list[Callable[[], object]] = field(default_factory=list)

    def send(self, client: RegistryClient, authorization: str | None = None) -> httpx.Response:
        headers = dict(self.headers)
        if authorization is not None:
            headers["Authorization"] = authorization
        return client.request(self.method, self.url, headers=headers, content=self.body)

    def cleanup(self) -> None:
        for step in self.cleanups:
            try:
                step()
            except httpx.HTTPError:
                pass  # best effort: the run's cleanup deletes what the write log holds


class StageError(AssertionError):
    """The push user could not prepare the content the matrix reads."""


class Stage:
    """The matrix's content, pushed by the push user inside the run namespace."""

    def __init__(self, pusher: RegistryClient, namespace: Namespace) -> None:
        self.pusher = pusher
        suffix = secrets.token_hex(4)
        self.repo = namespace.repo("access")
        self.source = namespace.repo("access-source")  # where mounts come from
        self.other = namespace.repo("access-other")  # what a token for another repository names
        self.tag, self.hidden_tag = f"access-{suffix}", f"hidden-{suffix}"  # the hidden one no request names
        self._seed = f"{self.repo}/{suffix}"
        self.image = content.image(self._seed, layers=1, layer_size=256)
        self.layer = self.image.blobs[1]
        self.ready = False

    def prepare(self) -> None:
        if self.ready:
            return
        try:
            self.pusher.push_image(self.repo, self.image, self.tag)
            hidden = self.pusher.put_manifest(self.repo, self.hidden_tag, self.image)
            if hidden.status_code != 201:
                raise StepFailed("manifest PUT (second tag)", hidden, "201")
        except StepFailed as failed:
            raise StageError(f"the push user could not push the content the access matrix reads: {failed}") from None
        self.ready = True

    def markers(self) -> dict[str, bytes]:
        """What a refused answer must not give away (unless the request itself names it)."""
        config = self.image.blobs[0]
        return {
            f"the repository name {self.repo}": self.repo.encode(),
            f"the tag {self.tag}": self.tag.encode(),
            f"the tag {self.hidden_tag}": self.hidden_tag.encode(),
            f"the manifest digest {self.image.digest}": self.image.digest.encode(),
            f"the config digest {config.digest}": config.digest.encode(),
            f"the layer digest {self.layer.digest}": self.layer.digest.encode(),
            "the manifest's bytes": self.image.body,
            "the layer's bytes": self.layer.data,
        }

    # -- scenes -------------------------------------------------------------------------

    def scene(self, route_id: str, *, pushed: bool = True) -> Scene:
        """The request for one cell of `route_id`, on fresh scratch content when it writes.

        `pushed=False`: without preparing the content first (a read still shows how the route refuses).
        """
        if pushed:
            self.prepare()
        return getattr(self, "_" + route_id.replace("-", "_"))()  # type: ignore[no-any-return]

    def _read(self, route_id: str, path: str, headers: dict[str, str] | None = None) -> Scene:
        route = ROUTE[route_id]
        return Scene(route, route.method, path, None if route_id in ("base", "catalog") else self.repo,
                     headers=headers or {})

    def _base(self) -> Scene:
        return self._read("base", "/v2/")

    def _catalog(self) -> Scene:
        return self._read("catalog", "/v2/_catalog")

    def _tags_list(self) -> Scene:
        return self._read("tags-list", f"/v2/{self.repo}/tags/list")

    def _manifest_get(self) -> Scene:
        step = protocol.get_manifest(self.repo, self.tag)
        return self._read("manifest-get", step.path, step.headers)

    def _manifest_head(self) -> Scene:
        step = protocol.head_manifest(self.repo, self.tag)
        return self._read("manifest-head", step.path, step.headers)

    def _blob_get(self) -> Scene:
        return self._read("blob-get", f"/v2/{self.repo}/blobs/{self.layer.digest}")

    def _blob_head(self) -> Scene:
        return self._read("blob-head", f"/v2/{self.repo}/blobs/{self.layer.digest}")

    def _referrers(self) -> Scene:
        return self._read("referrers", f"/v2/{self.repo}/referrers/{self.image.digest}")

    def _manifest_put(self) -> Scene:
        manifest, tag = self._variant(), f"put-{secrets.token_hex(4)}"
        step = protocol.put_manifest(self.repo, tag, manifest.media_type, manifest.size)
        return Scene(ROUTE["manifest-put"], "PUT", step.path, self.repo, headers=step.headers, body=manifest.body,
                     effect=self._exists(f"/v2/{self.repo}/manifests/{tag}", f"the tag {tag} now exists"))

    def _manifest_delete(self) -> Scene:
        manifest = self._variant()
        self._pushed(self.pusher.put_manifest(self.repo, manifest.digest, manifest), "manifest PUT (scratch)")
        path = f"/v2/{self.repo}/manifests/{manifest.digest}"
        return Scene(ROUTE["manifest-delete"], "DELETE", path, self.repo,
                     effect=self._gone(path, f"the manifest {manifest.digest} is gone"))

    def _blob_delete(self) -> Scene:
        blob = self._scratch_blob(self.repo)
        path = f"/v2/{self.repo}/blobs/{blob.digest}"
        return Scene(ROUTE["blob-delete"], "DELETE", path, self.repo,
                     effect=self._gone(path, f"the blob {blob.digest} is gone"))

    def _upload_start(self) -> Scene:
        blob = _fresh_blob()
        step = protocol.start_upload(self.repo, [("digest", blob.digest)], blob.size)
        return Scene(ROUTE["upload-start"], "POST", step.path, self.repo, headers=step.headers, body=blob.data,
                     effect=self._blob_stored(blob))

    def _upload_patch(self) -> Scene:
        location = self._open_upload()
        data = content.random_bytes(secrets.token_hex(8), 64)
        step = protocol.patch_stream(location, len(data))
        return Scene(ROUTE["upload-patch"], "PATCH", location, self.repo, headers=step.headers, body=data,
                     effect=self._upload_changed(location), cleanups=[lambda: self.pusher.cancel_upload(location)])

    def _upload_put(self) -> Scene:
        location, blob = self._open_upload(), _fresh_blob()
        step = protocol.finish_upload(location, blob.digest, blob.size)
        return Scene(ROUTE["upload-put"], "PUT", step.path, self.repo, headers=step.headers, body=blob.data,
                     effect=self._blob_stored(blob), cleanups=[lambda: self.pusher.cancel_upload(location)])

    def _upload_get(self) -> Scene:
        location = self._open_upload()
        return Scene(ROUTE["upload-get"], "GET", location, self.repo,
                     cleanups=[lambda: self.pusher.cancel_upload(location)])

    def _upload_delete(self) -> Scene:
        location = self._open_upload()
        return Scene(ROUTE["upload-delete"], "DELETE", location, self.repo, effect=self._upload_changed(location),
                     cleanups=[lambda: self.pusher.cancel_upload(location)])

    def _mount(self) -> Scene:
        blob = self._scratch_blob(self.source)
        query = urlencode({"mount": blob.digest, "from": self.source}, safe=":/")
        return Scene(ROUTE["mount"], "POST", f"/v2/{self.repo}/blobs/uploads/?{query}", self.repo, self.source,
                     headers={"Content-Length": "0"}, effect=self._blob_stored(blob))

    # -- scratch content and looks afterwards --------------------------------------------

    def _variant(self) -> Manifest:
        """A manifest of its own over the stage's blobs (one annotation differs), so only its PUT is needed."""
        return content.image(self._seed, layers=1, layer_size=256,
                             annotations={"org.regsuite.access": secrets.token_hex(6)})

    def _scratch_blob(self, repo: str) -> Blob:
        blob = _fresh_blob()
        try:
            self.pusher.push_blob(repo, blob)
        except StepFailed as failed:
            raise StageError(f"the push user could not push a scratch blob: {failed}") from None
        return blob

    def _open_upload(self) -> str:
        started = self.pusher.start_upload(self.repo)
        if started.status_code != 202 or "location" not in started.headers:
            raise StageError(f"the push user could not open an upload: {StepFailed('POST', started, '202')}")
        return self.pusher.resolve(started)

    def _pushed(self, response: httpx.Response, step: str) -> None:
        if response.status_code != 201:
            raise StageError(f"the push user could not prepare the cell: {StepFailed(step, response, '201')}")

    def _head(self, path: str) -> int:
        """HEAD as the push user; manifests with every Accept (distribution hides an OCI manifest from others)."""
        headers = {"Accept": mt.ACCEPT_ALL_MANIFESTS} if "/manifests/" in path else {}
        return self.pusher.request("HEAD", path, headers=headers).status_code

    def _exists(self, path: str, what: str) -> Effect:
        return lambda: what if self._head(path) == 200 else None

    def _gone(self, path: str, what: str) -> Effect:
        return lambda: what if self._head(path) == 404 else None

    def _blob_stored(self, blob: Blob) -> Effect:
        return self._exists(f"/v2/{self.repo}/blobs/{blob.digest}", f"the blob {blob.digest} now exists in {self.repo}")

    def _upload_changed(self, location: str) -> Effect:
        """The push user's view of an upload session, before and after: any change means the request did something."""
        before = _upload_state(self.pusher.upload_status(location))

        def changed() -> str | None:
            after = _upload_state(self.pusher.upload_status(location))
            return None if after == before else f"the upload session changed ({before} before, {after} after)"

        return changed


def _upload_state(response: httpx.Response) -> str:
    return f"{response.status_code} Range {response.headers.get('range', '-')}"


def _fresh_blob() -> Blob:
    return Blob(content.random_bytes(secrets.token_hex(8), 64))
