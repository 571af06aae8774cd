"""Area auth: challenges (RFC 7235), the token endpoint, scope enforcement, token verification."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit

import httpx
import jwt
import pytest
import trustme

from regsuite import mediatypes as mt
from regsuite.access import ROUTE, Access, Expected, Route, scope_problem
from regsuite.auth import basic_header
from regsuite.content import Blob, image, random_bytes
from regsuite.fixtures.access import PULL_USER, PUSH_USER, AccessFlow, Judged, conclude
from regsuite.fixtures.auth import AuthFlow, json_object
from regsuite.fixtures.checks import check, unsupported
from regsuite.flows import FlowFailed
from regsuite.optional import Feature, not_offered
from regsuite.tokenserver import Algorithm, Signer, reissue

NO_POST_FORM = (404, 405)  # clients fall back to the GET form on these
RecordProperty = Callable[[str, object], None]  # the record_property fixture


def _refused(response: httpx.Response, what: str) -> None:
    assert response.status_code == 401, (
        f"{what}: {response.request.method} {response.request.url.path} answered {response.status_code}; "
        "the registry must refuse it with 401"
    )


# -- challenges ---------------------------------------------------------------------------


@check("auth.challenge-syntax")
def test_challenge_syntax(auth_flow: AuthFlow, repo: str) -> None:
    auth_flow.scheme()
    for method, path in (("GET", "/v2/"), ("GET", f"/v2/{repo}/tags/list")):
        response = auth_flow.raw.request(method, path)
        assert response.status_code == 401, f"{method} {path} without credentials: {response.status_code}, want 401"
        challenges = auth_flow.challenges(response)
        schemes = [c.scheme for c in challenges]
        assert {"basic", "bearer"} & set(schemes), f"{method} {path}: challenge schemes {schemes}, want Basic or Bearer"


@check("auth.challenge-realm")
def test_challenge_realm(auth_flow: AuthFlow) -> None:
    challenge = auth_flow.bearer()
    realm = challenge.realm or ""
    parts = urlsplit(realm)
    assert parts.scheme in ("http", "https") and parts.netloc, (
        f"the Bearer challenge's realm is {realm!r}; clients need an absolute http(s) URL of the token endpoint"
    )
    assert challenge.service, "the Bearer challenge has no service parameter; clients send it to the token endpoint"


@check("auth.challenge-scope")
def test_challenge_scope(auth_flow: AuthFlow, repo: str) -> None:
    auth_flow.bearer()
    digest = Blob(random_bytes("auth-scope", 16)).digest
    cases = [
        ("GET", f"/v2/{repo}/manifests/latest", ROUTE["manifest-get"]),
        ("POST", f"/v2/{repo}/blobs/uploads/", ROUTE["upload-start"]),
        ("DELETE", f"/v2/{repo}/manifests/{digest}", ROUTE["manifest-delete"]),
        ("GET", "/v2/_catalog", ROUTE["catalog"]),
    ]
    for method, path, route in cases:
        response = auth_flow.raw.request(method, path)
        assert response.status_code == 401, f"{method} {path} without credentials: {response.status_code}, want 401"
        bearer = [c for c in auth_flow.challenges(response) if c.scheme == "bearer"]
        assert bearer, f"{method} {path}: no Bearer challenge in the 401"
        problem = scope_problem(bearer[0].scope, route, Expected("bearer", repo))
        assert problem is None, f"{method} {path} without credentials: {problem}"


@check("auth.unauthorized-body")
def test_unauthorized_body(auth_flow: AuthFlow, repo: str) -> None:
    auth_flow.needs_auth()
    response = auth_flow.raw.request("GET", f"/v2/{repo}/tags/list")
    assert response.status_code == 401, f"GET tags/list without credentials answered {response.status_code}, want 401"
    errors = json_object(response).get("errors") or []
    codes = [e.get("code") for e in errors if isinstance(e, dict)]
    assert "UNAUTHORIZED" in codes, f"the 401 body's error codes are {codes}, the spec wants UNAUTHORIZED"


# -- the token endpoint -------------------------------------------------------------------


@check("auth.token-get")
def test_token_get(auth_flow: AuthFlow, repo: str) -> None:
    challenge = auth_flow.bearer()
    response = auth_flow.get_token(challenge, [f"repository:{repo}:pull,push"], auth_flow.need_push())
    assert response.status_code == 200, f"the token endpoint's GET form answered {response.status_code}, want 200"
    body = json_object(response)
    token, access_token = body.get("token"), body.get("access_token")
    assert token or access_token, "the answer has neither token nor access_token"
    if token and access_token:
        assert token == access_token, "token and access_token differ; the spec wants them equal when both are given"
    issued_at = body.get("issued_at")
    if issued_at is not None:
        try:
            datetime.fromisoformat(str(issued_at).replace("Z", "+00:00"))
        except ValueError:
            raise AssertionError(f"issued_at {issued_at!r} is not an RFC 3339 date-time") from None


@check("auth.token-expires-in")
def test_token_expires_in(auth_flow: AuthFlow, repo: str) -> None:
    challenge = auth_flow.bearer()
    response = auth_flow.get_token(challenge, [f"repository:{repo}:pull"], auth_flow.need_push())
    assert response.status_code == 200, f"the token endpoint answered {response.status_code}, want 200"
    expires_in = json_object(response).get("expires_in", 60)  # absent means 60
    assert isinstance(expires_in, int | float) and expires_in >= 60, (
        f"expires_in is {expires_in!r}; tokens should live at least 60 seconds (older clients assume 60)"
    )


@check("auth.token-post")
def test_token_post(auth_flow: AuthFlow, repo: str) -> None:
    challenge = auth_flow.bearer()
    user, password = auth_flow.need_push()
    response = auth_flow.post_token(challenge, {
        "grant_type": "password", "username": user, "password": password, "scope": f"repository:{repo}:pull",
    })
    if response.status_code in NO_POST_FORM:
        unsupported(f"the token endpoint has no OAuth2 POST form ({response.status_code}); clients fall back to GET")
    assert response.status_code == 200, f"the password grant answered {response.status_code}, want 200"
    access_token = json_object(response).get("access_token")
    assert isinstance(access_token, str) and access_token, (
        "the POST answer has no access_token; OAuth2 clients (containerd) fail without it"
    )


@check("auth.token-refresh")
def test_token_refresh(auth_flow: AuthFlow, repo: str) -> None:
    challenge = auth_flow.bearer()
    scope = f"repository:{repo}:pull"
    response = auth_flow.get_token(challenge, [scope], auth_flow.need_push(), offline=True)
    assert response.status_code == 200, f"GET with offline_token=true answered {response.status_code}, want 200"
    refresh = json_object(response).get("refresh_token")
    if not refresh:
        unsupported("no refresh_token for offline_token=true (refresh tokens are optional)")
    grant = {"grant_type": "refresh_token", "refresh_token": str(refresh), "scope": scope}
    again = auth_flow.post_token(challenge, grant)
    if again.status_code in NO_POST_FORM:
        unsupported(f"a refresh token was given, but the POST form answers {again.status_code}")
    assert again.status_code == 200, f"the refresh_token grant answered {again.status_code}, want 200"
    assert json_object(again).get("access_token"), "the refresh_token grant's answer has no access_token"


@check("auth.token-intersection")
def test_token_intersection(auth_flow: AuthFlow, repo: str) -> None:
    challenge = auth_flow.bearer()
    response = auth_flow.get_token(challenge, [f"repository:{repo}:pull,push"], auth_flow.need_pull())
    assert response.status_code == 200, (
        f"a pull-only user asking for pull,push got {response.status_code}; the spec wants a token carrying the "
        "granted part (pull), not an error"
    )
    token = auth_flow.token(challenge, [f"repository:{repo}:pull,push"], auth_flow.need_pull())
    read = auth_flow.as_bearer("GET", f"/v2/{repo}/tags/list", token)
    auth_flow.skip_if_tokens_refused(read)
    assert read.status_code != 401, "the token for the granted part (pull) does not allow reading the repository"


@check("auth.token-bad-credentials")
def test_token_bad_credentials(auth_flow: AuthFlow, repo: str) -> None:
    challenge = auth_flow.bearer()
    user, password = auth_flow.need_push()
    response = auth_flow.get_token(challenge, [f"repository:{repo}:pull"], (user, password + "-wrong"))
    assert response.status_code == 401, f"a wrong password got {response.status_code} from the token endpoint, want 401"


# -- enforcement --------------------------------------------------------------------------


@check("auth.token-accepted")
def test_token_accepted(auth_flow: AuthFlow, repo: str) -> None:
    challenge = auth_flow.bearer()
    token = auth_flow.token(challenge, [f"repository:{repo}:pull,push"], auth_flow.need_push())
    blob = Blob(random_bytes("auth-accepted", 64))
    bearer = {"Authorization": f"Bearer {token}"}
    response = auth_flow.raw.start_upload(repo, digest=blob.digest, data=blob.data, headers=bearer)
    assert response.status_code in (201, 202), (
        f"a push with a token the realm issued for pull,push answered {response.status_code}"
        + (f" ({response.headers.get('www-authenticate')})" if response.status_code == 401 else "")
        + "; the registry must accept the tokens its token service issues (check iss, aud and the signing chain)"
    )


@check("auth.insufficient-scope")
def test_insufficient_scope(auth_flow: AuthFlow, repo: str) -> None:
    challenge = auth_flow.bearer()
    token = auth_flow.token(challenge, [f"repository:{repo}:pull,push"], auth_flow.need_pull())
    auth_flow.skip_if_tokens_refused(auth_flow.as_bearer("GET", f"/v2/{repo}/tags/list", token))
    response = auth_flow.as_bearer("POST", f"/v2/{repo}/blobs/uploads/", token, headers={"Content-Length": "0"})
    _refused(response, "a pull-only user's token used to push")
    errors = [c.error for c in auth_flow.challenges(response) if c.scheme == "bearer"]
    assert "insufficient_scope" in errors, (
        f"the 401 to a pull-only token pushing carries error={errors}; RFC 6750 wants error=\"insufficient_scope\""
    )


@check("auth.catalog-scope")
def test_catalog_scope(auth_flow: AuthFlow, repo: str) -> None:
    challenge = auth_flow.bearer()
    token = auth_flow.token(challenge, [f"repository:{repo}:pull"], auth_flow.need_push())
    response = auth_flow.as_bearer("GET", "/v2/_catalog", token)
    why = not_offered(Feature.CATALOG, response)  # 401/403 are what is judged here: a token without the scope
    if why:
        unsupported(why)
    _refused(response, "a repository-scoped token listing the catalog")
    scopes = [c.scope for c in auth_flow.challenges(response) if c.scheme == "bearer"] or [None]
    problem = scope_problem(scopes[0], ROUTE["catalog"], Expected("bearer"))
    assert problem is None, f"the catalog's challenge to a repository-scoped token: {problem}"


def _genuine(auth_flow: AuthFlow, repo: str) -> str:
    """A push user's token that the registry accepts (so a refused variant is refused for its one change)."""
    challenge = auth_flow.bearer()
    token = auth_flow.token(challenge, [f"repository:{repo}:pull"], auth_flow.need_push())
    if auth_flow.as_bearer("GET", f"/v2/{repo}/tags/list", token).status_code == 401:
        pytest.skip("the registry refuses even a genuine token (see auth.token-accepted); nothing to compare")
    return token


