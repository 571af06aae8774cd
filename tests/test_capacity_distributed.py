"""Self-tests of the capacity search on locust's distributed engine, with the registry's own metrics.

`regsuite capacity --master` runs one master per step; `regsuite worker`s
started elsewhere connect to each in turn (tests/distributed.py: empty
folders, empty HOMEs, a bare environment). Where network namespaces can be
made, master and registry run in a hub namespace and each worker in its own.
The registry is a real distribution with its Prometheus endpoint on; every
scrape is a GET to an address inside the namespaces or on loopback.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from contextlib import nullcontext
from pathlib import Path

import netns
import pytest
from distributed import REGSUITE, RUN_TIMEOUT, registry, start_worker, stop, wait_for_line

from regsuite.errors import ExitCode
from regsuite.providers.config import free_port
from regsuite.providers.process import registry_binary

pytestmark = pytest.mark.skipif(registry_binary() is None, reason="needs the docker-registry binary")


def capacity_argv(host: str, port: int, url: str, report_dir: Path, *extra: str) -> list[str]:
    return [*REGSUITE, "capacity", "--master", "--expect-workers", "2", "--master-bind-host", host,
            "--master-bind-port", str(port), "--workers-wait", "90", "--host", url, "--scenario", "hot-image",
            "--slo", "p95:image-pull=5000", "--slo", "errors=5%", "--start-users", "2", "--step-users", "2",
            "--refine", "0", "--min-gain", "0", "--report-dir", str(report_dir), "--run-name", "dist", *extra]


def test_search_spreads_each_step_over_two_workers_and_reads_the_registry_side(tmp_path: Path,
                                                                               record_property) -> None:
    why_not = netns.why_not_possible()
    record_property("network", "namespaces" if why_not is None else f"loopback ({why_not})")
    metrics_port = free_port()
    with netns.network(2) if why_not is None else nullcontext() as net:
        hub = net.run_in(net.hub, []) if net else []
        host = net.service if net else "127.0.0.1"
        with registry(hub, host, tmp_path, metrics_port=metrics_port) as url:
            port = free_port()
            master = subprocess.Popen(
                [*hub, *capacity_argv(host, port, url, tmp_path / "reports", "--metrics-url",
                                      f"http://{host}:{metrics_port}/metrics", "--max-users", "4",
                                      "--step-seconds", "4", "--max-steps", "2")],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL,
                start_new_session=True)
            workers = [start_worker(net.run_in(net.workers[i], []) if net else [], tmp_path, f"w{i + 1}", host, port)
                       for i in range(2)]
            try:
                output, _ = master.communicate(timeout=2 * RUN_TIMEOUT)
            finally:
                for worker, _ in workers:  # they wait for a next step that will not come: stop them
                    if worker.poll() is None:
                        os.killpg(worker.pid, signal.SIGTERM)
                codes = [w.wait(timeout=60) for w, _ in workers]
                stop([master, *(w for w, _ in workers)])

    assert master.returncode == 0, output
    assert "Traceback" not in output and "warning: metrics" not in output, output
    for i in (1, 2):
        said = (tmp_path / f"w{i}.out").read_text()
        assert "step 1 done" in said and "step 2 done" in said, said
    assert codes == [0, 0]
    run = tmp_path / "reports" / "capacity" / "dist"
    doc = json.loads((run / "capacity.json").read_text())
    assert doc["master"] and doc["workers"] == 2 and len(doc["steps"]) == 2
    for step in doc["steps"]:
        assert sorted(w["name"] for w in step["workers"]) == ["w1", "w2"], step["workers"]
        assert all(w["requests"] > 0 and w["rps"] > 0 and w["cpu_mean"] >= 0 and w["lost"] is None
                   for w in step["workers"]), step["workers"]
        assert sum(w["requests"] for w in step["workers"]) == step["requests"]
        server = step["server"]
        assert server["sources"][0]["error"] is None and server["requests"]["per_s"] > 0, server
        assert server["requests"]["p95_ms"] is not None and server["in_flight_mean"] is not None, server
        assert server["cpu_percent"] is not None and server["memory_bytes"], server
        # Client and server count the same requests; the routes of a pull are there from both sides.
        routes = {r["handler"]: r for r in step["routes"]}
        assert {"manifest", "blob"} <= set(routes), routes
        assert routes["manifest"]["server_per_s"] > 0 and routes["manifest"]["client_p95_ms"] is not None
        assert {"manifest HEAD", "manifest GET", "config", "layer"} <= set(step["phases"]), step["phases"]
    html = (run / "capacity.html").read_text()
    for heading in ("CPU per worker", "Requests per second per worker", "Requests in flight at the registry",
                    "client and server", "Workers per step", "time to first byte"):
        assert heading in html, heading
    assert "w1" in html and "w2" in html
    bench = json.loads((run / "benchmark.json").read_text())
    assert {"capacity hot-image knee users", "capacity hot-image knee requests/s"} <= {b["name"] for b in bench}
    # Nothing of the run landed on the workers' disks.
    for _, cwd in workers:
        assert list(cwd.iterdir()) == [] and list((cwd.parent / f"{cwd.name[:-4]}-home").iterdir()) == []


def test_a_worker_lost_mid_search_ends_it_with_exit_30_and_a_report(shared_distribution, tmp_path: Path) -> None:
    port = free_port()
    report_dir = tmp_path / "reports"
    step_seconds = 20
    master = subprocess.Popen(capacity_argv("127.0.0.1", port, shared_distribution.url, report_dir, "--max-users",
                                            "8", "--step-seconds", str(step_seconds), "--max-steps", "3"),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL,
                              start_new_session=True)
    workers = [start_worker([], tmp_path, f"w{i + 1}", "127.0.0.1", port)[0] for i in range(2)]
    log = report_dir / "capacity" / "dist" / "load" / "step01-2u" / "locust.log"
    try:
        wait_for_line(log, "Sending spawn jobs of 2 users", master)
        time.sleep(4)  # both workers under load and reporting
        os.killpg(workers[1].pid, signal.SIGKILL)  # worker w2 and its locust process die at once
        killed = time.monotonic()
        output, _ = master.communicate(timeout=RUN_TIMEOUT)
        took = time.monotonic() - killed
    finally:
        stop([master, *workers])

    assert master.returncode == ExitCode.WORKERS_LOST, output
    assert took < step_seconds + 90, f"the search took {took:.0f} s to end after the loss"
    assert "lost generator workers" in output and "(w2)" in output, output
    doc = json.loads((report_dir / "capacity" / "dist" / "capacity.json").read_text())
    assert doc["stop_reason"] == "workers-lost" and len(doc["steps"]) == 1, doc["stop_detail"]
    [step] = doc["steps"]
    assert step["verdict"] == "workers-lost" and step["workers_lost"], step
    assert (report_dir / "capacity" / "dist" / "capacity.html").exists()


def test_an_unreachable_metrics_url_is_one_warning_and_the_search_completes(shared_distribution,
                                                                            tmp_path: Path) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}/metrics"  # nothing listens there
    proc = subprocess.run(
        [*REGSUITE, "capacity", "--host", shared_distribution.url, "--metrics-url", nowhere, "--scenario",
         "hot-image", "--slo", "p95:image-pull=5000", "--start-users", "1", "--step-users", "1", "--max-users", "2",
         "--step-seconds", "2", "--max-steps", "2", "--refine", "0", "--min-gain", "0",
         "--report-dir", str(tmp_path), "--run-name", "nowhere"],
        capture_output=True, text=True, timeout=RUN_TIMEOUT, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    warnings = [line for line in proc.stdout.splitlines() if "warning: metrics" in line]
    assert len(warnings) == 1 and nowhere in warnings[0] and "unreachable" in warnings[0], proc.stdout
    doc = json.loads((tmp_path / "capacity" / "nowhere" / "capacity.json").read_text())
    assert len(doc["steps"]) == 2 and all(s["server"]["sources"][0]["error"] for s in doc["steps"])
