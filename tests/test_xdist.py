"""pytest-xdist: `-n 2` against a URL pushes each piece of session content once, gives the verdicts of a run in
one process, and a first contact that fails ends with its own exit code and line, as without xdist."""

from __future__ import annotations

import re
import threading
from collections import Counter
from pathlib import Path

from regsuite import datasets
from regsuite.errors import ExitCode
from regsuite.results import Outcome
from regsuite.target import Target
from regsuite.testing.faultproxy import Mutation, ProxyRequest
from tests.support import run_conformance

# Data set manifests PUT by tag into the run's data set repositories (per worker: <prefix>/<run-id>-gwN/datasets)
_DATASET_TAG_PUT = re.compile(r"/datasets(-[a-z-]+)?/manifests/(?P<tag>[^/?]+)$")


def test_content_is_pushed_once_and_the_verdicts_are_a_single_process_run(fault_proxy, tmp_path: Path) -> None:
    puts: Counter[str] = Counter()
    lock = threading.Lock()

    def count(request: ProxyRequest) -> bool:
        m = _DATASET_TAG_PUT.search(request.path)
        if request.method == "PUT" and m and not m.group("tag").startswith("sha"):
            with lock:
                puts[f"{m.group(1) or ''}:{m.group('tag')}"] += 1
        return False

    proxy = fault_proxy(Mutation("count data set pushes", when=count))
    areas = ["-m", "pull or push or management", "--registry-delete", "yes"]
    alone = run_conformance(proxy.url, tmp_path / "alone", *areas, timeout=300)
    puts.clear()
    spread = run_conformance(proxy.url, tmp_path / "spread", *areas, "-n", "2", timeout=300)
    assert alone.results is not None and spread.results is not None, spread.output[-3000:]
    assert "2 workers" in spread.output or "[gw1]" in spread.output or "bringing up nodes" in spread.output
    twice = sorted(tag for tag, n in puts.items() if n > 1)
    assert not twice, f"data sets pushed more than once under xdist: {twice}"
    tagged = {d.tag for d in (datasets.build(name) for name in datasets.DATASET_NAMES) if d.tag}
    assert {tag.split(":", 1)[1] for tag in puts} >= tagged - {"overwritten"}, sorted(puts)
    by_id = {c.id: c.outcome for c in alone.results.checks}
    changed = [f"{c.id}: alone {by_id.get(c.id)}, under xdist {c.outcome}" for c in spread.results.checks
               if by_id.get(c.id) != c.outcome]
    assert not changed, "\n".join(changed[:20])


def test_a_first_contact_that_fails_under_xdist_ends_with_its_code(tmp_path: Path) -> None:
    run = run_conformance("http://127.0.0.1:1", tmp_path, "-n", "2", "-m", "ping or push", timeout=120)
    assert run.returncode == ExitCode.TARGET_UNREACHABLE, run.output[-3000:]
    assert "Traceback" not in run.output and "INTERNALERROR" not in run.output
    assert run.output.strip().splitlines()[-1].startswith("regsuite: http://127.0.0.1:1: connection refused")
    assert run.results is not None and run.with_outcome(Outcome.PASSED) == []


def test_a_first_contact_that_fails_on_tls_under_xdist(shared_distribution: Target, tmp_path: Path) -> None:
    https = shared_distribution.url.replace("http://", "https://")
    run = run_conformance(https, tmp_path, "-n", "2", "-m", "ping or push", timeout=120)
    assert run.returncode == ExitCode.TARGET_TLS_ERROR, run.output[-3000:]
    assert "INTERNALERROR" not in run.output
