"""What a served TLS deployment must be, with no I/O: the certificate chain as served, and cipher suites.

regsuite.tlsprobe makes the connections and hands over certificates and
suite names; each function here answers one check's question with the
faults it finds (empty when there are none), and `describe` is the
certificate as the reports show it. Every rule judges the chain as served,
verified or not, so a certificate wrong in one way fails one check.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID

MIN_RSA_BITS = 2048
MIN_EC_BITS = 256
WEAK_HASHES = ("sha1", "md5")
CURVES = {"secp224r1": "P-224", "secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}


@dataclass(frozen=True)
class Fault:
    """One thing wrong, in one sentence, and the field of the served chain that shows it."""

    text: str
    position: int  # the certificate's place in the served chain (0: the leaf)
    field: str  # a key of `describe`


# -- one certificate -----------------------------------------------------------------------------


def names_of(cert: x509.Certificate) -> tuple[list[str], list[str]]:
    """(DNS names, IP addresses) in the subjectAltName extension."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return [], []
    return san.get_values_for_type(x509.DNSName), [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]


def has_san(cert: x509.Certificate) -> bool:
    dns, ips = names_of(cert)
    return bool(dns or ips)


def common_names(cert: x509.Certificate) -> list[str]:
    return [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]


def _dns_match(names: Iterable[str], host: str) -> bool:
    host = host.lower().rstrip(".")
    for name in (n.lower().rstrip(".") for n in names):
        if name == host:
            return True
        if name.startswith("*.") and "." in host and host.split(".", 1)[1] == name[2:]:
            return True
    return False


def names_host(cert: x509.Certificate, host: str, *, common_name: bool = False) -> bool:
    """Whether the certificate covers `host` (RFC 6125: one-label wildcards, IPs need IP SANs).

    With `common_name`, a certificate without subjectAltName is judged by its CN, as older clients do.
    """
    dns, ips = names_of(cert)
    try:
        wanted = ipaddress.ip_address(host)
    except ValueError:
        if common_name and not (dns or ips):
            return _dns_match(common_names(cert), host)
        return _dns_match(dns, host)
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


def key_of(cert: x509.Certificate) -> tuple[str, int | None]:
    """("RSA", 2048), ("EC P-256", 256), ("Ed25519", None)...: the key type and its size in bits."""
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {CURVES.get(key.curve.name, key.curve.name)}", key.curve.key_size
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", None
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", None
    return type(key).__name__, None


def signature_of(cert: x509.Certificate) -> str:
    """The signature algorithm's name, e.g. sha256WithRSAEncryption, ecdsa-with-SHA256."""
    name = getattr(cert.signature_algorithm_oid, "_name", None)
    return str(name) if name and name != "Unknown OID" else cert.signature_algorithm_oid.dotted_string


def _hash_of(cert: x509.Certificate) -> str | None:
    try:
        algorithm = cert.signature_hash_algorithm
    except Exception:  # noqa: BLE001 - an algorithm cryptography does not know: not a weak hash it knows
        return None
    return algorithm.name if isinstance(algorithm, hashes.HashAlgorithm) else None


def self_signed(cert: x509.Certificate) -> bool:
    """A root: issued by itself (names equal and its own key verifies its signature)."""
    return cert.issuer == cert.subject and issued_by(cert, cert)


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except Exception:  # noqa: BLE001 - wrong signature, or an algorithm cryptography cannot check: not this issuer
        return False
    return True


def role_of(chain: list[x509.Certificate], position: int) -> str:
    if position == 0:
        return "leaf"
    return "root" if self_signed(chain[position]) else "intermediate"


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def describe(chain: list[x509.Certificate], now: datetime | None = None) -> list[dict[str, Any]]:
    """The served chain as the reports show it, in the order served."""
    now = now or datetime.now(UTC)
    out = []
    for position, cert in enumerate(chain):
        dns, ips = names_of(cert)
        kind, bits = key_of(cert)
        out.append({
            "position": position,
            "role": role_of(chain, position),
            "subject": cert.subject.rfc4514_string(),
            "sans": [f"DNS:{n}" for n in dns] + [f"IP:{i}" for i in ips],
            "issuer": cert.issuer.rfc4514_string(),
            "serial": f"{cert.serial_number:x}",
            "not_before": _when(cert.not_valid_before_utc),
            "not_after": _when(cert.not_valid_after_utc),
            "days_left": round(days_left(cert, now), 1),
            "key": f"{kind} {bits} bits" if bits and not kind.startswith("EC ") else kind,
            "signature_algorithm": signature_of(cert),
        })
    return out


# -- the served chain: one function per check ----------------------------------------------------


