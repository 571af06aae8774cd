"""Access control, route by route: the routes, who may use them, and how a refusal must look.

No I/O. The access matrix is every API route (rows) against who sends the
request (columns): nobody, somebody with wrong credentials, a pull-only user,
the push user, and (token registries) the push user holding a token for
another repository. Each cell is one check verdict; `matrix_of` rebuilds the
table from the verdicts for the reports.

The deployment's policy says which routes an anonymous request may use:
declared (`--registry-anonymous-pull`, `--registry-anonymous-catalog`) or
inferred by `infer_policy`'s rule, which every verdict states.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from .challenge import Challenge, ChallengeParseError, merge_scopes, parse_response_challenges, parse_scope
from .errorcodes import MalformedErrorBody, error_codes
from .judge import answered, sent
from .optional import ROW as OPTIONAL
from .optional import Feature
from .protocol import ROUTE as ROUTE_OF
from .protocol import Endpoint, Kind


class Access(StrEnum):
    """What a route is, for access control."""

    BASE = "base"  # GET /v2/
    CATALOG = "catalog"
    READ = "read"  # tags, manifests, blobs, referrers
    UPLOAD_STATUS = "upload-status"  # GET of an upload session: part of a push, but distribution grants it to pull
    WRITE = "write"  # uploads, mounts, manifest PUT, deletes


@dataclass(frozen=True)
class Route:
    """One row of the matrix: an endpoint of the API (regsuite.protocol), sent the way the cell sends it."""

    id: str
    endpoint: Endpoint
    access: Access
    actions: frozenset[str]  # a token for this route must grant one of these on the repository
    absent: frozenset[int] = frozenset()  # what a registry without this route (or with it switched off) answers
    query: str = ""  # the query the cell sends, as the matrix shows it

    @property
    def method(self) -> str:
        return self.endpoint.method

    @property
    def path(self) -> str:
        """As the matrix shows it: the spec's template and the query the cell sends."""
        return ROUTE_OF[self.endpoint.kind].template + self.query

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


def _route(route_id: str, method: str, kind: Kind, access: Access, *actions: str,
           absent: frozenset[int] = frozenset(), query: str = "") -> Route:
    return Route(route_id, Endpoint(method, kind), access, frozenset(actions), absent, query)


# What a registry without the catalog or referrers API, or with deletes disabled, answers (regsuite.optional)
NO_CATALOG, NO_REFERRERS, DELETES_OFF = (OPTIONAL[f].statuses for f in (Feature.CATALOG, Feature.REFERRERS,
                                                                         Feature.DELETES))


ROUTES: tuple[Route, ...] = (
    _route("base", "GET", Kind.BASE, Access.BASE),
    _route("catalog", "GET", Kind.CATALOG, Access.CATALOG, "*", absent=NO_CATALOG),
    _route("tags-list", "GET", Kind.TAGS, Access.READ, "pull"),
    _route("manifest-get", "GET", Kind.MANIFESTS, Access.READ, "pull"),
    _route("manifest-head", "HEAD", Kind.MANIFESTS, Access.READ, "pull"),
    _route("manifest-put", "PUT", Kind.MANIFESTS, Access.WRITE, "push"),
    _route("manifest-delete", "DELETE", Kind.MANIFESTS, Access.WRITE, "delete", absent=DELETES_OFF),
    _route("blob-get", "GET", Kind.BLOBS, Access.READ, "pull"),
    _route("blob-head", "HEAD", Kind.BLOBS, Access.READ, "pull"),
    _route("blob-delete", "DELETE", Kind.BLOBS, Access.WRITE, "delete", absent=DELETES_OFF),
    _route("upload-start", "POST", Kind.UPLOADS, Access.WRITE, "push", query="?digest=<digest>"),
    _route("upload-patch", "PATCH", Kind.UPLOAD, Access.WRITE, "push"),
    _route("upload-put", "PUT", Kind.UPLOAD, Access.WRITE, "push", query="?digest=<digest>"),
    _route("upload-get", "GET", Kind.UPLOAD, Access.UPLOAD_STATUS, "pull", "push"),
    # no spec line says which action cancelling an upload needs: distribution asks for delete, others for push
    _route("upload-delete", "DELETE", Kind.UPLOAD, Access.WRITE, "delete", "push"),
    _route("mount", "POST", Kind.UPLOADS, Access.WRITE, "push", query="?mount=<digest>&from=<other>"),
    _route("referrers", "GET", Kind.REFERRERS, Access.READ, "pull", absent=NO_REFERRERS),
)
ROUTE = {r.id: r for r in ROUTES}


