"""Inline SVG charts for self-contained HTML reports: line charts over time and bar charts.

No JavaScript and no external files, so a report opens anywhere and can be
attached to a CI run as is. Their look (the `svg.chart` rules) is in the one
stylesheet of regsuite.htmlpage; every label passes through its `esc`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..htmlpage import esc

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b")
_W, _H = 620, 230
_LEFT, _RIGHT, _TOP, _BOTTOM = 58, 14, 30, 34
_TITLE_CHAR_W = 7.0  # about the width of one character of a title: a longer title is squeezed to fit


@dataclass(frozen=True)
class Series:
    label: str
    points: list[tuple[float, float]]  # (x, y)
    color: str = ""


def nice_ticks(high: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least `high`."""
    if high <= 0 or not math.isfinite(high):
        return [0.0, 1.0]
    raw = high / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [i * step for i in range(int(math.ceil(high / step)) + 1)]


def _fmt(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:g}k"
    return f"{value:g}" if value == int(value) else f"{value:.2g}" if value < 1 else f"{value:.1f}"


def line_chart(title: str, series: list[Series], y_unit: str, x_unit: str = "s", *, x_label: str | None = None,
               marks: Sequence[tuple[float, str]] = (), limits: Sequence[tuple[float, str]] = (),
               dots: bool = False, x_whole: bool = False) -> str:
    """Lines over x (time by default). `marks` draw labelled vertical lines at x values (a knee),
    `limits` dashed horizontal lines at y values (an SLO threshold); `dots` marks every point;
    `x_whole` keeps x ticks on whole numbers (users)."""
    series = [Series(s.label, s.points, s.color or PALETTE[i % len(PALETTE)]) for i, s in enumerate(series)]
    drawn = [s for s in series if s.points]
    if not drawn:
        return _empty(title, "no data")
    xs = [x for s in drawn for x, _ in s.points]
    ys = [y for s in drawn for _, y in s.points] + [y for y, _ in limits]
    x_ticks = nice_ticks(max(xs) or 1, 6)
    if x_whole and len(x_ticks) > 1 and x_ticks[1] < 1:
        x_ticks = [float(i) for i in range(int(math.ceil(max(xs))) + 1)]
    y_ticks = nice_ticks(max(ys) * 1.05 or 1, 4)
    x_max, y_max = x_ticks[-1], y_ticks[-1]
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM

    def px(x: float) -> float:
        return _LEFT + plot_w * x / x_max

    def py(y: float) -> float:
        return _TOP + plot_h * (1 - y / y_max)

    parts = [_open(title)]
    for t in y_ticks:
        parts.append(f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{py(t):.1f}" y2="{py(t):.1f}" class="grid"/>')
        parts.append(f'<text x="{_LEFT - 6}" y="{py(t) + 4:.1f}" class="ytick">{_fmt(t)}</text>')
    for t in x_ticks:
        parts.append(f'<text x="{px(t):.1f}" y="{_H - _BOTTOM + 16}" class="xtick">{_fmt(t)}</text>')
    axis_label = x_label or f"time ({x_unit})"
    parts.append(f'<text x="{_W - _RIGHT}" y="{_H - 4}" class="unit" text-anchor="end">{esc(axis_label)}</text>')
    parts.append(f'<text x="6" y="{_TOP - 8}" class="unit">{esc(y_unit)}</text>')
    parts.append(f'<line x1="{_LEFT}" x2="{_LEFT}" y1="{_TOP}" y2="{_TOP + plot_h}" class="axis"/>')
    parts.append(f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{_TOP + plot_h}" y2="{_TOP + plot_h}" class="axis"/>')
    for s in drawn:
        path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in s.points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{s.color}" stroke-width="2"/>')
        for x, y in s.points if dots or len(s.points) == 1 else ():
            parts.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{s.color}"/>')
    for y, label in limits:
        parts.append(f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{py(y):.1f}" y2="{py(y):.1f}" class="limit"/>')
        parts.append(f'<text x="{_W - _RIGHT - 4}" y="{py(y) - 4:.1f}" class="mark" text-anchor="end">'
                     f'{esc(label)}</text>')
    for x, label in marks:
        parts.append(f'<line x1="{px(x):.1f}" x2="{px(x):.1f}" y1="{_TOP}" y2="{_TOP + plot_h}" class="knee"/>')
        parts.append(f'<text x="{px(x) + 4:.1f}" y="{_TOP + 24}" class="mark">{esc(label)}</text>')
    parts.append(_legend(drawn))
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(title: str, bars: list[tuple[str, float]], unit: str) -> str:
    """Horizontal bars, largest first (e.g. errors by type)."""
    if not bars:
        return _empty(title, "none")
    bars = sorted(bars, key=lambda b: -b[1])[:12]
    label_w, row_h = 370, 22
    height = _TOP + row_h * len(bars) + 16
    high = nice_ticks(max(v for _, v in bars))[-1]
    parts = [_open(title, height)]
    for i, (label, value) in enumerate(bars):
        y = _TOP + i * row_h
        width = (_W - label_w - 60) * value / high
        short = label if len(label) <= 60 else label[:59] + "…"
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" class="ytick">'
                     f'<title>{esc(label)}</title>{esc(short)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{width:.1f}" height="{row_h - 6}" fill="{PALETTE[1]}"/>')
        parts.append(f'<text x="{label_w + width + 4:.1f}" y="{y + 15}" class="value">'
                     f'{_fmt(value)} {esc(unit)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _open(title: str, height: int = _H) -> str:
    room = _W - 16
    fit = f' textLength="{room}" lengthAdjust="spacingAndGlyphs"' if len(title) * _TITLE_CHAR_W > room else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {_W} {height}" width="{_W}" '
            f'height="{height}" role="img" aria-label="{esc(title)}">'
            f'<text x="{_W / 2}" y="16" class="title"{fit}>{esc(title)}</text>')


def _legend(series: list[Series]) -> str:
    parts, x = [], _LEFT + 8
    for s in series:
        parts.append(f'<rect x="{x}" y="{_TOP + 4}" width="12" height="4" fill="{s.color}"/>')
        parts.append(f'<text x="{x + 16}" y="{_TOP + 10}" class="legend">{esc(s.label)}</text>')
        x += 26 + 7 * len(s.label)
    return "".join(parts)


def _empty(title: str, text: str) -> str:
    return (_open(title, 70) + f'<text x="{_W / 2}" y="46" class="empty">{esc(text)}</text></svg>')
