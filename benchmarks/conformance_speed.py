"""How long does a default conformance run take against a fresh local distribution?

For each round a new distribution registry process is started (deletes
enabled, plain HTTP: the setting the official OCI suite was measured with,
about 4-5 s for its 848 verdicts), and `pytest conformance` runs against it in
a subprocess. Two selections are timed: the distribution-API areas of the
conformance issue (ping, pull, push, discovery, management, referrers, naming,
errors) and the whole default run (every area, real clients included).

Writes benchmarks/results/conformance_speed.md (or --out) with the wall time,
the number of checks and their outcomes, and the machine's load (other work
on the machine slows a registry-bound run a lot; the figure is only
comparable at a similar load, so the CPU seconds of the pytest process and of
the registry are recorded too: they hardly depend on the load). Usage:
    python benchmarks/conformance_speed.py [--rounds 3] [--selection api|all|both]
    python benchmarks/conformance_speed.py --smoke   # seconds: one round of the ping area, nothing recorded

`--smoke` is what CI runs (tests/test_benchmarks.py) so the script cannot rot;
its figures mean nothing and are only printed.
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
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from regsuite.providers import ProcessProvider, RegistryConfig  # noqa: E402
from regsuite.results import RunResults  # noqa: E402

API_AREAS = "ping or pull or push or discovery or management or referrers or naming or errors"
SELECTIONS = {"api": ["-m", API_AREAS], "all": [], "smoke": ["-m", "ping"]}
OFFICIAL = "official OCI suite (Go), same registry setting: about 4-5 s for 848 verdicts (measured with the official suite against distribution 2.8.2 on a 2-core machine)"


@dataclass
class Round:
    wall: float
    checks: int
    outcomes: Counter[str]
    load: float
    suite_cpu: float  # seconds of CPU used by the pytest process
    registry_cpu: float  # seconds of CPU used by the registry during the run


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def one_round(selection: str, timeout: float) -> Round:
    provider = ProcessProvider(RegistryConfig(delete_enabled=True))
    with provider as target, tempfile.TemporaryDirectory() as reports:
        assert provider.pid is not None
        registry = psutil.Process(provider.pid)
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            "conformance",
            "-q",
            "-p",
            "no:randomly",
            "--registry-url",
            target.url,
            "--report-dir",
            reports,
            *SELECTIONS[selection],
        ]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("REGSUITE_", "OCI_", "PYTEST_"))}
        load = os.getloadavg()[0]
        cpu_before, registry_before = _children_cpu(), _cpu(registry)
        started = time.monotonic()
        proc = subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
        wall = time.monotonic() - started
        suite_cpu, registry_cpu = _children_cpu() - cpu_before, _cpu(registry) - registry_before
        path = Path(reports) / "conformance" / "results.json"
        if not path.exists():
            raise SystemExit(f"no results.json (exit {proc.returncode}):\n{(proc.stdout + proc.stderr)[-3000:]}")
        results = RunResults.load(path)
    outcomes = Counter(str(c.outcome) for c in results.checks)
    return Round(wall, len(results.checks), outcomes, load, suite_cpu, registry_cpu)


def report(rounds: dict[str, list[Round]]) -> str:
    lines = [
        "# Conformance run speed",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.node()}: "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, a fresh distribution registry per round "
        "(process provider, filesystem storage, deletes enabled, plain HTTP).",
        "",
        "| selection | rounds | wall time (median, min-max) | CPU: suite + registry (median) | checks | outcomes "
        "| load average at start |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for selection, runs in rounds.items():
        walls = [r.wall for r in runs]
        outcomes = ", ".join(f"{n} {k}" for k, n in sorted(runs[-1].outcomes.items()))
        loads = ", ".join(f"{r.load:.1f}" for r in runs)
        suite_cpu = statistics.median(r.suite_cpu for r in runs)
        cpu = f"{suite_cpu:.2f} s + {statistics.median(r.registry_cpu for r in runs):.2f} s"
        lines.append(
            f"| {selection} (`pytest conformance {' '.join(SELECTIONS[selection])}`) | {len(runs)} | "
            f"{statistics.median(walls):.2f} s ({min(walls):.2f}-{max(walls):.2f}) | {cpu} | {runs[-1].checks} | "
            f"{outcomes} | {loads} |"
        )
    lines += ["", f"Reference: {OFFICIAL}.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--selection", choices=["api", "all", "both"], default="both")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds allowed per round")
    parser.add_argument("--out", type=Path, default=None,
                        help="where the results go (default: benchmarks/results/conformance_speed.md; "
                             "with --smoke, nowhere)")
    parser.add_argument("--smoke", action="store_true",
                        help="a check that the script works: one round of the ping area, printed, not recorded")
    args = parser.parse_args()
    if not 1 <= args.rounds <= 20:
        parser.error("--rounds must be between 1 and 20")
    if args.smoke:
        args.rounds, args.timeout = 1, min(args.timeout, 120.0)
    elif args.out is None:
        args.out = ROOT / "benchmarks" / "results" / "conformance_speed.md"
    selections = ["smoke"] if args.smoke else ["api", "all"] if args.selection == "both" else [args.selection]
    rounds: dict[str, list[Round]] = {}
    for selection in selections:
        for i in range(args.rounds):
            result = one_round(selection, args.timeout)
            rounds.setdefault(selection, []).append(result)
            print(
                f"{selection} round {i + 1}: {result.wall:.2f} s, {result.checks} checks, CPU {result.suite_cpu:.2f} s "
                f"+ registry {result.registry_cpu:.2f} s, load {result.load:.1f}"
            )
    text = report(rounds)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
