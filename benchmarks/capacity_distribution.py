"""Capacity of a local distribution registry (process) for each capacity scenario.

    python benchmarks/capacity_distribution.py [--scenarios a,b] [--step-seconds 8] [--out FILE]
    python benchmarks/capacity_distribution.py --smoke     # seconds: one tiny search, nothing recorded

Each scenario gets a fresh embedded registry (regsuite.providers.ProcessProvider)
and one capacity search (regsuite.capacity.search) with the registry's CPU
sampled; the push scenarios same-repo and many-repos are also compared. The
results (knees, what limited them, the table of steps) go to a markdown file,
the reports to --report-dir.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from regsuite.capacity.compare import compare_runs, load_run
from regsuite.capacity.report import cpu_line, knee_line, ticket_text, write_reports
from regsuite.capacity.scenarios import scenario_profile
from regsuite.capacity.search import CapacityOptions, CapacityResult, SearchPlan, search
from regsuite.providers import ProcessProvider


@dataclass(frozen=True)
class Case:
    scenario: str
    plan: SearchPlan
    workers: int = 0


def cases(step_seconds: float) -> list[Case]:
    common = {"step_seconds": step_seconds, "max_steps": 8, "max_seconds": 240.0, "refine": 1}
    wide = SearchPlan(start_users=1, step_users=2, max_users=60, **common)  # type: ignore[arg-type]
    return [
        Case("mixed-75-25", wide),
        Case("mixed-75-25", wide, workers=2),
        Case("hot-image", wide),
        Case("push-same-repo", wide),
        Case("push-many-repos", wide),
        Case("large-upload", SearchPlan(start_users=1, step_users=1, max_users=16, **common)),  # type: ignore[arg-type]
    ]


def smoke_cases() -> list[Case]:
    """One search of two short steps: the script's whole path, in seconds (CI runs it so it cannot rot)."""
    return [Case("hot-image", SearchPlan(start_users=1, step_users=1, max_users=2, step_seconds=2.0, max_steps=2,
                                         max_seconds=60.0, refine=0))]


def run_case(case: Case, report_dir: Path) -> CapacityResult:
    provider = ProcessProvider()
    with provider as target:
        name = case.scenario + (f"-workers{case.workers}" if case.workers else "")
        options = CapacityOptions(target=target, profile=scenario_profile(case.scenario), plan=case.plan,
                                  report_dir=report_dir, run_name=name, workers=case.workers,
                                  registry_pid=provider.pid)
        result = search(options, on_step=lambda s: print(f"  {name}: {s.users} users {s.rps:.1f} req/s "
                                                         f"p95 {s.p95_ms:g} ms -> {s.verdict}", flush=True))
        write_reports(result, Path(result.run_dir))
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", help="comma-separated scenario names (default: all cases)")
    parser.add_argument("--step-seconds", type=float, default=10.0)
    parser.add_argument("--report-dir", type=Path, default=Path("reports/bench-capacity"))
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/capacity.md"))
    parser.add_argument("--smoke", action="store_true",
                        help="one tiny search; the markdown goes to a temporary file, never to benchmarks/results/")
    args = parser.parse_args()
    wanted = set(args.scenarios.split(",")) if args.scenarios else None
    chosen = [c for c in cases(args.step_seconds) if wanted is None or c.scenario in wanted]
    if args.smoke:
        chosen = smoke_cases()
        smoke_dir = Path(tempfile.mkdtemp(prefix="regsuite-capacity-smoke-"))
        args.report_dir, args.out = smoke_dir / "reports", smoke_dir / "capacity.md"
    version = subprocess.run(["docker-registry", "--version"], capture_output=True, text=True,
                             timeout=10).stdout.strip()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load_before = os.getloadavg()[0]
    results = []
    for case in chosen:
        print(f"{case.scenario} (workers {case.workers})", flush=True)
        results.append((case, run_case(case, args.report_dir)))
    lines = [
        "# Capacity of distribution (process) on this machine",
        "",
        f"`python benchmarks/capacity_distribution.py --step-seconds {args.step_seconds:g}`, {started}; "
        f"{version}; {os.cpu_count()} cores shared by generator and registry (and by other work: load average "
        f"{load_before:.1f} when the run began, {os.getloadavg()[0]:.1f} when it ended). Filesystem storage in a "
        "temporary directory, plain HTTP on loopback, no auth.",
        "",
        "| scenario | generator | knee | stopped | limited by | CPU at the knee |",
        "|---|---|---|---|---|---|",
    ]
    for case, result in results:
        generator = f"master + {case.workers} workers" if case.workers else "1 locust process"
        lines.append(f"| {case.scenario} | {generator} | {knee_line(result)} | {result.stop_detail} | "
                     f"{result.limited_by} | {cpu_line(result.knee)} |")
    lines += ["", "## Steps per scenario", ""]
    for case, result in results:
        lines += [f"### {case.scenario}" + (f" ({case.workers} workers)" if case.workers else ""), "", "```",
                  ticket_text(result).rstrip(), "```", ""]
    pushes = {c.scenario: Path(r.run_dir) for c, r in results if c.scenario.startswith("push-")}
    if len(pushes) == 2:
        comparison = compare_runs([load_run(pushes["push-same-repo"]), load_run(pushes["push-many-repos"])],
                                  ["same repo", "many repos"])
        lines += ["## Push contention: one repository vs one per user", "", "```", comparison.text().rstrip(),
                  "```", ""]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
