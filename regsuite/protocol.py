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
from typing import NamedTuple
from urllib.parse import urlencode, urljoin

from . import mediatypes as mt

# Suffixes of /v2/<name>/..., tried in order; the name is whatever comes before the suffix.
# A name may itself hold `blobs`, `uploads`, `manifests`, `tags`, `referrers` or `list` as components,
# so only the end of the path can say what is asked for. The last rule takes upload ids with slashes
# (a registry's own Location scheme), once no fixed suffix fits.
_SUFFIXES = (
    ("uploads", re.compile(r"^/v2/(?P<name>.+)/blobs/uploads/(?P<ref>[^/]*)$")),
    ("blobs", re.compile(r"^/v2/(?P<name>.+)/blobs/(?P<ref>[^/]+)$")),
    ("manifests", re.compile(r"^/v2/(?P<name>.+)/manifests/(?P<ref>[^/]+)$")),
    ("tags", re.compile(r"^/v2/(?P<name>.+)/tags/(?P<ref>list)$")),
    ("referrers", re.compile(r"^/v2/(?P<name>.+)/referrers/(?P<ref>[^/]+)$")),
    ("uploads", re.compile(r"^/v2/(?P<name>.+)/blobs/uploads/(?P<ref>.+)$")),
)
_TEMPLATES = {
    "uploads": "/v2/<name>/blobs/uploads/<id>",
    "blobs": "/v2/<name>/blobs/<digest>",
    "manifests": "/v2/<name>/manifests/<reference>",
    "tags": "/v2/<name>/tags/list",
    "referrers": "/v2/<name>/referrers/<digest>",
}


class Route(NamedTuple):
    repository: str
    kind: str  # uploads, blobs, manifests, tags or referrers
    reference: str = ""  # the upload id, digest, tag or reference; "list" for tags

    @property
    def template(self) -> str:
        """The route with placeholders, as the spec writes it: /v2/<name>/blobs/<digest>."""
        if self.kind == "uploads" and not self.reference:
            return "/v2/<name>/blobs/uploads/"
        return _TEMPLATES[self.kind]


def route(path: str) -> Route | None:
    """The repository and kind of a registry path, read from its end; None for /v2/, _catalog and others.

    `path` is a URL path without its query (`httpx.URL.path`).
    """
    for kind, pattern in _SUFFIXES:
        m = pattern.match(path)
        if m:
            return Route(m.group("name"), kind, m.group("ref"))
    return None


@dataclass(frozen=True)
class Step:
    method: str
    path: str  # path and query on the registry, or an absolute URL (an upload Location)
    name: str  # statistics row
    headers: dict[str, str] = field(default_factory=dict)


def head_manifest(repo: str, reference: str, accept: str = mt.ACCEPT_ALL_MANIFESTS) -> Step:
    return Step("HEAD", f"/v2/{repo}/manifests/{reference}", "/v2/[repo]/manifests/[ref]", {"Accept": accept})


def get_manifest(repo: str, reference: str, accept: str = mt.ACCEPT_ALL_MANIFESTS) -> Step:
    return Step("GET", f"/v2/{repo}/manifests/{reference}", "/v2/[repo]/manifests/[ref]", {"Accept": accept})


def put_manifest(repo: str, reference: str, media_type: str, length: int) -> Step:
    return Step(
        "PUT",
        f"/v2/{repo}/manifests/{reference}",
        "/v2/[repo]/manifests/[ref]",
        {"Content-Type": media_type, "Content-Length": str(length)},
    )


def head_blob(repo: str, digest: str) -> Step:
    return Step("HEAD", f"/v2/{repo}/blobs/{digest}", "/v2/[repo]/blobs/[digest]")


def get_blob(repo: str, digest: str) -> Step:
    return Step("GET", f"/v2/{repo}/blobs/{digest}", "/v2/[repo]/blobs/[digest]")


def start_upload(repo: str, query: list[tuple[str, str]] | None = None, length: int = 0) -> Step:
    """POST opening an upload; `query` carries digest=, mount=/from= or digest-algorithm=, `length` a body."""
    suffix = f"?{urlencode(query, safe=':/')}" if query else ""
    headers = {"Content-Length": str(length)}
    if length:
        headers["Content-Type"] = "application/octet-stream"
    return Step("POST", f"/v2/{repo}/blobs/uploads/{suffix}", "/v2/[repo]/blobs/uploads/", headers)


def patch_chunk(location: str, start: int, length: int) -> Step:
    """A chunk of a chunked upload: the range it covers, as the spec's Content-Range (no unit)."""
    return Step(
        "PATCH",
        location,
        "/v2/[repo]/blobs/uploads/[id] (chunk)",
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
    return Step("PATCH", location, "/v2/[repo]/blobs/uploads/[id] (stream)", headers)


def upload_status(location: str) -> Step:
    """GET of an upload: 204 with the bytes received (end-13)."""
    return Step("GET", location, "/v2/[repo]/blobs/uploads/[id] (status)")


def cancel_upload(location: str) -> Step:
    return Step("DELETE", location, "/v2/[repo]/blobs/uploads/[id] (cancel)")


def delete(repo: str, kind: str, reference: str) -> Step:
    """DELETE of a manifest or blob; `kind` is manifests or blobs."""
    placeholder = "ref" if kind == "manifests" else "digest"
    return Step("DELETE", f"/v2/{repo}/{kind}/{reference}", f"/v2/[repo]/{kind}/[{placeholder}]")


def referrers(repo: str, digest: str, artifact_type: str | None = None) -> Step:
    query = f"?{urlencode({'artifactType': artifact_type})}" if artifact_type else ""
    return Step("GET", f"/v2/{repo}/referrers/{digest}{query}", "/v2/[repo]/referrers/[digest]")


def finish_upload(location: str, digest: str, length: int = 0) -> Step:
    """The closing PUT; with `length` > 0 it carries bytes too (all of a POST+PUT upload, or the last chunk)."""
    sep = "&" if "?" in location else "?"
    return Step(
        "PUT",
        f"{location}{sep}{urlencode({'digest': digest}, safe=':')}",
        "/v2/[repo]/blobs/uploads/[id] (finish)" if length == 0 else "/v2/[repo]/blobs/uploads/[id] (finish with data)",
        {"Content-Type": "application/octet-stream", "Content-Length": str(length)},
    )


def tags_list(repo: str, n: int | None = None, last: str | None = None) -> Step:
    return Step("GET", f"/v2/{repo}/tags/list{_paging(n, last)}", "/v2/[repo]/tags/list")


def catalog(n: int | None = None, last: str | None = None) -> Step:
    return Step("GET", f"/v2/_catalog{_paging(n, last)}", "/v2/_catalog")


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
