"""Judging one answer: what was sent, what came back, what the spec wants, in one sentence.

The one vocabulary of every area's failure messages: `sent` (the request),
`answered` (status and the headers that matter), `describe` (the whole
exchange in one line, with a body excerpt), `expect`/`require_header` (a
failed expectation raises `Violation`, an AssertionError, so a check reports
it as failed). Order rules for lists live beside it in order.py.
"""

from __future__ import annotations

import httpx

BODY_SHOWN = 300  # characters of a body a message quotes


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


def excerpt(response: httpx.Response) -> str:
    """The start of a response body as text ("" for HEAD)."""
    if response.request.method == "HEAD":
        return ""
    text = response.content[:BODY_SHOWN].decode(errors="replace").strip()
    return text + ("..." if len(response.content) > BODY_SHOWN else "")


def describe(response: httpx.Response) -> str:
    """`METHOD path -> status (content-type) body-excerpt`: one exchange in one line."""
    request = response.request
    target = request.url.raw_path.decode(errors="replace")
    ctype = response.headers.get("content-type")
    text = f"{request.method} {target} -> {response.status_code}"
    if ctype:
        text += f" ({ctype})"
    body = excerpt(response)
    return f"{text} {body}" if body else text
