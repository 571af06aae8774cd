"""Replaying a registry's own access log: capacity planning on the workload a deployment really has.

No locust here (the locust side is regsuite.loadtest.replay). From log to report, regsuite.replay.run:
the log's format (logformat) and window, a first pass (survey) for its statistics and inventory, the
plan of synthetic names (names) and content (content) with what to seed first (plan, seed), a
second pass writing the schedule file (schedule), the run on the open model, and its fidelity.
`regsuite replay-stats` prints the survey (stats). docs/load.md#replaying-an-access-log.
"""
