"""How long do regsuite's own tests take (`./dev test`), side by side with an earlier commit?

The working tree runs its `./dev test` as it is; the earlier commit (`--baseline-ref`) runs from a git
worktree with a virtual environment of its own (its `./dev setup`, not timed). Each round runs both, one
after the other, alternating which goes first, on this machine. Recorded: wall time, CPU seconds of the
whole process tree (pytest, its xdist workers, the registries and programs they start), the tests passed
and failed, and the ratio of the medians (working tree / baseline). Only figures of one run are compared.

    python benchmarks/self_tests_speed.py --baseline-ref 3646e44 [--rounds 1]
    python benchmarks/self_tests_speed.py --smoke   # one small test file, working tree only: printed, not recorded

`--smoke` is what CI runs (tests/test_benchmarks.py) so the script cannot rot; its figures mean nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SMOKE_ARGS = ["-n", "0", "-k", "test_upload_paths"]  # `./dev test` collects tests/: -k picks a few
SUMMARY = re.compile(r"(\d+) (passed|failed|error|errors|skipped)")


@dataclass
class Side:
    name: str
    cwd: Path
    env: dict[str, str]


@dataclass
class Measure:
    wall: float
    cpu: float
    counts: dict[str, int]
    returncode: int
    failed: list[str]  # pytest's FAILED/ERROR lines: a figure from a run with failures says which


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without regsuite's and pytest's own variables (a run inside a self-test)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REGSUITE_", "OCI_", "PYTEST_"))}
    env.update(extra)
    return env


def run_tests(side: Side, args: list[str], timeout: float) -> Measure:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.monotonic()
    proc = subprocess.run(["./dev", "test", "-p", "no:cacheprovider", "-q", *args], cwd=side.cwd, env=side.env,
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    wall = time.monotonic() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    last = next((line for line in reversed(proc.stdout.splitlines()) if " in " in line and SUMMARY.search(line)), "")
    counts = {kind.rstrip("s") if kind.startswith("error") else kind: int(n) for n, kind in SUMMARY.findall(last)}
    failed = [line for line in proc.stdout.splitlines() if line.startswith(("FAILED ", "ERROR "))]
    return Measure(wall, cpu, counts, proc.returncode, failed)


def baseline_side(ref: str, scratch: Path) -> Side:
    tree = scratch / "baseline"
    subprocess.run(["git", "worktree", "add", "--detach", "-f", str(tree), ref], cwd=ROOT, check=True,
                   capture_output=True, timeout=300)
    env = clean_env(REGSUITE_VENV=str(tree / ".venv"))
    subprocess.run(["./dev", "setup"], cwd=tree, env=env, check=True, capture_output=True, timeout=3600,
                   stdin=subprocess.DEVNULL)
    return Side(f"baseline {ref}", tree, env)


def describe(measure: Measure) -> str:
    counts = ", ".join(f"{n} {kind}" for kind, n in sorted(measure.counts.items()))
    failed = "".join(f"\n  {line}" for line in measure.failed)
    summary = counts or "no summary"
    return f"{measure.wall:.0f} s wall, {measure.cpu:.0f} CPU-s, {summary} (exit {measure.returncode}){failed}"


def minutes(seconds: float) -> str:
    return f"{int(seconds // 60)} min {seconds % 60:.0f} s"


def record(out: Path, ref: str, rounds: list[dict[str, Measure]]) -> None:
    names = list(rounds[0])
    median = {n: statistics.median(r[n].wall for r in rounds) for n in names}
    cpu = {n: statistics.median(r[n].cpu for r in rounds) for n in names}
    here, base = names
    lines = [
        "<!-- measured: written by benchmarks/self_tests_speed.py -->",
        "# regsuite's own tests, side by side with an earlier commit",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.node()}: "
        f"{os.cpu_count()} CPUs. `./dev test` of each, one after the other, alternating which goes first; "
        f"median of {len(rounds)} round(s).",
        "",
        "| | wall | CPU seconds | tests |",
        "| --- | --- | --- | --- |",
    ]
    for name in names:
        counts = ", ".join(f"{n} {kind}" for kind, n in sorted(rounds[0][name].counts.items()))
        lines.append(f"| {name} | {minutes(median[name])} | {cpu[name]:.0f} | {counts} |")
    lines += [f"- {name}: `{line}`" for name in names for r in rounds for line in r[name].failed]
    lines += [
        "",
        f"Working tree / {ref}: wall {median[here] / median[base]:.2f}, CPU {cpu[here] / cpu[base]:.2f}.",
        "<!-- end of measured -->",
        "",
    ]
    kept = ""
    if out.exists():  # what a person wrote below the measured part stays
        text = out.read_text()
        kept = text.split("<!-- end of measured -->", 1)[1].lstrip("\n") if "<!-- end of measured -->" in text else ""
    out.write_text("\n".join(lines) + kept)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-ref", help="the git commit to compare with (required unless --smoke)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=3600, help="seconds allowed per `./dev test`")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "self_tests.md")
    parser.add_argument("--smoke", action="store_true", help="one small test file, working tree only; not recorded")
    args = parser.parse_args()
    here = Side("working tree", ROOT, clean_env())
    if args.smoke:
        measure = run_tests(here, SMOKE_ARGS, 600)
        print(f"smoke: {describe(measure)}")
        return 0 if measure.returncode == 0 and measure.counts.get("passed") else 1
    if not args.baseline_ref:
        parser.error("--baseline-ref is needed (or --smoke)")
    scratch = Path(tempfile.mkdtemp(prefix="regsuite-self-tests-"))
    try:
        base = baseline_side(args.baseline_ref, scratch)
        rounds: list[dict[str, Measure]] = []
        for n in range(args.rounds):
            order = [here, base] if n % 2 == 0 else [base, here]
            measured = {side.name: run_tests(side, [], args.timeout) for side in order}
            for name, measure in measured.items():
                print(f"round {n + 1}: {name}: {describe(measure)}", flush=True)
            rounds.append({here.name: measured[here.name], base.name: measured[base.name]})
        record(args.out, args.baseline_ref, rounds)
        print(f"recorded in {args.out}")
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(scratch / "baseline")], cwd=ROOT,
                       capture_output=True, timeout=300)
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
