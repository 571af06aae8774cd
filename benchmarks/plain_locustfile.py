"""The smallest locust user: GET one URL in a loop. The baseline for our users' overhead.

Used by benchmarks/load_vs_wrk.py with BENCH_PATH set to a manifest path.
"""

import os

from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser

PATH = os.environ["BENCH_PATH"]
ACCEPT = os.environ.get("BENCH_ACCEPT", "*/*")


class PlainGetUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def get(self) -> None:
        self.client.get(PATH, headers={"Accept": ACCEPT})
