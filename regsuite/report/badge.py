"""An SVG badge for READMEs: "conformance | 57/63 passed".

Total counts the checks that ran: skipped checks (not run) are left out,
unsupported ones count (the feature is missing). Green when everything ran
passed, yellow from 80 %, red below.
"""

from __future__ import annotations

from ..htmlpage import esc
from ..results import Outcome, RunResults

CHAR_WIDTH = 6.6  # average advance of 11px Verdana/DejaVu Sans, close enough for badge widths
PADDING = 10


def badge_counts(results: RunResults) -> tuple[int, int]:
    ran = [c for c in results.checks if c.outcome != Outcome.SKIPPED]
    return sum(c.outcome == Outcome.PASSED for c in ran), len(ran)


def badge_svg(results: RunResults, label: str = "conformance") -> str:
    passed, total = badge_counts(results)
    value = f"{passed}/{total} passed"
    ratio = passed / total if total else 0.0
    colour = "#4c1" if total and passed == total else "#dfb317" if ratio >= 0.8 else "#e05d44"
    left = round(len(label) * CHAR_WIDTH + PADDING)
    right = round(len(value) * CHAR_WIDTH + PADDING)
    width = left + right
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" '
        f'aria-label="{esc(label)}: {esc(value)}"><title>{esc(label)}: {esc(value)}</title>'
        '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/>'
        '<stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{width}" height="20" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{left}" height="20" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{colour}"/>'
        f'<rect width="{width}" height="20" fill="url(#s)"/></g>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{left / 2:.1f}" y="15" fill="#010101" fill-opacity=".3">{esc(label)}</text>'
        f'<text x="{left / 2:.1f}" y="14">{esc(label)}</text>'
        f'<text x="{left + right / 2:.1f}" y="15" fill="#010101" fill-opacity=".3">{esc(value)}</text>'
        f'<text x="{left + right / 2:.1f}" y="14">{esc(value)}</text></g></svg>\n'
    )
