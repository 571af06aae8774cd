"""A redacted record of every HTTP exchange, for reports and failure messages."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from .redact import BINARY, redact_body, redact_headers, redact_url

BODY_EXCERPT = 1024


@dataclass
class Exchange:
    method: str
    url: str
    request_headers: list[tuple[str, str]]
    request_body: str
    started: float = field(default_factory=time.monotonic)
    status: int | None = None
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None
    elapsed_ms: float | None = None
    _response: httpx.Response | None = field(default=None, repr=False)
    _response_body: str | None = None

    @property
    def response_body(self) -> str:
        if self._response_body is None and self._response is not None:
            content = getattr(self._response, "_content", None)
            if content is None:
                return "<body not read>"
            ctype = self._response.headers.get("content-type", "")
            self._response_body = _excerpt(redact_body(content[: BODY_EXCERPT * 4], ctype), len(content))
            self._response = None
        return self._response_body or ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "url": self.url,
            "request_headers": self.request_headers,
            "request_body": self.request_body,
            "status": self.status,
            "response_headers": self.response_headers,
            "response_body": self.response_body,
            "error": self.error,
            "elapsed_ms": None if self.elapsed_ms is None else round(self.elapsed_ms, 2),
        }

    def render(self) -> str:
        lines = [f"> {self.method} {self.url}"]
        lines += [f"> {k}: {v}" for k, v in self.request_headers]
        if self.request_body:
            lines += ["> ", *(f"> {line}" for line in self.request_body.splitlines())]
        if self.error:
            lines.append(f"! {self.error}")
        else:
            lines.append(f"< {self.status}")
            lines += [f"< {k}: {v}" for k, v in self.response_headers]
            body = self.response_body
            if body:
                lines += ["< ", *(f"< {line}" for line in body.splitlines())]
        return "\n".join(lines)


def _excerpt(text: str, total: int) -> str:
    if text == BINARY:
        return f"<binary data, {total} bytes>"
    if len(text) > BODY_EXCERPT:
        return text[:BODY_EXCERPT] + f"... ({total} bytes)"
    return text


class Transcript:
    """The exchanges of one check (or one run), in order."""

    def __init__(self, limit: int = 200) -> None:
        self.exchanges: list[Exchange] = []
        self.limit = limit  # keep the last `limit` exchanges: the failing step is near the end

    def clear(self) -> None:
        self.exchanges.clear()

    def on_request(self, request: httpx.Request) -> None:
        try:
            raw = request.content
        except httpx.RequestNotRead:
            raw = b"<streamed body>"
        body = redact_body(raw[: BODY_EXCERPT * 4], request.headers.get("content-type", ""))
        exchange = Exchange(
            request.method,
            redact_url(str(request.url)),
            redact_headers(request.headers.multi_items()),
            _excerpt(body, len(raw)) if raw else "",
        )
        request.extensions["regsuite_exchange"] = exchange
        self.exchanges.append(exchange)
        if len(self.exchanges) > self.limit:
            del self.exchanges[0]

    def on_response(self, response: httpx.Response) -> None:
        exchange = response.request.extensions.get("regsuite_exchange")
        if exchange is None:
            return
        exchange.status = response.status_code
        exchange.response_headers = redact_headers(response.headers.multi_items())
        exchange.elapsed_ms = (time.monotonic() - exchange.started) * 1000
        exchange._response = response

    def on_error(self, request: httpx.Request, error: BaseException) -> None:
        exchange = request.extensions.get("regsuite_exchange")
        if exchange is not None:
            exchange.error = f"{type(error).__name__}: {error}"

    def show(self, exchanges: list[Exchange]) -> None:
        """Put exchanges made elsewhere (another thread, another client) first in this transcript, once."""
        present = {id(e) for e in self.exchanges}
        self.exchanges[:0] = [e for e in exchanges if id(e) not in present]

    def render(self, last: int | None = None) -> str:
        items = self.exchanges if last is None else self.exchanges[-last:]
        return "\n\n".join(e.render() for e in items)

    def to_list(self) -> list[dict[str, Any]]:
        return [e.to_dict() for e in self.exchanges]


class ThreadTranscripts(Transcript):
    """Where clients shared by checks running side by side record: into the transcript the current thread named
    (`to`), else into `fallback`. Each check's exchanges land in its own transcript, whichever thread runs it."""

    def __init__(self, fallback: Transcript) -> None:
        super().__init__()
        self._fallback = fallback
        self._local = threading.local()

    def current(self) -> Transcript:
        named: Transcript | None = getattr(self._local, "transcript", None)
        return named if named is not None else self._fallback

    @contextmanager
    def to(self, transcript: Transcript) -> Iterator[None]:
        """While in this block, this thread's exchanges go to `transcript`."""
        previous = getattr(self._local, "transcript", None)
        self._local.transcript = transcript
        try:
            yield
        finally:
            self._local.transcript = previous

    def on_request(self, request: httpx.Request) -> None:
        self.current().on_request(request)

    def on_response(self, response: httpx.Response) -> None:
        self.current().on_response(response)

    def on_error(self, request: httpx.Request, error: BaseException) -> None:
        self.current().on_error(request, error)
