"""A stateful model of a repository: uploads, tags and manifests, checked after every step.

Hypothesis drives random programs of API calls (start an upload, PATCH
chunks, ask its status, cancel it, finish it with the right or a wrong
digest; tag an image, move or delete a tag, delete a manifest) and the model
says what the registry must answer and hold afterwards. Expectations follow
the spec, not one registry: an out-of-order or overlapping chunk gets 416
(end-5), a wrong digest gets 400 and stores nothing (end-6), a cancelled
upload is gone (end-14). Where the spec allows several answers (tag deletion
unsupported: 400/405), the model accepts each and follows it.

A failing program shrinks to a short one, printed as hypothesis steps; the
client's transcript gives the HTTP requests of that last, minimal run.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import httpx
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from ..client import RegistryClient
from ..content import Manifest
from ..digest import digest_of
from ..errorcodes import MalformedErrorBody, error_codes
from ..judge import describe
from .properties import push_blobs, tiny_image
from .runner import FuzzTarget, run

CHUNK_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"  # printable, so the transcript replays exactly
TAGS = ("a", "b", "c")
MAX_UPLOADS = 3
_RANGE = re.compile(r"^(?:bytes=)?0-(-?\d+)$")


@dataclass
class Upload:
    location: str
    data: bytes = b""
    min_chunk: int = 0  # OCI-Chunk-Min-Length, when the registry announces one


def range_end(response: httpx.Response) -> int | None:
    m = _RANGE.match(response.headers.get("range", "").strip())
    return int(m.group(1)) if m else None


class RepositoryMachine(RuleBasedStateMachine):
    """Bound to a target by `machine_for`; each program gets a fresh repository."""

    target: FuzzTarget
    base_repo: str
    images: tuple[Manifest, ...]
    out_of_order = False  # send out-of-order and overlapping chunks too
    programs = itertools.count()

    def __init__(self) -> None:
        super().__init__()
        self.target.begin_example()
        self.client: RegistryClient = self.target.client
        self.repo = f"{self.base_repo}/p{next(self.programs)}"
        self.uploads: dict[int, Upload] = {}
        self.upload_ids = itertools.count()
        self.blobs: dict[str, int] = {}
        self.tags: dict[str, str | None] = {}  # tag -> digest; None: its manifest was deleted, answer unknown
        self.manifests: set[str] = set()
        self.gone_tags: set[str] = set()
        self.blobs_mounted = False
        self.touched: int | None = None  # the upload the last step used; the invariant re-reads it

    def _ensure_image_blobs(self) -> None:
        """The images' blobs, mounted from the base repository on first use (one request each)."""
        if self.blobs_mounted:
            return
        for manifest in self.images:
            for blob in manifest.all_blobs():
                mounted = self.client.mount_blob(self.repo, blob.digest, self.base_repo)
                if mounted.status_code != 201:
                    self.client.push_blob(self.repo, blob)
        self.blobs_mounted = True

    # -- helpers ----------------------------------------------------------------------------

    def _upload(self, pick: int) -> tuple[int, Upload]:
        key = sorted(self.uploads)[pick % len(self.uploads)]
        self.touched = key
        return key, self.uploads[key]

    def _expect(self, response: httpx.Response, statuses: tuple[int, ...], spec: str) -> None:
        assert response.status_code in statuses, (
            f"{spec}: want {' or '.join(map(str, statuses))}, got {describe(response)}"
        )

    def _check_range(self, response: httpx.Response, upload: Upload, step: str) -> None:
        end = range_end(response)
        want = len(upload.data) - 1
        if want < 0:  # nothing received yet: the spec has no exact form for an empty range
            assert end in (None, 0, -1), f"{step}: Range {response.headers.get('range')!r} for an empty upload"
            return
        assert end == want, (
            f"{step}: Range is {response.headers.get('range')!r}, but {len(upload.data)} bytes were sent "
            f"(want 0-{want})"
        )

    # -- uploads ----------------------------------------------------------------------------

    @precondition(lambda self: len(self.uploads) < MAX_UPLOADS)
    @rule()
    def start_upload(self) -> None:
        response = self.client.start_upload(self.repo)
        self._expect(response, (202,), "POST blobs/uploads/ (end-4a)")
        assert response.headers.get("location"), f"POST blobs/uploads/ (end-4a): no Location: {describe(response)}"
        min_chunk = int(response.headers.get("oci-chunk-min-length", "0") or 0)
        self.uploads[next(self.upload_ids)] = Upload(self.client.resolve(response), min_chunk=min_chunk)

    @precondition(lambda self: self.uploads)
    @rule(pick=st.integers(0, MAX_UPLOADS - 1),
          chunks=st.lists(st.text(CHUNK_ALPHABET, min_size=1, max_size=40), min_size=1, max_size=3))
    def patch_chunks(self, pick: int, chunks: list[str]) -> None:
        """One to three chunks in order, each judged on its own."""
        key, upload = self._upload(pick)
        for chunk in chunks:
            data = chunk.encode()
            response = self.client.patch_upload(upload.location, data, start=len(upload.data))
            if response.status_code == 416 and len(data) < upload.min_chunk:
                del self.uploads[key]  # a chunk under the announced minimum may be refused
                return
            step = f"PATCH of bytes {len(upload.data)}-{len(upload.data) + len(data) - 1} (end-5)"
            self._expect(response, (202,), step)
            upload.data += data
            upload.location = self.client.resolve(response) if response.headers.get("location") else upload.location
            self._check_range(response, upload, step)

    @precondition(lambda self: self.out_of_order and self.uploads)
    @rule(pick=st.integers(0, MAX_UPLOADS - 1), chunk=st.text(CHUNK_ALPHABET, min_size=1, max_size=20),
          shift=st.integers(-8, 8).filter(bool))
    def patch_out_of_order(self, pick: int, chunk: str, shift: int) -> None:
        key, upload = self._upload(pick)
        start = len(upload.data) + shift
        if start < 0:
            start = len(upload.data) + abs(shift)  # a gap instead of an overlap before byte 0
        response = self.client.patch_upload(upload.location, chunk.encode(), start=start)
        self._expect(response, (416,), f"PATCH starting at byte {start} of a {len(upload.data)}-byte upload "
                                       "(end-5: an out-of-order chunk MUST get 416)")

    @precondition(lambda self: self.uploads)
    @rule(pick=st.integers(0, MAX_UPLOADS - 1))
    def upload_status(self, pick: int) -> None:
        _, upload = self._upload(pick)
        response = self.client.upload_status(upload.location)
        self._expect(response, (204,), "GET upload status (end-13)")
        self._check_range(response, upload, "GET upload status (end-13)")
        if response.headers.get("location"):
            upload.location = self.client.resolve(response)

    @precondition(lambda self: self.uploads)
    @rule(pick=st.integers(0, MAX_UPLOADS - 1))
    def cancel_upload(self, pick: int) -> None:
        key, upload = self._upload(pick)
        response = self.client.cancel_upload(upload.location)
        del self.uploads[key]
        if response.status_code == 405:
            return  # cancelling is a newer addition (end-14); refusing it is allowed
        self._expect(response, (204,), "DELETE of an upload (end-14)")
        after = self.client.upload_status(upload.location)
        self._expect(after, (404,), "GET status of a cancelled upload (end-13)")

    @precondition(lambda self: self.uploads)
    @rule(pick=st.integers(0, MAX_UPLOADS - 1), last=st.text(CHUNK_ALPHABET, max_size=20), right=st.booleans())
    def finish_upload(self, pick: int, last: str, right: bool) -> None:
        key, upload = self._upload(pick)
        content = upload.data + last.encode()
        digest = digest_of(content) if right else digest_of(b"regsuite-wrong-digest:" + content)
        response = self.client.put_upload(upload.location, digest, last.encode())
        del self.uploads[key]
        if right:
            self._expect(response, (201,), f"PUT finishing a {len(content)}-byte upload with its digest (end-6)")
            self.blobs[digest] = len(content)
            head = self.client.head_blob(self.repo, digest)
            self._expect(head, (200,), f"HEAD of the blob just uploaded ({digest})")
            size = head.headers.get("content-length")
            assert size == str(len(content)), f"HEAD blob: Content-Length {size}, {len(content)} bytes were uploaded"
        else:
            self._expect(response, (400,), f"PUT finishing a {len(content)}-byte upload with a wrong digest (end-6)")
            try:
                codes = error_codes(response) or ["DIGEST_INVALID"]  # a non-JSON body may say it any way
            except MalformedErrorBody as error:
                raise AssertionError(f"PUT with a wrong digest: {error}") from None
            assert "DIGEST_INVALID" in codes, f"wrong digest: want DIGEST_INVALID, got {codes}"
            self._expect(self.client.head_blob(self.repo, digest), (404,), "HEAD of a blob refused for its digest")

    # -- tags and manifests -------------------------------------------------------------------

    @rule(tag=st.sampled_from(TAGS), which=st.integers(0, 1))
    def tag_image(self, tag: str, which: int) -> None:
        manifest = self.images[which]
        self._ensure_image_blobs()
        response = self.client.put_manifest(self.repo, tag, manifest)
        verb = "moving" if self.tags.get(tag) not in (None, manifest.digest) else "putting"
        self._expect(response, (201,), f"manifest PUT {verb} tag {tag} (end-7)")
        self.tags[tag] = manifest.digest
        self.gone_tags.discard(tag)
        self.manifests.add(manifest.digest)

    @precondition(lambda self: self.tags)
    @rule(tag=st.sampled_from(TAGS))
    def delete_tag(self, tag: str) -> None:
        response = self.client.delete_manifest(self.repo, tag)
        if tag not in self.tags:
            self._expect(response, (400, 404, 405), f"DELETE of tag {tag}, which does not exist (end-9)")
            return
        self._expect(response, (202, 400, 405), f"DELETE of tag {tag} (end-9: 202, or 400/405 when unsupported)")
        if response.status_code == 202:
            del self.tags[tag]
            self.gone_tags.add(tag)

    @precondition(lambda self: self.manifests)
    @rule(which=st.integers(0, 1))
    def delete_manifest(self, which: int) -> None:
        digest = self.images[which].digest
        response = self.client.delete_manifest(self.repo, digest)
        if digest not in self.manifests:
            self._expect(response, (404, 405), "DELETE of a manifest that is not there (end-9)")
            return
        self._expect(response, (202, 405), "DELETE of a manifest by digest (end-9: 202, or 405 when deletes are off)")
        if response.status_code == 202:
            self.manifests.discard(digest)
            for tag, target in self.tags.items():
                if target == digest:
                    self.tags[tag] = None  # what a tag of a deleted manifest answers is the registry's choice
            self._expect(self.client.get_manifest(self.repo, digest), (404,), f"GET of deleted manifest {digest}")

    # -- the registry agrees with the model after every step --------------------------------

    @invariant()
    def tags_agree(self) -> None:
        for tag, digest in sorted(self.tags.items()):
            if digest is None:
                continue
            head = self.client.head_manifest(self.repo, tag)
            self._expect(head, (200,), f"HEAD of tag {tag}, which the model says points at {digest}")
            got = head.headers.get("docker-content-digest")
            assert got in (None, digest), f"tag {tag} points at {got}, the model says {digest} (it was put last)"
        if self.tags or self.gone_tags:
            listed = set(self.client.all_tags(self.repo))
            want = {t for t, d in self.tags.items() if d is not None}
            assert want <= listed, f"tags/list {sorted(listed)} lacks {sorted(want - listed)}"
            stale = sorted(listed & self.gone_tags)
            assert not stale, f"tags/list {sorted(listed)} still has deleted {stale}"

    @invariant()
    def upload_agrees(self) -> None:
        """The upload the last step touched (the others did not change) still holds what was sent."""
        key, self.touched = self.touched, None
        upload = self.uploads.get(key) if key is not None else None
        if upload is not None:
            response = self.client.upload_status(upload.location)
            self._expect(response, (204,), f"GET status of upload {key} (end-13)")
            self._check_range(response, upload, f"GET status of upload {key} (end-13)")


def machine_for(target: FuzzTarget, *, out_of_order: bool) -> type[RepositoryMachine]:
    images = (tiny_image("state/0"), tiny_image("state/1"))
    base = f"{target.repo}/{'chunks' if out_of_order else 'state'}"
    return type(  # a subclass per run keeps targets apart when several runs share a process
        "ChunkOrderMachine" if out_of_order else "RepositoryMachine",
        (RepositoryMachine,),
        {"target": target, "base_repo": base, "images": images, "out_of_order": out_of_order,
         "programs": itertools.count()},
    )


def protocol_state(target: FuzzTarget, *, out_of_order: bool = False) -> None:
    machine = machine_for(target, out_of_order=out_of_order)
    what = "upload/tag/manifest state machine" + (" with out-of-order chunks" if out_of_order else "")
    for manifest in machine.images:
        push_blobs(target.client, machine.base_repo, manifest)
    run(target, what, lambda: run_state_machine_as_test(machine, settings=target.stateful_settings))
