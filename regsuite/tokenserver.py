"""A token server for distribution's token auth, on loopback, able to misbehave on request.

Serves the GET form (`service`, `scope`, `account`, `offline_token`) and the
OAuth2 POST form (`password` and `refresh_token` grants), signs JWTs with
RS256 or ES256 and an `x5c` chain under a trustme CA that the registry trusts
through `auth.token.rootcertbundle`. Access is the intersection of what was
asked and what the ACL grants, never an error. The realm names `localhost`,
because some clients refuse a token realm on a loopback IP literal.
"""

from __future__ import annotations

import base64
import fnmatch
import hmac
import json
import secrets
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import jwt
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .challenge import ChallengeParseError, Scope, parse_scope
from .redact import register_secret
from .serving import serve_in_background, stop_server

Algorithm = Literal["RS256", "ES256"]
ANONYMOUS = ""  # the `sub` of an anonymous token, and the ACL account for anonymous access
MIN_EXPIRES_IN = 60  # the token spec: clients assume 60 when absent, servers never give less


class Misbehaviour(StrEnum):
    """One way a token server can be wrong (for self-tests of the auth checks)."""

    NONE = "none"
    NO_ACCESS_TOKEN = "no-access-token"  # POST answers `token` only; containerd needs `access_token`
    SHORT_EXPIRY = "short-expiry"  # expires_in 10, below the spec's minimum of 60
    WRONG_AUDIENCE = "wrong-audience"
    WRONG_ISSUER = "wrong-issuer"
    UNTRUSTED_KEY = "untrusted-key"  # signed by a key whose chain the registry does not trust


class Signer:
    """A signing key with its certificate chain, as the JWT's `x5c` header carries it."""

    def __init__(self, key_pem: bytes, chain_pems: Iterable[bytes], algorithm: Algorithm) -> None:
        self.algorithm = algorithm
        self.key_pem = key_pem
        self.chain_pems = list(chain_pems)
        self.key = serialization.load_pem_private_key(key_pem, password=None)
        self.x5c = [
            base64.b64encode(x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)).decode()
            for pem in self.chain_pems
        ]

    @classmethod
    def issued_by(cls, ca: trustme.CA, algorithm: Algorithm = "RS256") -> Signer:
        key_type = trustme.KeyType.RSA if algorithm == "RS256" else trustme.KeyType.ECDSA
        leaf = ca.issue_cert("regsuite-token-signer", key_type=key_type)
        return cls(leaf.private_key_pem.bytes(), [b.bytes() for b in leaf.cert_chain_pems], algorithm)

    @classmethod
    def from_files(cls, key: Path, chain: Path) -> Signer:
        """A signer from PEM files (a user's own token service key, for the token-forging checks)."""
        marker = b"-----BEGIN CERTIFICATE-----"
        pems = [marker + part for part in chain.read_bytes().split(marker)[1:]]
        key_pem = key.read_bytes()
        return cls(key_pem, pems, "RS256" if _is_rsa(key_pem) else "ES256")

    def write(self, directory: Path) -> tuple[Path, Path]:
        """The key and its chain as PEM files (what --token-signing-key/--token-signing-cert take)."""
        key, chain = directory / "token-signing.key", directory / "token-signing.pem"
        key.write_bytes(self.key_pem)
        key.chmod(0o600)
        chain.write_bytes(b"".join(self.chain_pems))
        return key, chain

    def sign(self, claims: Mapping[str, Any]) -> str:
        token = jwt.encode(dict(claims), self.key, algorithm=self.algorithm,  # type: ignore[arg-type]
                           headers={"typ": "JWT", "x5c": self.x5c})
        register_secret(token)
        return token


def _is_rsa(key_pem: bytes) -> bool:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return isinstance(serialization.load_pem_private_key(key_pem, password=None), rsa.RSAPrivateKey)


def claims(*, issuer: str, audience: str, subject: str, access: list[dict[str, Any]], lifetime: float,
           now: float | None = None) -> dict[str, Any]:
    """The claims distribution verifies (`iss`, `aud`, `exp`, `nbf`) plus `sub`, `iat`, `jti`, `access`."""
    now = time.time() if now is None else now
    return {
        "iss": issuer, "sub": subject, "aud": audience,
        "exp": int(now + lifetime), "nbf": int(now) - 1, "iat": int(now),
        "jti": secrets.token_hex(12), "access": access,
    }


def unverified_claims(token: str) -> dict[str, Any]:
    """A JWT's claims without checking anything (to copy them into a token that is wrong in one way)."""
    return dict(jwt.decode(token, options={"verify_signature": False}))


def reissue(token: str, signer: Signer, **changes: Any) -> str:
    """`token`'s claims with `changes` applied, signed by `signer`."""
    return signer.sign({**unverified_claims(token), **changes})


def access_claim(scopes: Iterable[Scope]) -> list[dict[str, Any]]:
    return [{"type": s.type, "name": s.name, "actions": sorted(s.actions)} for s in scopes if s.actions]


@dataclass(frozen=True)
class Rule:
    """`account` may use `actions` on resources matching `resource` (a glob over `type:name`)."""

    account: str  # a user name, or ANONYMOUS
    resource: str  # e.g. "repository:*", "repository:team/*", "registry:catalog"
    actions: frozenset[str]


@dataclass
class ACL:
    users: dict[str, str]  # name -> password
    rules: list[Rule] = field(default_factory=list)

    def grant(self, account: str, wanted: Scope) -> Scope:
        """The part of `wanted` that `account` holds (possibly no actions at all)."""
        held: set[str] = set()
        for rule in self.rules:
            if rule.account == account and fnmatch.fnmatchcase(f"{wanted.type}:{wanted.name}", rule.resource):
                held |= rule.actions
        actions = wanted.actions if "*" in held else wanted.actions & held
        return Scope(wanted.type, wanted.name, frozenset(actions))

    def authenticate(self, username: str, password: str) -> bool:
        known = self.users.get(username)
        return known is not None and hmac.compare_digest(known.encode(), password.encode())


