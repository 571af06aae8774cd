"""The checklist: every conformance check's id, spec reference, level and area.

One module per area (`push.py`, `pull.py`, ...) holds that area's
`CHECKS` list; this package gathers them. A test names its check by id
(`@check("push.post-put")`), so from a report's id one finds the test (grep
the id), the spec line (`spec_url`) and the self-test that makes it fail.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from ..protocol import Endpoint

SPEC_BASE = "https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md"
SPEC_MAIN = "https://github.com/opencontainers/distribution-spec/blob/main/spec.md"
DOCKER_V2 = "https://distribution.github.io/distribution/spec/api/"
AUTH_SPEC = "https://distribution.github.io/distribution/spec/auth/token/"

AREAS = (
    "ping",
    "pull",
    "push",
    "discovery",
    "management",
    "referrers",
    "naming",
    "errors",
    "auth",
    "tls",
    "fuzz",
    "clients",
    "replicas",
)


class Level(StrEnum):
    MUST = "MUST"
    SHOULD = "SHOULD"
    MAY = "MAY"


@dataclass(frozen=True)
class CheckInfo:
    id: str
    title: str
    area: str
    level: Level
    spec: str  # "end-4a", a section name, or an RFC
    spec_url: str = SPEC_BASE
    version: str = "1.1"  # "1.1", "dev" (unreleased main branch), "docker" (Docker V2 API), "beyond" (no spec line)
    # Endpoints (a method on a route) that an external program of the check uses. Requests through
    # RegistryClient meet the run's circuit themselves; a program does not, so the run holds the check
    # back (error) while one of these stopped answering, and runs such checks after the others.
    endpoints: tuple[Endpoint, ...] = ()

    def __post_init__(self) -> None:
        if self.area not in AREAS:
            raise ValueError(f"check {self.id}: unknown area {self.area!r}")
        if not self.id.startswith(f"{self.area}."):
            raise ValueError(f"check {self.id}: ids are written in full, starting with the area ({self.area}.)")


def area_checks(
    area: str, *, url: str | None = None, version: str = "1.1", endpoints: tuple[Endpoint, ...] = ()
) -> Callable[..., CheckInfo]:
    """How an area module writes its entries, with the area's defaults: `make(id, title, spec, *, url, level,
    version, endpoints)` (level MUST unless said)."""

    def make(
        id: str,
        title: str,
        spec: str,
        *,
        url: str | None = url,
        level: Level = Level.MUST,
        version: str = version,
        endpoints: tuple[Endpoint, ...] = endpoints,
    ) -> CheckInfo:
        if url is None:
            raise ValueError(f"check {id}: give the address of its spec text (url=)")
        return CheckInfo(id, title, area, level, spec, url, version, endpoints)

    return make


class ChecklistError(LookupError):
    """An id the checklist does not hold, or holds twice."""


def _load() -> dict[str, CheckInfo]:
    checks: dict[str, CheckInfo] = {}
    for module in pkgutil.iter_modules(__path__):
        mod = importlib.import_module(f"{__name__}.{module.name}")
        for info in getattr(mod, "CHECKS", ()):
            if info.id in checks:
                raise ChecklistError(f"check id {info.id!r} is defined twice")
            checks[info.id] = info
    return checks


CHECKLIST: dict[str, CheckInfo] = _load()


def get(check_id: str) -> CheckInfo:
    try:
        return CHECKLIST[check_id]
    except KeyError:
        raise ChecklistError(f"unknown check id {check_id!r}: add it to regsuite/checklist/") from None
