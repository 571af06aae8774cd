"""Load testing, the parts that do not need locust: profiles, seeding, runner, stats, SLO, reports.

The locust users and shapes live in `loadtest/`; they run in a child process
started by `runner.run_profile`, so gevent's monkey-patching never reaches the
caller's process.
"""

# Request types of whole operations, kept apart from the per-request rows everywhere.
TRANSACTION_TYPES = ("image-pull", "image-push")
