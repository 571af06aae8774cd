"""Area pull: blobs and manifests by GET and HEAD (end-2, end-3)."""

from . import SPEC_BASE, SPEC_MAIN, Level, area_checks

BLOBS = f"{SPEC_BASE}#pulling-blobs"
MANIFESTS = f"{SPEC_BASE}#pulling-manifests"
EXISTS = f"{SPEC_BASE}#checking-if-content-exists-in-the-registry"
PROXYING = f"{SPEC_BASE}#registry-proxying"


_pull = area_checks("pull")


CHECKS = [
    _pull("pull.manifest-by-tag", "GET a manifest by tag: 200 and the bytes pushed", "end-3", url=MANIFESTS),
    _pull(
        "pull.manifest-by-digest",
        "GET every manifest of a data set by digest: 200 and bytes of that digest",
        "end-3",
        url=MANIFESTS,
    ),
    _pull(
        "pull.manifest-head",
        "HEAD a manifest by tag and digest: 200 with its Content-Length and digest",
        "end-3",
        url=EXISTS,
    ),
    _pull(
        "pull.manifest-content-type",
        "a manifest's Content-Type equals its mediaType (GET and HEAD)",
        "end-3",
        url=MANIFESTS,
    ),
    _pull(
        "pull.manifest-content-type-exact",
        "a manifest's Content-Type carries no parameters: exactly its mediaType",
        "end-3",
        url=MANIFESTS,
        level=Level.SHOULD,
    ),
    _pull(
        "pull.digest-header",
        "Docker-Content-Digest on every GET/HEAD of a manifest or blob, equal to its digest",
        "end-2/end-3",
        url=SPEC_MAIN,
        version="dev",
    ),
    _pull(
        "pull.head-get-agree",
        "HEAD and GET agree: status, Content-Length, Content-Type, digest",
        "end-2/end-3",
        url=EXISTS,
        version="beyond",
    ),
    _pull("pull.manifest-unknown", "GET and HEAD of an unknown manifest answer 404", "end-3", url=MANIFESTS),
    _pull("pull.blob-get", "GET a blob: 200, its bytes, Content-Length", "end-2", url=BLOBS),
    _pull(
        "pull.blob-get-length",
        "GET a blob announces its size: Content-Length equal to the body",
        "end-2",
        url=BLOBS,
        level=Level.SHOULD,
    ),
    _pull("pull.blob-head", "HEAD a blob: 200, Content-Length, no body", "end-2", url=EXISTS),
    _pull("pull.blob-unknown", "GET and HEAD of an unknown blob answer 404", "end-2", url=BLOBS),
    _pull(
        "pull.blob-range",
        "GET a blob with Range: 206, Content-Range, Content-Length and the bytes asked for",
        "end-2",
        url=BLOBS,
        level=Level.SHOULD,
    ),
    _pull(
        "pull.blob-range-unsatisfiable",
        "an unsatisfiable Range answers 416, and the answer is well-formed HTTP",
        "end-2",
        url=BLOBS,
        level=Level.SHOULD,
    ),
    _pull(
        "pull.sha512-range",
        "a Range request on a sha512 blob answers 206 with the bytes asked for",
        "end-2",
        url=BLOBS,
        level=Level.SHOULD,
    ),
    _pull(
        "pull.oci-namespace",
        "a pull with ?ns= answered with OCI-Namespace names that ns value",
        "registry-proxying",
        url=PROXYING,
        level=Level.SHOULD,
    ),
]
