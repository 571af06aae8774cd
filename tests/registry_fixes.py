"""Proxy mutations that add what distribution 2.8 lacks, so a check can be seen passing.

distribution 2.8 ignores `n`/`last` on tags/list, has no referrers API and
refuses tag deletion. A check failing against it proves little by itself;
through these mutations the same registry answers as the spec wants, the
check must pass, and a fault planted on top must make it fail again.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from regsuite import mediatypes as mt
from regsuite.client import RegistryClient
from regsuite.digest import digest_of
from regsuite.target import Target
from regsuite.testing.faultproxy import Mutation, ProxyRequest, ProxyResponse

_TAGS = re.compile(r"^/v2/(?P<name>.+)/tags/list$")
_MANIFEST = re.compile(r"^/v2/(?P<name>.+)/manifests/(?P<reference>[^/]+)$")
_REFERRERS = re.compile(r"^/v2/(?P<name>.+)/referrers/(?P<digest>[^/]+)$")
_SHA256 = re.compile(r"^sha256:[a-f0-9]{64}$")


def _query(request: ProxyRequest) -> tuple[str, dict[str, str]]:
    parts = urlsplit(request.path)
    return parts.path, {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}


def _json_response(
    response: ProxyResponse, status: int, body: Any, content_type: str = "application/json"
) -> ProxyResponse:
    response.status = status
    response.body = json.dumps(body).encode()
    response.set_header("Content-Type", content_type)
    response.set_header("Content-Length", None)
    return response


def error_body(code: str, message: str = "") -> bytes:
    return json.dumps({"errors": [{"code": code, "message": message or code.lower(), "detail": {}}]}).encode()


# -- tags pagination ------------------------------------------------------------


def _paginate_tags(request: ProxyRequest, response: ProxyResponse) -> ProxyResponse:
    path, query = _query(request)
    if response.status != 200 or not _TAGS.match(path):
        return response
    body = json.loads(response.body)
    tags = sorted(body.get("tags") or [])
    if "last" in query:
        tags = [t for t in tags if t > query["last"]]
    link = None
    if "n" in query:
        n = int(query["n"])
        if n < len(tags) and n > 0:
            link = f'<{path}?{urlencode({"n": n, "last": tags[n - 1]})}>; rel="next"'
        tags = tags[:n]
    response.set_header("Link", link)
    return _json_response(response, 200, {"name": body.get("name"), "tags": tags})


def paginated_tags() -> Mutation:
    """tags/list sorted, with `n`, `last` and Link as the spec wants."""
    return Mutation("tags list: sorted, n, last, Link", method="GET", path=r"/tags/list", response=_paginate_tags)


# -- tag deletion ---------------------------------------------------------------


def tag_deletion(upstream: str, keep_other_tags: bool = True) -> Mutation:
    """DELETE of a tag, built from what 2.8 can do: delete the manifest, re-tag the others.

    With `keep_other_tags=False` the other tags are lost: the bug a registry has
    when it deletes the manifest behind a tag.
    """

    def delete_tag(request: ProxyRequest, response: ProxyResponse) -> ProxyResponse:
        m = _MANIFEST.match(urlsplit(request.path).path)
        if not m or m.group("reference").startswith("sha256:"):
            return response
        name, tag = m.group("name"), m.group("reference")
        with RegistryClient(Target(upstream)) as client:
            got = client.get_manifest(name, tag)
            if got.status_code != 200:
                return response
            digest = got.headers["docker-content-digest"]
            tags = client.list_tags(name).json().get("tags") or []
            others = [
                other
                for other in tags
                if other != tag and client.head_manifest(name, other).headers.get("docker-content-digest") == digest
            ]
            client.delete_manifest(name, digest)
            if keep_other_tags:
                for other in others:
                    client.put_manifest(name, other, got.content, got.headers["content-type"])
        return ProxyResponse(202, [("Content-Length", "0")], b"")

    return Mutation("tag deletion", method="DELETE", path=r"/manifests/(?!sha256:)", response=delete_tag)


# -- referrers ------------------------------------------------------------------


class ReferrersEmulation:
    """The referrers API in front of a registry without one, from the manifests pushed through the proxy."""

    def __init__(
        self,
        page_size: int | None = None,
        apply_filter: bool = True,
        *,
        per_repository: bool = True,
        subject_required_at: str | None = None,
        index_subjects: bool = True,
        type_untyped_indexes: bool = False,
    ) -> None:
        """The faults a registry's referrers API can have, each off by default.

        `per_repository=False` lists referrers across repositories; `subject_required_at` (the upstream
        URL) records only referrers whose subject is already there; `index_subjects=False` ignores
        referrers of an index; `type_untyped_indexes` gives an index without artifactType one.
        """
        self.page_size = page_size
        self.apply_filter = apply_filter
        self.per_repository = per_repository
        self.subject_required_at = subject_required_at
        self.index_subjects = index_subjects
        self.type_untyped_indexes = type_untyped_indexes
        self.referrers: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def _key(self, name: str, digest: str) -> tuple[str, str]:
        return (name if self.per_repository else "*", digest)

    def mutations(self) -> list[Mutation]:
        return [
            Mutation(
                "referrers: record subjects, answer OCI-Subject",
                method="PUT",
                path=r"/manifests/",
                response=self._on_put,
            ),
            Mutation("referrers: answer the API", method="GET", path=r"/referrers/", response=self._on_get),
        ]

    def known(self, request: ProxyRequest) -> bool:
        m = _REFERRERS.match(urlsplit(request.path).path)
        with self._lock:
            return bool(m) and self._key(m.group("name"), m.group("digest")) in self.referrers  # type: ignore[union-attr]

    def _on_put(self, request: ProxyRequest, response: ProxyResponse) -> ProxyResponse:
        m = _MANIFEST.match(urlsplit(request.path).path)
        if response.status != 201 or not m:
            return response
        try:
            body = json.loads(request.body)
        except ValueError:
            return response
        subject = body.get("subject") if isinstance(body, dict) else None
        if not isinstance(subject, dict):
            return response
        if not self.index_subjects and subject.get("mediaType") == mt.OCI_INDEX:
            return response
        if self.subject_required_at:
            with RegistryClient(Target(self.subject_required_at)) as client:
                if client.head_manifest(m.group("name"), subject["digest"]).status_code != 200:
                    return response
        media_type = body.get("mediaType") or request.headers.get("content-type", "")
        descriptor: dict[str, Any] = {
            "mediaType": media_type,
            "digest": digest_of(request.body),
            "size": len(request.body),
        }
        artifact_type = body.get("artifactType") or (body.get("config") or {}).get("mediaType")
        if self.type_untyped_indexes and not artifact_type:
            artifact_type = media_type
        if artifact_type:
            descriptor["artifactType"] = artifact_type
        if body.get("annotations"):
            descriptor["annotations"] = body["annotations"]
        with self._lock:
            entries = self.referrers.setdefault(self._key(m.group("name"), subject["digest"]), [])
            if all(e["digest"] != descriptor["digest"] for e in entries):
                entries.append(descriptor)
        response.set_header("OCI-Subject", subject["digest"])
        return response

    def _on_get(self, request: ProxyRequest, response: ProxyResponse) -> ProxyResponse:
        path, query = _query(request)
        m = _REFERRERS.match(path)
        if not m:
            return response
        if not _SHA256.match(m.group("digest")):
            response.body = error_body("DIGEST_INVALID")
            response.status = 400
            response.set_header("Content-Type", "application/json")
            return response
        with self._lock:
            entries = list(self.referrers.get(self._key(m.group("name"), m.group("digest")), []))
        wanted = query.get("artifactType")
        if wanted and self.apply_filter:
            entries = [e for e in entries if e.get("artifactType") == wanted]
        response.set_header("OCI-Filters-Applied", "artifactType" if wanted else None)
        response.set_header("Link", None)
        if self.page_size:
            page = int(query.get("page", "0"))
            start = page * self.page_size
            if start + self.page_size < len(entries):
                following = {**({"artifactType": wanted} if wanted else {}), "page": page + 1}
                response.set_header("Link", f'<{path}?{urlencode(following)}>; rel="next"')
            entries = entries[start : start + self.page_size]
        index = {"schemaVersion": 2, "mediaType": mt.OCI_INDEX, "manifests": entries}
        return _json_response(response, 200, index, mt.OCI_INDEX)


# -- upload URLs: any earlier one of an upload still works ----------------------------------------

_UPLOAD = re.compile(r"^(?P<prefix>/v2/.+/blobs/uploads/(?P<uuid>[^/?]+))(?:\?(?P<query>.*))?$")


def latest_upload_state() -> Mutation:
    """Every request to an upload goes to its latest Location, as if the registry kept state on its side.

    distribution 2.8 signs the upload state (with the offset) into the URL, so an earlier URL of the
    same upload answers 404; with this, the status of any earlier POST or PATCH URL can be asked.
    """
    latest: dict[str, str] = {}
    lock = threading.Lock()

    def rewrite(request: ProxyRequest) -> ProxyRequest:
        m = _UPLOAD.match(request.path)
        if m and "_state=" in request.path:
            with lock:
                current = latest.get(m.group("uuid"))
            if current:
                extra = "&".join(p for p in (m.group("query") or "").split("&") if p and not p.startswith("_state="))
                request.path = current + (("&" if "?" in current else "?") + extra if extra else "")
        return request

    def record(request: ProxyRequest, response: ProxyResponse) -> ProxyResponse:
        location = urlsplit(response.header("Location") or "")
        m = _UPLOAD.match(location.path + (f"?{location.query}" if location.query else ""))
        if m and response.status in (202, 204):
            with lock:
                latest[m.group("uuid")] = location.path + (f"?{location.query}" if location.query else "")
        return response

    return Mutation(
        "uploads: earlier URLs reach the latest state", path=r"/blobs/uploads/", request=rewrite, response=record
    )


# -- ?tag= parameters on a manifest PUT by digest --------------------------------------------------


def tag_parameters(upstream: str, limit: int | None = None) -> Mutation:
    """PUT /manifests/<digest>?tag=a&tag=b: push by digest, then each tag, and answer one OCI-Tag per tag.

    With `limit`, only the first `limit` tags are applied (and answered): a registry with a low cap.
    """

    def put(request: ProxyRequest, response: ProxyResponse) -> ProxyResponse:
        path, _ = _query(request)
        tags = parse_qs(urlsplit(request.path).query).get("tag", [])[:limit]
        m = _MANIFEST.match(path)
        if response.status != 201 or not m:
            return response
        with RegistryClient(Target(upstream)) as client:
            for tag in tags:
                client.put_manifest(m.group("name"), tag, request.body, request.headers.get("content-type"))
        for tag in tags:
            response.headers.append(("OCI-Tag", tag))
        return response

    return Mutation("tag parameters", method="PUT", path=r"/manifests/[^/?]+\?.*tag=", response=put)


# -- sha512: stored under sha256 upstream, served under sha512 ---------------------------------------

_SHA512 = re.compile(r"sha512(?::|%3A)[a-f0-9]{128}")


class Sha512Emulation:
    """A registry that keeps sha512 digests, in front of one that stores everything under sha256.

    Monolithic uploads closed with a sha512 digest are stored under the data's sha256 digest; every
    later request naming the sha512 digest (blob paths, mount=) is sent under the sha256 one, and
    answers name the sha512 digest again (Docker-Content-Digest, Location).
    """

    def __init__(self) -> None:
        self.to_sha256: dict[str, str] = {}
        self._asked: dict[int, str] = {}  # id(request) -> the sha512 digest it named
        self._lock = threading.Lock()

    def mutations(self) -> list[Mutation]:
        return [Mutation("sha512 emulation", when=self._names_sha512, request=self._rewrite, response=self._restore)]

    def _names_sha512(self, request: ProxyRequest) -> bool:
        return bool(_SHA512.search(request.path))

    def _rewrite(self, request: ProxyRequest) -> ProxyRequest:
        asked = unquote(_SHA512.search(request.path).group(0))  # type: ignore[union-attr]
        if request.method == "PUT" and "/blobs/uploads/" in request.path:
            if digest_of(request.body, "sha512") == asked:
                with self._lock:
                    self.to_sha256[asked] = digest_of(request.body)
        with self._lock:
            mapped = self.to_sha256.get(asked)
            if mapped:
                self._asked[id(request)] = asked
        if mapped:
            request.path = _SHA512.sub(mapped, request.path)
        return request

    def _restore(self, request: ProxyRequest, response: ProxyResponse) -> ProxyResponse:
        with self._lock:
            asked = self._asked.pop(id(request), None)
        if asked is None:
            return response
        sha256 = self.to_sha256[asked]
        if response.header("Docker-Content-Digest") == sha256:
            response.set_header("Docker-Content-Digest", asked)
        location = response.header("Location")
        if location and sha256 in location:
            response.set_header("Location", location.replace(sha256, asked))
        return response
