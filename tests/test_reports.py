"""Reports and the CI gate, checked on real runs against a real distribution registry.

A registry broken on purpose (a fault-injecting proxy in front of a real
one) gives failures with transcripts; the tests read the report files as a
person or a CI tool would: which checks failed, what was exchanged, that no
credential leaked, that counts and exit codes tell the truth.
"""

from __future__ import annotations

import base64
import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from support import ROOT, ConformanceRun, run_conformance

from regsuite.cli import main as regsuite_main
from regsuite.errors import ExitCode, UsageError
from regsuite.fixtures.report import gated_exit_status
from regsuite.htpasswd import write_htpasswd
from regsuite.providers import ProcessProvider, RegistryConfig
from regsuite.providers.config import HtpasswdAuth
from regsuite.report import apply_expectations, load_expectations
from regsuite.report.expectations import Expectation, Expectations, Gate
from regsuite.report.page import anchor
from regsuite.results import CheckResult, Outcome, RunResults
from regsuite.target import Target
from regsuite.testing.faultproxy import FaultProxy, Mutation

USER = "report-user"
PASSWORD = "Rep0rt-s3cret-passw0rd"
BASIC = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
CREDENTIALS = {"REGSUITE_USERNAME": USER, "REGSUITE_PASSWORD": PASSWORD}
SHIPPED = ROOT / "expectations" / "distribution-2.8.2.yaml"
PLANTED = "ping.api-version-header"  # fails only because of the proxy below
# enough for report content; the whole suite runs in the slow test
FAST_CHECKS = ["ping.", "pull.blob-get", "pull.manifest-unknown", "referrers.list"]
LATE = Mutation("unknown tag answered late", path=r"/manifests/no-such-tag", delay=3.0)  # > --request-timeout: error


def broken(upstream: str, *more: Mutation) -> FaultProxy:
    """distribution with two planted faults: no API version header, reversed blob bodies."""
    return FaultProxy(upstream, [
        Mutation("no API version header", path=r"^/v2/$", drop_headers=("Docker-Distribution-API-Version",)),
        Mutation("blob bodies reversed", method="GET", path=r"/blobs/sha256:", body=lambda b: b[::-1]),
        *more,
    ])


def files_of(run: ConformanceRun) -> dict[str, str]:
    return {p.name: p.read_text() for p in (run.report_dir / "conformance").iterdir() if p.is_file()}


@pytest.fixture(scope="module")
def basic_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    htpasswd = write_htpasswd(tmp_path_factory.mktemp("auth") / "htpasswd", {USER: PASSWORD})
    with ProcessProvider(RegistryConfig(auth=HtpasswdAuth(htpasswd))) as target:
        yield target


@pytest.fixture(scope="module")
def broken_run(basic_registry: Target, tmp_path_factory: pytest.TempPathFactory) -> ConformanceRun:
    with broken(basic_registry.url, LATE) as proxy:
        return run_conformance(proxy.url, tmp_path_factory.mktemp("broken"), "--request-timeout", "1.5",
                               checks=FAST_CHECKS, env=CREDENTIALS)


@pytest.fixture(scope="module")
def clean_run(basic_registry: Target, tmp_path_factory: pytest.TempPathFactory) -> ConformanceRun:
    return run_conformance(basic_registry.url, tmp_path_factory.mktemp("clean"), checks=FAST_CHECKS, env=CREDENTIALS)


def test_report_names_each_failure_with_its_transcript(broken_run: ConformanceRun) -> None:
    assert broken_run.returncode == ExitCode.CHECKS_FAILED, broken_run.output[-2000:]
    failed = broken_run.with_outcome(Outcome.FAILED)
    assert PLANTED in failed
    page = html.unescape(files_of(broken_run)["report.html"])
    errors = broken_run.with_outcome(Outcome.ERROR)
    assert "FAILED" in page and f"Failures ({len(failed) + len(errors)})" in page
    for check_id in failed + errors:
        record = broken_run.record(check_id)
        assert f'id="{anchor(check_id)}"' in page, f"{check_id} has no section in report.html"
        assert record.message.splitlines()[0] in page
        assert record.spec_url in page
        assert record.transcript, f"{check_id} failed without a transcript"
        last = record.transcript[-1]
        assert f"> {last['method']} {last['url']}" in page, f"{check_id}: its last request is not in report.html"
    assert broken_run.outcome("pull.manifest-unknown[tag]") == Outcome.ERROR
    assert broken_run.outcome("referrers.list") == Outcome.UNSUPPORTED
    unsupported_section = page.split("Unsupported features (1)")[1].split("Checks by area")[0]
    failures_section = page.split("Failures (")[1].split("</ul>")[0]
    assert "referrers.list" in unsupported_section and "referrers.list" not in failures_section
    assert "pull.manifest-unknown[tag]" in failures_section  # an error needs attention like a failure
    # the planted fault is visible in the transcript: a 200 to GET /v2/ without the header
    ping = broken_run.record(PLANTED).transcript[-1]
    assert ping["status"] == 200
    assert not any(k.lower() == "docker-distribution-api-version" for k, _ in ping["response_headers"])
    # self-contained: nothing loaded from elsewhere (spec links are links, not resources)
    assert not re.search(r"<(script|link|img|iframe|object)\b", page) and "url(" not in page


