"""Load testing, the parts that do not need locust: profiles, seeding, runner, stats, SLO, reports.

The locust users and shapes live in `loadtest/`; they run in a child process
started by `runner.run_profile`, so gevent's monkey-patching never reaches the
caller's process.
"""

# Request types of whole operations, kept apart from the per-request rows everywhere.
TRANSACTION_TYPES = ("image-pull", "image-push", "replay")

# Arrival-rate runs also time every iteration from the moment the schedule meant it to start
# (its intended start), under the request type "<kind>@intended": next to the transaction's
# own time (from the actual send) this shows coordinated omission.
INTENDED = "@intended"
ITERATION_KINDS = (*TRANSACTION_TYPES, "list")  # what one arrival iteration is, by user type
INTENDED_TYPES = tuple(f"{kind}{INTENDED}" for kind in ITERATION_KINDS)
# Each exchange of a pull or push phase (regsuite.load.phases) is also timed to its first byte and to its end.
PHASE = "phase"
TTFB = "ttfb"
PHASE_TYPES = (PHASE, TTFB)
# A replay also records how late each operation started against the log's time, and operations whose
# answer differed from the log's (found where the log had not, or the reverse), by operation.
LATENESS, DIFFERED = "replay@lateness", "replay@differed"
NOT_REQUESTS = (*TRANSACTION_TYPES, *INTENDED_TYPES, *PHASE_TYPES, LATENESS, DIFFERED)  # rows that are not requests


def intended_type(kind: str) -> str:
    """'image-pull' -> 'image-pull@intended'."""
    return f"{kind}{INTENDED}"
