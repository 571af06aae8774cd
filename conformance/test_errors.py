"""Area errors: every client mistake gets a 4xx, never a 5xx, with a spec error code that fits.

One table of client mistakes; each row is sent once per run (the answer is
cached) and judged three ways: errors.no-5xx (the status), errors.spec-code
(a JSON error body has the spec's shape and codes), errors.right-code (the
code names the condition). A 4xx body MAY be in any format; only JSON bodies
are held to the code rules. The status a push or pull step must answer is
judged by the push and pull areas.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest

from regsuite import content
from regsuite.client import RegistryClient
from regsuite.errorcodes import KNOWN_CODES, SPEC_CODES, error_codes
from regsuite.fixtures.checks import check
from regsuite.fixtures.content import content_fixture
from regsuite.fixtures.run import Run
from regsuite.fixtures.store import ContentStore, Made
from regsuite.headers import ResponseWatch, Seen, retry_after_problem, warning_problems
from regsuite.judge import describe

MALFORMED = "sha256:abc"  # the right algorithm, an encoded part that is not 64 hex characters
NEVER_STARTED = "5e95017e-0000-4000-8000-000000000000"  # an upload id no registry handed out


@dataclass(frozen=True)
class Place:
    """Where mistakes are made: a repository holding `image` (None in read-only mode)."""

    repo: str
    image: content.Manifest | None
    never_pushed: str

    def missing_digest(self, what: str) -> str:
        return content.digest_of(f"regsuite: no such {what} in {self.repo}".encode())


Send = Callable[[RegistryClient, Place], httpx.Response]


@dataclass(frozen=True)
class Mistake:
    id: str
    what: str  # the mistake, for a registry author
    send: Send
    codes: frozenset[str]  # codes that name the condition
    writes: bool = False
    deletes: bool = False


def _upload(client: RegistryClient, place: Place) -> str:
    response = client.start_upload(place.repo)
    assert response.status_code == 202, f"setup: starting an upload: {describe(response)}"
    return client.resolve(response)


def _cancelled_upload(client: RegistryClient, place: Place) -> httpx.Response:
    location = _upload(client, place)
    client.cancel_upload(location)
    return client.upload_status(location)


def _fabricated_upload(place: Place) -> str:
    return f"/v2/{place.repo}/blobs/uploads/{NEVER_STARTED}"


def _image_of(place: Place) -> content.Manifest:
    assert place.image is not None
    return place.image


def _codes(*names: str) -> frozenset[str]:
    return frozenset(names)


MISTAKES = [
    # reads: these also run in read-only mode
    Mistake(
        "blob-unknown",
        "GET of a blob the repository does not have",
        lambda c, p: c.get_blob(p.repo, p.missing_digest("blob")),
        _codes("BLOB_UNKNOWN"),
    ),
    Mistake(
        "blob-digest-malformed",
        f"GET of a blob by the malformed digest {MALFORMED}",
        lambda c, p: c.get_blob(p.repo, MALFORMED),
        _codes("DIGEST_INVALID", "BLOB_UNKNOWN"),
    ),
    Mistake(
        "blob-digest-unknown-algorithm",
        "GET of a blob by a digest of an unknown algorithm",
        lambda c, p: c.get_blob(p.repo, "nosuchalgorithm:" + "0" * 64),
        _codes("DIGEST_INVALID", "BLOB_UNKNOWN", "UNSUPPORTED"),
    ),
    Mistake(
        "manifest-unknown-tag",
        "GET of a manifest by a tag that does not exist",
        lambda c, p: c.get_manifest(p.repo, "no-such-tag"),
        _codes("MANIFEST_UNKNOWN"),
    ),
    Mistake(
        "manifest-unknown-digest",
        "GET of a manifest by a digest the repository does not have",
        lambda c, p: c.get_manifest(p.repo, p.missing_digest("manifest")),
        _codes("MANIFEST_UNKNOWN"),
    ),
    Mistake(
        "manifest-digest-malformed",
        f"GET of a manifest by the malformed digest {MALFORMED}",
        lambda c, p: c.get_manifest(p.repo, MALFORMED),
        _codes("DIGEST_INVALID", "MANIFEST_UNKNOWN", "MANIFEST_INVALID"),
    ),
    Mistake(
        "repository-unknown-tags",
        "GET of the tags list of a repository never pushed",
        lambda c, p: c.list_tags(p.never_pushed),
        _codes("NAME_UNKNOWN"),
    ),
    Mistake(
        "repository-unknown-manifest",
        "GET of a manifest in a repository never pushed",
        lambda c, p: c.get_manifest(p.never_pushed, "latest"),
        _codes("NAME_UNKNOWN", "MANIFEST_UNKNOWN"),
    ),
    Mistake(
        "referrers-digest-malformed",
        f"GET of the referrers of the malformed digest {MALFORMED}",
        lambda c, p: c.referrers(p.repo, MALFORMED),
        _codes("DIGEST_INVALID"),
    ),
    Mistake(
        "upload-unknown-status",
        "GET of the status of an upload that was never started",
        lambda c, p: c.upload_status(_fabricated_upload(p)),
        _codes("BLOB_UPLOAD_UNKNOWN", "BLOB_UPLOAD_INVALID"),
    ),
    # manifest pushes
    Mistake(
        "manifest-put-digest-malformed",
        f"PUT of a valid manifest to the malformed digest reference {MALFORMED}",
        lambda c, p: c.put_manifest(p.repo, MALFORMED, _image_of(p)),
        _codes("DIGEST_INVALID", "MANIFEST_INVALID", "TAG_INVALID"),
        writes=True,
    ),
    Mistake(
        "manifest-put-digest-mismatch",
        "PUT of a manifest to a digest that is not the digest of its body",
        lambda c, p: c.put_manifest(p.repo, p.missing_digest("manifest"), _image_of(p)),
        _codes("DIGEST_INVALID"),
        writes=True,
    ),
    Mistake(
        "manifest-not-json",
        "PUT of a manifest body that is not JSON",
        lambda c, p: c.put_manifest(p.repo, "not-json", b"{not json"),
        _codes("MANIFEST_INVALID"),
        writes=True,
    ),
    Mistake(
        "manifest-empty",
        "PUT of an empty manifest body",
        lambda c, p: c.put_manifest(p.repo, "empty", b""),
        _codes("MANIFEST_INVALID"),
        writes=True,
    ),
    Mistake(
        "manifest-blob-unknown",
        "PUT of a manifest whose config and layers were never pushed",
        lambda c, p: c.put_manifest(p.repo, "blobs-missing", content.image(f"errors/unpushed/{p.repo}", layers=1)),
        _codes("MANIFEST_BLOB_UNKNOWN"),
        writes=True,
    ),
    Mistake(
        "manifest-child-unknown",
        "PUT of an image index whose manifests were never pushed",
        lambda c, p: c.put_manifest(
            p.repo, "children-missing", content.index([content.image(f"errors/child/{p.repo}", layers=0)])
        ),
        _codes("MANIFEST_BLOB_UNKNOWN", "MANIFEST_UNKNOWN", "MANIFEST_INVALID"),
        writes=True,
    ),
    Mistake(
        "manifest-content-type",
        "PUT of an OCI manifest with Content-Type: text/plain",
        lambda c, p: c.put_manifest(p.repo, "wrong-type", _image_of(p), media_type="text/plain"),
        _codes("MANIFEST_INVALID", "UNSUPPORTED"),
        writes=True,
    ),
    # uploads
    Mistake(
        "upload-unknown-patch",
        "PATCH of an upload that was never started",
        lambda c, p: c.patch_upload(_fabricated_upload(p), b"data"),
        _codes("BLOB_UPLOAD_UNKNOWN", "BLOB_UPLOAD_INVALID"),
        writes=True,
    ),
    Mistake(
        "upload-cancelled",
        "GET of the status of an upload after cancelling it",
        _cancelled_upload,
        _codes("BLOB_UPLOAD_UNKNOWN"),
        writes=True,
    ),
    Mistake(
        "upload-digest-mismatch",
        "closing PUT whose digest is not the digest of the data",
        lambda c, p: c.put_upload(_upload(c, p), p.missing_digest("blob"), b"data"),
        _codes("DIGEST_INVALID"),
        writes=True,
    ),
    Mistake(
        "upload-digest-malformed",
        "closing PUT with digest=sha256:zzz",
        lambda c, p: c.put_upload(_upload(c, p), "sha256:zzz", b"data"),
        _codes("DIGEST_INVALID"),
        writes=True,
    ),
    Mistake(
        "upload-digest-missing",
        "closing PUT without a digest parameter",
        lambda c, p: c.request(
            "PUT", _upload(c, p), content=b"data", headers={"Content-Type": "application/octet-stream"}
        ),
        _codes("DIGEST_INVALID"),
        writes=True,
    ),
    Mistake(
        "upload-content-range-malformed",
        "PATCH with Content-Range: garbage",
        lambda c, p: c.patch_upload(_upload(c, p), b"data", headers={"Content-Range": "garbage"}),
        _codes("BLOB_UPLOAD_INVALID", "SIZE_INVALID"),
        writes=True,
    ),
    Mistake(
        "upload-content-range-length",
        "PATCH with Content-Range: 0-9 and 4 bytes of data",
        lambda c, p: c.patch_upload(_upload(c, p), b"data", headers={"Content-Range": "0-9"}),
        _codes("SIZE_INVALID", "BLOB_UPLOAD_INVALID"),
        writes=True,
    ),
    # deletes (405 UNSUPPORTED is right when deletion is disabled)
    Mistake(
        "delete-manifest-unknown",
        "DELETE of a manifest the repository does not have",
        lambda c, p: c.delete_manifest(p.repo, p.missing_digest("manifest")),
        _codes("MANIFEST_UNKNOWN", "UNSUPPORTED"),
        writes=True,
        deletes=True,
    ),
    Mistake(
        "delete-blob-unknown",
        "DELETE of a blob the repository does not have",
        lambda c, p: c.delete_blob(p.repo, p.missing_digest("blob")),
        _codes("BLOB_UNKNOWN", "UNSUPPORTED"),
        writes=True,
        deletes=True,
    ),
    Mistake(
        "delete-blob-digest-malformed",
        f"DELETE of a blob by the malformed digest {MALFORMED}",
        lambda c, p: c.delete_blob(p.repo, MALFORMED),
        _codes("DIGEST_INVALID", "BLOB_UNKNOWN", "UNSUPPORTED"),
        writes=True,
        deletes=True,
    ),
]
BY_ID = {m.id: m for m in MISTAKES}


def _push_place(run: Run, client: RegistryClient) -> Place:
    repo = run.namespace.repo("errors")
    image = content.image(f"errors/{repo}", layers=0)
    client.push_image(repo, image, "v1")
    return Place(repo, image, run.namespace.repo("errors-never-pushed"))


PLACE = Made(("errors", "place"), _push_place)


@content_fixture(makes=PLACE)
def place(regsuite_run: Run, content_store: ContentStore) -> Place:
    """Where the mistakes are made: a repository holding an image, pushed once for the run."""
    if regsuite_run.settings.read_only:
        assert regsuite_run.settings.ro_repo
        return Place(regsuite_run.settings.ro_repo, None, regsuite_run.namespace.repo("errors-never-pushed"))
    return content_store.make(PLACE)  # type: ignore[no-any-return]


def _answer(run: Run, registry: RegistryClient, store: ContentStore, place: Place,
            mistake_id: str) -> tuple[Mistake, httpx.Response]:
    """The registry's answer to one mistake, made once for the run (three checks judge it)."""
    mistake = BY_ID[mistake_id]
    if mistake.writes and run.settings.read_only:
        pytest.skip("read-only mode: this mistake writes")
    if mistake.deletes and run.settings.delete == "no":
        pytest.skip("deletes are off (--registry-delete no)")
    response = store.once(("mistake", mistake_id), lambda client: mistake.send(client, place))
    registry.transcript.show(store.exchanges("mistake", mistake_id))
    return mistake, response


