"""Self-tests of the TLS checks: each bad certificate or setting fails its check; good ones pass.

Two ways in, as users come. The real path: the right CA (`--registry-ca`)
and nothing else; a certificate clients refuse ends the run at first contact
(exit 21, one line), and the tls checks still judge it, each fault failing the
check named for it and at most the verified handshake besides. And the path
of a run that must get in anyway: `--registry-insecure` for the run,
`--tls-ca` for the TLS checks. Every deployment is a real distribution serving
certificates made for the test, or a real TLS terminator in front of one
(tests/tls_terminator.py) where distribution cannot be configured that way.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from OpenSSL import SSL
from support import ConformanceRun, run_conformance
from tls_terminator import Terminator, accepting, terminating

from regsuite.errors import ExitCode
from regsuite.providers import ProcessProvider, RegistryConfig, TLSFiles
from regsuite.providers.container import DEFAULT_IMAGE, docker_engine_available, image_available
from regsuite.results import Outcome, RunState
from regsuite.tls import CertFiles, TLSMaterial

TLS_CHECKS = ["tls."]
# Go's TLS 1.2 defaults hold no cipher TLS 1.0 can use; a deployment that allows TLS 1.0 names old ones too.
LEGACY_CIPHERS = {
    "http": {
        "tls": {
            "ciphersuites": [
                "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
                "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
                "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
            ]
        }
    }
}


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory) -> TLSMaterial:
    return TLSMaterial(tmp_path_factory.mktemp("pki"))


def _run(url: str, tmp: Path, material: TLSMaterial, *args: str) -> ConformanceRun:
    run = run_conformance(
        url, tmp / "report", "--registry-insecure", "--tls-ca", str(material.ca_path), *args, checks=TLS_CHECKS
    )
    assert run.results is not None, f"no results; output:\n{run.output[-3000:]}"
    return run


def _failed(run: ConformanceRun) -> list[str]:
    return run.with_outcome(Outcome.FAILED) + run.with_outcome(Outcome.ERROR)


def _user_run(url: str, tmp: Path, material: TLSMaterial, *args: str, checks: list[str] | None = TLS_CHECKS
              ) -> ConformanceRun:
    """As a user runs it: the right CA and nothing else."""
    run = run_conformance(url, tmp / "report", "--registry-ca", str(material.ca_path), *args, checks=checks)
    assert run.results is not None, f"no results; output:\n{run.output[-3000:]}"
    return run


def _evidence_shown(run: ConformanceRun, check_id: str) -> None:
    """The failed check points at lines of the deployment's evidence that exist."""
    assert run.results is not None
    record = run.record(check_id)
    lines = {f"{d['endpoint']}/chain/{c['position']}/{field}" for d in run.results.tls for c in d["chain"]
             for field in c} | {f"{d['endpoint']}/attempts/{k}" for d in run.results.tls for k in d["attempts"]}
    assert record.evidence and set(record.evidence) <= lines, (record.evidence, sorted(lines))


def test_the_embedded_mtls_registry_passes_every_tls_check(tmp_path: Path) -> None:
    run = run_conformance(None, tmp_path, checks=TLS_CHECKS)
    assert run.results is not None, run.output[-3000:]
    assert _failed(run) == [] and run.with_outcome(Outcome.SKIPPED) == [], run.output[-3000:]
    assert len(run.with_outcome(Outcome.PASSED)) == 17, run.output[-3000:]


def test_a_good_certificate_passes_and_client_certificates_skip_without_one(
    material: TLSMaterial, tmp_path: Path
) -> None:
    with ProcessProvider(RegistryConfig(tls=material.tls_files())) as target:
        run = _run(target.url, tmp_path, material)
    assert _failed(run) == [], run.output[-3000:]
    assert run.with_outcome(Outcome.SKIPPED) == ["tls.client-certificate", "tls.client-certificate-other-ca"]


def test_a_correct_deployment_passes_every_tls_check(material: TLSMaterial, tmp_path: Path) -> None:
    """A CA-signed leaf served with its intermediate, the right names, TLS 1.2 and up, client certificates."""
    client = material.client()
    cert = material.served_chain("in-order")
    tls = TLSFiles(cert.certificate, cert.key, (material.client_ca_path,))
    with ProcessProvider(RegistryConfig(tls=tls)) as target:
        run = _user_run(target.url.replace("127.0.0.1", "localhost"), tmp_path, material,
                        "--registry-client-cert", str(client.certificate), "--registry-client-key", str(client.key))
    assert run.returncode == ExitCode.OK, run.output[-3000:]
    assert _failed(run) == [] and run.with_outcome(Outcome.SKIPPED) == [], run.output[-3000:]
    assert len(run.with_outcome(Outcome.PASSED)) == 17, run.output[-3000:]
    assert run.results is not None
    [deployment] = run.results.tls
    assert [c["role"] for c in deployment["chain"]] == ["leaf", "intermediate"], deployment
    assert deployment["protocol"] == "TLSv1.3" and deployment["cipher"], deployment
    leaf = deployment["chain"][0]
    assert {"subject", "sans", "issuer", "serial", "not_before", "not_after", "days_left", "key",
            "signature_algorithm"} <= set(leaf), leaf


