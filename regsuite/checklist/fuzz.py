"""Area fuzz: generated names, tags, manifests and protocol sequences (hypothesis).

Each check is one property run for the chosen profile's budget; its failure
message carries the minimal example and the HTTP requests that reproduce it.
Not part of the default run: see docs/fuzzing.md.
"""

from . import SPEC_BASE, SPEC_MAIN, area_checks

PULLING = f"{SPEC_BASE}#pulling-manifests"
MANIFESTS = f"{SPEC_BASE}#pushing-manifests"
CHUNKED = f"{SPEC_BASE}#pushing-a-blob-in-chunks"


_fuzz = area_checks("fuzz")


CHECKS = [
    _fuzz(
        "fuzz.valid-names",
        "generated names in the grammar (up to 255 characters) are accepted and read back",
        "pulling-manifests",
        url=PULLING,
    ),
    _fuzz(
        "fuzz.invalid-names",
        "generated near-miss repository names get a 4xx (never 5xx) and nothing is stored",
        "pulling-manifests",
        url=PULLING,
    ),
    _fuzz(
        "fuzz.valid-tags",
        "generated tags in the grammar (up to 128 characters) are accepted and read back",
        "pulling-manifests",
        url=PULLING,
    ),
    _fuzz(
        "fuzz.invalid-tags",
        "generated near-miss tags get a 4xx (never 5xx) and are not stored",
        "pulling-manifests",
        url=PULLING,
    ),
    _fuzz(
        "fuzz.manifest-structure",
        "manifests with broken JSON or structure: a 4xx or kept intact, never a 5xx",
        "end-7",
        url=MANIFESTS,
    ),
    _fuzz(
        "fuzz.manifest-descriptors",
        "manifests with unknown or bad digests, wrong sizes: a 4xx or kept, no 5xx",
        "end-7",
        url=MANIFESTS,
    ),
    _fuzz(
        "fuzz.protocol-state",
        "random upload, tag and manifest sequences agree with a model of the spec",
        "end-4a..end-14",
        url=SPEC_MAIN,
        version="dev",
    ),
    _fuzz(
        "fuzz.chunk-order",
        "random sequences with out-of-order and overlapping chunks: each one gets 416",
        "end-5",
        url=CHUNKED,
    ),
]
