"""What the suite tests: a registry's address, how to reach it, what it allows."""

from __future__ import annotations

import functools
import ssl
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

AuthMode = Literal["none", "basic", "token", "unknown"]


@functools.cache
def tls_context(ca: Path | None, insecure: bool, client_cert: tuple[Path, Path] | None) -> ssl.SSLContext:
    """A TLS context (cached: contexts are shared safely by clients and threads)."""
    if insecure:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    else:
        ctx = ssl.create_default_context(cafile=str(ca) if ca else None)
    if client_cert:
        ctx.load_cert_chain(str(client_cert[0]), str(client_cert[1]))
    return ctx


@dataclass(frozen=True)
class Capabilities:
    """What the deployment declares (embedded) or what the user told us (external)."""

    delete_enabled: bool | None = None  # None: unknown, probe it
    auth: AuthMode = "unknown"
    tls: bool = False
    referrers: bool | None = None


@dataclass(frozen=True)
class Target:
    url: str  # scheme://host:port, no trailing slash
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca: Path | None = None
    insecure: bool = False
    client_cert: tuple[Path, Path] | None = None  # (certificate, key) for mTLS
    capabilities: Capabilities = field(default_factory=Capabilities)
    description: str = "external registry"

    def __post_init__(self) -> None:
        object.__setattr__(self, "url", self.url.rstrip("/"))

    @property
    def host(self) -> str:
        """host:port as clients name the registry in references."""
        return self.url.split("://", 1)[1]

    @property
    def is_tls(self) -> bool:
        return self.url.startswith("https://")

    def verify(self) -> ssl.SSLContext:
        """What httpx's `verify=` takes for this target: one shared context per trust setting.

        Building a context loads a CA bundle (tens of milliseconds); a run makes dozens of clients.
        """
        return tls_context(self.ca if self.is_tls else None, self.insecure and self.is_tls, self.client_cert)

    def with_credentials(self, username: str | None, password: str | None) -> Target:
        return replace(self, username=username, password=password)

    def public_dict(self) -> dict[str, Any]:
        """The target as reports show it: no password."""
        return {
            "url": self.url,
            "username": self.username,
            "password": "<redacted>" if self.password else None,
            "ca": str(self.ca) if self.ca else None,
            "insecure": self.insecure,
            "client_cert": bool(self.client_cert),
            "description": self.description,
            "capabilities": {
                "delete_enabled": self.capabilities.delete_enabled,
                "auth": self.capabilities.auth,
                "tls": self.capabilities.tls,
                "referrers": self.capabilities.referrers,
            },
        }
