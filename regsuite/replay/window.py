"""`--window START..END`: the part of a log to replay.

Each end is a time (`2026-12-01T10:00`, `2026-12-01 10:00:30+01:00`; UTC when no zone is given) or an
offset from the log's first request (`+90s`, `+15m`, `+1h`); either may be left out (`..+10m`, `10:00..`
is not accepted: a time needs its date). The end is exclusive.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from ..errors import UsageError
from .logformat import iso_time

_OFFSET = re.compile(r"^\+(\d+(?:\.\d+)?)(s|m|h)?$")
_SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0}


@dataclass(frozen=True)
class Bound:
    """One end of a window: a unix time, or an offset from the log's first request."""

    at: float | None = None
    offset: float | None = None

    def resolve(self, first: float) -> float | None:
        if self.at is not None:
            return self.at
        return None if self.offset is None else first + self.offset


@dataclass(frozen=True)
class Window:
    start: Bound = Bound()
    end: Bound = Bound()
    text: str = ""

    def resolve(self, first: float, seconds: float | None = None) -> tuple[float, float]:
        """(start, end) in unix time, given the log's first request time; `seconds` caps its length."""
        lo = self.start.resolve(first)
        hi = self.end.resolve(first)
        lo = first if lo is None else lo
        hi = float("inf") if hi is None else hi
        return lo, hi if seconds is None else min(hi, lo + seconds)


def _bound(text: str, flag: str) -> Bound:
    text = text.strip()
    if not text:
        return Bound()
    m = _OFFSET.match(text)
    if m:
        return Bound(offset=float(m.group(1)) * _SECONDS[m.group(2) or "s"])
    if re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?:[+\-Z]|$)", text):  # minutes without seconds
        text = text[:16] + ":00" + text[16:]
    at = iso_time(text)
    if at is None:
        raise UsageError(f"{flag}: {text!r} is neither a time like 2026-12-01T10:00 (UTC unless a zone is "
                         "given) nor an offset from the log's first request like +15m")
    return Bound(at=at)


def parse_window(text: str | None, flag: str = "--window") -> Window:
    if not text:
        return Window()
    start, sep, end = text.partition("..")
    if not sep:
        raise UsageError(f"{flag} {text!r}: give START..END, e.g. 2026-12-01T10:00..2026-12-01T11:00 or +10m..+40m")
    window = Window(_bound(start, flag), _bound(end, flag), text)
    lo, hi = window.start.resolve(0.0), window.end.resolve(0.0)
    same_kind = (window.start.at is None) == (window.end.at is None)
    if lo is not None and hi is not None and same_kind and hi <= lo:
        raise UsageError(f"{flag} {text!r}: the end must come after the start")
    return window


def stamp(t: float) -> str:
    """A time as reports write it: `2026-12-01 10:00:00 UTC`."""
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(t))


def span(first: float, last: float) -> str:
    """`2026-12-01 10:00–11:00 UTC` (seconds only when they are not zero, the date once when it is the same)."""
    a, b = time.gmtime(first), time.gmtime(last)
    fmt = "%H:%M:%S" if a.tm_sec or b.tm_sec else "%H:%M"
    end = time.strftime(fmt if a[:3] == b[:3] else f"%Y-%m-%d {fmt}", b)
    return f"{time.strftime(f'%Y-%m-%d {fmt}', a)}–{end} UTC"
