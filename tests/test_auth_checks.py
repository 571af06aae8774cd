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
import jwt
import pytest
import trustme

from regsuite import checklist
from regsuite.access import (
    COLUMN_CHECKS,
    ROUTE,
    ROUTES,
    Access,
    Expected,
    Exposure,
    NoAuthentication,
    Route,
    infer_policy,
    matrix_of,
    routes_for,
    scope_problem,
)
from regsuite.auth import basic_header, scope_for
from regsuite.challenge import Scope, merge_scopes, parse_challenges, parse_scope
from regsuite.errors import ExitCode
from regsuite.fixtures.access import INVENTED_PREFIX
from regsuite.fixtures.auth import standard_acl
from regsuite.htpasswd import write_htpasswd
from regsuite.providers import HtpasswdAuth, ProcessProvider, RegistryConfig, TokenAuth
from regsuite.redact import known_secrets
from regsuite.results import Outcome
from regsuite.target import Target
from regsuite.testing.faultproxy import FaultProxy, Mutation, ProxyRequest, ProxyResponse
from regsuite.tls import TLSMaterial
from regsuite.tokenserver import ACL, Misbehaviour, Rule, Signer, TokenServer, access_claim, claims, unverified_claims
from tests.auth_stacks import BasicStack, any_password, start_basic_stack, tls_proxy
from tests.expected_verdicts import SHIPPED, verdict_mismatches
from tests.support import ConformanceRun, run_conformance

SERVICE, ISSUER = "selftest-registry", "selftest-issuer"
PUSH = ("pusher", "push-Secret-6a1f")
PULL = ("puller", "pull-Secret-93c2")
AUTH_CHECKS = ["auth."]
TOKEN_CHECKS = {"auth.challenge-realm", "auth.challenge-scope", "auth.token-get", "auth.token-expires-in",
                "auth.token-post", "auth.token-refresh", "auth.token-intersection", "auth.token-bad-credentials",
                "auth.token-accepted", "auth.insufficient-scope", "auth.catalog-scope", "auth.rejects-forged",
                "auth.rejects-expired", "auth.rejects-wrong-audience", "auth.rejects-wrong-issuer"}
NOT_MATRIX = [c for c in checklist.CHECKLIST if c.startswith("auth.") and c not in COLUMN_CHECKS]
WRITES = [r for r in ROUTES if r.access is Access.WRITE]
NOT_ON_HTPASSWD = {("htpasswd", "auth.pull-only-access"), ("htpasswd", "auth.repository-isolation")}


def _cell(check_id: str, route: Route, deployment: str = "") -> str:
    """A matrix verdict's id: `auth.anonymous-access[blob-get]`, `[htpasswd-blob-get]` on the embedded ones."""
    return f"{check_id}[{deployment}-{route.id}]" if deployment else f"{check_id}[{route.id}]"


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
def basic_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BasicStack]:
    yield from start_basic_stack(tmp_path_factory.mktemp("basic-stack"), dict([PUSH, PULL]))


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
        assert INVENTED_PREFIX not in text, f"a wrong password or token regsuite invented appears in {where}"


def _run(url: str, tmp: Path, stack: TokenStack | None = None, *args: str, checks: list[str] | None = None,
         anonymous: str = "no", pull: bool = True) -> ConformanceRun:
    cli = ["--registry-username", PUSH[0], "--registry-anonymous-pull", anonymous]
    cli += ["--registry-pull-username", PULL[0]] if pull else []
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


