"""Registry error bodies: the spec's error codes and reading them from a response.

A 4xx body MAY be in any format; when it is JSON it MUST be
`{"errors": [{"code": ..., "message": ..., "detail": ...}]}` with a code from
the spec's table. Docker-era registries also send TAG_INVALID and
MANIFEST_UNVERIFIED, which clients MAY meet.
"""

from __future__ import annotations

import json

import httpx

from .judge import excerpt

SPEC_CODES = frozenset(
    {
        "BLOB_UNKNOWN",
        "BLOB_UPLOAD_INVALID",
        "BLOB_UPLOAD_UNKNOWN",
        "DIGEST_INVALID",
        "MANIFEST_BLOB_UNKNOWN",
        "MANIFEST_INVALID",
        "MANIFEST_UNKNOWN",
        "NAME_INVALID",
        "NAME_UNKNOWN",
        "SIZE_INVALID",
        "UNAUTHORIZED",
        "DENIED",
        "UNSUPPORTED",
        "TOOMANYREQUESTS",
    }
)
LEGACY_CODES = frozenset({"TAG_INVALID", "MANIFEST_UNVERIFIED"})
KNOWN_CODES = SPEC_CODES | LEGACY_CODES


class MalformedErrorBody(ValueError):
    """A JSON body that is not the spec's error shape."""


def error_codes(response: httpx.Response) -> list[str] | None:
    """The codes of a JSON error body; None when the body is not JSON (any format is allowed).

    Raises MalformedErrorBody when the body is JSON but not `{"errors": [{"code": ...}]}`.
    """
    body = response.content
    if not body.strip():
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    errors = data.get("errors") if isinstance(data, dict) else None
    if not isinstance(errors, list) or not errors:
        raise MalformedErrorBody(f"JSON error body without a non-empty 'errors' list: {excerpt(response)}")
    codes = []
    for entry in errors:
        code = entry.get("code") if isinstance(entry, dict) else None
        if not isinstance(code, str):
            raise MalformedErrorBody(f"an entry of 'errors' has no string 'code': {excerpt(response)}")
        codes.append(code)
    return codes