# Faults that break the verified handshake: first contact fails (exit 21, one line); the tls checks still run and
# each fault fails the check named for it, and the verified handshake (tls.handshake) with it.
REFUSED_BY_CLIENTS: dict[str, tuple[Callable[[TLSMaterial], CertFiles], str, str]] = {
    "expired": (TLSMaterial.expired, "tls.validity", "the certificate has expired; renew it"),
    "not-yet-valid": (TLSMaterial.not_yet_valid, "tls.validity", "not yet valid"),
    "wrong-name": (TLSMaterial.wrong_name, "tls.hostname", "does not name this host"),
    "missing-intermediate": (lambda m: m.served_chain("missing-intermediate"), "tls.chain", "unknown authority"),
    "unknown-issuer": (TLSMaterial.unknown_ca, "tls.chain", "unknown authority"),
}


@pytest.mark.parametrize("case", list(REFUSED_BY_CLIENTS))
def test_a_certificate_clients_refuse_fails_its_check_after_first_contact_fails(
    case: str, material: TLSMaterial, tmp_path: Path
) -> None:
    make, named, line = REFUSED_BY_CLIENTS[case]
    with ProcessProvider(RegistryConfig(tls=material.tls_files(make(material)))) as target:
        run = _user_run(target.url.replace("127.0.0.1", "localhost"), tmp_path, material)
    assert run.returncode == ExitCode.TARGET_TLS_ERROR, run.output[-3000:]
    assert run.output.rstrip().splitlines()[-1].startswith("regsuite: https://localhost:"), run.output[-3000:]
    assert line in run.output.rstrip().splitlines()[-1] and "Traceback" not in run.output, run.output[-3000:]
    assert run.results is not None and run.results.run.state == RunState.FIRST_CONTACT_FAILED
    assert _failed(run) == sorted([named, "tls.handshake"]), run.output[-3000:]
    _evidence_shown(run, named)
    assert run.results.tls[0]["chain"], run.results.tls


def test_the_other_areas_keep_the_first_contacts_reason(material: TLSMaterial, tmp_path: Path) -> None:
    """The whole suite against an expired certificate: tls judges it, every other check is `error` with the
    reason, ping.v2-200 failed, exit 21; report.html says at the top that the run was cut short."""
    with ProcessProvider(RegistryConfig(tls=material.tls_files(material.expired()))) as target:
        run = _user_run(target.url.replace("127.0.0.1", "localhost"), tmp_path, material, checks=None)
    assert run.returncode == ExitCode.TARGET_TLS_ERROR, run.output[-3000:]
    assert run.results is not None
    others = [c for c in run.results.checks if c.area != "tls" and c.id != "ping.v2-200"]
    assert others and all(c.outcome == Outcome.ERROR and "the first contact failed" in c.message for c in others)
    assert run.outcome("ping.v2-200") == Outcome.FAILED
    tls = {c.id: c.outcome for c in run.results.checks if c.area == "tls"}
    assert sorted(i for i, o in tls.items() if o in (Outcome.FAILED, Outcome.ERROR)) == ["tls.handshake",
                                                                                        "tls.validity"], tls
    assert tls["tls.hostname"] == tls["tls.chain"] == Outcome.PASSED, tls
    html = (tmp_path / "report" / "conformance" / "report.html").read_text()
    assert "This run was cut short" in html and "the certificate has expired" in html
    assert "Failures (3)" in html and f"Did not run ({len(others)})" in html, "what ran apart from what did not"
    assert 'id="evidence-' in html and "tls.validity" in html


