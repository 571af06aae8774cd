"""`regsuite load`: run a load profile against a registry and write reports/load/<run>/."""

from __future__ import annotations

import argparse
import os
from dataclasses import replace
from pathlib import Path

from ..errors import UsageError
from ..load.profiles import Profile, Slo, load_profiles, parse_size, profile_named
from ..load.runner import DEFAULT_MASTER_PORT, LoadOptions, MasterOptions, default_profiles, run_profile
from ..load.scrape import validate_metrics_urls
from ..probe import validate_url
from ..providers import ProcessProvider, RegistryConfig
from ..providers.config import metrics_url, with_metrics
from ..reference import is_valid_repository
from ..replay.plan import MAX_SEED_BYTES
from ..replay.run import ReplaySpec, read_log, run_replay
from ..replay.survey import Survey
from ..replay.window import parse_window
from ..target import Target

NAME = "load"
HELP = "run a load profile (locust) against a registry; exits non-zero when the SLO is breached"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", default="smoke", help="profile name from the profiles file (default: smoke)")
    p.add_argument("--profiles", type=Path, default=None, help="profiles file (default: the shipped profiles)")
    p.add_argument("--list-profiles", action="store_true", help="list the profiles of the profiles file and exit")
    p.add_argument("--report-dir", type=Path, default=Path(os.environ.get("REGSUITE_REPORT_DIR", "reports")),
                   help="reports go to DIR/load/<run>/ (default: reports)")
    p.add_argument("--run-name", help="name of the run directory (default: <timestamp>-<profile>)")
    p.add_argument("--namespace", default="regsuite-load",
                   help="repository prefix: the run writes under NAMESPACE/<run>/ (default: regsuite-load)")
    p.add_argument("--keep-content", action="store_true",
                   help="leave what the run pushed (by default it is deleted where the registry allows deletes)")
    add_target_arguments(p)
    add_retry_argument(p)
    add_metrics_arguments(p)
    add_generator_arguments(p)
    add_master_arguments(p)
    add_replay_arguments(p)
    over = p.add_argument_group("overrides of the profile")
    over.add_argument("--users", type=int, help="users (constant, soak, spike base, ramp peak; arrival: at start)")
    over.add_argument("--duration", type=float, help="seconds (constant, soak, spike, arrival)")
    over.add_argument("--rate", type=float, help="iterations per second (arrival; the first step when in steps)")
    over.add_argument("--max-requests", type=int, help="request budget")
    over.add_argument("--slo-p95", action="append", default=[], metavar="NAME=MS",
                      help="p95 limit for a transaction or row")
    over.add_argument("--slo-p99", action="append", default=[], metavar="NAME=MS",
                      help="p99 limit for a transaction or row")
    over.add_argument("--max-error-rate", type=float, help="largest failed share of requests, 0..1")
    over.add_argument("--min-rps", type=float, help="smallest acceptable requests per second")


def add_target_arguments(p: argparse.ArgumentParser) -> None:
    """--host and the credential and TLS options (shared with `regsuite capacity`)."""
    p.add_argument("--host", default=os.environ.get("REGSUITE_REGISTRY_URL"),
                   help="registry URL, scheme://host:port (env REGSUITE_REGISTRY_URL); "
                        "without it an embedded distribution registry is started on loopback")
    auth = p.add_argument_group("credentials and TLS (as in the conformance suite)")
    auth.add_argument("--registry-username", default=os.environ.get("REGSUITE_USERNAME"),
                      help="user for Basic or token auth")
    auth.add_argument("--registry-password", default=None,
                      help="password (prefer the REGSUITE_PASSWORD environment variable)")
    auth.add_argument("--registry-ca", type=Path, default=os.environ.get("REGSUITE_REGISTRY_CA"),
                      help="CA bundle (PEM) to trust")
    auth.add_argument("--registry-insecure", action="store_true", help="do not verify the registry's TLS certificate")


def add_retry_argument(p: argparse.ArgumentParser) -> None:
    """--honour-retry-after (shared with `regsuite capacity`)."""
    p.add_argument("--honour-retry-after", action="store_true", default=None,
                   help="users wait out a 429 (or a 503 with Retry-After) as the registry asks and send the request "
                        "again, as clients do; each refusal still counts, as rate limited (default: the profile's "
                        "honour_retry_after, else off)")


def honouring(args: argparse.Namespace, profile: Profile) -> Profile:
    """The profile with --honour-retry-after applied."""
    return replace(profile, honour_retry_after=True) if args.honour_retry_after else profile