@pytest.mark.parametrize(("route", "scope", "problem"), [
    ("upload-start", "repository:ns/a:push,pull", None),  # distribution's order varies: sets
    ("upload-start", "repository:ns/a:pull", "does not ask for push on repository:ns/a"),
    ("upload-delete", "repository:ns/a:delete", None),  # distribution asks for delete, others for push
    ("upload-delete", "repository:ns/a:pull,push", None),
    ("catalog", "registry:catalog:*", None),
    ("catalog", "registry:catalog:pull", "does not ask for * on registry:catalog"),
    ("mount", "repository:ns/a:pull,push repository:ns/s:pull", None),
    ("mount", "repository:ns/a:pull,push", "does not ask for pull on repository:ns/s"),
    ("tags-list", "repository:ns/a:pull repository:ns/b:pull", "names repository:ns/b"),
    ("tags-list", None, "has no scope"),
    ("base", None, None),  # GET /v2/ needs no scope
])
def test_a_challenge_scope_names_what_the_route_needs(route: str, scope: str | None, problem: str | None) -> None:
    found = scope_problem(scope, ROUTE[route], Expected("bearer", "ns/a", "ns/s" if route == "mount" else None))
    assert (found is None) if problem is None else (found is not None and problem in found), found


def test_the_policy_is_declared_or_inferred_by_the_stated_rule() -> None:
    assert infer_policy(None, None, 401).exposure(ROUTE["blob-get"]) is Exposure.PROTECTED
    assert "inferred: GET /v2/ answered 401" in infer_policy(None, None, 401).rule
    public = infer_policy(True, None, 200)
    assert public.exposure(ROUTE["blob-get"]) is Exposure.EITHER
    assert public.exposure(ROUTE["mount"]) is Exposure.PROTECTED
    assert infer_policy(True, False, 401).exposure(ROUTE["catalog"]) is Exposure.PROTECTED
    assert infer_policy(False, True, 401).exposure(ROUTE["catalog"]) is Exposure.EITHER
    with pytest.raises(NoAuthentication, match="asks for none"):
        infer_policy(None, None, 200)


def test_the_matrix_is_rebuilt_from_verdict_ids() -> None:
    @dataclass
    class Verdict:
        id: str
        message: str = ""

    verdicts = [Verdict("auth.anonymous-access[htpasswd-upload-get]", "x\npolicy: the rule"),
                Verdict("auth.push-user-access[htpasswd-upload-get]"), Verdict("auth.anonymous-access[blob-get]"),
                Verdict("auth.challenge-syntax"), Verdict("push.blob-post-put[sha512]")]
    matrix = matrix_of(verdicts)
    first, second = matrix["deployments"]
    assert (first["name"], first["policy"]) == ("", None) and second["policy"] == "the rule"
    assert second["rows"] == [{"route": "upload-get", "method": "GET", "path": "/v2/<name>/blobs/uploads/<id>",
                               "cells": {"anonymous": verdicts[0].id, "push user": verdicts[1].id}}]
    assert matrix_of(verdicts[3:]) == {}


# -- well-configured deployments pass -----------------------------------------------------


def test_embedded_deployments_pass_every_auth_check(tmp_path: Path) -> None:
    run = run_conformance(None, tmp_path, checks=AUTH_CHECKS)
    assert run.results is not None, run.output[-3000:]
    assert_no_secrets(run)
    assert _failed(run) == [], run.output[-3000:]
    # htpasswd has no pull-only user and no tokens; distribution 2.8 has no referrers API
    skipped = {r.id: r.message for r in run.results.checks if r.outcome is Outcome.SKIPPED}
    assert set(skipped) == {_cell(check_id, r, name)
                            for name, check_id in NOT_ON_HTPASSWD for r in routes_for(check_id)}
    assert all("grants every user every action" in m or "about tokens" in m for m in skipped.values())
    assert run.with_outcome(Outcome.UNSUPPORTED) == sorted(
        _cell(check_id, ROUTE["referrers"], name) for check_id in COLUMN_CHECKS for name in ("htpasswd", "token")
        if ROUTE["referrers"] in routes_for(check_id) and (name, check_id) not in NOT_ON_HTPASSWD)
    assert run.outcome("auth.pull-only-access[token-manifest-put]") is Outcome.PASSED
    matrix = json.loads((tmp_path / "conformance" / "results.json").read_text())["access_matrix"]
    assert [d["name"] for d in matrix["deployments"]] == ["htpasswd", "token"]
    assert all("declared no" in d["policy"] for d in matrix["deployments"])


