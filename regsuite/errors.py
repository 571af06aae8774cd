"""Errors a user can act on, and the exit codes they map to.

Every error here carries one line meant for a person: what is wrong and what
to do. The pytest plugin prints that line and exits with `exit_code`; nothing
below the line (no traceback) is shown.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes of a regsuite run (documented in README.md)."""

    OK = 0
    CHECKS_FAILED = 1  # unexpected conformance failures (pytest's own code)
    INTERRUPTED = 2
    INTERNAL_ERROR = 3
    USAGE_ERROR = 4  # bad options or configuration (pytest's own code)
    NO_TESTS = 5
    TARGET_UNREACHABLE = 20  # connection refused, DNS failure, timeout
    TARGET_TLS_ERROR = 21  # certificate or protocol mismatch
    TARGET_AUTH_ERROR = 22  # credentials refused or missing
    TARGET_NOT_REGISTRY = 23  # it answered, but not as a registry
    NO_EMBEDDED_REGISTRY = 24  # neither a Docker engine nor the registry binary
    RUN_DEADLINE = 25  # the run deadline (--max-duration) was reached: what did not run is an error
    WORKERS_LOST = 30  # load: fewer workers than --expect-workers connected, or fewer than --min-workers remained;
    # capacity: a worker was lost during a step
    LOG_EMPTY = 40  # replay: the access log holds no request
    LOG_FORMAT_UNKNOWN = 41  # replay: no line of a known access-log format
    LOG_MALFORMED = 42  # replay: a line breaks the log's format
    LOG_WINDOW_EMPTY = 43  # replay: --window selects no request of the log


class RegsuiteError(Exception):
    """Base of every error regsuite reports to a person."""

    exit_code: ExitCode = ExitCode.INTERNAL_ERROR


class UsageError(RegsuiteError):
    exit_code = ExitCode.USAGE_ERROR


class TargetError(RegsuiteError):
    """The registry under test cannot be used."""

    exit_code = ExitCode.TARGET_UNREACHABLE


class TargetUnreachable(TargetError):
    exit_code = ExitCode.TARGET_UNREACHABLE


class TargetTLSError(TargetError):
    exit_code = ExitCode.TARGET_TLS_ERROR


class TargetPlainHTTP(TargetTLSError):
    """An https:// URL whose port speaks plain HTTP: no TLS there to judge."""


class TargetAuthError(TargetError):
    exit_code = ExitCode.TARGET_AUTH_ERROR


class TargetNotRegistry(TargetError):
    exit_code = ExitCode.TARGET_NOT_REGISTRY


class TargetStartError(TargetError):
    """An embedded registry did not start (its log is in the message)."""

    exit_code = ExitCode.NO_EMBEDDED_REGISTRY


class NoEmbeddedRegistry(TargetStartError):
    exit_code = ExitCode.NO_EMBEDDED_REGISTRY


class LogError(RegsuiteError):
    """An access log that cannot be replayed (regsuite.replay)."""

    exit_code = ExitCode.LOG_MALFORMED


class LogEmpty(LogError):
    exit_code = ExitCode.LOG_EMPTY


class LogFormatUnknown(LogError):
    exit_code = ExitCode.LOG_FORMAT_UNKNOWN


class LogMalformed(LogError):
    exit_code = ExitCode.LOG_MALFORMED


class LogWindowEmpty(LogError):
    exit_code = ExitCode.LOG_WINDOW_EMPTY
