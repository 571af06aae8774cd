"""Placing the target's CA (and client pair) where each client program looks for them.

Both docker and containers/image read a per-registry directory: `*.crt` are
CAs to trust, `*.cert` + `*.key` with the same stem a client certificate.
containers/image takes any directory (`--cert-dir`); docker only reads
`/etc/docker/certs.d/<host:port>/`, so files placed there are removed again.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..target import Target

DOCKER_CERTS_D = Path("/etc/docker/certs.d")


def cert_files(target: Target, stem: str = "regsuite") -> dict[str, bytes]:
    """The files a certs.d directory needs for `target` (empty for plain HTTP or no CA)."""
    files: dict[str, bytes] = {}
    if not target.is_tls:
        return files
    if target.ca:
        files[f"{stem}-ca.crt"] = target.ca.read_bytes()
    if target.client_cert:
        files[f"{stem}-client.cert"] = target.client_cert[0].read_bytes()
        files[f"{stem}-client.key"] = target.client_cert[1].read_bytes()
    return files


def write_cert_dir(target: Target, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in cert_files(target).items():
        (directory / name).write_bytes(data)
    return directory


class DockerCerts:
    """The target's files in /etc/docker/certs.d/<host:port>/ while in use; `remove()` takes them back."""

    def __init__(self, target: Target, root: Path = DOCKER_CERTS_D) -> None:
        self.directory = root / target.host
        # our own names, per process: an administrator's files and another run's (pytest-xdist) stay untouched
        self.files = cert_files(target, f"regsuite-{os.getpid()}")
        self.created_dir = False
        self.written: list[Path] = []

    def place(self) -> None:
        """Raises OSError when the directory is not writable (docker then cannot trust the CA)."""
        if not self.files:
            return
        self.created_dir = not self.directory.exists()
        self.directory.mkdir(parents=True, exist_ok=True)
        for name, data in self.files.items():
            path = self.directory / name
            path.write_bytes(data)
            self.written.append(path)

    def remove(self) -> None:
        for path in self.written:
            path.unlink(missing_ok=True)
        self.written.clear()
        if self.created_dir:
            self.created_dir = False
            try:
                self.directory.rmdir()
            except OSError:
                pass  # another run still has its files there: an empty directory left behind is harmless
