"""TLS material from trustme: a CA, server certificates good and bad, client certificates for mTLS.

Everything is written under one directory so a registry process (or a
container, at the same path) can read it. The bad certificates are each
wrong in exactly one way, for the self-tests of the TLS checks.
"""

from __future__ import annotations

import ipaddress
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .providers.config import TLSFiles

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
DAY = timedelta(days=1)


@dataclass(frozen=True)
class CertFiles:
    certificate: Path  # leaf then chain, PEM
    key: Path


@dataclass(frozen=True)
class Issued:
    """A certificate made here and its key: a leaf, or an issuer of others."""

    cert: x509.Certificate
    key: CertificateIssuerPrivateKeyTypes

    @classmethod
    def of(cls, ca: trustme.CA) -> Issued:
        key = serialization.load_pem_private_key(ca.private_key_pem.bytes(), None)
        return cls(x509.load_pem_x509_certificate(ca.cert_pem.bytes()), key)  # type: ignore[arg-type]


def issue(issuer: Issued | None, common_name: str, *, names: tuple[str, ...] = (), ca: bool = False,
          key: CertificateIssuerPrivateKeyTypes | None = None, not_before: datetime | None = None,
          not_after: datetime | None = None) -> Issued:
    """A certificate signed by `issuer` (itself when None), with exactly what a fault needs and nothing odd else.

    trustme makes sound certificates only; the self-tests need CN-only names, small keys and short-lived
    intermediates too (SHA-1: TLSMaterial.sha1_signed).
    """
    now = datetime.now(UTC)
    key = key or ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "regsuite test PKI"),
                         x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    signer = issuer or Issued(None, key)  # type: ignore[arg-type]
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())  # type: ignore[arg-type]
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - DAY)
        .not_valid_after(not_after or now + 365 * DAY)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)  # type: ignore[arg-type]
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.key.public_key()), critical=False)  # type: ignore[arg-type]
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                          key_encipherment=False, data_encipherment=False, key_agreement=False,
                          encipher_only=False, decipher_only=False), critical=True)
    else:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName([_general_name(n) for n in names]), critical=False)
    return Issued(builder.sign(signer.key, hashes.SHA256()), key)


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


