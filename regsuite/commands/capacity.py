"""`regsuite capacity`: find the load a registry holds within an SLO (docs/capacity.md).

    regsuite capacity [--host URL] [--scenario NAME] [--slo p95:image-pull=500] [--slo errors=1%] ...

Writes reports/capacity/<run>/capacity.{html,txt,json} and one load report per
step under its load/ folder. Comparisons of capacity or load runs:
`regsuite compare` (the kind is detected from the files).
"""

from __future__ import annotations

import argparse
import os
from dataclasses import replace
from pathlib import Path

from ..capacity.report import knee_line, write_reports
from ..capacity.scenarios import SCENARIOS, scenario_profile
from ..capacity.search import MODELS, CapacityOptions, SearchPlan, StepResult, search
from ..errors import UsageError
from ..load.profiles import Profile, Slo
from ..load.runner import default_profiles
from ..replay.run import ReplaySpec, read_log
from ..replay.window import span
from ..target import Target
from .load import (
    add_generator_arguments,
    add_master_arguments,
    add_metrics_arguments,
    add_replay_arguments,
    add_retry_argument,
    add_target_arguments,
    embedded_registry,
    external_target,
    honouring,
    master_options,
    metrics_urls,
    replay_spec,
)

NAME = "capacity"
HELP = ("capacity search: step up users (or, --model open, an arrival rate) until the SLO breaks or the "
        "registry stops keeping up; report the knee")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scenario", default="mixed-75-25",
                   help=f"{', '.join(SCENARIOS)}, or a profile name of the load profiles file "
                        "(default: mixed-75-25)")
    p.add_argument("--profiles", type=Path, default=None, help="load profiles file (default: the shipped profiles)")
    p.add_argument("--slo", action="append", default=[], metavar="RULE",
                   help="p95:NAME=MS, p99:NAME=MS (NAME a transaction such as image-pull, or a row), "
                        "errors=RATE (0.01 or 1%%), min-rps=N; replaces the scenario's SLO when given")
    p.add_argument("--report-dir", type=Path, default=Path(os.environ.get("REGSUITE_REPORT_DIR", "reports")),
                   help="reports go to DIR/capacity/<run>/ (default: reports)")
    p.add_argument("--run-name", help="name of the run directory (default: <timestamp>-<scenario>)")
    plan = p.add_argument_group("search bounds")
    default = SearchPlan()
    plan.add_argument("--start-users", type=int, default=default.start_users)
    plan.add_argument("--step-users", type=int, default=default.step_users, help="users added per step")
    plan.add_argument("--max-users", type=int, default=default.max_users)
    plan.add_argument("--step-seconds", type=float, default=default.step_seconds, help="load per step")
    plan.add_argument("--max-steps", type=int, default=default.max_steps)
    plan.add_argument("--max-seconds", type=float, default=default.max_seconds,
                      help="budget of the whole search, start-up of every step included")
    plan.add_argument("--min-gain", type=float, default=default.min_gain,
                      help="throughput gain a step needs over the previous one, 0..1 (default 0.05)")
    plan.add_argument("--refine", type=int, default=default.refine,
                      help="bisection steps between the last passing and the breaching load")
    plan.add_argument("--model", choices=MODELS, default=default.model,
                      help="closed: step up users (default); open: step up an arrival rate (iterations per "
                           "second, users added as needed up to --max-users) and report the highest rate held")
    plan.add_argument("--start-rate", type=float, default=default.start_rate, help="open model: first rate, per s")
    plan.add_argument("--step-rate", type=float, default=default.step_rate, help="open model: rate added per step")
    plan.add_argument("--max-rate", type=float, default=default.max_rate, help="open model: highest rate tried")
    plan.add_argument("--start-speed", type=float, default=default.start_speed,
                      help="--replay: first multiple of the log's rate (default 1)")
    plan.add_argument("--step-speed", type=float, default=default.step_speed,
                      help="--replay: multiple added per step (default 1)")
    plan.add_argument("--max-speed", type=float, default=default.max_speed,
                      help=f"--replay: highest multiple tried (default {default.max_speed:g})")
    add_replay_arguments(p, speed=False, max_users=False)
    add_target_arguments(p)
    add_retry_argument(p)
    add_metrics_arguments(p)
    add_generator_arguments(p)
    add_master_arguments(p, min_workers=False)
    gen = p.add_argument_group("registry CPU")
    gen.add_argument("--registry-pid", type=int,
                     help="pid of the registry when it runs on this machine: its CPU is reported per step")


