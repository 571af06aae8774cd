"""Waiting for a registry to answer on /v2/, and telling whether the answer came from ours."""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable

import httpx
import psutil


def _tls_server_answered(exc: BaseException) -> bool:
    """True when the failure came from a TLS peer (an alert, a refused client certificate).

    A registry that requires client certificates (mTLS) refuses our anonymous
    handshake: that refusal already proves it is up.
    """
    seen: BaseException | None = exc
    for _ in range(10):  # the cause chain is short; bounded anyway
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLError) and not isinstance(seen, ssl.SSLEOFError):
            return "alert" in str(seen).lower() or "certificate required" in str(seen).lower()
        seen = seen.__cause__ or seen.__context__
    return False


def wait_ready(url: str, *, timeout: float = 15.0, alive: Callable[[], bool] = lambda: True) -> bool:
    """Poll `url`/v2/ until it answers (200, 401 or an mTLS refusal), the deadline passes or `alive()` fails."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    deadline = time.monotonic() + timeout
    delay = 0.02
    with httpx.Client(verify=ctx, timeout=2.0, trust_env=False) as client:  # loopback: no proxy, env unread
        while time.monotonic() < deadline:
            if not alive():
                return False
            try:
                response = client.get(f"{url}/v2/")
                if response.status_code in (200, 401):
                    return True
            except (httpx.TransportError, ssl.SSLError) as exc:
                if _tls_server_answered(exc):
                    return True
            except Exception:  # noqa: BLE001 - anything else also means "not yet"
                pass
            time.sleep(delay)
            delay = min(delay * 1.5, 0.25)
    return False


def listens_on(pid: int, port: int) -> bool | None:
    """Whether process `pid` has a listening socket on `port`; None when we may not look."""
    try:
        process = psutil.Process(pid)
        connections = getattr(process, "net_connections", None) or process.connections  # psutil < 6
        return any(c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port for c in connections("inet"))
    except psutil.Error:
        return None