def test_no_credential_in_any_report_or_output(broken_run: ConformanceRun) -> None:
    files = files_of(broken_run)
    assert {"results.json", "junit.xml", "report.html", "badge.svg"} <= set(files)
    for name, text in {**files, "terminal output": broken_run.output}.items():
        for secret in (PASSWORD, BASIC):
            assert secret not in text, f"{name} carries a credential"
    # the credentials were sent (and redacted), so the check above means something
    assert "authorization: Basic &lt;redacted&gt;" in files["report.html"]
    assert "<redacted>" in files["results.json"]


def test_junit_counts_and_elements_match_the_verdicts(broken_run: ConformanceRun) -> None:
    assert broken_run.results is not None
    root = ET.fromstring(files_of(broken_run)["junit.xml"])
    cases = root.findall(".//testcase")
    names = [c.get("name") for c in cases]
    assert len(names) == len(set(names)) == len(broken_run.results.checks)
    counts = {o: len(broken_run.with_outcome(o)) for o in Outcome}
    assert root.get("tests") == str(len(cases))
    assert root.get("failures") == str(counts[Outcome.FAILED]) == str(len(root.findall(".//failure")))
    assert root.get("errors") == str(counts[Outcome.ERROR]) == str(len(root.findall(".//error")))
    assert root.get("skipped") == str(counts[Outcome.UNSUPPORTED] + counts[Outcome.SKIPPED])
    planted = next(c for c in cases if c.get("name") == PLANTED)
    failure = planted.find("failure")
    assert failure is not None and "Docker-Distribution-API-Version" in failure.get("message", "")
    assert "> GET " in (failure.text or "") and "< 200" in (failure.text or "")
    errored = next(c for c in cases if c.get("name") == "pull.manifest-unknown[tag]").find("error")
    assert errored is not None and "Timeout" in errored.get("message", "")
    unsupported = next(c for c in cases if c.get("name") == "referrers.list").find("skipped")
    assert unsupported is not None and unsupported.get("type") == "unsupported"
    for case in cases:
        if case.find("skipped") is not None:
            assert case.find("skipped").get("message"), f"{case.get('name')} skipped without a reason"  # type: ignore[union-attr]


def test_expectations_turn_known_failures_green_and_report_stale_ones(shared_distribution: Target,
                                                                      tmp_path: Path) -> None:
    written = tmp_path / "known.yaml"
    with broken(shared_distribution.url) as proxy:
        first = run_conformance(proxy.url, tmp_path / "1", "--write-expectations", str(written), checks=["ping."])
        assert first.returncode == ExitCode.CHECKS_FAILED
        listed = load_expectations(written)
        assert set(listed.entries) == {PLANTED}
        assert "Docker-Distribution-API-Version" in listed.entries[PLANTED].reason  # from the check's title

        gated = run_conformance(proxy.url, tmp_path / "2", "--expectations", str(written), checks=["ping."])
    assert gated.returncode == ExitCode.OK, gated.output[-2000:]
    assert gated.record(PLANTED).expectation == "expected"
    assert "PASSED, no unexpected failures, 1 expected failures" in gated.output
    case = next(c for c in ET.fromstring(files_of(gated)["junit.xml"]).iter("testcase") if c.get("name") == PLANTED)
    assert case.find("skipped") is not None and case.find("skipped").get("type") == "expected-failure"  # type: ignore[union-attr]
    assert "known deviations" in files_of(gated)["report.html"]

    stale = run_conformance(shared_distribution.url, tmp_path / "3", "--expectations", str(written), checks=["ping."])
    assert stale.returncode == ExitCode.OK, "a stale expectation warns by default"
    assert stale.results is not None and stale.results.expectations is not None
    assert stale.results.expectations["stale"] == [PLANTED]
    assert "1 stale expectations" in stale.output
    assert "Stale expectations (1)" in files_of(stale)["report.html"]

    # under --strict-expectations the same gate fails the run
    strict = Gate.from_dict({**stale.results.expectations, "strict": True})
    assert not strict.ok and gated_exit_status(ExitCode.OK, strict) == ExitCode.CHECKS_FAILED


