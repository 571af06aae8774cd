"""What the processes of one run tell each other over locust's messages, and what the run's lead writes down.

Roles, decided when locust starts (its `init` event):

- **local** (a plain `locust` process): runs the users and the pacer itself.
- **master**: sends every worker the run's settings as it connects (profile,
  pull pool, namespace, credentials, CA text: nothing passes through files),
  and each second the share of the arrival rate each worker carries. It
  collects what each worker reports about itself (its name, requests sent,
  CPU, how it kept the schedule), notices workers that die or disconnect
  while the run goes on, and stops the run when fewer than `--min-workers`
  remain.
- **worker**: takes the settings and shares, and adds its own figures to the
  statistics it reports every second.

The master (or local process) writes `generator.json` for the runner
(`regsuite.load.generator` reads it).
"""

from __future__ import annotations

import functools
import json
import os
import socket
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import locust.argument_parser as locust_arguments
import locust.runners as locust_runners
import psutil
from locust import events
from locust.env import Environment
from locust.runners import STATE_MISSING, MasterRunner, WorkerRunner

from regsuite.load import NOT_REQUESTS
from regsuite.load import env as load_env
from regsuite.load.runner import NEXT_STEP_EXIT
from regsuite.load.schedule import rate_at
from regsuite.loadtest import users
from regsuite.loadtest.arrival import PACER
from regsuite.loadtest.settings import LoadSettings

HELLO_MESSAGE = "regsuite-hello"  # a worker, ready for its settings
SETTINGS_MESSAGE = "regsuite-settings"
SHARE_MESSAGE = "regsuite-share"
REPORT_KEY = "regsuite"

# Workers report every second (locust: 3 s): losses are noticed sooner, fewer requests die
# unreported with a worker, and the arrival shape sees its backlog sooner.
locust_runners.WORKER_REPORT_INTERVAL = 1.0
# A worker builds locust's whole argument parser again for every option of every spawn message it gets: on a
# busy machine an open-model run, which adds users as it goes, blocked its workers for seconds (their heartbeats
# lapsed). The defaults never change within a process.
locust_arguments.default_args_dict = functools.cache(locust_arguments.default_args_dict)
if os.environ.get(load_env.CONNECT_WAIT):  # a worker gives up on an absent master after this
    locust_runners.CONNECT_RETRY_COUNT = max(int(float(os.environ[load_env.CONNECT_WAIT])
                                                 / locust_runners.CONNECT_TIMEOUT), 1)


def _note_users(environment: Environment) -> None:
    """The most users this process ran at once (the arrival shape only ever adds users)."""
    if environment.runner is not None:
        PACER.counts.users = max(PACER.counts.users, environment.runner.user_count)


def _requests_in(stats: list[dict[str, Any]]) -> int:
    return sum(int(e["num_requests"]) for e in stats if e["method"] not in NOT_REQUESTS)


class Role:
    """The local process: users and pacer here, nobody to tell."""

    def __init__(self, environment: Environment) -> None:
        self.environment = environment
        self.started = 0.0
        self.stopped = 0.0
        self.draining = 0.0
        self.rates: list[tuple[float, float]] = []  # (unix time, intended iterations per second, all processes)
        self.report_path = os.environ.get(load_env.GENERATOR_REPORT)
        events.test_start.add_listener(self._on_test_start)
        events.test_stopping.add_listener(self._on_test_stopping)
        events.quit.add_listener(lambda **_kw: self.write())

    def _on_test_start(self, **_kw: Any) -> None:
        self.started = time.time()

    def _on_test_stopping(self, **_kw: Any) -> None:
        self.stopped = self.stopped or time.time()
        PACER.stop()

    def follow_schedule(self, elapsed: float) -> None:
        """Each shape tick: carry the arrival schedule (here: all of it)."""
        self.rates.append((time.time(), rate_at(users.PROFILE.shape, elapsed) or 0.0))
        _note_users(self.environment)
        PACER.follow(1.0, elapsed)

    def load(self) -> tuple[int, int]:
        """(users inside an iteration, iterations waiting for a user), all processes."""
        return PACER.busy, PACER.backlog

    def should_stop(self) -> bool:
        return False

    def begin_drain(self) -> None:
        """The shape is over: users are being stopped before the run ends."""
        self.draining = self.draining or time.time()

    def drained(self) -> bool:
        """Every user has stopped and its requests are counted (so the end loses nothing)."""
        runner = self.environment.runner
        return runner is None or runner.user_count == 0

    def document(self) -> dict[str, Any]:
        return {"role": "local", "started": self.started, "stopped": self.stopped, "rates": self.rates,
                "arrival": PACER.counts.to_dict(), "workers": []}

    def write(self) -> None:
        if self.report_path:
            Path(self.report_path).write_text(json.dumps(self.document(), indent=1))


