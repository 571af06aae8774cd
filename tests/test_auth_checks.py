"""Self-tests of the auth checks: each one fails against a deployment broken in exactly its way.

Well-configured deployments pass every auth check; each broken one (a
misbehaving token server, a fault proxy that stops verifying tokens or
enforcing scopes, a changed challenge, htpasswd over plain HTTP) fails the
check that guards against it. Every run is also grepped for the passwords and
tokens it used.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import trustme
from support import ConformanceRun, run_conformance

from regsuite.auth import basic_header, scope_for
from regsuite.challenge import merge_scopes, parse_challenges, parse_scope
from regsuite.faultproxy import FaultProxy, Mutation, ProxyRequest, ProxyResponse
from regsuite.fixtures.auth import standard_acl
from regsuite.htpasswd import write_htpasswd
from regsuite.providers import HtpasswdAuth, ProcessProvider, RegistryConfig, TokenAuth
from regsuite.redact import known_secrets
from regsuite.results import Outcome
from regsuite.tls import TLSMaterial
from regsuite.tokenserver import ACL, Misbehaviour, Rule, Signer, TokenServer, access_claim, claims, unverified_claims

SERVICE, ISSUER = "selftest-registry", "selftest-issuer"
PUSH = ("pusher", "push-Secret-6a1f")
PULL = ("puller", "pull-Secret-93c2")
AUTH_CHECKS = ["auth."]


@dataclass
class TokenStack:
    """A plain-HTTP registry with token auth; its realm goes through `token_proxy` to the token server."""

    registry_url: str
    server: TokenServer
    token_proxy: FaultProxy
    signing_files: tuple[Path, Path]


def _stack(tmp: Path, **server_options: object) -> Iterator[TokenStack]:
    token_ca = trustme.CA()
    bundle = tmp / "token-ca.pem"
    token_ca.cert_pem.write_to_path(str(bundle))
    signer = Signer.issued_by(token_ca)
    options: dict[str, object] = {"service": SERVICE, "issuer": ISSUER, "signer": signer,
                                  "acl": standard_acl(PUSH, PULL)}
    with TokenServer(**{**options, **server_options}) as server:  # type: ignore[arg-type]
        with FaultProxy(server.realm.removesuffix("/token")) as token_proxy:
            config = RegistryConfig(auth=TokenAuth(token_proxy.url + "/token", SERVICE, ISSUER, bundle))
            with ProcessProvider(config) as target:
                yield TokenStack(target.url, server, token_proxy, signer.write(tmp))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenStack]:
    yield from _stack(tmp_path_factory.mktemp("token-stack"))


JWT = re.compile(r"eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]+")


def assert_no_secrets(run: ConformanceRun, extra: tuple[str, ...] = ()) -> None:
    """No password or token of this process, nor anything shaped like a JWT, appears in the run's output or files."""
    secrets = {s for s in known_secrets() | set(extra) if len(s) >= 8}
    texts = {"output": run.output}
    texts.update({str(p): p.read_text(errors="replace") for p in run.report_dir.rglob("*") if p.is_file()})
    for where, text in texts.items():
        leaked = [s[:6] + "..." for s in secrets if s in text]
        assert not leaked, f"secrets {leaked} appear in {where}"
        assert not JWT.search(text), f"a token appears in {where}"


def _run(url: str, tmp: Path, stack: TokenStack | None = None, *args: str, checks: list[str] | None = None,
         anonymous: str = "no") -> ConformanceRun:
    cli = ["--registry-username", PUSH[0], "--registry-pull-username", PULL[0], "--registry-anonymous-pull", anonymous]
    if stack is not None:
        cli += ["--token-signing-key", str(stack.signing_files[0]), "--token-signing-cert", str(stack.signing_files[1])]
    run = run_conformance(url, tmp / "report", *cli, *args, checks=checks or AUTH_CHECKS,
                          env={"REGSUITE_PASSWORD": PUSH[1], "REGSUITE_PULL_PASSWORD": PULL[1]})
    assert run.results is not None, f"the conformance run wrote no results; output:\n{run.output[-3000:]}"
    assert_no_secrets(run, (PUSH[1], PULL[1]))
    return run


def _failed(run: ConformanceRun) -> list[str]:
    return run.with_outcome(Outcome.FAILED) + run.with_outcome(Outcome.ERROR)


