"""Area naming: the repository name and tag grammar, enforced without 5xx and without storing."""

from . import SPEC_BASE, CheckInfo, Level

PULLING = f"{SPEC_BASE}#pulling-manifests"

CHECKS = [
    CheckInfo(
        "naming.invalid-name",
        "A repository name outside the grammar is refused with a 4xx and nothing is stored",
        "naming",
        Level.MUST,
        "pulling-manifests",
        PULLING,
    ),
    CheckInfo(
        "naming.valid-name",
        "Names the grammar allows (__, repeated -, nesting, 255 characters) are accepted",
        "naming",
        Level.MUST,
        "pulling-manifests",
        PULLING,
    ),
    CheckInfo(
        "naming.invalid-tag",
        "A tag outside the grammar (129 characters, leading - or .) is refused with a 4xx",
        "naming",
        Level.MUST,
        "pulling-manifests",
        PULLING,
    ),
    CheckInfo(
        "naming.valid-tag",
        "Tags the grammar allows (128 characters, leading _, mixed case) are accepted",
        "naming",
        Level.MUST,
        "pulling-manifests",
        PULLING,
    ),
]