@dataclass
class WorkerRecord:
    """What the master knows of one worker."""

    id: str
    index: int
    name: str = ""
    host: str = ""
    pid: int = 0
    requests: int = 0  # as the worker counted them itself
    reported: int = 0  # as its statistics reports added up at the master
    cpu: list[float] = field(default_factory=list)  # percent of one core, one sample per report
    users: int = 0
    busy: int = 0
    backlog: int = 0
    arrival: dict[str, float] = field(default_factory=dict)
    connected: float = 0.0
    first_report: float = 0.0
    last_report: float = 0.0
    last_heartbeat: float = 0.0
    rate: float = 0.0  # requests per second over its last report
    lost: dict[str, Any] | None = None


class Master(Role):
    def __init__(self, environment: Environment, runner: MasterRunner) -> None:
        super().__init__(environment)
        self.runner = runner
        self.settings = users.SETTINGS
        self.min_workers = int(os.environ.get(load_env.MIN_WORKERS) or 1)
        self.workers: dict[str, WorkerRecord] = {}
        self.stopped_by: str | None = None
        runner.register_message(HELLO_MESSAGE, self._on_hello)
        events.worker_connect.add_listener(self._on_connect)
        events.worker_report.add_listener(self._on_report)
        events.heartbeat_sent.add_listener(self._on_heartbeat)

    def _on_hello(self, msg: Any, **_kw: Any) -> None:
        self.runner.send_message(SETTINGS_MESSAGE, self.settings.to_message(), client_id=msg.node_id)

    def _on_connect(self, client_id: str, **_kw: Any) -> None:
        if client_id not in self.workers:
            self.workers[client_id] = WorkerRecord(client_id, self.runner.get_worker_index(client_id),
                                                   connected=time.time())
            self.write()

    def _on_heartbeat(self, client_id: str, timestamp: float, **_kw: Any) -> None:
        if client_id in self.workers:
            self.workers[client_id].last_heartbeat = timestamp

    def _on_report(self, client_id: str, data: dict[str, Any], **_kw: Any) -> None:
        record = self.workers.get(client_id)
        mine = data.get(REPORT_KEY)
        if record is None or mine is None:
            return
        now = time.time()
        added = _requests_in(data.get("stats", []))
        if record.last_report:
            record.rate = added / max(now - record.last_report, 1e-3)
        record.first_report = record.first_report or now
        record.last_report = now
        record.reported += added
        record.name, record.host, record.pid = mine["name"], mine["host"], mine["pid"]
        record.requests = mine["requests"]
        if mine["cpu"] is not None and not self.draining:  # idle seconds while users stop would dilute the mean
            record.cpu.append(mine["cpu"])
        record.users, record.busy, record.backlog = data.get("user_count", 0), mine["busy"], mine["backlog"]
        record.arrival = mine["arrival"]

    def active(self) -> list[str]:
        """Ids of the workers taking part now."""
        clients = self.runner.clients
        return [c.id for c in clients.ready + clients.spawning + clients.running]

    def follow_schedule(self, elapsed: float) -> None:
        self.rates.append((time.time(), rate_at(users.PROFILE.shape, elapsed) or 0.0))
        active = self.active()
        for client_id in active:
            self.runner.send_message(SHARE_MESSAGE, {"share": 1.0 / len(active), "elapsed": elapsed},
                                     client_id=client_id)

    def load(self) -> tuple[int, int]:
        active = [self.workers[i] for i in self.active() if i in self.workers]
        return sum(w.busy for w in active), sum(w.backlog for w in active)

    def should_stop(self) -> bool:
        """Note workers lost since the last look; True when too few remain (the --min-workers rule)."""
        self._note_losses()
        remaining = len(self.active())
        if self.started and remaining < self.min_workers and self.stopped_by is None:
            self.stopped_by = (f"{remaining} of {len(self.workers)} workers left, fewer than "
                               f"--min-workers {self.min_workers}")
        return self.stopped_by is not None

    def _note_losses(self) -> None:
        if not self.started:
            return
        now = time.time()
        for record in self.workers.values():
            if record.lost is not None:
                continue
            client = self.runner.clients.get(record.id)
            if client is not None and client.state != STATE_MISSING:
                continue
            how = "stopped sending heartbeats" if client is not None else "disconnected"
            self._lose(record, now, how)

    def _lose(self, record: WorkerRecord, now: float, how: str) -> None:
        last_heard = max(record.last_heartbeat, record.last_report)
        # Sent after its last report, never counted: its recent rate until it went silent, plus one
        # request in flight per user.
        unreported = record.rate * max(last_heard - record.last_report, 0.0) + record.users
        record.lost = {"at": round(now - self.started, 1), "last_heard": round(last_heard - self.started, 1),
                       "how": how, "requests_lost": round(unreported)}

    def drained(self) -> bool:
        """Every remaining worker reported, after the drain began, that its users have stopped."""
        self._note_losses()
        active = [self.workers.get(i) for i in self.active()]
        return all(w is not None and w.last_report > self.draining and w.users == 0 for w in active)

    def _on_test_stopping(self, **kw: Any) -> None:
        self.should_stop()
        super()._on_test_stopping(**kw)

    def document(self) -> dict[str, Any]:
        return {"role": "master", "started": self.started, "stopped": self.stopped, "rates": self.rates,
                "min_workers": self.min_workers, "stopped_by": self.stopped_by,
                "workers": [asdict(w) for w in sorted(self.workers.values(), key=lambda w: w.index)]}


