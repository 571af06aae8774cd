"""The load run behind `pytest loadtest --load-profile NAME`."""

from __future__ import annotations

import pytest

from regsuite.fixtures.run import settings_of
from regsuite.load.profiles import Profile
from regsuite.load.runner import LoadOptions, run_profile
from regsuite.target import Target


def test_load_profile(
    target: Target, load_profile: Profile, load_report_lines: list[str], request: pytest.FixtureRequest
) -> None:
    config = request.config
    result = run_profile(LoadOptions(
        target=target, profile=load_profile, report_dir=settings_of(config).report_dir,
        processes=config.getoption("--load-processes"), workers=config.getoption("--load-workers"),
    ))
    lines = load_report_lines
    lines.append(f"report {result.run_dir / 'summary.html'}")
    for note in (result.cpu.warning(), result.cpu.machine_note()):
        if note:
            lines.append(f"warning: {note}")
    lines.append(result.verdict())
    assert result.exit_code == 0, result.verdict()
