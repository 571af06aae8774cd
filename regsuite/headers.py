"""Response headers the spec constrains wherever they appear: Warning, and Retry-After on a 429.

`ResponseWatch` is an httpx response hook: attached to a session's clients it
keeps every response carrying a Warning header or a 429 status, so checks can
judge what the whole run saw, not only their own requests (the client waits
out a 429 and asks again, but the hook has seen the 429 first).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

import httpx

from .errorcodes import MalformedErrorBody, error_codes
from .judge import sent
from .retry import THROTTLED_CODE, retry_after_seconds

WARNING_BYTES = 4096  # the spec: no more than this much warning data from all headers of a response
# One warning-value (RFC 7234 5.5): warn-code SP warn-agent SP warn-text [SP warn-date], comma-separated.
_WARNING_VALUE = re.compile(r'\s*(?P<code>\d{3}) (?P<agent>[^\s",]+) "(?P<text>(?:[^"\\]|\\.)*)"(?P<date> "[^"]*")?\s*')


def warning_problems(values: list[str]) -> list[str]:
    """What breaks the spec's Warning rules in one response's Warning header values: 299, agent `-`, no date."""
    problems = []
    for value in values:
        position = 0
        while position < len(value):
            m = _WARNING_VALUE.match(value, position)
            if m is None:
                problems.append(f'{value!r} is not warn-code SP warn-agent SP "warn-text"')
                break
            if m.group("code") != "299":
                problems.append(f"warn-code {m.group('code')} in {value!r}; the spec wants 299")
            if m.group("agent") != "-":
                problems.append(f"warn-agent {m.group('agent')!r} in {value!r}; the spec wants -")
            if m.group("date"):
                problems.append(f"a warn-date in {value!r}; the spec forbids it")
            position = m.end()
            if position < len(value):
                if value[position] != ",":
                    problems.append(f'{value!r} is not warn-code SP warn-agent SP "warn-text"')
                    break
                position += 1
    total = sum(len(v.encode()) for v in values)
    if total > WARNING_BYTES:
        problems.append(f"{total} bytes of warnings; the spec allows {WARNING_BYTES} from all headers combined")
    return problems


def retry_after_problem(value: str | None) -> str | None:
    """Why a 429's Retry-After is missing or malformed (RFC 9110 10.2.3: delay-seconds or an HTTP-date)."""
    if value is None:
        return "no Retry-After header"
    if retry_after_seconds(value) is None:
        return f"Retry-After: {value!r} is neither delay-seconds nor an HTTP-date"
    return None


def throttled_code_problem(response: httpx.Response) -> str | None:
    """Why a 429's JSON error body does not say TOOMANYREQUESTS (a body in another format MAY be anything)."""
    try:
        codes = error_codes(response)
    except MalformedErrorBody as exc:
        return str(exc)
    if codes is None or THROTTLED_CODE in codes:
        return None
    return f"error code {', '.join(codes)}; the spec's code for a 429 is {THROTTLED_CODE}"


@dataclass
class Seen:
    request: str  # METHOD /path?query, long values shortened
    status: int
    values: list[str]  # the header values of interest
    code_problem: str | None = None  # a 429: what is wrong with its error code (throttled_code_problem)


@dataclass
class ResponseWatch:
    """Responses a session received that carry a Warning header or a 429 status."""

    responses: int = 0
    warnings: list[Seen] = field(default_factory=list)
    throttled: list[Seen] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def on_response(self, response: httpx.Response) -> None:
        warnings = response.headers.get_list("Warning")
        with self._lock:
            self.responses += 1
            if warnings:
                self.warnings.append(Seen(sent(response), response.status_code, warnings))
        if response.status_code == 429:
            response.read()  # a small error body; hooks run before the client reads it
            seen = Seen(sent(response), 429, response.headers.get_list("Retry-After"), throttled_code_problem(response))
            with self._lock:
                self.throttled.append(seen)
