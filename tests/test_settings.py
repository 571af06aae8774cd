"""Settings: one precedence (command line > REGSUITE_* > OCI_* > ini > default), the official
suite's names, docker login credentials, and no secret in what reports show.

Most cases call `resolve` with the values pytest parsed (a small stand-in for
pytest's parsed config); the last ones run the real plugin in a pytest process.
"""

from __future__ import annotations

import base64
import importlib
import json
import os
import pkgutil
import stat
from pathlib import Path
from typing import Any

import pytest

from regsuite import fixtures as fixtures_package
from regsuite.errors import UsageError
from regsuite.fixtures.settings import OCI_WORKFLOWS, OPTIONS, Option, Settings, resolve
from regsuite.target import Target
from tests.support import ROOT, run_conformance

URL_CLI, URL_REGSUITE, URL_OCI, URL_INI = (f"http://127.0.0.1:{port}" for port in (5001, 5002, 5003, 5004))


class Parsed:
    """What pytest hands the plugin after parsing: option values by dest, ini values by name."""

    def __init__(self, options: dict[str, Any] | None = None, ini: dict[str, Any] | None = None) -> None:
        self.options = options or {}
        self.ini = ini or {}

    def getoption(self, name: str) -> Any:
        return self.options.get(name.removeprefix("regsuite_"))

    def getini(self, name: str) -> Any:
        return self.ini.get(name)


@pytest.fixture(autouse=True)
def empty_docker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test sees the machine's own docker login."""
    directory = tmp_path / "docker-config"
    directory.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(directory))
    return directory


def settle(options: dict[str, Any] | None = None, env: dict[str, str] | None = None,
           ini: dict[str, Any] | None = None) -> Settings:
    return resolve(Parsed(options, ini), env or {})  # type: ignore[arg-type]


# -- precedence ------------------------------------------------------------------------


@pytest.mark.parametrize(("options", "env", "ini", "expected", "source"), [
    ({}, {}, {}, [], "default"),
    ({}, {}, {"registry_url": [URL_INI]}, [URL_INI], "config registry_url"),
    ({}, {"OCI_ROOT_URL": URL_OCI}, {"registry_url": [URL_INI]}, [URL_OCI], "environment OCI_ROOT_URL"),
    ({}, {"REGSUITE_REGISTRY_URL": URL_REGSUITE, "OCI_ROOT_URL": URL_OCI}, {"registry_url": [URL_INI]},
     [URL_REGSUITE], "environment REGSUITE_REGISTRY_URL"),
    ({"registry_urls": [URL_CLI]}, {"REGSUITE_REGISTRY_URL": URL_REGSUITE, "OCI_ROOT_URL": URL_OCI},
     {"registry_url": [URL_INI]}, [URL_CLI], "command line"),
], ids=["default", "ini", "oci-env", "regsuite-env", "command-line"])
def test_precedence_of_the_registry_url(options: dict[str, Any], env: dict[str, str], ini: dict[str, Any],
                                        expected: list[str], source: str) -> None:
    settings = settle(options, env, ini)
    assert settings.registry_urls == expected
    assert settings.sources["registry_urls"] == source


@pytest.mark.parametrize(("options", "env", "ini", "expected"), [
    ({}, {}, {}, 15.0),
    ({}, {}, {"request_timeout": "20"}, 20.0),
    ({}, {"REGSUITE_REQUEST_TIMEOUT": "25"}, {"request_timeout": "20"}, 25.0),
    ({"timeout": "30"}, {"REGSUITE_REQUEST_TIMEOUT": "25"}, {"request_timeout": "20"}, 30.0),
])
def test_precedence_of_a_number(options: dict[str, Any], env: dict[str, str], ini: dict[str, Any],
                                expected: float) -> None:
    assert settle(options, env, ini).timeout == expected


def test_an_empty_environment_variable_does_not_count() -> None:
    settings = settle(env={"REGSUITE_REGISTRY_URL": "", "OCI_ROOT_URL": URL_OCI})
    assert settings.registry_urls == [URL_OCI]


def test_lists_and_booleans_from_text() -> None:
    settings = settle(env={"REGSUITE_REGISTRY_URL": f"{URL_CLI}, {URL_OCI}", "REGSUITE_REGISTRY_INSECURE": "yes"})
    assert settings.registry_urls == [URL_CLI, URL_OCI] and settings.insecure is True
    assert settle(env={"REGSUITE_REGISTRY_INSECURE": "0"}).insecure is False
    assert settle({"registry_urls": [URL_CLI, URL_OCI]}).registry_urls == [URL_CLI, URL_OCI]