def _judged_error(run: Run, registry: RegistryClient, store: ContentStore, place: Place,
                  mistake_id: str) -> tuple[Mistake, httpx.Response]:
    """The answer to a mistake when it is a 4xx: the spec constrains the bodies of 4xx answers."""
    mistake, response = _answer(run, registry, store, place, mistake_id)
    if response.status_code >= 500:
        pytest.skip(f"answered {response.status_code}: errors.no-5xx judges that")
    if response.status_code < 400:
        pytest.skip(f"the registry accepted it ({response.status_code}): no error code to judge")
    return mistake, response


def _codes_of(response: httpx.Response, mistake: Mistake) -> list[str] | None:
    try:
        return error_codes(response)
    except ValueError as exc:
        raise AssertionError(
            f"{mistake.what}: {describe(response)}\n{exc}; the spec wants "
            '{"errors": [{"code": ..., "message": ..., "detail": ...}]}'
        ) from None


@check("errors.no-5xx")
@pytest.mark.parametrize("mistake_id", list(BY_ID))
def test_no_5xx(registry: RegistryClient, regsuite_run: Run, content_store: ContentStore, place: Place,
                mistake_id: str) -> None:
    mistake, response = _answer(regsuite_run, registry, content_store, place, mistake_id)
    assert response.status_code < 500, (
        f"{mistake.what}: {describe(response)}\na client mistake must get a 4xx; a 5xx blames the registry"
    )


