"""Area auth: challenges, the token endpoint, scope enforcement, token verification."""

from . import AUTH_SPEC, SPEC_BASE, CheckInfo, Level

RFC7235 = "https://www.rfc-editor.org/rfc/rfc7235#section-4.1"
RFC7235_401 = "https://www.rfc-editor.org/rfc/rfc7235#section-3.1"
OAUTH_SPEC = "https://distribution.github.io/distribution/spec/auth/oauth/"
JWT_SPEC = "https://distribution.github.io/distribution/spec/auth/jwt/"
SCOPE_SPEC = "https://distribution.github.io/distribution/spec/auth/scope/"
HTPASSWD_DOC = "https://distribution.github.io/distribution/about/configuration/#htpasswd"


def _auth(check_id: str, title: str, level: Level, spec: str, url: str, version: str = "docker") -> CheckInfo:
    return CheckInfo(check_id, title, "auth", level, spec, url, version)


CHECKS = [
    _auth(
        "auth.challenge-syntax",
        "a 401 carries a WWW-Authenticate challenge that parses per RFC 7235",
        Level.MUST,
        "RFC 7235 4.1",
        RFC7235,
        "1.1",
    ),
    _auth(
        "auth.challenge-realm",
        "a Bearer challenge names an absolute realm URL and a service",
        Level.MUST,
        "token: how to authenticate",
        AUTH_SPEC,
    ),
    _auth(
        "auth.challenge-scope",
        "the challenge's scope names the request's repository with the action it needs, nothing else (as sets)",
        Level.MUST,
        "token: requesting a token",
        SCOPE_SPEC,
    ),
    _auth(
        "auth.unauthorized-body",
        "a 401 body carries the error code UNAUTHORIZED",
        Level.MUST,
        "error codes",
        f"{SPEC_BASE}#error-codes",
        "1.1",
    ),
    _auth(
        "auth.token-get",
        "the token endpoint's GET form answers token/access_token and a valid issued_at",
        Level.MUST,
        "token: response fields",
        AUTH_SPEC,
    ),
    _auth(
        "auth.token-expires-in",
        "tokens live at least 60 seconds (expires_in >= 60)",
        Level.SHOULD,
        "token: expires_in",
        AUTH_SPEC,
    ),
    _auth(
        "auth.token-post",
        "the OAuth2 POST form (password grant) answers access_token and scope",
        Level.SHOULD,
        "oauth: getting a token",
        OAUTH_SPEC,
    ),
    _auth(
        "auth.token-refresh",
        "a refresh token is given when asked and its grant yields a new token",
        Level.MAY,
        "oauth: refresh token",
        OAUTH_SPEC,
    ),
    _auth(
        "auth.token-intersection",
        "asking for more access than granted yields a token, not an error",
        Level.MUST,
        "token: requesting a token",
        AUTH_SPEC,
    ),
    _auth(
        "auth.token-bad-credentials",
        "the token endpoint answers 401 to wrong credentials",
        Level.MUST,
        "token: requesting a token",
        AUTH_SPEC,
    ),
    _auth(
        "auth.token-accepted",
        "a token from the realm opens the repository it was issued for",
        Level.MUST,
        "token: using the token",
        AUTH_SPEC,
    ),
    _auth(
        "auth.insufficient-scope",
        'a pull-only token cannot push: 401 with error="insufficient_scope"',
        Level.MUST,
        "RFC 6750 3.1 / token",
        AUTH_SPEC,
    ),
    _auth(
        "auth.repository-isolation",
        "a token for another repository is refused on every route of this one, and changes nothing",
        Level.MUST,
        "scope: resource scope",
        SCOPE_SPEC,
    ),
    _auth(
        "auth.catalog-scope",
        "the catalog needs registry:catalog:*; a repository token is refused",
        Level.MUST,
        "scope: registry resource",
        SCOPE_SPEC,
    ),
    _auth(
        "auth.rejects-forged",
        "a token signed by a key the registry does not trust is refused",
        Level.MUST,
        "jwt: signature",
        JWT_SPEC,
    ),
    _auth("auth.rejects-expired", "an expired token is refused", Level.MUST, "jwt: exp", JWT_SPEC),
    _auth(
        "auth.rejects-wrong-audience", "a token for another service (aud) is refused", Level.MUST, "jwt: aud", JWT_SPEC
    ),
    _auth(
        "auth.rejects-wrong-issuer", "a token from another issuer (iss) is refused", Level.MUST, "jwt: iss", JWT_SPEC
    ),
    _auth(
        "auth.anonymous-pull",
        "anonymous pull is allowed or denied as the deployment declares",
        Level.MUST,
        "token: anonymous access",
        AUTH_SPEC,
        "beyond",
    ),
    _auth(
        "auth.basic-over-tls",
        "Basic credentials are not accepted over plain HTTP",
        Level.SHOULD,
        "htpasswd: use with TLS",
        HTPASSWD_DOC,
        "beyond",
    ),
    # the access matrix (regsuite/access.py): one verdict per route, a column each
    _auth(
        "auth.anonymous-access",
        "without credentials a route answers as the policy says: where protected, 401 with a challenge for the "
        "registry's scheme (a Bearer scope naming what the route needs) and UNAUTHORIZED; nothing let through, "
        "nothing given away, nothing stored",
        Level.MUST,
        "RFC 7235 3.1 / token: how to authenticate",
        RFC7235_401,
        "1.1",
    ),
    _auth(
        "auth.wrong-credentials",
        "a wrong password, an unknown user, an empty password, a malformed Authorization header and a garbage "
        "Bearer token each get 401 on every route (token registries: the token endpoint refuses them too)",
        Level.MUST,
        "RFC 7235 3.1",
        RFC7235_401,
        "1.1",
    ),
    _auth(
        "auth.pull-only-access",
        "a pull-only user reads, but every write route refuses it (401 or 403) and nothing is stored",
        Level.MUST,
        "scope: actions",
        SCOPE_SPEC,
    ),
    _auth(
        "auth.push-user-access",
        "the push user's credentials open every route, and its writes take effect",
        Level.MUST,
        "token: using the token",
        AUTH_SPEC,
    ),
]