class Worker(Role):
    def __init__(self, environment: Environment, runner: WorkerRunner) -> None:
        super().__init__(environment)
        self.report_path = None  # the master writes the run's records
        self.requests = 0
        self.process = psutil.Process()
        self._cpu_mark = (time.monotonic(), self._cpu_seconds())
        self.name = os.environ.get(load_env.WORKER_NAME) or f"{socket.gethostname()}-{os.getpid()}"
        runner.register_message(SETTINGS_MESSAGE, self._on_settings)
        runner.register_message(SHARE_MESSAGE, self._on_share)
        events.report_to_master.add_listener(self._on_report)
        events.request.add_listener(self._on_request)
        # Connected by now (locust connects before `init`): ask for the settings. Users wait for them.
        runner.send_message(HELLO_MESSAGE, {})

    def _on_settings(self, msg: Any, **_kw: Any) -> None:
        settings = LoadSettings.from_message(msg.data)
        users.apply_settings(settings)
        if settings.next_within > 0:  # the master's quit ends this step only
            self.environment.process_exit_code = NEXT_STEP_EXIT

    def _on_share(self, msg: Any, **_kw: Any) -> None:
        PACER.follow(float(msg.data["share"]), float(msg.data["elapsed"]))

    def _on_request(self, request_type: str, **_kw: Any) -> None:
        if request_type not in NOT_REQUESTS:
            self.requests += 1

    def _cpu_seconds(self) -> float:
        times = self.process.cpu_times()
        return times.user + times.system

    def _cpu_sample(self) -> float | None:
        """Percent of one core since the last sample; None when too little time passed to tell
        (the last report of a stop follows the periodic one closely)."""
        now, cpu = time.monotonic(), self._cpu_seconds()
        then, cpu_then = self._cpu_mark
        if now - then < 0.5:
            return None
        self._cpu_mark = (now, cpu)
        return 100.0 * (cpu - cpu_then) / (now - then)

    def _on_report(self, client_id: str, data: dict[str, Any], **_kw: Any) -> None:
        _note_users(self.environment)
        data[REPORT_KEY] = {"name": self.name, "host": socket.gethostname(), "pid": os.getpid(),
                            "requests": self.requests, "cpu": self._cpu_sample(),
                            "busy": PACER.busy, "backlog": PACER.backlog, "arrival": PACER.counts.to_dict()}


ROLE: Role | None = None


def _on_init(environment: Environment, **_kw: Any) -> None:
    global ROLE
    runner = environment.runner
    if isinstance(runner, MasterRunner):
        ROLE = Master(environment, runner)
    elif isinstance(runner, WorkerRunner):
        ROLE = Worker(environment, runner)
    else:
        ROLE = Role(environment)


def install() -> None:
    events.init.add_listener(_on_init)