# Faults clients may not refuse (or distribution cannot serve): the run goes on, the named check fails.
SERVED_BY_DISTRIBUTION: dict[str, tuple[Callable[[TLSMaterial], CertFiles], list[str]]] = {
    # Go clients refuse a CN-only name, Python's ssl (the run's first contact) still accepts it
    "cn-only": (TLSMaterial.cn_only, ["tls.handshake", "tls.subject-alt-name"]),
    "rsa-1024": (TLSMaterial.weak_key, ["tls.handshake", "tls.key-size"]),
    "sha1-signature": (TLSMaterial.sha1_signed, ["tls.handshake", "tls.signature-algorithm"]),
    "chain-out-of-order": (lambda m: m.served_chain("out-of-order"), ["tls.chain-order"]),
    "chain-with-root": (lambda m: m.served_chain("with-root"), ["tls.chain-without-root"]),
    "intermediate-expires-first": (lambda m: m.served_chain(intermediate_days=60), ["tls.intermediate-expiry"]),
}


@pytest.mark.parametrize("case", list(SERVED_BY_DISTRIBUTION))
def test_each_served_chain_fault_fails_its_check(case: str, material: TLSMaterial, tmp_path: Path) -> None:
    make, expected = SERVED_BY_DISTRIBUTION[case]
    with ProcessProvider(RegistryConfig(tls=material.tls_files(make(material)))) as target:
        run = _user_run(target.url.replace("127.0.0.1", "localhost"), tmp_path, material)
    assert _failed(run) == expected, run.output[-3000:]
    named = [c for c in expected if c != "tls.handshake"][0]
    _evidence_shown(run, named)


BAD_CERTIFICATES: dict[str, tuple[Callable[[TLSMaterial], CertFiles], list[str]]] = {
    "expired": (TLSMaterial.expired, ["tls.handshake", "tls.validity"]),
    "not-yet-valid": (TLSMaterial.not_yet_valid, ["tls.handshake", "tls.validity"]),
    # reached on an address the certificate does not name (it names localhost; we use 127.0.0.1)
    "wrong-name": (lambda m: m.server("localhost"), ["tls.handshake", "tls.hostname"]),
    "unknown-ca": (TLSMaterial.unknown_ca, ["tls.chain", "tls.handshake"]),
    "expiring-soon": (lambda m: m.expiring(10), ["tls.expiry-margin"]),
}


@pytest.mark.parametrize("case", list(BAD_CERTIFICATES))
def test_each_bad_certificate_fails_its_checks(case: str, material: TLSMaterial, tmp_path: Path) -> None:
    make, expected = BAD_CERTIFICATES[case]
    with ProcessProvider(RegistryConfig(tls=material.tls_files(make(material)))) as target:
        run = _run(target.url, tmp_path, material)
    assert _failed(run) == expected, run.output[-3000:]
    if case == "wrong-name":
        message = run.record("tls.hostname").message
        assert "reached as 127.0.0.1" in message and "DNS:localhost" in message and "IP SAN" in message, message


def test_tls_1_0_allowed_fails(material: TLSMaterial, tmp_path: Path) -> None:
    """TLS 1.0 needs CBC suites, which tls.cipher-suites flags in TLS 1.2 too."""
    config = RegistryConfig(tls=material.tls_files(minimum="tls1.0"), extra=LEGACY_CIPHERS)
    with ProcessProvider(config) as target:
        run = _user_run(target.url, tmp_path, material)
    if run.outcome("tls.legacy-versions-refused") is Outcome.SKIPPED:
        pytest.skip(run.record("tls.legacy-versions-refused").message)  # this OpenSSL cannot offer TLS 1.0
    assert _failed(run) == ["tls.cipher-suites", "tls.legacy-versions-refused"], run.output[-3000:]
    _evidence_shown(run, "tls.legacy-versions-refused")


