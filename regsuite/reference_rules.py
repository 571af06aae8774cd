"""The distribution grammar for repository names and tags, as regular expressions."""

from __future__ import annotations

import re

COMPONENT = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
REPOSITORY_RE = re.compile(rf"^{COMPONENT}(?:/{COMPONENT})*$")
TAG_RE = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$")
MAX_PATH = 255


def is_valid_repository(name: str) -> bool:
    return len(name) <= MAX_PATH and bool(REPOSITORY_RE.match(name))


def is_valid_tag(tag: str) -> bool:
    return bool(TAG_RE.match(tag))
