"""oras-py (the `oras` Python package) against the target, through regsuite.clients.oras_driver.

The driver runs in a child process so every call has a timeout and oras'
own messages arrive as stderr, like the other clients'.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

from ..target import Target
from .runner import ClientProgram, ClientResult, run_program

DRIVER = "regsuite.clients.oras_driver"


def oras_unavailable() -> str | None:
    if importlib.util.find_spec("oras") is None:
        return "the oras Python package is not installed (pip install oras)"
    return None


class OrasPy(ClientProgram):
    def __init__(self, target: Target, workdir: Path, *, auth: str = "token", timeout: float = 120.0) -> None:
        super().__init__(target, timeout=timeout)
        self.auth = auth  # oras-py's auth backend: "basic" for htpasswd registries, else "token"
        self.authfile = workdir / "oras-auth.json"
        # an explicit empty file: oras-py would otherwise read the user's ~/.docker/config.json
        self.authfile.write_text('{"auths": {}}')

    def _options(self) -> list[str]:
        opts = ["--auth", self.auth, "--authfile", str(self.authfile)]
        if not self.target.is_tls:
            opts.append("--plain-http")
        elif self.target.insecure:
            opts.append("--no-verify")
        elif self.target.ca:
            opts += ["--ca", str(self.target.ca)]
        if self.target.is_tls and self.target.client_cert:
            opts += ["--client-cert", *(str(p) for p in self.target.client_cert)]
        if self.target.username:
            opts += ["--username", self.target.username]
        return opts

    def command(self) -> list[str]:
        return [sys.executable, "-m", DRIVER]

    def login(self) -> ClientResult | None:
        """Nothing to do once: oras-py's login runs inside every call (see `run`)."""
        return None

    def run(self, *args: str, input: str | None = None) -> ClientResult:
        # oras-py's own login runs in each call (the driver is one process per call): password on stdin
        password = (self.target.password or "") + "\n" if self.target.username else input
        return run_program([*self.command(), *args, *self._options()], timeout=self.timeout, input=password,
                           cwd=Path(__file__).resolve().parents[2])  # fmt: skip

    def push(self, ref: str, files: list[tuple[Path, str]], artifact_type: str) -> tuple[ClientResult, dict[str, Any]]:
        args = ["push", ref, "--artifact-type", artifact_type]
        for path, media_type in files:
            args += ["--file", f"{path}:{media_type}"]
        result = self.run(*args)
        return result, _json(result)

    def pull(self, ref: str, outdir: Path) -> tuple[ClientResult, dict[str, Any]]:
        result = self.run("pull", ref, "--outdir", str(outdir))
        return result, _json(result)


def _json(result: ClientResult) -> dict[str, Any]:
    if not result.ok:
        return {}
    try:
        return dict(json.loads(result.stdout.strip().splitlines()[-1]))
    except (ValueError, IndexError):
        return {}