@check("auth.rejects-forged")
def test_rejects_forged(auth_flow: AuthFlow, repo: str) -> None:
    token = _genuine(auth_flow, repo)
    algorithm: Algorithm = "ES256" if jwt.get_unverified_header(token).get("alg") == "ES256" else "RS256"
    forger = Signer.issued_by(trustme.CA(organization_name="regsuite forger"), algorithm)
    _refused(auth_flow.as_bearer("GET", f"/v2/{repo}/tags/list", reissue(token, forger)),
             "a token with genuine claims signed by an untrusted key")


def _trusted_variant(auth_flow: AuthFlow, repo: str, what: str, **changes: object) -> None:
    signer = auth_flow.need_signer()
    token = _genuine(auth_flow, repo)
    baseline = auth_flow.as_bearer("GET", f"/v2/{repo}/tags/list", reissue(token, signer))
    if baseline.status_code == 401:
        pytest.skip("the registry does not trust the given --token-signing-key; cannot sign test tokens")
    _refused(auth_flow.as_bearer("GET", f"/v2/{repo}/tags/list", reissue(token, signer, **changes)), what)


@check("auth.rejects-expired")
def test_rejects_expired(auth_flow: AuthFlow, repo: str) -> None:
    now = int(time.time())
    # far beyond the 60 s leeway distribution allows for clock skew
    _trusted_variant(auth_flow, repo, "a token that expired 10 minutes ago",
                     exp=now - 600, nbf=now - 1200, iat=now - 1200)


