"""Waiting for a registry to answer on /v2/."""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable

import httpx


def wait_ready(url: str, *, timeout: float = 15.0, alive: Callable[[], bool] = lambda: True) -> bool:
    """Poll `url`/v2/ until any HTTP answer (200 or 401) comes, the deadline passes, or `alive()` is false."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    deadline = time.monotonic() + timeout
    delay = 0.02
    with httpx.Client(verify=ctx, timeout=2.0) as client:
        while time.monotonic() < deadline:
            if not alive():
                return False
            try:
                response = client.get(f"{url}/v2/")
                if response.status_code in (200, 401):
                    return True
            except (httpx.TransportError, ssl.SSLError):
                # Client-cert (mTLS) registries refuse an anonymous handshake: the port answering is enough.
                pass
            except Exception:  # noqa: BLE001 - anything else also means "not yet"
                pass
            time.sleep(delay)
            delay = min(delay * 1.5, 0.25)
    return False
