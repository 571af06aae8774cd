"""What does a registry that sheds load cost a conformance run, and what does --max-rate cost?

One registry process per setting (deletes enabled, plain HTTP), the same
selection each time, the settings side by side in one session and in turn
within each round:

- `alone`: the registry, nothing in front;
- `proxy`: a fault proxy that forwards everything (what the proxy itself costs);
- `throttled`: the proxy refusing one request in fifteen with 429 and
  `Retry-After: 1` (the setting of the report that led to honouring rate
  limits), never forwarding those;
- `max-rate`: the forwarding proxy, the run under `--max-rate` (default 50).

Recorded: wall time, the CPU of the suite, verdict counts, and for each
setting whether its verdicts are those of `alone` (the two checks that judge
the 429s themselves left aside), the refusals met and the seconds waited.
Usage:

    python benchmarks/rate_limited_run.py [--rounds 3] [--max-rate 50]
    python benchmarks/rate_limited_run.py --smoke   # seconds: the ping area, one round, printed, not recorded

`--smoke` is what CI runs (tests/test_benchmarks.py) so the script cannot rot;
its figures mean nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from regsuite.providers import ProcessProvider, RegistryConfig  # noqa: E402
from regsuite.results import RunResults  # noqa: E402
from regsuite.testing.faultproxy import FaultProxy, Mutation, throttle  # noqa: E402

SETTINGS = ("alone", "proxy", "throttled", "max-rate")
JUDGE_THE_REFUSALS = {"errors.retry-after", "errors.throttled-code"}


@dataclass
class Run:
    wall: float
    cpu: float  # seconds of CPU of the pytest process
    verdicts: dict[str, str]
    refusals: int
    waited: float


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def _front(setting: str, upstream: str) -> Iterator[str]:
    if setting == "alone":
        yield upstream
        return
    mutations: list[Mutation] = [throttle("one in fifteen", every=15, retry_after="1")] if setting == "throttled" \
        else []
    with FaultProxy(upstream, mutations) as proxy:
        yield proxy.url


def one_run(setting: str, selection: list[str], max_rate: float, timeout: float) -> Run:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REGSUITE_", "OCI_", "PYTEST_"))}
    rate = ["--max-rate", f"{max_rate:g}"] if setting == "max-rate" else []
    with ProcessProvider(RegistryConfig(delete_enabled=True)) as registry, _front(setting, registry.url) as url, \
            tempfile.TemporaryDirectory() as reports:
        cmd = [sys.executable, "-m", "pytest", "conformance", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
               "--registry-url", url, "--report-dir", reports, *rate, *selection]
        before, started = _children_cpu(), time.monotonic()
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
        wall, cpu = time.monotonic() - started, _children_cpu() - before
        path = Path(reports) / "conformance" / "results.json"
        if not path.exists():
            raise SystemExit(f"{setting}: no results.json (exit {proc.returncode}):\n"
                             f"{(proc.stdout + proc.stderr)[-3000:]}")
        results = RunResults.load(path)
    limits = results.run.rate_limits or {}
    return Run(wall, cpu, {c.id: c.outcome.value for c in results.checks}, limits.get("refusals", 0),
               limits.get("waited_s", 0.0))


def report(measured: dict[str, list[Run]], selection: list[str], max_rate: float) -> str:
    alone = measured["alone"][-1].verdicts
    lines = [
        "# A registry that sheds load: what it costs a conformance run",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.node()}: {os.cpu_count()} "
        f"CPUs, Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f} at the end. Selection "
        f"`{' '.join(selection)}`, `-p no:randomly`, a fresh registry per run, the settings in turn in each round; "
        f"`max-rate` is `--max-rate {max_rate:g}`.",
        "",
        "| setting | rounds | wall time (median, min-max) | suite CPU (median) | verdicts | same as alone | "
        "refusals met | seconds waited |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for setting, runs in measured.items():
        walls = [r.wall for r in runs]
        last = runs[-1]
        differ = [i for i in last.verdicts.keys() - JUDGE_THE_REFUSALS if last.verdicts[i] != alone.get(i)]
        counts = ", ".join(f"{n} {k}" for k, n in sorted(Counter(last.verdicts.values()).items()))
        same = "yes" if not differ else f"no: {len(differ)} differ ({', '.join(sorted(differ)[:3])})"
        lines.append(f"| {setting} | {len(runs)} | {statistics.median(walls):.1f} s ({min(walls):.1f}-"
                     f"{max(walls):.1f}) | {statistics.median(r.cpu for r in runs):.1f} s | {counts} | {same} | "
                     f"{last.refusals} | {last.waited:.0f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-rate", type=float, default=50.0)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds allowed per run")
    parser.add_argument("--out", type=Path, default=None,
                        help="where the results go (default: benchmarks/results/rate_limited_run.md; with --smoke, "
                             "nowhere)")
    parser.add_argument("--smoke", action="store_true",
                        help="a check that the script works: the ping area, one round; printed, not recorded")
    args = parser.parse_args()
    if not 1 <= args.rounds <= 10 or args.max_rate <= 0:
        parser.error("--rounds must be between 1 and 10, --max-rate positive")
    selection = ["-m", "ping"] if args.smoke else ["-m", "not clients"]
    rounds = 1 if args.smoke else args.rounds
    measured: dict[str, list[Run]] = {setting: [] for setting in SETTINGS}
    for n in range(rounds):
        for setting in SETTINGS:
            run = one_run(setting, selection, args.max_rate, args.timeout)
            measured[setting].append(run)
            print(f"round {n + 1}: {setting}: {run.wall:.1f} s, {run.refusals} refusals", flush=True)
    text = report(measured, selection, args.max_rate)
    print(text)
    if not args.smoke:
        out = args.out or ROOT / "benchmarks" / "results" / "rate_limited_run.md"
        out.write_text("<!-- measured: written by benchmarks/rate_limited_run.py -->\n" + text)
        print(f"written: {out}")


if __name__ == "__main__":
    main()