# -- the parser the checks judge challenges with ------------------------------------------


@pytest.mark.parametrize(("header", "expected"), [
    ('Bearer realm="https://a/token",service="reg",scope="repository:a/b:pull,push"',
     [("bearer", {"realm": "https://a/token", "service": "reg", "scope": "repository:a/b:pull,push"})]),
    ('Basic realm="x, y", BEARER Realm="https://a",service=s',
     [("basic", {"realm": "x, y"}), ("bearer", {"realm": "https://a", "service": "s"})]),
    ('Bearer realm="a\\"b", error=insufficient_scope', [("bearer", {"realm": 'a"b', "error": "insufficient_scope"})]),
    ('Bearer realm="a",, service="b"', [("bearer", {"realm": "a", "service": "b"})]),  # empty list elements
    ("Negotiate abc123==, Basic realm=r", [("negotiate", {}), ("basic", {"realm": "r"})]),
])
def test_challenge_parser(header: str, expected: list[tuple[str, dict[str, str]]]) -> None:
    assert [(c.scheme, c.params) for c in parse_challenges(header)] == expected


def test_scopes_compare_as_sets_and_names_may_hold_a_port() -> None:
    assert merge_scopes(parse_scope("repository:h:5000/a:push,pull registry:catalog:*")) == merge_scopes(
        parse_scope("registry:catalog:* repository(plugin):h:5000/a:pull repository:h:5000/a:push"))


# -- well-configured deployments pass -----------------------------------------------------


def test_embedded_deployments_pass_every_auth_check(tmp_path: Path) -> None:
    run = run_conformance(None, tmp_path, checks=AUTH_CHECKS)
    assert run.results is not None, run.output[-3000:]
    assert_no_secrets(run)
    assert _failed(run) == [] and run.with_outcome(Outcome.SKIPPED) == [], run.output[-3000:]
    assert len(run.with_outcome(Outcome.PASSED)) == 20


def test_a_well_configured_token_registry_passes(stack: TokenStack, tmp_path: Path) -> None:
    run = _run(stack.registry_url, tmp_path, stack)
    assert _failed(run) == [], run.output[-3000:]
    # Basic-only, so skipped here; every other check ran
    assert run.with_outcome(Outcome.SKIPPED) == ["auth.basic-over-tls"], run.output[-3000:]


def test_missing_pull_user_and_signing_key_skip_with_the_reason(stack: TokenStack, tmp_path: Path) -> None:
    run = run_conformance(stack.registry_url, tmp_path, "--registry-username", PUSH[0],
                          checks=["auth.insufficient-scope", "auth.rejects-expired", "auth.anonymous-pull"],
                          env={"REGSUITE_PASSWORD": PUSH[1]})
    assert "--registry-pull-username" in run.record("auth.insufficient-scope").message
    assert "--token-signing-key" in run.record("auth.rejects-expired").message
    assert "--registry-anonymous-pull" in run.record("auth.anonymous-pull").message
    assert_no_secrets(run, (PUSH[1],))


# -- a misbehaving token server (embedded) -------------------------------------------------

TOKEN_FAULTS = {
    Misbehaviour.NO_ACCESS_TOKEN: ["auth.token-post", "auth.token-refresh"],
    Misbehaviour.SHORT_EXPIRY: ["auth.token-expires-in"],
    Misbehaviour.WRONG_AUDIENCE: ["auth.token-accepted"],
    Misbehaviour.WRONG_ISSUER: ["auth.token-accepted"],
    Misbehaviour.UNTRUSTED_KEY: ["auth.token-accepted"],
}


# Each run starts three embedded registries; two modes cover the POST answer and token verification quickly.
FAST_FAULTS = {Misbehaviour.NO_ACCESS_TOKEN, Misbehaviour.WRONG_AUDIENCE}


@pytest.mark.parametrize("fault", [
    pytest.param(f, id=str(f), marks=() if f in FAST_FAULTS else pytest.mark.slow) for f in TOKEN_FAULTS
])
def test_each_token_server_fault_fails_its_check(fault: Misbehaviour, tmp_path: Path) -> None:
    run = run_conformance(None, tmp_path, "--embedded-token-fault", fault.value, checks=AUTH_CHECKS)
    assert run.results is not None, run.output[-3000:]
    assert_no_secrets(run)  # failures print transcripts: token answers and Authorization headers among them
    assert _failed(run) == TOKEN_FAULTS[fault], run.output[-3000:]