class Column(StrEnum):
    ANONYMOUS = "anonymous"
    WRONG_CREDENTIALS = "wrong credentials"
    PULL_ONLY = "pull-only user"
    PUSH_USER = "push user"
    OTHER_TOKEN = "token for another repository"


# The check behind each column, and the routes it covers.
COLUMN_CHECKS: dict[str, Column] = {
    "auth.anonymous-access": Column.ANONYMOUS,
    "auth.wrong-credentials": Column.WRONG_CREDENTIALS,
    "auth.pull-only-access": Column.PULL_ONLY,
    "auth.push-user-access": Column.PUSH_USER,
    "auth.repository-isolation": Column.OTHER_TOKEN,
}


def routes_for(check_id: str) -> tuple[Route, ...]:
    column = COLUMN_CHECKS[check_id]
    if column is Column.PULL_ONLY:  # what a pull user may read, and every write; base, catalog and upload status are
        return tuple(r for r in ROUTES if r.access in (Access.READ, Access.WRITE))  # not about pull rights
    if column is Column.OTHER_TOKEN:
        return tuple(r for r in ROUTES if r.access is not Access.BASE)  # GET /v2/ needs no scope at all
    return ROUTES


# -- the policy ---------------------------------------------------------------------------


class Exposure(StrEnum):
    PROTECTED = "protected"  # an anonymous request gets 401 with a challenge
    EITHER = "open or challenged"  # served anonymously, or challenged (a token registry's anonymous token flow)


@dataclass(frozen=True)
class Policy:
    anonymous_pull: bool
    anonymous_catalog: bool | None  # None: as anonymous pull says
    rule: str  # how the policy was decided, said in every verdict

    def exposure(self, route: Route) -> Exposure:
        if route.access is Access.WRITE:
            return Exposure.PROTECTED
        if route.access is Access.CATALOG:
            open_catalog = self.anonymous_pull if self.anonymous_catalog is None else self.anonymous_catalog
            return Exposure.EITHER if open_catalog else Exposure.PROTECTED
        return Exposure.EITHER if self.anonymous_pull else Exposure.PROTECTED


class NoAuthentication(Exception):
    """GET /v2/ serves anonymous requests and no public-pull policy is declared: nothing to judge."""


def infer_policy(anonymous_pull: bool | None, anonymous_catalog: bool | None, base_status: int,
                 source: str = "--registry-anonymous-pull") -> Policy:
    """The policy as declared, else by the rule: when GET /v2/ refuses an anonymous request, every route is protected.

    `base_status`: what GET /v2/ answered without credentials. A registry that
    serves it (200) and declares nothing asks for no authentication at all
    (`NoAuthentication`).
    """
    catalog = "" if anonymous_catalog is None else (
        f"; anonymous catalog declared {'yes' if anonymous_catalog else 'no'} (--registry-anonymous-catalog)")
    if anonymous_pull is not None:
        rule = f"anonymous pull declared {'yes' if anonymous_pull else 'no'} ({source})"
        if anonymous_pull:
            rule += ": reads may be served without credentials, every write needs them"
        else:
            rule += ": every route needs credentials"
        return Policy(anonymous_pull, anonymous_catalog, rule + catalog)
    if 200 <= base_status < 300:
        raise NoAuthentication(
            f"GET /v2/ answered {base_status} without credentials: the registry asks for none; declare "
            "--registry-anonymous-pull yes to judge a registry that serves reads openly but guards writes"
        )
    rule = (f"inferred: GET /v2/ answered {base_status} to an anonymous request, so every route needs credentials "
            "(declare --registry-anonymous-pull yes for a public-pull registry)")
    return Policy(False, anonymous_catalog, rule + catalog)


