"""Synthetic content for a replay: blobs of the recorded sizes and small manifests, nothing of the log's.

A blob of the log becomes a synthetic blob of the same size: the first `size - 32` bytes of one
endless stream (a 64 KiB block of incompressible bytes, repeated) followed by 32 bytes standing for
the original digest under the run's key (regsuite.replay.names). Its digest is cheap to know: the
sha256 state of the stream is kept at every 256 KiB, so a digest costs at most 256 KiB of hashing
whatever the size. The parent process works out digests while it writes the schedule; a generator
process only sends bodies (slices of the stream, never copied whole) under the digest it is given.

A manifest is an OCI image manifest whose config is the two-byte `{}` blob, padded with an
annotation to the size the log recorded for it.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

from .. import mediatypes as mt
from ..content import Blob, canonical_json, random_bytes
from ..load.blobs import READ_SIZE, SlicedBody

PERIOD = 64 << 10  # the stream repeats this block
CHECKPOINT = 256 << 10  # a sha256 state is kept at every multiple of this
TAG = 32  # bytes at the end of a blob that make it unique
_BLOCK = random_bytes("replay-stream", PERIOD)
# One contiguous stretch longer than a read: any READ_SIZE slice starting inside the block is in it.
_STRETCH = memoryview(_BLOCK * (READ_SIZE // PERIOD + 1))
CONFIG = Blob(b"{}", mt.OCI_CONFIG)  # the config of every synthetic manifest


class _States:
    """sha256 states of the stream at each CHECKPOINT, extended as larger blobs come (once per process)."""

    def __init__(self) -> None:
        self.states = [hashlib.sha256()]
        self.lock = threading.Lock()
        self.step = _BLOCK * (CHECKPOINT // PERIOD)

    def at(self, index: int) -> hashlib._Hash:
        with self.lock:
            while len(self.states) <= index:
                state = self.states[-1].copy()
                state.update(self.step)
                self.states.append(state)
            return self.states[index].copy()


_STATES = _States()


@dataclass(frozen=True)
class SyntheticBlob:
    """A blob of the stream: `digest` and `size` as a flows.Source, bodies as slices."""

    digest: str
    size: int
    tag: bytes  # TAG bytes (fewer in a blob smaller than TAG)

    @property
    def stream_bytes(self) -> int:
        return max(self.size - TAG, 0)

    def body(self, start: int = 0, length: int | None = None) -> SlicedBody:
        end = self.size if length is None else start + length
        return SlicedBody(self, start, end)

    def slice(self, start: int, end: int) -> memoryview | bytes:
        n = self.stream_bytes
        if start < n:
            offset = start % PERIOD
            return _STRETCH[offset : offset + min(end, n) - start]
        return self.tag[start - n : end - n]

    def bytes(self, start: int = 0, length: int | None = None) -> bytes:
        """The bytes [start, start+length) in one piece (seeding over httpx)."""
        end = self.size if length is None else start + length
        out = bytearray()
        while start < end:
            piece = self.slice(start, end)
            out += piece
            start += len(piece)
        return bytes(out)


def blob(tag: bytes, size: int) -> SyntheticBlob:
    """The synthetic blob of `size` bytes ending in `tag`, its digest worked out from the kept states."""
    suffix = tag[:TAG] if size >= TAG else tag[:size]
    n = max(size - TAG, 0)
    state = _STATES.at(n // CHECKPOINT)
    rest = n % CHECKPOINT
    state.update(_STRETCH[:rest])  # checkpoints fall on block boundaries: the stream goes on from the block's start
    state.update(suffix)
    return SyntheticBlob(f"sha256:{state.hexdigest()}", size, suffix)


class Bytes:
    """A synthetic blob whose bodies are bytes: what the httpx client (seeding) sends."""

    def __init__(self, synthetic: SyntheticBlob) -> None:
        self.synthetic = synthetic
        self.digest = synthetic.digest
        self.size = synthetic.size

    def body(self, start: int = 0, length: int | None = None) -> bytes:
        return self.synthetic.bytes(start, length)


def manifest(label: str, size: int = 0) -> bytes:
    """An OCI image manifest standing for `label` (a token, never a name of the log), `size` bytes when it can be."""

    def body(padding: str) -> bytes:
        annotations = {"org.regsuite.replay": label}
        if padding:
            annotations["org.regsuite.replay.padding"] = padding
        return canonical_json({"schemaVersion": 2, "mediaType": mt.OCI_MANIFEST, "config": CONFIG.descriptor(),
                               "layers": [], "annotations": annotations})

    plain = body("")
    if size <= len(plain):
        return plain
    # The padding's own key adds characters: grow it until the body is exactly `size` bytes.
    fill = size - len(body("x")) + 1
    return body("x" * fill) if fill > 0 else plain


def manifest_digest(body: bytes) -> str:
    return f"sha256:{hashlib.sha256(body).hexdigest()}"
