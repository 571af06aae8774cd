"""Speed work changes no verdict: the default URL-mode run against distribution 2.8.2 gives, check id by
check id, the outcomes recorded in tests/data/ (the ids that existed before the speed work had them there),
with checks running side by side and with `--concurrency 1`. And `--concurrency` bounds what is on the wire.

Timings are not compared here (benchmarks/conformance_speed.py measures them side by side).
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from regsuite.providers import ProcessProvider, RegistryConfig
from regsuite.results import RunResults
from regsuite.testing.faultproxy import FaultProxy, Mutation
from tests.support import ROOT, run_conformance

RECORDED = ROOT / "tests" / "data" / "verdicts-distribution-2.8.2-url.json"
LEFT_OUT = {"clients"}  # depends on the client programs installed, not on the registry


def verdicts(results: RunResults) -> dict[str, str]:
    return {c.id: c.outcome.value for c in results.checks if c.area not in LEFT_OUT}


def default_run(report_dir: Path, *args: str) -> RunResults:
    with ProcessProvider(RegistryConfig(delete_enabled=True)) as target:
        run = run_conformance(target.url, report_dir, "-m", "not clients", *args)
    assert run.results is not None, run.output[-3000:]
    return run.results


@pytest.mark.parametrize("concurrency", [[], ["--concurrency", "1"]], ids=["side-by-side", "one-at-a-time"])
def test_verdicts_per_check_id_are_as_recorded(tmp_path: Path, concurrency: list[str]) -> None:
    recorded: dict[str, str] = json.loads(RECORDED.read_text())["verdicts"]
    now = verdicts(default_run(tmp_path, *concurrency))
    changed = [f"{i}: recorded {recorded[i]}, now {now[i]}" for i in sorted(recorded.keys() & now.keys())
               if recorded[i] != now[i]]
    assert not changed, "verdicts changed:\n" + "\n".join(changed[:30])
    assert now.keys() == recorded.keys(), (
        f"check ids not recorded: {sorted(now.keys() - recorded.keys())[:10]}; recorded but gone: "
        f"{sorted(recorded.keys() - now.keys())[:10]}. A new or renamed check: refresh the record "
        "(python -m tests.test_speed_verdicts --record) and say why in the commit"
    )


@pytest.mark.parametrize("bound", [1, 4])
def test_concurrency_bounds_the_requests_on_the_wire(tmp_path: Path, bound: int,
                                                     fault_proxy: Callable[..., FaultProxy]) -> None:
    """Every answer is slow, so checks running ahead pile up at the proxy as far as the bound lets them."""
    proxy = fault_proxy(Mutation("slow answers", delay=0.02))
    run = run_conformance(proxy.url, tmp_path, "--concurrency", str(bound), "-m", "push or pull or discovery")
    assert run.results is not None, run.output[-2000:]
    assert len(proxy.requests) > 50
    assert proxy.peak_in_flight == bound, f"at most {bound} requests at once were allowed, {proxy.peak_in_flight} came"


if __name__ == "__main__" and sys.argv[1:] == ["--record"]:
    with tempfile.TemporaryDirectory() as scratch:
        data = json.loads(RECORDED.read_text())
        data["verdicts"] = dict(sorted(verdicts(default_run(Path(scratch))).items()))
        RECORDED.write_text(json.dumps(data, indent=1) + "\n")