POLICY_PREFIX = "policy: "


def with_policy(text: str, policy: Policy) -> str:
    """A verdict's message with the policy it was judged against as its last line (the report shows it)."""
    return f"{text}\n{POLICY_PREFIX}{policy.rule}"


def policy_of(message: str) -> str | None:
    for line in reversed(message.splitlines()):
        if line.startswith(POLICY_PREFIX):
            return line[len(POLICY_PREFIX):]
    return None


# -- judging answers ----------------------------------------------------------------------

SERVED = range(200, 400)  # 2xx, and 3xx (a redirect to the content serves it as surely)


@dataclass(frozen=True)
class Expected:
    """What a challenge must say for a route: the scheme, and for Bearer the scope's resources."""

    scheme: str  # "basic" or "bearer": what GET /v2/ asked for; "" when it sent no challenge
    repository: str | None = None  # the route's repository
    source: str | None = None  # a mount's source repository (needs pull)


def token_scope(route: Route, repository: str | None, source: str | None = None) -> str | None:
    """The scope a client asks the token endpoint for, to use `route` (None: GET /v2/ needs none)."""
    if route.access is Access.BASE:
        return None
    if route.access is Access.CATALOG:
        return "registry:catalog:*"
    actions = "pull" if "pull" in route.actions else "delete" if "delete" in route.actions else "pull,push"
    scope = f"repository:{repository}:{actions}"
    return f"{scope} repository:{source}:pull" if source else scope


def scope_problem(scope: str | None, route: Route, expected: Expected) -> str | None:
    """Why a Bearer challenge's scope does not match what `route` needs, or None.

    The scope must name the route's repository with one of the route's actions
    (distribution's rules: GET/HEAD pull, POST/PUT/PATCH push, DELETE delete),
    a mount's source with pull, the catalog as registry:catalog:*; and no
    other resource. Compared as sets: order never matters.
    """
    if route.access is Access.BASE:
        return None  # GET /v2/ needs no particular access
    if not scope:
        return "the challenge has no scope; the client cannot know what access to ask for"
    try:
        granted = merge_scopes(parse_scope(scope))
    except ChallengeParseError as exc:
        return f"scope {scope!r} does not parse: {exc}"
    if route.access is Access.CATALOG:
        wanted = {("registry", "catalog"): route.actions}
    else:
        wanted = {("repository", expected.repository or ""): route.actions}
        if expected.source:
            wanted[("repository", expected.source)] = frozenset({"pull"})
    for resource, actions in wanted.items():
        have = granted.get(resource, frozenset())
        if not have & (actions | {"*"}):
            want = " or ".join(sorted(actions))
            return f"scope {scope!r} does not ask for {want} on {':'.join(resource)}"
    extra = sorted(":".join(r) for r in granted if r not in wanted)
    if extra:
        return f"scope {scope!r} names {', '.join(extra)}, which the request does not touch"
    return None


def challenge_problem(response: httpx.Response, route: Route, expected: Expected) -> str | None:
    """Why a 401's challenge is not a well-formed one for the registry's scheme and this route, or None."""
    values = response.headers.get_list("www-authenticate")
    if not values:
        return "no WWW-Authenticate header (RFC 7235 3.1 wants a challenge on every 401)"
    try:
        challenges = parse_response_challenges(values)
    except ChallengeParseError as exc:
        return f"WWW-Authenticate {values!r} does not parse per RFC 7235: {exc}"
    schemes = [c.scheme for c in challenges]
    if expected.scheme and expected.scheme not in schemes:
        return f"the challenge's schemes are {schemes}, but GET /v2/ asked for {expected.scheme.capitalize()}"
    if not challenges:
        return f"WWW-Authenticate {values!r} holds no challenge"
    chosen = next((c for c in challenges if c.scheme == expected.scheme), challenges[0])
    return _params_problem(chosen, route, expected)


