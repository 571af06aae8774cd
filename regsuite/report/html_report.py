"""report.html: one run, for the person who has to act on it.

Top to bottom: the verdict (and, for a run cut short, why), counts, what
needs attention (unexpected failures, errors, stale expectations), counts by
area and by level, the target and configuration, what each TLS deployment
served, unsupported features, then every check by area. Failing checks open
to their message, the evidence lines they rest on, spec link and transcript.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..htmlpage import INK, Card, Header, alert, cards, esc, page
from ..pace import RateLimits
from ..results import CheckResult, Outcome, RunResults, RunState
from .access_matrix import render_access_matrix
from .expectations import Gate, gate_of
from .page import STATUSES, anchor, pill, status_of
from .tls_evidence import evidence_anchor, evidence_lines, render_tls_evidence
from .transcripts import exchange_of

ORDER = ("failed", "error", "expected", "passed", "unsupported", "skipped")
WHY_LIMIT = 160  # characters of the message shown on a check's one-line row
OPEN_LIMIT = 5  # unexpected failures shown opened (transcript visible) when there are at most this many


def render_report(results: RunResults) -> str:
    gate = gate_of(results)
    counts = Counter(status_of(c) for c in results.checks)
    body = [
        _cut_short(results),
        _cards(counts, len(results.checks), len(gate.stale)),
        _attention(results, gate),
        '<div class="grid"><div>',
        _breakdown("By area", results.checks, lambda c: c.area),
        "</div><div>",
        _breakdown("By level", results.checks, lambda c: c.level),
        "</div></div>",
        _about(results, gate),
        render_tls_evidence(results.tls, results.checks),
        _unsupported(results.checks),
        render_access_matrix(results.checks),
        _areas(results, opened=set(gate.unexpected) if len(gate.unexpected) <= OPEN_LIMIT else set()),
    ]
    return page(f"regsuite: {results.target.get('url', 'conformance')}", _header(results, gate), "\n".join(body))


def _header(results: RunResults, gate: Gate) -> Header:
    if gate.ok:
        verdict = "PASSED"
        detail = "no unexpected failures" + (f", {len(gate.expected)} known deviations" if gate.expected else "")
    else:
        verdict = "FAILED"
        ran, not_run = _split_not_run(results, gate.unexpected)
        n = len(ran)
        detail = f"{n} {'unexpected ' if gate.source else ''}failure{'s' * (n != 1)}"
        if not_run:
            detail += f", {len(not_run)} checks did not run"
        if gate.expected:
            detail += f" ({len(gate.expected)} known deviations besides)"
        if gate.strict and gate.stale:
            detail += f", {len(gate.stale)} stale expectations (strict)"
    facts = [
        ("target", results.target.get("url", "?")),
        results.target.get("description", ""),
        f"started {results.started}",
        f"{results.duration:.1f} s",
        f"regsuite {results.suite.get('version', '?')}",
    ]
    notes = [] if results.run.complete else [("Run cut short", _why_short(results))]
    return Header("regsuite conformance report", "ok" if gate.ok else "fail", verdict, detail, notes, facts)


CUT_SHORT = {
    RunState.FIRST_CONTACT_FAILED: "the first contact with the registry failed",
    RunState.DEADLINE: "the run deadline was reached",
    RunState.INTERRUPTED: "the run was interrupted",
    RunState.RUNNING: "the run was still going when this was written (killed before its end?)",
}


def _why_short(results: RunResults) -> str:
    run = results.run
    return f"{CUT_SHORT.get(run.state, str(run.state))}: {run.reason}" if run.reason else CUT_SHORT.get(
        run.state, str(run.state))


def _cut_short(results: RunResults) -> str:
    """For a run that did not finish: why, and how many checks have a verdict that says nothing of the registry."""
    run = results.run
    if run.complete:
        return ""
    not_run = sum(c.outcome == Outcome.ERROR and c.message.startswith("not run:") for c in results.checks)
    ran = len(results.checks) - not_run
    text = f"{_why_short(results)}. {ran} checks have a verdict; {not_run} did not run (error, with the reason)."
    if run.state == RunState.FIRST_CONTACT_FAILED and any(c.area == "tls" and not c.message.startswith("not run:")
                                                           for c in results.checks):
        text += " The tls checks ran on their own connections: they say which property of the TLS endpoint is broken."
    return alert(f"This run was cut short ({run.state}).", text, "fail")


def _cards(counts: Counter[str], total: int, stale: int) -> str:
    items = [Card(total, "checks", INK)]
    items += [Card(counts.get(s, 0), STATUSES[s][0], STATUSES[s][1]) for s in ORDER]
    if stale:
        items.append(Card(stale, "stale expectations", "#b08800"))
    return cards(items)


def _split_not_run(results: RunResults, ids: list[str]) -> tuple[list[str], list[str]]:
    """(checks that ran, checks that did not run) among `ids`: a run cut short lists the second apart."""
    not_run = {c.id for c in results.checks if c.outcome == Outcome.ERROR and c.message.startswith("not run:")}
    return [i for i in ids if i not in not_run], [i for i in ids if i in not_run]


def _attention(results: RunResults, gate: Gate) -> str:
    by_id = {c.id: c for c in results.checks}
    out = []
    ran, not_run = _split_not_run(results, gate.unexpected)
    if ran:
        items = "".join(_attention_item(by_id[i]) for i in ran if i in by_id)
        title = "Unexpected failures" if gate.source else "Failures"
        out.append(f'<h2>{title} ({len(ran)})</h2><ul class="attention">{items}</ul>')
    if not_run:
        items = "".join(_attention_item(by_id[i]) for i in not_run if i in by_id)
        out.append(
            f'<details><summary><h2 class="inline">Did not run ({len(not_run)})</h2> '
            f'<span class="muted">{esc(results.run.reason or "the run was cut short")}</span></summary>'
            f'<ul class="attention">{items}</ul></details>'
        )
    if gate.expected:
        items = "".join(_attention_item(by_id[i]) for i in gate.expected if i in by_id)
        out.append(
            f"<details><summary><h2 class=\"inline\">Known deviations ({len(gate.expected)})</h2> "
            f'<span class="muted">failures the expectations file lists; they do not fail the run</span></summary>'
            f'<ul class="attention known">{items}</ul></details>'
        )
    if gate.stale:
        items = "".join(
            f'<li class="text"><a class="cid" href="#{anchor(i)}">{esc(i)}</a> passed, '
            "but the expectations file lists it: "
            f"<i>{esc(by_id[i].expectation_reason or '')}</i> — remove the entry</li>"
            for i in gate.stale if i in by_id
        )
        out.append(f'<h2>Stale expectations ({len(gate.stale)})</h2><ul class="attention warn">{items}</ul>')
    return "\n".join(out)


def _attention_item(check: CheckResult) -> str:
    return (
        f'<li>{pill(status_of(check))}<a class="cid" href="#{anchor(check.id)}">{esc(check.id)}</a>'
        f'<span class="muted">{esc(check.level)}</span><span title="{esc(_first_line(check.message))}">'
        f"{esc(_gist(check))}</span></li>"
    )


def _breakdown(title: str, checks: list[CheckResult], key: Any) -> str:
    groups: dict[str, Counter[str]] = {}
    for c in checks:
        groups.setdefault(str(key(c)), Counter())[status_of(c)] += 1
    head = "".join(f'<th class="num">{esc(STATUSES[s][0])}</th>' for s in ORDER)
    rows = []
    for name in sorted(groups, key=_group_order):
        counts = groups[name]
        total = sum(counts.values())
        cells = "".join(
            f'<td class="num{" zero" if not counts.get(s) else ""}">{counts.get(s, 0)}</td>' for s in ORDER
        )
        bar = "".join(
            f'<span style="width:{100 * counts[s] / total:.2f}%;background:{STATUSES[s][1]}" '
            f'title="{counts[s]} {s}"></span>'
            for s in ORDER if counts.get(s)
        )
        rows.append(f'<tr><td><b>{esc(name)}</b><div class="bar">{bar}</div></td>{cells}</tr>')
    return f"<h2>{esc(title)}</h2><table><tr><th></th>{head}</tr>{''.join(rows)}</table>"


def _group_order(name: str) -> tuple[int, str]:
    levels = ("MUST", "SHOULD", "MAY")
    return (levels.index(name), name) if name in levels else (len(levels), name)


def _about(results: RunResults, gate: Gate) -> str:
    target = dict(results.target)
    capabilities = target.pop("capabilities", {}) or {}
    rows = {**{k: v for k, v in target.items() if v not in (None, "", False)},
            **{f"capabilities.{k}": v for k, v in capabilities.items()}}
    says = {k: v for k, v in results.registry.items()} or {"(nothing)": ""}
    suite = results.suite
    run = {
        "suite": f"{suite.get('name', 'regsuite')} {suite.get('version', '?')} (Python {suite.get('python', '?')})",
        "started": results.started,
        "duration": f"{results.duration:.1f} s",
        "expectations": gate.source or "none (every failure fails the run)",
        "stale expectations": "fail the run (strict)" if gate.strict else "warn",
        "rate limiting": _rate_limiting(results),
    }
    config = {k: v for k, v in results.config.items() if k != "sources"}
    return (
        '<h2>Target and run</h2><div class="grid"><div>'
        f"<h3>Target</h3>{_kv(rows)}<h3>What the registry says about itself</h3>{_kv(says)}</div>"
        f"<div><h3>Run</h3>{_kv(run)}"
        '<details><summary><b>Configuration</b> <span class="muted">(secrets redacted)</span></summary>'
        f"{_kv(config)}</details>"
        "</div></div>"
    )


def _rate_limiting(results: RunResults) -> str:
    """How much the registry refused for load (the checks judged the answers after each wait)."""
    limits = RateLimits.merged([results.run.rate_limits]) if results.run.rate_limits else None
    return limits.line() if limits is not None and limits.refusals else "none met"


def _kv(data: dict[str, Any]) -> str:
    return '<dl class="kv">' + "".join(f"<dt>{esc(k)}</dt><dd>{esc(_plain(v))}</dd>" for k, v in data.items()) + "</dl>"


def _plain(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    return str(value)


def _unsupported(checks: list[CheckResult]) -> str:
    rows = [c for c in checks if c.outcome == Outcome.UNSUPPORTED]
    if not rows:
        return ""
    items = "".join(
        f'<tr><td class="cid nowrap"><a href="#{anchor(c.id)}">{esc(c.id)}</a></td><td>{esc(c.level)}</td>'
        f"<td>{esc(c.message)}</td></tr>"
        for c in rows
    )
    return (
        f"<h2>Unsupported features ({len(rows)})</h2>"
        '<p class="muted">The registry answered validly that it does not support these; they are not failures.</p>'
        f"<table><tr><th>check</th><th>level</th><th>what the registry said</th></tr>{items}</table>"
    )


def _areas(results: RunResults, opened: set[str]) -> str:
    checks = results.checks
    lines = evidence_lines(results.tls)
    by_area: dict[str, list[CheckResult]] = {}
    for c in checks:
        by_area.setdefault(c.area, []).append(c)
    out = ["<h2>Checks by area</h2>"]
    for area in sorted(by_area):
        rows = sorted(by_area[area], key=lambda c: (ORDER.index(status_of(c)), c.id))
        counts = Counter(status_of(c) for c in rows)
        tally = ", ".join(f"{counts[s]} {STATUSES[s][0]}" for s in ORDER if counts.get(s))
        out.append(f'<h3 id="area-{esc(area)}">{esc(area)} <span class="muted thin">— {tally}</span></h3>')
        out += [_check(c, c.id in opened, lines) for c in rows]
    return "\n".join(out)


def _check(check: CheckResult, opened: bool = False, lines: dict[str, str] | None = None) -> str:
    status = status_of(check)
    cells = (
        f"{pill(status)}<span class=\"cid\">{esc(check.id)}</span>"
        f'<span class="why" title="{esc(_first_line(check.message))}">{esc(_gist(check))}</span>'
        f'<span class="muted">{esc(check.level)}</span><span class="muted num">{check.duration:.2f}s</span>'
    )
    if check.outcome in (Outcome.FAILED, Outcome.ERROR, Outcome.UNSUPPORTED) or check.transcript:
        return (
            f'<details class="check {status}" id="{anchor(check.id)}"{" open" if opened else ""}>'
            f"<summary>{cells}</summary>"
            f'<div class="body">{_check_body(check, lines or {})}</div></details>'
        )
    return f'<div class="check-row {status}" id="{anchor(check.id)}" title="{esc(check.title)}">{cells}</div>'


def _check_body(check: CheckResult, lines: dict[str, str]) -> str:
    parts = [f"<div><b>{esc(check.title)}</b></div>"]
    if check.message:
        parts.append(f'<pre class="message">{esc(check.message)}</pre>')
    shown = [ref for ref in check.evidence if ref in lines]
    if shown:
        items = "".join(f'<li><a href="#{evidence_anchor(ref)}">{esc(lines[ref])}</a></li>' for ref in shown)
        parts.append(f'<div><b>Evidence</b></div><ul class="evidence">{items}</ul>')
    if check.expectation in ("expected", "stale"):
        parts.append(f"<div>Expectation ({esc(check.expectation)}): <i>{esc(check.expectation_reason or '')}</i></div>")
    parts.append(
        f'<div>Spec: <a href="{esc(check.spec_url)}">{esc(check.spec)}</a> · level {esc(check.level)}'
        f' · version {esc(check.version)} · test <code>{esc(check.nodeid)}</code></div>'
    )
    if check.transcript:
        parts.append(f"<div><b>Transcript</b> ({len(check.transcript)} exchanges, credentials redacted)</div>")
        parts.append(f'<pre class="transcript">{_transcript(check.transcript)}</pre>')
    return "".join(parts)


def _transcript(records: list[dict[str, Any]]) -> str:
    blocks = []
    for record in records:
        lines = []
        for line in exchange_of(record).render().splitlines():
            css = {">": "req", "<": "resp", "!": "err"}.get(line[:1], "")
            lines.append(f'<span class="{css}">{esc(line)}</span>' if css else esc(line))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _gist(check: CheckResult) -> str:
    """One line on what a check's row means: the rule broken (title), or why it is not a failure."""
    if check.expectation == "expected":
        return check.expectation_reason or check.title
    if check.expectation == "stale":
        return f"stale expectation: {check.expectation_reason}"
    if check.outcome in (Outcome.UNSUPPORTED, Outcome.SKIPPED, Outcome.ERROR) and check.message:
        return _first_line(check.message, WHY_LIMIT)
    return check.title


def _first_line(text: str, limit: int = 300) -> str:
    first = (text.strip().splitlines() or [""])[0]
    return first if len(first) <= limit else first[: limit - 1] + "…"