def test_a_well_configured_token_registry_passes(stack: TokenStack, tmp_path: Path) -> None:
    run = _run(stack.registry_url, tmp_path, stack)
    assert _failed(run) == [], run.output[-3000:]
    # Basic-only, so skipped here; every other check ran (the referrers route: unsupported by distribution 2.8)
    assert run.with_outcome(Outcome.SKIPPED) == ["auth.basic-over-tls"], run.output[-3000:]
    assert all("referrers" in check_id for check_id in run.with_outcome(Outcome.UNSUPPORTED))


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
    run = run_conformance(None, tmp_path, "--embedded-token-fault", fault.value, checks=NOT_MATRIX)
    assert run.results is not None, run.output[-3000:]
    assert_no_secrets(run)  # failures print transcripts: token answers and Authorization headers among them
    assert _failed(run) == TOKEN_FAULTS[fault], run.output[-3000:]


# -- a registry that stops verifying tokens or enforcing scopes ------------------------------


def _needed(request: ProxyRequest) -> list[dict[str, object]]:
    """An access claim granting every action on what the request touches (a registry that stopped checking scopes)."""
    needed = scope_for(httpx.Request(request.method, "http://registry" + request.path))
    scopes = parse_scope(needed or "")
    return access_claim([Scope(s.type, s.name, s.actions | {"delete"}) if s.type == "repository" else s
                         for s in scopes])


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
        try:
            original = unverified_claims(header[7:])
        except jwt.PyJWTError:
            return request  # not a token the registry would accept anyway
        access = _needed(request) if grant_needed else original.get("access", [])
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
                                                       "auth.catalog-scope", "auth.pull-only-access"])
    # every write a pull-only token makes, and every route another repository's token reaches, goes through
    expected = ["auth.catalog-scope", "auth.insufficient-scope"]
    expected += [_cell("auth.pull-only-access", r) for r in WRITES]
    expected += [_cell("auth.repository-isolation", r) for r in routes_for("auth.repository-isolation")
                 if r.id != "referrers"]
    assert _failed(run) == sorted(expected), run.output[-3000:]


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
        run = _run(target.url, tmp_path, None, *extra, checks=AUTH_CHECKS, anonymous="no", pull=False)
    expected = [] if tls else ["auth.basic-over-tls"]
    assert _failed(run) == expected, run.output[-3000:]
    assert run.outcome("auth.challenge-syntax") is Outcome.PASSED
    assert run.outcome("auth.anonymous-pull") is Outcome.PASSED


# -- the access matrix: one hole at a time -------------------------------------------------


def _basic_run(url: str, stack: BasicStack, tmp: Path, *args: str, checks: list[str], pull: bool = False,
               anonymous: str = "no") -> ConformanceRun:
    return _run(url, tmp, None, "--registry-ca", str(stack.material.ca_path), *args, checks=checks,
                anonymous=anonymous, pull=pull)


def _anonymous(request: ProxyRequest) -> bool:
    return "authorization" not in request.headers


def _let_in(authorization: Callable[[ProxyRequest], str], when: Callable[[ProxyRequest], bool]) -> Mutation:
    """Anonymous requests that `when` picks are sent upstream with credentials: the registry serves them."""

    def add(request: ProxyRequest) -> ProxyRequest:
        request.headers["authorization"] = authorization(request)
        return request

    return Mutation("let-anonymous-in", when=lambda r: _anonymous(r) and when(r), request=add)


def _blob_read(r: ProxyRequest) -> bool:
    return r.method in ("GET", "HEAD") and "/blobs/sha256:" in r.path


def _upload_or_manifest_put(r: ProxyRequest) -> bool:
    return (r.method in ("POST", "PATCH", "PUT") and "/blobs/uploads/" in r.path
            or r.method == "PUT" and "/manifests/" in r.path)


