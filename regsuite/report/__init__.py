"""Reports of a conformance run, pure functions over `regsuite.results.RunResults`.

- `junit_xml`: junit.xml with real failure/error/skipped elements;
- `render_report`: the self-contained report.html;
- `badge_svg`: a passed/total badge;
- expectations: known deviations and the CI gate (`apply_expectations`);
- compare: several runs side by side, and what changed between them.
"""

from .badge import badge_svg
from .compare import compare_text, render_compare
from .expectations import (
    Expectations,
    Gate,
    apply_expectations,
    dump_expectations,
    expectations_from_run,
    gate_of,
    load_expectations,
)
from .html_report import render_report
from .junit import junit_xml
from .writer import write_reports

__all__ = [
    "Expectations",
    "Gate",
    "apply_expectations",
    "badge_svg",
    "compare_text",
    "dump_expectations",
    "expectations_from_run",
    "gate_of",
    "junit_xml",
    "load_expectations",
    "render_compare",
    "render_report",
    "write_reports",
]
