"""Area tls: handshake, the certificate chain as served, names and dates, protocol versions and suites, plain
HTTP, client certificates.

Each check judges its own property from its own handshakes and the chain as served, verified or not, so it runs
even when the run's first contact failed on TLS, and a fault fails the check named for it (and the verified
handshake, which judges everything at once). A failed check points at the line of the deployment's evidence that
shows why (`point_at`).
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
import trustme
from cryptography import x509

from regsuite.client import RegistryClient
from regsuite.fixtures.checks import NOTE_PROPERTY, check
from regsuite.fixtures.tls import TLSDeployment
from regsuite.tlsprobe import (
    ClientCannotOffer,
    Endpoint,
    Handshake,
    Served,
    chain_handshake,
    client_cert_handshake,
    legacy_handshake,
    suite_facts,
    verified_handshake,
    version_handshake,
    weak_suites_accepted,
)
from regsuite.tlsrules import (
    Fault,
    common_names,
    days_left,
    has_san,
    missing_issuer,
    names_host,
    names_of,
    out_of_order,
    served_roots,
    short_intermediates,
    suite_faults,
    validity_problem,
    weak_keys,
    weak_signatures,
)
from regsuite.transcript import Transcript

LEGACY = {"TLS 1.0": ssl.TLSVersion.TLSv1, "TLS 1.1": ssl.TLSVersion.TLSv1_1}
PointAt = Callable[..., str]
Note = Callable[[str, object], None]
# OpenSSL verify codes of the verified handshake, and the line of the served chain that shows each.
VERIFY_EVIDENCE = {
    9: ("chain", 0, "not_before", "tls.validity"),  # certificate is not yet valid
    10: ("chain", 0, "not_after", "tls.validity"),  # certificate has expired
    62: ("chain", 0, "sans", "tls.hostname"),  # hostname mismatch
    64: ("chain", 0, "sans", "tls.hostname"),  # IP address mismatch
    2: ("chain", -1, "issuer", "tls.chain"),  # unable to get issuer certificate
    18: ("chain", 0, "issuer", "tls.chain"),  # self-signed certificate
    19: ("chain", -1, "issuer", "tls.chain"),  # self-signed certificate in chain
    20: ("chain", -1, "issuer", "tls.chain"),  # unable to get local issuer certificate
    21: ("chain", 0, "issuer", "tls.chain"),  # unable to verify the first certificate
    66: ("chain", 0, "key", "tls.key-size"),  # EE key too small
    67: ("chain", -1, "key", "tls.key-size"),  # CA key too small
    68: ("chain", 0, "signature_algorithm", "tls.signature-algorithm"),  # CA md too weak
}


def _where(deployment: TLSDeployment) -> str:
    return f"{deployment.endpoint.address} (verified against {deployment.evidence.trust})"


def _outcome(result: Handshake) -> str:
    return f"accepted ({result.version}, {result.cipher})" if result.ok else f"refused: {result.error}"


def _offered_alone(deployment: TLSDeployment, key: str, name: str,
                   handshake: Callable[[Endpoint, ssl.TLSVersion], Handshake], version: ssl.TLSVersion) -> Handshake:
    """One handshake offering only `version`, kept as evidence under `key`; a skip when this client cannot offer
    it (a check of the registry must not fail for the local OpenSSL)."""
    try:
        result = handshake(deployment.endpoint, version)
    except ClientCannotOffer as exc:
        pytest.skip(f"unsupported by this client: the local OpenSSL cannot offer {name} ({exc})")
    deployment.evidence.attempt(key, f"{name} offered alone", _outcome(result))
    return result


def _faults(faults: list[Fault], point_at: PointAt, then: str) -> None:
    """Fail with every fault, each pointing at its line of the served chain."""
    if faults:
        lines = [f"{f.text} ({point_at('chain', f.position, f.field)})" for f in faults]
        raise AssertionError("; ".join(lines) + f"; {then}")


@check("tls.handshake")
def test_handshake(tls_deployment: TLSDeployment, point_at: PointAt, request: pytest.FixtureRequest) -> None:
    result = verified_handshake(tls_deployment.endpoint)
    tls_deployment.evidence.attempt(
        "verified", f"a handshake as clients make it (chain, name and dates against {tls_deployment.evidence.trust})",
        _outcome(result))
    if result.ok:
        return
    why = point_at("attempts", "verified")
    if result.verify_code in VERIFY_EVIDENCE:
        *path, named = VERIFY_EVIDENCE[result.verify_code]
        count = len(request.getfixturevalue("tls_served").chain)  # the chain as served, in the evidence
        if path[1] == -1:
            path[1] = max(count - 1, 0)
        why += f"; {point_at(*path)}; {named} judges this property alone"
    raise AssertionError(f"a verified TLS handshake with {_where(tls_deployment)} failed: {result.error} ({why})")


@check("tls.chain")
def test_chain(tls_deployment: TLSDeployment, tls_served: Served, point_at: PointAt) -> None:
    endpoint = tls_deployment.endpoint
    result = chain_handshake(endpoint)
    tls_deployment.evidence.attempt(
        "chain", f"the served chain verified against {tls_deployment.evidence.trust} (not its dates, names or key "
        "strength)", _outcome(result))
    if result.ok:
        return
    why = point_at("attempts", "chain")
    anchors = x509.load_pem_x509_certificates(endpoint.ca.read_bytes()) if endpoint.ca else []
    fault = missing_issuer(tls_served.chain, anchors) if anchors else None
    if fault is not None:
        why = f"{fault.text}; {point_at('chain', fault.position, fault.field)}"
    raise AssertionError(
        f"the certificate chain of {_where(tls_deployment)} does not verify: {result.error}; {why}. Serve the full "
        "chain (leaf and intermediates) signed by a CA clients trust, or give that CA with --tls-ca/--registry-ca"
    )


@check("tls.hostname")
def test_hostname(tls_deployment: TLSDeployment, tls_served: Served, point_at: PointAt,
                  record_property: Note) -> None:
    endpoint, cert = tls_deployment.endpoint, tls_served.leaf
    if names_host(cert, endpoint.host):
        return
    if names_host(cert, endpoint.host, common_name=True):
        record_property(NOTE_PROPERTY, f"{endpoint.host} is named only by the subject's CN (tls.subject-alt-name)")
        return
    dns, ips = names_of(cert)
    listed = ", ".join([f"DNS:{n}" for n in dns] + [f"IP:{i}" for i in ips]) or "no subjectAltName"
    kind = "IP" if endpoint.is_ip else "DNS"
    ip_note = " (an IP address is matched only against IP SANs)" if endpoint.is_ip else ""
    raise AssertionError(
        f"the registry is reached as {endpoint.host}, but its certificate names {listed}{ip_note} "
        f"({point_at('chain', 0, 'sans')}): clients refuse the handshake. Reach it by a name the certificate lists, "
        f"or reissue the certificate with {kind}:{endpoint.host}"
    )


@check("tls.subject-alt-name")
def test_subject_alt_name(tls_served: Served, point_at: PointAt) -> None:
    cert = tls_served.leaf
    assert has_san(cert), (
        f"the certificate has no subjectAltName ({point_at('chain', 0, 'sans')}); its name is only in the subject's "
        f"CN ({', '.join(common_names(cert)) or 'none'}), which Go clients (docker, containerd, skopeo, crane) refuse "
        "since Go 1.15: 'x509: certificate relies on legacy Common Name field, use SANs instead'. Reissue it with "
        "DNS:/IP: subjectAltName entries"
    )


@check("tls.validity")
def test_validity(tls_served: Served, point_at: PointAt) -> None:
    cert = tls_served.leaf
    problem = validity_problem(cert)
    if problem is not None:
        line = point_at("chain", 0, "not_before" if problem.startswith("not valid") else "not_after")
        raise AssertionError(f"the registry's certificate is {problem} ({line}); clients refuse it")


@check("tls.expiry-margin")
def test_expiry_margin(tls_deployment: TLSDeployment, tls_served: Served, point_at: PointAt,
                       record_property: Note) -> None:
    cert = tls_served.leaf
    left = days_left(cert)
    if left < 0:
        pytest.skip("not judged: the certificate has already expired (tls.validity)")
    record_property(NOTE_PROPERTY, f"the certificate expires in {left:.0f} days ({cert.not_valid_after_utc:%Y-%m-%d})")
    assert left >= tls_deployment.expiry_days, (
        f"the certificate expires in {left:.1f} days ({cert.not_valid_after_utc:%Y-%m-%d}; "
        f"{point_at('chain', 0, 'not_after')}), under the {tls_deployment.expiry_days:g}-day threshold "
        "(--tls-expiry-warning-days); renew it"
    )


def _chain_rule(check_id: str, rule: Callable[[list[x509.Certificate]], list[Fault]], fix: str) -> Callable[..., None]:
    """A check that judges the served chain by one rule of regsuite.tlsrules."""

    @check(check_id)
    def test(tls_served: Served, point_at: PointAt) -> None:
        _faults(rule(tls_served.chain), point_at, fix)

    return test


test_key_size = _chain_rule("tls.key-size", weak_keys,
                            "reissue with an RSA key of 2048 bits or more, or EC P-256 or more")
test_signature_algorithm = _chain_rule(
    "tls.signature-algorithm", weak_signatures,
    "SHA-1 signatures are forgeable and refused by current clients; reissue with SHA-256 or better")
test_chain_order = _chain_rule(
    "tls.chain-order", out_of_order,
    "put the certificate file in order: the leaf, then the intermediate that issued it, then its issuer")
test_chain_without_root = _chain_rule("tls.chain-without-root", served_roots,
                                      "leave the root out of the served certificate file")
test_intermediate_expiry = _chain_rule("tls.intermediate-expiry", short_intermediates,
                                       "serve a current intermediate (the CA's newer one), or a leaf that ends with it")


@check("tls.tls13-offered")
def test_tls13_offered(tls_deployment: TLSDeployment, point_at: PointAt) -> None:
    result = _offered_alone(tls_deployment, "tls1.3", "TLS 1.3", version_handshake, ssl.TLSVersion.TLSv1_3)
    assert result.ok, (
        f"{tls_deployment.endpoint.address} refused a handshake offering only TLS 1.3: {result.error} "
        f"({point_at('attempts', 'tls1.3')}); RFC 9325 asks servers to support it (a terminator's ssl_protocols, "
        "or a Go or OpenSSL that predates it)"
    )


@check("tls.cipher-suites")
def test_cipher_suites(tls_deployment: TLSDeployment, point_at: PointAt) -> None:
    endpoint = tls_deployment.endpoint
    try:
        accepted, offered = weak_suites_accepted(endpoint)
    except ClientCannotOffer as exc:
        pytest.skip(f"unsupported by this client: {exc}")
    facts = suite_facts(endpoint)
    named = [f"{name} ({', '.join(suite_faults(facts.get(name, {})))})" for name in accepted]
    tls_deployment.evidence.attempt(
        "weak-suites", f"TLS 1.2 offering only suites without forward secrecy or AEAD ({len(offered)} suites)",
        "accepted " + ", ".join(named) if named else "refused every one")
    assert not accepted, (
        f"{endpoint.address} accepts TLS 1.2 suites RFC 9325 advises against: {', '.join(named)} "
        f"({point_at('attempts', 'weak-suites')}); allow only ECDHE (or DHE) with AES-GCM or ChaCha20-Poly1305"
    )


@check("tls.legacy-versions-refused")
def test_legacy_versions_refused(tls_deployment: TLSDeployment, point_at: PointAt) -> None:
    accepted = []
    for name, version in LEGACY.items():
        if _offered_alone(tls_deployment, name, name, legacy_handshake, version).ok:
            accepted.append(name)
    assert not accepted, (
        f"{tls_deployment.endpoint.address} completes a handshake with {' and '.join(accepted)} "
        f"({'; '.join(point_at('attempts', name) for name in accepted)}); RFC 8996 forbids them "
        "(distribution: http.tls.minimumtls: tls1.2)"
    )


@check("tls.plain-http-refused")
def test_plain_http_refused(tls_deployment: TLSDeployment, point_at: PointAt) -> None:
    target = tls_deployment.target
    plain = replace(target, url="http://" + target.url.split("://", 1)[1], username=None, password=None)
    with RegistryClient(plain, auth=False, transcript=Transcript(), timeout=10.0) as client:
        try:
            response = client.ping()
        except httpx.TransportError as exc:
            tls_deployment.evidence.attempt("plain-http", "plain HTTP GET /v2/ to the TLS port",
                                            f"not served ({type(exc).__name__})")
            return
    served = response.status_code in (200, 401) or "docker-distribution-api-version" in response.headers
    tls_deployment.evidence.attempt("plain-http", "plain HTTP GET /v2/ to the TLS port",
                                    f"answered {response.status_code}" + (" by the registry API" if served else ""))
    assert not served, (
        f"plain HTTP to the TLS port {plain.url} got {response.status_code} from the registry API "
        f"({point_at('attempts', 'plain-http')}): requests (and credentials) are served unencrypted on the TLS port"
    )


def _client_cert_configured(deployment: TLSDeployment) -> None:
    if deployment.endpoint.client_cert is None:
        pytest.skip("no client certificate configured (--registry-client-cert/--registry-client-key)")


@check("tls.client-certificate")
def test_client_certificate(tls_deployment: TLSDeployment, point_at: PointAt) -> None:
    _client_cert_configured(tls_deployment)
    endpoint, evidence = tls_deployment.endpoint, tls_deployment.evidence
    without = client_cert_handshake(endpoint, None)
    evidence.attempt("no-client-cert", "a handshake and GET /v2/ with no client certificate", _outcome(without))
    assert not without.ok, (
        f"{endpoint.address} answered a client that presented no certificate "
        f"({point_at('attempts', 'no-client-cert')}); with client certificates configured, the registry must "
        "require them (distribution: http.tls.clientcas)"
    )
    with_cert = client_cert_handshake(endpoint, True)
    evidence.attempt("client-cert", "a handshake and GET /v2/ with the configured client certificate",
                     _outcome(with_cert))
    assert with_cert.ok, (
        f"the configured client certificate was refused: {with_cert.error} ({point_at('attempts', 'client-cert')})"
    )


@check("tls.client-certificate-other-ca")
def test_client_certificate_other_ca(tls_deployment: TLSDeployment, point_at: PointAt, tmp_path: Path) -> None:
    _client_cert_configured(tls_deployment)
    endpoint = tls_deployment.endpoint
    if not client_cert_handshake(endpoint, True).ok:
        pytest.skip("not judged: the configured client certificate is refused too (tls.client-certificate)")
    if client_cert_handshake(endpoint, None).ok:
        pytest.skip("not judged: the registry does not require client certificates at all (tls.client-certificate)")
    stranger = trustme.CA(organization_name="regsuite stranger CA").issue_cert("regsuite-stranger")
    cert, key = tmp_path / "stranger.pem", tmp_path / "stranger.key"
    stranger.cert_chain_pems[0].write_to_path(str(cert))
    stranger.private_key_pem.write_to_path(str(key))
    result = client_cert_handshake(endpoint, (cert, key))
    tls_deployment.evidence.attempt(
        "other-ca-client-cert", "a handshake and GET /v2/ with a client certificate from a CA made for this check",
        _outcome(result))
    assert not result.ok, (
        f"{endpoint.address} accepted a client certificate issued by a CA it was never given "
        f"({point_at('attempts', 'other-ca-client-cert')}): any client can make one. Verify client certificates "
        "against the client CAs only (distribution: http.tls.clientcas; nginx: ssl_verify_client on, not "
        "optional_no_ca)"
    )
