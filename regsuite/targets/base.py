"""What every provider shares: a context manager whose cleanup runs on any exit."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, Protocol, runtime_checkable

from ..target import Target


@runtime_checkable
class Provider(Protocol):
    """Anything that yields a ready Target and can stop it again."""

    kind: str

    def start(self) -> Target: ...

    def stop(self) -> None: ...

    def __enter__(self) -> Target: ...

    def __exit__(self, *exc: object) -> None: ...


class EmbeddedProvider(ABC):
    """A registry this process starts; `stop` removes everything `start` made.

    `start` cleans up after itself when it fails or is interrupted half-way
    (KeyboardInterrupt included), so a caller only has to stop what started.
    """

    kind: ClassVar[str]

    def __init__(self) -> None:
        self.target: Target | None = None

    def start(self) -> Target:
        if self.target is not None:
            raise RuntimeError(f"this {self.kind} provider is already running at {self.target.url}")
        try:
            self.target = self._start()
        except BaseException:
            self.stop()
            raise
        return self.target

    def stop(self) -> None:
        try:
            self._stop()
        finally:
            self.target = None

    @abstractmethod
    def _start(self) -> Target: ...

    @abstractmethod
    def _stop(self) -> None:
        """Idempotent: may run after a partial start, and more than once."""

    def log(self) -> str:
        return ""

    def __enter__(self) -> Target:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
