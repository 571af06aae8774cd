"""The `clients` checks pass against a real registry and fail, with the client's own message, against a broken one.

Broken = a fault proxy in front of the shared distribution registry that
corrupts blobs or manifests in transit, refuses manifest uploads, or
acknowledges deletes without doing them. Checks whose client is not usable
here (no docker engine, no skopeo, no oras) are left out of the expectations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from regsuite.clients.certs import DOCKER_CERTS_D
from regsuite.clients.docker import docker_unavailable
from regsuite.clients.oras import oras_unavailable
from regsuite.clients.skopeo import skopeo_unavailable
from regsuite.fixtures.access import INVENTED_PREFIX
from regsuite.providers import HtpasswdAuth, RegistryConfig, TokenAuth
from regsuite.results import Outcome
from regsuite.target import Target
from regsuite.testing.faultproxy import FaultProxy, Mutation
from regsuite.tls import TLSMaterial
from tests.auth_stacks import BasicStack, any_password, start_basic_stack, tls_proxy
from tests.support import ConformanceRun, run_conformance

CLIENT_OF = {
    "clients.docker-login": "docker",
    "clients.docker-login-refused": "docker",
    "clients.docker-push": "docker",
    "clients.docker-pull": "docker",
    "clients.docker-roundtrip": "docker",
    "clients.skopeo-copy-to-registry": "skopeo",
    "clients.skopeo-copy-from-registry": "skopeo",
    "clients.skopeo-inspect": "skopeo",
    "clients.skopeo-delete": "skopeo",
    "clients.oras-push": "oras",
    "clients.oras-pull": "oras",
}


@pytest.fixture(scope="module")
def usable(shared_distribution: Target) -> set[str]:
    reasons = {"docker": docker_unavailable(shared_distribution), "skopeo": skopeo_unavailable(),
               "oras": oras_unavailable()}
    found = {name for name, reason in reasons.items() if reason is None}
    if not found:
        pytest.skip(f"no client usable here: {reasons}")
    return found


def _flip_first_byte(body: bytes) -> bytes:
    return bytes([body[0] ^ 0xFF]) + body[1:] if body else body


def _expect(run: ConformanceRun, usable: set[str], expected: dict[str, tuple[Outcome, str]]) -> None:
    for check_id, (outcome, fragment) in expected.items():
        if CLIENT_OF[check_id] not in usable:
            assert run.outcome(check_id) == Outcome.SKIPPED, run.record(check_id).message
            continue
        record = run.record(check_id)
        assert record.outcome == outcome, f"{check_id}: {record.outcome}: {record.message}\n{run.output[-3000:]}"
        assert fragment in record.message, f"{check_id}: {fragment!r} not in:\n{record.message}"


def _through(
    fault_proxy: Callable[..., FaultProxy], tmp_path: Path, checks: list[str], *mutations: Mutation
) -> ConformanceRun:
    proxy = fault_proxy(*mutations)
    return run_conformance(proxy.url, tmp_path, checks=checks)


LOGINS = ("clients.docker-login", "clients.docker-login-refused")


def test_client_checks_pass_against_a_real_registry(shared_distribution: Target, usable: set[str],
                                                    tmp_path: Path) -> None:
    run = run_conformance(shared_distribution.url, tmp_path, checks=["clients."])
    expected = {check_id: (Outcome.PASSED, "") for check_id in CLIENT_OF}
    expected.update({check_id: (Outcome.SKIPPED, "no credentials") for check_id in LOGINS})  # nothing to log into
    _expect(run, usable, expected)


def test_corrupted_blobs_fail_with_the_client_message(fault_proxy, usable: set[str], tmp_path: Path) -> None:
    corrupt = Mutation("corrupt-blobs", method="GET", path=r"/blobs/sha256:", body=_flip_first_byte)
    run = _through(fault_proxy, tmp_path, ["clients."], corrupt)
    api_view = "served content whose digest is"
    _expect(
        run,
        usable,
        {
            "clients.docker-pull": (Outcome.FAILED, "verification failed"),  # docker checks every blob's digest
            "clients.docker-roundtrip": (Outcome.FAILED, "verification failed"),
            "clients.skopeo-copy-from-registry": (Outcome.FAILED, "Digest did not match"),
            "clients.skopeo-inspect": (Outcome.FAILED, "does not match"),
            "clients.oras-pull": (Outcome.FAILED, "oras-py does not verify blob digests"),
            # the pushes themselves succeed; reading back through the API shows the corruption
            "clients.docker-push": (Outcome.FAILED, api_view),
            "clients.skopeo-copy-to-registry": (Outcome.FAILED, api_view),
            "clients.oras-push": (Outcome.FAILED, api_view),
        },
    )
    if "docker" in usable:
        # the exchange shown under the failure is the corrupted blob read
        last = run.record("clients.docker-pull").transcript[-1]
        assert last["method"] == "GET" and "/blobs/sha256:" in last["url"], last


def test_a_manifest_changed_in_transit_fails_where_a_client_or_the_api_can_tell(
    fault_proxy, usable: set[str], tmp_path: Path
) -> None:
    changed = Mutation(
        "manifest-changed",
        method="GET",
        path=r"/manifests/",
        json=lambda m: {**m, "annotations": {"org.regsuite.changed": "in transit"}},
    )
    checks = [
        "clients.docker-roundtrip",
        "clients.skopeo-inspect",
        "clients.skopeo-copy-from-registry",
        "clients.oras-push",
    ]
    run = _through(fault_proxy, tmp_path, checks, changed)
    _expect(
        run,
        usable,
        {
            "clients.docker-roundtrip": (
                Outcome.FAILED,
                "manifest verification failed",
            ),  # docker checks by-digest pulls
            "clients.skopeo-inspect": (Outcome.FAILED, "differ from the"),  # by tag, skopeo prints what it got
            "clients.skopeo-copy-from-registry": (Outcome.FAILED, "to the layout, want"),
            "clients.oras-push": (Outcome.FAILED, "oras was told digest"),
        },
    )


def test_a_refused_manifest_upload_fails_the_pushes_with_the_client_message(
    fault_proxy, usable: set[str], tmp_path: Path
) -> None:
    truncated = Mutation("manifest-truncated", method="PUT", path=r"/manifests/", request_body=lambda b: b[:-1])
    checks = ["clients.docker-push", "clients.skopeo-copy-to-registry", "clients.oras-push"]
    run = _through(fault_proxy, tmp_path, checks, truncated)
    _expect(
        run,
        usable,
        {
            "clients.docker-push": (Outcome.FAILED, "manifest invalid"),
            "clients.skopeo-copy-to-registry": (Outcome.FAILED, "manifest invalid"),
            "clients.oras-push": (Outcome.FAILED, "manifest invalid"),
        },
    )
    for check_id in checks:
        if CLIENT_OF[check_id] in usable:
            assert "fails too: manifest-put: expected 201, got 400" in run.record(check_id).message


def test_a_delete_acknowledged_but_not_done_fails_skopeo_delete(fault_proxy, usable: set[str], tmp_path: Path) -> None:
    ignored = Mutation("delete-ignored", method="DELETE", path=r"/manifests/", respond=(202, {}, b""))
    run = _through(fault_proxy, tmp_path, ["clients.skopeo-delete"], ignored)
    _expect(run, usable, {"clients.skopeo-delete": (Outcome.FAILED, "still answers 200")})


def test_deletes_disabled_make_skopeo_delete_unsupported(registry_factory, usable: set[str], tmp_path: Path) -> None:
    target = registry_factory(RegistryConfig(delete_enabled=False))
    run = run_conformance(target.url, tmp_path, checks=["clients.skopeo-delete"])
    _expect(run, usable, {"clients.skopeo-delete": (Outcome.UNSUPPORTED, "")})


def _with_credentials(target: Target, ca: Path, user: str, password: str, tmp_path: Path) -> ConformanceRun:
    return run_conformance(
        target.url,
        tmp_path / "report",
        "--registry-ca",
        str(ca),
        "--registry-username",
        user,
        checks=["clients."],
        env={"REGSUITE_PASSWORD": password},
    )


def _no_secret_left(run: ConformanceRun, password: str, target: Target) -> None:
    assert password not in run.output
    assert password not in (run.report_dir / "conformance" / "results.json").read_text()
    assert not (DOCKER_CERTS_D / target.host).exists(), "the CA placed for docker was not removed"


def test_basic_auth_over_tls_goes_through_each_client_login_and_ca(
    registry_factory, usable: set[str], tmp_path: Path
) -> None:
    from regsuite.fixtures.auth import new_password
    from regsuite.htpasswd import write_htpasswd

    tls, password = TLSMaterial(tmp_path / "tls"), new_password()
    htpasswd = write_htpasswd(tmp_path / "htpasswd", {"regsuite-client": password})
    target = registry_factory(RegistryConfig(auth=HtpasswdAuth(htpasswd), tls=tls.tls_files()))
    run = _with_credentials(target, tls.ca_path, "regsuite-client", password, tmp_path)
    _expect(run, usable, {check_id: (Outcome.PASSED, "") for check_id in CLIENT_OF})
    _no_secret_left(run, password, target)


def test_token_auth_over_tls_and_oras_py_scope_handling(registry_factory, usable: set[str], tmp_path: Path) -> None:
    """Token auth works for docker and skopeo; oras-py 0.2 re-sends its pull token on distribution's 401."""
    import trustme

    from regsuite.fixtures.auth import ISSUER, SERVICE, new_password, standard_acl
    from regsuite.tokenserver import Signer, TokenServer

    tls, password = TLSMaterial(tmp_path / "tls"), new_password()
    token_ca = trustme.CA()
    bundle = tmp_path / "token-ca.pem"
    token_ca.cert_pem.write_to_path(str(bundle))
    acl = standard_acl(("regsuite-client", password), ("regsuite-reader", new_password()))
    with TokenServer(service=SERVICE, issuer=ISSUER, signer=Signer.issued_by(token_ca), acl=acl) as server:
        target = registry_factory(
            RegistryConfig(auth=TokenAuth(server.realm, SERVICE, ISSUER, bundle), tls=tls.tls_files())
        )
        run = _with_credentials(target, tls.ca_path, "regsuite-client", password, tmp_path)
    expected = {check_id: (Outcome.PASSED, "") for check_id in CLIENT_OF}
    expected["clients.oras-push"] = (Outcome.FAILED, 'error="insufficient_scope"')
    _expect(run, usable, expected)
    _no_secret_left(run, password, target)


