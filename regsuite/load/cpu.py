"""The load generator's own CPU use, sampled while locust runs.

Each locust process runs on one core (the GIL), so a process near 100 % of
one core is saturated: latencies and throughput then describe the generator,
not the registry. The monitor samples the run's processes on this machine
(the locust process, or the master) and the whole machine; locust workers,
wherever they run, report their own CPU (regsuite.load.generator).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import psutil

SATURATED_PERCENT = 90.0  # of one core, per generator process
# What held a measurement back (a capacity search's knee, a replay that fell behind), by one rule: `limit`.
GENERATOR_LIMIT = "generator"
MACHINE_LIMIT = "CPU of this machine (shared by the generator, a local registry and anything else running)"
REGISTRY_LIMIT = "registry"
_SETTLE_SAMPLES = 2  # the first seconds are imports and seeding of push content


@dataclass
class ProcessCpu:
    pid: int
    name: str
    samples: list[float] = field(default_factory=list)  # percent of one core
    host: str = ""  # a worker's machine, as it reported itself ("" for processes on this machine)

    def steady(self) -> list[float]:
        return self.samples[_SETTLE_SAMPLES:] or self.samples

    @property
    def mean(self) -> float:
        s = self.steady()
        return sum(s) / len(s) if s else 0.0

    @property
    def peak(self) -> float:
        return max(self.samples, default=0.0)

    @property
    def is_saturated(self) -> bool:
        return self.mean >= SATURATED_PERCENT


@dataclass
class CpuReport:
    processes: list[ProcessCpu]
    machine: list[tuple[float, float]]  # (unix time, percent of all cores)
    cores: int

    @property
    def saturated(self) -> list[ProcessCpu]:
        return [p for p in self.processes if p.is_saturated]

    @property
    def machine_mean(self) -> float:
        values = [v for _, v in self.machine[_SETTLE_SAMPLES:]] or [v for _, v in self.machine]
        return sum(values) / len(values) if values else 0.0

    def warning(self) -> str | None:
        if not self.saturated:
            return None
        names = ", ".join(f"{p.name}{f' on {p.host}' if p.host else ''} {p.mean:.0f}%" for p in self.saturated)
        return (f"the load generator was saturated ({names} of a core, mean): the figures measure "
                f"the generator, not the registry; add --processes or workers")

    def machine_note(self) -> str | None:
        """Whole machine busy: generator and registry (if local) competed for the cores."""
        if self.machine_mean < SATURATED_PERCENT or self.saturated:
            return None
        return (f"the machine was {self.machine_mean:.0f} % busy on average: the generator and anything else here "
                f"(a local registry included) competed for {self.cores} cores; treat the figures as a lower bound")

    def to_dict(self) -> dict[str, object]:
        return {
            "cores": self.cores,
            "saturated_percent": SATURATED_PERCENT,
            "machine_mean_percent": round(self.machine_mean, 1),
            "processes": [
                {"pid": p.pid, "name": p.name, "host": p.host, "mean_percent": round(p.mean, 1),
                 "peak_percent": round(p.peak, 1), "samples": len(p.samples), "saturated": p.is_saturated}
                for p in self.processes
            ],
            "warning": self.warning(),
            "machine_note": self.machine_note(),
        }


def limit(generator_saturated: bool, machine_percent: float) -> str:
    """A saturated generator process measures itself; a machine over SATURATED_PERCENT busy (generator, a local
    registry and the rest sharing its cores) sets the limit; else the registry (or whatever is in front of it)."""
    if generator_saturated:
        return GENERATOR_LIMIT
    if machine_percent >= SATURATED_PERCENT:
        return MACHINE_LIMIT
    return REGISTRY_LIMIT


class CpuMonitor:
    """Samples the given root processes and their children until stopped."""

    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval
        self._roots: list[psutil.Process] = []
        self._tracked: dict[int, tuple[psutil.Process, ProcessCpu]] = {}
        self._machine: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="regsuite-cpu", daemon=True)

    def watch(self, pid: int, name: str, *, children: bool = True) -> None:
        """Sample `pid`, and its children unless they report their own CPU (locust workers do)."""
        try:
            proc = psutil.Process(pid)
        except psutil.NoSuchProcess:
            return
        if children:
            self._roots.append(proc)
        self._track(proc, name)

    def _track(self, proc: psutil.Process, name: str) -> None:
        if proc.pid not in self._tracked:
            try:
                proc.cpu_percent(None)  # the first call only sets the baseline
            except psutil.Error:
                return
            self._tracked[proc.pid] = (proc, ProcessCpu(proc.pid, name))

    def start(self) -> CpuMonitor:
        psutil.cpu_percent(None)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            for root in list(self._roots):
                try:
                    for i, child in enumerate(root.children(recursive=True)):
                        self._track(child, f"{self._tracked[root.pid][1].name}/child{i + 1}")
                except psutil.Error:
                    pass
            for proc, record in list(self._tracked.values()):
                try:
                    record.samples.append(proc.cpu_percent(None))
                except psutil.Error:
                    pass  # ended; keep what it had
            self._machine.append((time.time(), psutil.cpu_percent(None)))

    def stop(self) -> CpuReport:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        return CpuReport([r for _, r in self._tracked.values() if r.samples], self._machine,
                         psutil.cpu_count() or 1)