def parse_slo(rules: list[str], fallback: Slo) -> Slo:
    if not rules:
        return fallback
    p95: dict[str, float] = {}
    p99: dict[str, float] = {}
    error_rate: float | None = None
    min_rps: float | None = None
    for rule in rules:
        key, sep, value = rule.partition("=")
        try:
            if key.startswith(("p95:", "p99:")) and sep and key[4:]:
                (p95 if key.startswith("p95") else p99)[key[4:]] = float(value)
            elif key == "errors" and sep:
                error_rate = float(value[:-1]) / 100 if value.endswith("%") else float(value)
            elif key == "min-rps" and sep:
                min_rps = float(value)
            else:
                raise ValueError(rule)
        except ValueError:
            raise UsageError(f"--slo {rule!r}: give p95:NAME=MS, p99:NAME=MS, errors=RATE or min-rps=N, "
                             "e.g. p95:image-pull=500") from None
    return Slo(p95_ms=p95, p99_ms=p99, max_error_rate=error_rate, min_rps=min_rps)


def profile_from(args: argparse.Namespace) -> Profile:
    profiles_file = args.profiles or default_profiles()
    profile = scenario_profile(args.scenario, profiles_file)
    slo = parse_slo(args.slo, profile.slo)
    if slo.is_empty():
        raise UsageError(f"scenario {args.scenario!r} has no SLO: give one with --slo, e.g. p95:image-pull=500")
    return honouring(args, replace(profile, slo=slo))


def replay_from(args: argparse.Namespace) -> tuple[Profile, ReplaySpec]:
    """A replay search: its profile (the SLO) and the log, read once first (a bad log fails before any registry)."""
    spec = replay_spec(args)
    found = read_log(spec)
    profile = Profile("replay", description=f"replay of {spec.log.name} ({span(found.first, found.last)})",
                      slo=parse_slo(args.slo, Slo(max_error_rate=0.01)))
    return profile, spec


def run(args: argparse.Namespace) -> int:
    spec = None
    if args.replay:
        profile, spec = replay_from(args)
        args.model = "replay"
    else:
        profile = profile_from(args)
    plan = SearchPlan(args.start_users, args.step_users, args.max_users, args.step_seconds, args.max_steps,
                      args.max_seconds, args.min_gain, args.refine, args.model, args.start_rate, args.step_rate,
                      args.max_rate, args.start_speed, args.step_speed, args.max_speed)
    plan.validate()
    metrics_urls(args)  # bad ones are a usage error before anything starts
    if not args.host:
        provider, config = embedded_registry()
        with provider as embedded:
            print(f"regsuite capacity: no --host; searching an embedded registry at {embedded.url}")
            return _run(args, profile, plan, embedded, provider.pid, metrics_urls(args, config), spec)
    return _run(args, profile, plan, external_target(args), args.registry_pid, metrics_urls(args), spec)


def _run(args: argparse.Namespace, profile: Profile, plan: SearchPlan, target: Target, pid: int | None,
         metrics: tuple[str, ...], spec: ReplaySpec | None = None) -> int:
    master = master_options(args)
    if master and (args.workers or args.processes is not None):
        raise UsageError("use one of --processes, --workers and --master")
    options = CapacityOptions(target=target, profile=profile, plan=plan, report_dir=args.report_dir,
                              run_name=args.run_name, workers=args.workers, processes=args.processes,
                              registry_pid=pid, master=master, metrics_urls=metrics, replay=spec)
    warned: set[str] = set()

    def progress(step: StepResult) -> None:
        held = f" (achieved {step.achieved_rate or 0:.1f}/s, {step.users} users)" if step.rate is not None else ""
        spread = f" over {len(step.workers)} workers" if step.workers else ""
        print(f"regsuite capacity: step {step.index}: {step.level_text}{held}{spread}, {step.rps:.1f} req/s, "
              f"p95 {step.p95_ms:g} ms, errors {step.error_rate:.2%} -> {step.verdict}", flush=True)
        for source in step.server.sources if step.server else []:
            if source.error and source.url not in warned:  # once per search, not once per step
                warned.add(source.url)
                print(f"regsuite capacity: warning: metrics {source.url}: {source.error}; the search goes on "
                      "without it", flush=True)
        for line in step.workers_lost:
            print(f"regsuite capacity: {line}", flush=True)

    if master:
        print(f"regsuite capacity: a master per step on {master.bind_host}:{master.bind_port}, each waiting up to "
              f"{master.wait:g} s for {master.expect_workers} worker(s): regsuite worker --master-host HOST "
              f"--master-port {master.bind_port}", flush=True)
    result = search(options, on_step=progress)
    paths = write_reports(result, Path(result.run_dir))
    print(f"regsuite capacity: report {paths['html']}")
    print(f"regsuite capacity: {result.stop_detail}; limited by {result.limited_by}")
    print(f"regsuite capacity: knee: {knee_line(result)}")
    return result.exit_code
