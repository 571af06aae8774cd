"""Area auth: challenges, the token endpoint, scope enforcement, token verification."""

from . import AUTH_SPEC, SPEC_BASE, Level, area_checks

RFC7235 = "https://www.rfc-editor.org/rfc/rfc7235#section-4.1"
RFC7235_401 = "https://www.rfc-editor.org/rfc/rfc7235#section-3.1"
OAUTH_SPEC = "https://distribution.github.io/distribution/spec/auth/oauth/"
JWT_SPEC = "https://distribution.github.io/distribution/spec/auth/jwt/"
SCOPE_SPEC = "https://distribution.github.io/distribution/spec/auth/scope/"
HTPASSWD_DOC = "https://distribution.github.io/distribution/about/configuration/#htpasswd"


_auth = area_checks("auth", version="docker")


CHECKS = [
    _auth(
        "auth.challenge-syntax",
        "a 401 carries a WWW-Authenticate challenge that parses per RFC 7235",
        "RFC 7235 4.1",
        url=RFC7235,
        version="1.1",
    ),
    _auth(
        "auth.challenge-realm",
        "a Bearer challenge names an absolute realm URL and a service",
        "token: how to authenticate",
        url=AUTH_SPEC,
    ),
    _auth(
        "auth.challenge-scope",
        "the challenge's scope names the request's repository with the action it needs, nothing else (as sets)",
        "token: requesting a token",
        url=SCOPE_SPEC,
    ),
    _auth(
        "auth.unauthorized-body",
        "a 401 body carries the error code UNAUTHORIZED",
        "error codes",
        url=f"{SPEC_BASE}#error-codes",
        version="1.1",
    ),
    _auth(
        "auth.token-get",
        "the token endpoint's GET form answers token/access_token and a valid issued_at",
        "token: response fields",
        url=AUTH_SPEC,
    ),
    _auth(
        "auth.token-expires-in",
        "tokens live at least 60 seconds (expires_in >= 60)",
        "token: expires_in",
        url=AUTH_SPEC,
        level=Level.SHOULD,
    ),
    _auth(
        "auth.token-post",
        "the OAuth2 POST form (password grant) answers access_token and scope",
        "oauth: getting a token",
        url=OAUTH_SPEC,
        level=Level.SHOULD,
    ),
    _auth(
        "auth.token-refresh",
        "a refresh token is given when asked and its grant yields a new token",
        "oauth: refresh token",
        url=OAUTH_SPEC,
        level=Level.MAY,
    ),
    _auth(
        "auth.token-intersection",
        "asking for more access than granted yields a token, not an error",
        "token: requesting a token",
        url=AUTH_SPEC,
    ),
    _auth(
        "auth.token-bad-credentials",
        "the token endpoint answers 401 to wrong credentials",
        "token: requesting a token",
        url=AUTH_SPEC,
    ),
    _auth(
        "auth.token-accepted",
        "a token from the realm opens the repository it was issued for",
        "token: using the token",
        url=AUTH_SPEC,
    ),
    _auth(
        "auth.insufficient-scope",
        'a pull-only token cannot push: 401 with error="insufficient_scope"',
        "RFC 6750 3.1 / token",
        url=AUTH_SPEC,
    ),
    _auth(
        "auth.repository-isolation",
        "a token for another repository is refused on every route of this one, and changes nothing",
        "scope: resource scope",
        url=SCOPE_SPEC,
    ),
    _auth(
        "auth.catalog-scope",
        "the catalog needs registry:catalog:*; a repository token is refused",
        "scope: registry resource",
        url=SCOPE_SPEC,
    ),
    _auth(
        "auth.rejects-forged",
        "a token signed by a key the registry does not trust is refused",
        "jwt: signature",
        url=JWT_SPEC,
    ),
    _auth("auth.rejects-expired", "an expired token is refused", "jwt: exp", url=JWT_SPEC),
    _auth("auth.rejects-wrong-audience", "a token for another service (aud) is refused", "jwt: aud", url=JWT_SPEC),
    _auth("auth.rejects-wrong-issuer", "a token from another issuer (iss) is refused", "jwt: iss", url=JWT_SPEC),
    _auth(
        "auth.anonymous-pull",
        "anonymous pull is allowed or denied as the deployment declares",
        "token: anonymous access",
        url=AUTH_SPEC,
        version="beyond",
    ),
    _auth(
        "auth.basic-over-tls",
        "Basic credentials are not accepted over plain HTTP",
        "htpasswd: use with TLS",
        url=HTPASSWD_DOC,
        level=Level.SHOULD,
        version="beyond",
    ),
    # the access matrix (regsuite/access.py): one verdict per route, a column each
    _auth(
        "auth.anonymous-access",
        "without credentials a route answers as the policy says: where protected, 401 with a challenge for the "
        "registry's scheme (a Bearer scope naming what the route needs) and UNAUTHORIZED; nothing let through, "
        "nothing given away, nothing stored",
        "RFC 7235 3.1 / token: how to authenticate",
        url=RFC7235_401,
        version="1.1",
    ),
    _auth(
        "auth.wrong-credentials",
        "a wrong password, an unknown user, an empty password, a malformed Authorization header and a garbage "
        "Bearer token each get 401 on every route (token registries: the token endpoint refuses them too)",
        "RFC 7235 3.1",
        url=RFC7235_401,
        version="1.1",
    ),
    _auth(
        "auth.pull-only-access",
        "a pull-only user reads, but every write route refuses it (401 or 403) and nothing is stored",
        "scope: actions",
        url=SCOPE_SPEC,
    ),
    _auth(
        "auth.push-user-access",
        "the push user's credentials open every route, and its writes take effect",
        "token: using the token",
        url=AUTH_SPEC,
    ),
]
