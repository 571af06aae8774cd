"""What each registry API step sends: method, path and headers, with no I/O.

Any transport can run these steps: the locust users (geventhttpclient) build
every request from here, so load runs send what the conformance side knows a
client sends. `name` is the step's row in load statistics: the path with the
repository, reference and upload id replaced by placeholders, so thousands of
distinct URLs land in a handful of rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple
from urllib.parse import urlencode, urljoin

from . import mediatypes as mt


class Kind(StrEnum):
    """The API's routes: what a path asks for, whatever the method."""

    BASE = "base"  # /v2/
    CATALOG = "catalog"  # /v2/_catalog
    UPLOADS = "uploads"  # /v2/<name>/blobs/uploads/: an upload starts (or a mount)
    UPLOAD = "upload"  # an upload's own URL (its Location): chunks, status, closing PUT, cancel
    BLOBS = "blobs"
    MANIFESTS = "manifests"
    TAGS = "tags"
    REFERRERS = "referrers"


@dataclass(frozen=True)
class Route:
    """One route of the API: how the spec writes it, its load-statistics row, and how a path is recognised."""

    kind: Kind
    template: str  # as the spec writes it: /v2/<name>/blobs/<digest>
    row: str  # load statistics: the repository and references as placeholders, so URLs share a row
    pattern: re.Pattern[str] = field(repr=False, compare=False)


# In the order paths are tried. A name may itself hold `blobs`, `uploads`, `manifests`, `tags`, `referrers` or
# `list` as components, so only the end of the path says what is asked for; the upload rule comes last and takes
# ids with slashes (a registry's own Location scheme) once no fixed suffix fits.
ROUTES: tuple[Route, ...] = tuple(
    Route(kind, template, row, re.compile(pattern))
    for kind, template, row, pattern in (
        (Kind.BASE, "/v2/", "/v2/", r"^/v2/$"),
        (Kind.CATALOG, "/v2/_catalog", "/v2/_catalog", r"^/v2/_catalog$"),
        (Kind.UPLOADS, "/v2/<name>/blobs/uploads/", "/v2/[repo]/blobs/uploads/",
         r"^/v2/(?P<name>.+)/blobs/uploads/(?P<ref>)$"),
        (Kind.BLOBS, "/v2/<name>/blobs/<digest>", "/v2/[repo]/blobs/[digest]",
         r"^/v2/(?P<name>.+)/blobs/(?P<ref>[^/]+)$"),
        (Kind.MANIFESTS, "/v2/<name>/manifests/<reference>", "/v2/[repo]/manifests/[ref]",
         r"^/v2/(?P<name>.+)/manifests/(?P<ref>[^/]+)$"),
        (Kind.TAGS, "/v2/<name>/tags/list", "/v2/[repo]/tags/list", r"^/v2/(?P<name>.+)/tags/(?P<ref>list)$"),
        (Kind.REFERRERS, "/v2/<name>/referrers/<digest>", "/v2/[repo]/referrers/[digest]",
         r"^/v2/(?P<name>.+)/referrers/(?P<ref>[^/]+)$"),
        (Kind.UPLOAD, "/v2/<name>/blobs/uploads/<id>", "/v2/[repo]/blobs/uploads/[id]",
         r"^/v2/(?P<name>.+)/blobs/uploads/(?P<ref>.+)$"),
    )
)
ROUTE: dict[Kind, Route] = {r.kind: r for r in ROUTES}


class Endpoint(NamedTuple):
    """A method on a route, written as the spec writes it: `GET /v2/<name>/blobs/<digest>`."""

    method: str
    kind: Kind

    @property
    def label(self) -> str:
        return f"{self.method} {ROUTE[self.kind].template}"


class RouteMatch(NamedTuple):
    """What a path asks for: its route, the repository (none for /v2/ and the catalog) and the reference."""

    repository: str
    kind: Kind
    reference: str = ""  # the upload id, digest, tag or reference; "list" for tags

    @property
    def template(self) -> str:
        """The route with placeholders, as the spec writes it: /v2/<name>/blobs/<digest>."""
        return ROUTE[self.kind].template


def route(path: str) -> RouteMatch | None:
    """The route of a registry path (read from its end); None for a path that is not the registry API.

    `path` is a URL path without its query (`httpx.URL.path`).
    """
    for candidate in ROUTES:
        m = candidate.pattern.match(path)
        if m:
            groups = m.groupdict()
            return RouteMatch(groups.get("name") or "", candidate.kind, groups.get("ref") or "")
    return None


def _row(kind: Kind, variant: str = "") -> str:
    """A step's statistics row: its route's, and the variant of the step where one route has several."""
    return f"{ROUTE[kind].row} ({variant})" if variant else ROUTE[kind].row


@dataclass(frozen=True)
class Step:
    method: str
    path: str  # path and query on the registry, or an absolute URL (an upload Location)
    name: str  # statistics row
    headers: dict[str, str] = field(default_factory=dict)


