"""The access matrix section of report.html: route x who asks, a verdict per cell, the policy it was judged by."""

from __future__ import annotations

from ..access import matrix_of
from ..htmlpage import esc
from ..results import CheckResult
from .page import STATUSES, anchor, status_of

HOW_TO_READ = (
    "Each cell is one check verdict: the route's request sent without credentials, with wrong credentials "
    "(a wrong password, an unknown user, an empty password, a malformed Authorization header, a garbage Bearer "
    "token), as the pull-only user, as the push user, and with the push user's token for another repository. "
    "A cell links to its check; — means the cell does not apply (GET /v2/ needs no scope; the catalog, upload "
    "status and GET /v2/ are not about pull rights)."
)


def render_access_matrix(checks: list[CheckResult]) -> str:
    matrix = matrix_of(checks)
    if not matrix:
        return ""
    by_id = {c.id: c for c in checks}
    columns: list[str] = matrix["columns"]
    out = ["<h2>Access control matrix</h2>", f'<p class="muted">{esc(HOW_TO_READ)}</p>']
    for deployment in matrix["deployments"]:
        if deployment["name"]:
            out.append(f"<h3>{esc(deployment['name'])}</h3>")
        policy = deployment["policy"] or "not stated (no matrix check ran to completion)"
        out.append(f"<p><b>Policy</b>: {esc(policy)}</p>")
        used = [c for c in columns if any(c in row["cells"] for row in deployment["rows"])]
        head = "".join(f"<th>{esc(c)}</th>" for c in used)
        rows = []
        for row in deployment["rows"]:
            cells = "".join(_cell(by_id.get(row["cells"].get(c, ""))) for c in used)
            rows.append(f'<tr><td class="nowrap"><code>{esc(row["method"])} {esc(row["path"])}</code></td>{cells}</tr>')
        out.append(f'<table class="matrix"><tr><th>route</th>{head}</tr>{"".join(rows)}</table>')
    return "\n".join(out)


def _cell(check: CheckResult | None) -> str:
    if check is None:
        return '<td class="muted" style="text-align:center;vertical-align:middle">—</td>'
    status = status_of(check)
    label, colour = STATUSES[status]
    first = (check.message.strip().splitlines() or [check.title])[0]
    return (f'<td class="cell" style="background:{colour};vertical-align:middle" title="{esc(first)}">'
            f'<a style="color:#fff" href="#{anchor(check.id)}">{esc(label)}</a></td>')
