"""Area tls: the handshake, the certificate, protocol versions, plain HTTP, client certificates."""

from . import CheckInfo, Level

RFC5280 = "https://www.rfc-editor.org/rfc/rfc5280#section-6"
RFC6125 = "https://www.rfc-editor.org/rfc/rfc6125#section-6"
RFC8996 = "https://www.rfc-editor.org/rfc/rfc8996"
RFC8446 = "https://www.rfc-editor.org/rfc/rfc8446#section-4.4.2"
RFC9525 = "https://www.rfc-editor.org/rfc/rfc9525#section-6.3"
RFC9325 = "https://www.rfc-editor.org/rfc/rfc9325#section-4.2"
RFC9325_VERSIONS = "https://www.rfc-editor.org/rfc/rfc9325#section-3.1.1"
RFC5280_VALIDITY = "https://www.rfc-editor.org/rfc/rfc5280#section-4.1.2.5"
RFC9155 = "https://www.rfc-editor.org/rfc/rfc9155"
NIST_KEYS = "https://csrc.nist.gov/pubs/sp/800/131/a/r2/final"
RFC8446_CLIENT = "https://www.rfc-editor.org/rfc/rfc8446#section-4.4.2.4"
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
    _tls("tls.validity", "the certificate is within its validity period", Level.MUST, "RFC 5280 4.1.2.5",
         RFC5280_VALIDITY),
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
        "tls.subject-alt-name",
        "the certificate names its hosts in subjectAltName, not only in the subject's CN",
        Level.MUST,
        "RFC 9525 6.3",
        RFC9525,
    ),
    _tls(
        "tls.key-size",
        "served keys are at least RSA 2048 or EC 256 bits",
        Level.MUST,
        "NIST SP 800-131A",
        NIST_KEYS,
    ),
    _tls("tls.signature-algorithm", "no SHA-1 (or MD5) signature in the served chain", Level.MUST, "RFC 9155",
         RFC9155),
    _tls(
        "tls.chain-order",
        "each served certificate after the leaf issued the one before it",
        Level.SHOULD,
        "RFC 8446 4.4.2 (MUST in RFC 5246 7.4.2)",
        RFC8446,
    ),
    _tls(
        "tls.chain-without-root",
        "the served chain leaves out the self-signed root",
        Level.SHOULD,
        "RFC 8446 4.4.2",
        RFC8446,
    ),
    _tls(
        "tls.intermediate-expiry",
        "no served intermediate expires before the leaf",
        Level.SHOULD,
        "RFC 5280 4.1.2.5",
        RFC5280_VALIDITY,
    ),
    _tls("tls.tls13-offered", "TLS 1.3 is offered", Level.SHOULD, "RFC 9325 3.1.1", RFC9325_VERSIONS),
    _tls(
        "tls.cipher-suites",
        "TLS 1.2 suites all have forward secrecy and AEAD (no CBC, SHA-1 MAC, 3DES or RC4)",
        Level.SHOULD,
        "RFC 9325 4.2",
        RFC9325,
    ),
    _tls(
        "tls.client-certificate",
        "with client CAs configured: no certificate is refused, a good one accepted",
        Level.MUST,
        "RFC 8446 4.4.2",
        RFC8446,
    ),
    _tls(
        "tls.client-certificate-other-ca",
        "with client CAs configured: a client certificate from another CA is refused",
        Level.MUST,
        "RFC 8446 4.4.2.4",
        RFC8446_CLIENT,
    ),
]
