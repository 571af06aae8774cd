"""The token server: both forms, the ACL intersection, refresh tokens, misbehaviours, a real registry trusting it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import jwt
import pytest
import trustme

from regsuite.auth import basic_header
from regsuite.client import RegistryClient
from regsuite.content import Blob, random_bytes
from regsuite.fixtures.auth import standard_acl
from regsuite.providers import ProcessProvider, RegistryConfig, TokenAuth
from regsuite.target import Target
from regsuite.tokenserver import Misbehaviour, Signer, TokenServer, unverified_claims

PUSH = ("alice", "alice-secret-pw")
PULL = ("bob", "bob-secret-pw")
SERVICE, ISSUER = "selftest-registry", "selftest-issuer"


@pytest.fixture(scope="module")
def token_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def server(token_ca: trustme.CA) -> Iterator[Callable[..., TokenServer]]:
    started: list[TokenServer] = []

    def start(**kwargs: object) -> TokenServer:
        options: dict[str, object] = {
            "service": SERVICE, "issuer": ISSUER, "signer": Signer.issued_by(token_ca), "acl": standard_acl(PUSH, PULL),
            **kwargs,
        }
        s = TokenServer(**options).start()  # type: ignore[arg-type]
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


def _get(server: TokenServer, scopes: list[str], user: tuple[str, str] | None = None, **extra: str) -> httpx.Response:
    params: list[tuple[str, str | int | float | bool | None]] = [
        ("service", SERVICE), *(("scope", s) for s in scopes), *extra.items()
    ]
    headers = {"Authorization": basic_header(*user)} if user else {}
    return httpx.get(server.realm, params=params, headers=headers, timeout=5)


def _post(server: TokenServer, **form: str) -> httpx.Response:
    return httpx.post(server.realm, data={"service": SERVICE, "client_id": "t", **form}, timeout=5)


def _access(token: str) -> list[dict[str, object]]:
    return unverified_claims(token)["access"]  # type: ignore[no-any-return]


def test_get_form_issues_the_intersection(server: Callable[..., TokenServer]) -> None:
    s = server()
    assert s.realm.startswith("http://localhost:")
    body = _get(s, ["repository:a/b:pull,push"], PULL).json()
    assert body["token"] == body["access_token"] and body["expires_in"] >= 60 and body["issued_at"].endswith("Z")
    assert _access(body["token"]) == [{"type": "repository", "name": "a/b", "actions": ["pull"]}]
    claims = unverified_claims(body["token"])
    assert (claims["iss"], claims["aud"], claims["sub"]) == (ISSUER, SERVICE, "bob")
    assert _access(_get(s, ["repository:a/b:pull,push", "registry:catalog:*"], PUSH).json()["token"]) == [
        {"type": "repository", "name": "a/b", "actions": ["pull", "push"]},
        {"type": "registry", "name": "catalog", "actions": ["*"]},
    ]


def test_bad_credentials_and_anonymous(server: Callable[..., TokenServer]) -> None:
    closed, open_ = server(anonymous=False), server(anonymous=True)
    assert _get(closed, ["repository:a/b:pull"], ("alice", "wrong")).status_code == 401
    assert _access(_get(closed, ["repository:a/b:pull"]).json()["token"]) == []
    assert _access(_get(open_, ["repository:a/b:pull"]).json()["token"]) == []  # the ACL grants anonymous nothing
    open_.acl.rules.append(replace(open_.acl.rules[-1], account=""))
    assert _access(_get(open_, ["repository:a/b:pull,push"]).json()["token"])[0]["actions"] == ["pull"]


def test_post_form_and_refresh(server: Callable[..., TokenServer]) -> None:
    s = server()
    first = _post(s, grant_type="password", username=PUSH[0], password=PUSH[1], scope="repository:x:pull",
                  access_type="offline")
    body = first.json()
    assert first.status_code == 200 and body["access_token"] and body["refresh_token"]
    assert body["scope"] == "repository:x:pull"
    again = _post(s, grant_type="refresh_token", refresh_token=body["refresh_token"], scope="repository:x:pull,push")
    assert again.status_code == 200 and _access(again.json()["access_token"])[0]["actions"] == ["pull", "push"]
    assert _post(s, grant_type="refresh_token", refresh_token="nope").status_code == 401
    assert _post(s, grant_type="password", username=PUSH[0], password="wrong").status_code == 401
    assert httpx.post(s.realm, data={"grant_type": "password"}, timeout=5).status_code == 400  # client_id is required
    assert "refresh_token" in _get(s, ["repository:x:pull"], PUSH, offline_token="true", client_id="t").json()


@pytest.mark.parametrize("fault", [m for m in Misbehaviour if m is not Misbehaviour.NONE])
def test_each_misbehaviour_changes_one_thing(server: Callable[..., TokenServer], fault: Misbehaviour) -> None:
    s = server(misbehaviour=fault)
    get = _get(s, ["repository:x:pull"], PUSH).json()
    post = _post(s, grant_type="password", username=PUSH[0], password=PUSH[1], scope="repository:x:pull").json()
    claims = unverified_claims(get["token"])
    assert ("access_token" not in post) == (fault is Misbehaviour.NO_ACCESS_TOKEN)
    assert (get["expires_in"] == 10) == (fault is Misbehaviour.SHORT_EXPIRY)
    assert (claims["aud"] != SERVICE) == (fault is Misbehaviour.WRONG_AUDIENCE)
    assert (claims["iss"] != ISSUER) == (fault is Misbehaviour.WRONG_ISSUER)
    assert (jwt.get_unverified_header(get["token"])["x5c"] != s.signer.x5c) == (fault is Misbehaviour.UNTRUSTED_KEY)


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
def test_a_real_registry_trusts_its_tokens(server: Callable[..., TokenServer], token_ca: trustme.CA,
                                           tmp_path: Path, algorithm: str) -> None:
    s = server(signer=Signer.issued_by(token_ca, algorithm))  # type: ignore[arg-type]
    bundle = tmp_path / "token-ca.pem"
    token_ca.cert_pem.write_to_path(str(bundle))
    with ProcessProvider(RegistryConfig(auth=TokenAuth(s.realm, SERVICE, ISSUER, bundle))) as target:
        blob = Blob(random_bytes("token-server", 100))
        with RegistryClient(replace(target, username=PUSH[0], password=PUSH[1])) as pusher:
            assert pusher.push_blob("t/repo", blob).status_code == 201
            assert pusher.catalog().status_code == 200
        with RegistryClient(Target(target.url, username=PULL[0], password=PULL[1])) as puller:
            assert puller.head_blob("t/repo", blob.digest).status_code == 200
            assert puller.start_upload("t/repo").status_code == 401