@check("errors.spec-code")
@pytest.mark.parametrize("mistake_id", list(BY_ID))
def test_spec_code(registry: RegistryClient, regsuite_run: Run, content_store: ContentStore, place: Place,
                   mistake_id: str) -> None:
    mistake, response = _judged_error(regsuite_run, registry, content_store, place, mistake_id)
    codes = _codes_of(response, mistake)
    unknown = sorted(set(codes or []) - KNOWN_CODES)
    assert not unknown, (
        f"{mistake.what}: {describe(response)}\nerror code(s) {unknown} are not in the spec's table "
        f"({', '.join(sorted(SPEC_CODES))})"
    )


@check("errors.right-code")
@pytest.mark.parametrize("mistake_id", list(BY_ID))
def test_right_code(registry: RegistryClient, regsuite_run: Run, content_store: ContentStore, place: Place,
                    mistake_id: str) -> None:
    mistake, response = _judged_error(regsuite_run, registry, content_store, place, mistake_id)
    codes = _codes_of(response, mistake)
    if codes is None:
        return  # a 4xx body MAY be in any format
    assert set(codes) & mistake.codes, (
        f"{mistake.what}: {describe(response)}\nthe code(s) {codes} do not name the condition; "
        f"want {' or '.join(sorted(mistake.codes))}"
    )


