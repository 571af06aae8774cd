"""The docker CLI against the target: login, load, push, pull, inspect, remove.

The engine does the registry traffic, so TLS trust goes where the engine
reads it (/etc/docker/certs.d) and credentials into a config directory of our
own (`docker --config`), never the user's ~/.docker.
"""

from __future__ import annotations

import ipaddress
import json
import shutil
from pathlib import Path
from typing import Any

from ..target import Target
from .certs import DockerCerts
from .runner import ClientProgram, ClientResult, ClientUnavailable, run_program

PROGRAM = "docker"


def docker_unavailable(target: Target, timeout: float = 15.0) -> str | None:
    """Why the docker checks cannot run against `target` here, or None."""
    if not shutil.which(PROGRAM):
        return "the docker CLI is not installed"
    version = run_program([PROGRAM, "version", "--format", "{{.Server.Version}}"], timeout=timeout)
    if not version.ok:
        first = (version.message.splitlines() or ["no answer"])[0]
        return f"no Docker engine answers ({first})"
    if target.is_tls and target.insecure and not _is_loopback(target.host):
        return (
            f"--registry-insecure: the Docker engine verifies TLS for {target.host} unless the engine's "
            "insecure-registries lists it"
        )
    return None


class DockerCLI(ClientProgram):
    def __init__(self, target: Target, workdir: Path, *, timeout: float = 120.0) -> None:
        super().__init__(target, timeout=timeout)
        self.config_dir = workdir / "docker-config"
        self.config_dir.mkdir(parents=True, exist_ok=True)
        self.certs = DockerCerts(target)

    def prepare(self) -> None:
        try:
            self.certs.place()
        except OSError as exc:
            raise ClientUnavailable(
                f"cannot place the registry CA for docker in {self.certs.directory}: {exc}"
            ) from None

    def close(self) -> None:
        self.certs.remove()

    def command(self) -> list[str]:
        return [PROGRAM, "--config", str(self.config_dir)]

    def login_into(self, config_dir: Path, username: str, password: str) -> ClientResult:
        """`docker login` with these credentials, kept in `config_dir`: the session's own login stays as it is."""
        argv = [PROGRAM, "--config", str(config_dir), "login", "--username", username, "--password-stdin",
                self.target.host]
        return run_program(argv, timeout=self.timeout, input=password)

    def load(self, archive: Path) -> ClientResult:
        return self.run("load", "--input", str(archive))

    def push(self, ref: str) -> ClientResult:
        return self.run("push", ref)

    def pull(self, ref: str) -> ClientResult:
        return self.run("pull", ref)

    def remove(self, *refs: str) -> ClientResult:
        return self.run("image", "rm", "--force", *refs)

    def inspect(self, ref: str) -> dict[str, Any] | None:
        result = self.run("image", "inspect", ref)
        if not result.ok:
            return None
        found = json.loads(result.stdout or "[]")
        return found[0] if found else None


def _is_loopback(host: str) -> bool:
    name = host.rsplit(":", 1)[0].strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
