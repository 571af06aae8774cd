"""Network namespaces for multi-machine self-tests: a hub (master and registry) and worker "machines".

Each worker namespace is joined to the hub by its own veth pair. Every address
exists only inside the namespaces made here (198.18.0.0/15, the benchmarking
range): the hub's service address on its loopback, and a /30 per pair. Worker
namespaces route to the service address over their pair. Deleting the
namespaces removes the pairs and addresses with them.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

SERVICE_ADDRESS = "198.18.100.1"  # the hub's address for master and registry, on its loopback


@dataclass(frozen=True)
class Network:
    hub: str
    workers: list[str]
    service: str = SERVICE_ADDRESS

    def run_in(self, namespace: str, argv: list[str]) -> list[str]:
        """argv run inside `namespace`."""
        return ["ip", "netns", "exec", namespace, *argv]


def why_not_possible() -> str | None:
    """None when namespaces can be made here, else the reason."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if shutil.which("ip") is None:
        return "no `ip` command (iproute2)"
    probe = f"rs-probe-{secrets.token_hex(3)}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True, timeout=10)
    if made.returncode != 0:
        return f"`ip netns add` failed: {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True, timeout=10)
    return None


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True, timeout=10)


@contextmanager
def network(workers: int) -> Iterator[Network]:
    tag = secrets.token_hex(3)
    hub = f"rs-hub-{tag}"
    names = [f"rs-w{i + 1}-{tag}" for i in range(workers)]
    made: list[str] = []
    try:
        for name in (hub, *names):
            _ip("netns", "add", name)
            made.append(name)
            _ip("-n", name, "link", "set", "lo", "up")
        _ip("-n", hub, "addr", "add", f"{SERVICE_ADDRESS}/32", "dev", "lo")
        for i, name in enumerate(names, start=1):
            hub_end, worker_end = f"rsh{i}{tag}", f"rsw{i}{tag}"
            _ip("-n", hub, "link", "add", hub_end, "type", "veth", "peer", "name", worker_end, "netns", name)
            _ip("-n", hub, "addr", "add", f"198.18.{i}.1/30", "dev", hub_end)
            _ip("-n", name, "addr", "add", f"198.18.{i}.2/30", "dev", worker_end)
            _ip("-n", hub, "link", "set", hub_end, "up")
            _ip("-n", name, "link", "set", worker_end, "up")
            _ip("-n", name, "route", "add", f"{SERVICE_ADDRESS}/32", "via", f"198.18.{i}.1")
        yield Network(hub, names)
    finally:
        for name in reversed(made):
            subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10)
