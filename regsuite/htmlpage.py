"""The shell of every HTML page regsuite writes: one stylesheet, one escape that redacts, header, footer.

The conformance report, its compare page, the load summary, the capacity
report and the load/capacity compare page all render through `page`. Pages
are self-contained: CSS inline, charts as inline SVG, no scripts, fonts or
images from anywhere, so a page opens the same from a CI artifact, a mail or
a laptop.

Every string that reaches a page passes through `esc`, which redacts (known
secrets, credentials in URLs, token fields) before it escapes; `Markup` marks
HTML already built from escaped parts. `page` redacts the finished document
once more, as report files are.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Literal

from . import __version__
from .redact import redact_text

Tone = Literal["ok", "fail", "warn", "neutral"]  # the banner's colour: verdict passed, failed, qualified, none
INK, GOOD, BAD = "#1f2328", "#2e7d32", "#c62828"  # card and outcome colours: neutral, passed, failed


class Markup(str):
    """HTML built from escaped parts: `esc` passes it through as it is."""

    __slots__ = ()


def esc(value: object) -> Markup:
    """Redacted, then escaped: every string that reaches a page passes through here."""
    if isinstance(value, Markup):
        return value
    return Markup(escape(redact_text(str(value)), quote=True))


def slug(text: str) -> str:
    """`text` as an id attribute or a link target: redacted, then only letters, digits and -._ kept."""
    return "".join(ch if ch.isalnum() or ch in "-._" else "_" for ch in redact_text(text))


@dataclass(frozen=True)
class Header:
    """The banner at the top of a page: what it is, the verdict, the facts of the run."""

    heading: str  # what the page is ("regsuite conformance report")
    tone: Tone = "neutral"
    verdict: str = ""  # PASSED, FAILED, ... in large type
    detail: str = ""  # the verdict's reason, on the same line
    notes: Sequence[tuple[str, str]] = ()  # labelled lines under the verdict: ("Stopped", "throughput ...")
    facts: Sequence[str | tuple[str, object]] = ()  # the meta line: text, or (label, value) shown "label <b>value</b>"


@dataclass(frozen=True)
class Card:
    value: object
    label: str
    colour: str = INK


@dataclass(frozen=True)
class TableRow:
    """A table row with a class (`bad`, `knee`, ...) for its look."""

    cells: Sequence[object]
    css: str = ""


@dataclass(frozen=True)
class Cell:
    """A table cell with its own class instead of its column's alignment."""

    value: object
    css: str


def page(title: str, header: Header, body: str, *, files: Sequence[str] = (), note: str = "") -> str:
    """A whole document: head and stylesheet, the banner, `body` (HTML) as the main part, the footer.
    `files` are the run's other files, linked by name from the footer."""
    document = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head>\n<body>\n"
        f"{_banner(header)}\n<main>\n{body}\n</main>\n{_footer(files, note)}\n</body></html>\n"
    )
    return redact_text(document)


def _banner(header: Header) -> str:
    verdict = ""
    if header.verdict or header.detail:
        detail = f' <span class="thin">— {esc(header.detail)}</span>' if header.detail else ""
        verdict = f'<div class="verdict">{esc(header.verdict)}{detail}</div>'
    notes = "".join(f"<div><b>{esc(label)}:</b> {esc(text)}</div>" for label, text in header.notes)
    facts = "".join(
        f"<span>{esc(fact[0])} <b>{esc(fact[1])}</b></span>" if isinstance(fact, tuple) else f"<span>{esc(fact)}</span>"
        for fact in header.facts if fact
    )
    return (
        f'<header class="banner {header.tone}"><div class="in"><h1>{esc(header.heading)}</h1>{verdict}'
        + (f'<div class="notes">{notes}</div>' if notes else "")
        + (f'<div class="meta">{facts}</div>' if facts else "")
        + "</div></header>"
    )


def _footer(files: Sequence[str], note: str) -> str:
    links = " · ".join(f'<a href="{esc(name)}">{esc(name)}</a>' for name in files)
    parts = [
        f"Files: {links}" if links else "",
        esc(note),
        f"written by regsuite {esc(__version__)} · one self-contained page: no scripts, nothing loaded from "
        "elsewhere · credentials and tokens redacted",
    ]
    return '<footer><div class="in">' + "".join(f"<div>{p}</div>" for p in parts if p) + "</div></footer>"


def cards(items: Iterable[Card]) -> str:
    return '<div class="cards">' + "".join(
        f'<div class="card" style="--c:{card.colour}"><div class="n">{esc(card.value)}</div>'
        f'<div class="l">{esc(card.label)}</div></div>'
        for card in items
    ) + "</div>"


