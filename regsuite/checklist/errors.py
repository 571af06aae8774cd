"""Area errors: client mistakes get a 4xx, never a 5xx, with a spec error code that fits."""

from . import SPEC_BASE, CheckInfo, Level

CODES = f"{SPEC_BASE}#error-codes"
WARNINGS = f"{SPEC_BASE}#warnings"
RFC6585 = "https://www.rfc-editor.org/rfc/rfc6585#section-4"

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
    CheckInfo(
        "errors.warning-header",
        'Every Warning header is 299 - "text" without a date, 4096 bytes at most per response',
        "errors",
        Level.MUST,
        "warnings",
        WARNINGS,
    ),
    CheckInfo(
        "errors.retry-after",
        "Every 429 answer says when to retry: a well-formed Retry-After",
        "errors",
        Level.SHOULD,
        "RFC 6585 4",
        RFC6585,
        "beyond",
    ),
    CheckInfo(
        "errors.throttled-code",
        "Every 429 answer with a JSON error body says TOOMANYREQUESTS",
        "errors",
        Level.SHOULD,
        "error-codes",
        CODES,
    ),
]
