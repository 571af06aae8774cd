"""Area push: blob uploads (end-4a..end-6, end-11, end-13, end-14) and manifest PUT (end-7)."""

from . import SPEC_BASE, SPEC_MAIN, CheckInfo, Level

MONOLITHIC = f"{SPEC_BASE}#pushing-a-blob-monolithically"
CHUNKED = f"{SPEC_BASE}#pushing-a-blob-in-chunks"
MOUNT = f"{SPEC_BASE}#mounting-a-blob-from-another-repository"
MANIFESTS = f"{SPEC_BASE}#pushing-manifests"


def _push(id: str, title: str, spec: str, url: str, level: Level = Level.MUST, version: str = "1.1") -> CheckInfo:
    return CheckInfo(id, title, "push", level, spec, url, version)


CHECKS = [
    _push(
        "push.blob-post-put",
        "POST then PUT with the whole blob: 202 with Location, then 201",
        "end-4a/end-6",
        MONOLITHIC,
    ),
    _push(
        "push.blob-post-digest", "POST with ?digest= and the blob: 201, or 202 and POST+PUT works", "end-4b", MONOLITHIC
    ),
    _push(
        "push.blob-chunked-single",
        "one PATCH with Content-Range then PUT: 202 with Range, then 201",
        "end-5/end-6",
        CHUNKED,
    ),
    _push("push.blob-chunked-multi", "three PATCH chunks with Content-Range then an empty PUT", "end-5/end-6", CHUNKED),
    _push("push.blob-chunked-put-last", "PATCH chunks, the last chunk in the closing PUT", "end-5/end-6", CHUNKED),
    _push(
        "push.blob-stream", "one streamed PATCH (no Content-Range, chunked encoding) then PUT", "end-5/end-6", CHUNKED
    ),
    _push("push.chunk-out-of-order", "a PATCH chunk that skips bytes answers 416", "end-5", CHUNKED),
    _push("push.chunk-overlap", "a PATCH chunk overlapping bytes already received answers 416", "end-5", CHUNKED),
    _push("push.upload-status", "GET on an upload answers 204 with Range and Location", "end-13", CHUNKED),
    _push(
        "push.upload-cancel",
        "DELETE on an upload answers 204 and the upload is gone",
        "end-14",
        SPEC_MAIN,
        version="dev",
    ),
    _push(
        "push.digest-algorithm",
        "POST ?digest-algorithm=sha512, upload, PUT: stored under the sha512 digest",
        "end-4c",
        SPEC_MAIN,
        version="dev",
    ),
    _push(
        "push.blob-bad-digest",
        "closing an upload with a digest that does not match the data answers 400",
        "end-6",
        MONOLITHIC,
    ),
    _push("push.mount-from", "mount with ?mount=&from=: 201, or 202 and the upload works", "end-11", MOUNT),
    # Mounting without `from` is optional (201), but the answer must be 201 or an upload (202).
    _push("push.mount-anonymous", "mount without from: 201, or 202 and the upload works", "end-11", MOUNT),
    _push("push.mount-missing", "mount of a blob the source does not have answers 202 (an upload)", "end-11", MOUNT),
    _push(
        "push.manifest-put",
        "every manifest of a data set PUT answers 201 with Location and its digest",
        "end-7",
        MANIFESTS,
    ),
    _push(
        "push.manifest-location",
        "every Location a blob or manifest PUT returned serves the same content",
        "end-6/end-7",
        MANIFESTS,
    ),
    _push(
        "push.manifest-bad-digest",
        "a manifest PUT by a digest that does not match the body answers 400",
        "end-7",
        MANIFESTS,
    ),
    _push(
        "push.manifest-malformed-digest",
        "a manifest PUT by a malformed digest answers 400, not 5xx",
        "end-7",
        MANIFESTS,
    ),
    _push(
        "push.manifest-tag-param",
        "PUT by digest with ?tag=a&tag=b answers one OCI-Tag per tag and tags it",
        "end-7b",
        SPEC_MAIN,
        version="dev",
    ),
]
