"""Self-tests of load runs beyond one machine: `regsuite load --master` and `regsuite worker` as separate processes.

Each worker runs in its own empty working directory with its own empty HOME
and a bare environment, so nothing of the run can reach it through files or
variables: the profile, pull pool, namespace and credentials have to come
over locust's messages. Where network namespaces can be made (root), the
master and the registry run in a hub namespace and each worker in a namespace
of its own, joined to the hub by a veth pair: the workers then reach the
master and the registry only the way a separate machine would.
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
from regsuite.providers import HtpasswdAuth
from regsuite.providers.config import free_port
from regsuite.providers.process import registry_binary

pytestmark = pytest.mark.skipif(registry_binary() is None, reason="needs the docker-registry binary")


def master_argv(host: str, port: int, url: str, report_dir: Path, *extra: str) -> list[str]:
    return [*REGSUITE, "load", "--master", "--expect-workers", "2", "--master-bind-host", host,
            "--master-bind-port", str(port), "--workers-wait", "90", "--host", url, "--profile", "smoke",
            "--report-dir", str(report_dir), "--run-name", "dist", *extra]


def test_master_and_two_workers_share_the_run_through_messages_only(tmp_path: Path, htpasswd_file,
                                                                      record_property) -> None:
    why_not = netns.why_not_possible()
    record_property("network", "namespaces" if why_not is None else f"loopback ({why_not})")
    password = "dist-load-" + tmp_path.name[-8:]
    auth = HtpasswdAuth(htpasswd_file({"loader": password}))
    with netns.network(2) if why_not is None else nullcontext() as net:
        hub = net.run_in(net.hub, []) if net else []
        host = net.service if net else "127.0.0.1"
        with registry(hub, host, tmp_path, auth) as url:
            port = free_port()
            env = {**os.environ, "REGSUITE_PASSWORD": password}
            master = subprocess.Popen([*hub, *master_argv(host, port, url, tmp_path / "reports", "--duration", "5",
                                                          "--registry-username", "loader")],
                                      env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                      stdin=subprocess.DEVNULL, start_new_session=True)
            workers = [start_worker(net.run_in(net.workers[i], []) if net else [], tmp_path, f"w{i + 1}", host, port)
                       for i in range(2)]
            try:
                output, _ = master.communicate(timeout=RUN_TIMEOUT)
                codes = [w.wait(timeout=60) for w, _ in workers]
            finally:
                stop([master, *(w for w, _ in workers)])

    assert master.returncode == 0, output
    assert codes == [0, 0], [(tmp_path / f"w{i}.out").read_text() for i in (1, 2)]
    summary = json.loads((tmp_path / "reports" / "load" / "dist" / "summary.json").read_text())
    reported = summary["generator"]["workers"]
    assert sorted(w["name"] for w in reported) == ["w1", "w2"]
    assert all(w["requests"] > 0 and w["lost"] is None for w in reported), reported
    # What the workers counted themselves adds up to the run's statistics, request for request.
    assert sum(w["requests"] for w in reported) == summary["stats"]["total"]["requests"]
    assert [w["requests"] for w in reported] == [w["requests_at_master"] for w in reported]
    assert all(w["cpu_samples"] > 0 and "saturated" in w for w in reported)
    assert {p["name"] for p in summary["cpu"]["processes"]} >= {w["label"] for w in _labels(reported)}
    assert summary["stats"]["total"]["failures"] == 0, summary["stats"]["errors"]
    # Nothing landed on the workers' disks; the password is nowhere in what anyone wrote or printed.
    for _, cwd in workers:
        assert list(cwd.iterdir()) == [] and list((cwd.parent / f"{cwd.name[:-4]}-home").iterdir()) == []
    for path in [*(tmp_path / "reports").rglob("*"), *tmp_path.glob("w*.out")]:
        if path.is_file():
            assert password not in path.read_text(errors="replace"), path
    assert password not in output


def _labels(workers: list[dict]) -> list[dict]:
    return [{"label": f"worker {w['index']} ({w['name']})"} for w in workers]


def test_a_killed_worker_is_named_and_the_min_workers_rule_ends_the_run(shared_distribution, tmp_path: Path) -> None:
    port = free_port()
    report_dir = tmp_path / "reports"
    master = subprocess.Popen(master_argv("127.0.0.1", port, shared_distribution.url, report_dir, "--duration", "40",
                                          "--min-workers", "2"),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL,
                              start_new_session=True)
    workers = [start_worker([], tmp_path, f"w{i + 1}", "127.0.0.1", port)[0] for i in range(2)]
    log = report_dir / "load" / "dist" / "locust.log"
    try:
        # "All users spawned" may never be logged on a busy machine (the workers report late)
        wait_for_line(log, "Sending spawn jobs of 4 users", master)
        time.sleep(4)  # both workers under load and reporting
        os.killpg(workers[1].pid, signal.SIGKILL)  # worker w2 and its locust process die at once
        output, _ = master.communicate(timeout=RUN_TIMEOUT)
    finally:
        stop([master, *workers])

    assert master.returncode == ExitCode.WORKERS_LOST, output
    last = output.strip().splitlines()[-1]
    assert last.startswith("regsuite load: load run stopped: 1 of 2 workers left, fewer than --min-workers 2"), last
    assert "(w2)" in last
    summary = json.loads((report_dir / "load" / "dist" / "summary.json").read_text())
    assert summary["exit_code"] == ExitCode.WORKERS_LOST
    by_name = {w["name"]: w for w in summary["generator"]["workers"]}
    lost = by_name["w2"]["lost"]
    assert lost is not None and by_name["w1"]["lost"] is None, by_name
    assert lost["at"] > 0 and lost["requests_lost"] >= 0 and lost["how"]
    assert summary["stats"]["seconds"] < 40, "the run went on to the end of its shape"
    page = (report_dir / "load" / "dist" / "summary.html").read_text()
    assert "Worker lost." in page and "w2" in page
