"""Judging one answer: what was sent, what came back, what the spec wants, in one sentence.

Shared by the checks of every area that judges single responses; a failed
expectation raises `Violation` (an AssertionError, so a check reports it as failed).
"""

from __future__ import annotations

import httpx


class Violation(AssertionError):
    """The registry answered something the spec does not allow at this step."""


def sent(response: httpx.Response) -> str:
    """`METHOD /path?query` of the request behind a response, long opaque values (upload state) shortened."""
    url = response.request.url
    params = [f"{k}={v if len(v) <= 80 else v[:12] + '...'}" for k, v in url.params.multi_items()]
    return f"{response.request.method} {url.path}" + (f"?{'&'.join(params)}" if params else "")


def answered(response: httpx.Response, *headers: str) -> str:
    shown = [f"{h}: {response.headers[h]}" for h in headers if h in response.headers]
    missing = [h for h in headers if h not in response.headers]
    parts = [str(response.status_code)]
    if shown:
        parts.append("(" + ", ".join(shown) + ")")
    if missing:
        parts.append("without " + ", ".join(missing))
    return " ".join(parts)


def expect(response: httpx.Response, statuses: tuple[int, ...], wants: str, spec: str, *headers: str) -> None:
    if response.status_code not in statuses:
        raise Violation(f"{sent(response)} answered {answered(response, *headers)}; the spec wants {wants} ({spec})")


def require_header(response: httpx.Response, header: str, wants: str, spec: str) -> str:
    value = response.headers.get(header)
    if not value:
        raise Violation(
            f"{sent(response)} answered {response.status_code} without a {header} header; "
            f"the spec wants {wants} ({spec})"
        )
    return value
