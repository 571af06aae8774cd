"""Area tls: the handshake, the certificate chain as served, protocol versions and suites, plain HTTP, client
certificates."""

from . import Level, area_checks

RFC5280 = "https://www.rfc-editor.org/rfc/rfc5280#section-6"
RFC5280_VALIDITY = "https://www.rfc-editor.org/rfc/rfc5280#section-4.1.2.5"
RFC6125 = "https://www.rfc-editor.org/rfc/rfc6125#section-6"
RFC8996 = "https://www.rfc-editor.org/rfc/rfc8996"
RFC8446 = "https://www.rfc-editor.org/rfc/rfc8446#section-4.4.2"
RFC8446_CLIENT = "https://www.rfc-editor.org/rfc/rfc8446#section-4.4.2.4"
RFC9525 = "https://www.rfc-editor.org/rfc/rfc9525#section-6.3"
RFC9325 = "https://www.rfc-editor.org/rfc/rfc9325#section-4.2"
RFC9325_VERSIONS = "https://www.rfc-editor.org/rfc/rfc9325#section-3.1.1"
RFC9155 = "https://www.rfc-editor.org/rfc/rfc9155"
NIST_KEYS = "https://csrc.nist.gov/pubs/sp/800/131/a/r2/final"
DIST_TLS = "https://distribution.github.io/distribution/about/configuration/#tls"


_tls = area_checks("tls", version="beyond")


CHECKS = [
    _tls("tls.handshake", "a verified TLS handshake succeeds with the given CA", "RFC 8446 / RFC 5280", url=RFC5280),
    _tls("tls.chain", "the served chain leads to a trusted CA", "RFC 5280 6", url=RFC5280),
    _tls("tls.hostname", "the certificate names the host the registry is reached on", "RFC 6125 6", url=RFC6125),
    _tls(
        "tls.subject-alt-name",
        "the certificate names its hosts in subjectAltName, not only in the subject's CN",
        "RFC 9525 6.3",
        url=RFC9525,
    ),
    _tls("tls.validity", "the certificate is within its validity period", "RFC 5280 4.1.2.5", url=RFC5280_VALIDITY),
    _tls(
        "tls.expiry-margin",
        "the certificate does not expire within the warning threshold",
        "operational",
        url=RFC5280,
        level=Level.SHOULD,
    ),
    _tls("tls.key-size", "served keys are at least RSA 2048 or EC 256 bits", "NIST SP 800-131A", url=NIST_KEYS),
    _tls("tls.signature-algorithm", "no SHA-1 (or MD5) signature in the served chain", "RFC 9155", url=RFC9155),
    _tls(
        "tls.chain-order",
        "each served certificate after the leaf issued the one before it",
        "RFC 8446 4.4.2 (MUST in RFC 5246 7.4.2)",
        url=RFC8446,
        level=Level.SHOULD,
    ),
    _tls(
        "tls.chain-without-root",
        "the served chain leaves out the self-signed root",
        "RFC 8446 4.4.2",
        url=RFC8446,
        level=Level.SHOULD,
    ),
    _tls(
        "tls.intermediate-expiry",
        "no served intermediate expires before the leaf",
        "RFC 5280 4.1.2.5",
        url=RFC5280_VALIDITY,
        level=Level.SHOULD,
    ),
    _tls("tls.legacy-versions-refused", "TLS 1.0 and 1.1 are refused", "RFC 8996", url=RFC8996),
    _tls("tls.tls13-offered", "TLS 1.3 is offered", "RFC 9325 3.1.1", url=RFC9325_VERSIONS, level=Level.SHOULD),
    _tls(
        "tls.cipher-suites",
        "TLS 1.2 suites all have forward secrecy and AEAD (no CBC, SHA-1 MAC, 3DES or RC4)",
        "RFC 9325 4.2",
        url=RFC9325,
        level=Level.SHOULD,
    ),
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
    _tls(
        "tls.client-certificate-other-ca",
        "with client CAs configured: a client certificate from another CA is refused",
        "RFC 8446 4.4.2.4",
        url=RFC8446_CLIENT,
    ),
]
