"""The repository root: loads regsuite's pytest plugin (every module of `fixtures/`).

Each module there is one concern (settings, target, checks, results, proxy,
tls, auth, ...); adding a module adds it to the plugin.
"""

import pkgutil
from pathlib import Path

import pytest

# The plugin modules import each other; rewrite them all before the first import.
pytest.register_assert_rewrite("fixtures")

pytest_plugins = sorted(
    f"fixtures.{m.name}" for m in pkgutil.iter_modules([str(Path(__file__).parent / "fixtures")])
)