def weak_keys(chain: list[x509.Certificate]) -> list[Fault]:
    faults = []
    for position, cert in enumerate(chain):
        kind, bits = key_of(cert)
        least = MIN_RSA_BITS if kind == "RSA" else MIN_EC_BITS if kind.startswith("EC ") else None
        if least is not None and bits is not None and bits < least:
            faults.append(Fault(f"the {role_of(chain, position)} has a {kind} {bits}-bit key (at least {least} bits)",
                                position, "key"))
        elif kind == "DSA":
            faults.append(Fault(f"the {role_of(chain, position)} has a DSA key, which TLS clients no longer accept",
                                position, "key"))
    return faults


def weak_signatures(chain: list[x509.Certificate]) -> list[Fault]:
    """SHA-1 (or MD5) signatures; a served root's own signature does not count, as trust in it does not rest on it."""
    faults = []
    for position, cert in enumerate(chain):
        digest = _hash_of(cert)
        if digest in WEAK_HASHES and not (position and self_signed(cert)):
            text = f"the {role_of(chain, position)} is signed with {signature_of(cert)} ({digest.upper()})"
            faults.append(Fault(text, position, "signature_algorithm"))
    return faults


def out_of_order(chain: list[x509.Certificate]) -> list[Fault]:
    """Each certificate after the leaf must issue the one before it."""
    faults = []
    for position in range(1, len(chain)):
        if not issued_by(chain[position - 1], chain[position]):
            faults.append(Fault(
                f"certificate {position} ({chain[position].subject.rfc4514_string()}) did not issue certificate "
                f"{position - 1}, which names {chain[position - 1].issuer.rfc4514_string()} as its issuer",
                position, "subject"))
    return faults


def served_roots(chain: list[x509.Certificate]) -> list[Fault]:
    return [
        Fault(f"certificate {position} is a self-signed root ({cert.subject.rfc4514_string()}); clients have it in "
              "their trust store, and a served copy can be an old one", position, "subject")
        for position, cert in enumerate(chain) if position and self_signed(cert)
    ]


def short_intermediates(chain: list[x509.Certificate]) -> list[Fault]:
    """Served intermediates that expire before the leaf: the leaf stops verifying on that day."""
    if not chain:
        return []
    leaf_end = chain[0].not_valid_after_utc
    return [
        Fault(f"intermediate {position} ({cert.subject.rfc4514_string()}) expires {_when(cert.not_valid_after_utc)}, "
              f"before the leaf ({_when(leaf_end)}): from then on the chain no longer verifies",
              position, "not_after")
        for position, cert in enumerate(chain)
        if position and not self_signed(cert) and cert.not_valid_after_utc < leaf_end
    ]


def missing_issuer(chain: list[x509.Certificate], anchors: list[x509.Certificate]) -> Fault | None:
    """Why the served chain does not lead to one of `anchors`, when the reason shows in the names."""
    if not chain:
        return None
    served = list(chain)
    current, position = chain[0], 0
    seen = {0}
    while True:
        if any(issued_by(current, a) or a == current for a in anchors):
            return None
        nxt = next((i for i, c in enumerate(served) if i not in seen and issued_by(current, c)), None)
        if nxt is None:
            break
        seen.add(nxt)
        current, position = served[nxt], nxt
    if self_signed(current):
        return Fault(f"the chain ends at the self-signed {current.subject.rfc4514_string()}, which the CA file does "
                     "not hold", position, "subject")
    who = "the leaf" if position == 0 else f"certificate {position}"
    return Fault(f"{who} is issued by {current.issuer.rfc4514_string()}, which is neither served nor in the CA file: "
                 "serve the intermediate(s) after the leaf, or check the CA file", position, "issuer")


# -- cipher suites -------------------------------------------------------------------------------

FORWARD_SECRET = ("kx-ecdhe", "kx-dhe")


def suite_faults(suite: dict[str, Any]) -> list[str]:
    """What is wrong with a TLS 1.2 suite (one of `ssl.SSLContext.get_ciphers()`): empty for a good one."""
    faults = []
    if suite.get("kea") not in FORWARD_SECRET:
        faults.append("no forward secrecy")
    if suite.get("auth") == "auth-null":
        faults.append("no authentication")
    symmetric = str(suite.get("symmetric") or "")
    if "rc4" in symmetric:
        faults.append("RC4")
    elif "des" in symmetric:
        faults.append("3DES")
    elif not suite.get("aead"):
        faults.append("CBC")
    if suite.get("digest") in ("sha1", "md5"):
        faults.append(f"{str(suite['digest']).upper()} MAC")
    return faults


def weak_suites(suites: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The TLS 1.2 suites a server should not accept, among those a client can offer (no PSK: never chosen)."""
    return [s for s in suites
            if s.get("protocol") != "TLSv1.3" and "psk" not in str(s.get("kea")) and suite_faults(s)]
