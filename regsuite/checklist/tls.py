"""Area tls: the handshake, the certificate, protocol versions, plain HTTP, client certificates."""

from . import Level, area_checks

RFC5280 = "https://www.rfc-editor.org/rfc/rfc5280#section-6"
RFC6125 = "https://www.rfc-editor.org/rfc/rfc6125#section-6"
RFC8996 = "https://www.rfc-editor.org/rfc/rfc8996"
RFC8446 = "https://www.rfc-editor.org/rfc/rfc8446#section-4.4.2"
DIST_TLS = "https://distribution.github.io/distribution/about/configuration/#tls"


_tls = area_checks("tls", version="beyond")


CHECKS = [
    _tls("tls.handshake", "a verified TLS handshake succeeds with the given CA", "RFC 8446 / RFC 5280", url=RFC5280),
    _tls("tls.chain", "the served chain leads to a trusted CA", "RFC 5280 6", url=RFC5280),
    _tls("tls.hostname", "the certificate names the host the registry is reached on", "RFC 6125 6", url=RFC6125),
    _tls("tls.validity", "the certificate is within its validity period", "RFC 5280 4.1.2.5", url=RFC5280),
    _tls(
        "tls.expiry-margin",
        "the certificate does not expire within the warning threshold",
        "operational",
        url=RFC5280,
        level=Level.SHOULD,
    ),
    _tls("tls.legacy-versions-refused", "TLS 1.0 and 1.1 are refused", "RFC 8996", url=RFC8996),
    _tls(
        "tls.plain-http-refused",
        "plain HTTP sent to the TLS port is not served",
        "distribution http.tls",
        url=DIST_TLS,
        level=Level.SHOULD,
    ),
    _tls(
        "tls.client-certificate",
        "with client CAs configured: no certificate is refused, a good one accepted",
        "RFC 8446 4.4.2",
        url=RFC8446,
    ),
]
