"""Features a registry may leave out, and the answers that say "not offered here".

The OCI distribution spec leaves some endpoints and parameters optional
(referrers, deletes, cross-repository mounts, `?tag=` on a manifest PUT,
`?digest-algorithm=` on an upload), and the catalog is not in it at all: it
comes from Docker's registry API, and GHCR, Docker Hub and GCR do not serve
it while Harbor serves it to administrators only. A check that needs such a
feature asks `not_offered` about the registry's answer: a reason (the check
is `unsupported`, the answer quoted) or None (the feature is offered, and is
judged in full). docs/api-checks.md shows this table (`markdown_table`;
tests/test_optional.py keeps the two equal).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import httpx

from .judge import describe

if TYPE_CHECKING:
    from .client import RegistryClient


class Feature(StrEnum):
    CATALOG = "catalog"
    REFERRERS = "referrers"
    DELETES = "deletes"
    MOUNT = "mount"
    TAG_PARAM = "?tag="
    DIGEST_ALGORITHM = "?digest-algorithm="


@dataclass(frozen=True)
class OptionalFeature:
    """One optional feature: its endpoint, and the answers that mean the registry does not offer it."""

    feature: Feature
    endpoint: str  # as the spec writes it
    source: str  # where the rule comes from
    statuses: frozenset[int]  # answers that say "not offered", whatever their body
    meaning: str  # what such an answer says, for a verdict's reason
    checks: str  # the checks that become unsupported
    refusals: frozenset[int] = frozenset()  # also "not offered" when sent by a user who may pull (not an admin)
    also: Callable[[httpx.Response], bool] | None = None  # a further condition on the answer
    answers: str = ""  # the table's column, when the statuses alone do not say it

    def answers_text(self) -> str:
        if self.answers:
            return self.answers
        text = " or ".join(str(s) for s in sorted(self.statuses)) + ", with or without `UNSUPPORTED`"
        if self.refusals:
            text += (
                "; "
                + " or ".join(str(s) for s in sorted(self.refusals))
                + " to a user who is authenticated and may pull"
            )
        return text


def _no_oci_tag(response: httpx.Response) -> bool:
    return "oci-tag" not in response.headers


TABLE: tuple[OptionalFeature, ...] = (
    OptionalFeature(
        Feature.CATALOG,
        "GET /v2/_catalog",
        "Docker registry API; not in the OCI spec",
        frozenset({404, 405}),
        "the registry does not offer the catalog (Docker's registry API, not in the "
        "OCI distribution spec; GHCR, Docker Hub and GCR do not serve it, Harbor only to administrators)",
        "`discovery.catalog-*`, `replicas.catalog-agree`; `auth.catalog-scope` on 404 or 405 only",
        refusals=frozenset({401, 403}),
    ),
    OptionalFeature(
        Feature.REFERRERS,
        "GET /v2/<name>/referrers/<digest>",
        "end-12a",
        frozenset({404}),
        "the spec reads a 404 from the referrers API as 'not supported' (clients fall back "
        "to the referrers tag schema)",
        "every `referrers.*` check",
        answers="404",
    ),
    OptionalFeature(
        Feature.DELETES,
        "DELETE /v2/<name>/manifests/<reference>, DELETE /v2/<name>/blobs/<digest>",
        "end-9, end-10",
        frozenset({400, 405}),
        "the spec reads 400/405 as this deletion being disabled "
        "(registries MAY disable deletes, or allow them only by digest)",
        "`management.*`, `replicas.delete-propagates`, `clients.skopeo-delete`",
    ),
    OptionalFeature(
        Feature.MOUNT,
        "POST /v2/<name>/blobs/uploads/?mount=<digest>&from=<other>",
        "end-11",
        frozenset({202}),
        "the registry did not mount the blob and opened an upload instead, which the spec allows",
        "none: `push.mount-*` judge the upload the blob then goes up by",
        answers="202 with an upload's Location instead of 201",
    ),
    OptionalFeature(
        Feature.TAG_PARAM,
        "PUT /v2/<name>/manifests/<digest>?tag=<tag>",
        "end-7b",
        frozenset({201}),
        "the registry ignores ?tag= (no OCI-Tag, no tag created)",
        "`push.manifest-tag-param`, `push.manifest-tag-param-ten`",
        also=_no_oci_tag,
        answers="201 without `OCI-Tag`, and the tag does not resolve",
    ),
    OptionalFeature(
        Feature.DIGEST_ALGORITHM,
        "POST /v2/<name>/blobs/uploads/?digest-algorithm=<algorithm>",
        "end-4c",
        frozenset({400}),
        "the registry does not take uploads under another digest algorithm",
        "`push.digest-algorithm`",
        answers="400 to the POST, or to the PUT closing it with that digest",
    ),
)
ROW = {row.feature: row for row in TABLE}


def not_offered(
    feature: Feature, response: httpx.Response, *, may_pull: Callable[[], bool] | None = None
) -> str | None:
    """The reason `response` says the registry does not offer `feature`, quoting it; None when it is offered.

    `may_pull` is asked only for an answer among the row's `refusals` (401, 403 to the catalog): true when
    the client sent credentials and pulls with them, so the refusal is of the feature, not of the user.
    """
    row = ROW[feature]
    status = response.status_code
    offered = status not in row.statuses or (row.also is not None and not row.also(response))
    if offered and not (status in row.refusals and may_pull is not None and may_pull()):
        return None
    return f"{describe(response)}: {row.meaning}"


def pulls_with_credentials(client: RegistryClient, repo: str) -> Callable[[], bool]:
    """`may_pull` for `not_offered`: the client authenticates, and the tags of `repo` answer it 200."""
    return lambda: bool(client.target.username) and client.list_tags(repo).status_code == 200


def markdown_table() -> str:
    """The table as docs/api-checks.md shows it."""
    lines = [
        '| feature | endpoint | rule | answers that mean "not offered" | checks then `unsupported` |',
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {row.feature.value} | `{row.endpoint}` | {row.source} | {row.answers_text()} | {row.checks} |"
        for row in TABLE
    ]
    return "\n".join(lines)
