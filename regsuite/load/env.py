"""Environment variables the runner sets for the locust processes it starts.

A worker (`regsuite worker`) gets none of the run's: its master sends the
profile, pool, namespace and credentials over locust's messages.
"""

PROFILE = "REGSUITE_LOAD_PROFILE"  # the resolved profile as JSON
POOL = "REGSUITE_LOAD_POOL"  # path of the seeded pull pool (JSON)
NAMESPACE = "REGSUITE_LOAD_NAMESPACE"  # repository prefix of this run
GENERATOR_REPORT = "REGSUITE_LOAD_GENERATOR_REPORT"  # where the master (or local process) writes generator.json
MIN_WORKERS = "REGSUITE_LOAD_MIN_WORKERS"  # the master stops the run when fewer workers remain
WORKER_NAME = "REGSUITE_LOAD_WORKER_NAME"  # how a worker is named in the reports
CONNECT_WAIT = "REGSUITE_LOAD_CONNECT_WAIT"  # seconds a worker keeps trying to reach its master
NEXT_WITHIN = "REGSUITE_LOAD_NEXT_WITHIN"  # a step of a series (a capacity search): the next master comes within
REPLAY = "REGSUITE_LOAD_REPLAY"  # a replay's schedule file (regsuite.replay.schedule), read by the lead process
USERNAME = "REGSUITE_USERNAME"
PASSWORD = "REGSUITE_PASSWORD"
CA = "REGSUITE_REGISTRY_CA"
INSECURE = "REGSUITE_REGISTRY_INSECURE"
