"""Running one property against a registry and reporting its minimal failing example.

A registry that stops answering ends the property at once: hypothesis would
shrink the failing example, and every shrink step would wait out a request
timeout (or meet the run's circuit, over and over). The example after one
whose requests failed at the transport level stops hypothesis (a
BaseException it lets through), and the check ends with the `error` verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx
from hypothesis import settings as Settings
from hypothesis.database import ExampleDatabase
from hypothesis.errors import FlakyFailure

from ..client import RegistryClient
from .profiles import Profile
from .replay import replay_lines


class FuzzFailure(AssertionError):
    """A property failed; the message holds the minimal example and its requests."""


class RegistryStopped(httpx.TransportError):
    """The registry stopped answering during a property (the verdict is `error`, as for any transport error)."""


class _StopHypothesis(BaseException):
    """Raised inside hypothesis, which lets a BaseException through without shrinking."""


@dataclass
class FuzzTarget:
    """What a property needs: a client (writes guarded to the run namespace) and a repository to grow names under."""

    client: RegistryClient
    repo: str
    profile: Profile
    database: ExampleDatabase | None = None
    explicit_examples: bool = True  # the boundary cases every profile tries first; off to test generation alone

    @property
    def settings(self) -> Settings:
        return self.profile.settings(self.database, explicit=self.explicit_examples)

    @property
    def stateful_settings(self) -> Settings:
        return self.profile.settings(self.database, stateful=True)

    def begin_example(self) -> None:
        """Each example starts a fresh transcript, so a failure shows only its own requests.

        When a request of the previous example failed in transport (timeout, refused, the run's circuit),
        the property stops here instead of letting hypothesis shrink against a registry that is not answering.
        """
        failed = next((e for e in self.client.transcript.exchanges if e.error), None)
        if failed is not None:
            raise _StopHypothesis(f"{failed.method} {failed.url}: {failed.error}")
        self.client.transcript.clear()


def run(target: FuzzTarget, what: str, test: Callable[[], None]) -> None:
    """Run a hypothesis test (already bound to its settings); re-raise a failure as FuzzFailure."""
    try:
        test()
    except _StopHypothesis as stop:
        raise RegistryStopped(f"{what}: stopped, the registry did not answer: {stop}") from None
    except AssertionError as failure:
        raise FuzzFailure(failure_text(target, what, failure)) from None
    except FlakyFailure as flaky:  # failed once, then passed on replay: a registry that answers differently
        first = next((e for e in flaky.exceptions if isinstance(e, AssertionError)), None)
        if first is None:
            raise
        text = failure_text(target, what, first)
        raise FuzzFailure(f"{text}\n(flaky: this failure did not happen again when the example was replayed)") from None


def failure_text(target: FuzzTarget, what: str, failure: AssertionError) -> str:
    # pytest rewrites asserts in a plugin's whole package: keep the message, not the operand explanation
    message = str(failure).split("\nassert ")[0].strip() or type(failure).__name__
    notes = [n for n in getattr(failure, "__notes__", []) if not n.startswith("You can reproduce")]
    example = "\n".join(f"  {line}" for note in notes for line in note.splitlines())
    requests = "\n".join(f"  {line}" for line in replay_lines(target.client.transcript))
    return (
        f"{what}: {message}\n"
        f"Minimal example (profile {target.profile.name}):\n{example or '  (none recorded)'}\n"
        f"Its requests, in order:\n{requests or '  (none)'}"
    )
