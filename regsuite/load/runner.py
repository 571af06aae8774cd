"""Run one load profile: seed, start locust in child processes, parse, judge, report.

`run_profile(options)` is the whole run as a function returning parsed
statistics, so other tools (a capacity search, comparisons) can call it in a
loop. Locust runs as a subprocess so gevent's monkey-patching stays out of
the caller's process; locally, with `--processes N`, or as a master with
workers on loopback.
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

from ..errors import ExitCode, UsageError
from ..probe import probe
from ..providers.config import free_port
from ..redact import redact_text, register_secret
from ..target import Target
from . import env as load_env
from .cleanup import delete_namespace
from .cpu import CpuMonitor, CpuReport
from .profiles import Profile
from .seed import seed_pull_pool, write_pool
from .slo import evaluate
from .stats import RunStats, parse_run
from .summary import write_summary

_STOP_GRACE = 60.0  # seconds past the shape's end (imports, stopping users) before the run is cut off


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


@dataclass
class LoadOptions:
    target: Target
    profile: Profile
    report_dir: Path = Path("reports")
    run_name: str | None = None
    processes: int | None = None  # locust --processes (forked workers; -1 = one per core)
    workers: int = 0  # > 0: a master and this many worker processes on loopback
    locustfile: Path = field(default_factory=default_locustfile)
    namespace: str = "regsuite-load"
    keep_content: bool = False  # leave what the run pushed (otherwise deleted where the registry allows)
    python: str = sys.executable


@dataclass
class LoadResult:
    run_dir: Path
    profile: Profile
    stats: RunStats
    cpu: CpuReport
    breaches: list[str]
    locust_returncode: int
    seed_seconds: float
    problems: list[str] = field(default_factory=list)  # the run itself went wrong (not an SLO)
    cleanup: str = ""  # what happened to the content the run pushed

    @property
    def exit_code(self) -> int:
        if self.problems:
            return int(ExitCode.INTERNAL_ERROR)
        return int(ExitCode.CHECKS_FAILED) if self.breaches else int(ExitCode.OK)

    def verdict(self) -> str:
        """One line: passed, or the first reason it did not."""
        if self.problems:
            return f"load run failed: {self.problems[0]}"
        if self.breaches:
            more = f" (+{len(self.breaches) - 1} more)" if len(self.breaches) > 1 else ""
            return f"SLO breached: {self.breaches[0]}{more}"
        return (f"load run passed: {self.stats.total_requests} requests, {self.stats.total_rps:.1f} req/s, "
                f"{self.stats.total_failures} failures")


def run_profile(options: LoadOptions) -> LoadResult:
    profile = options.profile
    if not options.locustfile.exists():
        raise UsageError(f"locustfile {options.locustfile} not found")
    if options.processes is not None and options.workers:
        raise UsageError("use either --processes or --workers, not both")
    if options.workers < 0 or options.processes == 0 or (options.processes or 0) < -1:
        raise UsageError("--workers takes 0 or more; --processes takes -1 (one per core) or more than 0")
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
    seed_seconds = time.monotonic() - seed_started
    write_pool(pool, run_dir / "pool.json")
    (run_dir / "profile.json").write_text(profile.to_json())

    child_env = _child_env(options, run_dir, namespace)
    deadline = profile.shape.total_seconds() + _STOP_GRACE
    commands = _commands(options, run_dir)
    monitor = CpuMonitor().start()
    returncode, problems = _run_all(commands, child_env, run_dir, monitor, timeout=deadline)
    cpu = monitor.stop()

    stats = parse_run(run_dir, prefix="locust")
    if stats.total_requests == 0 and not problems:
        problems.append(f"locust reported no requests (exit {returncode}); see {run_dir / 'locust.log'}")
    breaches = evaluate(profile.slo, stats)
    result = LoadResult(run_dir, profile, stats, cpu, breaches, returncode, seed_seconds, problems)
    if not options.keep_content:
        result.cleanup = delete_namespace(options.target, namespace).line(namespace)
    _write_result(result, options)
    write_summary(result, run_dir / "summary.html")
    return result


def _child_env(options: LoadOptions, run_dir: Path, namespace: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGSUITE_LOAD_")}
    target = options.target
    env.update({
        load_env.PROFILE: options.profile.to_json(),
        load_env.POOL: str(run_dir / "pool.json"),
        load_env.NAMESPACE: namespace,
        load_env.USERNAME: target.username or "",
        load_env.PASSWORD: target.password or "",
        load_env.CA: str(target.ca) if target.ca else "",
        load_env.INSECURE: "1" if target.insecure else "",
    })
    return env


def _commands(options: LoadOptions, run_dir: Path) -> list[tuple[str, list[str]]]:
    """(name, argv) of every locust process; the first one writes the reports."""
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
        return [("locust", [*main, "--processes", str(options.processes)])]
    if not options.workers:
        return [("locust", main)]
    port = free_port()
    master = [*main, "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
              "--expect-workers", str(options.workers), "--expect-workers-max-wait", "30"]
    worker = [*base, "--worker", "--master-host", "127.0.0.1", "--master-port", str(port),
              "--loglevel", "WARNING"]
    return [("master", master)] + [(f"worker{i + 1}", worker) for i in range(options.workers)]


def _run_all(commands: list[tuple[str, list[str]]], env: dict[str, str], run_dir: Path,
             monitor: CpuMonitor, timeout: float) -> tuple[int, list[str]]:
    """Start every process, wait for the first (locust or master), then the rest."""
    procs: list[tuple[str, subprocess.Popen[bytes]]] = []
    problems: list[str] = []
    try:
        for name, argv in commands:
            out = open(run_dir / f"{name}.out", "wb")  # noqa: SIM115 - closed with the process below
            proc = subprocess.Popen(argv, env=env, cwd=run_dir, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
            out.close()
            procs.append((name, proc))
            monitor.watch(proc.pid, name)
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


def _write_result(result: LoadResult, options: LoadOptions) -> None:
    doc = {
        "schema": "regsuite.load/1",
        "profile": result.profile.name,
        "target": options.target.public_dict(),
        "verdict": result.verdict(),
        "exit_code": result.exit_code,
        "slo_breaches": result.breaches,
        "problems": result.problems,
        "cleanup": result.cleanup,
        "seed_seconds": round(result.seed_seconds, 2),
        "cpu": result.cpu.to_dict(),
        "stats": result.stats.to_dict(),
    }
    (result.run_dir / "summary.json").write_text(json.dumps(doc, indent=1))
