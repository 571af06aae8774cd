"""The fuzzers find faults planted by the fault proxy in front of a real distribution registry.

Each property runs with the `fast` profile (the CI budget) and must fail with a
message naming the planted fault, its minimal example and the requests that
reproduce it.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote

import pytest

from regsuite.client import RegistryClient
from regsuite.fuzzing import machine, properties
from regsuite.fuzzing.profiles import PROFILES
from regsuite.fuzzing.runner import FuzzFailure, FuzzTarget
from regsuite.reference import is_valid_repository, is_valid_tag
from regsuite.results import Outcome
from regsuite.target import Target
from regsuite.testing.faultproxy import FaultProxy, Mutation, ProxyRequest
from tests.support import ROOT, run_conformance

FAST_BUDGET = 60.0  # seconds one property may take to find its fault in the fast profile
_REQUEST = re.compile(r"^/v2/(?P<name>.+?)/(?P<kind>manifests|blobs)/(?P<rest>[^?]*)")
_runs = itertools.count()
ERROR_500 = (500, {"Content-Type": "application/json"}, b'{"errors":[{"code":"UNKNOWN","message":"planted fault"}]}')


def _parts(request: ProxyRequest) -> tuple[str, str, str] | None:
    m = _REQUEST.match(unquote(request.path))
    return (m.group("name"), m.group("kind"), m.group("rest")) if m else None


def invalid_name(request: ProxyRequest) -> bool:
    parts = _parts(request)
    return parts is not None and not is_valid_repository(parts[0])


def manifest_tag(request: ProxyRequest) -> str | None:
    parts = _parts(request)
    return parts[2] if parts and parts[1] == "manifests" and ":" not in parts[2] else None


def fuzz(proxy: FaultProxy, prop: Callable[[FuzzTarget], None]) -> tuple[str | None, float]:
    """Run one property through the proxy; the failure text (None if it passed) and the seconds taken."""
    started = time.monotonic()
    with RegistryClient(Target(proxy.url)) as client:
        # Without the explicit boundary examples: the generated examples alone must find the fault.
        repo = f"selftest/fuzz/r{next(_runs)}-{int(time.time())}"
        target = FuzzTarget(client, repo, PROFILES["fast"], explicit_examples=False)
        try:
            prop(target)
        except FuzzFailure as failure:
            return str(failure), time.monotonic() - started
    return None, time.monotonic() - started


def assert_found(found: str | None, seconds: float, *needles: str) -> None:
    assert found is not None, "the fuzzer did not find the planted fault"
    assert seconds < FAST_BUDGET, f"found, but only after {seconds:.1f}s"
    for needle in (*needles, "Minimal example", "curl -sS"):
        assert needle in found, f"{needle!r} missing from the failure:\n{found[:3000]}"


# -- planted faults the fuzzers must find --------------------------------------------------------


def test_finds_a_registry_that_accepts_an_invalid_name(fault_proxy) -> None:
    proxy = fault_proxy(Mutation("accept-invalid-name", method="PUT", when=invalid_name, respond=(201, {}, b"")))
    found, seconds = fuzz(proxy, properties.invalid_names)
    assert_found(found, seconds, "invalid repository name", "want a 4xx refusal, got 201")


def test_finds_a_registry_that_answers_500_to_a_long_tag(fault_proxy) -> None:
    long_tag = Mutation("500-long-tag", method="PUT", respond=ERROR_500,
                        when=lambda r: len(manifest_tag(r) or "") > 100)
    found, seconds = fuzz(fault_proxy(long_tag), properties.valid_tags)
    assert_found(found, seconds, "valid tag", "answered 500")


def test_finds_a_registry_that_loses_a_chunk(fault_proxy) -> None:
    # Every chunk after the first reaches the registry empty, as if lost on the way.
    lose = Mutation("lose-chunk", method="PATCH", request_body=lambda body: b"",
                    when=lambda r: not r.headers.get("content-range", "0-").startswith("0-"))
    found, seconds = fuzz(fault_proxy(lose), machine.protocol_state)
    assert_found(found, seconds, "state.patch_chunks", "bytes were sent")


# -- every fuzz check fails against a registry broken its way ----------------------------------


def test_valid_names_fail_when_long_names_are_refused(fault_proxy) -> None:
    refuse = Mutation("refuse-200", when=lambda r: len((_parts(r) or ("",))[0]) > 200,
                      respond=(400, {"Content-Type": "application/json"}, b'{"errors":[{"code":"NAME_INVALID"}]}'))
    found, seconds = fuzz(fault_proxy(refuse), properties.valid_names)
    assert_found(found, seconds, "valid repository name", "400")


def test_invalid_tags_fail_when_one_is_accepted(fault_proxy) -> None:
    accept = Mutation("accept-invalid-tag", method="PUT", respond=(201, {}, b""),
                      when=lambda r: manifest_tag(r) is not None and not is_valid_tag(manifest_tag(r) or ""))
    found, seconds = fuzz(fault_proxy(accept), properties.invalid_tags)
    assert_found(found, seconds, "invalid tag", "got 201")


def test_manifest_structure_fails_on_a_server_error(fault_proxy) -> None:
    def not_an_object(request: ProxyRequest) -> bool:
        return request.method == "PUT" and "/manifests/" in request.path and not request.body.startswith(b"{")

    found, seconds = fuzz(fault_proxy(Mutation("500-non-object", when=not_an_object, respond=ERROR_500)),
                          properties.manifest_structure)
    assert_found(found, seconds, "manifest (", "answered 500")


def test_manifest_descriptors_fail_when_unknown_blobs_are_accepted(fault_proxy) -> None:
    known = {b.digest for b in properties.tiny_image("manifest", layers=2).all_blobs()}

    def unknown_blob(request: ProxyRequest) -> bool:
        digests = set(re.findall(rb"sha256:[a-f0-9]{64}\b", request.body))
        return request.method == "PUT" and "/manifests/" in request.path and bool(digests - {d.encode() for d in known})

    found, seconds = fuzz(fault_proxy(Mutation("accept-unknown-blob", when=unknown_blob, respond=(201, {}, b""))),
                          properties.manifest_descriptors)
    assert found is not None and seconds < FAST_BUDGET
    assert "got 201" in found or "answered 500" in found, found[:2000]  # 2.8.2's own 500 may be the smaller example


def test_chunk_order_fails_against_distribution(fault_proxy) -> None:
    # distribution 2.8 ignores Content-Range (a documented deviation): the check must say so.
    found, seconds = fuzz(fault_proxy(), lambda t: machine.protocol_state(t, out_of_order=True))
    assert_found(found, seconds, "MUST get 416", "state.patch_out_of_order")


def test_protocol_state_passes_against_distribution(fault_proxy) -> None:
    found, _ = fuzz(fault_proxy(), machine.protocol_state)
    assert found is None, found


# -- the plugin: selection and reporting ----------------------------------------------------------


def _collect(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "pytest", "conformance", "--collect-only", "-q", "-p", "no:randomly", *args]
    base = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home())}
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120, env={**base, **(env or {})})


def _collected(*args: str) -> str:
    return _collect(*args).stdout


def test_fuzz_area_is_left_out_unless_asked_for() -> None:
    assert "test_fuzz.py" not in _collected()
    assert "test_fuzz.py::test_valid_tags" in _collected("-m", "fuzz")
    assert "test_fuzz.py::test_protocol_state" in _collected("--fuzz-profile", "fast")


def test_an_unknown_profile_is_one_clear_line() -> None:
    result = _collect(env={"REGSUITE_FUZZ_PROFILE": "huge"})
    assert result.returncode == 4  # ExitCode.USAGE_ERROR
    assert "fuzz profile must be one of fast, deep, got 'huge'" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_a_finding_lands_in_results_with_its_minimal_example(fault_proxy, tmp_path: Path) -> None:
    proxy = fault_proxy(Mutation("500-long-tag", method="PUT", respond=ERROR_500,
                                 when=lambda r: len(manifest_tag(r) or "") > 100))
    run = run_conformance(proxy.url, tmp_path, "--fuzz-profile", "fast", checks=["fuzz.valid-tags"])
    record = run.record("fuzz.valid-tags")
    assert record.outcome == Outcome.FAILED, run.output[-3000:]
    assert "Minimal example (profile fast)" in record.message and "curl -sS -X PUT" in record.message
    assert any(e["status"] == 500 for e in record.transcript)


def test_a_flaky_failure_is_reported_as_such() -> None:
    from hypothesis.errors import FlakyFailure

    from regsuite.fuzzing.runner import run

    def flaky() -> None:
        raise FlakyFailure("did not reproduce", [AssertionError("tag t points at sha256:a")])

    with RegistryClient(Target("http://127.0.0.1:9")) as client:  # nothing is sent
        with pytest.raises(FuzzFailure) as info:
            run(FuzzTarget(client, "selftest/flaky", PROFILES["fast"]), "tags", flaky)
    assert "tags: tag t points at sha256:a" in str(info.value) and "flaky" in str(info.value)
