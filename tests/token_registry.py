"""A distribution registry with token auth, served by regsuite's token server (for self-tests)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trustme

from regsuite.fixtures.auth import ISSUER, SERVICE, standard_acl
from regsuite.providers import RegistryConfig, TokenAuth
from regsuite.target import Target
from regsuite.tokenserver import Signer, TokenServer


@dataclass
class TokenRegistry:
    target: Target  # carries the push user's credentials
    server: TokenServer
    issued: list[str]  # every token the server signed, in order


def start_token_registry(
    registry_factory: Callable[..., Target], token_server: Callable[..., TokenServer], directory: Path,
    push: tuple[str, str], pull: tuple[str, str],
) -> TokenRegistry:
    """Start a token server and a registry trusting it; both stop with their fixtures."""
    ca = trustme.CA(organization_name="regsuite self-test token CA")
    bundle = directory / "token-ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    issued: list[str] = []
    signer = Signer.issued_by(ca)
    sign = signer.sign

    def recording_sign(claims: Mapping[str, Any]) -> str:
        token = sign(claims)
        issued.append(token)
        return token

    signer.sign = recording_sign  # type: ignore[method-assign]
    server = token_server(service=SERVICE, issuer=ISSUER, signer=signer, acl=standard_acl(push, pull))
    target = registry_factory(RegistryConfig(auth=TokenAuth(server.realm, SERVICE, ISSUER, bundle)))
    return TokenRegistry(target.with_credentials(*push), server, issued)