class TokenServer:
    """`with TokenServer(...) as server:` serves `server.realm` until the block ends."""

    def __init__(
        self,
        *,
        service: str,
        issuer: str,
        signer: Signer,
        acl: ACL,
        anonymous: bool = False,
        lifetime: int = 300,
        misbehaviour: Misbehaviour = Misbehaviour.NONE,
        untrusted_signer: Signer | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.service = service
        self.issuer = issuer
        self.signer = signer
        self.acl = acl
        self.anonymous = anonymous
        self.lifetime = max(lifetime, MIN_EXPIRES_IN)
        self.misbehaviour = misbehaviour
        if misbehaviour is Misbehaviour.UNTRUSTED_KEY and untrusted_signer is None:
            untrusted_signer = Signer.issued_by(trustme.CA(organization_name="regsuite untrusted"), signer.algorithm)
        self.untrusted_signer = untrusted_signer
        self.host = host
        self.issued = 0  # tokens handed out, for tests
        self._refresh: dict[str, str] = {}  # refresh token -> account
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.realm = ""
        for password in acl.users.values():
            register_secret(password)

    # -- lifecycle ------------------------------------------------------------

    def start(self) -> TokenServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet: requests carry secrets
                pass

            def do_GET(self) -> None:  # noqa: N802
                owner._reply(self, *owner._get(self))

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("content-length") or 0)
                owner._reply(self, *owner._post(self, self.rfile.read(length) if length else b""))

        self._server = serve_in_background(self.host, Handler)
        self.realm = f"http://localhost:{self._server.server_address[1]}/token"
        return self

    def stop(self) -> None:
        stop_server(self._server)
        self._server = None

    def __enter__(self) -> TokenServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the two forms ----------------------------------------------------------

    def _get(self, handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(handler.path)
        if parts.path != "/token":
            return 404, {"error": "not found"}
        query = parse_qs(parts.query)
        account = self._basic_account(handler.headers.get("authorization"))
        if account is None:
            return 401, {"error": "invalid_client", "error_description": "bad credentials"}
        scopes = [s for value in query.get("scope", []) for s in value.split()]
        offline = query.get("offline_token", [""])[0].lower() == "true"
        return self._issue(query.get("service", [""])[0], account, scopes, offline, form="get")

    def _post(self, handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, dict[str, Any]]:
        if urlsplit(handler.path).path != "/token":
            return 404, {"error": "not found"}
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        if not form.get("client_id"):
            return 400, {"error": "invalid_request", "error_description": "client_id is required"}
        grant = form.get("grant_type")
        if grant == "password":
            username, password = form.get("username", ""), form.get("password", "")
            if not self.acl.authenticate(username, password):
                return 401, {"error": "invalid_grant", "error_description": "bad credentials"}
            account = username
        elif grant == "refresh_token":
            with self._lock:
                found = self._refresh.get(form.get("refresh_token", ""))
            if found is None:
                return 401, {"error": "invalid_grant", "error_description": "unknown refresh token"}
            account = found
        else:
            return 400, {"error": "unsupported_grant_type"}
        offline = form.get("access_type") == "offline"
        return self._issue(form.get("service", ""), account, form.get("scope", "").split(), offline, form="post")

    def _basic_account(self, header: str | None) -> str | None:
        """The account named by Basic credentials, ANONYMOUS without any, None when they are wrong."""
        if not header:
            return ANONYMOUS
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            username, _, password = base64.b64decode(value.strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return username if self.acl.authenticate(username, password) else None

    def _issue(self, service: str, account: str, scope_values: list[str], offline: bool,
               form: str) -> tuple[int, dict[str, Any]]:
        if service != self.service:
            return 400, {"error": "invalid_request", "error_description": f"unknown service {service!r}"}
        try:
            wanted = parse_scope(" ".join(scope_values))
        except ChallengeParseError as exc:
            return 400, {"error": "invalid_scope", "error_description": str(exc)}
        if account == ANONYMOUS and not self.anonymous:
            granted: list[Scope] = []
        else:
            granted = [self.acl.grant(account, s) for s in wanted]
        bad = self.misbehaviour
        lifetime = 10 if bad is Misbehaviour.SHORT_EXPIRY else self.lifetime
        signer = self.untrusted_signer if bad is Misbehaviour.UNTRUSTED_KEY and self.untrusted_signer else self.signer
        token = signer.sign(claims(
            issuer=self.issuer + ("-other" if bad is Misbehaviour.WRONG_ISSUER else ""),
            audience=self.service + ("-other" if bad is Misbehaviour.WRONG_AUDIENCE else ""),
            subject=account, access=access_claim(granted), lifetime=lifetime,
        ))
        body: dict[str, Any] = {
            "expires_in": lifetime,
            "issued_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        }
        if form == "post":
            body["access_token"] = token
            body["scope"] = " ".join(str(s) for s in granted if s.actions)
            if bad is Misbehaviour.NO_ACCESS_TOKEN:
                body["token"] = body.pop("access_token")
        else:
            body["token"] = body["access_token"] = token
        if offline and account != ANONYMOUS:
            refresh = secrets.token_urlsafe(24)
            register_secret(refresh)
            with self._lock:
                self._refresh[refresh] = account
            body["refresh_token"] = refresh
        with self._lock:
            self.issued += 1
        return 200, body

    def _reply(self, handler: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.send_header("Cache-Control", "no-store")
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True