def _catalog(r: ProxyRequest) -> bool:
    return r.path.startswith("/v2/_catalog")


def _dropped_challenge() -> Mutation:
    return _on_401(_no_challenge)


MATRIX_HOLE_CHECKS = ["auth.anonymous-access", "auth.wrong-credentials", "auth.challenge-syntax"]
CHALLENGED = [r for r in ROUTES if r.id != "referrers"]  # distribution 2.8 has no referrers API: 404, unsupported
HOLES: dict[str, tuple[Callable[[Callable[[ProxyRequest], str]], list[Mutation]], list[str]]] = {
    # hole: (mutations given how to let a request in, the checks it fails)
    "anonymous-blob-reads": (lambda let: [_let_in(let, _blob_read)],
                             [_cell("auth.anonymous-access", ROUTE[r]) for r in ("blob-get", "blob-head")]),
    "anonymous-uploads-and-manifest-puts": (
        lambda let: [_let_in(let, _upload_or_manifest_put)],
        [_cell("auth.anonymous-access", ROUTE[r])
         for r in ("upload-start", "upload-patch", "upload-put", "mount", "manifest-put")]),
    "anonymous-catalog": (lambda let: [_let_in(let, _catalog)], [_cell("auth.anonymous-access", ROUTE["catalog"])]),
    "challenge-dropped": (lambda let: [_dropped_challenge()],
                          ["auth.challenge-syntax", *(_cell("auth.anonymous-access", r) for r in CHALLENGED)]),
}


def test_htpasswd_over_tls_by_url_runs_the_matrix_with_one_push_user(basic_stack: BasicStack, tmp_path: Path) -> None:
    run = _basic_run(basic_stack.registry_url, basic_stack, tmp_path, checks=AUTH_CHECKS, anonymous="unknown")
    assert verdict_mismatches(run, ("auth",)) == [], run.output[-3000:]  # distribution 2.8.2's, from the file
    assert run.results is not None
    for record in run.results.checks:
        if "does not use token auth" in record.message:  # only checks about tokens may say so
            assert record.id in TOKEN_CHECKS or record.id.startswith("auth.repository-isolation["), record.id
    for check_id in ("auth.anonymous-access", "auth.wrong-credentials", "auth.push-user-access"):
        for route in routes_for(check_id):  # every cell ran: a verdict, not a skip
            assert run.outcome(_cell(check_id, route)) is not Outcome.SKIPPED, run.record(_cell(check_id, route))
    assert "--registry-pull-username" in run.record("auth.pull-only-access[manifest-put]").message
    policy = json.loads((run.report_dir / "conformance" / "results.json").read_text())["access_matrix"]
    assert "inferred: GET /v2/ answered 401" in policy["deployments"][0]["policy"]
    page = (run.report_dir / "conformance" / "report.html").read_text()
    assert "Access control matrix" in page and "inferred: GET /v2/ answered 401" in page


def test_htpasswd_cannot_hold_a_pull_only_user_as_the_shipped_expectations_say(
    basic_stack: BasicStack, tmp_path: Path
) -> None:
    """A second htpasswd user given as pull-only can write: the pull-only write cells fail, as expected for 2.8."""
    run = _basic_run(basic_stack.registry_url, basic_stack, tmp_path, "--expectations", str(SHIPPED),
                     checks=["auth.pull-only-access"], pull=True)
    assert verdict_mismatches(run, ("auth",)) == [], run.output[-3000:]  # distribution 2.8.2's, from the file
    assert _failed(run) == sorted(_cell("auth.pull-only-access", r) for r in WRITES), run.output[-3000:]
    assert run.returncode == 0 and run.results is not None and run.results.expectations is not None
    assert sorted(run.results.expectations["expected"]) == _failed(run)
    assert "the push user looked afterwards" not in run.output  # refused writes are not the failure: accepted ones are


