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
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from . import content, protocol
from .access import ROUTE, Route
from .client import RegistryClient
from .content import Blob, Manifest
from .flows import FlowFailed
from .judge import describe
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
        self._preparing = threading.Lock()

    def prepare(self) -> None:
        with self._preparing:  # cells run side by side: one pushes, the others wait for it
            if self.ready:
                return
            try:
                self.pusher.push_image(self.repo, self.image, self.tag)
                self._pushed(self.pusher.put_manifest(self.repo, self.hidden_tag, self.image), "its second tag")
            except FlowFailed as failed:
                raise StageError(
                    f"the push user could not push the content the access matrix reads: {failed}") from None
            self.ready = True

    def markers(self, scene: Scene) -> dict[str, bytes]:
        """What a refused answer to `scene` must not give away (unless the request itself names it).

        The repository's name only where the request names none (GET /v2/, the catalog): elsewhere the client
        named it, whether or not its URL shows it (an upload Location may not)."""
        config = self.image.blobs[0]
        name = {f"the repository name {self.repo}": self.repo.encode()} if scene.repository is None else {}
        return {
            **name,
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

    def _scene(self, route_id: str, step: protocol.Step, body: bytes = b"", *, effect: Effect | None = None,
               source: str | None = None, cleanups: list[Callable[[], object]] | None = None) -> Scene:
        route = ROUTE[route_id]
        assert route.method == step.method, f"{route_id}: the route table and the protocol step disagree"
        repository = None if route_id in ("base", "catalog") else self.repo
        return Scene(route, step.method, step.path, repository, source, dict(step.headers), body, effect,
                     cleanups or [])

    def _base(self) -> Scene:
        return self._scene("base", protocol.Step("GET", "/v2/", "/v2/"))

    def _catalog(self) -> Scene:
        return self._scene("catalog", protocol.catalog())

    def _tags_list(self) -> Scene:
        return self._scene("tags-list", protocol.tags_list(self.repo))

    def _manifest_get(self) -> Scene:
        return self._scene("manifest-get", protocol.get_manifest(self.repo, self.tag))

    def _manifest_head(self) -> Scene:
        return self._scene("manifest-head", protocol.head_manifest(self.repo, self.tag))

    def _blob_get(self) -> Scene:
        return self._scene("blob-get", protocol.get_blob(self.repo, self.layer.digest))

    def _blob_head(self) -> Scene:
        return self._scene("blob-head", protocol.head_blob(self.repo, self.layer.digest))

    def _referrers(self) -> Scene:
        return self._scene("referrers", protocol.referrers(self.repo, self.image.digest))

    def _manifest_put(self) -> Scene:
        manifest, tag = self._variant(), f"put-{secrets.token_hex(4)}"
        step = protocol.put_manifest(self.repo, tag, manifest.media_type, manifest.size)
        return self._scene("manifest-put", step, manifest.body,
                           effect=self._exists(protocol.head_manifest(self.repo, tag), f"the tag {tag} now exists"))

    def _manifest_delete(self) -> Scene:
        manifest = self._variant()
        self._pushed(self.pusher.put_manifest(self.repo, manifest.digest, manifest), "a scratch manifest")
        gone = self._gone(protocol.head_manifest(self.repo, manifest.digest), f"the manifest {manifest.digest} is gone")
        return self._scene("manifest-delete", protocol.delete(self.repo, "manifests", manifest.digest), effect=gone)

    def _blob_delete(self) -> Scene:
        blob = self._scratch_blob(self.repo)
        gone = self._gone(protocol.head_blob(self.repo, blob.digest), f"the blob {blob.digest} is gone")
        return self._scene("blob-delete", protocol.delete(self.repo, "blobs", blob.digest), effect=gone)

    def _upload_start(self) -> Scene:
        blob = _fresh_blob()
        step = protocol.start_upload(self.repo, [("digest", blob.digest)], blob.size)
        return self._scene("upload-start", step, blob.data, effect=self._blob_stored(self.repo, blob))

    def _upload_patch(self) -> Scene:
        location = self._open_upload()
        data = content.random_bytes(secrets.token_hex(8), 64)
        return self._scene("upload-patch", protocol.patch_stream(location, len(data)), data,
                           effect=self._upload_changed(location), cleanups=[self._cancel(location)])

    def _upload_put(self) -> Scene:
        location, blob = self._open_upload(), _fresh_blob()
        return self._scene("upload-put", protocol.finish_upload(location, blob.digest, blob.size), blob.data,
                           effect=self._blob_stored(self.repo, blob), cleanups=[self._cancel(location)])

    def _upload_get(self) -> Scene:
        location = self._open_upload()
        return self._scene("upload-get", protocol.upload_status(location), cleanups=[self._cancel(location)])

    def _upload_delete(self) -> Scene:
        location = self._open_upload()
        return self._scene("upload-delete", protocol.cancel_upload(location), effect=self._upload_changed(location),
                           cleanups=[self._cancel(location)])

    def _mount(self) -> Scene:
        blob = self._scratch_blob(self.source)
        step = protocol.start_upload(self.repo, [("mount", blob.digest), ("from", self.source)])
        return self._scene("mount", step, source=self.source, effect=self._blob_stored(self.repo, blob))

    # -- scratch content and looks afterwards --------------------------------------------

    def _variant(self) -> Manifest:
        """A manifest of its own over the stage's blobs (one annotation differs), so only its PUT is needed."""
        return content.image(self._seed, layers=1, layer_size=256,
                             annotations={"org.regsuite.access": secrets.token_hex(6)})

    def _scratch_blob(self, repo: str) -> Blob:
        blob = _fresh_blob()
        try:
            self.pusher.push_blob(repo, blob)
        except FlowFailed as failed:
            raise StageError(f"the push user could not push a scratch blob: {failed}") from None
        return blob

    def _open_upload(self) -> str:
        started = self.pusher.start_upload(self.repo)
        if started.status_code != 202 or "location" not in started.headers:
            raise StageError(f"the push user could not open an upload: {describe(started)}, want 202 with Location")
        return self.pusher.resolve(started)

    def _pushed(self, response: httpx.Response, what: str) -> None:
        if response.status_code != 201:
            raise StageError(f"the push user could not push {what}: {describe(response)}, want 201")

    def _exists(self, step: protocol.Step, what: str) -> Effect:
        # 2xx, or a redirect to where the content is served from (a storage backend's URL)
        return lambda: what if 200 <= self.pusher.send(step).status_code < 400 else None

    def _gone(self, step: protocol.Step, what: str) -> Effect:
        return lambda: what if self.pusher.send(step).status_code == 404 else None

    def _blob_stored(self, repo: str, blob: Blob) -> Effect:
        return self._exists(protocol.head_blob(repo, blob.digest), f"the blob {blob.digest} now exists in {repo}")

    def _cancel(self, location: str) -> Callable[[], object]:
        return lambda: self.pusher.cancel_upload(location)

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