REFUSABLE = {
    "delete-tag": "DELETE of a tag",
    "delete-manifest": "DELETE of a manifest by digest",
    "delete-blob": "DELETE of a blob",
}


@check("errors.unsupported-code")
@pytest.mark.parametrize("operation", list(REFUSABLE))
def test_unsupported_code(registry: RegistryClient, regsuite_run: Run, repo: str, operation: str) -> None:
    if regsuite_run.settings.delete == "no":
        pytest.skip("deletes are off (--registry-delete no)")
    image = content.image(f"errors/{repo}", layers=0)
    registry.push_image(repo, image, "v1")
    if operation == "delete-tag":
        response = registry.delete_manifest(repo, "v1")
    elif operation == "delete-manifest":
        response = registry.delete_manifest(repo, image.digest)
    else:
        response = registry.delete_blob(repo, image.blobs[0].digest)
    assert response.status_code < 500, f"{describe(response)}\na delete must not answer 5xx"
    if response.status_code not in (400, 405):
        pytest.skip(f"the registry answered {response.status_code}, not a refusal (400/405): no refusal code to judge")
    codes = error_codes(response)
    assert codes is None or "UNSUPPORTED" in codes, (
        f"{describe(response)}\nthe registry refused the {REFUSABLE[operation]} with {codes}; a refusal "
        f"because the operation is disabled is UNSUPPORTED ({', '.join(codes or [])} says something else happened)"
    )


# -- headers of every response of the run (the response watch), judged once the other checks are done --------


@check("errors.warning-header")
@pytest.mark.session_end(rank=1)
def test_warning_header(registry: RegistryClient, response_watch: ResponseWatch) -> None:
    registry.ping()  # one answer of its own, so the check means something when run alone
    if not response_watch.warnings:
        pytest.skip(f"no Warning header in the {response_watch.responses} responses of this run")
    problems = [
        f"{seen.request} answered {seen.status} with Warning: {' | '.join(seen.values)}: {problem}"
        for seen in response_watch.warnings
        for problem in warning_problems(seen.values)
    ]
    assert not problems, (
        f"{len(problems)} malformed warnings (of {len(response_watch.warnings)} responses with one):\n"
        + "\n".join(problems[:5])
        + '\nthe spec wants Warning: 299 - "<text>", no warn-date, at most 4096 bytes of warnings per response'
    )


def _every_429(registry: RegistryClient, watch: ResponseWatch, problem: Callable[[Seen], str | None],
               wants: str) -> None:
    """Judge every 429 of the run (the client waited each out and asked again; the watch saw them first)."""
    registry.ping()
    if not watch.throttled:
        pytest.skip(f"no 429 answer in the {watch.responses} responses of this run")
    problems = [f"{seen.request} answered 429: {why}" for seen in watch.throttled if (why := problem(seen))]
    assert not problems, (
        "\n".join(problems[:5]) + f"\n({len(problems)} of {len(watch.throttled)} 429 answers); {wants}"
    )


@check("errors.retry-after")
@pytest.mark.session_end(rank=1)
def test_retry_after(registry: RegistryClient, response_watch: ResponseWatch) -> None:
    _every_429(registry, response_watch, lambda seen: retry_after_problem(seen.values[0] if seen.values else None),
               "a 429 SHOULD say when to retry: Retry-After: <seconds> or an HTTP-date (RFC 6585 4, RFC 9110 10.2.3)")


@check("errors.throttled-code")
@pytest.mark.session_end(rank=1)
def test_throttled_code(registry: RegistryClient, response_watch: ResponseWatch) -> None:
    _every_429(registry, response_watch, lambda seen: seen.code_problem,
               "a JSON error body of a 429 SHOULD carry the spec's code TOOMANYREQUESTS")
