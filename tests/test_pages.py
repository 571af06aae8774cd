"""Every HTML page regsuite writes renders through the one shell and keeps a planted password out.

Each page is rendered from results in which every field a user (or the registry) controls holds a
password: run names, labels, profile and scenario names and descriptions, SLO names, messages,
transcript bodies and headers, check ids, expectation reasons, configuration values, process names.
The password is registered, as regsuite registers the one a user gives. The target URL carries a
second password as `https://user:PASSWORD@host`, never registered: structural redaction alone must
catch it (a compare page is written by a process that never saw the password). The same pages
rendered with a harmless value instead show it in every one of those fields, so a field that is
left off a page cannot make the test pass.
"""

from __future__ import annotations

import html
import re
import secrets
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from support import ROOT

from regsuite import htmlpage
from regsuite.capacity.compare import RunDoc, compare_runs
from regsuite.capacity.report import render as render_capacity
from regsuite.capacity.search import PASS, PLATEAU, CapacityResult, SearchPlan, StepResult, TransactionFigures
from regsuite.load.cpu import CpuReport, ProcessCpu
from regsuite.load.profiles import Slo, profile_named
from regsuite.load.result import LoadResult
from regsuite.load.runner import default_profiles
from regsuite.load.stats import ErrorKind, Row, RunStats, Sample
from regsuite.load.summary import render as render_summary
from regsuite.redact import REDACTED, redact_text, register_secret
from regsuite.report import render_compare, render_report
from regsuite.report.expectations import Gate
from regsuite.results import CheckResult, Outcome, RunResults

PASSWORD = "Pl4nted-" + secrets.token_urlsafe(12)  # registered, like the password a user gives
URL_PASSWORD = "InUrl-" + secrets.token_urlsafe(12)  # only ever inside user:password@ of a URL
VISIBLE = "visible-marker"  # the control: not a secret, so every field that holds it shows it


def conformance_run(value: str, url: str) -> RunResults:
    def check(check_id: str, outcome: Outcome, **more: object) -> CheckResult:
        return CheckResult(f"{check_id}[{value}]", f"title {value}", f"area-{value}", "MUST", f"spec-{value}",
                           f"https://spec.example/{value}", "1.1", outcome, f"message {value} from {url}/v2/",
                           nodeid=f"conformance/test_x.py::test[{value}]", **more)  # type: ignore[arg-type]

    transcript = [{
        "method": "PUT", "url": f"{url}/v2/{value}/manifests/latest",
        "request_headers": [["x-note", value]], "request_body": f'{{"note": "{value}"}}', "status": 400,
        "response_headers": [["x-echo", value]], "response_body": f"echoed {value}", "error": f"error {value}",
        "elapsed_ms": 1.0,
    }]
    checks = [
        check("push.failing", Outcome.FAILED, transcript=transcript),
        check("push.known", Outcome.FAILED, expectation="expected", expectation_reason=f"known: {value}"),
        check("push.stale", Outcome.PASSED, expectation="stale", expectation_reason=f"stale: {value}"),
        check("push.unsupported", Outcome.UNSUPPORTED, transcript=transcript),
        check("push.skipped", Outcome.SKIPPED),
    ]
    gate = Gate(f"expectations-{value}.yaml", expected=[checks[1].id], unexpected=[checks[0].id],
                stale=[checks[2].id])
    return RunResults(
        target={"url": url, "description": f"registry {value}", "username": f"user-{value}"},
        config={"prefix": value, "registry_urls": [url], "note": f"config {value}"},
        started=f"2026-11-27 {value}", duration=1.0, checks=checks,
        suite={"name": "regsuite", "version": f"v-{value}", "python": "3"},
        registry={"server": f"server {value}"}, expectations=gate.to_dict(),
    )


def load_result(value: str, tmp_path: Path, url: str) -> LoadResult:
    profile = replace(profile_named(default_profiles(), "smoke"), name=f"profile-{value}",
                      description=f"description {value}", slo=Slo(p95_ms={f"row-{value}": 1.0}))
    rows = [Row("image-pull", f"1KiB {value}", requests=4, histogram=Counter({20: 4}), bytes=4096,
                per_second=Counter({100: 4})),
            Row("GET", f"/v2/{value}/tags/list", requests=4, failures=1, histogram=Counter({5: 4}),
                per_second=Counter({100: 4}))]
    stats = RunStats(rows, [Sample(100.0, 2, 4.0, 10.0, 20.0, 30.0, 0.0)], {},
                     [ErrorKind("GET", f"/v2/{value}/tags/list", f"500 {value}", 1)], seconds=1.0)
    cpu = CpuReport([ProcessCpu(1, f"worker-{value}", [99.0] * 4)], [(100.0, 99.0)], 2)
    return LoadResult(tmp_path / f"run-{value}", profile, stats, cpu, [f"breach {value}"], 0, 0.5,
                      problems=[f"problem {value}"], cleanup=f"cleanup {value}", target={"url": url})


