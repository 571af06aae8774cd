"""Area errors: client mistakes get a 4xx, never a 5xx, with a spec error code that fits."""

from . import SPEC_BASE, CheckInfo, Level

CODES = f"{SPEC_BASE}#error-codes"

CHECKS = [
    CheckInfo(
        "errors.no-5xx",
        "A client mistake is never answered with a 5xx",
        "errors",
        Level.MUST,
        "error-codes",
        CODES,
        "beyond",
    ),
    CheckInfo(
        "errors.spec-code",
        "A JSON error body has the spec's shape and only the spec's codes",
        "errors",
        Level.MUST,
        "error-codes",
        CODES,
    ),
    CheckInfo(
        "errors.right-code",
        "The error code names the condition (BLOB_UNKNOWN for an unknown blob, ...)",
        "errors",
        Level.SHOULD,
        "error-codes",
        CODES,
    ),
    CheckInfo(
        "errors.unsupported-code",
        "A refused delete (400/405) says UNSUPPORTED",
        "errors",
        Level.SHOULD,
        "error-codes",
        CODES,
    ),
]
