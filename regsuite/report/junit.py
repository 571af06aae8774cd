"""junit.xml that CI tools count correctly.

One <testsuite> per area, one <testcase> per check verdict, named by the
check id with its parameters (unique within a run). Verdicts map to:

- failed            -> <failure> (message, then the transcript as text)
- error             -> <error>   (network failure or timeout)
- unsupported       -> <skipped type="unsupported"> with the registry's reason
- skipped           -> <skipped type="skipped"> with why it did not run
- expected failure  -> <skipped type="expected-failure"> with the expectation's
  reason, the failure text in <system-out> (it does not fail the gate, so it
  must not turn CI red either)
- stale expectation -> passed, with a <property name="stale-expectation">

A run that did not finish (killed while it ran, interrupted, stopped by its
deadline or at the first contact) gets one more suite, `regsuite.run`, whose
test case `run.complete` is an <error type="run-cut-short"> saying why: CI
shows a partial file as red, never as a short green run.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from urllib.parse import urlsplit

from ..redact import redact_text
from ..results import CheckResult, Outcome, RunResults, RunState
from .transcripts import transcript_text

MESSAGE_LIMIT = 500  # characters of the message attribute; the full text is the element body
# characters XML 1.0 cannot carry at all (binary bodies in transcripts have them)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def junit_xml(results: RunResults) -> str:
    root = ET.Element("testsuites", name="regsuite conformance")
    by_area: dict[str, list[CheckResult]] = {}
    for check in results.checks:
        by_area.setdefault(check.area, []).append(check)
    for area in sorted(by_area):
        root.append(_suite(area, by_area[area], results))
    if not results.run.complete:
        root.append(_cut_short(results))
    _count(root, root.findall("testsuite"))
    root.set("time", f"{results.duration:.3f}")
    ET.indent(root)
    text = ET.tostring(root, encoding="unicode", xml_declaration=True)
    return redact_text(_NOT_XML.sub("\ufffd", text)) + "\n"


def _suite(area: str, checks: list[CheckResult], results: RunResults) -> ET.Element:
    suite = ET.Element("testsuite", name=f"regsuite.{area}", timestamp=results.started,
                       hostname=urlsplit(str(results.target.get("url", ""))).netloc)
    properties = ET.SubElement(suite, "properties")
    for name, value in (("target", results.target.get("url")), ("suite.version", results.suite.get("version"))):
        ET.SubElement(properties, "property", name=name, value=str(value or ""))
    for check in checks:
        suite.append(_case(check))
    _count(suite, suite.findall("testcase"), leaf=True)
    suite.set("time", f"{sum(c.duration for c in checks):.3f}")
    return suite


def cut_short_message(results: RunResults) -> str:
    run = results.run
    ran = f"{len(results.checks)} of {run.selected} checks have a verdict" if run.selected else \
        f"{len(results.checks)} checks have a verdict"
    if run.state == RunState.RUNNING:
        return (f"the run did not finish: this file was written while it ran ({ran}); "
                "the run ended before it could write its final reports (killed?)")
    return f"the run was cut short: {run.reason} ({ran})"


def _cut_short(results: RunResults) -> ET.Element:
    suite = ET.Element("testsuite", name="regsuite.run", timestamp=results.started,
                       hostname=urlsplit(str(results.target.get("url", ""))).netloc)
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", name="run.state", value=results.run.state.value)
    case = ET.SubElement(suite, "testcase", classname="regsuite.run", name="run.complete", time="0.000")
    message = cut_short_message(results)
    ET.SubElement(case, "error", type="run-cut-short", message=_short(message)).text = message
    _count(suite, suite.findall("testcase"), leaf=True)
    suite.set("time", "0.000")
    return suite


def _case(check: CheckResult) -> ET.Element:
    case = ET.Element("testcase", classname=f"regsuite.{check.area}", name=check.id, time=f"{check.duration:.3f}",
                      file=check.nodeid.split("::", 1)[0])
    properties = ET.SubElement(case, "properties")
    for name, value in (("level", check.level), ("spec", check.spec), ("spec_url", check.spec_url),
                        ("title", check.title), ("outcome", check.outcome.value)):
        ET.SubElement(properties, "property", name=name, value=value)
    details = _details(check)
    if check.expectation == "expected":
        skipped = ET.SubElement(case, "skipped", type="expected-failure",
                                message=_short(f"expected {check.outcome.value}: {check.expectation_reason}"))
        skipped.text = check.expectation_reason or ""
        ET.SubElement(case, "system-out").text = details
    elif check.outcome == Outcome.FAILED:
        ET.SubElement(case, "failure", type="check-failed", message=_short(check.message)).text = details
    elif check.outcome == Outcome.ERROR:
        ET.SubElement(case, "error", type="check-error", message=_short(check.message)).text = details
    elif check.outcome in (Outcome.UNSUPPORTED, Outcome.SKIPPED):
        ET.SubElement(case, "skipped", type=check.outcome.value, message=_short(check.message)).text = check.message
    if check.expectation == "stale":
        ET.SubElement(properties, "property", name="stale-expectation", value=check.expectation_reason or "")
        ET.SubElement(case, "system-out").text = (
            f"stale expectation: listed as a known deviation ({check.expectation_reason}) but passed"
        )
    return case


def _details(check: CheckResult) -> str:
    parts = [check.message, f"spec: {check.spec} {check.spec_url}"]
    transcript = transcript_text(check.transcript)
    if transcript:
        parts += ["", transcript]
    return "\n".join(parts)


def _short(text: str) -> str:
    first = " ".join(text.split())
    return first if len(first) <= MESSAGE_LIMIT else first[: MESSAGE_LIMIT - 3] + "..."


def _count(element: ET.Element, children: Iterable[ET.Element], *, leaf: bool = False) -> None:
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for child in children:
        if leaf:
            totals["tests"] += 1
            totals["failures"] += child.find("failure") is not None
            totals["errors"] += child.find("error") is not None
            totals["skipped"] += child.find("skipped") is not None
        else:
            for key in totals:
                totals[key] += int(child.get(key, "0"))
    for key, value in totals.items():
        element.set(key, str(value))
