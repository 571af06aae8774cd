"""The conformance checks' own session work: what the selected checks need starts in the background.

What the checks read from the session's content (the store's fixtures and
markers) is regsuite.fixtures.content; the store itself regsuite.fixtures.store.
"""

from __future__ import annotations

import pytest

from regsuite.fixtures.ahead import Lanes
from regsuite.fixtures.content import content_fixture
from regsuite.fixtures.run import STOP_KEY, in_turn_only
from regsuite.fixtures.store import ContentStore


@content_fixture(scope="session", autouse=True)  # starts the store's work; reads nothing itself
def background_work(request: pytest.FixtureRequest) -> None:
    """With the first check, the work the selected checks need starts in the background: the content they read
    (content_store), then the checks that run ahead (client programs, regsuite.fixtures.ahead). The lanes wait
    for the content: by then the run's circuit knows which endpoints answer, and the two do not compete.

    None when the first contact failed on TLS: then only the tls checks run, on their own connections."""
    stop = request.config.stash.get(STOP_KEY, None)
    if stop is not None and stop.first_contact:
        return
    content_store: ContentStore = request.getfixturevalue("content_store")
    regsuite_lanes: Lanes = request.getfixturevalue("regsuite_lanes")
    if not in_turn_only(request.config, request.getfixturevalue("regsuite_run")):
        regsuite_lanes.start(request.session.items, after=content_store.settle, request=request)
