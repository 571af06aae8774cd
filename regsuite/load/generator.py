"""What the generator processes reported about themselves: workers, lost workers, the arrival schedule.

The run's master (or its single local locust process) writes `generator.json`
(loadtest/coordination.py): every worker as it reported itself over locust's
messages (name, host, requests it sent, CPU samples, how it kept its share of
the schedule), the workers lost while the run went on, whether the
`--min-workers` rule stopped the run, and the intended rate each second.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .arrival import ArrivalCounts
from .cpu import ProcessCpu


@dataclass
class WorkerFigures:
    id: str
    index: int
    name: str
    host: str
    pid: int
    requests: int  # counted by the worker itself
    reported: int  # added up by the master from the worker's statistics reports
    cpu: list[float]  # percent of one core, one sample a second
    users: int
    arrival: ArrivalCounts
    lost: dict[str, Any] | None  # at, last_heard (seconds into the run), how, requests_lost (estimate)

    @property
    def label(self) -> str:
        return f"worker {self.index + 1} ({self.name or self.id})"

    def cpu_record(self) -> ProcessCpu:
        return ProcessCpu(self.pid, self.label, list(self.cpu), host=self.host)

    def loss_line(self) -> str:
        lost = self.lost or {}
        return (f"{self.label} on {self.host or '?'} was lost {lost.get('at', 0):g} s into the run "
                f"({lost.get('how', 'lost')}; last heard at {lost.get('last_heard', 0):g} s): "
                f"{self.requests} requests reported, about {lost.get('requests_lost', 0)} more sent but never "
                "reported (estimate)")

    def to_dict(self) -> dict[str, Any]:
        cpu = self.cpu_record()
        return {"index": self.index + 1, "name": self.name, "host": self.host, "pid": self.pid, "id": self.id,
                "requests": self.requests, "requests_at_master": self.reported, "users": self.users,
                "cpu_mean_percent": round(cpu.mean, 1), "cpu_peak_percent": round(cpu.peak, 1),
                "cpu_samples": len(self.cpu), "saturated": cpu.is_saturated, "lost": self.lost,
                "arrival": self.arrival.to_dict()}


@dataclass
class GeneratorReport:
    role: str  # "local" or "master"
    started: float  # unix time the load began
    stopped: float  # unix time the stop began
    rates: list[tuple[float, float]]  # (unix time, intended iterations per second) each shape tick
    workers: list[WorkerFigures] = field(default_factory=list)
    min_workers: int = 0
    stopped_by: str | None = None  # the --min-workers rule ended the run
    local_arrival: ArrivalCounts = field(default_factory=ArrivalCounts)

    @property
    def arrival(self) -> ArrivalCounts:
        """How the schedule was kept, every process added up."""
        if not self.workers:
            return self.local_arrival
        total = ArrivalCounts()
        for worker in self.workers:
            total.add(worker.arrival)
        return total

    @property
    def lost(self) -> list[WorkerFigures]:
        return [w for w in self.workers if w.lost is not None]

    @property
    def seconds(self) -> float:
        return max(self.stopped - self.started, 0.0) if self.started and self.stopped else 0.0

    def workers_dict(self) -> dict[str, Any]:
        return {"role": self.role, "min_workers": self.min_workers, "stopped_by": self.stopped_by,
                "workers": [w.to_dict() for w in self.workers],
                "workers_lost": [w.loss_line() for w in self.lost]}


def read_generator(path: Path) -> GeneratorReport | None:
    """The report, or None when the run never got far enough to write one."""
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    workers = [WorkerFigures(
        id=w["id"], index=int(w["index"]), name=w.get("name", ""), host=w.get("host", ""), pid=int(w.get("pid", 0)),
        requests=int(w.get("requests", 0)), reported=int(w.get("reported", 0)),
        cpu=[float(c) for c in w.get("cpu", [])], users=int(w.get("users", 0)),
        arrival=ArrivalCounts.from_dict(w.get("arrival") or {}), lost=w.get("lost"),
    ) for w in raw.get("workers", [])]
    return GeneratorReport(
        role=raw.get("role", "local"), started=float(raw.get("started") or 0), stopped=float(raw.get("stopped") or 0),
        rates=[(float(t), float(r)) for t, r in raw.get("rates", [])], workers=workers,
        min_workers=int(raw.get("min_workers") or 0), stopped_by=raw.get("stopped_by"),
        local_arrival=ArrivalCounts.from_dict(raw.get("arrival") or {}),
    )