def _params_problem(challenge: Challenge, route: Route, expected: Expected) -> str | None:
    if challenge.scheme == "basic":
        return None if challenge.realm is not None else "the Basic challenge has no realm (RFC 7617 2 requires one)"
    if challenge.scheme == "bearer":
        parts = urlsplit(challenge.realm or "")
        if not (parts.scheme in ("http", "https") and parts.netloc):
            return f"the Bearer challenge's realm {challenge.realm!r} is not an absolute http(s) URL"
        if not challenge.service:
            return "the Bearer challenge has no service"
        return scope_problem(challenge.scope, route, expected)
    return f"the challenge's scheme {challenge.scheme!r} is neither Basic nor Bearer"


_DIGEST = re.compile(r"\b(?:sha256|sha512):[0-9a-f]{64,128}\b")


def leak_problem(response: httpx.Response, markers: Mapping[str, bytes]) -> str | None:
    """What a refused answer gives away: content the request did not name (`markers`: what -> bytes)."""
    named = str(response.request.url).encode()
    leaked = [what for what, marker in markers.items() if marker and marker not in named and marker in response.content]
    digest = response.headers.get("docker-content-digest", "")
    if _DIGEST.search(digest) and digest.encode() not in named:
        leaked.append(f"the digest {digest} (Docker-Content-Digest)")
    return f"the refusal gives away {', '.join(leaked)}" if leaked else None


def refusal_problems(response: httpx.Response, route: Route, expected: Expected,
                     markers: Mapping[str, bytes], *, challenge: bool) -> list[str]:
    """Everything wrong with a 401 meant to refuse: its challenge (when `challenge`), its body's code, leaks."""
    problems = []
    if challenge:
        found = challenge_problem(response, route, expected)
        if found:
            problems.append(found)
        if response.request.method != "HEAD":
            try:
                codes = error_codes(response) or []
            except MalformedErrorBody as exc:
                codes = [str(exc)]
            if "UNAUTHORIZED" not in codes:
                problems.append(f"the body's error codes are {codes}, the spec wants UNAUTHORIZED")
    leak = leak_problem(response, markers)
    if leak:
        problems.append(leak)
    return problems


def sent_and_answered(response: httpx.Response, who: str) -> str:
    """`METHOD /path <who> answered STATUS` for a verdict message."""
    return f"{sent(response)} {who} answered {answered(response)}"


# -- the matrix, rebuilt from verdicts ------------------------------------------------------


class Verdict(Protocol):
    id: str
    message: str


def split_id(check_id: str) -> tuple[Column, str, Route] | None:
    """(column, deployment, route) of a matrix verdict id such as `auth.anonymous-access[htpasswd-blob-get]`."""
    base, _, rest = check_id.partition("[")
    column = COLUMN_CHECKS.get(base)
    if column is None or not rest.endswith("]"):
        return None
    param = rest[:-1]
    for route in sorted(ROUTES, key=lambda r: -len(r.id)):
        if param == route.id:
            return column, "", route
        if param.endswith("-" + route.id):
            return column, param[: -len(route.id) - 1], route
    return None


def matrix_of(verdicts: Iterable[Verdict]) -> dict[str, Any]:
    """The access matrix of a run: per deployment, its policy and a row per route with a verdict id per column.

    Empty when the run has no matrix verdicts. Shape (results.json `access_matrix`): {"columns": [...],
    "deployments": [{"name", "policy", "rows": [{"route", "method", "path", "cells": {column: check id}}]}]}
    """
    cells: dict[str, dict[str, dict[str, str]]] = {}
    policies: dict[str, str] = {}
    for verdict in verdicts:
        found = split_id(verdict.id)
        if found is None:
            continue
        column, deployment, route = found
        cells.setdefault(deployment, {}).setdefault(route.id, {})[column.value] = verdict.id
        policy = policy_of(verdict.message or "")
        if policy and deployment not in policies:
            policies[deployment] = policy
    if not cells:
        return {}
    deployments = []
    for name in sorted(cells):
        rows = [
            {"route": r.id, "method": r.method, "path": r.path, "cells": cells[name][r.id]}
            for r in ROUTES if r.id in cells[name]
        ]
        deployments.append({"name": name, "policy": policies.get(name), "rows": rows})
    return {"columns": [c.value for c in Column], "deployments": deployments}
