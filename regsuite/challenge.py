"""WWW-Authenticate parsing (RFC 7235) and registry scope strings.

Pure functions, no I/O: the client uses them to answer challenges and the
auth checks use them to judge what a registry sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_QUOTED = r'"(?:[^"\\]|\\.)*"'
_TOKEN68 = r"[A-Za-z0-9\-._~+/]+=*"
_SCHEME_RE = re.compile(rf"\s*({_TOKEN})")
_PARAM_RE = re.compile(rf"\s*({_TOKEN})\s*=\s*({_TOKEN}|{_QUOTED})\s*")


class ChallengeParseError(ValueError):
    pass


@dataclass
class Challenge:
    scheme: str  # lower-cased
    params: dict[str, str] = field(default_factory=dict)  # names lower-cased
    token68: str | None = None

    @property
    def realm(self) -> str | None:
        return self.params.get("realm")

    @property
    def service(self) -> str | None:
        return self.params.get("service")

    @property
    def scope(self) -> str | None:
        return self.params.get("scope")

    @property
    def error(self) -> str | None:
        return self.params.get("error")


def _unquote(value: str) -> str:
    if value.startswith('"'):
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def parse_challenges(header: str) -> list[Challenge]:
    """All challenges in one WWW-Authenticate value (several may share a header)."""
    challenges: list[Challenge] = []
    pos, n = 0, len(header)
    while pos < n:
        while pos < n and header[pos] in " \t,":
            pos += 1
        if pos >= n:
            break
        m = _SCHEME_RE.match(header, pos)
        if not m:
            raise ChallengeParseError(f"expected an auth scheme at offset {pos}: {header[pos:pos+20]!r}")
        challenge = Challenge(m.group(1).lower())
        pos = m.end()
        # token68 form: `Scheme abc123==` (not followed by `=` + value)
        t68 = re.compile(rf"\s+({_TOKEN68})\s*(?:,|$)").match(header, pos)
        if t68 and not _PARAM_RE.match(header, pos):
            challenge.token68 = t68.group(1)
            pos = t68.end()
            challenges.append(challenge)
            continue
        while pos < n:
            pm = _PARAM_RE.match(header, pos)
            if not pm:
                break
            # a following `scheme param=` means a new challenge starts here
            challenge.params[pm.group(1).lower()] = _unquote(pm.group(2))
            pos = pm.end()
            if pos < n and header[pos] == ",":
                after = pos + 1
                while after < n and header[after] in " \t,":  # RFC 7230 7: empty list elements are allowed
                    after += 1
                nxt = re.compile(rf"\s*{_TOKEN}\s+{_TOKEN}\s*=").match(header, after)
                if nxt:
                    pos = after
                    break
                pos = after
            elif pos < n:
                break
        challenges.append(challenge)
    return challenges


def parse_response_challenges(values: list[str]) -> list[Challenge]:
    out: list[Challenge] = []
    for value in values:
        out.extend(parse_challenges(value))
    return out


@dataclass(frozen=True)
class Scope:
    """One resource scope: `type:name:actions`."""

    type: str
    name: str
    actions: frozenset[str]

    def __str__(self) -> str:
        return f"{self.type}:{self.name}:{','.join(sorted(self.actions))}"


def parse_scope(value: str) -> list[Scope]:
    """Parse a space-separated scope string.

    The resource name may hold `host:port/`, so the type is everything before
    the first `:` and the actions everything after the last one.
    """
    scopes = []
    for part in value.split():
        rtype, sep1, rest = part.partition(":")
        name, sep2, actions = rest.rpartition(":")
        if not (sep1 and sep2 and rtype and name):
            raise ChallengeParseError(f"malformed scope {part!r}: want type:name:actions")
        if "(" in rtype:
            rtype = rtype.split("(", 1)[0]
        scopes.append(Scope(rtype, name, frozenset(a for a in actions.split(",") if a)))
    return scopes


def merge_scopes(scopes: list[Scope]) -> dict[tuple[str, str], frozenset[str]]:
    """Scopes as a set-valued map, so that order of resources and actions never matters."""
    merged: dict[tuple[str, str], frozenset[str]] = {}
    for s in scopes:
        merged[(s.type, s.name)] = merged.get((s.type, s.name), frozenset()) | s.actions
    return merged
