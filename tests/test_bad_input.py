"""Bad input: one clear line, a distinct exit code, no traceback, and no hang.

Each case is a real `pytest conformance` process given something wrong: a
registry that is not there, that speaks the other protocol, refuses the
credentials, has a certificate we do not trust, or options that make no sense.
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from regsuite.errors import ExitCode
from regsuite.providers import HtpasswdAuth, RegistryConfig
from regsuite.providers.config import free_port
from regsuite.results import Outcome, RunState
from regsuite.target import Target
from regsuite.testing.faultproxy import FaultProxy, Mutation
from regsuite.tls import TLSMaterial
from regsuite.tokenserver import TokenServer
from tests.support import ConformanceRun, run_conformance
from tests.token_registry import start_token_registry

BOUND = 45.0  # seconds any bad-input run may take, start-up included


def run_bad(
    url: str | None, tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[ConformanceRun, float]:
    """Run the suite with bad input; the machine's docker login never plays a part."""
    docker_config = tmp_path / "docker-config"
    docker_config.mkdir(exist_ok=True)
    begin = time.monotonic()
    run = run_conformance(url, tmp_path / "reports", *args, env={"DOCKER_CONFIG": str(docker_config), **(env or {})},
                          timeout=BOUND * 2)
    return run, time.monotonic() - begin


def assert_one_clear_line(run: ConformanceRun, elapsed: float, code: ExitCode, *fragments: str) -> None:
    assert run.returncode == code, f"exit {run.returncode}, wanted {code.name} ({int(code)}):\n{run.output[-2000:]}"
    assert run.returncode != ExitCode.CHECKS_FAILED
    assert "Traceback" not in run.output, run.output[-3000:]
    assert "_pytest.outcomes.Exit" not in run.output, run.output[-3000:]
    lines = [line for line in run.output.splitlines() if "regsuite: " in line]
    assert len(lines) == 1, f"wanted exactly one 'regsuite: ' line, got {lines}:\n{run.output[-2000:]}"
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    assert elapsed < BOUND, f"took {elapsed:.1f}s"


def assert_reported(run: ConformanceRun, ping: Outcome, *fragments: str) -> None:
    """A run that failed its first contact still writes every report: the ping check with its transcript, the rest
    `error` with the reason."""
    for name in ("results.json", "junit.xml", "report.html"):
        assert (run.report_dir / "conformance" / name).is_file(), f"no {name}"
    assert run.results is not None
    assert run.results.run.state == RunState.FIRST_CONTACT_FAILED
    first = run.record("ping.v2-200")
    assert first.outcome == ping, first
    transcript = " ".join(str(exchange) for exchange in first.transcript)
    for fragment in fragments:
        assert fragment in transcript, f"{fragment!r} not in the transcript of ping.v2-200: {transcript[:1000]}"
    # after a TLS failure the tls checks judge the endpoint on their own connections (tests/test_tls_checks.py)
    judged = "tls" if run.returncode == ExitCode.TARGET_TLS_ERROR else None
    others = [c for c in run.results.checks if c.id != "ping.v2-200" and c.area != judged]
    assert others and all(c.outcome == Outcome.ERROR for c in others)
    assert all(c.message.startswith("not run: the first contact failed: ") for c in others), others[0].message
    assert len(run.results.checks) == run.results.run.selected


@pytest.fixture
def tls(tmp_path: Path) -> TLSMaterial:
    return TLSMaterial(tmp_path / "tls")


# -- the target cannot be used ------------------------------------------------------


