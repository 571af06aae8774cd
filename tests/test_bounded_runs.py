"""Runs end in bounded time and leave their reports, whatever the registry or the CI runner does.

Real `pytest conformance` processes against a real distribution registry,
made to stall by the fault proxy, stopped by their deadline, or killed
with SIGTERM / SIGKILL part-way. Also: names holding API words
(`team/manifests/ci`) as the run namespace, for conformance and load runs.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from regsuite.client import RegistryClient
from regsuite.errors import ExitCode
from regsuite.fuzzing import properties
from regsuite.fuzzing.profiles import PROFILES
from regsuite.fuzzing.runner import FuzzTarget, RegistryStopped
from regsuite.results import Outcome, RunResults, RunState
from regsuite.target import Target
from regsuite.testing.faultproxy import FaultProxy, Mutation
from tests.support import ROOT, conformance_command, conformance_env, run_conformance

BLOB_GET = "GET /v2/<name>/blobs/<digest>"
# What a stalled request gets once the stall is over: every client has given up by then, and answering
# without asking upstream keeps a late proxy thread quiet after the test stopped the proxy.
GAVE_UP = (504, {}, b"")
NAMESPACE = "team/manifests/ci"  # API words as components: legal, and a trap for a path parser


def junit_cut_short(report_dir: Path) -> str | None:
    """The message of junit.xml's `run.complete` error, None when the run finished; the file must parse."""
    root = ET.parse(report_dir / "conformance" / "junit.xml").getroot()
    error = root.find("./testsuite[@name='regsuite.run']/testcase[@name='run.complete']/error")
    return None if error is None else error.get("message")


# -- a stalled endpoint ----------------------------------------------------------------------------


def test_stalled_blob_gets_end_in_error_verdicts_and_the_rest_keeps_its_verdicts(
    fault_proxy: Callable[..., FaultProxy], tmp_path: Path
) -> None:
    """The done-when of a stalled registry, scaled down: every blob GET waits 30 s, the request timeout is 4 s
    (2 s let a HEAD of the 4 MB manifest time out on a loaded two-core machine).

    With the shipped expectations of distribution 2.8.2, the only verdicts that may differ from a clean run
    are errors, and every error names the stalled endpoint.
    """
    proxy = fault_proxy(Mutation("stall every blob GET", method="GET", path=r"/blobs/(?!uploads/)", delay=30,
                                 respond=GAVE_UP))
    begin = time.monotonic()
    run = run_conformance(proxy.url, tmp_path, "--request-timeout", "4", "--expectations", "distribution-2.8.2",
                          timeout=600)
    took = time.monotonic() - begin
    assert run.results is not None, run.output[-3000:]
    assert run.returncode == ExitCode.CHECKS_FAILED, run.output[-3000:]
    assert run.results.run.state == RunState.FINISHED
    errors = [c for c in run.results.checks if c.outcome == Outcome.ERROR]
    unnamed = [(c.id, c.message) for c in errors if BLOB_GET not in c.message]
    assert not unnamed, f"errors that do not name the stalled endpoint: {unnamed[:5]}"
    unexpected = [(c.id, c.outcome.value, c.message[:200]) for c in run.results.checks
                  if c.expectation == "unexpected" and c.outcome != Outcome.ERROR]
    assert not unexpected, f"verdicts changed by the stall that are not errors: {unexpected[:5]}"
    ids = {c.id.split("[")[0] for c in errors}
    assert {"pull.blob-get", "pull.blob-range"} <= ids, sorted(ids)
    assert any("stopped answering" in c.message for c in errors), "the circuit never opened"
    kept = {c.area for c in run.results.checks if c.outcome == Outcome.PASSED}
    assert {"discovery", "naming", "push", "errors", "management"} <= kept, kept
    stalled_gets = sum(1 for method, path in proxy.requests if method == "GET" and "/blobs/sha" in path)
    assert stalled_gets < 20, f"{stalled_gets} blob GETs went out: the circuit did not hold them back"
    print(f"stalled run: {took:.0f} s, {len(errors)} errors, {stalled_gets} blob GETs sent")


