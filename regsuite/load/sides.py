"""HTML sections for the registry's own view beside the client's, and for pull and push phases.

Shared by a load run's summary.html and a capacity search's capacity.html.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..htmlpage import TableRow, esc, table
from .server import RouteComparison, ServerSide

MIB = 1024 * 1024


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"


def server_section(server: ServerSide | None, routes: list[RouteComparison], title: str = "The registry's side") -> str:
    """What the registry measured, route by route next to the generator's figures; empty without --metrics-url."""
    if server is None:
        return ""
    problems = "".join(f"<li>{esc(w)}</li>" for w in server.warnings())
    head = f"<h2>{esc(title)}</h2><p>From {len(server.sources)} metrics endpoint(s) over {server.seconds:g} s."
    if not server.has_data:
        return head + f" No figures: every endpoint failed.</p><ul>{problems}</ul>"
    facts = [
        ("requests/s (server)", server.requests.per_s if server.requests else None),
        ("p95 ms (server, all routes)", server.requests.p95_ms if server.requests else None),
        ("requests in flight, mean / peak",
         None if server.in_flight_mean is None else f"{server.in_flight_mean:g} / {server.in_flight_peak:g}"),
        ("registry CPU, % of one core", server.cpu_percent),
        ("registry memory, MiB", None if server.memory_bytes is None else round(server.memory_bytes / MIB, 1)),
        ("host CPU, % of all cores", None if server.host_cpu_percent is None
         else f"{server.host_cpu_percent:g} ({server.host_cores} cores)"),
        ("storage action p95 ms", server.storage_all.p95_ms if server.storage_all else None),
    ]
    rows = [TableRow([label, "–" if value is None else value]) for label, value in facts]
    compared = [TableRow([r.handler, f"{r.client_per_s:g}", _ms(r.server_per_s), _ms(r.client_p95_ms),
                          _ms(r.server_p95_ms), _ms(r.outside_ms)]) for r in routes]
    storage = [TableRow([action, s.count, f"{s.per_s:g}", _ms(s.p50_ms), _ms(s.p95_ms), _ms(s.p99_ms)])
               for action, s in server.storage.items()]
    unknown = (f"<p>Metrics regsuite does not read: {esc(', '.join(server.unknown))}.</p>" if server.unknown else "")
    return (head + " The client's latency less the server's is time outside the registry's handler: network, "
            "TLS, proxies and queueing in front of it.</p>" + (f"<ul>{problems}</ul>" if problems else "")
            + table(["measure", "value"], rows)
            + "<h3>Per route: client and server</h3>"
            + table(["route (handler)", "client req/s", "server req/s", "client p95 ms", "server p95 ms",
                     "outside p95 ms"], compared)
            + ("<h3>Storage actions</h3>" + table(["action", "count", "per s", "p50 ms", "p95 ms", "p99 ms"], storage)
               if storage else "")
            + unknown)


def phases_table(phases: Mapping[str, Mapping[str, Any]], title: str = "Phases") -> str:
    """Time to first byte and total per pull and push phase."""
    if not phases:
        return ""
    rows = []
    for name, figures in phases.items():
        ttfb, total = figures.get("ttfb") or {}, figures.get("total") or {}
        rows.append(TableRow([name, figures["count"], figures["failures"],
                              *(_ms(ttfb.get(q)) for q in ("p50_ms", "p95_ms", "p99_ms")),
                              *(_ms(total.get(q)) for q in ("p50_ms", "p95_ms", "p99_ms"))],
                             "bad" if figures["failures"] else ""))
    return (f"<h2>{esc(title)}: time to first byte and total</h2><p>Each exchange of a pull (manifest HEAD, manifest "
            "GET, config, layers) and a push (upload start, chunks, closing PUT, manifest PUT), timed until its "
            "answer's headers arrived and until its body was read.</p>"
            + table(["phase", "count", "failures", "TTFB p50", "TTFB p95", "TTFB p99", "total p50", "total p95",
                     "total p99"], rows))