def test_unreachable_url(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    run, elapsed = run_bad(url, tmp_path)
    assert_one_clear_line(run, elapsed, ExitCode.TARGET_UNREACHABLE, url, "connection refused")
    assert_reported(run, Outcome.ERROR, "ConnectError")  # a network failure says nothing about conformance


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


def test_a_registry_that_never_answers_times_out(tmp_path: Path, silent_port: int) -> None:
    run, elapsed = run_bad(f"http://127.0.0.1:{silent_port}", tmp_path, "--request-timeout", "2")
    assert_one_clear_line(run, elapsed, ExitCode.TARGET_UNREACHABLE, "did not answer within 2s (--request-timeout)")


@pytest.fixture
def hanging_up_port() -> Iterator[int]:
    """A port that accepts each connection and closes it at once."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)

    def serve() -> None:
        while listener.fileno() != -1:
            try:
                connection, _ = listener.accept()
            except OSError:  # the timeout tick, or the listener closed at teardown
                continue
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    listener.close()
    thread.join(timeout=5)


def test_a_server_that_hangs_up(tmp_path: Path, hanging_up_port: int) -> None:
    run, elapsed = run_bad(f"http://127.0.0.1:{hanging_up_port}", tmp_path)
    assert_one_clear_line(run, elapsed, ExitCode.TARGET_UNREACHABLE, "closed the connection without answering")


def test_https_to_a_plain_http_port(shared_distribution: Target, tmp_path: Path) -> None:
    url = shared_distribution.url.replace("http://", "https://")
    run, elapsed = run_bad(url, tmp_path)
    assert_one_clear_line(run, elapsed, ExitCode.TARGET_TLS_ERROR,
                          "the server speaks plain HTTP; use http:// or check the port")


def test_http_to_an_https_port(registry_factory: Callable[..., Target], tls: TLSMaterial, tmp_path: Path) -> None:
    target = registry_factory(RegistryConfig(tls=tls.tls_files()))
    run, elapsed = run_bad(target.url.replace("https://", "http://"), tmp_path)
    assert_one_clear_line(run, elapsed, ExitCode.TARGET_TLS_ERROR, "speaks HTTPS", "use https://")


def test_something_that_is_not_a_registry(shared_distribution: Target, tmp_path: Path) -> None:
    page = Mutation("a web server", respond=(404, {"Content-Type": "text/html"}, b"<html>not found</html>"))
    with FaultProxy(shared_distribution.url, [page]) as proxy:
        run, elapsed = run_bad(proxy.url, tmp_path)
    assert_one_clear_line(run, elapsed, ExitCode.TARGET_NOT_REGISTRY, "answered 404", "not look like a registry")
    assert_reported(run, Outcome.FAILED, "'status': 404", "<html>not found</html>")


def test_a_redirect_loop_is_not_a_registry(shared_distribution: Target, tmp_path: Path) -> None:
    loop = Mutation("a redirect to itself", respond=(302, {"Location": "/v2/"}, b""))
    with FaultProxy(shared_distribution.url, [loop]) as proxy:
        run, elapsed = run_bad(proxy.url, tmp_path)
    assert_one_clear_line(run, elapsed, ExitCode.TARGET_NOT_REGISTRY, "answered 302")
    assert_reported(run, Outcome.FAILED, "'status': 302")


# -- credentials ----------------------------------------------------------------------


@pytest.fixture
def basic_registry(registry_factory: Callable[..., Target], htpasswd_file: Callable[..., Path]) -> Target:
    return registry_factory(RegistryConfig(auth=HtpasswdAuth(htpasswd_file({"grace": secrets.token_urlsafe(12)}))))


def test_bad_credentials(basic_registry: Target, tmp_path: Path) -> None:
    wrong = "Wrong-" + secrets.token_urlsafe(8)
    run, elapsed = run_bad(basic_registry.url, tmp_path, "--registry-username", "grace",
                           env={"REGSUITE_PASSWORD": wrong})
    assert_one_clear_line(run, elapsed, ExitCode.TARGET_AUTH_ERROR, "refused the credentials", "'grace'")
    assert wrong not in run.output


def test_missing_credentials(basic_registry: Target, tmp_path: Path) -> None:
    run, elapsed = run_bad(basic_registry.url, tmp_path)
    assert_one_clear_line(run, elapsed, ExitCode.TARGET_AUTH_ERROR, "requires authentication", "--registry-username")


def test_bad_credentials_at_the_token_server(registry_factory: Callable[..., Target],
                                             token_server: Callable[..., TokenServer], tmp_path: Path) -> None:
    registry = start_token_registry(registry_factory, token_server, tmp_path,
                                    ("heidi", secrets.token_urlsafe(12)), ("ivan", secrets.token_urlsafe(12)))
    run, elapsed = run_bad(registry.target.url, tmp_path, "--registry-username", "heidi",
                           env={"REGSUITE_PASSWORD": "not-her-password"})
    assert_one_clear_line(run, elapsed, ExitCode.TARGET_AUTH_ERROR, "refused the credentials")


# -- TLS trust --------------------------------------------------------------------------


@pytest.fixture
def tls_registry(registry_factory: Callable[..., Target], tls: TLSMaterial) -> Target:
    return registry_factory(RegistryConfig(tls=tls.tls_files()))


def test_unknown_ca(tls_registry: Target, tmp_path: Path) -> None:
    run, elapsed = run_bad(tls_registry.url, tmp_path)
    assert_one_clear_line(run, elapsed, ExitCode.TARGET_TLS_ERROR, "unknown authority", "--registry-ca")
    assert_reported(run, Outcome.FAILED, "CERTIFICATE_VERIFY_FAILED")


def test_the_wrong_ca_given(tls_registry: Target, tls: TLSMaterial, tmp_path: Path) -> None:
    run, elapsed = run_bad(tls_registry.url, tmp_path, "--registry-ca", str(tls.client_ca_path))
    assert_one_clear_line(run, elapsed, ExitCode.TARGET_TLS_ERROR, "unknown authority")


def test_the_right_ca_is_enough(tls_registry: Target, tls: TLSMaterial, tmp_path: Path) -> None:
    """The control case: the same registry with its CA given passes the first contact."""
    run, _ = run_bad(tls_registry.url, tmp_path, "--registry-ca", str(tls.ca_path), "--check", "ping")
    assert run.returncode == ExitCode.OK, run.output[-3000:]


def test_client_certificate_required(registry_factory: Callable[..., Target], tls: TLSMaterial, tmp_path: Path) -> None:
    target = registry_factory(RegistryConfig(tls=tls.tls_files(mtls=True)))
    run, elapsed = run_bad(target.url, tmp_path, "--registry-ca", str(tls.ca_path))
    assert_one_clear_line(run, elapsed, ExitCode.TARGET_TLS_ERROR, "requires a client certificate",
                          "--registry-client-cert")


def test_client_certificate_refused(registry_factory: Callable[..., Target], tls: TLSMaterial, tmp_path: Path) -> None:
    target = registry_factory(RegistryConfig(tls=tls.tls_files(mtls=True)))
    stranger = TLSMaterial(tmp_path / "stranger").client()  # issued by a CA the registry does not know
    run, elapsed = run_bad(target.url, tmp_path, "--registry-ca", str(tls.ca_path), "--registry-client-cert",
                           str(stranger.certificate), "--registry-client-key", str(stranger.key))
    assert_one_clear_line(run, elapsed, ExitCode.TARGET_TLS_ERROR, "refused the client certificate")


@pytest.mark.parametrize(("certificate", "fragment"), [
    ("wrong_name", "does not name this host"),
    ("expired", "has expired"),
])
def test_certificate_faults(registry_factory: Callable[..., Target], tls: TLSMaterial, tmp_path: Path,
                            certificate: str, fragment: str) -> None:
    target = registry_factory(RegistryConfig(tls=tls.tls_files(getattr(tls, certificate)())))
    run, elapsed = run_bad(target.url, tmp_path, "--registry-ca", str(tls.ca_path))
    assert_one_clear_line(run, elapsed, ExitCode.TARGET_TLS_ERROR, fragment)


# -- bad options -------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "fragment"), [
    (["--registry-url", "127.0.0.1:5000"], "needs http:// or https://"),
    (["--registry-url", "http://"], "has no host"),
    (["--registry-url", "http://127.0.0.1:99999"], "invalid port"),
    (["--registry-url", "http://127.0.0.1:5000/v2/"], "has a path or query"),
    (["--registry-url", "https://judy:Sec-in-url-9@127.0.0.1:5000"], "carries credentials"),
    (["--registry-provider", "kubernetes"], "--registry-provider must be one of"),
    (["--request-timeout", "soon"], "--request-timeout wants a number"),
    (["--request-timeout", "-1"], "--request-timeout must be positive"),
    (["--registry-ca", "/nonexistent/ca.pem"], "no such file"),
    (["--namespace", "Not/Valid!"], "not a valid repository path"),
    (["--registry-url", "http://127.0.0.1:5000", "--registry-username", "judy"], "without a password"),
    (["--registry-url", "https://127.0.0.1:5000", "--registry-insecure", "--registry-ca", __file__], "contradict"),
    (["--read-only"], "--read-only needs --registry-url"),
], ids=lambda v: v if isinstance(v, str) else " ".join(v))
def test_bad_option_values(tmp_path: Path, args: list[str], fragment: str) -> None:
    run, elapsed = run_bad(None, tmp_path, *args)
    assert_one_clear_line(run, elapsed, ExitCode.USAGE_ERROR, fragment)
    assert "Sec-in-url-9" not in run.output, "a password in the URL was echoed"


def test_no_embedded_registry_possible(tmp_path: Path) -> None:
    env = {"REGSUITE_REGISTRY_BINARY": "/nonexistent/docker-registry", "DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    run, elapsed = run_bad(None, tmp_path, env=env)
    assert_one_clear_line(run, elapsed, ExitCode.NO_EMBEDDED_REGISTRY, "no embedded registry is possible",
                          "apt-get install docker-registry", "--registry-url")


@pytest.mark.parametrize("provider", ["process", "container"])
def test_a_chosen_provider_that_cannot_run(tmp_path: Path, provider: str) -> None:
    env = {"REGSUITE_REGISTRY_BINARY": "/nonexistent/docker-registry", "DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    run, elapsed = run_bad(None, tmp_path, "--registry-provider", provider, env=env)
    fragment = "apt-get install docker-registry" if provider == "process" else "start-dockerd.sh"
    assert_one_clear_line(run, elapsed, ExitCode.NO_EMBEDDED_REGISTRY, fragment)