def head_manifest(repo: str, reference: str, accept: str = mt.ACCEPT_ALL_MANIFESTS) -> Step:
    return Step("HEAD", f"/v2/{repo}/manifests/{reference}", _row(Kind.MANIFESTS), {"Accept": accept})


def get_manifest(repo: str, reference: str, accept: str = mt.ACCEPT_ALL_MANIFESTS) -> Step:
    return Step("GET", f"/v2/{repo}/manifests/{reference}", _row(Kind.MANIFESTS), {"Accept": accept})


def put_manifest(repo: str, reference: str, media_type: str, length: int) -> Step:
    return Step(
        "PUT",
        f"/v2/{repo}/manifests/{reference}",
        _row(Kind.MANIFESTS),
        {"Content-Type": media_type, "Content-Length": str(length)},
    )


def head_blob(repo: str, digest: str) -> Step:
    return Step("HEAD", f"/v2/{repo}/blobs/{digest}", _row(Kind.BLOBS))


def get_blob(repo: str, digest: str) -> Step:
    return Step("GET", f"/v2/{repo}/blobs/{digest}", _row(Kind.BLOBS))


def start_upload(repo: str, query: list[tuple[str, str]] | None = None, length: int = 0) -> Step:
    """POST opening an upload; `query` carries digest=, mount=/from= or digest-algorithm=, `length` a body."""
    suffix = f"?{urlencode(query, safe=':/')}" if query else ""
    headers = {"Content-Length": str(length)}
    if length:
        headers["Content-Type"] = "application/octet-stream"
    return Step("POST", f"/v2/{repo}/blobs/uploads/{suffix}", _row(Kind.UPLOADS), headers)


def patch_chunk(location: str, start: int, length: int) -> Step:
    """A chunk of a chunked upload: the range it covers, as the spec's Content-Range (no unit)."""
    return Step(
        "PATCH",
        location,
        _row(Kind.UPLOAD, "chunk"),
        {
            "Content-Type": "application/octet-stream",
            "Content-Range": f"{start}-{start + length - 1}",
            "Content-Length": str(length),
        },
    )


def patch_stream(location: str, length: int, streamed: bool = False) -> Step:
    """A streamed upload: the whole blob in one PATCH without Content-Range.

    `streamed`: sent with chunked transfer coding, so no Content-Length.
    """
    headers = {"Content-Type": "application/octet-stream"}
    if not streamed:
        headers["Content-Length"] = str(length)
    return Step("PATCH", location, _row(Kind.UPLOAD, "stream"), headers)


def upload_status(location: str) -> Step:
    """GET of an upload: 204 with the bytes received (end-13)."""
    return Step("GET", location, _row(Kind.UPLOAD, "status"))


def cancel_upload(location: str) -> Step:
    return Step("DELETE", location, _row(Kind.UPLOAD, "cancel"))


def delete(repo: str, kind: str, reference: str) -> Step:
    """DELETE of a manifest or blob; `kind` is manifests or blobs."""
    return Step("DELETE", f"/v2/{repo}/{kind}/{reference}", _row(Kind(kind)))


def ping() -> Step:
    return Step("GET", "/v2/", _row(Kind.BASE))


def referrers(repo: str, digest: str, artifact_type: str | None = None) -> Step:
    query = f"?{urlencode({'artifactType': artifact_type})}" if artifact_type else ""
    return Step("GET", f"/v2/{repo}/referrers/{digest}{query}", _row(Kind.REFERRERS))


def finish_upload(location: str, digest: str, length: int = 0) -> Step:
    """The closing PUT; with `length` > 0 it carries bytes too (all of a POST+PUT upload, or the last chunk)."""
    sep = "&" if "?" in location else "?"
    return Step(
        "PUT",
        f"{location}{sep}{urlencode({'digest': digest}, safe=':')}",
        _row(Kind.UPLOAD, "finish" if length == 0 else "finish with data"),
        {"Content-Type": "application/octet-stream", "Content-Length": str(length)},
    )


def tags_list(repo: str, n: int | None = None, last: str | None = None) -> Step:
    return Step("GET", f"/v2/{repo}/tags/list{_paging(n, last)}", _row(Kind.TAGS))


def catalog(n: int | None = None, last: str | None = None) -> Step:
    return Step("GET", f"/v2/_catalog{_paging(n, last)}", _row(Kind.CATALOG))


def _paging(n: int | None, last: str | None) -> str:
    params: list[tuple[str, str]] = []
    if n is not None:
        params.append(("n", str(n)))
    if last is not None:
        params.append(("last", last))
    return f"?{urlencode(params)}" if params else ""


def resolve_location(request_url: str, location: str) -> str:
    """An upload Location made absolute (registries may answer with a relative one)."""
    return urljoin(request_url, location)


def chunk_ranges(size: int, chunk_size: int, min_length: int | None = None) -> list[tuple[int, int]]:
    """(start, length) of each PATCH of a chunked upload.

    Every chunk but the last is at least the registry's `OCI-Chunk-Min-Length`.
    """
    step = max(chunk_size, min_length or 0, 1)
    return [(start, min(step, size - start)) for start in range(0, size, step)] or [(0, 0)]
