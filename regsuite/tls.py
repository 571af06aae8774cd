"""TLS material from trustme: a CA, server certificates good and bad, client certificates for mTLS.

Everything is written under one directory so a registry process (or a
container, at the same path) can read it. The bad certificates are each
wrong in exactly one way, for the self-tests of the TLS checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import trustme

from .providers.config import TLSFiles

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class CertFiles:
    certificate: Path  # leaf then chain, PEM
    key: Path


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

    def client(self, name: str = "regsuite-client") -> CertFiles:
        return self._write(self.client_ca.issue_cert(name), "client")

    def tls_files(self, cert: CertFiles | None = None, *, mtls: bool = False, minimum: str | None = None) -> TLSFiles:
        """The registry's `http.tls` block for `cert` (the good one when None)."""
        cert = cert or self.good()
        return TLSFiles(cert.certificate, cert.key, (self.client_ca_path,) if mtls else (), minimum)