def test_a_bad_expectations_file_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("checks: [1, 2")
    run = run_conformance("http://127.0.0.1:9", tmp_path / "r", "--expectations", str(bad))
    assert run.returncode == ExitCode.USAGE_ERROR
    assert "not valid YAML/JSON" in run.output and "Traceback" not in run.output
    missing = run_conformance("http://127.0.0.1:9", tmp_path / "r", "--expectations", str(tmp_path / "nope.yaml"))
    assert missing.returncode == ExitCode.USAGE_ERROR and "cannot read expectations file" in missing.output


@pytest.mark.parametrize("content, says", [
    ("schema: regsuite.expectations/1\nchecks:\n  ping.v2-200: {outcome: failed}\n", "needs a 'reason'"),
    ("schema: regsuite.expectations/1\nchecks:\n  ping.v2-200: {outcome: passed, reason: x}\n",
     "must be failed, error or unsupported"),
    ("schema: regsuite.expectations/1\nchecks: [ping.v2-200]\n", "must map check ids"),
    ("{}", "schema"),
])
def test_expectations_file_problems_are_named(tmp_path: Path, content: str, says: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(content)
    with pytest.raises(UsageError, match=re.escape(says)):
        load_expectations(bad)


def test_a_bare_id_covers_every_parameter_set() -> None:
    def result(check_id: str, outcome: Outcome) -> CheckResult:
        return CheckResult(check_id, "t", "push", "MUST", "end-6", "", "1.1", outcome)

    known = Expectations({"push.x": Expectation("push.x", "not in 2.8")}, source="f.yaml")
    run = RunResults({}, {}, "", 0.0, [result("push.x[a]", Outcome.PASSED), result("push.x[b]", Outcome.FAILED),
                                          result("push.y", Outcome.ERROR)])
    gate = apply_expectations(run, known)
    assert (gate.expected, gate.unexpected, gate.stale, gate.ok) == (["push.x[b]"], ["push.y"], [], False)
    run.checks[1].outcome = Outcome.PASSED
    gate = apply_expectations(run, known)
    assert gate.stale == ["push.x[a]", "push.x[b]"]


def test_compare_names_regressions_and_renders_the_matrix(clean_run: ConformanceRun, broken_run: ConformanceRun,
                                                          tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = [str(clean_run.report_dir), str(broken_run.report_dir / "conformance" / "results.json"),
            "--label", "clean", "--label", "broken", "--output", str(tmp_path), "--badge", str(tmp_path / "badge.svg")]
    assert regsuite_main(["compare", *args]) == ExitCode.OK
    assert regsuite_main(["compare", *args, "--fail-on-regression"]) == ExitCode.CHECKS_FAILED
    diff = (tmp_path / "diff.txt").read_text()
    assert f"- {PLANTED}: passed -> failed" in diff and diff in capsys.readouterr().out
    page = (tmp_path / "compare.html").read_text()
    assert all(c.id in page for c in broken_run.results.checks)  # type: ignore[union-attr]
    passed = len(broken_run.with_outcome(Outcome.PASSED))
    assert f"{passed}/" in ET.parse(tmp_path / "badge.svg").getroot().findtext("{http://www.w3.org/2000/svg}title", "")
    assert regsuite_main(["compare", str(tmp_path / "missing.json")]) == ExitCode.USAGE_ERROR


@pytest.mark.slow
def test_done_when_shipped_expectations_gate_distribution(shared_distribution: Target, tmp_path: Path) -> None:
    """The whole suite: 2.8.2 with its expectations exits 0; broken by a proxy it exits 1 naming the new failures."""
    good = run_conformance(shared_distribution.url, tmp_path / "good", "--expectations", str(SHIPPED))
    assert good.returncode == ExitCode.OK, good.output[-3000:]
    with broken(shared_distribution.url) as proxy:
        bad = run_conformance(proxy.url, tmp_path / "bad", "--expectations", str(SHIPPED))
    assert bad.returncode == ExitCode.CHECKS_FAILED, bad.output[-3000:]
    assert bad.results is not None and bad.results.expectations is not None
    new = bad.results.expectations["unexpected"]
    assert PLANTED in new
    line = next(ln for ln in bad.output.splitlines() if "unexpected failures" in ln)
    assert all(check_id in line for check_id in new[:20])
    page = html.unescape(files_of(bad)["report.html"])
    for check_id in new:
        assert f'id="{anchor(check_id)}"' in page
        for exchange in bad.record(check_id).transcript[-1:]:
            assert f"> {exchange['method']} {exchange['url']}" in page
    shipped = yaml.safe_load(SHIPPED.read_text())
    assert all(entry["reason"].strip() for entry in shipped["checks"].values())
