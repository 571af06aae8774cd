"""Small loopback HTTP servers (fault proxy, token server) running on a background thread."""

from __future__ import annotations

import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def serve_in_background(
    host: str, handler: type[BaseHTTPRequestHandler], tls: ssl.SSLContext | None = None
) -> ThreadingHTTPServer:
    """Bind a free port on `host` and serve on a daemon thread (over TLS with `tls`); `stop_server` ends it."""
    server = ThreadingHTTPServer((host, 0), handler)
    if tls is not None:
        # The handshake happens on the first read, in the request's own thread, not in the accepting one.
        server.socket = tls.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    return server


def stop_server(server: ThreadingHTTPServer | None) -> None:
    if server is not None:
        server.shutdown()
        server.server_close()
