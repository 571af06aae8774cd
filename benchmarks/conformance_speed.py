"""How long does a default conformance run take, side by side with an earlier commit?

Each round runs the earlier commit (`--baseline-ref`) and the working tree one
after the other, alternating which goes first, each against a fresh registry:

- `url` mode: a new distribution registry process per run (deletes enabled,
  plain HTTP, filesystem storage: the setting the official OCI suite is
  measured with), given as `--registry-url`;
- `embedded` mode: no URL; each run starts the registries it needs itself
  (the embedded default registry, and the auth and TLS deployments).

Only figures measured in the same run are compared: the recorded result is the
ratio of the medians (working tree / baseline), with the wall times, the CPU
seconds (suite + registry: they hardly depend on the machine's load, which
changes wall times a lot) and the verdict counts of both.

With `--rtt-ms LIST`, the runs go through a TCP proxy that holds each
direction's bytes for RTT/2 (benchmarks/delay_proxy.py: the registry at a
distance, as a CI runner in another zone sees it), a fresh registry and proxy
per run, URL mode: regsuite at its default `--concurrency` and at
`--concurrency 1`, the baseline when `--baseline-ref` is given, and the
official OCI conformance suite when `--oci-suite PATH` names its binary (all
its workflows on; built from the distribution-spec repository, not shipped
here). Usage:

    python benchmarks/conformance_speed.py --baseline-ref 48383d9 [--rounds 5] [--mode url|embedded|both]
    python benchmarks/conformance_speed.py --rtt-ms 0,20,50 [--oci-suite PATH] [--baseline-ref REF] [--rounds 3]
    python benchmarks/conformance_speed.py --smoke   # seconds: one round of the ping area against HEAD, not recorded

A baseline from before regsuite was a package (the plugin loaded by the
checkout's conftest.py) runs from a git worktree with `-p no:regsuite`; a later
one is installed into a scratch folder first. `--smoke` is what CI runs
(tests/test_benchmarks.py) so the script cannot rot; its figures mean nothing.
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
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.delay_proxy import DelayProxy  # noqa: E402
from regsuite.providers import ProcessProvider, RegistryConfig  # noqa: E402
from regsuite.results import RunResults  # noqa: E402

SMOKE_SELECTION = ["-m", "ping"]


@dataclass
class Suite:
    """One side of the comparison: how to start its pytest."""

    name: str
    command: list[str]
    cwd: Path
    env: dict[str, str]


@dataclass
class Round:
    wall: float
    checks: int
    outcomes: Counter[str]
    load: float
    suite_cpu: float  # seconds of CPU used by pytest and what it started (embedded registries included)
    registry_cpu: float  # seconds of CPU used by the URL-mode registry during the run


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("REGSUITE_", "OCI_", "PYTEST_"))}


def working_tree() -> Suite:
    return Suite("working tree", [sys.executable, "-m", "pytest", "conformance"], ROOT, _clean_env())


@contextmanager
def baseline(ref: str) -> Iterator[Suite]:
    """The suite at `ref`, from a git worktree (and installed into a scratch folder when it is a package)."""
    with tempfile.TemporaryDirectory(prefix="regsuite-baseline-") as scratch:
        tree = Path(scratch) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(tree), ref],
                       check=True, stdin=subprocess.DEVNULL)
        try:
            commit = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], check=True,
                                    capture_output=True, text=True).stdout.strip()
            name = f"{ref} ({commit})" if not commit.startswith(ref) else commit
            conftest = tree / "conftest.py"
            if conftest.exists() and "pytest_plugins" in conftest.read_text():
                # Loaded by its own conftest.py: the installed plugin would register the same options twice.
                yield Suite(name, [sys.executable, "-m", "pytest", "conformance", "-p", "no:regsuite"], tree,
                            _clean_env())
            else:
                site = Path(scratch) / "site"
                subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                                "--target", str(site), str(tree)],
                               check=True, stdin=subprocess.DEVNULL)
                env = _clean_env() | {"PYTHONPATH": str(site)}
                home = Path(scratch) / "run"
                home.mkdir()
                yield Suite(name, [sys.executable, "-m", "pytest", "--pyargs", "regsuite.conformance"], home, env)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                           check=False, stdin=subprocess.DEVNULL)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cpu(process: psutil.Process | None) -> float:
    if process is None:
        return 0.0
    times = process.cpu_times()
    return times.user + times.system


def one_round(suite: Suite, mode: str, selection: list[str], timeout: float) -> Round:
    provider = ProcessProvider(RegistryConfig(delete_enabled=True)) if mode == "url" else None
    with provider if provider is not None else nullcontext() as target, \
            tempfile.TemporaryDirectory() as reports:
        registry = psutil.Process(provider.pid) if provider is not None and provider.pid else None
        url = ["--registry-url", target.url] if target is not None else []
        cmd = [*suite.command, "-q", "-p", "no:randomly", "-p", "no:cacheprovider", *url,
               "--report-dir", reports, *selection]
        load = os.getloadavg()[0]
        cpu_before, registry_before = _children_cpu(), _cpu(registry)
        started = time.monotonic()
        proc = subprocess.run(cmd, cwd=suite.cwd, env=suite.env, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
        wall = time.monotonic() - started
        suite_cpu, registry_cpu = _children_cpu() - cpu_before, _cpu(registry) - registry_before
        path = Path(reports) / "conformance" / "results.json"
        if not path.exists():
            raise SystemExit(f"{suite.name}: no results.json (exit {proc.returncode}):\n"
                             f"{(proc.stdout + proc.stderr)[-3000:]}")
        results = RunResults.load(path)
    outcomes = Counter(str(c.outcome) for c in results.checks)
    return Round(wall, len(results.checks), outcomes, load, suite_cpu, registry_cpu)


# -- at a distance --------------------------------------------------------------------------------------------

OFFICIAL = "official OCI suite"


def distant_round(name: str, rtt_ms: float, selection: list[str], timeout: float, suite: Suite | None = None,
                  extra: tuple[str, ...] = (), official: Path | None = None) -> float:
    """Wall seconds of one run against a fresh registry `rtt_ms` away (regsuite `suite`, or the official binary)."""
    with ProcessProvider(RegistryConfig(delete_enabled=True)) as target, \
            DelayProxy("127.0.0.1", int(target.url.rsplit(":", 1)[1]), rtt_ms / 1000) as proxy, \
            tempfile.TemporaryDirectory() as reports:
        if official is not None:
            env = _clean_env() | {"OCI_REGISTRY": f"127.0.0.1:{proxy.port}", "OCI_TLS": "disabled",
                                  "OCI_REPO1": "conformance/repo1", "OCI_REPO2": "conformance/repo2",
                                  "OCI_RESULTS_DIR": f"{reports}/results"}
            cmd, cwd = [str(official)], Path(reports)
        else:
            assert suite is not None
            env, cwd = suite.env, suite.cwd
            cmd = [*suite.command, "-q", "-p", "no:randomly", "-p", "no:cacheprovider", "--registry-url", proxy.url,
                   "--report-dir", reports, *selection, *extra]
        started = time.monotonic()
        proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
        wall = time.monotonic() - started
        if official is None and not (Path(reports) / "conformance" / "results.json").exists():
            output = (proc.stdout + proc.stderr)[-3000:]
            raise SystemExit(f"{name}: no results.json (exit {proc.returncode}):\n{output}")
    print(f"{rtt_ms:g} ms, {name}: {wall:.2f} s", flush=True)
    return wall


def distance_report(walls: dict[float, dict[str, list[float]]], names: list[str], rounds: int) -> str:
    lines = [
        "# Conformance run speed at a distance",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.node()}: "
        f"{os.cpu_count()} CPUs. Each run against a fresh distribution 2.8.2 registry (deletes enabled, plain "
        f"HTTP) behind benchmarks/delay_proxy.py, URL mode, default selection; median of {rounds} round(s), the "
        "contenders taking turns in each round.",
        "",
        "| round-trip time added | " + " | ".join(names) + " | " +
        (f"regsuite / {OFFICIAL} |" if OFFICIAL in names else "|").rstrip(" |") + " |",
        "| --- |" + " --- |" * (len(names) + (OFFICIAL in names)),
    ]
    for rtt, sides in walls.items():
        medians = {n: statistics.median(sides[n]) for n in names}
        cells = [f"{medians[n]:.1f} s" for n in names]
        if OFFICIAL in names:
            cells.append(f"{medians[names[0]] / medians[OFFICIAL]:.2f}")
        lines.append(f"| {rtt:g} ms | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def distance(args: argparse.Namespace, selection: list[str]) -> str:
    rtts = [float(v) for v in args.rtt_ms.split(",") if v.strip()]
    new = working_tree()
    contenders: list[tuple[str, dict[str, object]]] = [
        ("regsuite", {"suite": new}),
        ("regsuite --concurrency 1", {"suite": new, "extra": ("--concurrency", "1")}),
    ]
    if args.oci_suite is not None:
        contenders.append((OFFICIAL, {"official": args.oci_suite}))
    with baseline(args.baseline_ref) if args.baseline_ref else nullcontext() as old:
        if old is not None:
            contenders.append((f"baseline {old.name}", {"suite": old}))
        walls: dict[float, dict[str, list[float]]] = {}
        for rtt in rtts:
            sides = walls.setdefault(rtt, {name: [] for name, _ in contenders})
            for i in range(args.rounds):
                order = contenders if i % 2 == 0 else list(reversed(contenders))
                for name, how in order:
                    sides[name].append(distant_round(name, rtt, selection, args.timeout, **how))  # type: ignore[arg-type]
        return distance_report(walls, [name for name, _ in contenders], args.rounds)


def _median(rounds: list[Round], attr: str) -> float:
    return statistics.median(getattr(r, attr) for r in rounds)


def report(measured: dict[str, dict[str, list[Round]]], names: tuple[str, str]) -> str:
    base_name, new_name = names
    lines = [
        "# Conformance run speed, side by side",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.node()}: "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}. Baseline: {base_name}; against it: "
        f"{new_name}. Default selection, `-p no:randomly`; each run against a fresh registry, the two "
        "alternating, first one then the other going first.",
        "",
        "| mode | suite | rounds | wall time (median, min-max) | CPU: suite + registry (median) | verdicts "
        "| outcomes | load average at start |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for mode, sides in measured.items():
        for name in names:
            runs = sides[name]
            walls = [r.wall for r in runs]
            outcomes = ", ".join(f"{n} {k}" for k, n in sorted(runs[-1].outcomes.items()))
            loads = ", ".join(f"{r.load:.1f}" for r in runs)
            cpu = f"{_median(runs, 'suite_cpu'):.2f} s + {_median(runs, 'registry_cpu'):.2f} s"
            lines.append(f"| {mode} | {name} | {len(runs)} | {statistics.median(walls):.2f} s "
                         f"({min(walls):.2f}-{max(walls):.2f}) | {cpu} | {runs[-1].checks} | {outcomes} | {loads} |")
    lines += ["", "| mode | wall time ratio (median / median) | CPU ratio (suite + registry) |", "| --- | --- | --- |"]
    for mode, sides in measured.items():
        base, new = sides[base_name], sides[new_name]
        wall = _median(new, "wall") / _median(base, "wall")
        cpu = (_median(new, "suite_cpu") + _median(new, "registry_cpu")) / (
            _median(base, "suite_cpu") + _median(base, "registry_cpu"))
        lines.append(f"| {mode} | {wall:.2f} | {cpu:.2f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-ref", default=None, help="the git commit to compare with (required unless --smoke)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--mode", choices=["url", "embedded", "both"], default="both")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds allowed per run")
    parser.add_argument("--out", type=Path, default=None,
                        help="where the results go (default: benchmarks/results/conformance_speed.md; "
                             "with --smoke, nowhere)")
    parser.add_argument("--rtt-ms", default=None,
                        help="round-trip times to put the registry at, comma-separated (e.g. 0,20,50): the distance "
                             "table instead of the side-by-side one")
    parser.add_argument("--oci-suite", type=Path, default=None,
                        help="with --rtt-ms: the official OCI conformance suite's binary, measured alongside")
    parser.add_argument("--smoke", action="store_true",
                        help="a check that the script works: one round of the ping area, URL mode, against HEAD; "
                             "printed, not recorded")
    args = parser.parse_args()
    if not 1 <= args.rounds <= 20:
        parser.error("--rounds must be between 1 and 20")
    if args.oci_suite is not None and not args.oci_suite.is_file():
        parser.error(f"--oci-suite {args.oci_suite}: no such file")
    if args.smoke:
        args.rounds, args.timeout, args.mode = 1, min(args.timeout, 120.0), "url"
        print(distance(argparse.Namespace(**{**vars(args), "rtt_ms": "20", "baseline_ref": None}), SMOKE_SELECTION))
        args.baseline_ref = args.baseline_ref or "HEAD"
    elif args.rtt_ms is not None:
        text = distance(args, [])
        out = args.out or ROOT / "benchmarks" / "results" / "conformance_distance.md"
        out.write_text(keep_notes(out, text))
        print(text)
        return
    elif args.baseline_ref is None:
        parser.error("--baseline-ref is required: the commit to measure the working tree against (e.g. 48383d9)")
    elif args.out is None:
        args.out = ROOT / "benchmarks" / "results" / "conformance_speed.md"
    selection = SMOKE_SELECTION if args.smoke else []
    modes = ["url", "embedded"] if args.mode == "both" else [args.mode]
    new = working_tree()
    with baseline(args.baseline_ref) as old:
        measured: dict[str, dict[str, list[Round]]] = {}
        for mode in modes:
            sides = measured.setdefault(mode, {old.name: [], new.name: []})
            for i in range(args.rounds):
                for suite in (old, new) if i % 2 == 0 else (new, old):
                    result = one_round(suite, mode, selection, args.timeout)
                    sides[suite.name].append(result)
                    print(f"{mode} round {i + 1}, {suite.name}: {result.wall:.2f} s, {result.checks} verdicts, "
                          f"CPU {result.suite_cpu:.2f} s + registry {result.registry_cpu:.2f} s, "
                          f"load {result.load:.1f}", flush=True)
        text = report(measured, (old.name, new.name))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(keep_notes(args.out, text))
    print(text)


BEGIN, END = "<!-- measured: written by benchmarks/conformance_speed.py -->", "<!-- end of measured -->"


def keep_notes(path: Path, measured: str) -> str:
    """The recorded file with its measured part replaced; the notes written around it (the profile) are kept."""
    block = f"{BEGIN}\n{measured}{END}\n"
    old = path.read_text() if path.exists() else ""
    if BEGIN in old and END in old:
        return old[: old.index(BEGIN)] + block + old[old.index(END) + len(END) + 1:]
    return block + old


if __name__ == "__main__":
    main()
