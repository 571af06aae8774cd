"""The same capacity search with 1 and with 2 distributed workers, side by side in one run.

    python benchmarks/capacity_workers.py [--scenario hot-image] [--step-seconds 8] [--out FILE]
    python benchmarks/capacity_workers.py --smoke     # seconds: one short step each, nothing recorded

Each case gets a fresh embedded distribution registry with its Prometheus
endpoint on, and runs `regsuite capacity --master` (regsuite.capacity.search
with MasterOptions) with N `regsuite worker` processes on this host, each
pinned to a core of its own with `taskset` where the machine has the cores.
For every case it records the knee, what limited it, the registry's own
request rate and CPU at the knee (from its metrics), and each worker's
generator requests per CPU-second (requests it sent over the CPU seconds it
used, every step together): the figure that says how many worker cores a
target load needs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from regsuite.capacity.report import knee_line, server_line, write_reports
from regsuite.capacity.scenarios import scenario_profile
from regsuite.capacity.search import CapacityOptions, CapacityResult, SearchPlan, search
from regsuite.load.runner import MasterOptions
from regsuite.providers import ProcessProvider
from regsuite.providers.config import free_port, metrics_url, with_metrics

READING = """How to read it: the knee and its requests/s are the search's verdicts; "generator requests per
CPU-second" is each worker's requests over the CPU seconds it used (pulls of a 1 MiB image here: the
body's transfer costs CPU too, so it is well below the manifest-only figure of benchmarks/results/load.md).
With the registry on the same cores, a second worker raises the knee only while a core is spare: when
"limited by" names this machine's CPU, the figures describe the host, not the registry. On separate
generator machines, the knee grows with the workers until a server-side signal saturates, and
workers x requests per CPU-second says how many worker cores a target load needs."""


@dataclass(frozen=True)
class Case:
    workers: int
    plan: SearchPlan


def cases(step_seconds: float, smoke: bool) -> list[Case]:
    if smoke:
        plan = SearchPlan(start_users=2, step_users=2, max_users=2, step_seconds=2.0, max_steps=1, max_seconds=90.0,
                          refine=0)
    else:
        plan = SearchPlan(start_users=2, step_users=4, max_users=40, step_seconds=step_seconds, max_steps=8,
                          max_seconds=300.0, refine=1)
    return [Case(1, plan), Case(2, plan)]


def _pin(index: int) -> list[str]:
    """`taskset -c <core>` for worker `index` when this machine has a core for each worker, else nothing."""
    cores = os.cpu_count() or 1
    return ["taskset", "-c", str(index % cores)] if shutil.which("taskset") and cores >= 2 else []


def start_workers(count: int, port: int, work: Path) -> list[subprocess.Popen[bytes]]:
    procs = []
    for i in range(count):
        out = open(work / f"worker{i + 1}.out", "wb")  # noqa: SIM115 - closed right after the start
        procs.append(subprocess.Popen(
            [*_pin(i), sys.executable, "-m", "regsuite.cli", "worker", "--master-host", "127.0.0.1", "--master-port",
             str(port), "--name", f"w{i + 1}", "--connect-wait", "60"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True, cwd=work))
        out.close()
    return procs


def stop_workers(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def run_case(case: Case, scenario: str, report_dir: Path, work: Path) -> CapacityResult:
    config = with_metrics()
    provider = ProcessProvider(config)
    port = free_port()
    name = f"{scenario}-{case.workers}-workers"
    with provider as target:
        workers = start_workers(case.workers, port, work)
        try:
            options = CapacityOptions(
                target=target, profile=scenario_profile(scenario), plan=case.plan, report_dir=report_dir,
                run_name=name, registry_pid=provider.pid,
                master=MasterOptions(expect_workers=case.workers, bind_host="127.0.0.1", bind_port=port, wait=60.0),
                metrics_urls=tuple(u for u in [metrics_url(config)] if u))
            result = search(options, on_step=lambda s: print(
                f"  {name}: {s.users} users {s.rps:.1f} req/s p95 {s.p95_ms:g} ms -> {s.verdict}", flush=True))
        finally:
            stop_workers(workers)
        write_reports(result, Path(result.run_dir))
        return result


def requests_per_cpu_second(result: CapacityResult) -> dict[str, float]:
    """Per worker: requests it sent over the CPU seconds it used, every step of the search together."""
    sent: dict[str, float] = {}
    cpu: dict[str, float] = {}
    for step in result.steps:
        for w in step.workers:
            sent[w.name] = sent.get(w.name, 0.0) + w.requests
            cpu[w.name] = cpu.get(w.name, 0.0) + w.cpu_mean / 100 * step.seconds
    return {name: sent[name] / cpu[name] for name in sorted(sent) if cpu.get(name)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="hot-image")
    parser.add_argument("--step-seconds", type=float, default=10.0)
    parser.add_argument("--report-dir", type=Path, default=Path("reports/bench-capacity-workers"))
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/capacity_workers.md"))
    parser.add_argument("--smoke", action="store_true",
                        help="one short step per case; the markdown goes to a temporary file, never to "
                             "benchmarks/results/")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="regsuite-capacity-workers-"))
    if args.smoke:
        args.report_dir, args.out = work / "reports", work / "capacity_workers.md"
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load_before = os.getloadavg()[0]
    results = []
    for case in cases(args.step_seconds, args.smoke):
        print(f"{args.scenario} with {case.workers} worker(s)", flush=True)
        results.append((case, run_case(case, args.scenario, args.report_dir, work)))
    pinned = "each worker pinned to a core of its own (taskset)" if _pin(1) else "workers not pinned (one core)"
    lines = [
        "# The capacity search with 1 and with 2 distributed workers",
        "",
        f"`python benchmarks/capacity_workers.py --scenario {args.scenario} --step-seconds {args.step_seconds:g}`, "
        f"{started}; {os.cpu_count()} cores shared by the registry, the master and the workers ({pinned}); load "
        f"average {load_before:.1f} when the run began, {os.getloadavg()[0]:.1f} when it ended. distribution with "
        "its Prometheus endpoint on, filesystem storage, plain HTTP on loopback.",
        "",
        "| workers | knee | limited by | server side at the knee | generator requests per CPU-second |",
        "|---|---|---|---|---|",
    ]
    for case, result in results:
        per_cpu = ", ".join(f"{name} {value:,.0f}" for name, value in requests_per_cpu_second(result).items())
        lines.append(f"| {case.workers} | {knee_line(result)} | {result.limited_by} | "
                     f"{server_line(result.knee) or '–'} | {per_cpu or '–'} |")
    lines += ["", READING, ""]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"wrote {args.out}")
    if args.smoke:
        assert all(len(s.workers) == c.workers for c, r in results for s in r.steps), "a step lost its workers"


if __name__ == "__main__":
    main()
