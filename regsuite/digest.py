"""Content digests (image-spec `algorithm:encoded`)."""

from __future__ import annotations

import hashlib
import re

ALGORITHMS = ("sha256", "sha512")
_ENCODED = {"sha256": re.compile(r"^[a-f0-9]{64}$"), "sha512": re.compile(r"^[a-f0-9]{128}$")}
DIGEST_RE = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$")


def digest_of(data: bytes, algorithm: str = "sha256") -> str:
    """The digest string of `data` under `algorithm`."""
    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"


def is_valid_digest(value: str) -> bool:
    """True when `value` is a well-formed digest of a registered algorithm."""
    if not DIGEST_RE.match(value):
        return False
    algorithm, _, encoded = value.partition(":")
    pattern = _ENCODED.get(algorithm)
    return pattern is None or bool(pattern.match(encoded))


def algorithm_of(value: str) -> str:
    return value.partition(":")[0]
