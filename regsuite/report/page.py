"""Conformance outcomes on a page: their labels and colours, pills, anchors of checks.

The page itself (stylesheet, escaping, banner, footer) is regsuite.htmlpage's.
"""

from __future__ import annotations

from ..htmlpage import BAD, GOOD, Markup, esc, slug
from ..results import CheckResult

# display status -> (label, colour); "expected" is a failure the expectations file lists
STATUSES: dict[str, tuple[str, str]] = {
    "failed": ("failed", BAD),
    "error": ("error", "#e65100"),
    "expected": ("expected failure", "#7b6f99"),
    "passed": ("passed", GOOD),
    "unsupported": ("unsupported", "#1565c0"),
    "skipped": ("skipped", "#757575"),
    "absent": ("not run", "#bdbdbd"),
}


def status_of(check: CheckResult) -> str:
    return "expected" if check.expectation == "expected" else check.outcome.value


def pill(status: str) -> Markup:
    label, colour = STATUSES[status]
    return Markup(f'<span class="pill" style="--c:{colour}">{esc(label)}</span>')


def anchor(check_id: str) -> str:
    return "check-" + slug(check_id)
