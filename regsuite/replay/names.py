"""Synthetic names for a log's repositories and tags: stable within a run, meaningless outside it.

Every name is an HMAC-SHA256 under a key made for the run (never written anywhere), so the same
repository or tag of the log always becomes the same synthetic name in that run, and nothing of
the real one can be read back from it. A repository keeps its depth (each path component is mapped
on its own, so `team/app` and `team/lib` stay neighbours) and lands inside the run namespace.
Digests are not mapped here: content is synthetic, so its digests are the digests of that content
(regsuite.replay.content).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from functools import lru_cache

DIGITS = 12  # hex digits of a mapped component: 48 bits, no collision among millions of names


def new_key() -> bytes:
    return os.urandom(32)


class Names:
    def __init__(self, key: bytes, namespace: str) -> None:
        self.key = key
        self.namespace = namespace
        self.repo = lru_cache(maxsize=65536)(self._repo)  # type: ignore[method-assign]
        self.tag = lru_cache(maxsize=65536)(self._tag)  # type: ignore[method-assign]

    def token(self, kind: str, *parts: str, digits: int = DIGITS) -> str:
        """Hex digits standing for `parts` (of a kind: repository, tag, blob, ...), under the run's key."""
        message = "\0".join((kind, *parts)).encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()[:digits]

    def raw(self, kind: str, *parts: str) -> bytes:
        """32 bytes standing for `parts`: the seed of a synthetic blob's content."""
        return hmac.new(self.key, "\0".join((kind, *parts)).encode(), hashlib.sha256).digest()

    def _repo(self, name: str) -> str:
        mapped = "/".join(f"r{self.token('repo', part)}" for part in name.split("/"))
        return f"{self.namespace}/{mapped}" if self.namespace else mapped

    def _tag(self, tag: str) -> str:
        return f"t{self.token('tag', tag)}"
