"""The phases of a pull and a push, each timed to its first byte and to its end (no I/O).

A pull is manifest HEAD, manifest GET, config and layers; a push is the upload
start, its chunks, the closing PUT and the manifest PUT. The load users time
every exchange of a phase twice: until the answer's headers arrived (time to
first byte: the registry's think time plus the network) and until its body
was read (the phase's total). Both go into locust's statistics as rows of
their own request types (`TTFB`, `PHASE`) named after the phase, kept apart
from the HTTP request rows.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from ..flows import Role
from . import PHASE, TTFB
from .stats import Row


class Phase(StrEnum):
    MANIFEST_HEAD = "manifest HEAD"
    MANIFEST_GET = "manifest GET"
    CONFIG = "config"
    LAYER = "layer"
    UPLOAD_START = "upload start"
    CHUNK = "chunks"
    CLOSING_PUT = "closing PUT"
    MANIFEST_PUT = "manifest PUT"


PULL_PHASES = (Phase.MANIFEST_HEAD, Phase.MANIFEST_GET, Phase.CONFIG, Phase.LAYER)
PUSH_PHASES = (Phase.UPLOAD_START, Phase.CHUNK, Phase.CLOSING_PUT, Phase.MANIFEST_PUT)

_BY_ROLE: dict[Role, Phase] = {
    Role.MANIFEST_HEAD: Phase.MANIFEST_HEAD, Role.MANIFEST_GET: Phase.MANIFEST_GET,
    Role.START: Phase.UPLOAD_START, Role.POST_DIGEST: Phase.UPLOAD_START, Role.MOUNT: Phase.UPLOAD_START,
    Role.CHUNK: Phase.CHUNK, Role.RESUME: Phase.CHUNK, Role.FINISH: Phase.CLOSING_PUT,
    Role.MANIFEST_PUT: Phase.MANIFEST_PUT,
}


def phase_of(role: Role, *, config: bool = False) -> Phase | None:
    """The phase an exchange belongs to; `config`: a blob GET fetches an image's config (else a layer)."""
    if role is Role.BLOB_GET:
        return Phase.CONFIG if config else Phase.LAYER
    return _BY_ROLE.get(role)


def _percentiles(row: Row | None) -> dict[str, float] | None:
    if row is None or not row.requests:
        return None
    return {"p50_ms": row.percentile(0.5), "p95_ms": row.percentile(0.95), "p99_ms": row.percentile(0.99)}


def phase_figures(rows: list[Row]) -> dict[str, dict[str, Any]]:
    """Per phase that ran, in pull-then-push order: exchanges, failures, and percentiles of TTFB and total."""
    by = {(r.kind, r.name): r for r in rows if r.kind in (PHASE, TTFB)}
    out: dict[str, dict[str, Any]] = {}
    for phase in (*PULL_PHASES, *PUSH_PHASES):
        total = by.get((PHASE, phase.value))
        if total is None or not total.requests:
            continue
        out[phase.value] = {"count": total.requests, "failures": total.failures,
                            "ttfb": _percentiles(by.get((TTFB, phase.value))), "total": _percentiles(total)}
    return out
