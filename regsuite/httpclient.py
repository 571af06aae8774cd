"""Making an httpx client from any thread while pytest runs checks ahead.

httpx reads the proxy variables by iterating `os.environ` when a client is
made. pytest sets and removes PYTEST_CURRENT_TEST around every check on the
main thread, so a client made by a check running ahead can meet a key that
vanished mid-iteration (KeyError). Making it again reads a settled
environment; the proxies a user set are still honoured.
"""

from __future__ import annotations

from typing import Any

import httpx

ATTEMPTS = 5


def http_client(**kwargs: Any) -> httpx.Client:
    """`httpx.Client(**kwargs)`, made again when the environment changed while httpx read it."""
    for _ in range(ATTEMPTS - 1):
        try:
            return httpx.Client(**kwargs)
        except KeyError:
            continue
    return httpx.Client(**kwargs)