def test_the_clean_htpasswd_deployment_behind_the_proxy_passes(basic_stack: BasicStack, tmp_path: Path) -> None:
    with tls_proxy(basic_stack) as proxy:
        run = _basic_run(proxy.url, basic_stack, tmp_path, checks=MATRIX_HOLE_CHECKS + ["auth.basic-over-tls"])
    assert _failed(run) == [], run.output[-3000:]
    assert run.outcome("auth.basic-over-tls") is Outcome.PASSED


@pytest.mark.parametrize("hole", [*HOLES, "any-password"])
def test_each_hole_in_an_htpasswd_deployment_fails_its_check(hole: str, basic_stack: BasicStack,
                                                            tmp_path: Path) -> None:
    if hole == "any-password":
        mutations = [any_password(*PUSH)]
        expected = [_cell("auth.wrong-credentials", r) for r in CHALLENGED]
    else:
        make, expected = HOLES[hole]
        mutations = make(lambda _: basic_header(*PUSH))
    with tls_proxy(basic_stack, *mutations) as proxy:
        run = _basic_run(proxy.url, basic_stack, tmp_path, checks=MATRIX_HOLE_CHECKS)
    assert _failed(run) == sorted(expected), run.output[-3000:]


def _grant(stack: TokenStack) -> Callable[[ProxyRequest], str]:
    """A Bearer header the registry trusts, granting what the request needs (a token the proxy signs)."""

    def header(request: ProxyRequest) -> str:
        fresh = claims(issuer=ISSUER, audience=SERVICE, subject=PUSH[0], access=_needed(request), lifetime=300)
        return "Bearer " + stack.server.signer.sign(fresh)

    return header


@pytest.mark.parametrize("hole", [*HOLES, "any-password"])
def test_each_hole_in_a_token_deployment_fails_its_check(hole: str, stack: TokenStack, tmp_path: Path) -> None:
    if hole == "any-password":  # the token endpoint takes any password for the push user
        stack.token_proxy.mutations = [any_password(*PUSH)]
        try:
            run = _run(stack.registry_url, tmp_path, stack, checks=MATRIX_HOLE_CHECKS + ["auth.token-bad-credentials"])
        finally:
            stack.token_proxy.mutations = []
        expected = ["auth.token-bad-credentials", *(_cell("auth.wrong-credentials", r) for r in ROUTES)]
        assert _failed(run) == sorted(expected), run.output[-3000:]
        return
    make, expected = HOLES[hole]
    with FaultProxy(stack.registry_url, make(_grant(stack))) as proxy:
        run = _run(proxy.url, tmp_path, stack, checks=MATRIX_HOLE_CHECKS)
    if hole == "challenge-dropped":
        # Without a challenge nobody gets a token, so nothing can be pushed: the reads still show how they refuse,
        # the cells that need pushed content are skipped pointing at the push user's failures.
        expected = ["auth.challenge-syntax", *(_cell("auth.anonymous-access", r) for r in CHALLENGED
                                               if r.access in (Access.BASE, Access.CATALOG, Access.READ))]
        assert all("see auth.push-user-access" in run.record(c).message for c in run.with_outcome(Outcome.SKIPPED))
    assert _failed(run) == sorted(expected), run.output[-3000:]


def test_a_401_without_a_challenge_is_a_verdict_not_the_end_of_the_run(basic_stack: BasicStack,
                                                                       tmp_path: Path) -> None:
    """No credentials and no challenge: first contact goes on, and the report says what is wrong."""
    with tls_proxy(basic_stack, _dropped_challenge()) as proxy:
        run = run_conformance(proxy.url, tmp_path, "--registry-ca", str(basic_stack.material.ca_path),
                              checks=["auth.challenge-syntax", "ping."])
    assert run.returncode == ExitCode.CHECKS_FAILED, run.output[-3000:]
    assert "without a WWW-Authenticate header" in run.record("auth.challenge-syntax").message
    assert (run.report_dir / "conformance" / "report.html").is_file()