def declared_options() -> list[Option]:
    """Every option the plugin declares: the OPTIONS of each of its modules."""
    found: list[Option] = []
    for module in pkgutil.iter_modules(fixtures_package.__path__):
        found += getattr(importlib.import_module(f"regsuite.fixtures.{module.name}"), "OPTIONS", [])
    return found


def test_every_declared_option_is_documented_with_its_environment_names() -> None:
    """The README and docs tables are checked against the one declaration of each option."""
    docs = (ROOT / "README.md").read_text() + "".join(p.read_text() for p in sorted((ROOT / "docs").rglob("*.md")))
    declared = declared_options()
    assert {"--registry-url", "--tls-ca", "--expectations", "--fuzz-profile"} <= {o.flags[0] for o in declared}
    missing = [f"{o.flags[0]} ({name})" for o in declared for name in (o.flags[0], *o.env) if name not in docs]
    assert not missing, f"options declared but not documented in README.md or docs/: {missing}"


def test_every_option_has_a_flag_and_a_documented_source() -> None:
    settings = settle()
    assert set(settings.sources) == {opt.dest for opt in OPTIONS}
    for opt in OPTIONS:
        assert opt.flags and opt.flags[0].startswith("--") and opt.help
        assert all(name.startswith(("REGSUITE_", "OCI_")) for name in opt.env)


# -- the official suite's names -----------------------------------------------------------

OCI_ALIASES = {
    "OCI_ROOT_URL": ("registry_urls", [URL_OCI], URL_OCI),
    "OCI_USERNAME": ("username", "oci-user", "oci-user"),
    "OCI_NAMESPACE": ("prefix", "oci/ns", "oci/ns"),
    "OCI_CROSSMOUNT_NAMESPACE": ("crossmount_namespace", "oci/other", "oci/other"),
    "OCI_TAG_NAME": ("ro_tag", "v1", "v1"),
    "OCI_MANIFEST_DIGEST": ("ro_manifest_digest", "sha256:" + "a" * 64, "sha256:" + "a" * 64),
    "OCI_BLOB_DIGEST": ("ro_blob_digest", "sha256:" + "b" * 64, "sha256:" + "b" * 64),
    "OCI_REPORT_DIR": ("report_dir", Path("oci-reports"), "oci-reports"),
}


@pytest.mark.parametrize("name", sorted(OCI_ALIASES))
def test_oci_alias(name: str) -> None:
    dest, expected, raw = OCI_ALIASES[name]
    env = {name: raw, "OCI_PASSWORD": "oci-password"}
    settings = settle(env=env)
    assert getattr(settings, dest) == expected
    assert settings.sources[dest] == f"environment {name}"


def test_oci_password_and_regsuite_names_win_over_oci() -> None:
    settings = settle(env={"OCI_USERNAME": "oci-user", "OCI_PASSWORD": "oci-password"})
    assert (settings.username, settings.password) == ("oci-user", "oci-password")
    both = settle(env={"OCI_USERNAME": "oci-user", "OCI_PASSWORD": "oci-password",
                       "REGSUITE_USERNAME": "rs-user", "REGSUITE_PASSWORD": "rs-password"})
    assert (both.username, both.password) == ("rs-user", "rs-password")


@pytest.mark.parametrize(("env", "areas"), [
    ({}, None),
    ({"OCI_TEST_PULL": "1"}, {"pull"}),
    ({"OCI_TEST_PULL": "1", "OCI_TEST_PUSH": "true"}, {"pull", "push"}),
    ({"OCI_TEST_CONTENT_DISCOVERY": "yes", "OCI_TEST_CONTENT_MANAGEMENT": "1", "OCI_TEST_PUSH": "0"},
     {"discovery", "management"}),
    ({name: "1" for name in OCI_WORKFLOWS}, {"pull", "push", "discovery", "management"}),
], ids=["none-set-runs-all", "pull", "pull-push", "discovery-management", "all"])
def test_oci_workflow_switches(env: dict[str, str], areas: set[str] | None) -> None:
    settings = settle(env=env)
    assert settings.areas == (frozenset(areas) if areas is not None else None)


# -- docker login credentials ----------------------------------------------------------------


def _auth(username: str, password: str) -> str:
    return base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.mark.parametrize("key", ["127.0.0.1:5001", "http://127.0.0.1:5001", "https://127.0.0.1:5001/v2/"])
