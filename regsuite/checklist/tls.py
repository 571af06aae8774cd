"""Area tls: the handshake, the certificate, protocol versions, plain HTTP, client certificates."""

from . import CheckInfo, Level

RFC5280 = "https://www.rfc-editor.org/rfc/rfc5280#section-6"
RFC6125 = "https://www.rfc-editor.org/rfc/rfc6125#section-6"
RFC8996 = "https://www.rfc-editor.org/rfc/rfc8996"
RFC8446 = "https://www.rfc-editor.org/rfc/rfc8446#section-4.4.2"
DIST_TLS = "https://distribution.github.io/distribution/about/configuration/#tls"


def _tls(check_id: str, title: str, level: Level, spec: str, url: str) -> CheckInfo:
    return CheckInfo(check_id, title, "tls", level, spec, url, "beyond")


CHECKS = [
    _tls(
        "tls.handshake",
        "a verified TLS handshake succeeds with the given CA",
        Level.MUST,
        "RFC 8446 / RFC 5280",
        RFC5280,
    ),
    _tls("tls.chain", "the served chain leads to a trusted CA", Level.MUST, "RFC 5280 6", RFC5280),
    _tls(
        "tls.hostname", "the certificate names the host the registry is reached on", Level.MUST, "RFC 6125 6", RFC6125
    ),
    _tls("tls.validity", "the certificate is within its validity period", Level.MUST, "RFC 5280 4.1.2.5", RFC5280),
    _tls(
        "tls.expiry-margin",
        "the certificate does not expire within the warning threshold",
        Level.SHOULD,
        "operational",
        RFC5280,
    ),
    _tls("tls.legacy-versions-refused", "TLS 1.0 and 1.1 are refused", Level.MUST, "RFC 8996", RFC8996),
    _tls(
        "tls.plain-http-refused",
        "plain HTTP sent to the TLS port is not served",
        Level.SHOULD,
        "distribution http.tls",
        DIST_TLS,
    ),
    _tls(
        "tls.client-certificate",
        "with client CAs configured: no certificate is refused, a good one accepted",
        Level.MUST,
        "RFC 8446 4.4.2",
        RFC8446,
    ),
]
