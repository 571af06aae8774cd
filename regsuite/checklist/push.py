"""Area push: blob uploads (end-4a..end-6, end-11, end-13, end-14) and manifest PUT (end-7)."""

from . import SPEC_BASE, SPEC_MAIN, Level, area_checks

MONOLITHIC = f"{SPEC_BASE}#pushing-a-blob-monolithically"
CHUNKED = f"{SPEC_BASE}#pushing-a-blob-in-chunks"
MOUNT = f"{SPEC_BASE}#mounting-a-blob-from-another-repository"
MANIFESTS = f"{SPEC_BASE}#pushing-manifests"


_push = area_checks("push")


CHECKS = [
    _push(
        "push.blob-post-put",
        "POST then PUT with the whole blob: 202 with Location, then 201",
        "end-4a/end-6",
        url=MONOLITHIC,
    ),
    _push(
        "push.blob-post-digest",
        "POST with ?digest= and the blob: 201, or 202 and POST+PUT works",
        "end-4b",
        url=MONOLITHIC,
    ),
    _push(
        "push.blob-chunked-single",
        "one PATCH with Content-Range then PUT: 202 with Range, then 201",
        "end-5/end-6",
        url=CHUNKED,
    ),
    _push(
        "push.blob-chunked-multi", "three PATCH chunks with Content-Range then an empty PUT", "end-5/end-6", url=CHUNKED
    ),
    _push("push.blob-chunked-put-last", "PATCH chunks, the last chunk in the closing PUT", "end-5/end-6", url=CHUNKED),
    _push(
        "push.blob-stream",
        "one streamed PATCH (no Content-Range, chunked encoding) then PUT",
        "end-5/end-6",
        url=CHUNKED,
    ),
    _push("push.chunk-out-of-order", "a PATCH chunk that skips bytes answers 416", "end-5", url=CHUNKED),
    _push(
        "push.chunk-put-misplaced",
        "a closing PUT carrying a chunk whose Content-Range does not continue the received bytes answers 416",
        "end-5/end-6",
        url=CHUNKED,
    ),
    _push("push.chunk-overlap", "a PATCH chunk overlapping bytes already received answers 416", "end-5", url=CHUNKED),
    _push("push.upload-status", "GET on an upload answers 204 with Range and Location", "end-13", url=CHUNKED),
    _push(
        "push.resumable",
        "resumable push: a chunk, the upload's status (204, Range, Location), the rest from the offset it "
        "reports, then PUT: 201 and the blob under its digest",
        "end-5/end-13/end-6",
        url=CHUNKED,
    ),
    _push(
        "push.resume-after-416",
        "after a chunk that skips bytes is refused (416), the status names the bytes held and the upload "
        "resumes from there to 201",
        "end-5/end-13/end-6",
        url=CHUNKED,
    ),
    _push(
        "push.upload-status-stale",
        "GET on the POST's Location after a PATCH still answers 204 with Range and Location",
        "end-13",
        url=CHUNKED,
    ),
    _push(
        "push.upload-cancel",
        "DELETE on an upload answers 204 and the upload is gone",
        "end-14",
        url=SPEC_MAIN,
        version="dev",
    ),
    _push(
        "push.digest-algorithm",
        "POST ?digest-algorithm=sha512, upload, PUT: stored under the sha512 digest",
        "end-4c",
        url=SPEC_MAIN,
        version="dev",
    ),
    _push(
        "push.blob-bad-digest",
        "closing an upload with a digest that does not match the data answers 400",
        "end-6",
        url=MONOLITHIC,
    ),
    _push("push.mount-from", "mount with ?mount=&from=: 201, or 202 and the upload works", "end-11", url=MOUNT),
    # Mounting without `from` is optional (201), but the answer must be 201 or an upload (202).
    _push("push.mount-anonymous", "mount without from: 201, or 202 and the upload works", "end-11", url=MOUNT),
    _push(
        "push.mount-missing",
        "mount of a blob the source does not have (with or without from) answers 202 (an upload)",
        "end-11",
        url=MOUNT,
    ),
    _push(
        "push.blob-post-digest-fallback",
        "a POST with ?digest= answered 202 stores nothing until the upload is closed",
        "end-4b",
        url=MONOLITHIC,
        level=Level.SHOULD,
    ),
    _push(
        "push.manifest-put",
        "every manifest of a data set PUT answers 201 with Location and its digest",
        "end-7",
        url=MANIFESTS,
    ),
    _push(
        "push.manifest-location",
        "every Location a blob or manifest PUT returned serves the same content",
        "end-6/end-7",
        url=MANIFESTS,
    ),
    _push(
        "push.manifest-by-digest",
        "every manifest of a data set PUT by digest, then its tag: 201, Location, digest; the Location serves "
        "the same bytes and Content-Type",
        "end-7",
        url=MANIFESTS,
    ),
    _push(
        "push.tag-overwrite",
        "a tag PUT again with another manifest now gives that manifest; the first stays by digest",
        "end-7/end-3",
        url=MANIFESTS,
    ),
    _push(
        "push.manifest-large",
        "a manifest of 4 MB is accepted (a refusal must be 413)",
        "end-7",
        url=MANIFESTS,
        level=Level.SHOULD,
    ),
    _push(
        "push.manifest-too-large",
        "a manifest over the registry's size limit (8 MiB) is refused with 413",
        "end-7",
        url=MANIFESTS,
        level=Level.SHOULD,
    ),
    _push(
        "push.manifest-content-type-params",
        "a manifest PUT whose Content-Type carries parameters is accepted (parameters are ignored)",
        "end-7",
        url=MANIFESTS,
        level=Level.SHOULD,
    ),
    _push(
        "push.manifest-bad-digest",
        "a manifest PUT by a digest that does not match the body answers 400",
        "end-7",
        url=MANIFESTS,
    ),
    _push(
        "push.manifest-malformed-digest",
        "a manifest PUT by a malformed digest answers 400, not 5xx",
        "end-7",
        url=MANIFESTS,
    ),
    _push(
        "push.manifest-tag-param",
        "PUT by digest with ?tag=a&tag=b answers one OCI-Tag per tag and tags it",
        "end-7b",
        url=SPEC_MAIN,
        version="dev",
    ),
    _push(
        "push.manifest-tag-param-ten",
        "PUT by digest with ten ?tag= parameters tags all ten",
        "end-7b",
        url=SPEC_MAIN,
        level=Level.SHOULD,
        version="dev",
    ),
    # sha512 beyond uploads: judged only where uploads keep sha512 digests (unsupported otherwise)
    _push(
        "push.sha512-mount", "a sha512 blob mounts from another repository under its sha512 digest", "end-11", url=MOUNT
    ),
    _push(
        "push.sha512-empty-blob",
        "the empty blob uploads and reads back under its sha512 digest",
        "end-6",
        url=MONOLITHIC,
    ),
]
