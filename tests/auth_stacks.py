"""distribution with htpasswd over TLS, and fault proxies that keep it over TLS (for self-tests)."""

from __future__ import annotations

import base64
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from regsuite.auth import basic_header
from regsuite.htpasswd import write_htpasswd
from regsuite.providers import HtpasswdAuth, ProcessProvider, RegistryConfig
from regsuite.testing.faultproxy import FaultProxy, Mutation
from regsuite.tls import TLSMaterial


@dataclass
class BasicStack:
    """distribution with htpasswd over TLS: every user in the file may do everything."""

    registry_url: str
    material: TLSMaterial
    users: dict[str, str]  # name -> password


def start_basic_stack(directory: Path, users: dict[str, str]) -> Iterator[BasicStack]:
    material = TLSMaterial(directory / "pki")
    htpasswd = write_htpasswd(directory / "htpasswd", users)
    with ProcessProvider(RegistryConfig(auth=HtpasswdAuth(htpasswd), tls=material.tls_files())) as target:
        yield BasicStack(target.url, material, dict(users))


def tls_proxy(stack: BasicStack, *mutations: Mutation) -> FaultProxy:
    """A fault proxy that keeps the deployment htpasswd over TLS: it serves HTTPS with a certificate of the same CA."""
    good = stack.material.good()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(str(good.certificate), str(good.key))
    upstream = ssl.create_default_context(cafile=str(stack.material.ca_path))
    return FaultProxy(stack.registry_url, list(mutations), verify=upstream, tls=server)


def basic_user(header: str) -> str | None:
    """The user name of a Basic Authorization header, None for anything else."""
    if not header.lower().startswith("basic "):
        return None
    try:
        return base64.b64decode(header[6:]).decode().partition(":")[0]
    except ValueError:
        return None


def any_password(user: str, password: str) -> Mutation:
    """Any password for `user` works: the proxy swaps in the right one (for a registry or a token endpoint)."""
    return Mutation("any-password", when=lambda r: basic_user(r.headers.get("authorization", "")) == user,
                    request_headers={"authorization": basic_header(user, password)})
