"""Writing a run's report files next to its results.json."""

from __future__ import annotations

from pathlib import Path

from ..redact import redact_text
from ..results import RunResults, write_atomically
from .badge import badge_svg
from .html_report import render_report
from .junit import junit_xml

RESULTS_JSON = "results.json"
JUNIT_XML = "junit.xml"
REPORT_HTML = "report.html"
BADGE_SVG = "badge.svg"


def write_text(path: Path, text: str) -> None:
    """Write atomically, redacted once more: a report file never carries a known secret."""
    write_atomically(path, redact_text(text))


def write_reports(results: RunResults, directory: Path, *, html: bool = True, snapshot: bool = False) -> list[Path]:
    """results.json (again, with the expectations applied), junit.xml, badge.svg and report.html.

    A `snapshot` (written while the run goes) is results.json and junit.xml only.
    """
    results.write_json(directory / RESULTS_JSON, indent=None if snapshot else 2)
    written = [directory / RESULTS_JSON]
    outputs = {JUNIT_XML: junit_xml} if snapshot else {JUNIT_XML: junit_xml, BADGE_SVG: badge_svg}
    if html and not snapshot:
        outputs[REPORT_HTML] = render_report
    for name, render in outputs.items():
        write_text(directory / name, render(results))
        written.append(directory / name)
    return written
