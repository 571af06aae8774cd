"""Looking at a registry's TLS endpoint: handshakes, the certificate, old protocol versions.

Each function makes its own connection and returns facts; the TLS checks
judge them. Verification errors are kept apart by OpenSSL's verify code so
that a certificate wrong in one way fails one check, not all of them.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509

# OpenSSL's X509_V_ERR_* codes for the validity period; any other verify error is about the chain.
CERT_NOT_YET_VALID = 9
CERT_HAS_EXPIRED = 10


@dataclass(frozen=True)
class Endpoint:
    host: str  # as in the URL, brackets stripped
    port: int
    ca: Path | None = None  # None: the system store
    client_cert: tuple[Path, Path] | None = None
    timeout: float = 10.0

    @classmethod
    def from_url(cls, url: str, ca: Path | None = None, client_cert: tuple[Path, Path] | None = None,
                 timeout: float = 10.0) -> Endpoint:
        parts = urlsplit(url)
        return cls(parts.hostname or "", parts.port or 443, ca, client_cert, timeout)

    @property
    def is_ip(self) -> bool:
        try:
            ipaddress.ip_address(self.host)
        except ValueError:
            return False
        return True


@dataclass(frozen=True)
class Handshake:
    ok: bool
    version: str | None = None
    error: str | None = None
    verify_code: int | None = None  # OpenSSL's code when verification failed


def _context(endpoint: Endpoint, *, verify: bool, check_hostname: bool, client_cert: bool = True) -> ssl.SSLContext:
    if verify:
        ctx = ssl.create_default_context(cafile=str(endpoint.ca) if endpoint.ca else None)
        ctx.check_hostname = check_hostname
    else:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if client_cert and endpoint.client_cert:
        ctx.load_cert_chain(str(endpoint.client_cert[0]), str(endpoint.client_cert[1]))
    return ctx


def _connect(endpoint: Endpoint, ctx: ssl.SSLContext, *, exchange: bool = False) -> Handshake:
    """One handshake; with `exchange`, also one HTTP request.

    A TLS 1.3 server refuses a missing client certificate only after the
    client's side of the handshake is done, so only a request shows it.
    """
    try:
        with socket.create_connection((endpoint.host, endpoint.port), timeout=endpoint.timeout) as raw:
            with ctx.wrap_socket(raw, server_hostname=endpoint.host) as tls:
                version = tls.version()
                if exchange:
                    tls.sendall(f"GET /v2/ HTTP/1.1\r\nHost: {endpoint.host}\r\nConnection: close\r\n\r\n".encode())
                    if not tls.recv(64).startswith(b"HTTP/"):
                        return Handshake(False, version, "the connection closed without an HTTP answer")
                return Handshake(True, version)
    except ssl.SSLCertVerificationError as exc:
        return Handshake(False, None, exc.verify_message or str(exc), exc.verify_code)
    except (ssl.SSLError, OSError) as exc:
        return Handshake(False, None, f"{type(exc).__name__}: {exc}")


def verified_handshake(endpoint: Endpoint) -> Handshake:
    """Chain, name and dates all verified, as a client would."""
    return _connect(endpoint, _context(endpoint, verify=True, check_hostname=True))


def chain_handshake(endpoint: Endpoint) -> Handshake:
    """Only the chain verified: the name is another check's, the dates are another's."""
    result = _connect(endpoint, _context(endpoint, verify=True, check_hostname=False))
    if not result.ok and result.verify_code in (CERT_NOT_YET_VALID, CERT_HAS_EXPIRED):
        # OpenSSL checks the dates once the chain is built: the chain itself is fine.
        return Handshake(True, result.version)
    return result


def leaf_certificate(endpoint: Endpoint) -> x509.Certificate:
    """The certificate the server presents, unverified (raises OSError/ssl.SSLError when none)."""
    ctx = _context(endpoint, verify=False, check_hostname=False)
    with socket.create_connection((endpoint.host, endpoint.port), timeout=endpoint.timeout) as raw:
        with ctx.wrap_socket(raw, server_hostname=endpoint.host) as tls:
            der = tls.getpeercert(binary_form=True)
    if not der:
        raise ssl.SSLError("the server presented no certificate")
    return x509.load_der_x509_certificate(der)


def names_of(cert: x509.Certificate) -> tuple[list[str], list[str]]:
    """(DNS names, IP addresses) in the subjectAltName extension."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return [], []
    return san.get_values_for_type(x509.DNSName), [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]


def names_host(cert: x509.Certificate, host: str) -> bool:
    """Whether the certificate covers `host` (RFC 6125: SAN only, one-label wildcards, IPs need IP SANs)."""
    dns, ips = names_of(cert)
    try:
        wanted = ipaddress.ip_address(host)
    except ValueError:
        host = host.lower().rstrip(".")
        for name in (n.lower().rstrip(".") for n in dns):
            if name == host:
                return True
            if name.startswith("*.") and "." in host and host.split(".", 1)[1] == name[2:]:
                return True
        return False
    return any(ipaddress.ip_address(ip) == wanted for ip in ips)


def days_left(cert: x509.Certificate, now: datetime | None = None) -> float:
    now = now or datetime.now(UTC)
    return (cert.not_valid_after_utc - now).total_seconds() / 86400


def validity_problem(cert: x509.Certificate, now: datetime | None = None) -> str | None:
    now = now or datetime.now(UTC)
    if now < cert.not_valid_before_utc:
        return f"not valid before {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC (now {now:%Y-%m-%d %H:%M} UTC)"
    if now > cert.not_valid_after_utc:
        return f"expired {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC (now {now:%Y-%m-%d %H:%M} UTC)"
    return None


class ClientCannotOffer(Exception):
    """The local OpenSSL cannot speak the protocol version at all."""


def legacy_handshake(endpoint: Endpoint, version: ssl.TLSVersion) -> Handshake:
    """Offer exactly `version` (TLS 1.0 or 1.1) with every cipher OpenSSL still has."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # naming TLSv1/TLSv1_1 is the point here
        ctx = _context(endpoint, verify=False, check_hostname=False)
        try:
            ctx.minimum_version = version
            ctx.maximum_version = version
            ctx.set_ciphers("ALL:@SECLEVEL=0")
        except (ValueError, ssl.SSLError) as exc:
            raise ClientCannotOffer(str(exc)) from None
    result = _connect(endpoint, ctx)
    if not result.ok and result.error and "no protocols available" in result.error.lower():
        raise ClientCannotOffer(result.error)
    return result


def client_cert_handshake(endpoint: Endpoint, *, present: bool) -> Handshake:
    """A handshake and one request, with or without the configured client certificate."""
    ctx = _context(endpoint, verify=False, check_hostname=False, client_cert=present)
    return _connect(endpoint, ctx, exchange=True)
