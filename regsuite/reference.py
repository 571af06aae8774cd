"""Image references: parse, validate, normalise and format `[host[:port]/]path[:tag][@digest]`.

The grammar is distribution's (distribution/reference) and the defaults are
Docker's: a name without a registry host lives on `docker.io`, a one-component
path there gets `library/`, and a reference with neither tag nor digest means
`:latest`. Every regex of the grammar is defined here once; the parser checks
the parts one by one so an error can say which part is wrong and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .digest import ALGORITHMS, DIGEST_RE
from .errors import UsageError

# -- the grammar --------------------------------------------------------------

SEPARATOR = r"(?:\.|_|__|-+)"
COMPONENT = rf"[a-z0-9]+(?:{SEPARATOR}[a-z0-9]+)*"
PATH = rf"{COMPONENT}(?:/{COMPONENT})*"
TAG = r"[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}"
DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
IPV6 = r"\[[a-fA-F0-9:]+\]"
HOST = rf"(?:{DOMAIN_COMPONENT}(?:\.{DOMAIN_COMPONENT})*|{IPV6})"
DOMAIN = rf"{HOST}(?::[0-9]+)?"

REPOSITORY_RE = re.compile(rf"^{PATH}$")
TAG_RE = re.compile(rf"^{TAG}$")
DOMAIN_RE = re.compile(rf"^{DOMAIN}$")
COMPONENT_RE = re.compile(rf"^{COMPONENT}$")
# Whole reference, domain optional; the 255-character path limit and the
# "which first component is a host" rule are not expressible here.
DIGEST = DIGEST_RE.pattern.removeprefix("^").removesuffix("$")
REFERENCE_RE = re.compile(rf"^(?:{DOMAIN}/)?{PATH}(?::{TAG})?(?:@{DIGEST})?$")
HEX64_RE = re.compile(r"^[a-f0-9]{64}$")

MAX_PATH = 255
MAX_TAG = 128
DEFAULT_DOMAIN = "docker.io"
LEGACY_DEFAULT_DOMAIN = "index.docker.io"
OFFICIAL_PREFIX = "library/"
DEFAULT_TAG = "latest"
DIGEST_LENGTHS = {"sha256": 64, "sha512": 128}
assert set(DIGEST_LENGTHS) == set(ALGORITHMS)


class InvalidReference(UsageError):
    """A reference that breaks the grammar; `part` says where (domain, path, tag, digest)."""

    def __init__(self, text: str, part: str, reason: str) -> None:
        self.text, self.part, self.reason = text, part, reason
        super().__init__(f"invalid reference {text!r}: {part} {reason}")


@dataclass(frozen=True)
class Reference:
    domain: str | None
    path: str
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        return f"{self.domain}/{self.path}" if self.domain else self.path

    def __str__(self) -> str:
        return format_reference(self)


# -- validation of the parts ----------------------------------------------------


def component_problem(component: str) -> str | None:
    """Why one path component is invalid, or None."""
    if not component:
        return "has an empty component (a doubled, leading or trailing '/')"
    if COMPONENT_RE.match(component):
        return None
    bad = sorted({ch for ch in component if not (ch.isascii() and (ch.isalnum() or ch in "._-"))})
    if bad:
        return f"component {component!r} contains {''.join(bad)!r}; allowed: a-z 0-9 and the separators . _ __ -"
    if component != component.lower():
        return f"component {component!r} must be lowercase"
    if not component[0].isalnum():
        return f"component {component!r} must start with a letter or digit, not {component[0]!r}"
    if not component[-1].isalnum():
        return f"component {component!r} must end with a letter or digit, not {component[-1]!r}"
    separator = re.search(r"[._-]{2,}", component)
    found = separator.group(0) if separator else "?"
    return f"component {component!r} joins with {found!r}; separators are '.', '_', '__' or dashes"


def path_problem(path: str) -> str | None:
    """Why a repository path (a registry's repository name) is invalid, or None."""
    if len(path) > MAX_PATH:
        return f"is {len(path)} characters long; the limit is {MAX_PATH}"
    for component in path.split("/"):
        problem = component_problem(component)
        if problem:
            return problem
    return None


def tag_problem(tag: str) -> str | None:
    if not tag:
        return "is empty"
    if len(tag) > MAX_TAG:
        return f"is {len(tag)} characters long; the limit is {MAX_TAG}"
    if TAG_RE.match(tag):
        return None
    if not (tag[0].isascii() and (tag[0].isalnum() or tag[0] == "_")):
        return f"must start with a letter, digit or '_', not {tag[0]!r}"
    bad = sorted({ch for ch in tag if not (ch.isascii() and (ch.isalnum() or ch in "._-"))})
    return f"contains {''.join(bad)!r}; allowed: A-Z a-z 0-9 . _ -"


def digest_problem(digest: str) -> str | None:
    if not DIGEST_RE.match(digest):
        return "is not algorithm:encoded (lowercase algorithm, then ':' and [A-Za-z0-9=_-])"
    algorithm, _, encoded = digest.partition(":")
    length = DIGEST_LENGTHS.get(algorithm)
    if length is None:
        return f"uses algorithm {algorithm!r}; supported: {', '.join(ALGORITHMS)}"
    if len(encoded) != length or not re.fullmatch(r"[a-f0-9]+", encoded):
        return f"must be {algorithm}: and {length} lowercase hex characters, got {len(encoded)} characters"
    return None


def domain_problem(domain: str) -> str | None:
    if DOMAIN_RE.match(domain):
        return None
    if ":" in domain and not domain.endswith("]"):
        port = domain.rsplit(":", 1)[1]
        if not port.isdigit():
            return f"port {port!r} must be digits"
    return "must be a DNS name, an IPv4 address or [IPv6], optionally with :port"


def is_valid_repository(name: str) -> bool:
    return len(name) <= MAX_PATH and bool(REPOSITORY_RE.match(name))


def is_valid_tag(tag: str) -> bool:
    return bool(TAG_RE.match(tag))


# -- parse, normalise, format -----------------------------------------------------


def is_domain_component(first: str, *, uppercase_is_host: bool = False) -> bool:
    """Docker's rule for `first/...`: a registry host when `localhost` or it contains '.' or ':'.

    Newer distribution/reference releases also take a first component with an
    uppercase letter as a host; `uppercase_is_host` turns that on.
    """
    return first == "localhost" or "." in first or ":" in first or (uppercase_is_host and first != first.lower())


def parse(text: str, *, uppercase_is_host: bool = False) -> Reference:
    """Split and validate `text` without applying defaults (no docker.io, no latest)."""
    if not text:
        raise InvalidReference(text, "reference", "is empty")
    name, at, digest = text.partition("@")
    if at and not digest:
        raise InvalidReference(text, "digest", "is empty after '@'")
    slash, colon = name.rfind("/"), name.rfind(":")
    tag: str | None = None
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
    domain: str | None = None
    first, sep, rest = name.partition("/")
    if sep and is_domain_component(first, uppercase_is_host=uppercase_is_host):
        domain, name = first, rest
    for part, value, problem in (
        ("domain", domain, domain_problem),
        ("path", name, path_problem),
        ("tag", tag, tag_problem),
        ("digest", digest if at else None, digest_problem),
    ):
        if value is not None:
            reason = problem(value)  # type: ignore[operator]
            if reason:
                raise InvalidReference(text, part, f"{value!r} {reason}" if part != "path" else reason)
    return Reference(domain, name, tag, digest if at else None)


def normalize(text: str, *, uppercase_is_host: bool = False) -> Reference:
    """Docker's normalisation: docker.io, library/, latest; index.docker.io is docker.io."""
    if HEX64_RE.match(text):
        raise InvalidReference(text, "reference", "is a bare 64-hex image id, not a repository name")
    ref = parse(text, uppercase_is_host=uppercase_is_host)
    domain = ref.domain or DEFAULT_DOMAIN
    if domain == LEGACY_DEFAULT_DOMAIN:
        domain = DEFAULT_DOMAIN
    path = ref.path
    if domain == DEFAULT_DOMAIN and "/" not in path:
        path = OFFICIAL_PREFIX + path
        if len(path) > MAX_PATH:
            why = f"is {len(path)} characters long with {OFFICIAL_PREFIX!r}; the limit is {MAX_PATH}"
            raise InvalidReference(text, "path", why)
    tag = ref.tag if ref.tag or ref.digest else DEFAULT_TAG
    return replace(ref, domain=domain, path=path, tag=tag)


def format_reference(ref: Reference) -> str:
    text = ref.name
    if ref.tag:
        text += f":{ref.tag}"
    if ref.digest:
        text += f"@{ref.digest}"
    return text
