"""Small loopback HTTP servers (fault proxy, token server) running on a background thread."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def serve_in_background(host: str, handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    """Bind a free port on `host` and serve on a daemon thread; `stop_server` ends it."""
    server = ThreadingHTTPServer((host, 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    return server


def stop_server(server: ThreadingHTTPServer | None) -> None:
    if server is not None:
        server.shutdown()
        server.server_close()
