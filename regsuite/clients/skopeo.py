"""skopeo (containers/image) against the target: login, copy, inspect, delete.

TLS follows the target: plain HTTP or --registry-insecure means
`--tls-verify=false` (containers/image then also falls back to HTTP), a CA
goes into a `--cert-dir` of our own. Credentials live in our own `--authfile`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from ..target import Target
from .certs import write_cert_dir
from .runner import ClientProgram, ClientResult, run_program

PROGRAM = "skopeo"


def skopeo_unavailable(timeout: float = 15.0) -> str | None:
    if not shutil.which(PROGRAM):
        return "skopeo is not installed"
    version = run_program([PROGRAM, "--version"], timeout=timeout)
    return None if version.ok else f"skopeo does not run: {version.message}"


class Skopeo(ClientProgram):
    transport = "docker://"

    def __init__(self, target: Target, workdir: Path, *, timeout: float = 120.0) -> None:
        super().__init__(target, timeout=timeout)
        self.authfile = workdir / "skopeo-auth.json"
        self.cert_dir = write_cert_dir(target, workdir / "skopeo-certs")

    def _tls(self, side: str = "") -> list[str]:
        """TLS options for the registry side of a command (side: "", "src-", "dest-")."""
        if not self.target.is_tls or self.target.insecure:
            return [f"--{side}tls-verify=false"]
        return [f"--{side}cert-dir", str(self.cert_dir)]

    def _remote(self, side: str = "") -> list[str]:
        """TLS and credential options for the registry side of a command.

        Always our own authfile (missing until a login: anonymous), never the user's default one.
        """
        return [f"--{side}authfile", str(self.authfile), *self._tls(side)]

    def command(self) -> list[str]:
        return [PROGRAM]

    def login_options(self) -> list[str]:
        return ["--authfile", str(self.authfile), *self._tls()]

    def copy_to_registry(self, layout: Path, tag: str, dest: str) -> ClientResult:
        # the signature policy is the host's business, not the registry's
        return self.run("--insecure-policy", "copy", *self._remote("dest-"), f"oci:{layout}:{tag}", dest)

    def copy_from_registry(self, src: str, layout: Path, tag: str) -> ClientResult:
        return self.run("--insecure-policy", "copy", *self._remote("src-"), src, f"oci:{layout}:{tag}")

    def inspect_raw(self, ref: str) -> ClientResult:
        return self.run("inspect", "--raw", *self._remote(), ref)

    def inspect(self, ref: str) -> tuple[ClientResult, dict[str, Any] | None]:
        result = self.run("inspect", *self._remote(), ref)
        try:
            return result, (json.loads(result.stdout) if result.ok else None)
        except ValueError:
            return result, None

    def delete(self, ref: str) -> ClientResult:
        return self.run("delete", *self._remote(), ref)
