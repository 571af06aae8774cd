"""A fault-injecting reverse proxy for self-tests: a real registry, broken on purpose.

`FaultProxy(upstream)` listens on a free loopback port and forwards every
request to the upstream registry. Each `Mutation` matches requests (method,
path pattern, predicate) and changes exactly one thing: a status, a header,
a body, a delay, or an answer given without asking upstream. Location and
Link headers are rewritten so clients keep talking through the proxy.

Self-tests prove that a check can fail: run it through a proxy whose single
mutation breaks the rule the check enforces, and see it fail. `throttle` makes
a registry shed load as hosted ones do: some requests refused with a 429 (or
a 503) and never forwarded.
"""

from __future__ import annotations

import json
import re
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from ..serving import serve_in_background, stop_server

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "host",
}


@dataclass
class ProxyRequest:
    method: str
    path: str  # path and query, as sent
    headers: dict[str, str]  # lower-cased names
    body: bytes


@dataclass
class ProxyResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def set_header(self, name: str, value: str | None) -> None:
        self.headers = [(k, v) for k, v in self.headers if k.lower() != name.lower()]
        if value is not None:
            self.headers.append((name, value))


@dataclass
class Mutation:
    """One planted fault. Matching fields are ANDed; changes apply in the order listed."""

    name: str
    method: str | None = None
    path: str | None = None  # regex searched in path+query
    when: Callable[[ProxyRequest], bool] | None = None
    times: int | None = None  # apply at most this many times
    # request side (before forwarding)
    request_headers: dict[str, str | None] = field(default_factory=dict)  # None drops
    request_body: Callable[[bytes], bytes] | None = None
    request: Callable[[ProxyRequest], ProxyRequest] | None = None  # anything else on the request side
    respond: tuple[int, dict[str, str], bytes] | None = None  # answer without forwarding
    delay: float | Callable[[int], float] = 0.0  # seconds, or f(requests in flight)
    # response side
    status: int | None = None
    drop_headers: tuple[str, ...] = ()
    set_headers: dict[str, str] = field(default_factory=dict)
    body: Callable[[bytes], bytes] | None = None
    json: Callable[[Any], Any] | None = None
    response: Callable[[ProxyRequest, ProxyResponse], ProxyResponse] | None = None  # anything else
    hits: int = 0

    def matches(self, request: ProxyRequest) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if self.method and request.method != self.method.upper():
            return False
        if self.path and not re.search(self.path, request.path):
            return False
        return self.when is None or bool(self.when(request))


