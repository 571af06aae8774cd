"""regsuite as users get it: a wheel installed into a fresh virtual environment, run from an empty folder.

One wheel and one environment serve the module: the installed site-packages
holds no top-level `fixtures`, `conformance` or `loadtest`; `pytest --pyargs
regsuite.conformance` and `regsuite conformance` run against the embedded
registry and against a TLS registry given by URL with an absolute CA path
outside every checkout; `pytest --fixtures` lists no self-test fixture; `regsuite load` runs a smoke
profile; and the shell
steps of the reusable GitHub Action (action.yml) run as GitHub would run them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import venv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from support import ROOT

from regsuite.providers import ProcessProvider, RegistryConfig
from regsuite.target import Target
from regsuite.tls import TLSMaterial

pytestmark = pytest.mark.slow
FOREIGN = ("fixtures", "conformance", "loadtest")


@dataclass
class Installed:
    bin: Path
    site_packages: Path
    wheel: Path

    def env(self, **extra: str) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("REGSUITE_", "OCI_", "PYTEST_", "VIRTUAL"))}
        base["PATH"] = f"{self.bin}{os.pathsep}{base.get('PATH', '')}"
        return {**base, **extra}

    def run(self, cwd: Path, *argv: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin / argv[0]), *argv[1:]], cwd=cwd, env=self.env(**env), capture_output=True, text=True,
            timeout=timeout, stdin=subprocess.DEVNULL,
        )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel built from this tree, installed with its dependencies into a new virtual environment."""
    base = tmp_path_factory.mktemp("installed")
    dist = base / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
                   check=True, timeout=600, capture_output=True)
    wheel = next(dist.glob("regsuite-*.whl"))
    venv.create(base / "venv", with_pip=True)
    bin_dir = base / "venv" / "bin"
    done = subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                           str(wheel)], timeout=1200, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    site = next((base / "venv" / "lib").glob("python3*/site-packages"))
    return Installed(bin_dir, site, wheel)


@pytest.fixture
def empty(tmp_path: Path) -> Path:
    folder = tmp_path / "empty"
    folder.mkdir()
    return folder


@pytest.fixture(scope="module")
def tls_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Target, Path]]:
    """distribution over TLS; its CA written to an absolute path outside every checkout."""
    material = TLSMaterial(tmp_path_factory.mktemp("etc-ssl"))
    with ProcessProvider(RegistryConfig(tls=material.tls_files())) as target:
        yield target, material.ca_path.resolve()


def _results(folder: Path) -> dict[str, object]:
    path = folder / "reports" / "conformance" / "results.json"
    assert path.is_file(), f"no {path}"
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def test_nothing_foreign_lands_at_the_top_of_site_packages(installed: Installed) -> None:
    top = {p.name.removesuffix(".py") for p in installed.site_packages.iterdir()}
    assert not top & set(FOREIGN), f"top-level modules that belong to other PyPI projects: {top & set(FOREIGN)}"
    for sub in (*FOREIGN, "expectations"):
        assert (installed.site_packages / "regsuite" / sub / "__init__.py").is_file()
    assert (installed.site_packages / "regsuite" / "loadtest" / "profiles.yml").is_file()
    assert (installed.site_packages / "regsuite" / "expectations" / "distribution-2.8.2.yaml").is_file()


def test_version_and_check_list(installed: Installed, empty: Path) -> None:
    assert re.fullmatch(r"regsuite \d+\.\d+\.\d+\S*\n", installed.run(empty, "regsuite", "--version").stdout)
    listed = json.loads(installed.run(empty, "regsuite", "conformance", "--list-checks", "--format", "json").stdout)
    assert {"ping.v2-200", "push.blob-post-put", "auth.challenge-syntax"} <= {c["id"] for c in listed}


def test_pytest_pyargs_from_an_empty_folder_against_the_embedded_registry(installed: Installed, empty: Path) -> None:
    done = installed.run(empty, "pytest", "--pyargs", "regsuite.conformance", "-m", "ping or push",
                         "--expectations", "distribution-2.8.2", "-q")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "xfailed" in done.stdout, "known deviations are pytest xfails"
    assert len(_results(empty)["checks"]) > 20  # type: ignore[arg-type]