# -- a registry that stops verifying tokens or enforcing scopes ------------------------------


def _resign(stack: TokenStack, *, grant_needed: bool) -> Mutation:
    """Replace every bearer token by a fresh, correctly signed one: the registry no longer judges tokens.

    With `grant_needed`, the new token also grants what the request needs (the
    registry no longer enforces scopes); without, it keeps the original access
    (the registry no longer checks signature, expiry, audience or issuer).
    """

    def rewrite(request: ProxyRequest) -> ProxyRequest:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            return request
        original = unverified_claims(header[7:])
        needed = scope_for(httpx.Request(request.method, "http://registry" + request.path))
        access = access_claim(parse_scope(needed)) if grant_needed and needed else original.get("access", [])
        fresh = claims(issuer=ISSUER, audience=SERVICE, subject=original.get("sub", ""), access=access, lifetime=300)
        request.headers["authorization"] = "Bearer " + stack.server.signer.sign(fresh)
        return request

    return Mutation("resign-tokens", request=rewrite)


def test_a_registry_that_does_not_verify_tokens_fails(stack: TokenStack, tmp_path: Path) -> None:
    with FaultProxy(stack.registry_url, [_resign(stack, grant_needed=False)]) as proxy:
        run = _run(proxy.url, tmp_path, stack, checks=["auth.rejects-", "auth.token-accepted"])
    assert _failed(run) == ["auth.rejects-expired", "auth.rejects-forged", "auth.rejects-wrong-audience",
                            "auth.rejects-wrong-issuer"], run.output[-3000:]


def test_a_registry_that_does_not_enforce_scopes_fails(stack: TokenStack, tmp_path: Path) -> None:
    with FaultProxy(stack.registry_url, [_resign(stack, grant_needed=True)]) as proxy:
        run = _run(proxy.url, tmp_path, stack, checks=["auth.insufficient-scope", "auth.repository-isolation",
                                                       "auth.catalog-scope"])
    expected = ["auth.catalog-scope", "auth.insufficient-scope", "auth.repository-isolation"]
    assert _failed(run) == expected, run.output[-3000:]


# -- challenges changed on the way out ------------------------------------------------------


def _on_401(change: Callable[[ProxyResponse], ProxyResponse]) -> Mutation:
    def apply(request: ProxyRequest, response: ProxyResponse) -> ProxyResponse:
        return change(response) if response.status == 401 else response

    return Mutation("change-401", response=apply)


def _challenge(rewrite: Callable[[str], str]) -> Mutation:
    def change(response: ProxyResponse) -> ProxyResponse:
        response.set_header("WWW-Authenticate", rewrite(response.header("WWW-Authenticate") or ""))
        return response

    return _on_401(change)


def _no_challenge(response: ProxyResponse) -> ProxyResponse:
    response.set_header("WWW-Authenticate", None)
    return response


def _denied_body(response: ProxyResponse) -> ProxyResponse:
    response.body = b'{"errors":[{"code":"DENIED","message":"denied"}]}'
    return response


def _relative_realm(stack: TokenStack) -> list[Mutation]:
    """A realm of "/token", served by the proxy itself so that the run still gets in (with an empty-access token)."""
    token = stack.server.signer.sign(claims(issuer=ISSUER, audience=SERVICE, subject=PUSH[0], access=[], lifetime=300))
    return [
        _challenge(lambda v: re.sub(r'realm="[^"]*"', 'realm="/token"', v)),
        Mutation("token-here", path=r"^/token", respond=(200, {"Content-Type": "application/json"},
                                                          json.dumps({"token": token}).encode())),
    ]


CHALLENGE_FAULTS: dict[str, Callable[[TokenStack], list[Mutation]]] = {
    # only on tags/list, so that the run's first contact (GET /v2/) still finds its way in
    "auth.challenge-syntax": lambda _: [Mutation("no-challenge", path="/tags/list",
                                                 response=lambda req, resp: _no_challenge(resp))],
    "auth.challenge-realm": _relative_realm,
    "auth.challenge-scope": lambda _: [_challenge(lambda v: re.sub(r"pull,push|push,pull", "pull", v))],
    "auth.unauthorized-body": lambda _: [_on_401(_denied_body)],
}


