"""Transcripts as reports show them: the recorded exchanges, rendered and redacted again.

The records in results.json were redacted when they were taken; reports
redact once more in case a secret became known only later in the run.
"""

from __future__ import annotations

from typing import Any

from ..redact import redact_text
from ..transcript import Exchange


def exchange_of(record: dict[str, Any]) -> Exchange:
    """An Exchange back from its results.json record, to reuse its rendering."""
    return Exchange(
        method=str(record.get("method", "")),
        url=str(record.get("url", "")),
        request_headers=[(str(k), str(v)) for k, v in record.get("request_headers", [])],
        request_body=str(record.get("request_body") or ""),
        status=record.get("status"),
        response_headers=[(str(k), str(v)) for k, v in record.get("response_headers", [])],
        error=record.get("error"),
        elapsed_ms=record.get("elapsed_ms"),
        _response_body=str(record.get("response_body") or ""),
    )


def transcript_text(records: list[dict[str, Any]]) -> str:
    """`> request` / `< response` lines of every exchange, blank-line separated."""
    return redact_text("\n\n".join(exchange_of(r).render() for r in records))
