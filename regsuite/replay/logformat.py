"""Access-log formats and their lines, read as a stream: one request record per line, or why a line is not one.

Three formats, detected from the log itself:

- `combined`: the combined access-log line that distribution writes with
  `log.accesslog.disabled: false`, and nginx's (or a load balancer's) default
  `combined` format: `client - user [07/Dec/2026:14:38:31 +0000] "GET /v2/ HTTP/1.1" 200 2 "referer" "agent"`.
  One-second resolution; bytes are the bytes sent.
- `distribution-text` and `distribution-json`: distribution's `response completed` line at
  `log.level: info` (`response completed with error` for 4xx/5xx answers), as logrus writes it with
  `log.formatter: text` or `json`: nanosecond time, method, URI, status, duration and bytes written.

A registry's standard output mixes them: with the access log on, every request has a
`response completed` line and a combined line. Such a log is read by its
`response completed` lines (finer time, the duration); the combined lines are then
counted as the other record of the same request. Lines are decoded as UTF-8 with
replacement; a gzip file is recognised by its magic bytes, whatever its name.
"""

from __future__ import annotations

import calendar
import gzip
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from ..errors import LogEmpty, LogFormatUnknown, LogMalformed, UsageError
from ..protocol import route

COMBINED, DIST_TEXT, DIST_JSON = "combined", "distribution-text", "distribution-json"
FORMATS = {
    COMBINED: "combined access log (distribution's access log, nginx)",
    DIST_TEXT: "distribution's `response completed` lines (text formatter)",
    DIST_JSON: "distribution's `response completed` lines (JSON formatter)",
}
KNOWN = ("a combined access log (distribution's `log.accesslog`, nginx's `combined`) or distribution's "
         "`response completed` lines (`log.level: info`, text or JSON formatter)")
# Lines read before the format is settled: a registry's standard output begins with a few messages.
DETECT_LINES = 2000
# After the first request line, this many more are looked at for the finer `response completed` records.
DETECT_AFTER = 200

# What a line that carries no request to replay is, by reason (reports count lines by these).
OTHER_RECORD = "the other record of the same request (the log's `response completed` lines are used)"
MESSAGE = "registry message, not a request"
MALFORMED = "malformed line (--skip-malformed)"
NOT_HTTP = "not an HTTP request line"
NOT_API = "not registry API (health checks, /debug, /metrics, ...)"


@dataclass(frozen=True, slots=True)
class Record:
    """One request of the log, as recorded."""

    line: int  # 1-based line number in the log
    start: float  # unix time the request started (1 s resolution for combined lines)
    method: str
    uri: str  # path and query as sent (no scheme or host)
    status: int
    written: int  # response bytes sent
    client: str  # address of the client (kept in memory only, never reported)
    coarse: bool = False  # the time has one-second resolution


# -- time ------------------------------------------------------------------------------------------

_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                                       "Nov", "Dec"), start=1)}
_CLF_TIME = re.compile(r"^(\d{2})/([A-Z][a-z]{2})/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$")
_ISO_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")
_GO_DURATION = re.compile(r"(\d+(?:\.\d*)?)(ns|us|µs|μs|ms|s|m|h)")
_UNIT = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


class _SecondCache:
    """The last few whole-second stamps parsed: a log has thousands of lines per distinct second."""

    def __init__(self) -> None:
        self.key: str | None = None
        self.value = 0.0


def _offset(sign: str, hours: str, minutes: str) -> int:
    seconds = int(hours) * 3600 + int(minutes) * 60
    return -seconds if sign == "-" else seconds


def clf_time(text: str, cache: _SecondCache | None = None) -> float | None:
    """`07/Dec/2026:14:38:31 +0000` as unix time; None when it is not one."""
    if cache is not None and cache.key == text:
        return cache.value
    m = _CLF_TIME.match(text)
    if not m or m.group(2) not in _MONTHS:
        return None
    day, mon, year, hh, mm, ss, sign, oh, om = m.groups()
    value = float(calendar.timegm((int(year), _MONTHS[mon], int(day), int(hh), int(mm), int(ss)))
                  - _offset(sign, oh, om))
    if cache is not None:
        cache.key, cache.value = text, value
    return value