def test_a_registry_refusing_the_push_users_tokens_fails_push_user_access(tmp_path: Path) -> None:
    """Embedded token registry whose tokens all name another audience: the push user gets nowhere."""
    run = run_conformance(None, tmp_path, "--embedded-token-fault", Misbehaviour.WRONG_AUDIENCE.value,
                          checks=["auth.push-user-access", "auth.anonymous-access"])
    assert run.results is not None, run.output[-3000:]
    expected = [_cell("auth.push-user-access", r, "token") for r in ROUTES]  # it cannot even push the content
    assert _failed(run) == sorted(expected), run.output[-3000:]
    # nothing pushed, so the anonymous write cells point at the push user's failures; the reads are still judged
    for route in ROUTES:
        cell = run.record(_cell("auth.anonymous-access", route, "token"))
        if route.access in (Access.WRITE, Access.UPLOAD_STATUS):
            assert cell.outcome is Outcome.SKIPPED and "see auth.push-user-access" in cell.message, cell.message
        elif route.id != "referrers":
            assert cell.outcome is Outcome.PASSED, cell.message


def test_holes_the_declared_policy_opens_are_not_holes(basic_stack: BasicStack, tmp_path: Path) -> None:
    """Anonymous blob reads and catalog served, with public pull and a public catalog declared: nothing fails."""
    public = _let_in(lambda _: basic_header(*PUSH), lambda r: _blob_read(r) or _catalog(r))
    with tls_proxy(basic_stack, public) as proxy:
        run = _basic_run(proxy.url, basic_stack, tmp_path, "--registry-anonymous-catalog", "yes",
                         checks=["auth.anonymous-access", "auth.wrong-credentials"], anonymous="yes")
    assert _failed(run) == [], run.output[-3000:]
    for route in ("blob-get", "blob-head", "catalog"):
        assert "served, as the policy allows" in run.record(_cell("auth.anonymous-access", ROUTE[route])).message
    assert "anonymous pull declared yes" in run.record(_cell("auth.anonymous-access", ROUTE["base"])).message


def test_the_matrix_skips_a_registry_that_asks_for_no_credentials(shared_distribution: Target,
                                                                   tmp_path: Path) -> None:
    run = run_conformance(shared_distribution.url, tmp_path,
                          checks=["auth.anonymous-access[base]", "auth.push-user-access"])
    assert run.results is not None and run.with_outcome(Outcome.SKIPPED) == sorted(
        [_cell("auth.anonymous-access", ROUTE["base"])]
        + [_cell("auth.push-user-access", r) for r in routes_for("auth.push-user-access")]), run.output[-3000:]
    assert "the registry asks for none" in run.record(_cell("auth.anonymous-access", ROUTE["base"])).message


def test_a_refusal_that_gives_content_away_fails(basic_stack: BasicStack, tmp_path: Path) -> None:
    """401 with a proper challenge, but the blob's bytes in the body and the manifest's digest in a header."""
    def refused_after_all(request: ProxyRequest, response: ProxyResponse) -> ProxyResponse:
        response.status = 401
        response.set_header("WWW-Authenticate", 'Basic realm="regsuite"')
        return response

    leaky = _let_in(lambda _: basic_header(*PUSH),
                    lambda r: r.method == "GET" and "/blobs/sha256:" in r.path
                    or r.method == "HEAD" and "/manifests/access-" in r.path)
    leaky.response = refused_after_all
    with tls_proxy(basic_stack, leaky) as proxy:
        run = _basic_run(proxy.url, basic_stack, tmp_path, checks=["auth.anonymous-access"])
    blob, head = (run.record(_cell("auth.anonymous-access", ROUTE[r])) for r in ("blob-get", "manifest-head"))
    assert _failed(run) == sorted([blob.id, head.id]), run.output[-3000:]
    assert "gives away the layer's bytes" in blob.message, blob.message
    assert "gives away the digest sha256:" in head.message and "(Docker-Content-Digest)" in head.message, head.message
