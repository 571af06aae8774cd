"""What every provider shares: a context manager whose cleanup runs on any exit."""

from __future__ import annotations

import shutil
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar, Protocol, runtime_checkable

from ..errors import TargetStartError
from ..target import Target
from .config import RegistryConfig, url_for
from .readiness import wait_ready


@runtime_checkable
class Provider(Protocol):
    """Anything that yields a ready Target and can stop it again."""

    kind: str

    def start(self) -> Target: ...

    def stop(self) -> None: ...

    def __enter__(self) -> Target: ...

    def __exit__(self, *exc: object) -> None: ...


PORT_ATTEMPTS = 3  # starts on fresh ports when a parallel process took the chosen one
OWNERSHIP_WAIT = 2.0  # seconds for our registry to show up as the port's listener


class PortTaken(TargetStartError):
    """The free port chosen for the registry was taken before it could bind it."""


class EmbeddedProvider(ABC):
    """A registry this process starts; `stop` removes everything `start` made.

    `start` cleans up after itself when it fails or is interrupted half-way
    (KeyboardInterrupt included), so a caller only has to stop what started.
    """

    kind: ClassVar[str]

    def __init__(self, config: RegistryConfig | None, start_timeout: float) -> None:
        self.config = config or RegistryConfig()
        self.start_timeout = start_timeout
        self.target: Target | None = None
        self.workdir: Path | None = None  # the temporary directory `stop` removes

    def start(self) -> Target:
        if self.target is not None:
            raise RuntimeError(f"this {self.kind} provider is already running at {self.target.url}")
        for attempt in range(1, PORT_ATTEMPTS + 1):
            try:
                self.target = self._start()
                return self.target
            except PortTaken:
                self.stop()
                if attempt == PORT_ATTEMPTS:
                    raise
            except BaseException:
                self.stop()
                raise
        raise AssertionError("unreachable")

    def stop(self) -> None:
        try:
            self._stop()
        finally:
            if self.workdir is not None:
                shutil.rmtree(self.workdir, ignore_errors=True)
                self.workdir = None
            self.target = None

    @abstractmethod
    def _start(self) -> Target: ...

    @abstractmethod
    def _stop(self) -> None:
        """Stop what `_start` started (the temporary directory goes afterwards).

        Idempotent: may run after a partial start, and more than once.
        """

    @abstractmethod
    def _alive(self) -> bool:
        """False once the registry has exited (readiness stops waiting)."""

    def log(self) -> str:
        return ""

    def _owns_port(self, port: int) -> bool | None:
        """Whether our registry is the one listening on `port`; None when the provider cannot tell."""
        return None

    def _ready_target(self, port: int, description: str) -> Target:
        """Wait for /v2/ to answer; the Target, or TargetStartError with the registry's log.

        The port was free a moment before the registry bound it; a parallel
        process may have taken it in between. Then our registry exits with
        "address already in use" (or, worse, another one answers): PortTaken
        makes `start` try again on a new port, when the port was ours to choose.
        """
        url = url_for(self.config, port)
        ready = wait_ready(url, timeout=self.start_timeout, alive=self._alive)
        deadline = time.monotonic() + OWNERSHIP_WAIT
        while ready and self._owns_port(port) is False:  # the answer came from someone else's listener
            ready = self._alive() and time.monotonic() < deadline
            time.sleep(0.02)
        if ready and self._alive():
            return Target(url, capabilities=self.config.capabilities(), description=description)
        why = "exited" if not self._alive() else f"did not answer within {self.start_timeout:g}s"
        log = self.log()
        error = PortTaken if self.config.port is None and "address already in use" in log else TargetStartError
        raise error(f"the registry {self.kind} {why} on {url}; its log:\n{log[-4000:]}")

    def __enter__(self) -> Target:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
