"""The distribution registry binary as a child process."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from ..errors import NoEmbeddedRegistry, TargetStartError
from ..target import Target
from .config import RegistryConfig, free_port, url_for, write_config
from .readiness import wait_ready

BINARY_NAMES = ("docker-registry", "registry")


def registry_binary() -> str | None:
    """The distribution binary on PATH (Debian names it docker-registry)."""
    override = os.environ.get("REGSUITE_REGISTRY_BINARY")
    if override:
        return override if shutil.which(override) else None
    for name in BINARY_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


class ProcessProvider:
    """Runs `docker-registry serve` with a temporary config and storage on a free loopback port."""

    kind = "process"

    def __init__(self, config: RegistryConfig | None = None, *, binary: str | None = None, start_timeout: float = 15.0) -> None:
        self.config = config or RegistryConfig()
        self.binary = binary or registry_binary()
        self.start_timeout = start_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.workdir: Path | None = None
        self.target: Target | None = None
        self.log_path: Path | None = None

    def start(self) -> Target:
        if not self.binary:
            raise NoEmbeddedRegistry(
                "no registry binary found: install the CNCF distribution registry "
                "(apt-get install docker-registry) or pass --registry-url"
            )
        self.workdir = Path(tempfile.mkdtemp(prefix="regsuite-registry-"))
        storage = self.config.storage_dir or (self.workdir / "storage")
        port = self.config.port or free_port(self.config.host)
        config_path = self.workdir / "config.yml"
        write_config(self.config.render(port, storage), config_path)
        self.log_path = self.workdir / "registry.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [self.binary, "serve", str(config_path)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # keep the terminal's Ctrl-C for pytest; we stop it ourselves
            )
        url = url_for(self.config, port)
        if not wait_ready(url, timeout=self.start_timeout, alive=lambda: self.process is not None and self.process.poll() is None):
            log_text = self.log()
            self.stop()
            raise TargetStartError(f"the registry process did not start on {url}; its log:\n{log_text[-4000:]}")
        self.target = Target(url, capabilities=self.config.capabilities(), description=f"distribution ({self.binary}) as a process")
        return self.target

    def log(self) -> str:
        if self.log_path and self.log_path.exists():
            return self.log_path.read_text(errors="replace")
        return ""

    def stop(self) -> None:
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __enter__(self) -> Target:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