def add_replay_arguments(p: argparse.ArgumentParser, *, speed: bool = True, max_users: bool = True) -> None:
    """--replay LOG and what shapes a replay (shared with `regsuite capacity --replay`, which steps the speed and
    has its own --max-users)."""
    replay = p.add_argument_group("replay a registry's access log (docs/load.md#replaying-an-access-log)")
    replay.add_argument("--replay", type=Path, metavar="LOG",
                        help="replay this access log (combined format, or distribution's `response completed` "
                             "lines; gzip too) at its recorded times, with synthetic names and content")
    if speed:
        replay.add_argument("--speed", type=float, default=1.0,
                            help="the log's times divided by this (2: twice the traffic; default 1)")
    replay.add_argument("--window", metavar="START..END",
                        help="the part of the log to replay: times (2026-12-01T10:00, UTC unless a zone is given) "
                             "or offsets from its first request (+10m); either end may be left out")
    replay.add_argument("--skip-malformed", action="store_true",
                        help="count lines that break the log's format and go on (default: stop at the first)")
    if max_users:
        replay.add_argument("--max-users", type=int, default=ReplaySpec.max_users,
                            help=f"most users sending the replay's operations at once (default {ReplaySpec.max_users})")
    replay.add_argument("--upload-size", help="size of uploaded blobs the log never shows the size of "
                                              "(default: the median blob GET of the log)")
    replay.add_argument("--max-seed-bytes", default=f"{MAX_SEED_BYTES >> 30}GiB",
                        help="most content the replay may push first for what the log reads but never pushes")


def replay_spec(args: argparse.Namespace, speed: float = 1.0) -> ReplaySpec:
    """The replay the options describe (its log not read yet)."""
    if getattr(args, "speed", speed) <= 0 or args.max_users < 1:
        raise UsageError("--speed takes a positive factor and --max-users 1 or more")
    if args.replay is not None and not args.replay.is_file():
        raise UsageError(f"--replay {args.replay}: no such file")
    return ReplaySpec(
        args.replay, speed=getattr(args, "speed", speed), window=parse_window(args.window),
        seconds=getattr(args, "duration", None), skip_malformed=args.skip_malformed,
        users=getattr(args, "users", None), max_users=args.max_users,
        max_requests=getattr(args, "max_requests", None),
        upload_size=parse_size(args.upload_size) if args.upload_size else None,
        max_seed_bytes=parse_size(args.max_seed_bytes),
    )


def add_generator_arguments(p: argparse.ArgumentParser) -> None:
    dist = p.add_argument_group("distributed generation")
    dist.add_argument("--processes", type=int, help="locust --processes: fork N generator processes (-1: one per core)")
    dist.add_argument("--workers", type=int, default=0, help="a locust master and N workers on loopback")


def add_metrics_arguments(p: argparse.ArgumentParser) -> None:
    """--metrics-url (shared with `regsuite capacity`)."""
    p.add_argument("--metrics-url", action="append", default=[], metavar="URL",
                   help="a Prometheus metrics endpoint of the registry (a replica, or an exporter beside it), read "
                        "while the load runs for the registry's own view; repeat it for several (an embedded "
                        "registry's is added by itself)")


def metrics_urls(args: argparse.Namespace, embedded: RegistryConfig | None = None) -> tuple[str, ...]:
    own = metrics_url(embedded) if embedded else None
    return validate_metrics_urls([*args.metrics_url, *([own] if own else [])])


def embedded_registry() -> tuple[ProcessProvider, RegistryConfig]:
    """The embedded default, with its Prometheus endpoint on."""
    config = with_metrics()
    return ProcessProvider(config), config


def add_master_arguments(p: argparse.ArgumentParser, *, min_workers: bool = True) -> None:
    dist = p.add_argument_group("master for workers on other machines (start them with `regsuite worker`)")
    dist.add_argument("--master", action="store_true",
                      help="run only the locust master: it waits for --expect-workers workers, hands them the "
                           "profile, pull pool and credentials, and writes the reports")
    dist.add_argument("--expect-workers", type=int, default=1, help="workers to wait for (default 1)")
    dist.add_argument("--master-bind-host", default="*", help="interface the master listens on (default: all)")
    dist.add_argument("--master-bind-port", type=int, default=DEFAULT_MASTER_PORT,
                      help=f"port the master listens on (default {DEFAULT_MASTER_PORT})")
    dist.add_argument("--workers-wait", type=float, default=MasterOptions.wait,
                      help=f"seconds to wait for the workers before giving up (default {MasterOptions.wait:g}; "
                           "exit 30)")
    if min_workers:
        dist.add_argument("--min-workers", type=int, default=1,
                          help="stop the run (exit 30) when fewer workers than this remain (default 1)")


def master_options(args: argparse.Namespace) -> MasterOptions | None:
    if not args.master:
        return None
    return MasterOptions(expect_workers=args.expect_workers, bind_host=args.master_bind_host,
                         bind_port=args.master_bind_port, wait=args.workers_wait)


def external_target(args: argparse.Namespace) -> Target:
    """The --host registry with the credential and TLS options."""
    password = args.registry_password or os.environ.get("REGSUITE_PASSWORD")
    if args.registry_ca is not None and not Path(args.registry_ca).exists():
        raise UsageError(f"--registry-ca {args.registry_ca}: no such file")
    return Target(validate_url(args.host), username=args.registry_username, password=password,
                  ca=args.registry_ca, insecure=args.registry_insecure)


def _profiles_file(args: argparse.Namespace) -> Path:
    return Path(args.profiles or default_profiles())