# -- killed part-way ------------------------------------------------------------------------------


def _kill_part_way(url: str, report_dir: Path, sig: signal.Signals, bound: float = 120) -> tuple[int, str]:
    """Start a run, wait until its first results are on disk and a few more checks ran, then send `sig`."""
    proc = subprocess.Popen(conformance_command(url, report_dir, "--request-timeout", "20"), cwd=ROOT,
                            env=conformance_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            stdin=subprocess.DEVNULL)
    try:
        path = report_dir / "conformance" / "results.json"
        end = time.monotonic() + bound
        while not path.exists():
            assert proc.poll() is None, f"the run ended (exit {proc.returncode}) before writing any results"
            assert time.monotonic() < end, "no results.json while the run went on"
            time.sleep(0.2)
        time.sleep(2)
        proc.send_signal(sig)
        output, _ = proc.communicate(timeout=90)
    finally:
        proc.kill()
    return proc.returncode, output


@pytest.fixture
def stalling_registry(fault_proxy: Callable[..., FaultProxy]) -> FaultProxy:
    """Blob GETs stall for a minute: a run through it is still going when it is killed."""
    return fault_proxy(Mutation("stall", method="GET", path=r"/blobs/(?!uploads/)", delay=60, respond=GAVE_UP))


def test_sigterm_writes_the_final_reports_marked_cut_short(stalling_registry: FaultProxy, tmp_path: Path) -> None:
    returncode, output = _kill_part_way(stalling_registry.url, tmp_path, signal.SIGTERM)
    assert returncode == ExitCode.INTERRUPTED, output[-3000:]
    results = RunResults.load(tmp_path / "conformance" / "results.json")
    assert results.run.state == RunState.INTERRUPTED and results.run.reason == "SIGTERM received"
    assert len(results.checks) == results.run.selected, "every selected check is listed"
    not_run = [c for c in results.checks if c.message == "not run: SIGTERM received"]
    assert not_run and all(c.outcome == Outcome.ERROR for c in not_run)
    message = junit_cut_short(tmp_path)
    assert message is not None and "SIGTERM received" in message, message
    html = (tmp_path / "conformance" / "report.html").read_text()
    assert "This run was cut short (interrupted)" in html and "SIGTERM received" in html
    assert "Traceback" not in output


def test_a_run_killed_without_warning_leaves_parseable_partial_results(stalling_registry: FaultProxy,
                                                                       tmp_path: Path) -> None:
    _kill_part_way(stalling_registry.url, tmp_path, signal.SIGKILL)
    data = json.loads((tmp_path / "conformance" / "results.json").read_text())
    assert data["run"]["state"] == "running" and data["run"]["complete"] is False
    results = RunResults.load(tmp_path / "conformance" / "results.json")
    assert 0 < len(results.checks) < (results.run.selected or 0)
    message = junit_cut_short(tmp_path)
    assert message is not None and "did not finish" in message, message


# -- the run deadline -------------------------------------------------------------------------------


def test_the_run_deadline_ends_the_run_with_errors_and_its_own_exit_code(fault_proxy: Callable[..., FaultProxy],
                                                                         tmp_path: Path) -> None:
    # Every answer 50 ms late (a registry at a distance): the run takes well over the 8 s deadline wherever it
    # runs, while on an idle machine the whole run against loopback now ends within it.
    proxy = fault_proxy(Mutation("slow answers", delay=0.05))
    run = run_conformance(proxy.url, tmp_path, "--max-duration", "8", "-m", "not clients")
    assert run.returncode == ExitCode.RUN_DEADLINE, run.output[-3000:]
    assert run.results is not None
    assert run.results.run.state == RunState.DEADLINE
    assert len(run.results.checks) == run.results.run.selected, "every selected check is listed"
    late = [c for c in run.results.checks if "run deadline reached (--max-duration 8 s)" in c.message]
    assert late and all(c.outcome == Outcome.ERROR for c in late)
    assert len(late) < len(run.results.checks), "nothing ran before the deadline"
    message = junit_cut_short(tmp_path)
    assert message is not None and "run deadline reached" in message
    html = (tmp_path / "conformance" / "report.html").read_text()
    assert "This run was cut short (deadline)" in html and "run deadline reached" in html
    assert run.results.run.cleanup is not None and run.results.run.cleanup["left"] == 0, "the cleanup still ran"


