"""The sha512 checks beyond uploads can fail and can pass.

distribution 2.8 stores sha512 content under sha256 digests, so every one of
them is unsupported against it (decided once, from the POST+PUT upload of a
sha512 blob). `Sha512Emulation` keeps sha512 digests in the proxy: the same
checks pass, and each row plants one fault on top.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from regsuite.target import Target
from regsuite.testing.faultproxy import Mutation
from tests.mutation_table import Row, each_row, run_row
from tests.registry_fixes import Sha512Emulation

SHA512_CHECKS = (
    "push.blob-post-put[sha512]",
    "push.digest-algorithm",
    "push.sha512-mount",
    "push.sha512-empty-blob",
    "pull.sha512-range[middle]",
    "pull.sha512-range[suffix]",
    "management.sha512-delete",
)
PATHS = ["conformance/test_push.py", "conformance/test_pull.py", "conformance/test_management.py"]
SHA512_BLOB = r"/blobs/sha512(:|%3A)"
EMPTY_SHA512_BLOB = SHA512_BLOB + hashlib.sha512(b"").hexdigest()


def _emulated(*faults: Mutation):  # noqa: ANN202 - a row's mutations
    return lambda _: [*faults, *Sha512Emulation().mutations()]


ROWS = [
    Row("sha512 kept by the proxy", _emulated(), passes=SHA512_CHECKS),
    Row(
        "sha512 mount answered with the sha256 digest",
        _emulated(
            Mutation(
                "mount digest",
                method="POST",
                path=r"mount=sha512",
                set_headers={"Docker-Content-Digest": "sha256:" + "0" * 64},
            )
        ),
        fail=("push.sha512-mount",),
        passes=("push.sha512-empty-blob",),
    ),
    Row(
        "an upload started with ?digest-algorithm=sha512 stored as sha256",
        _emulated(
            Mutation(
                "sha256 answer",
                method="PUT",
                path=r"digest=sha512",
                set_headers={"Docker-Content-Digest": "sha256:" + "0" * 64},
            )
        ),
        fail=("push.digest-algorithm", "push.blob-post-put[sha512]"),
    ),
    Row(
        "empty sha512 blob announces a length",
        _emulated(Mutation("length", method="HEAD", path=EMPTY_SHA512_BLOB, set_headers={"Content-Length": "1"})),
        fail=("push.sha512-empty-blob",),
    ),
    Row(
        "sha512 ranges serve other bytes",
        _emulated(
            Mutation(
                "bytes", method="GET", path=SHA512_BLOB, when=lambda r: "range" in r.headers, body=lambda b: b[::-1]
            )
        ),
        fail=("pull.sha512-range[middle]", "pull.sha512-range[suffix]"),
    ),
    Row(
        "sha512 delete acknowledged, not done",
        _emulated(Mutation("fake delete", method="DELETE", path=SHA512_BLOB, respond=(202, {}, b""))),
        fail=("management.sha512-delete",),
    ),
]


@each_row(ROWS)
def test_mutation(row: Row, fault_proxy, shared_distribution: Target, tmp_path: Path) -> None:
    run_row(fault_proxy, shared_distribution.url, row, tmp_path, paths=PATHS, exact=True)
