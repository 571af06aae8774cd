"""A real TLS terminator in front of a plain registry, for TLS setups distribution cannot be configured into.

OpenSSL (through pyOpenSSL) terminates TLS on a loopback port and relays the
bytes to the registry's plain HTTP port, as nginx or a load balancer would:
TLS 1.2 only (no TLS 1.3), or client certificates requested but accepted from
any CA (nginx's `ssl_verify_client optional_no_ca`, made mandatory). One
thread per connection, bounded by timeouts; everything stops on exit.
"""

from __future__ import annotations

import select
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from OpenSSL import SSL

from regsuite.tlsprobe import drive

IDLE = 30.0  # seconds a relayed connection may stay silent


@dataclass(frozen=True)
class Terminator:
    certificate: Path  # the chain to serve, leaf first
    key: Path
    max_version: int | None = None  # e.g. SSL.TLS1_2_VERSION
    min_version: int | None = None
    ciphers: str | None = None  # OpenSSL's TLS 1.2 cipher string
    any_client_cert: bool = False  # require a client certificate, but accept one from any CA

    def context(self) -> SSL.Context:
        ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
        ctx.use_certificate_chain_file(str(self.certificate))
        ctx.use_privatekey_file(str(self.key))
        if self.min_version:
            ctx.set_min_proto_version(self.min_version)
        if self.max_version:
            ctx.set_max_proto_version(self.max_version)
        if self.ciphers:
            ctx.set_cipher_list(self.ciphers.encode())
        if self.any_client_cert:
            ctx.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT, lambda *args: True)
        return ctx


def _relay(conn: SSL.Connection, raw: socket.socket, upstream: socket.socket) -> None:
    """Bytes both ways until either side closes or stays silent for IDLE seconds."""
    while True:
        if not conn.pending():
            readable, _, _ = select.select([raw, upstream], [], [], IDLE)
            if not readable:
                return
        else:
            readable = [raw]
        if raw in readable:
            try:
                data = conn.recv(65536)
            except SSL.WantReadError:
                continue
            except (SSL.ZeroReturnError, SSL.Error, OSError):
                return
            if not data:
                return
            upstream.sendall(data)
        if upstream in readable:
            data = upstream.recv(65536)
            if not data:
                return
            conn.sendall(data)


def _serve(raw: socket.socket, ctx: SSL.Context, upstream_address: tuple[str, int]) -> None:
    raw.setblocking(False)
    conn = SSL.Connection(ctx, raw)
    conn.set_accept_state()
    try:
        drive(conn.do_handshake, raw, time.monotonic() + IDLE)
        raw.setblocking(True)  # the relay waits in select, then reads whole records
        with socket.create_connection(upstream_address, timeout=IDLE) as upstream:
            _relay(conn, raw, upstream)
    except (SSL.Error, OSError):
        pass
    finally:
        try:
            conn.shutdown()
        except (SSL.Error, OSError):
            pass
        raw.close()


@contextmanager
def accepting(handle: Callable[[socket.socket], None]) -> Iterator[int]:
    """A loopback port whose every connection `handle` serves on its own daemon thread; yields the port."""

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            handle(self.request)

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=2)


@contextmanager
def terminating(terminator: Terminator, upstream_url: str) -> Iterator[str]:
    """Serve `terminator` on a loopback port in front of `upstream_url` (plain HTTP); yields the https:// URL."""
    parts = urlsplit(upstream_url)
    upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
    ctx = terminator.context()
    with accepting(lambda raw: _serve(raw, ctx, upstream)) as port:
        yield f"https://127.0.0.1:{port}"
