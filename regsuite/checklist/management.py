"""Area management: deleting manifests, tags and blobs (end-9, end-10)."""

from . import SPEC_BASE, Level, area_checks

MANAGEMENT = f"{SPEC_BASE}#content-management"


_check = area_checks("management", url=MANAGEMENT)


CHECKS = [
    _check("management.delete-manifest", "DELETE of a manifest by digest answers 202", "end-9"),
    _check(
        "management.deleted-manifest-gone",
        "A deleted manifest answers 404 to GET and HEAD, by digest and by its tag",
        "end-9",
    ),
    _check(
        "management.delete-tag",
        "DELETE of a tag answers 202 and the tag is gone (registries MAY refuse: 400/405)",
        "end-9",
        level=Level.MAY,
    ),
    _check(
        "management.delete-tag-keeps-others",
        "Deleting one tag leaves the manifest and its other tags in place",
        "end-9",
    ),
    _check("management.delete-blob", "DELETE of a blob answers 202", "end-10"),
    _check("management.deleted-blob-gone", "A deleted blob answers 404 to GET and HEAD", "end-10"),
    _check(
        "management.delete-unknown",
        "DELETE of an unknown manifest or blob, or in a repository that does not exist, answers 404",
        "end-9/end-10",
    ),
    _check(
        "management.delete-dataset",
        "Every data set deleted (tags, manifests parents first, blobs): each delete answers 202, and what it "
        "deleted answers 404 by digest and by every tag that pointed at it, tags gone from tags/list",
        "end-9/end-10",
    ),
    _check("management.sha512-delete", "a sha512 blob deletes by its sha512 digest and is gone", "end-10"),
]