def test_a_client_that_hangs_is_stopped_at_its_timeout_and_its_output_redacted() -> None:
    from regsuite.clients.runner import run_program
    from regsuite.redact import register_secret

    secret = "regsuite-selftest-secret-4f2a"
    register_secret(secret)
    hung = run_program(["sh", "-c", f"echo {secret} >&2; sleep 5"], timeout=0.5)
    assert hung.returncode is None and hung.seconds < 3
    assert "timed out" in hung.describe() and secret not in hung.describe()
    assert "<redacted>" in hung.message


# -- docker login ---------------------------------------------------------------------

LOGIN_USER = "regsuite-login"


@pytest.fixture(scope="module")
def login_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BasicStack]:
    from regsuite.fixtures.auth import new_password

    yield from start_basic_stack(tmp_path_factory.mktemp("login"), {LOGIN_USER: new_password()})


def _logins_through(stack: BasicStack, tmp_path: Path, *mutations: Mutation) -> ConformanceRun:
    """The docker login checks against htpasswd over TLS, through a TLS fault proxy with `mutations`."""
    password = stack.users[LOGIN_USER]
    with tls_proxy(stack, *mutations) as proxy:
        run = run_conformance(proxy.url, tmp_path, "--registry-ca", str(stack.material.ca_path),
                              "--registry-username", LOGIN_USER, checks=list(LOGINS),
                              env={"REGSUITE_PASSWORD": password})
        assert not (DOCKER_CERTS_D / proxy.url.split("://", 1)[1]).exists(), "the CA placed for docker was left"
    results = (run.report_dir / "conformance" / "results.json").read_text()
    for secret in (password, INVENTED_PREFIX):  # the right password, and the wrong one regsuite made up
        assert secret not in run.output and secret not in results
    return run