def alert(title: str, text: str, tone: Tone = "warn") -> str:
    """A boxed warning under the banner ("Generator saturated. The knee measures ...")."""
    return f'<div class="alert {tone}"><b>{esc(title)}</b> {esc(text)}</div>'


def table(head: Sequence[object], rows: Iterable[TableRow | Sequence[object]], *, text_columns: int = 1,
          css: str = "") -> str:
    """A table whose first `text_columns` columns are text and the rest figures (right-aligned).
    Cells are escaped unless they are `Markup`; a `Cell` brings its own class."""
    def cell(tag: str, index: int, value: object) -> str:
        if isinstance(value, Cell):
            return f'<{tag} class="{value.css}">{esc(value.value)}</{tag}>'
        align = ' class="num"' if index >= text_columns else ""
        return f"<{tag}{align}>{esc(value)}</{tag}>"

    out = [f'<table class="{f"figures {css}".rstrip()}">',
           "<tr>" + "".join(cell("th", i, h) for i, h in enumerate(head)) + "</tr>"]
    for row in rows:
        cells, row_css = (row.cells, row.css) if isinstance(row, TableRow) else (row, "")
        out.append((f'<tr class="{row_css}">' if row_css else "<tr>")
                   + "".join(cell("td", i, c) for i, c in enumerate(cells)) + "</tr>")
    return "".join(out) + "</table>"


CSS = """
:root { --ink:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg:#f6f8fa; }
* { box-sizing: border-box; }
body {
  margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
  color:var(--ink); background:#fff;
}
main { max-width: 1280px; margin: 0 auto; padding: 0 24px 32px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 20px 0 6px; }
a { color: #0969da; text-decoration: none; } a:hover { text-decoration: underline; }
code, pre, .mono { font-family: ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace; font-size: 12.5px; }
.banner { padding: 18px 0; color: #fff; margin-bottom: 18px; }
.banner > div.in, footer > div.in { max-width: 1280px; margin: 0 auto; padding: 0 24px; }
.banner.ok { background: #2e7d32; } .banner.fail { background: #b71c1c; }
.banner.warn { background: #9a5b00; } .banner.neutral { background: #24292f; }
.banner a { color: #fff; text-decoration: underline; }
.banner .verdict { font-size: 26px; font-weight: 700; }
.banner .notes { margin-top: 4px; font-size: 15px; }
.banner .meta { opacity: .92; margin-top: 6px; }
.banner .meta span + span::before { content: " · "; }
footer { border-top: 1px solid var(--line); color: var(--muted); font-size: 12px; padding: 12px 0 24px; }
.alert { border: 1px solid #e8d48a; background: #fffbea; border-radius: 6px; padding: 8px 14px; margin: 10px 0; }
.alert.fail { border-color: #f0b4b4; background: #fff5f5; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 12px 0; }
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
table.figures { width: auto; min-width: 40%; margin: 6px 0; }
table.figures th, table.figures td.num { white-space: nowrap; width: auto; }
table.figures td { padding: 4px 10px; }
tr.bad td, td.bad { background: #fff0f0; } td.good { background: #eef8ee; }
tr.knee td { background: #eef8ee; font-weight: 600; }
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
.body pre, pre.ticket {
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
.verdict-pass { color: #2e7d32; } .verdict-slo, .verdict-failed { color: #b71c1c; }
.verdict-plateau, .verdict-rate-limited { color: #9a5b00; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 14px; }
svg.chart { width: 100%; height: auto; background: #fff; border: 1px solid var(--line); border-radius: 6px; }
svg.chart text { font-family: system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif; }
svg.chart .title { font-size: 13px; font-weight: 600; text-anchor: middle; fill: var(--ink); }
svg.chart .grid { stroke: #eaeef2; } svg.chart .axis { stroke: #8c959f; }
svg.chart .ytick { font-size: 11px; text-anchor: end; fill: var(--muted); }
svg.chart .xtick { font-size: 11px; text-anchor: middle; fill: var(--muted); }
svg.chart .unit, svg.chart .legend, svg.chart .value { font-size: 11px; fill: var(--muted); }
svg.chart .knee { stroke: #57606a; stroke-width: 1.5; stroke-dasharray: 5 3; }
svg.chart .limit { stroke: #c62828; stroke-width: 1; stroke-dasharray: 3 3; }
svg.chart .mark { font-size: 11px; font-weight: 600; fill: var(--ink); }
svg.chart .empty { font-size: 12px; text-anchor: middle; fill: var(--muted); }
"""
