"""`pytest loadtest --load-profile NAME`: a load run as a test.

The registry comes from the suite's own options (--registry-url, credentials,
CA; an embedded registry when none is given), the reports go to
<--report-dir>/load/<run>/, and the test fails with the SLO gate's line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from regsuite.load.profiles import Profile, profile_named
from regsuite.load.runner import default_profiles

LINES_KEY = pytest.StashKey[list[str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("regsuite-load", "load testing (regsuite)")
    group.addoption("--load-profile", default="smoke", help="profile to run (default: smoke)")
    group.addoption("--load-profiles", type=Path, default=None, help="profiles file (default: the shipped one)")
    group.addoption("--load-processes", type=int, default=None, help="locust --processes N")
    group.addoption("--load-workers", type=int, default=0, help="a locust master and N workers on loopback")


@pytest.fixture(scope="session")
def load_profile(request: pytest.FixtureRequest) -> Profile:
    path = request.config.getoption("--load-profiles") or default_profiles()
    return profile_named(path, request.config.getoption("--load-profile"))


def pytest_configure(config: pytest.Config) -> None:
    config.stash[LINES_KEY] = []


@pytest.fixture(scope="session")
def load_report_lines(request: pytest.FixtureRequest) -> list[str]:
    """Lines the load test leaves for the terminal summary."""
    return request.config.stash[LINES_KEY]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    for line in config.stash.get(LINES_KEY, []):
        terminalreporter.write_line(f"regsuite load: {line}")
