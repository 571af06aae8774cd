"""The configuration of an embedded distribution registry, as self-tests need it."""

from __future__ import annotations

import secrets
import socket
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from ..target import AuthMode, Capabilities


@dataclass(frozen=True)
class HtpasswdAuth:
    path: Path  # bcrypt htpasswd file
    realm: str = "regsuite"


@dataclass(frozen=True)
class TokenAuth:
    realm: str  # token endpoint URL
    service: str
    issuer: str
    rootcertbundle: Path


@dataclass(frozen=True)
class TLSFiles:
    certificate: Path
    key: Path
    client_cas: tuple[Path, ...] = ()
    minimum: str | None = None  # e.g. "tls1.0"


@dataclass(frozen=True)
class RegistryConfig:
    delete_enabled: bool = True
    auth: HtpasswdAuth | TokenAuth | None = None
    tls: TLSFiles | None = None
    http_secret: str | None = None  # replicas must share one
    storage_dir: Path | None = None  # shared by replicas; a temporary one when None
    host: str = "127.0.0.1"
    port: int | None = None  # a free loopback port when None
    metrics_port: int | None = None  # the debug listener with Prometheus metrics at /metrics on `host`
    extra: dict[str, Any] = field(default_factory=dict)  # deep-merged into the YAML

    @property
    def auth_mode(self) -> AuthMode:
        if isinstance(self.auth, HtpasswdAuth):
            return "basic"
        if isinstance(self.auth, TokenAuth):
            return "token"
        return "none"

    def capabilities(self) -> Capabilities:
        return Capabilities(
            delete_enabled=self.delete_enabled, auth=self.auth_mode, tls=self.tls is not None, referrers=False
        )

    def render(self, port: int, storage: Path) -> dict[str, Any]:
        http: dict[str, Any] = {
            "addr": f"{self.host}:{port}",
            "secret": self.http_secret or secrets.token_hex(16),
            "headers": {"X-Content-Type-Options": ["nosniff"]},
        }
        if self.tls:
            tls: dict[str, Any] = {"certificate": str(self.tls.certificate), "key": str(self.tls.key)}
            if self.tls.client_cas:
                tls["clientcas"] = [str(p) for p in self.tls.client_cas]
            if self.tls.minimum:
                tls["minimumtls"] = self.tls.minimum
            http["tls"] = tls
        if self.metrics_port is not None:
            http["debug"] = {"addr": f"{self.host}:{self.metrics_port}",
                             "prometheus": {"enabled": True, "path": METRICS_PATH}}
        config: dict[str, Any] = {
            "version": 0.1,
            "log": {"level": "info", "accesslog": {"disabled": True}},
            "storage": {
                "filesystem": {"rootdirectory": str(storage)},
                "delete": {"enabled": self.delete_enabled},
                "maintenance": {"uploadpurging": {"enabled": False}},
            },
            "http": http,
        }
        if isinstance(self.auth, HtpasswdAuth):
            config["auth"] = {"htpasswd": {"realm": self.auth.realm, "path": str(self.auth.path)}}
        elif isinstance(self.auth, TokenAuth):
            config["auth"] = {
                "token": {
                    "realm": self.auth.realm,
                    "service": self.auth.service,
                    "issuer": self.auth.issuer,
                    "rootcertbundle": str(self.auth.rootcertbundle),
                }
            }
        return _merge(config, self.extra)

    def files(self) -> list[Path]:
        """Files the registry reads (a container must see them at the same path)."""
        out: list[Path] = []
        if isinstance(self.auth, HtpasswdAuth):
            out.append(self.auth.path)
        elif isinstance(self.auth, TokenAuth):
            out.append(self.auth.rootcertbundle)
        if self.tls:
            out += [self.tls.certificate, self.tls.key, *self.tls.client_cas]
        return out


METRICS_PATH = "/metrics"


def with_metrics(config: RegistryConfig | None = None) -> RegistryConfig:
    """The configuration with its Prometheus endpoint on, on a free port."""
    config = config or RegistryConfig()
    return replace(config, metrics_port=free_port(config.host))


def metrics_url(config: RegistryConfig) -> str | None:
    if config.metrics_port is None:
        return None
    host = f"[{config.host}]" if ":" in config.host else config.host
    return f"http://{host}:{config.metrics_port}{METRICS_PATH}"


def write_config(config: dict[str, Any], path: Path) -> None:
    path.write_text(yaml.safe_dump(config, sort_keys=False))


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def url_for(config: RegistryConfig, port: int) -> str:
    host = f"[{config.host}]" if ":" in config.host else config.host
    return f"{'https' if config.tls else 'http'}://{host}:{port}"


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = _merge(dict(base[key]), value)
        else:
            base[key] = value
    return base
