"""Answering registry auth challenges inside httpx (Basic and Bearer token)."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Generator

import httpx

from .challenge import ChallengeParseError, merge_scopes, parse_response_challenges, parse_scope
from .protocol import Kind, route
from .redact import register_secret


def basic_header(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def scope_for(request: httpx.Request) -> str | None:
    """The scope a request needs, used as the token cache key before any challenge."""
    found = route(request.url.path)
    if found is not None and found.kind is Kind.CATALOG:
        return "registry:catalog:*"
    if found is None or not found.repository:
        return None
    if request.method in ("GET", "HEAD"):
        actions = "pull"
    elif request.method == "DELETE" and found.kind is not Kind.UPLOAD:
        actions = "delete"
    else:
        actions = "pull,push"
    scope = f"repository:{found.repository}:{actions}"
    source = request.url.params.get("from") if request.url.params.get("mount") else None
    return f"{scope} repository:{source}:pull" if source else scope  # a mount also reads its source


def _covers(scope: str | None, need: str | None) -> bool:
    """Whether a token asked for `scope` is asked for everything `need` names (compared as sets)."""
    if scope is None or need is None:
        return False
    try:
        asked, needed = merge_scopes(parse_scope(scope)), merge_scopes(parse_scope(need))
    except ChallengeParseError:
        return False
    return all(actions <= asked.get(resource, frozenset()) for resource, actions in needed.items())


class TokenError(Exception):
    """The token endpoint refused or answered something unusable."""


class RegistryAuth(httpx.Auth):
    """Sends credentials the way a registry asks for them.

    Basic: after the first Basic challenge, credentials go with every request
    (and after a 401 without any challenge, when Basic credentials then work).
    Bearer: a token per scope string, fetched from the challenge's realm with
    the challenge's scope and cached until it expires.
    """

    requires_response_body = True

    def __init__(self, username: str | None, password: str | None) -> None:
        self.username = username
        self.password = password
        register_secret(password)
        self._lock = threading.Lock()
        self._basic = False
        self._blind_basic_failed = False
        self._tokens: dict[str, tuple[str, float]] = {}  # scope -> (token, expiry)
        self.token_fetches = 0
        self.last_token_response: httpx.Response | None = None

    def _cached(self, scope: str | None) -> str | None:
        if scope is None:
            return None
        with self._lock:
            entry = self._tokens.get(scope)
        if entry and entry[1] > time.monotonic():
            return entry[0]
        return None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if "authorization" in request.headers:
            # The caller chose the credentials (auth checks send their own).
            yield request
            return
        need = scope_for(request)
        token = self._cached(need)
        if token:
            request.headers["Authorization"] = f"Bearer {token}"
        elif self._basic and self.username is not None:
            request.headers["Authorization"] = basic_header(self.username, self.password or "")
        # What this request carried, not what the client knows now: requests sent at once by several threads
        # meet the first challenge together, and each must answer it.
        sent_basic = "authorization" in request.headers and token is None
        response = yield request
        if response.status_code != 401:
            return
        try:
            challenges = parse_response_challenges(response.headers.get_list("www-authenticate"))
        except ChallengeParseError:
            challenges = []
        if not challenges and self.username is not None and token is None and not sent_basic:
            if self._blind_basic_failed:
                return
            # A 401 without a (parseable) challenge: nothing says which scheme; try Basic, as curl -u does.
            request.headers["Authorization"] = basic_header(self.username, self.password or "")
            retried = yield request
            self._basic = retried.status_code != 401
            self._blind_basic_failed = not self._basic  # once is enough to know
            return
        for challenge in challenges:
            if challenge.scheme == "basic" and self.username is not None and not sent_basic:
                self._basic = True
                request.headers["Authorization"] = basic_header(self.username, self.password or "")
                yield request
                return
            if challenge.scheme == "bearer" and challenge.realm:
                if challenge.error == "insufficient_scope" and token is not None and challenge.scope in (None, need):
                    return  # a fresh token for the same scope would not grant more
                scope = challenge.scope or need
                realm = str(request.url.join(challenge.realm))  # a relative realm names a path on the registry
                token_request = self.token_request(realm, challenge.service, scope)
                token_response = yield token_request
                self.token_fetches += 1
                self.last_token_response = token_response
                new = self._store(token_response, scope, need)
                if new is None:
                    return
                request.headers["Authorization"] = f"Bearer {new}"
                yield request
                return

    def token_request(self, realm: str, service: str | None, scope: str | None) -> httpx.Request:
        params: list[tuple[str, str | int | float | bool | None]] = []
        if service:
            params.append(("service", service))
        for s in (scope or "").split():
            params.append(("scope", s))
        headers = {}
        if self.username is not None:
            params.append(("account", self.username))
            headers["Authorization"] = basic_header(self.username, self.password or "")
        return httpx.Request("GET", realm, params=params, headers=headers)

    def _store(self, response: httpx.Response, scope: str | None, need: str | None) -> str | None:
        if response.status_code != 200:
            return None
        try:
            body = response.json()
        except ValueError:
            return None
        token = body.get("token") or body.get("access_token")
        if not isinstance(token, str) or not token:
            return None
        register_secret(token)
        register_secret(body.get("refresh_token"))
        expires_in = body.get("expires_in") or 60
        expiry = time.monotonic() + max(float(expires_in) - 5, 1)
        keys = {scope} | ({need} if _covers(scope, need) else set())  # need: the key the next same request looks up
        with self._lock:
            for key in keys - {None}:
                self._tokens[key] = (token, expiry)  # type: ignore[index]
        return token