# -- names holding API words ----------------------------------------------------------------------------


def test_a_conformance_run_under_a_namespace_named_like_the_api(shared_distribution: Target, tmp_path: Path) -> None:
    run = run_conformance(shared_distribution.url, tmp_path, "--namespace", NAMESPACE,
                          "--expectations", "distribution-2.8.2")
    assert run.returncode == ExitCode.OK, run.output[-3000:]
    assert run.results is not None
    status = run.results.run
    assert status.refused_writes == [], status.refused_writes[:5]
    assert status.cleanup is not None and status.cleanup["written"] > 0, status.cleanup
    assert status.cleanup["left"] == 0, status.cleanup["problems"]
    assert not [c.id for c in run.results.checks if "refused" in c.message.lower() and "WriteRefused" in c.message]
    with RegistryClient(shared_distribution) as client:  # nothing tagged is left under the namespace
        catalog = client.catalog(n=1000, last=NAMESPACE).json().get("repositories") or []
        ours = [r for r in catalog if r.startswith(NAMESPACE + "/")]
        assert ours, "the run wrote nothing under the namespace"
        tagged = [r for r in ours if (client.list_tags(r).json() or {}).get("tags")]
        assert not tagged, f"tags left behind: {tagged[:5]}"


def test_a_load_run_under_a_namespace_named_like_the_api(shared_distribution: Target, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "regsuite.cli", "load", "--host", shared_distribution.url, "--profile", "smoke",
         "--duration", "3", "--namespace", NAMESPACE, "--report-dir", str(tmp_path), "--run-name", "ns"],
        cwd=ROOT, capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-3000:]
    cleanup = next(line for line in output.splitlines() if line.startswith("regsuite load: cleanup: "))
    assert cleanup.startswith("regsuite load: cleanup: deleted ") and "problems" not in cleanup, cleanup
    assert " 0 manifests" not in cleanup, cleanup
    with RegistryClient(shared_distribution) as client:
        catalog = client.catalog(n=1000, last=NAMESPACE).json().get("repositories") or []
        ours = [r for r in catalog if r.startswith(f"{NAMESPACE}/ns/")]
        assert ours, "the load run wrote nothing under the namespace"
        tagged = [r for r in ours if (client.list_tags(r).json() or {}).get("tags")]
        assert not tagged, f"tags left behind: {tagged[:5]}"


# -- fuzzing against a registry that stops answering ------------------------------------------------


def test_a_stalled_registry_stops_a_property_at_once(fault_proxy: Callable[..., FaultProxy]) -> None:
    """No shrinking against a registry that does not answer: one example times out, the property ends."""
    proxy = fault_proxy(Mutation("stall manifest PUTs", method="PUT", path=r"/manifests/", delay=10, respond=GAVE_UP))
    with RegistryClient(Target(proxy.url), timeout=httpx.Timeout(0.5, connect=0.5)) as client:
        target = FuzzTarget(client, f"selftest/stalled/r{int(time.time())}", PROFILES["fast"],
                            explicit_examples=False)
        with pytest.raises(RegistryStopped, match=r"valid repository names: stopped, the registry did not answer"):
            properties.valid_names(target)
    puts = sum(1 for method, path in proxy.requests if method == "PUT" and "/manifests/" in path)
    assert puts == 1, f"{puts} manifest PUTs: hypothesis went on against a registry that does not answer"