def iso_time(text: str, cache: _SecondCache | None = None) -> float | None:
    """RFC 3339 time (`2026-12-07T15:55:05.783306212Z`, any fraction length) as unix time; UTC when no zone."""
    m = _ISO_TIME.match(text)
    if not m:
        return None
    fraction = float(m.group(7)) if m.group(7) else 0.0
    key = text[:19] + (m.group(8) or "")
    if cache is not None and cache.key == key:
        return cache.value + fraction
    year, month, day, hh, mm, ss = (int(g) for g in m.groups()[:6])
    zone = m.group(8) or "Z"
    shift = 0 if zone == "Z" else _offset(zone[0], zone[1:3], zone[-2:])
    try:
        whole = float(calendar.timegm((year, month, day, hh, mm, ss)) - shift)
    except ValueError:
        return None
    if cache is not None:
        cache.key, cache.value = key, whole
    return whole + fraction


def go_duration(text: str) -> float | None:
    """Go's `time.Duration` text (`1.855909ms`, `1m2.5s`, `850ns`) in seconds."""
    parts = _GO_DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text.strip():
        return None
    return sum(float(n) * _UNIT[u] for n, u in parts)


# -- one line --------------------------------------------------------------------------------------

_QUOTED = r'"((?:[^"\\]|\\.)*)"'
_COMBINED = re.compile(
    rf'^(\S+) \S+ (?:\S+|{_QUOTED}) \[([^\]]+)\] {_QUOTED} (\d{{3}}) (\d+|-)(?: {_QUOTED} {_QUOTED})?(?:\s.*)?$')
_LOGFMT = re.compile(r'([^\s=]+)=(?:"((?:[^"\\]|\\.)*)"|(\S*))')
_DONE_MESSAGES = ("response completed", "response completed with error")
_FIELDS = ("http.request.method", "http.request.uri", "http.response.status")


def _unquote(text: str) -> str:
    return text.replace('\\"', '"').replace("\\\\", "\\") if "\\" in text else text


class LineReader:
    """Parses lines of one format; `read(line)` gives a Record, a reason to skip it, or None (not this format)."""

    def __init__(self, fmt: str) -> None:
        self.fmt = fmt
        self._seconds = _SecondCache()

    def read(self, number: int, line: str) -> Record | str | None:
        if self.fmt == COMBINED:
            return self._combined(number, line)
        fields = _logrus_text(line) if self.fmt == DIST_TEXT else _logrus_json(line)
        if fields is None:
            return None
        return self._completed(number, fields)

    def _combined(self, number: int, line: str) -> Record | str | None:
        m = _COMBINED.match(line)
        if not m:
            return None
        client, _user, stamp, request, status, sent = m.groups()[:6]
        start = clf_time(stamp, self._seconds)
        if start is None:
            return None
        parts = _unquote(request).split(" ")
        if len(parts) != 3 or not parts[0].isalpha() or not parts[1].startswith("/"):
            return NOT_HTTP
        return Record(number, start, parts[0].upper(), parts[1], int(status), 0 if sent == "-" else int(sent),
                      client, coarse=True)

    def _completed(self, number: int, fields: dict[str, object]) -> Record | str | None:
        if fields.get("msg") not in _DONE_MESSAGES or any(k not in fields for k in _FIELDS):
            return MESSAGE if "msg" in fields and "level" in fields else None
        try:
            ended = iso_time(str(fields["time"]), self._seconds)
            status = int(str(fields["http.response.status"]))
            written = int(str(fields.get("http.response.written", 0) or 0))
        except (KeyError, ValueError):
            return None
        took = go_duration(str(fields.get("http.response.duration", ""))) or 0.0
        uri = str(fields["http.request.uri"])
        if ended is None or not uri.startswith("/"):
            return None
        return Record(number, ended - took, str(fields["http.request.method"]).upper(), uri, status, written,
                      str(fields.get("http.request.remoteaddr", "")))


def _logrus_text(line: str) -> dict[str, object] | None:
    if not line.startswith("time="):
        return None
    fields: dict[str, object] = {}
    for m in _LOGFMT.finditer(line):
        fields[m.group(1)] = _unquote(m.group(2)) if m.group(2) is not None else m.group(3)
    return fields if "time" in fields and "msg" in fields else None


