"""Expectations: the known deviations of one registry, and the CI gate they give.

An expectations file (YAML or JSON, schema `regsuite.expectations/1`) lists
check ids the registry is known to fail (`outcome: failed` or `error`) or not
to support (`outcome: unsupported`), each with a reason a person can read.
Applied to a run:

- a check listed as failing that fails (or errors) is *expected*: shown, but the run passes;
- an unlisted check that fails or errors is *unexpected*: the run fails (so does
  one listed as unsupported: the registry answered, but wrongly);
- a listed check that passes is a *stale* expectation: reported as a warning
  (the registry got better; drop the entry), failing the run only in strict mode;
- a check listed as unsupported that is unsupported matches its entry and changes nothing;
- a listed check that did not run (skipped, not selected) is left alone: it
  says nothing about the registry.

A key may be a check id with its parameters (`push.chunked[sha512]`) or the
bare id, which then covers every parameter set of that check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ..errors import UsageError
from ..results import CheckResult, Outcome, RunResults

SCHEMA = "regsuite.expectations/1"
GATING = frozenset({Outcome.FAILED, Outcome.ERROR})  # outcomes that fail a run unless expected
RECORDED = GATING | {Outcome.UNSUPPORTED}  # outcomes an expectations file may list


@dataclass(frozen=True)
class Expectation:
    check_id: str
    reason: str
    outcome: str = Outcome.FAILED.value  # failed or error (a known deviation), or unsupported

    @property
    def covers_failure(self) -> bool:
        """A failing (or erroring) verdict of this check is expected."""
        return self.outcome in {o.value for o in GATING}


@dataclass
class Expectations:
    entries: dict[str, Expectation] = field(default_factory=dict)
    registry: str = ""  # which registry these describe, for a reader
    source: str | None = None  # the file they came from

    def lookup(self, check_id: str) -> Expectation | None:
        """The entry for this id, or for its bare id (without parameters)."""
        return self.entries.get(check_id) or self.entries.get(base_id(check_id))

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "registry": self.registry,
            "checks": {
                e.check_id: {"outcome": e.outcome, "reason": e.reason}
                for e in sorted(self.entries.values(), key=lambda e: e.check_id)
            },
        }


def base_id(check_id: str) -> str:
    return check_id.split("[", 1)[0]


SHIPPED_PACKAGE = "regsuite.expectations"


def shipped_expectations() -> list[str]:
    """Names of the expectations files installed with regsuite (`--expectations NAME`)."""
    return sorted(p.name.removesuffix(".yaml") for p in resources.files(SHIPPED_PACKAGE).iterdir()
                  if p.name.endswith(".yaml"))


def expectations_path(value: str) -> Path:
    """A file given by path, or the name of one shipped with regsuite (`distribution-2.8.2`)."""
    path = Path(value).expanduser()
    if path.exists() or "/" in value or value.endswith((".yaml", ".yml", ".json")):
        return path
    shipped = resources.files(SHIPPED_PACKAGE) / f"{value}.yaml"
    if shipped.is_file():
        return Path(str(shipped))
    raise UsageError(f"--expectations {value}: no such file, and no shipped expectations of that name "
                     f"(shipped: {', '.join(shipped_expectations())})")


def load_expectations(path: Path) -> Expectations:
    """Read an expectations file; any problem is a UsageError naming the file."""
    try:
        data = yaml.safe_load(Path(path).read_text())  # YAML is a superset of JSON: one reader for both
    except OSError as error:
        raise UsageError(f"cannot read expectations file {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise UsageError(f"expectations file {path} is not valid YAML/JSON: {str(error).splitlines()[0]}") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise UsageError(f"expectations file {path} has no 'schema: {SCHEMA}' line")
    checks = data.get("checks") or {}
    if not isinstance(checks, dict):
        raise UsageError(f"expectations file {path}: 'checks' must map check ids to entries")
    entries: dict[str, Expectation] = {}
    for check_id, entry in checks.items():
        if isinstance(entry, str):
            entry = {"reason": entry}
        if not isinstance(entry, dict) or not str(entry.get("reason") or "").strip():
            raise UsageError(f"expectations file {path}: {check_id} needs a 'reason'")
        outcome = str(entry.get("outcome", Outcome.FAILED.value))
        if outcome not in {o.value for o in RECORDED}:
            raise UsageError(
                f"expectations file {path}: {check_id} outcome must be failed, error or unsupported, not {outcome!r}"
            )
        entries[str(check_id)] = Expectation(str(check_id), str(entry["reason"]).strip(), outcome)
    return Expectations(entries, str(data.get("registry") or ""), str(path))


def dump_expectations(expectations: Expectations) -> str:
    header = (
        "# Known deviations (failed, error) and unsupported features of one registry, per check id (regsuite\n"
        "# expectations). A check listed as failing that fails does not fail the run; a listed check that passes\n"
        "# is reported as stale.\n"
    )
    return header + yaml.safe_dump(expectations.to_dict(), sort_keys=False, width=1000, allow_unicode=True)


def expectations_from_run(
    results: RunResults, previous: Expectations | None = None, registry: str = ""
) -> Expectations:
    """Every failing or unsupported check of a run as an expectation.

    Reasons come from `previous` where it has the check (reasons are written
    by people; a regenerated file keeps them), else from the check's title.
    """
    entries: dict[str, Expectation] = {}
    for check in results.checks:
        if check.outcome not in RECORDED:
            continue
        known = previous.lookup(check.id) if previous else None
        key = known.check_id if known else check.id
        reason = known.reason if known else _reason_from(check)
        entries[key] = Expectation(key, reason, check.outcome.value)
    name = registry or (previous.registry if previous else "") or str(results.target.get("description", ""))
    return Expectations(entries, name)


def _reason_from(check: CheckResult) -> str:
    # the title, not the message: messages carry run-specific names; a person replaces this with the why
    return f"known {check.outcome.value}: {check.title}"


@dataclass
class Gate:
    """What the expectations make of a run."""

    source: str | None
    expected: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)  # listed, but skipped/unsupported/absent
    strict: bool = False

    @property
    def ok(self) -> bool:
        return not self.unexpected and not (self.strict and self.stale)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.source,
            "ok": self.ok,
            "strict": self.strict,
            "expected": self.expected,
            "unexpected": self.unexpected,
            "stale": self.stale,
            "not_run": self.not_run,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Gate:
        return cls(
            data.get("file"),
            list(data.get("expected", [])),
            list(data.get("unexpected", [])),
            list(data.get("stale", [])),
            list(data.get("not_run", [])),
            bool(data.get("strict", False)),
        )


def apply_expectations(results: RunResults, expectations: Expectations | None, *, strict: bool = False) -> Gate:
    """Mark each check expected/unexpected/stale, record the gate on `results`, and return it.

    Without expectations every failing check is unexpected, but the checks
    carry no marks (the run simply had no expectations).
    """
    gate = Gate(expectations.source if expectations else None, strict=strict)
    matched: dict[str, list[CheckResult]] = {}  # entry key -> the checks it covers
    for check in results.checks:
        entry = expectations.lookup(check.id) if expectations else None
        if entry is not None:
            matched.setdefault(entry.check_id, []).append(check)
        if check.outcome in GATING:
            if entry is not None and entry.covers_failure:
                check.expectation, check.expectation_reason = "expected", entry.reason
                gate.expected.append(check.id)
            else:
                check.expectation = "unexpected" if expectations else None
                gate.unexpected.append(check.id)
    for key, checks in matched.items():
        ran = [c for c in checks if c.outcome in RECORDED or c.outcome == Outcome.PASSED]
        # a bare-id entry is stale only when every parameter set of the check passed
        if ran and all(c.outcome == Outcome.PASSED for c in ran):
            for c in ran:
                c.expectation, c.expectation_reason = "stale", _entry_reason(expectations, key)
                gate.stale.append(c.id)
        if not ran:
            gate.not_run += [c.id for c in checks]
    if expectations:
        gate.not_run += sorted(set(expectations.entries) - set(matched))
    results.expectations = gate.to_dict()
    return gate


def _entry_reason(expectations: Expectations | None, key: str) -> str:
    return expectations.entries[key].reason if expectations else ""


def gate_of(results: RunResults) -> Gate:
    """The gate recorded on a run (a run without one: every failing check is unexpected)."""
    if results.expectations is not None:
        return Gate.from_dict(results.expectations)
    return Gate(None, unexpected=[c.id for c in results.checks if c.outcome in GATING])