class FaultProxy:
    """Context manager: `with FaultProxy(url, [Mutation(...)]) as proxy: proxy.url`."""

    def __init__(
        self,
        upstream: str,
        mutations: list[Mutation] | None = None,
        *,
        host: str = "127.0.0.1",
        verify: Any = True,
        timeout: float = 30.0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.mutations = list(mutations or [])
        self.host = host
        self.tls = tls  # serve HTTPS with this server context (a TLS registry stays TLS behind the proxy)
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request received
        self.in_flight = 0
        self.peak_in_flight = 0
        self._lock = threading.Lock()
        self._client = httpx.Client(
            verify=verify,
            timeout=timeout,
            follow_redirects=False,
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=200),
        )
        self._server: ThreadingHTTPServer | None = None
        self.url = ""

    # -- lifecycle ------------------------------------------------------------

    def start(self) -> FaultProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as separate writes

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep stderr quiet
                pass

            def _handle(self) -> None:
                proxy._serve(self)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _handle

        self._server = serve_in_background(self.host, Handler, self.tls)
        scheme = "https" if self.tls else "http"
        self.url = f"{scheme}://{self.host}:{self._server.server_address[1]}"
        return self

    def stop(self) -> None:
        stop_server(self._server)
        self._server = None
        self._client.close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- introspection --------------------------------------------------------

    def methods(self) -> Counter[str]:
        with self._lock:
            return Counter(m for m, _ in self.requests)

    def hits(self) -> dict[str, int]:
        return {m.name: m.hits for m in self.mutations}

    # -- the proxying ---------------------------------------------------------

    def _read_body(self, handler: BaseHTTPRequestHandler) -> bytes:
        if handler.headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    handler.rfile.readline()
                    break
                chunks.append(handler.rfile.read(size))
                handler.rfile.readline()
            return b"".join(chunks)
        length = int(handler.headers.get("content-length") or 0)
        return handler.rfile.read(length) if length else b""

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        request = ProxyRequest(
            handler.command, handler.path, _joined(handler.headers.items()), self._read_body(handler)
        )
        with self._lock:
            self.requests.append((request.method, request.path))
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            active = [m for m in self.mutations if m.matches(request)]
            for m in active:
                m.hits += 1
            in_flight = self.in_flight
        try:
            response = self._exchange(request, active, in_flight)
        finally:
            with self._lock:
                self.in_flight -= 1
        self._reply(handler, request, response)

    def _exchange(self, request: ProxyRequest, active: list[Mutation], in_flight: int) -> ProxyResponse:
        for m in active:
            delay = m.delay(in_flight) if callable(m.delay) else m.delay
            if delay:
                time.sleep(delay)
            for name, value in m.request_headers.items():
                if value is None:
                    request.headers.pop(name.lower(), None)
                else:
                    request.headers[name.lower()] = value
            if m.request_body is not None:
                request.body = m.request_body(request.body)
            if m.request is not None:
                request = m.request(request)
        canned = next((m.respond for m in active if m.respond is not None), None)
        if canned is not None:
            status, headers, body = canned
            response = ProxyResponse(status, list(headers.items()), body)
        else:
            response = self._forward(request)
        for m in active:
            response = self._mutate(m, request, response)
        return response

    def _forward(self, request: ProxyRequest) -> ProxyResponse:
        headers = {k: v for k, v in request.headers.items() if k not in HOP_BY_HOP}
        url = self.upstream + request.path
        try:
            upstream = self._client.request(request.method, url, headers=headers, content=request.body)
        except httpx.HTTPError as exc:
            return ProxyResponse(502, [("Content-Type", "text/plain")], f"fault proxy: upstream failed: {exc}".encode())
        out_headers = [
            (k, v) for k, v in upstream.headers.multi_items() if k.lower() not in HOP_BY_HOP - {"content-length"}
        ]
        out_headers = [(k, self._rewrite(v) if k.lower() in ("location", "link") else v) for k, v in out_headers]
        if request.method != "HEAD":
            out_headers = [(k, v) for k, v in out_headers if k.lower() != "content-length"]
        # httpx decodes gzip; the body we pass on is the decoded one
        out_headers = [(k, v) for k, v in out_headers if k.lower() != "content-encoding"]
        return ProxyResponse(upstream.status_code, out_headers, upstream.content)

    def _rewrite(self, value: str) -> str:
        return value.replace(self.upstream, self.url)

    def _mutate(self, m: Mutation, request: ProxyRequest, response: ProxyResponse) -> ProxyResponse:
        if m.status is not None:
            response.status = m.status
        for name in m.drop_headers:
            response.set_header(name, None)
        for name, value in m.set_headers.items():
            response.set_header(name, value)
        if m.body is not None:
            response.body = m.body(response.body)
        if m.json is not None:
            try:
                response.body = json.dumps(m.json(json.loads(response.body))).encode()
            except ValueError:
                pass
        if m.response is not None:
            response = m.response(request, response)
        return response

    def _reply(self, handler: BaseHTTPRequestHandler, request: ProxyRequest, response: ProxyResponse) -> None:
        # A mutation that sets Transfer-Encoding: chunked gets the body streamed without a Content-Length.
        chunked = (response.header("Transfer-Encoding") or "").lower() == "chunked"
        try:
            handler.send_response_only(response.status)
            has_length = False
            for k, v in response.headers:
                if k.lower() == "content-length":
                    has_length = True
                    if chunked:
                        continue
                handler.send_header(k, v)
            if not has_length and not chunked:
                handler.send_header("Content-Length", str(len(response.body)))
            handler.end_headers()
            if request.method != "HEAD" and response.status not in (204, 304):
                if chunked:
                    if response.body:
                        handler.wfile.write(b"%x\r\n%s\r\n" % (len(response.body), response.body))
                    handler.wfile.write(b"0\r\n\r\n")
                elif response.body:
                    handler.wfile.write(response.body)
            handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True


def throttle(name: str, *, every: int = 0, burst: tuple[float, float] | None = None, status: int = 429,
             retry_after: str | None = "1", method: str | None = None, path: str | None = None) -> Mutation:
    """Refuse requests for load without forwarding them (a refused request was not processed, RFC 6585 4).

    `every`: each `every`-th matching request; `burst`: (period, length) seconds, every request in the first
    `length` seconds of each `period` (counted from the first matching request), as a limiter refusing everything
    for a while. A 429 carries a TOOMANYREQUESTS body; `retry_after` None sends no Retry-After.
    """
    seen = [0]
    started: list[float] = []
    lock = threading.Lock()

    def when(_: ProxyRequest) -> bool:
        with lock:
            seen[0] += 1
            now = time.monotonic()
            if not started:
                started.append(now)
            if burst is not None and (now - started[0]) % burst[0] < burst[1]:
                return True
            return bool(every) and seen[0] % every == 0

    if status == 429:
        ctype, body = "application/json", json.dumps({"errors": [{"code": "TOOMANYREQUESTS",
                                                                  "message": "too many requests"}]}).encode()
    else:
        ctype, body = "text/html", b"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"
    headers = {"Content-Type": ctype, **({"Retry-After": retry_after} if retry_after else {})}
    return Mutation(name, method=method, path=path, when=when, respond=(status, headers, body))


def _joined(items: list[tuple[str, str]]) -> dict[str, str]:
    """Request headers by lower-cased name; repeated ones (docker and skopeo send several Accept) joined with ", "."""
    headers: dict[str, str] = {}
    for name, value in items:
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers
