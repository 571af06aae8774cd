"""Push content for load runs: a distinct blob per push without hashing it again.

Each size class holds one incompressible base buffer (`content.random_bytes`,
generated once) and the sha256 state after hashing it. A push appends a short
unique suffix, so its digest costs one `hash.copy()` plus 32 bytes of
hashing: no greenlet ever hashes a large buffer while the load runs, yet every
pushed blob is new to the registry and gets stored for real.
"""

from __future__ import annotations

import hashlib
import itertools
import os
from dataclasses import dataclass
from typing import Protocol

from ..content import random_bytes

READ_SIZE = 1 << 20  # bodies leave in 1 MiB slices, never copied whole


class Sliced(Protocol):
    """Blob content a body is read from in slices: `slice(start, end)` gives bytes from `start`, at most up to
    `end` and never empty before it (fewer when the content is not contiguous there)."""

    @property
    def size(self) -> int: ...

    def slice(self, start: int, end: int) -> memoryview | bytes: ...


@dataclass(frozen=True)
class UniqueBlob:
    digest: str
    size: int
    base: memoryview
    suffix: bytes

    def body(self, start: int = 0, length: int | None = None) -> SlicedBody:
        """The bytes [start, start+length) as a request body."""
        end = self.size if length is None else start + length
        return SlicedBody(self, start, end)

    def slice(self, start: int, end: int) -> memoryview | bytes:
        base_len = len(self.base)
        if start < base_len:
            return self.base[start : min(end, base_len)]
        return self.suffix[start - base_len : end - base_len]


class SlicedBody:
    """A file-like request body that hands out slices of a blob's content without copying.

    geventhttpclient sends a non-bytes body with `socket.sendfile`, which calls
    `read()` until it gets nothing; `__len__` keeps the request on Content-Length
    instead of chunked transfer coding.
    """

    mode = "rb"

    def __init__(self, blob: Sliced, start: int, end: int) -> None:
        self.blob, self.start, self.end, self.pos = blob, start, end, start

    def __len__(self) -> int:
        return self.end - self.start

    def read(self, _hint: int = -1) -> memoryview | bytes:
        if self.pos >= self.end:
            return b""
        data = self.blob.slice(self.pos, min(self.end, self.pos + READ_SIZE))
        self.pos += len(data)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = self.start + offset if whence == 0 else self.pos + offset
        return self.pos - self.start

    def tell(self) -> int:
        return self.pos - self.start


class UniqueBlobs:
    """Distinct blobs of one size: a shared base plus a 32-byte suffix unique to this process."""

    SUFFIX = 32

    def __init__(self, seed: str, size: int) -> None:
        base_size = max(size - self.SUFFIX, 0)
        self.size = base_size + self.SUFFIX
        self.base = memoryview(random_bytes(seed, base_size))
        self._state = hashlib.sha256(self.base)
        self._tag = os.urandom(8).hex()  # keeps processes of a distributed run apart
        self._counter = itertools.count()

    def next(self) -> UniqueBlob:
        suffix = f"{self._tag}{next(self._counter):016x}".encode()
        state = self._state.copy()
        state.update(suffix)
        return UniqueBlob(f"sha256:{state.hexdigest()}", self.size, self.base, suffix)
