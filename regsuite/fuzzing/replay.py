"""A transcript as a list of curl commands: the requests of a minimal failing example."""

from __future__ import annotations

import shlex

from ..transcript import Exchange, Transcript

REPLAYED_HEADERS = {"content-type", "content-range"}
TRUNCATED = "... ("


def curl(exchange: Exchange) -> str:
    """One request as a curl command, with what the registry answered as a comment."""
    parts = ["curl", "-sS", "-X", exchange.method]
    headers = dict((k.lower(), v) for k, v in exchange.request_headers)
    parts += [arg for name in sorted(REPLAYED_HEADERS & set(headers)) for arg in ("-H", f"{name}: {headers[name]}")]
    if headers.get("accept", "*/*") != "*/*":
        parts += ["-H", f"accept: {headers['accept']}"]
    note = ""
    body = exchange.request_body
    if body and "\ufffd" in body:  # binary content (a layer): the transcript keeps no faithful copy
        note = f"  # binary body of {headers.get('content-length', '?')} bytes not shown"
    elif body:
        if body.endswith(" bytes)") and TRUNCATED in body:
            note = f"  # body cut here; {body.rsplit(TRUNCATED, 1)[1][:-1]} in full"
            body = body.rsplit(TRUNCATED, 1)[0]
        parts += ["--data-binary", body]
    parts.append(exchange.url)
    answer = exchange.error or str(exchange.status)
    return " ".join(shlex.quote(p) for p in parts) + f"  # -> {answer}{note}"


def replay_lines(transcript: Transcript, limit: int = 60) -> list[str]:
    """The last `limit` requests; upload URLs carry the registry's state, valid while it runs."""
    exchanges = transcript.exchanges[-limit:]
    lines = [curl(e) for e in exchanges]
    skipped = len(transcript.exchanges) - len(exchanges)
    return ([f"# ... {skipped} earlier requests"] if skipped else []) + lines