class TLSMaterial:
    """A test PKI in `directory`: `ca` for servers, `client_ca` for client certificates."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.ca = trustme.CA(organization_name="regsuite test CA")
        self.client_ca = trustme.CA(organization_name="regsuite client CA")
        self.ca_path = directory / "ca.pem"
        self.client_ca_path = directory / "client-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_path))
        self.client_ca.cert_pem.write_to_path(str(self.client_ca_path))
        self._serial = 0

    def _write(self, leaf: trustme.LeafCert, stem: str) -> CertFiles:
        self._serial += 1
        cert = self.directory / f"{stem}-{self._serial}.pem"
        key = self.directory / f"{stem}-{self._serial}.key"
        for blob in leaf.cert_chain_pems:
            blob.write_to_path(str(cert), append=True)
        leaf.private_key_pem.write_to_path(str(key))
        key.chmod(0o600)
        return CertFiles(cert, key)

    def server(self, *names: str, not_before: datetime | None = None, not_after: datetime | None = None,
               ca: trustme.CA | None = None, stem: str = "server") -> CertFiles:
        leaf = (ca or self.ca).issue_cert(*(names or LOOPBACK_NAMES), not_before=not_before, not_after=not_after)
        return self._write(leaf, stem)

    # -- the certificates the self-tests need ----------------------------------

    def good(self) -> CertFiles:
        return self.server(stem="good")

    def expired(self) -> CertFiles:
        now = datetime.now(UTC)
        return self.server(not_before=now - timedelta(days=30), not_after=now - timedelta(days=1), stem="expired")

    def not_yet_valid(self) -> CertFiles:
        now = datetime.now(UTC)
        return self.server(not_before=now + timedelta(days=1), not_after=now + timedelta(days=90), stem="future")

    def expiring(self, days: float) -> CertFiles:
        now = datetime.now(UTC)
        return self.server(not_before=now - timedelta(days=1), not_after=now + timedelta(days=days), stem="expiring")

    def wrong_name(self) -> CertFiles:
        """Names a host other than the loopback addresses the registry is reached on."""
        return self.server("registry.example.com", stem="wrongname")

    def unknown_ca(self) -> CertFiles:
        return self.server(ca=trustme.CA(organization_name="regsuite unknown CA"), stem="unknownca")

    # -- chains as served, each wrong in one way (issued under `ca`, so the CA file is the same) -----

    def chain(self, *certs: x509.Certificate, key: CertificateIssuerPrivateKeyTypes, stem: str) -> CertFiles:
        """A certificate file serving `certs` in this order, the first one's key beside it."""
        self._serial += 1
        cert_path = self.directory / f"{stem}-{self._serial}.pem"
        key_path = self.directory / f"{stem}-{self._serial}.key"
        cert_path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs))
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        key_path.chmod(0o600)
        return CertFiles(cert_path, key_path)

    def intermediate(self, not_after: datetime | None = None) -> Issued:
        return issue(Issued.of(self.ca), "regsuite intermediate CA", ca=True, not_after=not_after)

    def leaf(self, issuer: Issued | None = None, **kwargs: object) -> Issued:
        kwargs.setdefault("names", LOOPBACK_NAMES)
        return issue(issuer or Issued.of(self.ca), "localhost", **kwargs)  # type: ignore[arg-type]

    def served_chain(self, layout: str = "in-order", *, intermediate_days: float | None = None) -> CertFiles:
        """A leaf under an intermediate, served as `layout` says: in-order (leaf, intermediate), missing-intermediate,
        with-root (leaf, intermediate, root), out-of-order (leaf, root-side intermediate, issuing intermediate)."""
        now = datetime.now(UTC)
        upper = self.intermediate(now + timedelta(days=intermediate_days) if intermediate_days else None)
        leaf = self.leaf(upper)
        root = Issued.of(self.ca).cert
        if layout == "out-of-order":
            lower = issue(upper, "regsuite issuing CA", ca=True)
            leaf = self.leaf(lower)
            return self.chain(leaf.cert, upper.cert, lower.cert, key=leaf.key, stem=layout)
        served = {"in-order": [upper.cert], "missing-intermediate": [], "with-root": [upper.cert, root]}[layout]
        return self.chain(leaf.cert, *served, key=leaf.key, stem=layout)

    def cn_only(self) -> CertFiles:
        """The name only in the subject's CN, no subjectAltName (refused by Go clients since Go 1.15)."""
        leaf = self.leaf(names=())
        return self.chain(leaf.cert, key=leaf.key, stem="cn-only")

    def weak_key(self, bits: int = 1024) -> CertFiles:
        leaf = self.leaf(key=rsa.generate_private_key(public_exponent=65537, key_size=bits))
        return self.chain(leaf.cert, key=leaf.key, stem=f"rsa{bits}")

    def sha1_signed(self) -> CertFiles:
        """A leaf the CA signed with SHA-1: the openssl command signs it, as cryptography no longer does."""
        good = self.leaf()
        files = self.chain(good.cert, key=good.key, stem="sha1")
        csr = x509.CertificateSigningRequestBuilder().subject_name(good.cert.subject).sign(good.key, hashes.SHA256())
        request, ca_key = files.certificate.with_suffix(".csr"), self.directory / "ca-sha1.key"
        extensions = files.certificate.with_suffix(".ext")
        request.write_bytes(csr.public_bytes(serialization.Encoding.PEM))
        self.ca.private_key_pem.write_to_path(str(ca_key))
        extensions.write_text("basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n"
                              "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n")
        subprocess.run(
            ["openssl", "x509", "-req", "-in", str(request), "-CA", str(self.ca_path), "-CAkey", str(ca_key),
             "-set_serial", str(x509.random_serial_number()), "-days", "365", "-sha1", "-extfile", str(extensions),
             "-out", str(files.certificate)],
            check=True, capture_output=True, timeout=30, stdin=subprocess.DEVNULL,
        )
        return files

    def client(self, name: str = "regsuite-client") -> CertFiles:
        return self._write(self.client_ca.issue_cert(name), "client")

    def tls_files(self, cert: CertFiles | None = None, *, mtls: bool = False, minimum: str | None = None) -> TLSFiles:
        """The registry's `http.tls` block for `cert` (the good one when None)."""
        cert = cert or self.good()
        return TLSFiles(cert.certificate, cert.key, (self.client_ca_path,) if mtls else (), minimum)