def _logrus_json(line: str) -> dict[str, object] | None:
    if not line.startswith("{"):
        return None
    try:
        fields = json.loads(line)
    except ValueError:
        return None
    return fields if isinstance(fields, dict) and "time" in fields and "msg" in fields else None


def classify(number: int, line: str) -> tuple[str | None, Record | str | None]:
    """(format, what the line is) for the first format that reads it; (None, None) when none does."""
    for fmt in (DIST_TEXT, DIST_JSON, COMBINED):
        got = LineReader(fmt).read(number, line)
        if got is not None:
            return fmt, got
    return None, None


# -- the file --------------------------------------------------------------------------------------


def _open(path: Path) -> IO[bytes]:
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise UsageError(f"cannot read the access log {path}: {exc.strerror or exc}") from None
    magic = raw.read(2)
    raw.seek(0)
    if magic == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    return raw


def lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text without its newline), streamed; a damaged gzip stream is a malformed log."""
    number = 0
    with _open(path) as f:
        try:
            for number, raw in enumerate(f, start=1):  # noqa: B007 - the count is read after the loop
                yield number, raw.decode("utf-8", "replace").rstrip("\r\n")
        except (EOFError, OSError, zlib.error) as exc:
            raise LogMalformed(f"{path}: the gzip stream is damaged after line {number} ({exc}); "
                               "recompress the log or cut it before that line") from None


def detect(path: Path) -> str:
    """The log's format, from its first lines; LogFormatUnknown or LogEmpty with one line saying why."""
    found: dict[str, int] = {}
    first_request = 0
    for number, line in lines(path):
        if not line.strip():
            continue
        fmt, got = classify(number, line)
        if fmt is None:
            if not found:
                raise LogFormatUnknown(f"{path}: line {number} matches no access-log format regsuite reads; "
                                       f"give {KNOWN}")
            continue
        if isinstance(got, Record):
            found[fmt] = found.get(fmt, 0) + 1
            first_request = first_request or number
        if (first_request and number - first_request >= DETECT_AFTER) or number >= DETECT_LINES and found:
            break
    requests = [fmt for fmt in (DIST_TEXT, DIST_JSON, COMBINED) if found.get(fmt)]
    if not requests:
        raise LogEmpty(f"{path}: the log holds no request (no line of {KNOWN})")
    return requests[0]  # `response completed` first: finer times than the combined lines beside them


class LogLines:
    """The records of a log in its detected format, with every other line's reason, streamed.

    A line of no known kind is LogMalformed naming it, or (with `skip_malformed`) counted as
    MALFORMED. Iterating again reads the file again (the replay reads it twice).
    """

    def __init__(self, path: Path, *, skip_malformed: bool = False, fmt: str | None = None) -> None:
        self.path = path
        self.fmt = fmt or detect(path)
        self.skip_malformed = skip_malformed

    @property
    def description(self) -> str:
        return FORMATS[self.fmt]

    def __iter__(self) -> Iterator[Record | tuple[int, str]]:
        """Records, and (line number, reason) for the lines that carry none (blank lines are left out)."""
        reader = LineReader(self.fmt)
        others = [LineReader(f) for f in FORMATS if f != self.fmt]
        for number, line in lines(self.path):
            if not line.strip():
                continue
            got = reader.read(number, line)
            if isinstance(got, Record):
                yield got
                continue
            if got is not None:
                yield number, got
                continue
            other = None
            for reader_of_other in others:
                other = reader_of_other.read(number, line)
                if other is not None:
                    break
            if isinstance(other, Record):
                # distribution writes no `response completed` line for paths outside its API: those are
                # requests of their own, recorded only in the access log
                yield number, OTHER_RECORD if route(urlsplit(other.uri).path) else NOT_API
            elif other is not None:
                yield number, other if other != NOT_HTTP else OTHER_RECORD
            elif self.skip_malformed:
                yield number, MALFORMED
            else:
                raise LogMalformed(f"{self.path}: line {number} is not a line of the log's format "
                                   f"({FORMATS[self.fmt]}, detected from its first lines); fix or cut that "
                                   "line, or give --skip-malformed to count such lines and go on")
