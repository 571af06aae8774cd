"""The distribution registry binary as a child process."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
from pathlib import Path

from ..errors import NoEmbeddedRegistry, TargetStartError
from ..target import Target
from .base import EmbeddedProvider
from .config import RegistryConfig, free_port, write_config
from .orphans import PID_FILE, make_workdir, sweep_workdirs
from .readiness import listens_on

BINARY_NAMES = ("docker-registry", "registry")
WORKDIR_PREFIX = "regsuite-registry-"
STOP_GRACE = 5.0  # seconds between SIGTERM and SIGKILL


def registry_binary() -> str | None:
    """The distribution binary: REGSUITE_REGISTRY_BINARY, else on PATH (Debian names it docker-registry)."""
    override = os.environ.get("REGSUITE_REGISTRY_BINARY")
    if override:
        return shutil.which(override)
    for name in BINARY_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _death_signal_prefix() -> list[str]:
    """`setpriv --pdeathsig TERM --` so the registry dies with us even when we are killed.

    The kernel sends the signal when the *thread* that started the child ends,
    so it is only safe from the main thread (which lives as long as the process).
    """
    if threading.current_thread() is not threading.main_thread():
        return []
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--"] if setpriv else []


class ProcessProvider(EmbeddedProvider):
    """Runs `docker-registry serve` with a temporary config and storage on a free loopback port.

    The registry runs in its own session (the terminal's Ctrl-C goes to the
    test runner, which stops it) and is sent SIGTERM by the kernel if this
    process dies without stopping it.
    """

    kind = "process"

    def __init__(
        self, config: RegistryConfig | None = None, *, binary: str | None = None, start_timeout: float = 15.0
    ) -> None:
        super().__init__(config, start_timeout)
        self.binary = binary or registry_binary()
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path: Path | None = None
        self._log_text = ""  # kept after stop, for failure messages

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def _start(self) -> Target:
        if not self.binary:
            raise NoEmbeddedRegistry(
                "no registry binary found: install the CNCF distribution registry "
                "(apt-get install docker-registry) or pass --registry-url"
            )
        sweep_workdirs(WORKDIR_PREFIX)
        self.workdir = make_workdir(WORKDIR_PREFIX)
        storage = self.config.storage_dir or (self.workdir / "storage")
        port = self.config.port or free_port(self.config.host)
        config_path = self.workdir / "config.yml"
        write_config(self.config.render(port, storage), config_path)
        self.log_path = self.workdir / "registry.log"
        with open(self.log_path, "wb") as log:
            try:
                self.process = subprocess.Popen(
                    [*_death_signal_prefix(), self.binary, "serve", str(config_path)],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,  # keep the terminal's Ctrl-C for the runner; we stop it ourselves
                )
            except OSError as exc:
                raise TargetStartError(f"cannot run the registry binary {self.binary}: {exc.strerror or exc}") from None
        (self.workdir / PID_FILE).write_text(str(self.process.pid))
        return self._ready_target(port, f"distribution ({self.binary}) as a process")

    def _alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _owns_port(self, port: int) -> bool | None:
        return listens_on(self.process.pid, port) if self.process is not None else False

    def log(self) -> str:
        if self.log_path and self.log_path.exists():
            self._log_text = self.log_path.read_text(errors="replace")
        return self._log_text

    def _stop(self) -> None:
        proc, self.process = self.process, None
        try:
            if proc is not None:
                _terminate(proc)
        finally:
            self.log()  # keep the text: the file goes with the temporary directory
            self.log_path = None


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the registry's process group, SIGKILL it after a grace period, reap it."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=STOP_GRACE)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=STOP_GRACE)
