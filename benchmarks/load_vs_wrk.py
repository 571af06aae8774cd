"""How close does the locust pull user get to wrk and curl on the same registry?

One embedded distribution registry; the same connection count for both sides:

1. Manifest requests/s: our pull user in manifest-only mode (HEAD by tag + GET
   by digest, one locust process) vs `wrk -t1` GETting the same manifest URL.
2. Blob pull MB/s: one pull user streaming a large layer vs `curl -o /dev/null`.
3. Blob push MB/s: one push user, monolithic uploads vs curl POST + PUT of a
   blob of the same size (a new blob each time, as the push user sends).

Writes benchmarks/results/load.md (or --out). Usage:
    python benchmarks/load_vs_wrk.py [--connections 8] [--seconds 8] [--blob-mib 64] [--rounds 3]
    python benchmarks/load_vs_wrk.py --smoke      # seconds, tiny sizes: does it run (writes to a temporary file)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from regsuite import mediatypes as mt  # noqa: E402
from regsuite.content import random_bytes  # noqa: E402
from regsuite.load.cpu import CpuMonitor  # noqa: E402
from regsuite.load.profiles import Profile, PullSpec, PushSpec, Shape  # noqa: E402
from regsuite.load.result import LoadResult  # noqa: E402
from regsuite.load.runner import LoadOptions, run_profile  # noqa: E402
from regsuite.load.seed import read_pool  # noqa: E402
from regsuite.providers import ProcessProvider  # noqa: E402
from regsuite.target import Target  # noqa: E402

MB = 1_000_000


def steady_mean(per_second: list[float]) -> float:
    """Mean of the per-second counts without the first and last second (spawning, stopping) when there are more."""
    inner = per_second[1:-1] if len(per_second) > 2 else per_second
    return statistics.mean(inner) if inner else 0.0


def locust_run(target: Target, profile: Profile, report_dir: Path, name: str) -> LoadResult:
    # keep_content: wrk and curl fetch the pool this run seeded (the registry is a throwaway one)
    result = run_profile(LoadOptions(target=target, profile=profile, report_dir=report_dir, run_name=name,
                                     keep_content=True))
    if result.stats.total_failures or result.problems:
        raise SystemExit(f"{name}: the locust run had failures: {result.verdict()}")
    return result


def ours_manifest_rps(target: Target, connections: int, seconds: float, report_dir: Path) -> tuple[float, LoadResult]:
    profile = Profile("bench-manifests", shape=Shape("constant", users=connections, spawn_rate=connections * 10,
                                                     duration=seconds),
                      max_requests=10_000_000, mix={"pull": 1}, pull=PullSpec(sizes=(1024,), manifests_only=True))
    result = locust_run(target, profile, report_dir, "manifest-rate")
    return steady_mean([float(n) for _, n, _ in result.stats.throughput()]), result


def wrk_rps(url: str, connections: int, seconds: float) -> tuple[float, float]:
    """wrk's requests/s and the CPU seconds wrk itself used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{int(seconds)}s", "-H", f"Accept: {mt.ACCEPT_ALL_MANIFESTS}", url],
        capture_output=True, text=True, timeout=seconds + 30, check=True,
    ).stdout
    m = re.search(r"Requests/sec:\s*([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    if not m or non2xx:
        raise SystemExit(f"wrk output not usable:\n{out}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return float(m.group(1)), cpu


def plain_locust_rps(target: Target, path: str, connections: int, seconds: float, workdir: Path) -> tuple[float, float]:
    """Requests/s and mean CPU % (of a core) of a bare FastHttpUser GETting `path`: locust's own cost."""
    out = workdir / "plain"
    env = dict(os.environ, BENCH_PATH=path, BENCH_ACCEPT=mt.ACCEPT_ALL_MANIFESTS)
    monitor = CpuMonitor().start()
    proc = subprocess.Popen(
        [sys.executable, "-m", "locust", "-f", str(ROOT / "benchmarks" / "plain_locustfile.py"), "--headless",
         "-u", str(connections), "-r", str(connections * 10), "-t", f"{int(seconds)}s", "--host", target.url,
         "--json-file", str(out), "--only-summary", "--exit-code-on-error", "0"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    monitor.watch(proc.pid, "plain")
    proc.wait(timeout=seconds + 60)
    cpu = monitor.stop().processes[0].mean
    stats = json.loads(out.with_suffix(".json").read_text())
    if any(e["num_failures"] for e in stats):
        raise SystemExit("the plain locust run had failures")
    per_second = [float(n) for _, n in sorted(stats[0]["num_reqs_per_sec"].items())]
    return steady_mean(per_second), cpu


def ours_blob_mbps(result: LoadResult, kind: str) -> float:
    """Bytes per second of busy operation time (one user: operations back to back)."""
    row = result.stats.by_type()[kind]
    return row.bytes / MB / (row.total_ms / 1000)


def curl_pull_mbps(url: str, repeats: int) -> float:
    speeds = []
    for _ in range(repeats):
        out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{size_download} %{time_total}", url],
                             capture_output=True, text=True, timeout=120, check=True).stdout.split()
        speeds.append(int(out[0]) / MB / float(out[1]))
    return statistics.median(speeds)


def curl_push_mbps(target: Target, size: int, repeats: int, workdir: Path) -> float:
    import hashlib

    base = random_bytes("bench-curl-push", size - 16)
    speeds = []
    for i in range(repeats):
        data = base + f"{os.getpid():08x}{i:08x}".encode()
        path = workdir / "blob.bin"
        path.write_bytes(data)
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        started = time.perf_counter()
        head = subprocess.run(["curl", "-s", "-i", "-X", "POST", "-H", "Content-Length: 0",
                               f"{target.url}/v2/bench/curl/blobs/uploads/"],
                              capture_output=True, text=True, timeout=60, check=True).stdout
        location = re.search(r"^location:\s*(\S+)", head, re.IGNORECASE | re.MULTILINE)
        if not location:
            raise SystemExit(f"curl POST gave no Location:\n{head}")
        url = location.group(1)
        url = url if "://" in url else target.url + url
        status = subprocess.run(
            ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT",
             "-H", "Content-Type: application/octet-stream",
             "--data-binary", f"@{path}", f"{url}{'&' if '?' in url else '?'}digest={digest}"],
            capture_output=True, text=True, timeout=120, check=True).stdout
        elapsed = time.perf_counter() - started
        if status != "201":
            raise SystemExit(f"curl PUT answered {status}")
        speeds.append(size / MB / elapsed)
    return statistics.median(speeds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--blob-mib", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3, help="curl transfers per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "load.md")
    parser.add_argument("--smoke", action="store_true",
                        help="a few seconds with tiny sizes, one round; the figures mean nothing, the run must pass")
    args = parser.parse_args()
    if args.smoke:
        args.connections, args.seconds, args.blob_mib, args.repeats, args.rounds = 2, 2, 2, 1, 1
        if args.out == parser.get_default("out"):  # never overwrite the recorded figures with a smoke run
            args.out = Path(tempfile.gettempdir()) / "regsuite-load-vs-wrk-smoke.md"
    blob_size = args.blob_mib << 20
    samples: dict[str, list[tuple[float, float]]] = {}
    notes: dict[str, str] = {}

    def record(label: str, ours: float, reference: float, note: str = "") -> None:
        samples.setdefault(label, []).append((ours, reference))
        notes[label] = note

    with ProcessProvider() as target, tempfile.TemporaryDirectory(prefix="regsuite-bench-") as tmp:
        busy_before = psutil.cpu_percent(interval=1.0)
        for round_no in range(args.rounds):  # ours and the reference back to back: machine drift hits both
            reports = Path(tmp) / f"round{round_no}"
            ours, manifests = ours_manifest_rps(target, args.connections, args.seconds, reports)
            image = read_pool(manifests.run_dir / "pool.json")[0]
            theirs, wrk_cpu = wrk_rps(f"{target.url}/v2/{image.repo}/manifests/{image.tag}", args.connections,
                                      args.seconds)
            cpu = max((p.mean for p in manifests.cpu.processes), default=0.0)
            record(f"manifest requests/s, {args.connections} connections (wrk -t1)", ours, theirs,
                   f"locust process at {cpu:.0f} % of a core")
            # Independent of how busy the registry is: requests per second of the generator's own CPU.
            efficiency = ours / max(cpu / 100, 1e-3)
            record("generator efficiency: manifest requests per CPU-second (wrk)", efficiency,
                   theirs * int(args.seconds) / max(wrk_cpu, 1e-3), "locust: steady-state mean CPU of its process")
            plain, plain_cpu = plain_locust_rps(target, f"/v2/{image.repo}/manifests/{image.tag}", args.connections,
                                                args.seconds, reports)
            record("generator efficiency: manifest requests per CPU-second (bare locust FastHttpUser GET)",
                   efficiency, plain / max(plain_cpu / 100, 1e-3),
                   "the cost of transactions, auth handling and step checks over locust's own")

            one_user = Shape("constant", users=1, spawn_rate=1, duration=args.seconds)
            pull = Profile("bench-pull", shape=one_user, max_requests=1_000_000, mix={"pull": 1},
                           pull=PullSpec(sizes=(blob_size,)))
            pulled = locust_run(target, pull, reports, "blob-pull")
            pulled_image = read_pool(pulled.run_dir / "pool.json")[0]
            layer_url = f"{target.url}/v2/{pulled_image.repo}/blobs/{pulled_image.layers[0].digest}"
            record(f"blob pull MB/s, {args.blob_mib} MiB layer, 1 connection (curl)",
                   ours_blob_mbps(pulled, "image-pull"), curl_pull_mbps(layer_url, args.repeats))

            push = replace(pull, name="bench-push", mix={"push": 1},
                           push=PushSpec(sizes=(blob_size,), methods=("monolithic",)))
            pushed = locust_run(target, push, reports, "blob-push")
            record(f"blob push MB/s, {args.blob_mib} MiB monolithic, 1 connection (curl POST+PUT)",
                   ours_blob_mbps(pushed, "image-push"), curl_push_mbps(target, blob_size, args.repeats, Path(tmp)),
                   "ours includes HEADs, config and manifest PUT")
        busy_after = psutil.cpu_percent(interval=1.0)

    rows = [(label, statistics.median(o for o, _ in pairs), statistics.median(r for _, r in pairs),
             statistics.median(o / r for o, r in pairs), notes[label]) for label, pairs in samples.items()]
    lines = [
        "# Load generator vs wrk and curl",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `benchmarks/load_vs_wrk.py "
        f"--connections {args.connections} --seconds {args.seconds:g} --blob-mib {args.blob_mib}` on "
        f"{psutil.cpu_count()} cores ({platform.machine()}), distribution "
        f"{subprocess.run(['docker-registry', '--version'], capture_output=True, text=True).stdout.split()[-1]} "
        f"as a process on loopback, registry and generator on the same cores. Machine busy before/after "
        f"(other work): {busy_before:.0f} % / {busy_after:.0f} %.",
        "",
        f"Medians of {args.rounds} rounds; in each round ours and the reference ran back to back, and the",
        "ratio is the median of the per-round ratios.",
        "",
        "| measure | regsuite (locust) | reference | ratio | note |",
        "|---|---:|---:|---:|---|",
    ]
    if args.smoke:
        lines[1:1] = ["", "**Smoke run (--smoke): tiny sizes for seconds; the figures mean nothing.**"]
    for label, ours_value, ref, ratio, note in rows:
        lines.append(f"| {label} | {ours_value:,.1f} | {ref:,.1f} | {ratio:.2f} | {note} |")
    lines += [
        "",
        "Manifest rate: our pull user in manifest-only mode sends HEAD by tag then GET by digest, wrk",
        "repeats GET by tag; the rate counts every request. When the registry (not the generator) is the",
        "limit, both rates measure the registry; the efficiency row (requests per CPU-second the",
        "generator itself used) compares the generators regardless. Blob rates are bytes over the time",
        "the operation was busy, one connection, as curl's.",
        "",
        "```json",
        json.dumps({label: {"ours": round(o, 1), "reference": round(r, 1), "ratio": round(q, 3),
                            "rounds": [[round(a, 1), round(b, 1)] for a, b in samples[label]]}
                    for label, o, r, q, _ in rows}, indent=1),
        "```",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
