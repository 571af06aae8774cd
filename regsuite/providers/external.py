"""A registry the user already runs, given by URL."""

from __future__ import annotations

from ..target import Target


class ExternalProvider:
    kind = "external"

    def __init__(self, target: Target) -> None:
        self.target = target

    def start(self) -> Target:
        return self.target

    def stop(self) -> None:
        """Nothing to stop: the registry is not ours."""

    def __enter__(self) -> Target:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
