"""Load profiles: named, bounded workloads read from a YAML file.

A profile says how many users run over time (its shape), which user types
and in what ratio, what they pull and push, and the SLO the run must meet.
Every profile ends by itself: its shape has a finite duration and it has a
request budget. Values missing from a profile come from the file's
`defaults`; command-line overrides are applied last.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from .. import flows
from ..errors import UsageError

SHAPE_KINDS = ("constant", "ramp", "step", "spike", "soak", "arrival", "replay")
USER_TYPES = ("pull", "push", "list", "replay")
PUSH_METHODS = flows.METHODS  # one vocabulary with the conformance side; "monolithic" is accepted for post-put
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kib|mib|gib|kb|mb|gb)?\s*$", re.IGNORECASE)
_UNITS = {"b": 1, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "kb": 1000, "mb": 1000**2, "gb": 1000**3}


def parse_size(value: str | int) -> int:
    """'10MiB' -> 10485760; plain numbers are bytes."""
    if isinstance(value, int):
        return value
    m = _SIZE.match(str(value))
    if not m:
        raise UsageError(f"size {value!r} is not a size like 1KiB, 10MiB or 1048576")
    return int(float(m.group(1)) * _UNITS[(m.group(2) or "b").lower()])


def size_label(size: int) -> str:
    """1048576 -> '1MiB' (the row name of a size class)."""
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= factor and size % factor == 0:
            return f"{size // factor}{unit}"
    return f"{size}B"


@dataclass(frozen=True)
class Shape:
    """Users over time, or iterations per second. Parameters by kind (seconds and user counts):

    constant/soak: users, duration; ramp: users, ramp, hold;
    step: start_users, step_users, step_duration, steps;
    spike: users, spike_users, spike_at, spike_for, duration;
    arrival: rate (iterations per second) for duration, or in steps (steps, step_duration,
    step_rate added per step); users started at once, more as needed up to max_users.
    replay: an access log's operations at their recorded times divided by `speed` (regsuite.replay), for
    duration; rate is their mean per second, users as in arrival.
    """

    kind: str = "constant"
    users: int = 1
    spawn_rate: float = 10.0
    duration: float = 10.0
    ramp: float = 0.0
    hold: float = 0.0
    start_users: int = 1
    step_users: int = 1
    step_duration: float = 10.0
    steps: int = 1
    spike_users: int = 0
    spike_at: float = 0.0
    spike_for: float = 0.0
    rate: float = 0.0
    step_rate: float = 0.0
    max_users: int = 50
    speed: float = 1.0

    @property
    def is_arrival(self) -> bool:
        """An open model: iterations on a schedule (a rate, or a replayed log's times), users as needed."""
        return self.kind in ("arrival", "replay")

    def total_seconds(self) -> float:
        if self.kind == "ramp":
            return self.ramp + self.hold
        if self.kind == "step" or (self.is_arrival and self.steps > 1):
            return self.step_duration * self.steps
        return self.duration

    def peak_users(self) -> int:
        if self.kind == "step":
            return self.start_users + self.step_users * (self.steps - 1)
        if self.kind == "spike":
            return max(self.users, self.spike_users)
        if self.is_arrival:
            return max(self.users, self.max_users)
        return self.users

    def peak_rate(self) -> float:
        """Highest intended iterations per second (arrival shapes; 0 for the others)."""
        if not self.is_arrival:
            return 0.0
        return self.rate + max(self.steps - 1, 0) * max(self.step_rate, 0.0)


@dataclass(frozen=True)
class PullSpec:
    sizes: tuple[int, ...] = (1 << 10,)
    layers: int = 1
    verify: bool = False  # hash streamed layers against their digest (costs generator CPU)
    manifests_only: bool = False  # HEAD and GET the manifest only, as a client finding its image up to date


@dataclass(frozen=True)
class PushSpec:
    sizes: tuple[int, ...] = (1 << 20,)
    methods: tuple[str, ...] = (flows.POST_PUT,)  # rotated per push
    chunk_size: int = 5 << 20
    repositories: str = "shared"  # shared: one repository for all users; many: one per user


@dataclass(frozen=True)
class Slo:
    """Pass/fail thresholds; p95/p99 are per transaction name ('image-pull', 'image-push', or a row)."""

    p95_ms: dict[str, float] = field(default_factory=dict)
    p99_ms: dict[str, float] = field(default_factory=dict)
    max_error_rate: float | None = None  # failures / requests, 0..1
    min_rps: float | None = None  # all requests per second over the run

    def is_empty(self) -> bool:
        return not (self.p95_ms or self.p99_ms) and self.max_error_rate is None and self.min_rps is None


@dataclass(frozen=True)
class Profile:
    name: str
    description: str = ""
    shape: Shape = field(default_factory=Shape)
    max_requests: int = 100_000
    mix: dict[str, int] = field(default_factory=lambda: {"pull": 3, "push": 1, "list": 0})
    wait: tuple[float, float] = (0.0, 0.0)
    pull: PullSpec = field(default_factory=PullSpec)
    push: PushSpec = field(default_factory=PushSpec)
    count_token_fetches: bool = False
    slo: Slo = field(default_factory=Slo)
    honour_retry_after: bool = False  # users wait out a 429 (or 503 with Retry-After) and ask again, as clients do

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Profile:
        return from_dict(json.loads(text))

    def with_slo(self, **changes: Any) -> Profile:
        return replace(self, slo=replace(self.slo, **{k: v for k, v in changes.items() if v is not None}))


def from_dict(raw: dict[str, Any]) -> Profile:
    """A Profile from plain data (the YAML entry merged with defaults, or `asdict` output)."""
    name = str(raw.get("name") or "unnamed")
    where = f"profile {name!r}"
    try:
        shape = Shape(**raw.get("shape", {}))
        pull_raw = dict(raw.get("pull", {}))
        push_raw = dict(raw.get("push", {}))
        methods = push_raw.pop("methods", push_raw.pop("method", (flows.POST_PUT,)))
        profile = Profile(
            name=name,
            description=str(raw.get("description", "")),
            shape=shape,
            max_requests=int(raw.get("max_requests", 100_000)),
            mix={str(k): int(v) for k, v in (raw.get("mix") or {"pull": 1}).items()},
            wait=tuple(float(x) for x in raw.get("wait", (0.0, 0.0))),  # type: ignore[arg-type]
            pull=PullSpec(
                sizes=tuple(parse_size(s) for s in pull_raw.pop("sizes", ("1KiB",))),
                **pull_raw,
            ),
            push=PushSpec(
                sizes=tuple(parse_size(s) for s in push_raw.pop("sizes", ("1MiB",))),
                methods=tuple(flows.ALIASES.get(m, m) for m in ([methods] if isinstance(methods, str) else methods)),
                chunk_size=parse_size(push_raw.pop("chunk_size", 5 << 20)),
                **push_raw,
            ),
            count_token_fetches=bool(raw.get("count_token_fetches", False)),
            slo=Slo(**(raw.get("slo") or {})),
            honour_retry_after=bool(raw.get("honour_retry_after", False)),
        )
    except TypeError as exc:
        raise UsageError(f"{where}: {exc}".replace("__init__() ", "")) from None
    _validate(profile, where)
    return profile


def _validate(p: Profile, where: str) -> None:
    if p.shape.kind not in SHAPE_KINDS:
        raise UsageError(f"{where}: shape kind {p.shape.kind!r} is not one of {', '.join(SHAPE_KINDS)}")
    if not 0 < p.shape.total_seconds() <= 7 * 24 * 3600:
        raise UsageError(f"{where}: the shape must last between 0 and 7 days (it lasts {p.shape.total_seconds()} s)")
    if p.max_requests <= 0:
        raise UsageError(f"{where}: max_requests must be positive (every profile is bounded in requests)")
    unknown = set(p.mix) - set(USER_TYPES)
    if unknown or not any(v > 0 for v in p.mix.values()) or any(v < 0 for v in p.mix.values()):
        raise UsageError(f"{where}: mix needs non-negative weights for {', '.join(USER_TYPES)}, at least one positive")
    bad = set(p.push.methods) - set(PUSH_METHODS)
    if bad or not p.push.methods:
        raise UsageError(f"{where}: push methods must be among {', '.join(PUSH_METHODS)} (alias: monolithic)")
    if p.push.repositories not in ("shared", "many"):
        raise UsageError(f"{where}: push repositories must be 'shared' or 'many'")
    if p.shape.peak_users() < 1:
        raise UsageError(f"{where}: the shape never starts a user")
    if p.shape.is_arrival:
        _validate_arrival(p.shape, where)


def _validate_arrival(shape: Shape, where: str) -> None:
    if shape.rate <= 0 or shape.rate + (shape.steps - 1) * shape.step_rate <= 0:
        raise UsageError(f"{where}: an arrival shape needs a positive rate (iterations per second)")
    if shape.users < 1 or shape.max_users < shape.users:
        raise UsageError(f"{where}: an arrival shape needs 1 <= users <= max_users "
                         f"(users {shape.users}, max_users {shape.max_users})")


def load_profiles(path: Path) -> dict[str, Profile]:
    """Every profile of a profiles file, defaults merged in."""
    try:
        doc = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise UsageError(f"cannot read profiles file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise UsageError(f"profiles file {path} is not valid YAML: {' '.join(str(exc).split())[:160]}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("profiles"), dict):
        raise UsageError(f"profiles file {path} needs a top-level 'profiles:' mapping")
    defaults = doc.get("defaults") or {}
    return {
        name: from_dict(_merge(defaults, {**(entry or {}), "name": name}))
        for name, entry in doc["profiles"].items()
    }


def profile_named(path: Path, name: str) -> Profile:
    profiles = load_profiles(path)
    if name not in profiles:
        raise UsageError(f"no profile {name!r} in {path}; known: {', '.join(sorted(profiles))}")
    return profiles[name]


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out
