"""Run one load profile: seed, start locust in child processes, parse, judge, report.

`run_profile(options)` is the whole run as a function returning parsed
statistics, so other tools (a capacity search, comparisons) can call it in a
loop. Locust runs as a subprocess so gevent's monkey-patching stays out of
the caller's process; locally, with `--processes N`, as a master with workers
on loopback, or as a master that waits for workers started elsewhere
(`regsuite worker`). Workers get the run's settings from the master's
messages, never from files or from this process's environment.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..errors import UsageError
from ..probe import probe
from ..providers.config import free_port
from ..redact import redact_text, register_secret
from ..target import Target
from . import env as load_env
from .cleanup import delete_namespace
from .cpu import CpuMonitor
from .generator import GeneratorReport, read_generator
from .phases import phase_figures
from .profiles import Profile
from .result import LoadResult, server_doc
from .scrape import MetricsScraper
from .seed import seed_pull_pool, write_pool
from .slo import evaluate
from .stats import parse_run
from .summary import write_summary
from .trend import load_benchmark, write_benchmark

_STOP_GRACE = 60.0  # seconds past the shape's end (imports, stopping users) before the run is cut off
DEFAULT_MASTER_PORT = 5557  # locust's
_LOCAL_WORKERS_WAIT = 30.0  # seconds the master waits for workers it started itself
_GAVE_UP = "Gave up waiting for workers to connect"  # locust's log line
# A worker's exit code when its master ended one step of a series (a capacity search): `regsuite worker`
# then connects again for the next step.
NEXT_STEP_EXIT = 75
NEXT_STEP_WAIT = 120.0  # seconds a worker waits for the next step's master (seeding, locust's start)


def _loadtest_dir() -> Path:
    """The installed locust side (regsuite.loadtest), found without importing it: that would import locust."""
    spec = importlib.util.find_spec("regsuite.loadtest")
    assert spec is not None and spec.submodule_search_locations, "regsuite.loadtest is part of the package"
    return Path(next(iter(spec.submodule_search_locations)))


def default_locustfile() -> Path:
    return _loadtest_dir() / "locustfile.py"


def default_profiles() -> Path:
    """The profiles shipped with regsuite (`--profiles FILE` for one's own)."""
    return _loadtest_dir() / "profiles.yml"


@dataclass(frozen=True)
class MasterOptions:
    """A master for workers started elsewhere (`regsuite worker --master-host H --master-port P`)."""

    expect_workers: int = 1
    bind_host: str = "*"  # every interface, as locust
    bind_port: int = DEFAULT_MASTER_PORT
    wait: float = 120.0  # seconds to wait for expect_workers before giving up


class RunExtension(Protocol):
    """Work a kind of run adds around locust (a replay: regsuite.replay.run)."""

    def prepare(self, target: Target, namespace: str, run_dir: Path) -> dict[str, str]:
        """Before locust starts, counted with the seeding (left out of the figures): the environment it adds
        for the locust processes started here."""
        ...

    def finish(self, result: LoadResult) -> None:
        """After the run is measured, before its reports are written (it may add `sections` and `extra`)."""
        ...


@dataclass
class LoadOptions:
    target: Target
    profile: Profile
    report_dir: Path = Path("reports")
    run_name: str | None = None
    processes: int | None = None  # locust --processes (forked workers; -1 = one per core)
    workers: int = 0  # > 0: a master and this many worker processes on loopback
    master: MasterOptions | None = None  # a master only: the workers come from elsewhere
    min_workers: int = 1  # the run stops (exit WORKERS_LOST) when fewer workers remain
    locustfile: Path = field(default_factory=default_locustfile)
    namespace: str = "regsuite-load"
    keep_content: bool = False  # leave what the run pushed (otherwise deleted where the registry allows)
    metrics_urls: tuple[str, ...] = ()  # the registry's Prometheus endpoints, scraped while the load runs
    next_within: float = 0.0  # > 0: one step of a series; remote workers wait this long for the next master
    python: str = sys.executable
    extension: RunExtension | None = None

    @property
    def distributed(self) -> bool:
        return bool(self.workers or self.master or self.processes is not None)


def _validate(options: LoadOptions) -> None:
    if not options.locustfile.exists():
        raise UsageError(f"locustfile {options.locustfile} not found")
    if sum(bool(x) for x in (options.processes is not None, options.workers, options.master)) > 1:
        raise UsageError("use one of --processes, --workers and --master")
    if options.workers < 0 or options.processes == 0 or (options.processes or 0) < -1:
        raise UsageError("--workers takes 0 or more; --processes takes -1 (one per core) or more than 0")
    master = options.master
    if master and (master.expect_workers < 1 or not 0 < master.bind_port < 65536 or master.wait <= 0):
        raise UsageError("--master needs --expect-workers >= 1, a --master-bind-port between 1 and 65535 "
                         "and a positive --workers-wait")
    expected = master.expect_workers if master else options.workers
    if options.min_workers < 1 or (expected and options.min_workers > expected):
        raise UsageError(f"--min-workers {options.min_workers}: give 1 to the number of workers ({expected or 1})")


def run_profile(options: LoadOptions) -> LoadResult:
    profile = options.profile
    _validate(options)
    register_secret(options.target.password)
    probe(options.target)
    run_name = options.run_name or f"{time.strftime('%Y%m%d-%H%M%S')}-{profile.name}"
    # absolute: locust runs with the run directory as its working directory
    run_dir = (options.report_dir / "load" / run_name).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    namespace = f"{options.namespace}/{run_name.lower()}"

    seed_started = time.monotonic()
    needs_pool = profile.mix.get("pull") or profile.mix.get("list")  # list users read the pool's tags
    pool = seed_pull_pool(options.target, f"{namespace}/pool", profile.pull) if needs_pool else []
    added = options.extension.prepare(options.target, namespace, run_dir) if options.extension else {}
    seed_seconds = time.monotonic() - seed_started
    write_pool(pool, run_dir / "pool.json")
    (run_dir / "profile.json").write_text(profile.to_json())

    generator_path = run_dir / "generator.json"
    generator_path.unlink(missing_ok=True)
    child_env = {**_child_env(options, run_dir, namespace), **added}
    wait = options.master.wait if options.master else _LOCAL_WORKERS_WAIT if options.workers else 0.0
    deadline = profile.shape.total_seconds() + _STOP_GRACE + wait
    commands = _commands(options, run_dir)
    monitor = CpuMonitor().start()
    scraper = MetricsScraper(options.metrics_urls).start() if options.metrics_urls else None
    try:
        returncode, problems = _run_all(commands, child_env, run_dir, monitor, timeout=deadline,
                                        children=not options.distributed)
    finally:
        if scraper:
            scraper.stop()
    generator = read_generator(generator_path)
    cpu = monitor.stop()
    if generator:  # workers report their own CPU, wherever they run
        cpu.processes += [w.cpu_record() for w in generator.workers if w.cpu]

    stats = parse_run(run_dir, prefix="locust")
    short = _workers_short(options, generator, run_dir)
    if short:
        problems = [p for p in problems if not p.startswith("locust exited with")]
    elif stats.total_requests == 0 and not problems:
        problems.append(f"locust reported no requests (exit {returncode}); see {run_dir / 'locust.log'}")
    breaches = evaluate(profile.slo, stats)
    result = LoadResult(run_dir, profile, stats, cpu, breaches, returncode, seed_seconds, problems,
                        generator=generator, workers_short=short,
                        target=options.target.public_dict(),
                        server=scraper.result(stats.started, stats.started + stats.seconds) if scraper else None)
    if not options.keep_content:
        result.cleanup = delete_namespace(options.target, namespace).line(namespace)
    if options.extension:
        options.extension.finish(result)
    _write_result(result)
    write_summary(result, run_dir / "summary.html")
    return result


def _workers_short(options: LoadOptions, generator: GeneratorReport | None, run_dir: Path) -> str | None:
    """Why the run had too few workers, or None."""
    if generator and generator.stopped_by:
        lost = ", ".join(f"{w.label} at {(w.lost or {}).get('at', 0):g} s" for w in generator.lost)
        return generator.stopped_by + (f"; lost: {lost}" if lost else "")
    expected = options.master.expect_workers if options.master else options.workers
    log = run_dir / "locust.log"
    if expected and log.exists() and _GAVE_UP in log.read_text(errors="replace"):
        connected = len(generator.workers) if generator else 0
        wait = options.master.wait if options.master else _LOCAL_WORKERS_WAIT
        return f"only {connected} of {expected} workers connected within {wait:g} s"
    return None


_WORKER_PRIVATE = (load_env.USERNAME, load_env.PASSWORD, load_env.CA, load_env.INSECURE)


def worker_env(base: dict[str, str]) -> dict[str, str]:
    """A worker's environment: nothing of the run (its master sends that), no credentials."""
    return {k: v for k, v in base.items() if not k.startswith("REGSUITE_LOAD_") and k not in _WORKER_PRIVATE}


def worker_command(python: str, locustfile: Path, master_host: str, master_port: int,
                   loglevel: str = "WARNING") -> list[str]:
    """The locust worker process of `regsuite worker` and of local --workers."""
    return [python, "-m", "locust", "-f", str(locustfile), "--worker", "--master-host", master_host,
            "--master-port", str(master_port), "--loglevel", loglevel]


def _child_env(options: LoadOptions, run_dir: Path, namespace: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGSUITE_LOAD_")}
    target = options.target
    env.update({
        load_env.PROFILE: options.profile.to_json(),
        load_env.POOL: str(run_dir / "pool.json"),
        load_env.NAMESPACE: namespace,
        load_env.GENERATOR_REPORT: str(run_dir / "generator.json"),
        load_env.MIN_WORKERS: str(options.min_workers),
        load_env.NEXT_WITHIN: f"{options.next_within:g}",
        load_env.USERNAME: target.username or "",
        load_env.PASSWORD: target.password or "",
        load_env.CA: str(target.ca) if target.ca else "",
        load_env.INSECURE: "1" if target.insecure else "",
    })
    return env


def _commands(options: LoadOptions, run_dir: Path) -> list[tuple[str, list[str], bool]]:
    """(name, argv, is a worker) of every locust process this machine starts; the first writes the reports."""
    base = [options.python, "-m", "locust", "-f", str(options.locustfile)]
    main = [
        *base, "--headless", "--host", options.target.url,
        "--stop-timeout", "10",
        "--html", str(run_dir / "locust.html"),
        "--csv", str(run_dir / "locust"), "--csv-full-history",
        "--json-file", str(run_dir / "locust"),
        "--only-summary", "--exit-code-on-error", "0",
        "--loglevel", "INFO", "--logfile", str(run_dir / "locust.log"),
    ]
    if options.processes is not None:
        return [("locust", [*main, "--processes", str(options.processes)], False)]
    if options.master:
        m = options.master
        return [("master", [*main, *_master_flags(m.bind_host, m.bind_port, m.expect_workers, m.wait)], False)]
    if not options.workers:
        return [("locust", main, False)]
    port = free_port()
    master = [*main, *_master_flags("127.0.0.1", port, options.workers, _LOCAL_WORKERS_WAIT)]
    worker = worker_command(options.python, options.locustfile, "127.0.0.1", port)
    return [("master", master, False)] + [(f"worker{i + 1}", worker, True) for i in range(options.workers)]


def _master_flags(host: str, port: int, expect: int, wait: float) -> list[str]:
    # Rebalancing: the users of a worker that is lost move to the others, and the run goes on.
    return ["--master", "--master-bind-host", host, "--master-bind-port", str(port), "--expect-workers",
            str(expect), "--expect-workers-max-wait", f"{wait:g}", "--enable-rebalancing"]


def _run_all(commands: list[tuple[str, list[str], bool]], env: dict[str, str], run_dir: Path,
             monitor: CpuMonitor, timeout: float, children: bool) -> tuple[int, list[str]]:
    """Start every process, wait for the first (locust or master), then the rest."""
    procs: list[tuple[str, subprocess.Popen[bytes]]] = []
    problems: list[str] = []
    try:
        for name, argv, is_worker in commands:
            out = open(run_dir / f"{name}.out", "wb")  # noqa: SIM115 - closed with the process below
            proc = subprocess.Popen(argv, env=worker_env(env) if is_worker else env, cwd=run_dir, stdout=out,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
            out.close()
            procs.append((name, proc))
            if not is_worker:  # workers report their own CPU
                monitor.watch(proc.pid, name, children=children)
        first = procs[0][1]
        try:
            returncode = first.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            problems.append(f"locust did not stop within {timeout:.0f} s; stopped it")
            returncode = -1
        for name, proc in procs[1:]:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                problems.append(f"{name} did not stop after the master")
        if returncode not in (0, -1):
            tail = (run_dir / f"{procs[0][0]}.out").read_text(errors="replace").strip().splitlines()[-1:]
            problems.append(f"locust exited with {returncode}: {redact_text(tail[0]) if tail else 'no output'}")
        return returncode, problems
    finally:
        for _, proc in procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)


def _write_result(result: LoadResult) -> None:
    intended, achieved = result.intended_rate, result.achieved_rate
    generator = result.generator
    doc = {
        "schema": "regsuite.load/1",
        "profile": result.profile.name,
        "target": result.target,
        "verdict": result.verdict(),
        "exit_code": result.exit_code,
        "slo_breaches": result.breaches,
        "problems": result.problems,
        "workers_short": result.workers_short,
        "cleanup": result.cleanup,
        "seed_seconds": round(result.seed_seconds, 2),
        "intended_rate": None if intended is None else round(intended, 3),
        "achieved_rate": None if achieved is None else round(achieved, 3),
        "arrival": None if intended is None or generator is None else {
            **generator.arrival.to_dict(), "max_users": result.profile.shape.max_users,
            "schedule_seconds": round(result.schedule_seconds, 2), "notice": result.keep_up_notice()},
        "generator": generator.workers_dict() if generator else None,
        "cpu": result.cpu.to_dict(),
        "stats": result.stats.to_dict(),
        "phases": phase_figures(result.stats.rows),
        **server_doc(result),
        **result.extra,
    }
    (result.run_dir / "summary.json").write_text(json.dumps(doc, indent=1))
    write_benchmark(load_benchmark(result), result.run_dir / "benchmark.json")
