"""What every regsuite HTML page shares: escaping, the stylesheet, outcome colours.

Pages are self-contained: CSS inline, no scripts, fonts or images from
anywhere, so a report opens the same from a CI artifact, a mail or a laptop.
"""

from __future__ import annotations

from html import escape

from ..redact import redact_text
from ..results import CheckResult

# display status -> (label, colour); "expected" is a failure the expectations file lists
STATUSES: dict[str, tuple[str, str]] = {
    "failed": ("failed", "#c62828"),
    "error": ("error", "#e65100"),
    "expected": ("expected failure", "#7b6f99"),
    "passed": ("passed", "#2e7d32"),
    "unsupported": ("unsupported", "#1565c0"),
    "skipped": ("skipped", "#757575"),
    "absent": ("not run", "#bdbdbd"),
}

CSS = """
:root { --ink:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg:#f6f8fa; }
* { box-sizing: border-box; }
body {
  margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
  color:var(--ink); background:#fff;
}
main { max-width: 1280px; margin: 0 auto; padding: 0 24px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 20px 0 6px; }
a { color: #0969da; text-decoration: none; } a:hover { text-decoration: underline; }
code, pre, .mono { font-family: ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace; font-size: 12.5px; }
.banner { padding: 18px 0; color: #fff; margin-bottom: 18px; }
.banner > div.in { max-width: 1280px; margin: 0 auto; padding: 0 24px; }
.banner.ok { background: #2e7d32; } .banner.fail { background: #b71c1c; } .banner.neutral { background: #24292f; }
.banner .verdict { font-size: 26px; font-weight: 700; }
.banner .meta { opacity: .92; margin-top: 4px; }
.banner .meta span + span::before { content: " · "; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; }
.card {
  border: 1px solid var(--line); border-left: 6px solid var(--c); border-radius: 6px; padding: 8px 14px;
  min-width: 120px; background: var(--bg);
}
.card .n { font-size: 24px; font-weight: 700; color: var(--c); }
.card .l { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.grid { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 32px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--bg); font-weight: 600; font-size: 12px; color: var(--muted); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; width: 1%; white-space: nowrap; }
th.num { white-space: normal; min-width: 52px; }
td.zero { color: #c0c6cc; }
.bar {
  display: flex; height: 10px; min-width: 140px; border-radius: 3px; overflow: hidden; background: #eee;
  margin-top: 4px;
}
.bar span { display: block; height: 100%; }
.pill {
  display: inline-block; min-width: 124px; text-align: center; padding: 1px 8px; border-radius: 10px;
  color: #fff; font-size: 12px; font-weight: 600; background: var(--c); white-space: nowrap;
}
.attention {
  list-style: none; border: 1px solid #f0b4b4; background: #fff5f5; border-radius: 6px; padding: 6px 14px;
}
.attention.warn { border-color: #e8d48a; background: #fffbea; }
.attention.good { border-color: #a5d6a7; background: #f1f8f1; }
.attention li {
  margin: 2px 0; display: grid; grid-template-columns: 132px minmax(200px, 1.3fr) 64px 3fr; gap: 10px;
  align-items: baseline;
}
.attention li.text { display: block; }
.attention.changes li { grid-template-columns: minmax(240px, 1.4fr) 132px 16px 132px 3fr; }
.attention li > span:last-child { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.muted { color: var(--muted); }
.nowrap { white-space: nowrap; }
h2.inline { display: inline-block; border: 0; margin: 20px 0 6px; }
details > summary > h2.inline { cursor: pointer; }
.attention.known { border-color: #cfc8e3; background: #f7f5fc; }
.thin { font-weight: 400; } .verdict .thin { font-size: 18px; }
details.check { border-bottom: 1px solid var(--line); }
details.check > summary, .check-row {
  display: grid; grid-template-columns: 132px minmax(240px, 2fr) 3fr 64px 56px; gap: 10px; padding: 5px 4px;
  align-items: baseline;
}
details.check > summary { cursor: pointer; list-style: none; }
details.check > summary::-webkit-details-marker { display: none; }
details.check > summary .cid::before { content: "\\25B8  "; color: var(--muted); }
details.check[open] > summary .cid::before { content: "\\25BE  "; }
details.check > summary:hover { background: var(--bg); }
details.check[open] > summary { background: var(--bg); font-weight: 600; }
.check-row { border-bottom: 1px solid var(--line); }
.cid { font-family: ui-monospace,"DejaVu Sans Mono",monospace; font-size: 12.5px; overflow-wrap: anywhere; }
.why { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; color: var(--muted); }
.failed .why, .error .why { color: #8b1a1a; }
.body { padding: 6px 12px 14px 146px; }
.body pre {
  background: #f6f8fa; border: 1px solid var(--line); border-radius: 4px; padding: 8px 10px;
  white-space: pre-wrap; overflow-wrap: anywhere; margin: 6px 0;
}
pre.message { border-left: 4px solid #c62828; background: #fff5f5; }
pre.transcript { max-height: 560px; overflow: auto; }
.req { color: #0550ae; } .resp { color: #116329; } .err { color: #b71c1c; font-weight: 600; }
dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
dl.kv dt {
  color: var(--muted); } dl.kv dd { margin: 0; font-family: ui-monospace,"DejaVu Sans Mono",monospace;
  font-size: 12.5px; overflow-wrap: anywhere;
}
.matrix td.cell { text-align: center; color: #fff; font-size: 12px; font-weight: 600; white-space: nowrap; }
"""


def esc(value: object) -> str:
    """Escaped and redacted: every string that reaches a page passes through here."""
    return escape(redact_text(str(value)), quote=True)


def status_of(check: CheckResult) -> str:
    return "expected" if check.expectation == "expected" else check.outcome.value


def pill(status: str) -> str:
    label, colour = STATUSES[status]
    return f'<span class="pill" style="--c:{colour}">{esc(label)}</span>'


def anchor(check_id: str) -> str:
    return "check-" + "".join(ch if ch.isalnum() or ch in "-._" else "_" for ch in check_id)


def page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{esc(title)}</title><style>{CSS}</style></head>\n<body>\n{body}\n</body></html>\n"
    )