def test_docker_login_right_and_wrong_password(login_stack: BasicStack, usable: set[str], tmp_path: Path) -> None:
    run = _logins_through(login_stack, tmp_path)
    _expect(run, usable, {"clients.docker-login": (Outcome.PASSED, "Login Succeeded"),
                          "clients.docker-login-refused": (Outcome.PASSED, "401")})


def test_docker_login_accepting_any_password_fails_in_dockers_words(login_stack: BasicStack, usable: set[str],
                                                                     tmp_path: Path) -> None:
    run = _logins_through(login_stack, tmp_path, any_password(LOGIN_USER, login_stack.users[LOGIN_USER]))
    _expect(run, usable, {"clients.docker-login": (Outcome.PASSED, ""),
                          "clients.docker-login-refused": (Outcome.FAILED, "Login Succeeded")})


def test_docker_login_refused_for_the_right_password_fails_in_dockers_words(login_stack: BasicStack,
                                                                             usable: set[str], tmp_path: Path) -> None:
    refuse = Mutation("refuse-everyone", when=lambda r: "authorization" in r.headers, status=401)
    run = _logins_through(login_stack, tmp_path, refuse)
    _expect(run, usable, {"clients.docker-login": (Outcome.FAILED, "401 Unauthorized"),
                          "clients.docker-login-refused": (Outcome.SKIPPED, "see clients.docker-login")})


def test_a_client_refused_for_load_is_an_error_not_a_failure(fault_proxy, usable: set[str], tmp_path: Path) -> None:
    """The registry rate-limits the client programs (not regsuite's own client, which would wait it out).

    skopeo waits out Retry-After itself (at most 60 s, 5 times): a short one lets it give up within the check."""
    refused = Mutation(
        "429 to the client programs", path=r"/manifests/",
        when=lambda request: not request.headers.get("user-agent", "").startswith("python-httpx/"),
        respond=(429, {"Retry-After": "1", "Content-Type": "application/json"},
                 b'{"errors": [{"code": "TOOMANYREQUESTS", "message": "too many requests"}]}'),
    )
    checks = ["clients.docker-pull", "clients.skopeo-copy-from-registry", "clients.oras-pull"]
    run = _through(fault_proxy, tmp_path, checks, refused)
    _expect(run, usable, {check_id: (Outcome.ERROR, "rate limited: `") for check_id in checks})