def profile_from(args: argparse.Namespace) -> Profile:
    profile = profile_named(_profiles_file(args), args.profile)
    shape = profile.shape
    if args.users is not None:
        shape = replace(shape, users=args.users, max_users=max(shape.max_users, args.users))
    if args.duration is not None:
        if shape.kind not in ("constant", "soak", "spike", "arrival") or (shape.is_arrival and shape.steps > 1):
            raise UsageError(f"--duration applies to constant, soak, spike and arrival (not in steps) shapes; "
                             f"{args.profile!r} is {shape.kind}")
        shape = replace(shape, duration=args.duration)
    if args.rate is not None:
        if not shape.is_arrival:
            raise UsageError(f"--rate applies to arrival shapes; {args.profile!r} is {shape.kind}")
        if args.rate <= 0:
            raise UsageError("--rate takes a positive number of iterations per second")
        shape = replace(shape, rate=args.rate)
    profile = honouring(args, replace(profile, shape=shape, max_requests=args.max_requests or profile.max_requests))
    return profile.with_slo(
        p95_ms={**profile.slo.p95_ms, **_limits(args.slo_p95, "--slo-p95")},
        p99_ms={**profile.slo.p99_ms, **_limits(args.slo_p99, "--slo-p99")},
        max_error_rate=args.max_error_rate, min_rps=args.min_rps,
    )


def _limits(values: list[str], flag: str) -> dict[str, float]:
    out = {}
    for value in values:
        name, sep, ms = value.rpartition("=")
        try:
            out[name] = float(ms)
        except ValueError:
            name = ""
        if not sep or not name:
            raise UsageError(f"{flag} {value!r}: give NAME=MILLISECONDS, e.g. image-pull=500")
    return out


def run(args: argparse.Namespace) -> int:
    if args.list_profiles:
        for name, p in load_profiles(_profiles_file(args)).items():
            load = (f"{p.shape.peak_rate():>4g}/s" if p.shape.is_arrival else f"{p.shape.peak_users():>3} users")
            print(f"{name:14} {p.shape.kind:8} {p.shape.total_seconds():>6g} s  peak {load:9}  {p.description}")
        return 0
    if not is_valid_repository(args.namespace):
        raise UsageError(f"--namespace {args.namespace!r} is not a valid repository path")
    found = None
    if args.replay:
        if args.rate is not None:
            raise UsageError("--rate does not apply to a replay: the log sets the rate; use --speed")
        found = read_log(replay_spec(args))  # a bad log fails here, before any registry is contacted
        profile = Profile("replay", slo=replay_slo(args))
    else:
        profile = profile_from(args)
    metrics_urls(args)  # bad ones are a usage error before anything starts
    if not args.host:
        provider, config = embedded_registry()
        with provider as embedded:
            print(f"regsuite load: no --host; load-testing an embedded registry at {embedded.url}")
            return _run(args, profile, embedded, metrics_urls(args, config), found)
    return _run(args, profile, external_target(args), metrics_urls(args), found)


def replay_slo(args: argparse.Namespace) -> Slo:
    """A replay's SLO: the --slo-* and --max-error-rate/--min-rps options (errors at most 1 % by default)."""
    slo = Slo(p95_ms=_limits(args.slo_p95, "--slo-p95"), p99_ms=_limits(args.slo_p99, "--slo-p99"),
              max_error_rate=args.max_error_rate, min_rps=args.min_rps)
    return slo if not slo.is_empty() else Slo(max_error_rate=0.01)


def _run(args: argparse.Namespace, profile: Profile, target: Target, metrics: tuple[str, ...],
         found: Survey | None = None) -> int:
    options = LoadOptions(target=target, profile=profile, report_dir=args.report_dir,
                          run_name=args.run_name, processes=args.processes, workers=args.workers,
                          master=master_options(args), min_workers=args.min_workers,
                          keep_content=args.keep_content, namespace=args.namespace, metrics_urls=metrics)
    if options.master:
        m = options.master
        print(f"regsuite load: master on {m.bind_host}:{m.bind_port}, waiting up to {m.wait:g} s for "
              f"{m.expect_workers} worker(s): regsuite worker --master-host HOST --master-port {m.bind_port}",
              flush=True)
    fidelity = []
    if found is not None:
        replayed = run_replay(options, replay_spec(args), found)
        result = replayed.load
        fidelity = replayed.fidelity.lines() if replayed.fidelity else []
    else:
        result = run_profile(options)
    lost = result.generator.lost if result.generator else []
    notes = [result.cpu.warning(), result.cpu.machine_note(), None if fidelity else result.keep_up_notice(),
             *(w.loss_line() for w in lost), *(result.server.warnings() if result.server else [])]
    for note in notes:
        if note:
            print(f"regsuite load: warning: {note}")
    for line in fidelity:
        print(f"regsuite load: {line}")
    if result.intended_rate is not None and not fidelity:
        print(f"regsuite load: intended {result.intended_rate:.2f} iterations/s, achieved "
              f"{result.achieved_rate or 0:.2f}/s")
    print(f"regsuite load: report {result.run_dir / 'summary.html'}")
    if result.cleanup:
        print(f"regsuite load: cleanup: {result.cleanup}")
    print(f"regsuite load: {result.verdict()}")
    return result.exit_code
