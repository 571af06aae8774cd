"""How far a replay keeps up on this machine, at rising speed factors, beside the arrival profile at the same rate.

    python benchmarks/replay_keepup.py [--seconds 20] [--rate 20] [--speeds 1,2,4,8] [--out FILE]
    python benchmarks/replay_keepup.py --smoke     # seconds: a tiny log, two speeds, nothing recorded

A real access log first: an embedded distribution (access log on) driven for --seconds at --rate
operations per second with the known mix of regsuite.testing.traffic. Then, against one fresh
registry, for each speed K: the log replayed at K (`regsuite load --replay LOG --speed K`), and the
`arrival` profile (manifest-only pulls: a HEAD and a GET, about the weight of a replayed operation) at
the operations per second the replay intended, for as long. Each row: intended and achieved rate,
their ratio, the share of operations that started over 100 ms late, the longest wait, the replay's
lateness p95 against the log's times, and the generator's CPU. Markdown to --out.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from regsuite.load.profiles import Profile, PullSpec, Shape
from regsuite.load.result import LoadResult
from regsuite.load.runner import LoadOptions, run_profile
from regsuite.providers import ProcessProvider, RegistryConfig
from regsuite.replay.run import ReplaySpec, run_replay
from regsuite.target import Target
from regsuite.testing.traffic import drive

ACCESS_LOG = RegistryConfig(extra={"log": {"accesslog": {"disabled": False}, "level": "info"}})


@dataclass
class Row:
    run: str
    speed: float
    intended: float
    achieved: float
    late_share: float
    longest_wait_ms: float
    lateness_p95_ms: float | None
    generator_cpu: float
    machine_cpu: float
    note: str

    @property
    def ratio(self) -> float:
        return self.achieved / self.intended if self.intended else 0.0

    def cells(self) -> list[str]:
        late = "-" if self.lateness_p95_ms is None else f"{self.lateness_p95_ms:g}"
        return [self.run, f"{self.speed:g}x", f"{self.intended:.1f}", f"{self.achieved:.1f}", f"{self.ratio:.2f}",
                f"{self.late_share:.1%}", f"{self.longest_wait_ms:.0f}", late, f"{self.generator_cpu:.0f}",
                f"{self.machine_cpu:.0f}", self.note]


def row(run: str, speed: float, result: LoadResult, lateness_p95: float | None, note: str) -> Row:
    counts = result.generator.arrival if result.generator else None
    started = counts.started if counts else 0
    return Row(run, speed, result.intended_rate or 0.0, result.achieved_rate or 0.0,
               (counts.late / started) if counts and started else 0.0, counts.max_lag_ms if counts else 0.0,
               lateness_p95, max((p.mean for p in result.cpu.processes), default=0.0), result.cpu.machine_mean, note)


def record_log(seconds: float, rate: float, out: Path) -> int:
    provider = ProcessProvider(ACCESS_LOG)
    with provider as target:
        traffic = drive(target, seconds, rate)
        out.write_text(provider.log())
    return sum(traffic.ops.values())


def measure(target: Target, log: Path, speed: float, report_dir: Path) -> tuple[Row, Row]:
    options = LoadOptions(target=target, profile=Profile("replay"), report_dir=report_dir,
                          run_name=f"replay-{speed:g}x")
    replayed = run_replay(options, ReplaySpec(log, speed=speed))
    fidelity = replayed.fidelity
    assert fidelity is not None, replayed.load.verdict()
    note = f"behind, limited by {fidelity.limited_by}" if fidelity.notice else "kept up"
    first = row("replay", speed, replayed.load, fidelity.lateness_ms.get("p95"), note)
    shape = Shape("arrival", rate=max(first.intended, 0.1), duration=max(replayed.load.schedule_seconds, 1.0),
                  users=replayed.load.profile.shape.users, max_users=replayed.load.profile.shape.max_users)
    arrival = Profile("arrival", shape=shape, max_requests=1_000_000, mix={"pull": 1},
                      pull=PullSpec(sizes=(1 << 10,), manifests_only=True))
    same = run_profile(replace(options, profile=arrival, run_name=f"arrival-{speed:g}x", extension=None))
    notice = same.keep_up_notice()
    return first, row("arrival", speed, same, None, "behind" if notice else "kept up")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the recorded log")
    parser.add_argument("--rate", type=float, default=20.0, help="operations per second of the recorded traffic")
    parser.add_argument("--speeds", default="1,2,4,8", help="speed factors, comma-separated")
    parser.add_argument("--report-dir", type=Path, default=Path("reports/bench-replay"))
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/replay.md"))
    parser.add_argument("--smoke", action="store_true",
                        help="a 4 s log at 5/s, two speeds; the markdown goes to a temporary file")
    args = parser.parse_args()
    speeds = [float(s) for s in args.speeds.split(",")]
    if args.smoke:
        args.seconds, args.rate, speeds = 4.0, 5.0, [1.0, 2.0]
        smoke_dir = Path(tempfile.mkdtemp(prefix="regsuite-replay-smoke-"))
        args.report_dir, args.out = smoke_dir / "reports", smoke_dir / "replay.md"
    args.report_dir.mkdir(parents=True, exist_ok=True)
    began, load_before = time.time(), os.getloadavg()[0]
    log = args.report_dir / "recorded.log"
    sent = record_log(args.seconds, args.rate, log)
    print(f"recorded {sent} operations in {args.seconds:g} s into {log}", flush=True)
    rows: list[Row] = []
    with ProcessProvider() as target:
        for speed in speeds:
            pair = measure(target, log, speed, args.report_dir)
            rows.extend(pair)
            for r in pair:
                print("  " + " | ".join(r.cells()), flush=True)
    head = ["run", "speed", "intended /s", "achieved /s", "achieved/intended", "started >100 ms late",
            "longest wait ms", "lateness p95 ms", "generator CPU %", "machine CPU %", ""]
    lines = [
        "# How far a replay keeps up on this machine",
        "",
        f"`python benchmarks/replay_keepup.py --seconds {args.seconds:g} --rate {args.rate:g} --speeds "
        f"{','.join(f'{s:g}' for s in speeds)}`, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(began))}; "
        f"{os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}; load average "
        f"{load_before:.1f} when the run began, {os.getloadavg()[0]:.1f} when it ended. The log: distribution 2.8.2 "
        f"driven with regsuite.testing.traffic's mix ({sent} operations); each replay and arrival run against one "
        "fresh embedded registry on loopback, one locust process.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
        *("| " + " | ".join(r.cells()) + " |" for r in rows),
        "",
        "`arrival`: manifest-only pulls (HEAD and GET) at the operations per second the replay intended, for as "
        "long. Lateness p95: how late each replayed operation started against its time in the log (divided by the "
        "speed).",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
