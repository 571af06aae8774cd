"""Reading a streamed blob body fast: straight from the socket into one reused buffer.

geventhttpclient hands a body out through its HTTP parser: every block is
received, fed to the parser, appended to a buffer, copied out and deleted
from it, so a byte is copied three or four times and a 64 MiB pull costs more
generator CPU than the registry spends serving it. When the body's length is
known (Content-Length, no chunked coding), what follows the headers on the
connection is exactly the body: `drain` receives it into a reused 1 MiB
buffer (one copy, from the kernel) and hands the connection back to the pool
at the message boundary. Anything else goes through the parser as before.
"""

from __future__ import annotations

import hashlib
from typing import Any

CHUNK = 1 << 20
PARSED_READ = 64 << 10  # the parser's way: 64 KiB beat 256 KiB and 1 MiB (it copies its buffer per read)
# One per process, shared by the greenlets: a greenlet may wait inside recv_into, but between the
# bytes landing in the buffer and the hash update it never yields, so no other read overwrites them.
_BUFFER = bytearray(CHUNK)


class BodyError(Exception):
    """The body ended early or the connection failed while reading it."""


def drain(response: Any, expected: int, hasher: hashlib._Hash | None = None) -> int:
    """Read a streamed response body to its end; the bytes read (each also fed to `hasher`)."""
    raw = getattr(response, "_response", None)  # locust's response wraps geventhttpclient's
    length = response.headers.get("content-length") if response.headers else None
    chunked = "chunked" in (response.headers.get("transfer-encoding") or "").lower() if response.headers else True
    if chunked or length is None or not length.isdigit() or not _direct_possible(raw):
        return _through_parser(response, expected, hasher)
    pending = bytes(raw._body_buffer)  # what arrived with the headers
    del raw._body_buffer[:]
    total = len(pending)
    if hasher and pending:
        hasher.update(pending)
    remaining = int(length) - total
    sock, view = raw._sock, memoryview(_BUFFER)
    try:
        while remaining > 0:
            n = sock.recv_into(view, min(CHUNK, remaining))
            if not n:
                raise BodyError(f"the connection closed after {total} bytes")
            if hasher:
                hasher.update(view[:n])
            total += n
            remaining -= n
    except BaseException:
        sock.close()  # mid-body: the connection can never be reused
        raw._sock = None
        raise
    raw.release()  # at the message boundary: back to the pool (or closed when the server said so)
    return total


def _direct_possible(raw: Any) -> bool:
    """geventhttpclient's response still holds the connection mid-body (the parts this module relies on)."""
    return (raw is not None and getattr(raw, "_sock", None) is not None and not getattr(raw, "message_complete", True)
            and isinstance(getattr(raw, "_body_buffer", None), bytearray))


def _through_parser(response: Any, expected: int, hasher: hashlib._Hash | None) -> int:
    total = 0
    for _ in range(expected // PARSED_READ + 2):
        chunk = response.read(PARSED_READ)
        if not chunk:
            break
        total += len(chunk)
        if hasher:
            hasher.update(chunk)
    return total
