"""The errors checks can fail and can pass: wrong codes, non-spec codes, bad bodies, 5xx.

The faults sit on disjoint paths (one mistake each), so one run carries them
all and each fails its own verdict. distribution 2.8 answers 500 to a
malformed digest reference; a proxy answering 400 DIGEST_INVALID instead
shows those verdicts passing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from regsuite.target import Target
from regsuite.testing.faultproxy import Mutation, ProxyRequest
from tests.mutation_table import Row, each_row, run_row
from tests.registry_fixes import error_body

JSON = {"Content-Type": "application/json"}


def _code(code: str):  # noqa: ANN202 - a json mutation
    return lambda body: {"errors": [{**e, "code": code} for e in body.get("errors", [])]}


def _after_probe() -> Callable[[ProxyRequest], bool]:
    """Every /v2/ but the run's first (its probe of the registry must succeed)."""
    seen = [0]

    def when(_: ProxyRequest) -> bool:
        seen[0] += 1
        return seen[0] > 1

    return when


ROWS = [
    Row(
        "one wrong answer per mistake",
        lambda _: [
            Mutation(
                "code replaced",
                method="GET",
                path=r"/errors/blobs/sha256:[0-9a-f]{64}$",
                json=_code("MANIFEST_UNKNOWN"),
            ),
            Mutation("code outside the spec", method="GET", path=r"/manifests/no-such-tag$", json=_code("NOT_FOUND")),
            Mutation(
                "no errors list",
                method="GET",
                path=r"/errors-never-pushed/tags/list",
                json=lambda body: {"error": "not found"},
            ),
            Mutation("500", method="PUT", path=r"/manifests/not-json$", status=500),
        ],
        fail=(
            "errors.right-code[blob-unknown]",
            "errors.spec-code[manifest-unknown-tag]",
            "errors.spec-code[repository-unknown-tags]",
            "errors.no-5xx[manifest-not-json]",
        ),
        passes=("errors.no-5xx[blob-unknown]", "errors.spec-code[blob-unknown]", "errors.right-code[manifest-empty]"),
    ),
    Row(
        "malformed digest reference answered 400 DIGEST_INVALID",
        lambda _: [
            Mutation("400", path=r"/errors/manifests/sha256:abc$", respond=(400, JSON, error_body("DIGEST_INVALID"))),
        ],
        passes=(
            "errors.no-5xx[manifest-digest-malformed]",
            "errors.no-5xx[manifest-put-digest-malformed]",
            "errors.right-code[manifest-digest-malformed]",
            "errors.right-code[manifest-put-digest-malformed]",
            "errors.spec-code[manifest-put-digest-malformed]",
        ),
    ),
    Row(
        "well-formed warning",
        lambda _: [Mutation("warning", path=r"^/v2/$", set_headers={"Warning": '299 - "deprecated endpoint"'})],
        passes=("errors.warning-header",),
    ),
    Row(
        "warning with another code, an agent and a date",
        lambda _: [
            Mutation(
                "warning",
                path=r"^/v2/$",
                set_headers={"Warning": '199 registry "stale" "Sat, 01 Jan 2000 00:00:00 GMT"'},
            )
        ],
        fail=("errors.warning-header",),
    ),
    # The client waits out a 429 and asks again: one refusal each, seen by the whole-run checks all the same.
    Row(
        "429 with Retry-After",
        lambda _: [Mutation("429", path=r"^/v2/$", when=_after_probe(), times=1,
                            respond=(429, {"Retry-After": "1", **JSON}, error_body("TOOMANYREQUESTS")))],
        passes=("errors.retry-after", "errors.throttled-code"),
    ),
    Row(
        "429 without Retry-After, its code another",
        lambda _: [Mutation("429", path=r"^/v2/$", when=_after_probe(), times=1,
                            respond=(429, JSON, error_body("DENIED")))],
        fail=("errors.retry-after", "errors.throttled-code"),
    ),
    Row(
        "429 in plain text",
        lambda _: [Mutation("429", path=r"^/v2/$", when=_after_probe(), times=1,
                            respond=(429, {"Retry-After": "1", "Content-Type": "text/plain"}, b"slow down"))],
        passes=("errors.throttled-code",),
    ),
]


@each_row(ROWS)
def test_mutation(row: Row, fault_proxy, shared_distribution: Target, tmp_path: Path) -> None:
    run_row(fault_proxy, shared_distribution.url, row, tmp_path)
