"""Self-tests of the TLS checks: each bad certificate or setting fails its check; good ones pass.

The broken registries are run with `--registry-insecure` (so the run gets in)
and `--tls-ca` (so the TLS checks still judge the certificate).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from support import ConformanceRun, run_conformance

from regsuite.errors import ExitCode
from regsuite.providers import ProcessProvider, RegistryConfig, TLSFiles
from regsuite.providers.container import DEFAULT_IMAGE, docker_engine_available, image_available
from regsuite.results import Outcome
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


def test_the_embedded_mtls_registry_passes_every_tls_check(tmp_path: Path) -> None:
    run = run_conformance(None, tmp_path, checks=TLS_CHECKS)
    assert run.results is not None, run.output[-3000:]
    assert _failed(run) == [] and len(run.with_outcome(Outcome.PASSED)) == 8, run.output[-3000:]


def test_a_good_certificate_passes_and_client_certificates_skip_without_one(
    material: TLSMaterial, tmp_path: Path
) -> None:
    with ProcessProvider(RegistryConfig(tls=material.tls_files())) as target:
        run = _run(target.url, tmp_path, material)
    assert _failed(run) == [], run.output[-3000:]
    assert run.with_outcome(Outcome.SKIPPED) == ["tls.client-certificate"]


BAD_CERTIFICATES: dict[str, tuple[Callable[[TLSMaterial], CertFiles], list[str]]] = {
    "expired": (TLSMaterial.expired, ["tls.expiry-margin", "tls.handshake", "tls.validity"]),
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
    config = RegistryConfig(tls=material.tls_files(minimum="tls1.0"), extra=LEGACY_CIPHERS)
    with ProcessProvider(config) as target:
        run = _run(target.url, tmp_path, material)
    if run.outcome("tls.legacy-versions-refused") is Outcome.SKIPPED:
        pytest.skip(run.record("tls.legacy-versions-refused").message)  # this OpenSSL cannot offer TLS 1.0
    assert _failed(run) == ["tls.legacy-versions-refused"], run.output[-3000:]


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
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

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
            conn.close()
            return
        parts = urlsplit(tls_url if first == b"\x16" else plain_url)
        upstream = socket.create_connection((parts.hostname, parts.port), timeout=10)
        threading.Thread(target=pipe, args=(conn, upstream), daemon=True).start()
        threading.Thread(target=pipe, args=(upstream, conn), daemon=True).start()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=2)
        listener.close()


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
