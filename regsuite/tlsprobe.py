"""Looking at a registry's TLS endpoint: handshakes, the chain as served, old protocol versions and weak suites.

Each function makes its own connections and returns facts; the TLS checks
judge them (regsuite.tlsrules holds the rules). Only the verified handshake
judges everything at once, as a client does; the chain is verified with
OpenSSL at no particular time and at security level 0 (dates and key
strength are other checks'), and the certificate itself is read from an
unverified handshake, so a certificate wrong in one way fails one check.

The whole chain as served is read with pyOpenSSL (`get_peer_cert_chain`):
Python's ssl gives only the leaf before 3.13.
"""

from __future__ import annotations

import ipaddress
import select
import socket
import ssl
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from cryptography import x509
from OpenSSL import SSL

from .tlsrules import weak_suites

# OpenSSL's X509_V_FLAG_NO_CHECK_TIME: verify the chain without looking at the clock.
NO_CHECK_TIME = 0x200000
# Whatever the local OpenSSL has, however weak, but with a certificate (a server picking an anonymous suite shows
# none); EVERY_SUITE adds the anonymous ones, for tls.cipher-suites to offer.
ANY_STRENGTH = "ALL:!aNULL:!eNULL:@SECLEVEL=0"
EVERY_SUITE = "ALL:COMPLEMENTOFALL:@SECLEVEL=0"
T = TypeVar("T")


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

    @property
    def address(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Handshake:
    ok: bool
    version: str | None = None
    error: str | None = None
    verify_code: int | None = None  # OpenSSL's code when verification failed
    cipher: str | None = None


def _context(endpoint: Endpoint, *, verify: bool, check_hostname: bool,
             client_cert: tuple[Path, Path] | None | bool = True) -> ssl.SSLContext:
    """`client_cert`: True for the endpoint's own, False for none, or a (certificate, key) pair."""
    if verify:
        ctx = ssl.create_default_context(cafile=str(endpoint.ca) if endpoint.ca else None)
        ctx.check_hostname = check_hostname
        ctx.hostname_checks_common_name = False  # as Go clients (docker, containerd, skopeo) since Go 1.15
    else:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    pair = endpoint.client_cert if client_cert is True else client_cert or None
    if pair:
        ctx.load_cert_chain(str(pair[0]), str(pair[1]))
    return ctx


def _connect(endpoint: Endpoint, ctx: ssl.SSLContext, *, exchange: bool = False) -> Handshake:
    """One handshake; with `exchange`, also one HTTP request.

    A TLS 1.3 server refuses a missing client certificate only after the
    client's side of the handshake is done, so only a request shows it.
    """
    try:
        with socket.create_connection((endpoint.host, endpoint.port), timeout=endpoint.timeout) as raw:
            with ctx.wrap_socket(raw, server_hostname=endpoint.host) as tls:
                version, cipher = tls.version(), (tls.cipher() or (None,))[0]
                if exchange:
                    tls.sendall(f"GET /v2/ HTTP/1.1\r\nHost: {endpoint.host}\r\nConnection: close\r\n\r\n".encode())
                    if not tls.recv(64).startswith(b"HTTP/"):
                        return Handshake(False, version, "the connection closed without an HTTP answer")
                return Handshake(True, version, cipher=cipher)
    except ssl.SSLCertVerificationError as exc:
        return Handshake(False, None, exc.verify_message or str(exc), exc.verify_code)
    except (ssl.SSLError, OSError) as exc:
        return Handshake(False, None, f"{type(exc).__name__}: {exc}")


def verified_handshake(endpoint: Endpoint) -> Handshake:
    """Chain, name and dates all verified, as a client would."""
    return _connect(endpoint, _context(endpoint, verify=True, check_hostname=True))


def chain_handshake(endpoint: Endpoint) -> Handshake:
    """Only the chain verified: who issued whom, up to the CA; names, dates and key strength are other checks'."""
    ctx = _context(endpoint, verify=True, check_hostname=False)
    ctx.verify_flags |= NO_CHECK_TIME  # type: ignore[assignment]
    ctx.set_ciphers(ANY_STRENGTH)  # security level 0: a weak key or SHA-1 signature does not break the chain
    return _connect(endpoint, ctx)


# -- the chain as served -------------------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    """What an unverified handshake saw: the chain in the order served, the protocol and the suite negotiated."""

    chain: list[x509.Certificate]
    protocol: str
    cipher: str

    @property
    def leaf(self) -> x509.Certificate:
        return self.chain[0]


def drive(step: Callable[[], T], sock: socket.socket, deadline: float) -> T:
    """Run a pyOpenSSL step on a non-blocking socket until it completes or the deadline passes."""
    while True:
        try:
            return step()
        except SSL.WantReadError:
            wait: tuple[list[Any], list[Any]] = ([sock], [])
        except SSL.WantWriteError:
            wait = ([], [sock])
        left = deadline - time.monotonic()
        if left <= 0 or not any(select.select(*wait, [], left)[:2]):
            raise TimeoutError("the TLS handshake did not complete in time")


def served(endpoint: Endpoint) -> Served:
    """One unverified handshake (with the configured client certificate, if any); raises OSError when none."""
    ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
    ctx.set_verify(SSL.VERIFY_NONE)
    ctx.set_cipher_list(ANY_STRENGTH.encode())
    if endpoint.client_cert:
        ctx.use_certificate_chain_file(str(endpoint.client_cert[0]))
        ctx.use_privatekey_file(str(endpoint.client_cert[1]))
    deadline = time.monotonic() + endpoint.timeout
    with socket.create_connection((endpoint.host, endpoint.port), timeout=endpoint.timeout) as raw:
        raw.setblocking(False)
        conn = SSL.Connection(ctx, raw)
        if not endpoint.is_ip:
            conn.set_tlsext_host_name(endpoint.host.encode("idna"))
        conn.set_connect_state()
        try:
            drive(conn.do_handshake, raw, deadline)
        except SSL.Error as exc:
            raise ssl.SSLError(f"the TLS handshake failed: {exc}") from None
        chain = conn.get_peer_cert_chain(as_cryptography=True) or []
        protocol, cipher = conn.get_protocol_version_name(), conn.get_cipher_name() or "?"
        try:
            conn.shutdown()
        except SSL.Error:
            pass
    if not chain:
        raise ssl.SSLError("the server presented no certificate")
    return Served(list(chain), protocol, cipher)


# -- protocol versions and suites ----------------------------------------------------------------


class ClientCannotOffer(Exception):
    """The local OpenSSL cannot speak the protocol version (or any of the suites) at all."""


def _pinned(endpoint: Endpoint, version: ssl.TLSVersion, ciphers: str | None = None) -> ssl.SSLContext:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # naming TLSv1/TLSv1_1 is the point here
        ctx = _context(endpoint, verify=False, check_hostname=False)
        try:
            ctx.minimum_version = version
            ctx.maximum_version = version
            if ciphers:
                ctx.set_ciphers(ciphers)
        except (ValueError, ssl.SSLError) as exc:
            raise ClientCannotOffer(str(exc)) from None
    return ctx


def _offered(endpoint: Endpoint, ctx: ssl.SSLContext) -> Handshake:
    result = _connect(endpoint, ctx)
    if not result.ok and result.error and "no protocols available" in result.error.lower():
        raise ClientCannotOffer(result.error)
    return result


def legacy_handshake(endpoint: Endpoint, version: ssl.TLSVersion) -> Handshake:
    """Offer exactly `version` (TLS 1.0 or 1.1) with every cipher OpenSSL still has."""
    return _offered(endpoint, _pinned(endpoint, version, "ALL:@SECLEVEL=0"))


def version_handshake(endpoint: Endpoint, version: ssl.TLSVersion) -> Handshake:
    """Offer exactly `version` with the usual suites (e.g. TLS 1.3 alone)."""
    return _offered(endpoint, _pinned(endpoint, version))


def weak_suites_accepted(endpoint: Endpoint, limit: int = 40) -> tuple[list[str], list[str]]:
    """(suites accepted, suites offered): TLS 1.2 handshakes offering only weak suites, each accepted one
    dropped from the next offer, until the server refuses (at most `limit` handshakes)."""
    probe = _pinned(endpoint, ssl.TLSVersion.TLSv1_2, EVERY_SUITE)
    offer = [s["name"] for s in weak_suites([dict(c) for c in probe.get_ciphers()])]
    if not offer:
        raise ClientCannotOffer("the local OpenSSL has no weak TLS 1.2 suite to offer")
    accepted: list[str] = []
    for _ in range(limit):
        left = [name for name in offer if name not in accepted]
        if not left:
            break
        result = _connect(endpoint, _pinned(endpoint, ssl.TLSVersion.TLSv1_2, ":".join(left) + ":@SECLEVEL=0"))
        if not result.ok or not result.cipher or result.cipher in accepted:
            break
        accepted.append(result.cipher)
    return accepted, offer


def suite_facts(endpoint: Endpoint) -> dict[str, dict[str, Any]]:
    """The local OpenSSL's description of every TLS 1.2 suite it knows, by name."""
    return {s["name"]: dict(s) for s in _pinned(endpoint, ssl.TLSVersion.TLSv1_2, EVERY_SUITE).get_ciphers()}


def client_cert_handshake(endpoint: Endpoint, client_cert: tuple[Path, Path] | None | bool) -> Handshake:
    """A handshake and one request, presenting `client_cert` (True: the configured one; None/False: none)."""
    ctx = _context(endpoint, verify=False, check_hostname=False, client_cert=client_cert)
    return _connect(endpoint, ctx, exchange=True)
