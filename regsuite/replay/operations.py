"""What a request of the log is as a registry operation, through the one route table (regsuite.protocol).

A request is an operation the replay sends again (a manifest HEAD, a blob GET, ...), a step of an
upload (the PATCHes and the closing PUT after its POST: the upload is replayed whole, from its POST),
or a line the replay skips, with its reason. Requests that are not the registry API (health checks,
`/debug`, `/metrics`) are skipped, as are answers the replay cannot reproduce: auth challenges (the
replay answers its own), requests the registry refused (4xx other than 404) and its failures (5xx).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import parse_qsl, urlsplit

from ..protocol import Kind, route
from .logformat import NOT_API, Record


class Op(StrEnum):
    """A registry operation the replay sends, one name per row of its reports."""

    PING = "ping"  # GET /v2/
    MANIFEST_HEAD = "manifest-head"
    MANIFEST_GET = "manifest-get"
    BLOB_HEAD = "blob-head"
    BLOB_GET = "blob-get"
    UPLOAD = "upload"  # POST to the closing PUT: one blob, whatever the method
    MOUNT = "mount"
    MANIFEST_PUT = "manifest-put"
    TAGS = "tags-list"
    CATALOG = "catalog"
    REFERRERS = "referrers"
    DELETE_MANIFEST = "delete-manifest"
    DELETE_BLOB = "delete-blob"


READS = (Op.MANIFEST_HEAD, Op.MANIFEST_GET, Op.BLOB_HEAD, Op.BLOB_GET, Op.TAGS, Op.REFERRERS)

# Reasons a request is skipped (reports count lines by them).
CHALLENGE = "auth challenge (401): the replay answers its own"
REFUSED = "refused in the log (4xx other than 404)"
FAILED = "failed in the log (5xx)"
METHOD = "a method the registry API does not use there"
ORPHAN_STEP = "upload step whose POST is not in the window"
UNFINISHED = "upload that never finished in the log"
OUTSIDE = "outside the window"

_BY_METHOD: dict[tuple[Kind, str], Op] = {
    (Kind.BASE, "GET"): Op.PING, (Kind.BASE, "HEAD"): Op.PING,
    (Kind.CATALOG, "GET"): Op.CATALOG,
    (Kind.TAGS, "GET"): Op.TAGS,
    (Kind.REFERRERS, "GET"): Op.REFERRERS,
    (Kind.MANIFESTS, "HEAD"): Op.MANIFEST_HEAD, (Kind.MANIFESTS, "GET"): Op.MANIFEST_GET,
    (Kind.MANIFESTS, "PUT"): Op.MANIFEST_PUT, (Kind.MANIFESTS, "DELETE"): Op.DELETE_MANIFEST,
    (Kind.BLOBS, "HEAD"): Op.BLOB_HEAD, (Kind.BLOBS, "GET"): Op.BLOB_GET, (Kind.BLOBS, "DELETE"): Op.DELETE_BLOB,
    (Kind.UPLOADS, "POST"): Op.UPLOAD,
}
UPLOAD_STEPS = ("PATCH", "PUT", "GET", "DELETE")


@dataclass(frozen=True, slots=True)
class Request:
    """A request of the log as an operation (or an upload step, `op` None)."""

    record: Record
    op: Op | None
    repo: str  # "" for /v2/ and the catalog
    ref: str  # tag or digest, upload id of a step, "" otherwise
    query: dict[str, str]

    @property
    def ok(self) -> bool:
        return 200 <= self.record.status < 400

    @property
    def by_digest(self) -> bool:
        return ":" in self.ref


def classify(record: Record) -> Request | str:
    """The request as an operation or upload step, or the reason it is skipped."""
    parts = urlsplit(record.uri)
    found = route(parts.path)
    if found is None:
        return NOT_API
    status = record.status
    if status == 401:
        return CHALLENGE
    if status >= 500:
        return FAILED
    query = dict(parse_qsl(parts.query))
    if found.kind is Kind.UPLOAD:
        if record.method not in UPLOAD_STEPS:
            return METHOD
        return Request(record, None, found.repository, found.reference, query)
    op = _BY_METHOD.get((found.kind, record.method))
    if op is None:
        return METHOD
    if op is Op.UPLOAD and "mount" in query and status == 201:
        op = Op.MOUNT
    if status >= 400 and status != 404:
        return REFUSED
    if status == 404 and op not in (*READS, Op.DELETE_MANIFEST, Op.DELETE_BLOB):
        return REFUSED  # a write that found no repository: nothing the replay can send again
    return Request(record, op, found.repository, found.reference, query)
