"""A conformance run with credentials leaves no password, Authorization value or token anywhere.

Each run is a real `pytest conformance` process against a real registry with
auth; every file under its report directory and everything it printed is
searched for the secrets themselves and for anything shaped like one.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from collections.abc import Callable
from pathlib import Path

import pytest

from regsuite.providers import HtpasswdAuth, RegistryConfig
from regsuite.target import Target
from regsuite.tokenserver import TokenServer
from tests.support import ConformanceRun, run_conformance
from tests.token_registry import start_token_registry

# An Authorization value, or a token field in JSON, that is not the redaction marker
# (reports may HTML-escape the marker, hence the two spellings).
MARKER = r"(?:<redacted>|&lt;redacted&gt;)"
LEAK_SHAPES = [
    # a credential has a digit or base64 punctuation; prose such as "Basic credentials" has not
    re.compile(r"\b(?:Basic|Bearer)\s+(?!" + MARKER + r")(?=[\w+/=.-]*[0-9+/=])[\w+/=.-]{12,}"),
    re.compile(r'"(?:token|access_token|refresh_token|password)"\s*:\s*"(?!' + MARKER + r")[^\"]{4,}\""),
    re.compile(r"\beyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\."),  # a JWT
]


def basic_value(username: str, password: str) -> str:
    return base64.b64encode(f"{username}:{password}".encode()).decode()


def assert_nothing_leaked(run: ConformanceRun, secret_values: list[str]) -> None:
    """No secret and no secret-shaped text in the output or any report file."""
    texts = {"terminal output": run.output}
    files = [p for p in run.report_dir.rglob("*") if p.is_file()]
    assert files, f"the run wrote no reports; output:\n{run.output[-3000:]}"
    for path in files:
        texts[str(path.relative_to(run.report_dir))] = path.read_bytes().decode("utf-8", "replace")
    for where, text in texts.items():
        for value in secret_values:
            assert value not in text, f"{where} holds a secret ({value[:3]}...)"
        for shape in LEAK_SHAPES:
            found = shape.search(text)
            assert found is None, f"{where} holds something secret-shaped: {found.group(0)[:24]}..."


def assert_ran_with_auth(run: ConformanceRun) -> None:
    """The run got past the first contact (bad credentials would stop it with exit 22) and judged checks."""
    assert run.returncode in (0, 1), run.output[-3000:]
    assert run.results is not None and run.outcome("ping.v2-200") == "passed", run.output[-3000:]


@pytest.fixture
def basic_registry(
    registry_factory: Callable[..., Target], htpasswd_file: Callable[..., Path]
) -> tuple[Target, str, str]:
    username, password = "redaction-user", "Redaction-" + secrets.token_urlsafe(12)
    target = registry_factory(RegistryConfig(auth=HtpasswdAuth(htpasswd_file({username: password}))))
    return target, username, password


@pytest.fixture
def no_docker_config(tmp_path: Path) -> dict[str, str]:
    """A DOCKER_CONFIG without credentials, so the machine's own docker login plays no part."""
    directory = tmp_path / "docker-config"
    directory.mkdir()
    return {"DOCKER_CONFIG": str(directory)}


@pytest.mark.slow  # the whole suite: about 40 s
def test_full_run_with_basic_auth_from_environment(basic_registry: tuple[Target, str, str], tmp_path: Path,
                                                   no_docker_config: dict[str, str]) -> None:
    """The whole suite (failures with their transcripts included) against an htpasswd registry."""
    target, username, password = basic_registry
    env = {**no_docker_config, "REGSUITE_USERNAME": username, "REGSUITE_PASSWORD": password}
    run = run_conformance(target.url, tmp_path / "reports", "-rA", env=env)
    assert_ran_with_auth(run)
    assert_nothing_leaked(run, [password, basic_value(username, password)])


def test_password_on_the_command_line(basic_registry: tuple[Target, str, str], tmp_path: Path,
                                      no_docker_config: dict[str, str]) -> None:
    target, username, password = basic_registry
    run = run_conformance(target.url, tmp_path / "reports", "--registry-username", username,
                          "--registry-password", password, "-rA", "-v",
                          checks=["ping", "push.blob-post-put", "pull.blob-range"], env=no_docker_config)
    assert_ran_with_auth(run)
    assert run.results is not None
    assert run.results.config.get("password") == "<redacted>", run.results.config
    assert_nothing_leaked(run, [password, basic_value(username, password)])


def test_credentials_from_docker_config(basic_registry: tuple[Target, str, str], tmp_path: Path) -> None:
    target, username, password = basic_registry
    directory = tmp_path / "docker-config"
    directory.mkdir()
    auths = {"auths": {target.host: {"auth": basic_value(username, password)}}}
    (directory / "config.json").write_text(json.dumps(auths))
    run = run_conformance(target.url, tmp_path / "reports", "-rA", checks=["ping", "push.blob-post-put"],
                          env={"DOCKER_CONFIG": str(directory)})
    assert_ran_with_auth(run)
    assert_nothing_leaked(run, [password, basic_value(username, password)])


def test_token_auth_run_leaks_no_token(
    registry_factory: Callable[..., Target], token_server: Callable[..., TokenServer], tmp_path: Path,
    no_docker_config: dict[str, str],
) -> None:
    push = ("redaction-push", "Push-" + secrets.token_urlsafe(12))
    pull = ("redaction-pull", "Pull-" + secrets.token_urlsafe(12))
    registry = start_token_registry(registry_factory, token_server, tmp_path, push, pull)
    env = {**no_docker_config, "REGSUITE_USERNAME": push[0], "REGSUITE_PASSWORD": push[1],
           "REGSUITE_PULL_USERNAME": pull[0], "REGSUITE_PULL_PASSWORD": pull[1]}
    run = run_conformance(registry.target.url, tmp_path / "reports", "-rA", "-v",
                          checks=["ping", "auth", "push.blob-post-put", "pull.manifest-by-tag"], env=env)
    assert_ran_with_auth(run)
    assert registry.issued, "the run fetched no token: token auth was not exercised"
    assert_nothing_leaked(run, [push[1], pull[1], basic_value(*push), basic_value(*pull), *registry.issued])
