"""Fuzzing budgets: `fast` for CI and every-day runs, `deep` for nightly runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError

if TYPE_CHECKING:  # hypothesis is imported only when the fuzz area runs: it costs every run ~0.2 s otherwise
    from hypothesis import settings
    from hypothesis.database import ExampleDatabase

DATABASE_DIR = Path("fuzz") / "examples"  # under the report directory


@dataclass(frozen=True)
class Profile:
    name: str
    max_examples: int  # examples per property
    programs: int  # programs per state machine
    step_count: int  # steps per state-machine program
    derandomize: bool  # the same examples every run (reproducible CI)

    def settings(self, database: ExampleDatabase | None, *, stateful: bool = False, explicit: bool = True) -> settings:
        from hypothesis import HealthCheck, Phase, settings

        return settings(
            max_examples=self.programs if stateful else self.max_examples,
            stateful_step_count=self.step_count,
            derandomize=self.derandomize,
            database=None if self.derandomize else database,  # derandomized runs need no memory
            deadline=None,  # network round trips vary; budgets are set by example counts
            report_multiple_bugs=False,  # one minimal failure per check, with its requests
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
            phases=[*([Phase.explicit] if explicit else []), Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
            print_blob=False,
        )


PROFILES = {
    "fast": Profile("fast", max_examples=25, programs=8, step_count=8, derandomize=True),
    "deep": Profile("deep", max_examples=500, programs=200, step_count=40, derandomize=False),
}


def profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise UsageError(f"fuzz profile must be one of {', '.join(PROFILES)}, got {name!r}") from None


def example_database(report_dir: Path) -> ExampleDatabase:
    """Failing examples are kept under the report directory and replayed first next run."""
    from hypothesis.database import DirectoryBasedExampleDatabase

    return DirectoryBasedExampleDatabase(str(report_dir / DATABASE_DIR))
