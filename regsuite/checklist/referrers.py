"""Area referrers: the referrers API (end-12a, end-12b) and OCI-Subject."""

from . import SPEC_BASE, Level, area_checks

LISTING = f"{SPEC_BASE}#listing-referrers"
PUSHING = f"{SPEC_BASE}#pushing-manifests-with-subject"
PUSH = f"{SPEC_BASE}#push"


_check = area_checks("referrers", url=LISTING)


CHECKS = [
    _check(
        "referrers.list", "GET referrers/<subject> answers 200 listing every manifest whose subject it is", "end-12a"
    ),
    _check("referrers.index-format", "The referrers answer is an OCI image index with its Content-Type", "end-12a"),
    _check(
        "referrers.descriptors",
        "Each referrer descriptor carries mediaType, digest, size, artifactType and annotations",
        "end-12a",
    ),
    _check("referrers.index-referrer", "An image index with a subject is listed as a referrer", "end-12a"),
    _check("referrers.filter", "?artifactType= returns only referrers of that type", "end-12b", level=Level.SHOULD),
    _check(
        "referrers.filters-applied",
        "OCI-Filters-Applied: artifactType is sent exactly when the filter was applied",
        "end-12b",
    ),
    _check(
        "referrers.oci-subject",
        "A manifest PUT with a subject answers OCI-Subject: <subject digest>",
        "end-7",
        url=PUSHING,
    ),
    _check("referrers.unknown-subject", "Referrers of a digest nothing refers to: 200 and an empty index", "end-12a"),
    _check(
        "referrers.subject-pushed-later",
        "A referrer pushed before its subject is accepted and listed",
        "end-7/end-12a",
        url=PUSH,
    ),
    _check(
        "referrers.missing-subject",
        "Referrers of a subject never pushed are listed (and their PUT answers OCI-Subject)",
        "end-7/end-12a",
        url=PUSH,
    ),
    _check("referrers.index-subject", "Referrers of an image index (an index as subject) are listed", "end-12a"),
    _check(
        "referrers.index-artifact-type-omitted",
        "An index referrer without artifactType is listed with artifactType omitted",
        "end-12a",
    ),
    _check(
        "referrers.other-repository",
        "Referrers pushed to another repository never show in this repository's list",
        "end-12a",
    ),
    _check(
        "referrers.pagination",
        'Following Link rel="next" through referrers gives every referrer exactly once',
        "end-12a",
    ),
]
