"""The naming checks can fail and can pass: bad answers to bad names and tags, and refused good ones.

Each case of the naming checks has its own repository or tag, so one run can
carry several faults, each on its own path, each failing its own case while
the untouched cases still pass.
"""

from __future__ import annotations

from pathlib import Path

from regsuite.protocol import route
from regsuite.target import Target
from regsuite.testing.faultproxy import Mutation, ProxyRequest
from tests.mutation_table import Row, each_row, run_row
from tests.registry_fixes import error_body

JSON = {"Content-Type": "application/json"}


def _too_long(request: ProxyRequest) -> bool:
    found = route(request.path.split("?", 1)[0])
    return found is not None and len(found.repository) > 255


ROWS = [
    Row(
        "invalid names answered badly",
        lambda _: [
            Mutation("500 for Upper", path=r"/Upper/", status=500),
            Mutation("201 for a..b", method="PUT", path=r"/a\.\.b/manifests/", respond=(201, {}, b"")),
            Mutation("BLOB_UNKNOWN for _under", path=r"/_under/", respond=(400, JSON, error_body("BLOB_UNKNOWN"))),
            Mutation("trail- stored", method="HEAD", path=r"/trail-/manifests/v1$", respond=(200, {}, b"")),
        ],
        fail=(
            "naming.invalid-name[uppercase]",
            "naming.invalid-name[doubled-separator]",
            "naming.invalid-name[underscore-component]",
            "naming.invalid-name[trailing-separator]",
        ),
        passes=("naming.invalid-name[leading-separator]", "naming.invalid-name[triple-underscore]"),
    ),
    Row(
        "a 256-character name refused with NAME_INVALID",
        lambda _: [
            Mutation("NAME_INVALID", when=_too_long, respond=(400, JSON, error_body("NAME_INVALID"))),
        ],
        passes=("naming.invalid-name[too-long]",),
    ),
    Row(
        "valid names and tags refused, invalid tags accepted",
        lambda _: [
            Mutation("a__b refused", path=r"/a__b/", respond=(400, JSON, error_body("NAME_INVALID"))),
            Mutation(
                "128 refused", method="PUT", path=r"/manifests/t{128}$", respond=(400, JSON, error_body("TAG_INVALID"))
            ),
            Mutation("129 accepted", method="PUT", path=r"/manifests/t{129}$", respond=(201, {}, b"")),
            Mutation("-tag stored", method="GET", path=r"/manifests/-tag$", status=200),
        ],
        fail=(
            "naming.valid-name[double-underscore]",
            "naming.valid-tag[128-characters]",
            "naming.invalid-tag[129-characters]",
            "naming.invalid-tag[leading-dash]",
        ),
        passes=(
            "naming.valid-name[repeated-dash]",
            "naming.valid-tag[leading-underscore]",
            "naming.invalid-tag[leading-dot]",
        ),
    ),
]


@each_row(ROWS)
def test_mutation(row: Row, fault_proxy, shared_distribution: Target, tmp_path: Path) -> None:
    run_row(fault_proxy, shared_distribution.url, row, tmp_path)
