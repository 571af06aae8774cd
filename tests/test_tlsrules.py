"""The TLS rules with no I/O: certificates made here, judged as a served chain would be."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from regsuite.tls import LOOPBACK_NAMES, Issued, issue
from regsuite.tlsrules import (
    describe,
    missing_issuer,
    names_host,
    out_of_order,
    served_roots,
    short_intermediates,
    suite_faults,
    weak_keys,
    weak_suites,
)

NOW = datetime.now(UTC)


def _pki() -> tuple[Issued, Issued, Issued]:
    root = issue(None, "root", ca=True)
    intermediate = issue(root, "intermediate", ca=True)
    leaf = issue(intermediate, "localhost", names=LOOPBACK_NAMES)
    return root, intermediate, leaf


def test_a_sound_chain_has_no_fault() -> None:
    root, intermediate, leaf = _pki()
    chain = [leaf.cert, intermediate.cert]
    assert weak_keys(chain) == out_of_order(chain) == served_roots(chain) == short_intermediates(chain) == []
    assert missing_issuer(chain, [root.cert]) is None
    assert [c["role"] for c in describe(chain + [root.cert])] == ["leaf", "intermediate", "root"]


def test_each_chain_fault_names_its_certificate_and_field() -> None:
    root, intermediate, leaf = _pki()
    [served_root] = served_roots([leaf.cert, intermediate.cert, root.cert])
    assert (served_root.position, served_root.field) == (2, "subject")
    [unordered] = out_of_order([leaf.cert, root.cert, intermediate.cert])[:1]
    assert unordered.position == 1
    missing = missing_issuer([leaf.cert], [root.cert])
    assert missing is not None and (missing.position, missing.field) == (0, "issuer") and "intermediate" in missing.text
    short = issue(root, "short", ca=True, not_after=NOW + timedelta(days=30))
    [early] = short_intermediates([issue(short, "localhost", names=LOOPBACK_NAMES).cert, short.cert])
    assert (early.position, early.field) == (1, "not_after")


def test_small_rsa_and_ec_keys_are_weak() -> None:
    root = issue(None, "root", ca=True)
    small_rsa = issue(root, "a", key=rsa.generate_private_key(public_exponent=65537, key_size=1024))
    small_ec = issue(root, "b", key=ec.generate_private_key(ec.SECP224R1()))
    good = issue(root, "c", key=ec.generate_private_key(ec.SECP384R1()))
    faults = weak_keys([small_rsa.cert, small_ec.cert, good.cert])
    assert [(f.position, f.field) for f in faults] == [(0, "key"), (1, "key")]
    assert "RSA 1024-bit" in faults[0].text and "EC P-224 224-bit" in faults[1].text


def test_a_cn_only_certificate_names_its_host_only_for_clients_that_read_the_cn() -> None:
    cert = issue(issue(None, "root", ca=True), "registry.example.com").cert
    assert not names_host(cert, "registry.example.com")
    assert names_host(cert, "registry.example.com", common_name=True)
    assert not names_host(cert, "127.0.0.1", common_name=True)  # an IP is matched against IP SANs only


def test_suite_faults() -> None:
    good = {"name": "ECDHE-RSA-AES128-GCM-SHA256", "protocol": "TLSv1.2", "kea": "kx-ecdhe", "auth": "auth-rsa",
            "symmetric": "aes-128-gcm", "aead": True, "digest": None}
    cbc = {**good, "name": "ECDHE-RSA-AES128-SHA", "symmetric": "aes-128-cbc", "aead": False, "digest": "sha1"}
    static = {**good, "name": "AES128-GCM-SHA256", "kea": "kx-rsa"}
    triple = {**cbc, "name": "DES-CBC3-SHA", "kea": "kx-rsa", "symmetric": "des-ede3-cbc"}
    psk = {**static, "name": "PSK-AES128-GCM-SHA256", "kea": "kx-psk"}
    assert suite_faults(good) == []
    assert suite_faults(cbc) == ["CBC", "SHA1 MAC"]
    assert suite_faults(static) == ["no forward secrecy"]
    assert suite_faults(triple) == ["no forward secrecy", "3DES", "SHA1 MAC"]
    assert [s["name"] for s in weak_suites([good, cbc, static, triple, psk])] == [
        "ECDHE-RSA-AES128-SHA", "AES128-GCM-SHA256", "DES-CBC3-SHA"]