@check("auth.rejects-wrong-audience")
def test_rejects_wrong_audience(auth_flow: AuthFlow, repo: str) -> None:
    _trusted_variant(auth_flow, repo, "a token for another service (aud)", aud="regsuite-some-other-service")


@check("auth.rejects-wrong-issuer")
def test_rejects_wrong_issuer(auth_flow: AuthFlow, repo: str) -> None:
    _trusted_variant(auth_flow, repo, "a token from another issuer (iss)", iss="regsuite-some-other-issuer")


@check("auth.anonymous-pull")
def test_anonymous_pull(auth_flow: AuthFlow, repo: str) -> None:
    declared = auth_flow.deployment.anonymous_pull
    if declared is None:
        pytest.skip("the deployment's anonymous pull policy is unknown: give --registry-anonymous-pull yes|no")
    auth_flow.need_push()
    manifest = image("auth-anonymous", layers=1, layer_size=128)
    try:
        auth_flow.pusher.push_image(repo, manifest, "v1")
    except FlowFailed as failed:
        if failed.response.status_code == 401:
            pytest.skip("the push user cannot push (see auth.token-accepted); no content to pull anonymously")
        raise
    path, accept = f"/v2/{repo}/manifests/v1", {"Accept": mt.ACCEPT_ALL_MANIFESTS}
    response = auth_flow.raw.request("GET", path, headers=accept)
    if response.status_code == 401 and auth_flow.scheme() == "bearer":
        challenge = next(c for c in auth_flow.challenges(response) if c.scheme == "bearer")
        token_response = auth_flow.get_token(challenge, [challenge.scope or f"repository:{repo}:pull"], None)
        if token_response.status_code == 200:
            body = json_object(token_response)
            token = str(body.get("token") or body.get("access_token") or "")
            response = auth_flow.as_bearer("GET", path, token, headers=accept)
    assert response.status_code in (200, 401, 403), (
        f"an anonymous GET of a pushed manifest answered {response.status_code}; want 200 (allowed) or 401/403 (denied)"
    )
    allowed = response.status_code == 200
    assert allowed == declared, (
        f"anonymous pull is declared {'allowed' if declared else 'denied'}, but an anonymous GET of the manifest "
        f"answered {response.status_code}"
    )


