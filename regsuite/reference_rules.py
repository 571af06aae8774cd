"""The distribution grammar for repository names and tags (defined in `regsuite.reference`)."""

from __future__ import annotations

from .reference import COMPONENT, MAX_PATH, REPOSITORY_RE, TAG_RE, is_valid_repository, is_valid_tag

__all__ = ["COMPONENT", "MAX_PATH", "REPOSITORY_RE", "TAG_RE", "is_valid_repository", "is_valid_tag"]
