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
from .runner import ClientResult, run_program

PROGRAM = "skopeo"


def skopeo_unavailable(timeout: float = 15.0) -> str | None:
    if not shutil.which(PROGRAM):
        return "skopeo is not installed"
    version = run_program([PROGRAM, "--version"], timeout=timeout)
    return None if version.ok else f"skopeo does not run: {version.message}"


class Skopeo:
    def __init__(self, target: Target, workdir: Path, *, timeout: float = 120.0) -> None:
        self.target = target
        self.timeout = timeout
        self.authfile = workdir / "skopeo-auth.json"
        self.cert_dir = write_cert_dir(target, workdir / "skopeo-certs")
        self._login: ClientResult | None = None

    def ref(self, repo: str, tag_or_digest: str) -> str:
        sep = "@" if ":" in tag_or_digest else ":"
        return f"docker://{self.target.host}/{repo}{sep}{tag_or_digest}"

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

    def run(self, *args: str, input: str | None = None) -> ClientResult:
        return run_program([PROGRAM, *args], timeout=self.timeout, input=input)

    def login(self) -> ClientResult | None:
        if not self.target.username:
            return None
        if self._login is None or not self._login.ok:
            self._login = self.run(
                "login",
                "--authfile",
                str(self.authfile),
                *self._tls(),
                "--username",
                self.target.username,
                "--password-stdin",
                self.target.host,
                input=self.target.password or "",
            )
        return self._login

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