@check("auth.basic-over-tls")
def test_basic_over_tls(basic_flow: AuthFlow) -> None:
    scheme = basic_flow.scheme()
    if scheme != "basic":
        pytest.skip(f"{basic_flow.deployment.description} does not use Basic auth (challenge scheme {scheme!r})")
    target = basic_flow.deployment.target
    if target.is_tls:
        return
    user, password = basic_flow.need_push()
    response = basic_flow.raw.request("GET", "/v2/", headers={"Authorization": basic_header(user, password)})
    assert response.status_code != 200, (
        f"{target.url} accepts Basic credentials over plain HTTP: passwords cross the network in clear text; "
        "serve it over TLS (distribution's htpasswd auth must be used with TLS)"
    )



# -- the access matrix: every route x who asks (regsuite.access) ---------------------------


@check("auth.anonymous-access")
def test_anonymous_access(access: AccessFlow, access_route: Route, record_property: RecordProperty) -> None:
    policy = access.policy()
    judged = access.refusals(access_route, [("without credentials", None)], statuses=(401,), challenge=True,
                             unpushed_reads=True)
    conclude(judged, policy, record_property)


@check("auth.wrong-credentials")
def test_wrong_credentials(access: AccessFlow, access_route: Route, record_property: RecordProperty) -> None:
    policy = access.policy()
    judged = access.refusals(access_route, access.wrong_authorizations(), statuses=(401,))
    if access.bearer_challenge() is not None:  # a token registry: the token endpoint must refuse them too
        scope = access.route_scope(access_route)
        for what, user in access.wrong_users():
            answer = access.ask_token(scope, user)
            asked = f"the token endpoint, asked for {scope or 'no scope'} with {what}, answered {answer.status_code}"
            judged.append(Judged(f"{asked}; the token spec wants 401") if answer.status_code != 401
                          else Judged(note=asked))
    conclude(judged, policy, record_property)


@check("auth.pull-only-access")
def test_pull_only_access(access: AccessFlow, access_route: Route, record_property: RecordProperty) -> None:
    policy = access.policy()
    puller = access.need_pull()
    if access_route.access is Access.WRITE:  # Basic: 401 or 403; token: a token without push, then refused
        conclude(access.refusals(access_route, [(PULL_USER, None)], statuses=(401, 403), client=puller),
                 policy, record_property)
        return
    scene = access.scene(access_route)
    try:
        judged = access.judge_allowed(scene, scene.send(puller), PULL_USER)
    finally:
        scene.cleanup()
    conclude([judged], policy, record_property)


@check("auth.push-user-access")
def test_push_user_access(access: AccessFlow, access_route: Route, record_property: RecordProperty) -> None:
    policy = access.policy()
    if access.deployment.push is None:
        pytest.skip("needs push credentials: give --registry-username and REGSUITE_PASSWORD")
    access.stage.prepare()  # the push user's own cells fail when it cannot push (others skip pointing here)
    scene = access.scene(access_route)
    try:
        response = scene.send(access.pusher)
        judged = access.judge_allowed(scene, response, PUSH_USER)
    finally:
        scene.cleanup()
    if access_route.access is Access.CATALOG and response.status_code in (401, 403):
        pytest.skip(f"the push user may not list the catalog here ({response.status_code}): the deployment keeps "
                    "it for others")
    conclude([judged], policy, record_property)


@check("auth.repository-isolation")
def test_repository_isolation(access: AccessFlow, access_route: Route, record_property: RecordProperty) -> None:
    policy = access.policy()
    token = access.other_token()
    who = f"with the push user's token for {access.stage.other}"
    conclude(access.refusals(access_route, [(who, f"Bearer {token}")], statuses=(401, 403)), policy, record_property)
