"""Keeping credentials and tokens out of transcripts, reports and logs.

Two layers: structural redaction (Authorization headers, token fields in JSON,
password fields in forms, user:password@ in URLs) and a process-wide set of known secret strings
(passwords given by the user, every token the client receives) scrubbed from
any text before it is written anywhere.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "<redacted>"
BINARY = "<binary data>"  # what a body that is not text shows as
SECRET_HEADERS = {"authorization", "proxy-authorization", "cookie", "set-cookie"}
SECRET_FIELDS = {"token", "access_token", "refresh_token", "password", "client_secret", "id_token"}
_MIN_SECRET_LEN = 4  # shorter strings would scrub ordinary text

_lock = threading.Lock()
# Replaced whole under the lock and read without it: every header and body of every exchange is redacted,
# so reading must not copy the set or take a lock.
_secrets: frozenset[str] = frozenset()
_longest_first: tuple[str, ...] = ()
# The value may be cut off by an excerpt's end: an unterminated string is redacted too.
_JSON_FIELD = re.compile(
    r'("(?:' + "|".join(sorted(SECRET_FIELDS)) + r')"\s*:\s*)"(?:[^"\\]|\\.)*(?:"|\Z)'
)
_MIN_CUT_SECRET = 8  # a text ending in this much of a known secret was cut inside it
# user:password@ in a URL anywhere in a text (a target URL given with credentials); the last @ ends
# the password, as URL parsers read it
_URL_CREDENTIALS = re.compile(r"://[^/?#@\s:]*:[^/?#\s]*@")


def register_secret(value: str | None) -> None:
    """Remember a secret so that `redact_text` scrubs it from any text."""
    global _secrets, _longest_first
    if value and len(value) >= _MIN_SECRET_LEN and value not in _secrets:
        with _lock:
            _secrets = _secrets | {value}
            _longest_first = tuple(sorted(_secrets, key=len, reverse=True))


def known_secrets() -> frozenset[str]:
    return _secrets


def redact_text(text: str) -> str:
    text = _JSON_FIELD.sub(lambda m: f'{m.group(1)}"{REDACTED}"', text)
    text = _URL_CREDENTIALS.sub(f"://{REDACTED}@", text)
    for secret in _longest_first:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return _redact_cut_tail(text)


def _redact_cut_tail(text: str) -> str:
    """Scrub the start of a known secret at the very end of a truncated excerpt."""
    for secret in _secrets:
        head = secret[:_MIN_CUT_SECRET]
        at = text.find(head, max(0, len(text) - len(secret) + 1))
        while at != -1:
            if secret.startswith(text[at:]):
                return text[:at] + REDACTED
            at = text.find(head, at + 1)
    return text


def redact_header(name: str, value: str) -> str:
    if name.lower() in SECRET_HEADERS:
        scheme, _, rest = value.partition(" ")
        return f"{scheme} {REDACTED}" if rest else REDACTED
    return redact_text(value)


def redact_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, redact_header(k, v)) for k, v in headers]


def redact_url(url: str) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rpartition('@')[2]}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, REDACTED if k.lower() in SECRET_FIELDS else v) for k, v in pairs], safe=":/,@")
    return redact_text(urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment)))


def redact_mapping(data: Mapping[str, object]) -> dict[str, object]:
    """A copy of a (config or JSON) mapping with secret-looking fields redacted."""
    out: dict[str, object] = {}
    for key, value in data.items():
        lowered = key.lower()
        if lowered in SECRET_FIELDS or "password" in lowered or "secret" in lowered or "token" in lowered:
            out[key] = REDACTED if value else value
        elif isinstance(value, Mapping):
            out[key] = redact_mapping(value)
        elif isinstance(value, str):
            out[key] = redact_text(value)
        else:
            out[key] = value
    return out


def redact_body(body: bytes, content_type: str = "") -> str:
    """A printable, redacted excerpt of a request or response body."""
    if not body:
        return ""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(body) - 4:  # not just a character cut at the excerpt's end: binary content
            return BINARY
        text = body[: exc.start].decode("utf-8")
    if sum(not ch.isprintable() and ch not in "\r\n\t" for ch in text[:512]) > 8:
        return BINARY
    if "x-www-form-urlencoded" in content_type:
        pairs = [(k, REDACTED if k.lower() in SECRET_FIELDS else v) for k, v in parse_qsl(text, keep_blank_values=True)]
        text = urlencode(pairs)
    # JSON token fields are scrubbed by redact_text's pattern; the bytes stay as sent.
    return redact_text(text)