@pytest.mark.parametrize("check_id", list(CHALLENGE_FAULTS))
def test_a_changed_challenge_fails_its_check(check_id: str, stack: TokenStack, tmp_path: Path) -> None:
    with FaultProxy(stack.registry_url, CHALLENGE_FAULTS[check_id](stack)) as proxy:
        run = _run(proxy.url, tmp_path, stack, checks=[check_id])
    assert _failed(run) == [check_id], run.output[-3000:]


# -- a token endpoint changed on the way out --------------------------------------------------

TOKEN_ENDPOINT_FAULTS = {
    # token and access_token differ
    "auth.token-get": Mutation("two-tokens", method="GET",
                               json=lambda b: {**b, "access_token": "x" + b.get("token", "")}),
    # a pull-only user asking for push gets an error instead of a pull token
    "auth.token-intersection": Mutation(
        "deny-instead-of-intersect", method="GET", path="push",
        when=lambda r: r.headers.get("authorization") == basic_header(*PULL),
        respond=(403, {"Content-Type": "application/json"}, b'{"error":"forbidden"}'),
    ),
    # wrong credentials treated as the right ones
    "auth.token-bad-credentials": Mutation(
        "accept-wrong-password",
        when=lambda r: r.headers.get("authorization") == basic_header(PUSH[0], PUSH[1] + "-wrong"),
        request_headers={"authorization": basic_header(*PUSH)},
    ),
}


@pytest.mark.parametrize("check_id", list(TOKEN_ENDPOINT_FAULTS))
def test_a_changed_token_endpoint_fails_its_check(check_id: str, stack: TokenStack, tmp_path: Path) -> None:
    stack.token_proxy.mutations = [TOKEN_ENDPOINT_FAULTS[check_id]]
    try:
        run = _run(stack.registry_url, tmp_path, stack, checks=[check_id])
    finally:
        stack.token_proxy.mutations = []
    assert _failed(run) == [check_id], run.output[-3000:]


# -- anonymous access other than declared ---------------------------------------------------


@pytest.mark.parametrize(("anonymous", "declared"), [(True, "no"), pytest.param(False, "yes", marks=pytest.mark.slow)])
def test_anonymous_pull_other_than_declared_fails(anonymous: bool, declared: str, tmp_path: Path) -> None:
    acl: ACL = standard_acl(PUSH, PULL)
    acl.rules.append(Rule("", "repository:*", frozenset({"pull"})))
    for stack in _stack(tmp_path, anonymous=anonymous, acl=acl):
        run = _run(stack.registry_url, tmp_path, stack, checks=["auth.anonymous-pull"], anonymous=declared)
        assert _failed(run) == ["auth.anonymous-pull"], run.output[-3000:]
        run = _run(stack.registry_url, tmp_path / "agree", stack, checks=["auth.anonymous-pull"],
                   anonymous="yes" if anonymous else "no")
        assert run.outcome("auth.anonymous-pull") is Outcome.PASSED, run.output[-3000:]


# -- htpasswd over plain HTTP ---------------------------------------------------------------


@pytest.mark.parametrize("tls", [False, True], ids=["plain-http", "tls"])
def test_basic_auth_over_plain_http_is_flagged(tls: bool, tmp_path: Path) -> None:
    material = TLSMaterial(tmp_path / "pki")
    htpasswd = write_htpasswd(tmp_path / "htpasswd", dict([PUSH]))
    config = RegistryConfig(auth=HtpasswdAuth(htpasswd), tls=material.tls_files() if tls else None)
    with ProcessProvider(config) as target:
        extra = ("--registry-ca", str(material.ca_path)) if tls else ()
        run = _run(target.url, tmp_path, None, *extra, checks=AUTH_CHECKS, anonymous="no")
    expected = [] if tls else ["auth.basic-over-tls"]
    assert _failed(run) == expected, run.output[-3000:]
    assert run.outcome("auth.challenge-syntax") is Outcome.PASSED
    assert run.outcome("auth.anonymous-pull") is Outcome.PASSED
