"""First contact with a target: is it reachable, a registry, and do our credentials work?

Every failure becomes a `TargetError` whose message is one line a person
can act on; the exception chain never reaches the terminal.
"""

from __future__ import annotations

import ssl
from urllib.parse import urlsplit

import httpx

from .challenge import ChallengeParseError, parse_response_challenges
from .client import RegistryClient, request_timeout
from .errors import (
    TargetAuthError,
    TargetError,
    TargetNotRegistry,
    TargetPlainHTTP,
    TargetTLSError,
    TargetUnreachable,
    UsageError,
)
from .pace import Pace
from .retry import RateLimited
from .target import Target
from .transcript import Transcript


def validate_url(url: str) -> str:
    """Check the shape of a registry URL; raise UsageError saying what is wrong."""
    parts = urlsplit(url)
    if "@" in parts.netloc:
        # Checked first, and the URL is not echoed: it holds a password that must reach no log or report.
        raise UsageError(
            "the registry URL carries credentials (user:password@host); give only scheme://host[:port] and pass "
            "them with --registry-username and REGSUITE_PASSWORD"
        )
    if parts.scheme not in ("http", "https"):
        raise UsageError(f"registry URL {url!r} needs http:// or https:// in front (e.g. http://127.0.0.1:5000)")
    if not parts.hostname:
        raise UsageError(f"registry URL {url!r} has no host")
    try:
        _ = parts.port  # urlsplit validates the port only when asked
    except ValueError:
        raise UsageError(f"registry URL {url!r} has an invalid port") from None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise UsageError(
            f"registry URL {url!r} has a path or query; give only scheme://host[:port] (the suite adds /v2/)"
        )
    return url.rstrip("/")


def classify(exc: BaseException, target: Target, timeout: float | None = None) -> TargetError:
    """Turn a transport exception into a one-line diagnosis (`timeout`: the seconds that ran out)."""
    text = f"{exc} {exc.__cause__ or ''} {exc.__context__ or ''}"
    low = text.lower()
    url = target.url
    if isinstance(exc, RateLimited):
        return TargetUnreachable(f"{url} kept refusing the first request for load: {exc}; try again later, or "
                                 "keep the run under the registry's limit with --max-rate")
    if isinstance(exc, httpx.TimeoutException):
        within = f"{timeout:g}s (--request-timeout)" if timeout else "the timeout"
        return TargetUnreachable(f"{url} did not answer within {within}: check the host, the port and any firewall")
    if target.is_tls and ("wrong_version_number" in low or "record layer failure" in low or "http_request" in low
                          or "packet length too long" in low or "unexpected eof" in low and "handshake" not in low):
        return TargetPlainHTTP(f"{url}: the server speaks plain HTTP; use http:// or check the port")
    if "certificate_verify_failed" in low or isinstance(exc, ssl.SSLCertVerificationError):
        if "hostname mismatch" in low or "ip address mismatch" in low or "doesn't match" in low:
            what = "the certificate does not name this host (hostname/IP mismatch); use a name the certificate lists"
        elif "expired" in low:
            what = "the certificate has expired; renew it"
        elif "not yet valid" in low:
            what = "the certificate is not yet valid; check its dates and the clocks"
        elif "self-signed" in low or "unable to get local issuer" in low or "unknown ca" in low:
            what = "the certificate is signed by an unknown authority; pass --registry-ca FILE (or --registry-insecure)"
        else:
            what = "certificate verification failed; pass --registry-ca FILE (or --registry-insecure)"
        return TargetTLSError(f"{url}: {what}")
    if any(s in low for s in ("certificate required", "certificate_required", "alert bad certificate")):
        # The server's alert about *our* certificate: mTLS without one, or one it does not accept.
        if target.client_cert is None:
            what = "the registry requires a client certificate; pass --registry-client-cert and --registry-client-key"
        else:
            what = "the registry refused the client certificate; is it issued by a CA the registry trusts?"
        return TargetTLSError(f"{url}: {what}")
    if "ssl" in low or "tls" in low or "handshake" in low:
        return TargetTLSError(
            f"{url}: TLS handshake failed ({_short(text)}); check the TLS settings and client certificate"
        )
    if any(s in low for s in ("name or service not known", "nodename nor servname", "failure in name resolution")):
        return TargetUnreachable(f"{url}: the host name does not resolve; check the URL")
    if "connection refused" in low or "connect call failed" in low or "errno 111" in low:
        return TargetUnreachable(f"{url}: connection refused; is the registry running and the port right?")
    if "disconnected without sending a response" in low or "connection reset" in low:
        return TargetUnreachable(
            f"{url}: the server closed the connection without answering; check the port and the scheme"
        )
    return TargetUnreachable(f"{url}: cannot connect ({_short(text)})")


def _short(text: str) -> str:
    return " ".join(text.split())[:160]


def _challenges(response: httpx.Response) -> bool:
    """Whether a 401 carries a challenge a client can answer."""
    try:
        return bool(parse_response_challenges(response.headers.get_list("www-authenticate")))
    except ChallengeParseError:
        return False


def probe(target: Target, *, timeout: float = 10.0, transcript: Transcript | None = None,
          pace: Pace | None = None) -> httpx.Response:
    """GET /v2/ with the target's credentials; raise TargetError when unusable.

    `transcript` collects the exchanges (the report of a run whose first contact failed shows them).
    A 401 without a challenge is returned, not raised: the missing challenge is the registry's
    failure to report (auth.challenge-syntax), not a reason to stop. `pace`: the run's (its courtesy rate).
    """
    client = RegistryClient(target, timeout=request_timeout(timeout), transcript=transcript, pace=pace)
    try:
        try:
            response = client.ping()
        except httpx.HTTPError as exc:
            raise classify(exc, target, timeout) from None
        except ssl.SSLError as exc:
            raise classify(exc, target, timeout) from None
        if response.status_code == 401:
            from_registry = response.request.url == httpx.URL(f"{target.url}/v2/")  # not the token endpoint's 401
            if from_registry and not _challenges(response):
                # Not an unusable target but a failed verdict (auth.challenge-syntax): the run goes on as far as
                # the credentials allow (the client tries Basic when no challenge says otherwise).
                return response
            if target.username is None:
                raise TargetAuthError(
                    f"{target.url} requires authentication: give --registry-username and a password "
                    "(REGSUITE_PASSWORD), or docker login"
                )
            raise TargetAuthError(f"{target.url} refused the credentials of user {target.username!r}; check them")
        if response.status_code == 400 and "http request to an https server" in response.text.lower():
            raise TargetTLSError(f"{target.url}: the server speaks HTTPS on this port; use https://")
        if response.status_code != 200:
            raise TargetNotRegistry(
                f"{target.url}/v2/ answered {response.status_code}, not 200: this does not look like a registry "
                "(check the URL and port)"
            )
        return response
    finally:
        client.close()