def test_regsuite_conformance_against_a_tls_registry_with_an_absolute_ca(
    installed: Installed, empty: Path, tls_registry: tuple[Target, Path]
) -> None:
    target, ca = tls_registry
    url = target.url.replace("127.0.0.1", "localhost")
    for command in (["regsuite", "conformance"], ["pytest", "--pyargs", "regsuite.conformance"]):
        done = installed.run(empty, *command, "--registry-url", url, "--registry-ca", str(ca), "-m", "ping or tls")
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
        outcomes = {c["id"]: c["outcome"] for c in _results(empty)["checks"]}  # type: ignore[attr-defined]
        assert outcomes["ping.v2-200"] == "passed" and outcomes["tls.chain"] == "passed"


def test_the_installed_plugin_offers_no_self_test_fixture(installed: Installed, empty: Path) -> None:
    """The self-test plugin (regsuite.testing) is opt-in: a user's pytest lists only the conformance fixtures."""
    done = installed.run(empty, "pytest", "--fixtures", "-q")
    listed = done.stdout
    assert "registry" in listed and "regsuite_run" in listed, listed[-2000:]
    for fixture in ("shared_distribution", "registry_factory", "fault_proxy"):
        assert fixture not in listed, f"{fixture} registers for every user of the installed plugin"
    opted_in = installed.run(empty, "pytest", "-p", "regsuite.testing", "--fixtures", "-q").stdout
    assert "fault_proxy" in opted_in and "shared_distribution" in opted_in, opted_in[-2000:]


def test_a_usage_error_is_one_line_and_exit_4(installed: Installed, empty: Path) -> None:
    done = installed.run(empty, "regsuite", "conformance", "--check", "push.blob-post-putt")
    output = done.stdout + done.stderr
    assert done.returncode == 4 and "Traceback" not in output
    assert "--check push.blob-post-putt: no such check; closest: push.blob-post-put" in output


def test_load_smoke_from_an_empty_folder(installed: Installed, empty: Path, shared_distribution: Target) -> None:
    done = installed.run(empty, "regsuite", "load", "--host", shared_distribution.url, "--profile", "smoke",
                         "--duration", "3", timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert list((empty / "reports" / "load").glob("*/summary.json"))


def test_the_actions_shell_steps_run_against_the_embedded_registry(installed: Installed, empty: Path) -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    inputs.update(install=str(installed.wheel), expectations="distribution-2.8.2", args="-m 'ping or push'")
    outputs, summary = empty / "github-output", empty / "step-summary"
    context = {"github.action_path": str(ROOT), **{f"inputs.{k}": v for k, v in inputs.items()}}
    ran = []
    for step in action["runs"]["steps"]:
        if "run" not in step:
            continue  # `uses:` steps are GitHub's own actions (setup-python, upload-artifact)
        assert step["shell"] == "bash"
        env = {k: _expand(str(v), context) for k, v in (step.get("env") or {}).items()}
        done = subprocess.run(["bash", "-e", "-c", _expand(step["run"], context)], cwd=empty, capture_output=True,
                              text=True, timeout=600,
                              env=installed.env(GITHUB_OUTPUT=str(outputs), GITHUB_STEP_SUMMARY=str(summary), **env))
        assert done.returncode == 0, f"step {step['name']!r}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
        ran.append(step["name"])
    assert ran == ["Install regsuite", "Conformance", "Summary"]
    assert "exit-code=0" in outputs.read_text()
    assert (empty / "regsuite-reports" / "conformance" / "junit.xml").is_file()
    assert summary.read_text().startswith("### regsuite: passed")


def _expand(text: str, context: dict[str, str]) -> str:
    """GitHub's `${{ a || b }}` expressions over the context (the subset action.yml uses)."""

    def value(expression: str) -> str:
        for alternative in expression.split("||"):
            got = context.get(alternative.strip(), "")
            if got:
                return got
        return ""

    return re.sub(r"\$\{\{\s*(.*?)\s*\}\}", lambda m: value(m.group(1)), text)
