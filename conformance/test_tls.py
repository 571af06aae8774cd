"""Area tls: handshake, certificate chain, name and dates, protocol versions, plain HTTP, client certificates."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import replace

import httpx
import pytest

from regsuite.client import RegistryClient
from regsuite.fixtures.checks import NOTE_PROPERTY, check
from regsuite.fixtures.run import Run
from regsuite.fixtures.tls import TLSDeployment
from regsuite.tlsprobe import (
    ClientCannotOffer,
    chain_handshake,
    client_cert_handshake,
    days_left,
    leaf_certificate,
    legacy_handshake,
    names_host,
    names_of,
    validity_problem,
    verified_handshake,
)

LEGACY = {"TLS 1.0": ssl.TLSVersion.TLSv1, "TLS 1.1": ssl.TLSVersion.TLSv1_1}


def _where(deployment: TLSDeployment) -> str:
    endpoint = deployment.endpoint
    trust = f"CA {endpoint.ca}" if endpoint.ca else "the system CA store"
    return f"{endpoint.host}:{endpoint.port} (verified against {trust})"


@check("tls.handshake")
def test_handshake(tls_deployment: TLSDeployment) -> None:
    result = verified_handshake(tls_deployment.endpoint)
    assert result.ok, f"a verified TLS handshake with {_where(tls_deployment)} failed: {result.error}"


@check("tls.chain")
def test_chain(tls_deployment: TLSDeployment) -> None:
    result = chain_handshake(tls_deployment.endpoint)
    assert result.ok, (
        f"the certificate chain of {_where(tls_deployment)} does not verify: {result.error}; serve the full chain "
        "(leaf and intermediates) signed by a CA clients trust, or give that CA with --tls-ca/--registry-ca"
    )


@check("tls.hostname")
def test_hostname(tls_deployment: TLSDeployment) -> None:
    endpoint = tls_deployment.endpoint
    cert = leaf_certificate(endpoint)
    dns, ips = names_of(cert)
    if names_host(cert, endpoint.host):
        return
    listed = ", ".join([f"DNS:{n}" for n in dns] + [f"IP:{i}" for i in ips]) or "no subjectAltName"
    kind = "IP" if endpoint.is_ip else "DNS"
    ip_note = " (an IP address is matched only against IP SANs)" if endpoint.is_ip else ""
    raise AssertionError(
        f"the registry is reached as {endpoint.host}, but its certificate names {listed}{ip_note}: clients refuse the "
        f"handshake. Reach it by a name the certificate lists, or reissue the certificate with {kind}:{endpoint.host}"
    )


@check("tls.validity")
def test_validity(tls_deployment: TLSDeployment) -> None:
    problem = validity_problem(leaf_certificate(tls_deployment.endpoint))
    assert problem is None, f"the registry's certificate is {problem}; clients refuse it"


@check("tls.expiry-margin")
def test_expiry_margin(tls_deployment: TLSDeployment, record_property: Callable[[str, object], None]) -> None:
    cert = leaf_certificate(tls_deployment.endpoint)
    left = days_left(cert)
    record_property(NOTE_PROPERTY, f"the certificate expires in {left:.0f} days ({cert.not_valid_after_utc:%Y-%m-%d})")
    assert left >= tls_deployment.expiry_days, (
        f"the certificate expires in {left:.1f} days ({cert.not_valid_after_utc:%Y-%m-%d}), under the "
        f"{tls_deployment.expiry_days:g}-day threshold (--tls-expiry-warning-days); renew it"
    )


@check("tls.legacy-versions-refused")
def test_legacy_versions_refused(tls_deployment: TLSDeployment) -> None:
    accepted = []
    for name, version in LEGACY.items():
        try:
            result = legacy_handshake(tls_deployment.endpoint, version)
        except ClientCannotOffer as exc:
            pytest.skip(f"unsupported by this client: the local OpenSSL cannot offer {name} ({exc})")
        if result.ok:
            accepted.append(name)
    assert not accepted, (
        f"{tls_deployment.endpoint.host}:{tls_deployment.endpoint.port} completes a handshake with "
        f"{' and '.join(accepted)}; RFC 8996 forbids them (distribution: http.tls.minimumtls: tls1.2)"
    )


@check("tls.plain-http-refused")
def test_plain_http_refused(tls_deployment: TLSDeployment, regsuite_run: Run) -> None:
    target = tls_deployment.target
    plain = replace(target, url="http://" + target.url.split("://", 1)[1], username=None, password=None)
    with RegistryClient(plain, auth=False, transcript=regsuite_run.client.transcript, timeout=10.0) as client:
        try:
            response = client.ping()
        except httpx.TransportError:
            return  # the TLS port closed the plain connection: not served
    served = response.status_code in (200, 401) or "docker-distribution-api-version" in response.headers
    assert not served, (
        f"plain HTTP to the TLS port {plain.url} got {response.status_code} from the registry API: requests (and "
        "credentials) are served unencrypted on the TLS port"
    )


@check("tls.client-certificate")
def test_client_certificate(tls_deployment: TLSDeployment) -> None:
    endpoint = tls_deployment.endpoint
    if endpoint.client_cert is None:
        pytest.skip("no client certificate configured (--registry-client-cert/--registry-client-key)")
    without = client_cert_handshake(endpoint, present=False)
    assert not without.ok, (
        f"{endpoint.host}:{endpoint.port} answered a client that presented no certificate; with client certificates "
        "configured, the registry must require them (distribution: http.tls.clientcas)"
    )
    with_cert = client_cert_handshake(endpoint, present=True)
    assert with_cert.ok, f"the configured client certificate was refused: {with_cert.error}"