def test_credentials_from_docker_config(empty_docker_config: Path, key: str) -> None:
    (empty_docker_config / "config.json").write_text(json.dumps({"auths": {key: {"auth": _auth("dora", "d-pass")}}}))
    settings = settle({"registry_urls": [URL_CLI]})
    assert (settings.username, settings.password) == ("dora", "d-pass")
    assert settings.sources["username"] == settings.sources["password"] == "docker config"
    assert settings.public()["password"] == "<redacted>"


def test_given_credentials_beat_the_docker_config(empty_docker_config: Path) -> None:
    (empty_docker_config / "config.json").write_text(
        json.dumps({"auths": {"127.0.0.1:5001": {"auth": _auth("dora", "d-pass")}}}))
    settings = settle({"registry_urls": [URL_CLI]}, {"REGSUITE_USERNAME": "own", "REGSUITE_PASSWORD": "own-pass"})
    assert (settings.username, settings.password) == ("own", "own-pass")


@pytest.mark.parametrize("content", [
    json.dumps({"auths": {"registry.example.com": {"auth": _auth("x", "y")}}}),  # another host
    json.dumps({"auths": {"127.0.0.1:5001": {}}}),  # an entry without auth (e.g. a helper's marker)
    "{not json",
], ids=["other-host", "no-auth-field", "malformed"])
def test_docker_config_without_usable_credentials(empty_docker_config: Path, content: str) -> None:
    (empty_docker_config / "config.json").write_text(content)
    settings = settle({"registry_urls": [URL_CLI]})
    assert settings.username is None and settings.password is None


def test_credential_helper_named_in_docker_config(empty_docker_config: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """`credsStore` names a docker-credential-<name> program; regsuite asks it for the host."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    asked = tmp_path / "asked"
    helper = bin_dir / "docker-credential-regsuite-test"
    helper.write_text(f'#!/bin/sh\ncat > {asked}\necho \'{{"Username": "helen", "Secret": "h-secret"}}\'\n')
    helper.chmod(helper.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    (empty_docker_config / "config.json").write_text(json.dumps({"credsStore": "regsuite-test", "auths": {}}))
    settings = settle({"registry_urls": [URL_CLI]})
    assert (settings.username, settings.password) == ("helen", "h-secret")
    assert asked.read_text() == "127.0.0.1:5001"


# -- what reports show -------------------------------------------------------------------------


def test_public_settings_redact_secrets() -> None:
    settings = settle({"registry_urls": [URL_CLI], "username": "pat", "password": "pat-Password-1"},
                      {"REGSUITE_PULL_USERNAME": "pam", "REGSUITE_PULL_PASSWORD": "pam-Password-2"})
    public = settings.public()
    assert public["password"] == public["pull_password"] == "<redacted>"
    assert public["username"] == "pat" and public["pull_username"] == "pam"
    text = json.dumps(public)
    assert "pat-Password-1" not in text and "pam-Password-2" not in text
    assert "pat-Password-1" not in repr(settings) and "pam-Password-2" not in repr(settings)
    assert public["sources"]["password"] == "command line"
    assert settle().public()["password"] is None


def test_contradictions_are_usage_errors(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("not checked here")
    with pytest.raises(UsageError, match="contradict"):
        settle({"registry_urls": [URL_CLI], "insecure": True, "ca": str(ca)})
    with pytest.raises(UsageError, match="go together"):
        settle({"client_cert": str(ca)})


# -- the real plugin, in a pytest process -------------------------------------------------------


def test_precedence_in_a_real_run(shared_distribution: Target, tmp_path: Path) -> None:
    """The command line beats both environments, and the report says where each value came from."""
    wrong = f"http://127.0.0.1:{1}"
    env = {"REGSUITE_REGISTRY_URL": wrong, "OCI_ROOT_URL": wrong, "OCI_NAMESPACE": "oci-ns/from-env",
           "DOCKER_CONFIG": str(tmp_path)}
    run = run_conformance(shared_distribution.url, tmp_path / "reports", checks=["ping"], env=env)
    assert run.returncode == 0, run.output[-3000:]
    assert run.results is not None
    config = run.results.config
    assert config["registry_urls"] == [shared_distribution.url]
    assert config["sources"]["registry_urls"] == "command line"
    assert config["prefix"] == "oci-ns/from-env" and config["sources"]["prefix"] == "environment OCI_NAMESPACE"


def test_ini_value_in_a_real_run(shared_distribution: Target, tmp_path: Path) -> None:
    run = run_conformance(None, tmp_path / "reports", "-o", f"registry_url={shared_distribution.url}", checks=["ping"],
                          env={"DOCKER_CONFIG": str(tmp_path)})
    assert run.returncode == 0, run.output[-3000:]
    assert run.results is not None and run.results.config["sources"]["registry_urls"] == "config registry_url"
