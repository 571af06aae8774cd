"""Area fuzz: generated names, tags, manifests and protocol sequences (hypothesis).

Each check is one property run for the chosen profile's budget; its failure
message carries the minimal example and the HTTP requests that reproduce it.
Not part of the default run: see docs/fuzzing.md.
"""

from . import SPEC_BASE, SPEC_MAIN, CheckInfo, Level

PULLING = f"{SPEC_BASE}#pulling-manifests"
MANIFESTS = f"{SPEC_BASE}#pushing-manifests"
CHUNKED = f"{SPEC_BASE}#pushing-a-blob-in-chunks"


def _fuzz(id: str, title: str, spec: str, url: str, level: Level = Level.MUST, version: str = "1.1") -> CheckInfo:
    return CheckInfo(id, title, "fuzz", level, spec, url, version)


CHECKS = [
    _fuzz(
        "fuzz.valid-names",
        "generated names in the grammar (up to 255 characters) are accepted and read back",
        "pulling-manifests",
        PULLING,
    ),
    _fuzz(
        "fuzz.invalid-names",
        "generated near-miss repository names get a 4xx (never 5xx) and nothing is stored",
        "pulling-manifests",
        PULLING,
    ),
    _fuzz(
        "fuzz.valid-tags",
        "generated tags in the grammar (up to 128 characters) are accepted and read back",
        "pulling-manifests",
        PULLING,
    ),
    _fuzz(
        "fuzz.invalid-tags",
        "generated near-miss tags get a 4xx (never 5xx) and are not stored",
        "pulling-manifests",
        PULLING,
    ),
    _fuzz(
        "fuzz.manifest-structure",
        "manifests with broken JSON or structure: a 4xx or kept intact, never a 5xx",
        "end-7",
        MANIFESTS,
    ),
    _fuzz(
        "fuzz.manifest-descriptors",
        "manifests with unknown or bad digests, wrong sizes: a 4xx or kept, no 5xx",
        "end-7",
        MANIFESTS,
    ),
    _fuzz(
        "fuzz.protocol-state",
        "random upload, tag and manifest sequences agree with a model of the spec",
        "end-4a..end-14",
        SPEC_MAIN,
        version="dev",
    ),
    _fuzz(
        "fuzz.chunk-order",
        "random sequences with out-of-order and overlapping chunks: each one gets 416",
        "end-5",
        CHUNKED,
    ),
]
