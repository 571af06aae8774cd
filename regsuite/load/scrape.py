"""Scrapes Prometheus metrics endpoints while a load run goes on (the figures: regsuite.load.server).

One thread per endpoint sends `GET` every `interval` seconds with a short
timeout, so a slow or dead endpoint delays nothing else; it never sends
anything but GET. An endpoint that cannot be read is remembered with one line
saying why, and the run goes on without it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from urllib.parse import urlsplit

import httpx

from ..errors import UsageError
from ..redact import redact_text
from .server import Scrape, ServerSide, parse_scrape, server_side

INTERVAL = 1.0  # seconds between scrapes of one endpoint
TIMEOUT = 2.0  # seconds for one scrape (connect and read)
_MAX_BYTES = 8 << 20  # an exposition larger than this is not a registry's metrics


def validate_metrics_urls(urls: Sequence[str]) -> tuple[str, ...]:
    """--metrics-url values checked for form (http or https, a host, no credentials); a usage error names the
    bad one."""
    for url in urls:
        parts = urlsplit(url)
        if "@" in parts.netloc:  # not echoed: it holds a password
            raise UsageError("a --metrics-url carries credentials (user:password@host); give the URL without them")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(f"--metrics-url {url!r}: give http(s)://host:port/path, e.g. "
                             "http://registry:5001/metrics")
    return tuple(urls)


class _Endpoint:
    def __init__(self, url: str, interval: float, timeout: float, stop: threading.Event) -> None:
        self.url = url
        self.interval = interval
        self.timeout = timeout
        self.stop = stop
        self.scrapes: list[Scrape] = []
        self.error: str | None = None
        self.thread = threading.Thread(target=self._run, name="regsuite-metrics", daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout, follow_redirects=False, trust_env=False) as client:
            while not self.stop.is_set():
                began = time.monotonic()
                self._scrape(client)
                self.stop.wait(max(self.interval - (time.monotonic() - began), 0.05))

    def _scrape(self, client: httpx.Client) -> None:
        try:
            response = client.get(self.url, headers={"Accept": "text/plain;version=0.0.4"})
            if response.status_code != 200:
                raise ValueError(f"answered {response.status_code}, not 200")
            if len(response.content) > _MAX_BYTES:
                raise ValueError(f"answered {len(response.content)} bytes, too many for metrics")
            self.scrapes.append(parse_scrape(response.text, time.time()))
            self.error = None
        except httpx.HTTPError as exc:
            self._failed(f"unreachable ({type(exc).__name__}: {exc or 'no detail'})")
        except ValueError as exc:
            self._failed(f"not Prometheus text exposition ({exc})")

    def _failed(self, why: str) -> None:
        if not self.scrapes:  # once it answered, a later miss is only a gap
            self.error = redact_text(why)


class MetricsScraper:
    """Started before a run's load, stopped after it; `result` turns what it read into figures."""

    def __init__(self, urls: Sequence[str], interval: float = INTERVAL, timeout: float = TIMEOUT) -> None:
        self._stop = threading.Event()
        self.endpoints = [_Endpoint(url, interval, timeout, self._stop) for url in urls]

    def start(self) -> MetricsScraper:
        for endpoint in self.endpoints:
            endpoint.thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for endpoint in self.endpoints:
            endpoint.thread.join(timeout=TIMEOUT + 1)

    def result(self, start: float, end: float) -> ServerSide:
        """The figures between `start` and `end` (unix times), once stopped."""
        return server_side({e.url: list(e.scrapes) for e in self.endpoints},
                           {e.url: e.error for e in self.endpoints if e.error}, start, end)
