"""The results model of a conformance run and its JSON form (`results.json`).

Schema `regsuite.results/1` (documented in docs/reports.md): a run object with
`schema`, `suite`, `target`, `config`, `started`, `duration`, `summary`,
`run` (did it finish, and what it wrote and cleaned up) and `checks`, one
record per check verdict.
"""

from __future__ import annotations

import itertools
import json
import os
import platform
from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from typing import Any

from . import __version__
from .access import matrix_of
from .redact import redact_mapping, redact_text

SCHEMA = "regsuite.results/1"
_temporary = itertools.count()


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` in one step: a reader (or a run killed meanwhile) sees the old file or the new one.

    Each write has its own temporary file, so a write interrupted by a signal whose handler writes the
    same report cannot mix the two.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{next(_temporary)}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    UNSUPPORTED = "unsupported"  # a valid "not supported" answer from the registry
    ERROR = "error"  # network failure or timeout: says nothing about conformance
    SKIPPED = "skipped"  # not run: disabled by configuration, read-only mode, missing input


@dataclass
class CheckResult:
    id: str
    title: str
    area: str
    level: str
    spec: str
    spec_url: str
    version: str
    outcome: Outcome
    message: str = ""
    duration: float = 0.0
    nodeid: str = ""
    transcript: list[dict[str, Any]] = field(default_factory=list)
    # set by expectations (CI gating, regsuite.report.expectations): "expected",
    # "unexpected" or "stale"; None when the run had no expectations file
    expectation: str | None = None
    expectation_reason: str | None = None  # the expectations file's reason for this check
    # lines of the run's evidence the verdict rests on, e.g. "127.0.0.1:5000/chain/0/not_after" (a TLS deployment's)
    evidence: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        # Shallow: the transcript is already plain data, and results are written often while a run goes.
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["outcome"] = str(self.outcome)
        d["message"] = redact_text(self.message)
        d["duration"] = round(self.duration, 4)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        known = {f for f in cls.__dataclass_fields__}
        kwargs = {k: v for k, v in data.items() if k in known}
        kwargs["outcome"] = Outcome(kwargs["outcome"])
        return cls(**kwargs)


class RunState(StrEnum):
    FINISHED = "finished"  # every selected check ran
    RUNNING = "running"  # written while the run went on: read after the run, it was killed before its end
    INTERRUPTED = "interrupted"  # SIGTERM or SIGINT: the reports were written on the way out
    DEADLINE = "deadline"  # --max-duration ran out: what did not run is `error`
    FIRST_CONTACT_FAILED = "first-contact-failed"  # the target is no usable registry: no check ran


@dataclass
class RunStatus:
    """The run itself: finished or cut short (and why), and what it wrote outside the checks' verdicts."""

    state: RunState = RunState.FINISHED
    reason: str = ""  # one line when not finished
    selected: int | None = None  # checks selected for the run, when known
    refused_writes: list[str] = field(default_factory=list)  # requests the namespace guard refused
    cleanup: dict[str, Any] | None = None  # {"written", "problems", "left"}; None: no cleanup ran
    # rate limiting the run met (regsuite.pace.RateLimits.to_dict): refusals by status, seconds waited, given up
    rate_limits: dict[str, Any] | None = None

    @property
    def complete(self) -> bool:
        return self.state == RunState.FINISHED

    def to_dict(self) -> dict[str, Any]:
        return {"complete": self.complete, **asdict(self), "state": str(self.state)}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> RunStatus:
        if not data:
            return cls()  # written before the field existed: a finished run
        known = {f for f in cls.__dataclass_fields__}
        kwargs = {k: v for k, v in data.items() if k in known}
        kwargs["state"] = RunState(kwargs.get("state", RunState.FINISHED))
        return cls(**kwargs)


@dataclass
class RunResults:
    target: dict[str, Any]
    config: dict[str, Any]
    started: str
    duration: float
    checks: list[CheckResult]
    suite: dict[str, Any] = field(
        default_factory=lambda: {
            "name": "regsuite",
            "version": __version__,
            "python": platform.python_version(),
        }
    )
    registry: dict[str, Any] = field(default_factory=dict)  # what the target says about itself
    # the CI gate's verdict once expectations are applied (regsuite.report.expectations.Gate)
    expectations: dict[str, Any] | None = None
    run: RunStatus = field(default_factory=RunStatus)
    # what each TLS deployment served: chain, protocol, suite, the checks' own attempts (fixtures/tls.py TLSEvidence)
    tls: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        by_outcome = Counter(str(c.outcome) for c in self.checks)
        by_area: dict[str, Counter[str]] = {}
        by_level: dict[str, Counter[str]] = {}
        for c in self.checks:
            by_area.setdefault(c.area, Counter())[str(c.outcome)] += 1
            by_level.setdefault(c.level, Counter())[str(c.outcome)] += 1
        return {
            "total": len(self.checks),
            "outcomes": {o.value: by_outcome.get(o.value, 0) for o in Outcome},
            "by_area": {k: dict(v) for k, v in sorted(by_area.items())},
            "by_level": {k: dict(v) for k, v in sorted(by_level.items())},
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "suite": self.suite,
            "target": self.target,
            "registry": self.registry,
            "config": redact_mapping(self.config),
            "started": self.started,
            "duration": round(self.duration, 3),
            "summary": self.summary(),
            "run": self.run.to_dict(),
            "expectations": self.expectations,
            "access_matrix": matrix_of(self.checks),  # derived from the checks; {} without matrix verdicts
            "tls": self.tls,
            "checks": [c.to_dict() for c in self.checks],
        }

    def write_json(self, path: Path, *, indent: int | None = 2) -> None:
        """Write atomically (a reader never sees half a file); `indent` None is compact and several times faster."""
        write_atomically(path, redact_text(json.dumps(self.to_dict(), indent=indent)))

    @classmethod
    def load(cls, path: Path) -> RunResults:
        data = json.loads(Path(path).read_text())
        if data.get("schema") != SCHEMA:
            raise ValueError(f"{path}: not a {SCHEMA} file (schema {data.get('schema')!r})")
        return cls(
            target=data["target"],
            config=data.get("config", {}),
            started=data.get("started", ""),
            duration=data.get("duration", 0.0),
            checks=[CheckResult.from_dict(c) for c in data["checks"]],
            suite=data.get("suite", {}),
            registry=data.get("registry", {}),
            expectations=data.get("expectations"),
            run=RunStatus.from_dict(data.get("run")),
            tls=data.get("tls", []),
        )
