"""report.html's TLS section: what each TLS deployment served, one line per fact.

Every line has an anchor; a failed tls check lists the lines its verdict rests
on (`CheckResult.evidence`, refs such as `127.0.0.1:5000/chain/0/not_after`)
and links to them, and each line names the failed checks that cite it.
"""

from __future__ import annotations

from typing import Any

from ..htmlpage import Markup, esc, slug
from ..results import CheckResult, Outcome
from .page import anchor

FIELDS = {
    "subject": "subject",
    "sans": "subjectAltName",
    "issuer": "issuer",
    "serial": "serial",
    "not_before": "not before",
    "not_after": "not after",
    "key": "key",
    "signature_algorithm": "signature algorithm",
}


def evidence_anchor(ref: str) -> str:
    return "evidence-" + slug(ref)


def _value(cert: dict[str, Any], field: str) -> str:
    value = cert.get(field)
    if field == "sans":
        return ", ".join(value or []) or "none: no subjectAltName"
    if field == "not_after":
        left = float(cert.get("days_left", 0))
        days = round(abs(left))
        unit = "day" if days == 1 else "days"
        return f"{value} ({days} {unit} left)" if left >= 0 else f"{value} (expired {days} {unit} ago)"
    return str(value)


def evidence_lines(deployments: list[dict[str, Any]]) -> dict[str, str]:
    """ref -> the line as text, for every line of every deployment."""
    lines = {}
    for deployment in deployments:
        endpoint = deployment["endpoint"]
        for cert in deployment.get("chain", []):
            position = cert["position"]
            for field, label in FIELDS.items():
                lines[f"{endpoint}/chain/{position}/{field}"] = (
                    f"{endpoint}: certificate {position} ({cert['role']}), {label}: {_value(cert, field)}"
                )
        for key, attempt in deployment.get("attempts", {}).items():
            lines[f"{endpoint}/attempts/{key}"] = f"{endpoint}: {attempt['what']}: {attempt['result']}"
    return lines


def _citations(checks: list[CheckResult]) -> dict[str, list[str]]:
    """ref -> the failed checks that rest on it."""
    cited: dict[str, list[str]] = {}
    for check in checks:
        if check.outcome in (Outcome.FAILED, Outcome.ERROR):
            for ref in check.evidence:
                cited.setdefault(ref, []).append(check.id)
    return cited


def _cell(ref: str, text: str, cited: dict[str, list[str]]) -> str:
    by = cited.get(ref, [])
    css = ' class="bad"' if by else ""
    links = "".join(f' <a class="cid" href="#{anchor(c)}">← {esc(c)}</a>' for c in by)
    return f'<td id="{evidence_anchor(ref)}"{css}>{esc(text)}{links}</td>'


def _deployment(deployment: dict[str, Any], cited: dict[str, list[str]]) -> str:
    endpoint = deployment["endpoint"]
    chain = deployment.get("chain", [])
    facts = {
        "verified against": deployment.get("trust", "?"),
        "negotiated": f"{deployment.get('protocol') or '—'}, {deployment.get('cipher') or '—'}",
    }
    if deployment.get("error"):
        facts["no certificate seen"] = deployment["error"]
    out = [
        f"<h3>{esc(deployment.get('deployment', ''))} — <span class=\"cid\">{esc(endpoint)}</span></h3>",
        '<dl class="kv">' + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in facts.items()) + "</dl>",
    ]
    if chain:
        head = "".join(f"<th>certificate {c['position']} ({esc(c['role'])})</th>" for c in chain)
        rows = "".join(
            f"<tr><th>{esc(label)}</th>"
            + "".join(_cell(f"{endpoint}/chain/{c['position']}/{field}", _value(c, field), cited) for c in chain)
            + "</tr>"
            for field, label in FIELDS.items()
        )
        out.append(f'<div><b>The chain as served, in order</b></div><table class="tls-chain"><tr><th></th>{head}</tr>'
                   f"{rows}</table>")
    attempts = deployment.get("attempts", {})
    if attempts:
        rows = "".join(
            f"<tr><td>{esc(a['what'])}</td>{_cell(f'{endpoint}/attempts/{key}', a['result'], cited)}</tr>"
            for key, a in attempts.items()
        )
        out.append(f"<div><b>What each check's own connection got</b></div><table><tr><th>attempt</th>"
                   f"<th>result</th></tr>{rows}</table>")
    return "".join(out)


def render_tls_evidence(deployments: list[dict[str, Any]], checks: list[CheckResult]) -> Markup:
    if not deployments:
        return Markup("")
    cited = _citations(checks)
    parts = [_deployment(d, cited) for d in deployments]
    return Markup(
        '<h2 id="tls-evidence">TLS: what was served</h2><p class="muted">Read from an unverified handshake, so a '
        "certificate clients refuse is shown too; a line a failed check rests on is marked and links to it.</p>"
        + "".join(parts)
    )