def capacity_result(value: str, url: str) -> CapacityResult:
    def step(users: int, rps: float, verdict: str) -> StepResult:
        tx = {"image-pull": TransactionFigures(int(rps), rps / 4, 10, 20, 30, rps / 4, 0)}
        return StepResult(users, users, 10, int(rps * 10), 0, rps, 0.0, 10, 20, 30, tx, None, 95, True, 95, None,
                          [f"breach {value}"], [f"problem {value}"], f"/runs/{value}/step{users}", verdict)

    return CapacityResult(f"scenario-{value}", f"description {value}", {"url": url},
                          Slo(p95_ms={f"row-{value}": 5.0}, max_error_rate=0.01), SearchPlan(),
                          [step(2, 100, PASS), step(4, 101, PLATEAU)], "plateau", f"stopped: {value}", 0, 60)


def pages(value: str, url: str, tmp_path: Path) -> dict[str, str]:
    """Every HTML page regsuite writes, with `value` in every field a user controls and `url` as the target."""
    run = conformance_run(value, url)
    capacity = capacity_result(value, url)
    load = load_result(value, tmp_path, url)
    load_doc = {"schema": "regsuite.load/1", "profile": load.profile.name, "target": {"url": url},
                "stats": {"total": {"rps": 4.0, "error_rate": 0.0},
                          "transactions": {"image-pull": {"rps": 4.0, "mb_per_s": 1.0, "p95_ms": 20.0}}}}
    capacity_runs = [RunDoc(tmp_path / value, "capacity", capacity.to_dict()) for _ in range(2)]
    load_runs = [RunDoc(tmp_path / value, "load", load_doc) for _ in range(2)]
    return {
        "report.html": render_report(run),
        "compare.html": render_compare([run, run], [f"label {value}", url]),
        "summary.html": render_summary(load),
        "capacity.html": render_capacity(capacity, tmp_path),
        "capacity compare.html": compare_runs(capacity_runs, [f"label {value}", capacity_runs[1].default_label()])
        .html(),
        "load compare.html": compare_runs(load_runs, [f"label {value}", load_runs[1].default_label()]).html(),
    }


FIELDS_SHOWN = {  # fields of the builders above that each page shows (the control counts them)
    "report.html": 93, "compare.html": 34, "summary.html": 17, "capacity.html": 14,
    "capacity compare.html": 11, "load compare.html": 5,
}


def test_every_page_shows_each_user_field(tmp_path: Path) -> None:
    for name, page in pages(VISIBLE, f"https://{VISIBLE}.example:5000", tmp_path).items():
        shown = html.unescape(page).count(VISIBLE)
        assert shown >= FIELDS_SHOWN[name], f"{name} shows the planted value only {shown} times"


def test_no_page_shows_a_planted_password(tmp_path: Path) -> None:
    register_secret(PASSWORD)
    for name, page in pages(PASSWORD, f"https://user:{URL_PASSWORD}@registry.example:5000", tmp_path).items():
        for text in (page, html.unescape(page)):
            assert PASSWORD not in text, f"{name} shows the password"
            assert URL_PASSWORD not in text, f"{name} shows the password of the target URL"
            assert "user:" not in text, f"{name} shows the credentials of the target URL"
        assert html.escape(REDACTED) in page, name


def test_every_page_is_the_shell(tmp_path: Path) -> None:
    for name, page in pages(VISIBLE, "http://127.0.0.1:5000", tmp_path).items():
        assert page.startswith('<!DOCTYPE html>\n<html lang="en">'), name
        assert page.count(htmlpage.CSS) == 1 and page.count("<style>") == 1, f"{name} has a stylesheet of its own"
        assert page.count('<header class="banner') == 1 and page.count("<footer>") == 1, name
        assert "<script" not in page and "src=" not in page, f"{name} loads something"


def test_pages_are_written_by_the_shell_alone() -> None:
    """One stylesheet, one escape: no other module writes a document head or escapes HTML itself."""
    offenders = []
    for path in sorted((ROOT / "regsuite").rglob("*.py")):
        if path.name == "htmlpage.py":
            continue
        source = path.read_text()
        if re.search(r"<!doctype|<style|from html import|html\.escape", source, re.IGNORECASE):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


@pytest.mark.parametrize("text, shown", [
    ("GET https://alice:s3cret@registry.example/v2/ -> 401", "GET https://<redacted>@registry.example/v2/ -> 401"),
    ("https://alice:p@ss@host:5000", "https://<redacted>@host:5000"),  # an unescaped @ in the password
    ("https://:token@host", "https://<redacted>@host"),
    ("https://alice@host/v2/", "https://alice@host/v2/"),  # a user name alone is no secret
    ("docker://host:5000/repo@sha256:ab", "docker://host:5000/repo@sha256:ab"),  # a digest reference
])
def test_credentials_in_urls_are_redacted_in_any_text(text: str, shown: str) -> None:
    assert redact_text(text) == shown
    assert htmlpage.esc(text) == html.escape(shown)