def test_weak_tls_1_2_suites_fail(material: TLSMaterial, tmp_path: Path) -> None:
    """distribution's http.tls.ciphersuites with a CBC suite (SHA-1 MAC) beside the AEAD ones."""
    suites = {"http": {"tls": {"ciphersuites": [
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"]}}}
    with ProcessProvider(RegistryConfig(tls=material.tls_files(), extra=suites)) as target:
        run = _user_run(target.url, tmp_path, material)
    assert _failed(run) == ["tls.cipher-suites"], run.output[-3000:]
    message = run.record("tls.cipher-suites").message
    assert "ECDHE-ECDSA-AES128-SHA" in message and "CBC" in message and "SHA1 MAC" in message, message
    _evidence_shown(run, "tls.cipher-suites")


def test_expiry_within_the_margin_fails_on_the_real_path(material: TLSMaterial, tmp_path: Path) -> None:
    with ProcessProvider(RegistryConfig(tls=material.tls_files(material.expiring(10)))) as target:
        run = _user_run(target.url, tmp_path, material)
    assert run.returncode == ExitCode.CHECKS_FAILED, run.output[-3000:]
    assert _failed(run) == ["tls.expiry-margin"], run.output[-3000:]
    _evidence_shown(run, "tls.expiry-margin")


def test_a_terminator_without_tls_1_3_fails_tls13_offered(material: TLSMaterial, tmp_path: Path) -> None:
    cert = material.good()
    with (
        ProcessProvider(RegistryConfig()) as plain,
        terminating(Terminator(cert.certificate, cert.key, max_version=SSL.TLS1_2_VERSION,
                               ciphers="ECDHE+AESGCM"), plain.url) as url,
    ):
        run = _user_run(url, tmp_path, material)
    assert _failed(run) == ["tls.tls13-offered"], run.output[-3000:]
    _evidence_shown(run, "tls.tls13-offered")


def test_a_terminator_accepting_any_client_certificate_fails(material: TLSMaterial, tmp_path: Path) -> None:
    """Client certificates required, but from any CA (nginx's optional_no_ca, made mandatory)."""
    cert, client = material.good(), material.client()
    with (
        ProcessProvider(RegistryConfig()) as plain,
        terminating(Terminator(cert.certificate, cert.key, ciphers="ECDHE+AESGCM", any_client_cert=True),
                    plain.url) as url,
    ):
        run = _user_run(url, tmp_path, material, "--registry-client-cert", str(client.certificate),
                        "--registry-client-key", str(client.key))
    assert _failed(run) == ["tls.client-certificate-other-ca"], run.output[-3000:]
    _evidence_shown(run, "tls.client-certificate-other-ca")


def test_client_certificates_not_required_fails(material: TLSMaterial, tmp_path: Path) -> None:
    client = material.client()
    with ProcessProvider(RegistryConfig(tls=material.tls_files())) as target:
        run = _run(
            target.url,
            tmp_path,
            material,
            "--registry-client-cert",
            str(client.certificate),
            "--registry-client-key",
            str(client.key),
        )
    assert _failed(run) == ["tls.client-certificate"], run.output[-3000:]


@contextmanager
def _sniffing_port(tls_url: str, plain_url: str) -> Iterator[int]:
    """One port that splices TLS connections to `tls_url` and plain ones to `plain_url` (a registry serving both)."""

    def pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def serve(conn: socket.socket) -> None:
        conn.settimeout(10)
        try:
            first = conn.recv(1, socket.MSG_PEEK)
        except OSError:
            return
        parts = urlsplit(tls_url if first == b"\x16" else plain_url)
        with socket.create_connection((parts.hostname, parts.port), timeout=10) as upstream:
            other_way = threading.Thread(target=pipe, args=(upstream, conn), daemon=True)
            other_way.start()
            pipe(conn, upstream)
            other_way.join(timeout=10)

    with accepting(serve) as port:
        yield port


def test_plain_http_served_on_the_tls_port_fails(material: TLSMaterial, tmp_path: Path) -> None:
    storage = tmp_path / "storage"
    cert = material.good()
    with (
        ProcessProvider(RegistryConfig(tls=TLSFiles(cert.certificate, cert.key), storage_dir=storage)) as tls_target,
        ProcessProvider(RegistryConfig(storage_dir=storage)) as plain_target,
        _sniffing_port(tls_target.url, plain_target.url) as port,
    ):
        run = _run(f"https://127.0.0.1:{port}", tmp_path, material)
    assert _failed(run) == ["tls.plain-http-refused"], run.output[-3000:]


def test_https_url_to_a_plain_registry_gets_one_clear_line(tmp_path: Path) -> None:
    with ProcessProvider(RegistryConfig()) as target:
        run = run_conformance(target.url.replace("http://", "https://"), tmp_path, checks=TLS_CHECKS)
    assert run.returncode == ExitCode.TARGET_TLS_ERROR, run.output[-3000:]
    assert "speaks plain HTTP" in run.output and "Traceback" not in run.output, run.output[-3000:]


@pytest.mark.slow
def test_the_container_provider_deployments_pass_every_auth_and_tls_check(tmp_path: Path) -> None:
    if not (docker_engine_available() and image_available(DEFAULT_IMAGE)):
        pytest.skip(f"no Docker engine with the {DEFAULT_IMAGE} image")
    run = run_conformance(None, tmp_path, "--registry-provider", "container", checks=["auth.", "tls."])
    assert run.results is not None, run.output[-3000:]
    assert _failed(run) == [], run.output[-3000:]
    # the htpasswd deployment has no pull-only user and no tokens: those cells of the access matrix skip
    htpasswd_only = ("auth.pull-only-access[htpasswd-", "auth.repository-isolation[htpasswd-")
    assert all(c.startswith(htpasswd_only) for c in run.with_outcome(Outcome.SKIPPED)), run.output[-3000:]
