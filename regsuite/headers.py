"""Response headers the spec constrains wherever they appear: Warning, and Retry-After on a 429.

`ResponseWatch` is an httpx response hook: attached to a session's clients it
keeps every response carrying a Warning header or a 429 status, so checks can
judge what the whole run saw, not only their own requests.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import httpx

from .judge import sent

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
    if value.strip().isdigit():
        return None
    try:
        parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return f"Retry-After: {value!r} is neither delay-seconds nor an HTTP-date"
    return None


@dataclass
class Seen:
    request: str  # METHOD /path?query, long values shortened
    status: int
    values: list[str]  # the header values of interest


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
                self.throttled.append(Seen(sent(response), 429, response.headers.get_list("Retry-After")))
