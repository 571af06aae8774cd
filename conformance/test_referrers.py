"""Area referrers: the referrers API (end-12a/12b) and OCI-Subject on manifest PUT.

A registry without the referrers API answers 404 to `GET /v2/<name>/referrers/<digest>`;
the spec reads that 404 as "not supported" (clients then fall back to the
referrers tag schema), so every check here reports unsupported. A registry
that lists referrers must do it fully.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import pytest

from regsuite import content
from regsuite import mediatypes as mt
from regsuite.client import RegistryClient
from regsuite.digest import is_valid_digest
from regsuite.fixtures.checks import check, unsupported
from regsuite.fixtures.content import content_fixture
from regsuite.fixtures.run import Run
from regsuite.fixtures.store import ContentStore, Made
from regsuite.flows import FlowFailed
from regsuite.judge import describe
from regsuite.optional import Feature, not_offered
from regsuite.order import duplicates

SBOM = "application/vnd.regsuite.sbom.v1"
SIGNATURE = "application/vnd.regsuite.signature.v1"
BUNDLE = "application/vnd.regsuite.bundle.v1"
EARLY = "application/vnd.regsuite.early.v1"
@dataclass
class Referrers:
    repo: str
    subject: content.Manifest
    referrers: list[content.Manifest]  # everything in `repo` whose subject is `subject`
    put_responses: list[httpx.Response] = field(default_factory=list)  # the PUTs of those referrers
    probe: httpx.Response | None = None
    early: content.Manifest | None = None  # a referrer pushed before its subject (one of `referrers`)
    untyped_index: content.Manifest | None = None  # an index referrer without artifactType (one of `referrers`)
    # a referrer whose subject is never pushed, and the answer to its PUT
    orphan: tuple[content.Manifest, content.Manifest, httpx.Response] | None = None
    # an image index as subject, and its referrer
    index_subject: tuple[content.Manifest, content.Manifest] | None = None
    # a referrer of `subject` pushed to another repository, and that repository
    elsewhere: tuple[str, content.Manifest] | None = None

    def by_digest(self) -> dict[str, content.Manifest]:
        return {m.digest: m for m in self.referrers}


def _expected_artifact_type(manifest: content.Manifest) -> str | None:
    """The artifactType the spec wants in a referrer's descriptor."""
    body = manifest.json
    if body.get("artifactType"):
        return str(body["artifactType"])
    if manifest.media_type == mt.OCI_INDEX:
        return None  # an index without artifactType: the field is omitted
    return str(body["config"]["mediaType"])


def _push(client: RegistryClient, repo: str, manifest: content.Manifest, tag: str | None = None) -> httpx.Response:
    """Push a manifest and what it needs; the final answer, also when a step was refused."""
    try:
        return client.push_image(repo, manifest, tag)
    except FlowFailed as failure:
        return failure.response


Push = Callable[[RegistryClient], httpx.Response]


def _push_referrers(regsuite_run: Run, client: RegistryClient) -> Referrers:
    """The subject and its referrers: first what the others need, then the rest side by side (Run.side_by_side).

    Order matters where the spec speaks of it: the early referrer goes before its subject. Blobs several pushes
    hold (the empty config, the index's child image) are stored before the pushes holding them run side by side:
    two uploads of one blob at once can lose it for a moment (distribution 2.8).
    """
    repo = regsuite_run.namespace.repo("referrers")
    other = f"{repo}-other"
    subject = content.image(f"referrers-subject/{repo}", layers=0)
    early = content.artifact("referrers-early", EARLY, subject=subject)
    result = Referrers(repo, subject, [], early=early)
    bundled = content.image(f"referrers-bundled/{repo}", layers=0)
    untyped = content.index([bundled], subject=subject, annotations={"org.regsuite.kind": "untyped"})
    later = [
        content.artifact("referrers-sbom", SBOM, subject=subject),
        content.artifact("referrers-signature", SIGNATURE, subject=subject, annotations={"org.regsuite.role": "sig"}),
        content.image(f"referrers-image/{repo}", layers=0, subject=subject),  # no artifactType: config mediaType
        content.index([bundled], artifact_type=BUNDLE, subject=subject, annotations={"org.regsuite.kind": "bundle"}),
        untyped,
    ]
    missing = content.image(f"referrers-never-pushed/{repo}", layers=0)
    orphan = content.artifact("referrers-orphan", SBOM, subject=missing)
    index_subject = content.index([bundled], annotations={"org.regsuite.kind": "subject"})
    on_index = content.artifact("referrers-on-index", SIGNATURE, subject=index_subject)
    stranger = content.artifact("referrers-other-repository", SBOM, subject=subject)

    def first(c: RegistryClient) -> httpx.Response:
        early_put = _push(c, repo, early)  # before its subject: registries MUST accept it
        _push(c, repo, subject, "subject")
        _push(c, repo, bundled)
        return early_put

    def then(c: RegistryClient, manifest: content.Manifest) -> httpx.Response:
        """Push `manifest` by digest (referrers need no tag). An index's child is in already: pushed again by
        several at once, distribution 2.8 fails the reads of it the others' PUTs make."""
        if manifest.media_type == mt.OCI_INDEX:
            return c.put_manifest(repo, manifest.digest, manifest)
        return _push(c, repo, manifest)

    def on_an_index(c: RegistryClient) -> httpx.Response:
        then(c, index_subject)
        return _push(c, repo, on_index)

    early_put = first(client)
    round_two: list[Push] = [functools.partial(then, manifest=m) for m in later]
    round_two += [functools.partial(_push, repo=repo, manifest=orphan), on_an_index,
                  functools.partial(_push, repo=other, manifest=stranger)]
    *later_puts, orphan_put, _, _ = regsuite_run.side_by_side(client, round_two)
    result.put_responses = [early_put, *later_puts]
    result.referrers, result.untyped_index = [early, *later], untyped
    result.orphan = (missing, orphan, orphan_put)
    result.index_subject = (index_subject, on_index)
    result.elsewhere = (other, stranger)
    result.probe = client.referrers(repo, subject.digest)
    return result


REFERRERS = Made(("referrers", "pushed"), _push_referrers)


@content_fixture(makes=REFERRERS)
def pushed(regsuite_run: Run, content_store: ContentStore) -> Referrers:
    """The subject and its referrers, pushed once for the run."""
    if regsuite_run.settings.read_only:
        pytest.skip(
            "read-only mode: this check pushes its own subject and referrers (give --ro-subject-digest "
            "for the read-only listing check, referrers.index-format)"
        )
    return content_store.make(REFERRERS)  # type: ignore[no-any-return]



@pytest.fixture
def referrers(pushed: Referrers) -> Referrers:
    """The pushed referrers, or unsupported when the registry has no referrers API."""
    assert pushed.probe is not None
    why = not_offered(Feature.REFERRERS, pushed.probe)
    if why:
        unsupported(why)
    return pushed


@pytest.fixture
def listed_subject(regsuite_run: Run, request: pytest.FixtureRequest) -> tuple[str, str]:
    """(repository, subject digest) to list referrers of: the pushed subject, or --ro-subject-digest read-only."""
    s = regsuite_run.settings
    if not s.read_only:
        pushed = request.getfixturevalue("referrers")
        return pushed.repo, pushed.subject.digest
    if not s.ro_subject_digest:
        pytest.skip("read-only mode: give --ro-subject-digest (a manifest in --ro-repo with referrers) to list them")
    assert s.ro_repo
    return s.ro_repo, s.ro_subject_digest


def _index(response: httpx.Response, what: str) -> list[dict[str, object]]:
    assert response.status_code == 200, f"{describe(response)}\n{what}: the spec wants 200 and an image index"
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"{describe(response)}\n{what}: the body is not JSON; want an image index") from None
    manifests = body.get("manifests") if isinstance(body, dict) else None
    assert isinstance(manifests, list), f"{describe(response)}\n{what}: no 'manifests' list; want an image index"
    assert all(isinstance(d, dict) for d in manifests), f"{describe(response)}\n{what}: 'manifests' holds non-objects"
    return manifests  # type: ignore[return-value]


def _all_pages(registry: RegistryClient, first: httpx.Response, what: str) -> tuple[list[dict[str, object]], int]:
    descriptors: list[dict[str, object]] = []
    pages = 0
    for page in registry.pages(first, "manifests"):
        pages += 1
        descriptors += _index(page.response, f"{what}, page {pages}")
    return descriptors, pages


def _digests(descriptors: list[dict[str, object]]) -> list[str]:
    return [str(d.get("digest")) for d in descriptors]


@check("referrers.list")
def test_list(registry: RegistryClient, referrers: Referrers) -> None:
    first = registry.referrers(referrers.repo, referrers.subject.digest)
    descriptors, pages = _all_pages(registry, first, "GET referrers/<subject>")
    got, want = set(_digests(descriptors)), set(referrers.by_digest())
    assert got == want, (
        f"{describe(first)}\nthe referrers list ({pages} page(s)) lacks {sorted(want - got)} and has extra "
        f"{sorted(got - want)}; the spec wants every manifest in the repository whose subject is "
        f"{referrers.subject.digest}"
    )


@check("referrers.index-format")
def test_index_format(registry: RegistryClient, listed_subject: tuple[str, str]) -> None:
    repo, subject = listed_subject
    response = registry.referrers(repo, subject)
    why = not_offered(Feature.REFERRERS, response)
    if why:
        unsupported(why)
    descriptors = _index(response, "GET referrers/<subject>")
    ctype = response.headers.get("content-type", "").split(";")[0].strip()
    assert ctype == mt.OCI_INDEX, f"{describe(response)}\nContent-Type is {ctype!r}; the spec wants {mt.OCI_INDEX}"
    body = response.json()
    assert body.get("schemaVersion") == 2, (
        f"{describe(response)}\nschemaVersion is {body.get('schemaVersion')!r}, want 2"
    )
    media_type = body.get("mediaType")
    assert media_type in (None, mt.OCI_INDEX), f"{describe(response)}\nmediaType is {media_type!r}, want {mt.OCI_INDEX}"
    broken = [
        d
        for d in descriptors
        if not (
            isinstance(d.get("mediaType"), str)
            and isinstance(d.get("size"), int)
            and isinstance(d.get("digest"), str)
            and is_valid_digest(str(d["digest"]))
        )
    ]
    assert not broken, (
        f"{describe(response)}\n{len(broken)} entries are not descriptors (mediaType, digest, size): {broken[:2]}"
    )


@check("referrers.descriptors")
def test_descriptors(registry: RegistryClient, referrers: Referrers) -> None:
    first = registry.referrers(referrers.repo, referrers.subject.digest)
    descriptors, _ = _all_pages(registry, first, "GET referrers/<subject>")
    problems = []
    for d in descriptors:
        manifest = referrers.by_digest().get(str(d.get("digest")))
        if manifest is None:
            continue  # referrers.list judges what is listed
        want = {"mediaType": manifest.media_type, "size": manifest.size}
        for key, value in want.items():
            if d.get(key) != value:
                problems.append(f"{manifest.digest}: {key} is {d.get(key)!r}, want {value!r}")
        artifact_type = _expected_artifact_type(manifest)
        if d.get("artifactType") != artifact_type:
            rule = "omitted (an index without artifactType)" if artifact_type is None else repr(artifact_type)
            problems.append(f"{manifest.digest}: artifactType is {d.get('artifactType')!r}, want {rule}")
        annotations = manifest.json.get("annotations") or {}
        got = d.get("annotations") or {}
        missing = {k: v for k, v in annotations.items() if not isinstance(got, dict) or got.get(k) != v}
        if missing:
            problems.append(
                f"{manifest.digest}: annotations lack {missing} (the spec copies the manifest's annotations)"
            )
    assert not problems, f"{describe(first)}\n" + "\n".join(problems)


@check("referrers.index-referrer")
def test_index_referrer(registry: RegistryClient, referrers: Referrers) -> None:
    index = next(m for m in referrers.referrers if m.media_type == mt.OCI_INDEX)
    first = registry.referrers(referrers.repo, referrers.subject.digest)
    descriptors, _ = _all_pages(registry, first, "GET referrers/<subject>")
    found = [d for d in descriptors if d.get("digest") == index.digest]
    assert found, f"{describe(first)}\nthe image index {index.digest} with a subject is not listed as a referrer"
    assert found[0].get("mediaType") == mt.OCI_INDEX and found[0].get("artifactType") == BUNDLE, (
        f"the index referrer is listed as {found[0]}; want mediaType {mt.OCI_INDEX} and artifactType {BUNDLE}"
    )


def _filtered(registry: RegistryClient, referrers: Referrers) -> tuple[httpx.Response, set[str], bool]:
    response = registry.referrers(referrers.repo, referrers.subject.digest, artifact_type=SBOM)
    descriptors, _ = _all_pages(registry, response, f"GET referrers/<subject>?artifactType={SBOM}")
    applied = "artifacttype" in {p.strip().lower() for p in response.headers.get("oci-filters-applied", "").split(",")}
    return response, set(_digests(descriptors)), applied


@check("referrers.filter")
def test_filter(registry: RegistryClient, referrers: Referrers) -> None:
    response, got, applied = _filtered(registry, referrers)
    sboms = {m.digest for m in referrers.referrers if _expected_artifact_type(m) == SBOM}
    if not applied and got == set(referrers.by_digest()):
        unsupported(
            f"artifactType={SBOM} returned every referrer without OCI-Filters-Applied: the filter is not "
            "applied (filtering is a SHOULD)"
        )
    assert got == sboms, (
        f"{describe(response)}\nfiltered by artifactType={SBOM}; want only {sorted(sboms)}, got {sorted(got)}"
    )


@check("referrers.filters-applied")
def test_filters_applied(registry: RegistryClient, referrers: Referrers) -> None:
    response, got, applied = _filtered(registry, referrers)
    header = response.headers.get("oci-filters-applied")
    everything = set(referrers.by_digest())
    if applied:
        assert got != everything or len(everything) == 1, (
            f"{describe(response)}\nOCI-Filters-Applied: {header} claims the artifactType filter, but every "
            f"referrer came back"
        )
    else:
        assert got == everything, (
            f"{describe(response)}\nthe answer to ?artifactType={SBOM} is filtered ({len(got)} of {len(everything)}) "
            f"but has no OCI-Filters-Applied: artifactType header; the spec wants it whenever the filter was applied"
        )


@check("referrers.oci-subject")
def test_oci_subject(pushed: Referrers) -> None:
    assert pushed.probe is not None
    why = not_offered(Feature.REFERRERS, pushed.probe)
    if why:
        sent = sorted({r.headers.get("oci-subject", "none") for r in pushed.put_responses})
        unsupported(
            f"manifest PUTs with a subject answered OCI-Subject: {', '.join(sent)}, and "
            f"{why}; OCI-Subject is owed only with the referrers API"
        )
    for response in pushed.put_responses:
        value = response.headers.get("oci-subject")
        assert value == pushed.subject.digest, (
            f"{describe(response)}\na manifest with subject {pushed.subject.digest} was pushed to a registry with "
            f"the referrers API; OCI-Subject is {value!r}, the spec wants the subject's digest"
        )


@check("referrers.unknown-subject")
def test_unknown_subject(registry: RegistryClient, referrers: Referrers) -> None:
    nothing = content.digest_of(b"regsuite: nothing refers to this " + referrers.repo.encode())
    response = registry.referrers(referrers.repo, nothing)
    descriptors = _index(response, "GET referrers/<digest nothing refers to>")
    assert descriptors == [], f"{describe(response)}\nwant an empty index, got {len(descriptors)} descriptors"


@check("referrers.pagination")
def test_pagination(registry: RegistryClient, referrers: Referrers) -> None:
    first = registry.referrers(referrers.repo, referrers.subject.digest)
    descriptors, pages = _all_pages(registry, first, "GET referrers/<subject>")
    digests = _digests(descriptors)
    assert not duplicates(digests), f"following Link over {pages} page(s) listed {duplicates(digests)} more than once"
    missing = set(referrers.by_digest()) - set(digests)
    assert not missing, f"following Link over {pages} page(s) never listed {sorted(missing)}"


def _listed(registry: RegistryClient, repo: str, subject: str, what: str) -> tuple[httpx.Response, list[str]]:
    first = registry.referrers(repo, subject)
    descriptors, _ = _all_pages(registry, first, what)
    return first, _digests(descriptors)


def _judge_only_referrer(
    registry: RegistryClient, repo: str, subject: content.Manifest, referrer: content.Manifest, what: str
) -> None:
    """The referrers of `subject` are exactly `referrer`."""
    first, listed = _listed(registry, repo, subject.digest, f"GET referrers/<{what}>")
    assert listed == [referrer.digest], (
        f"{describe(first)}\nreferrers of {subject.digest}, {what}, list {listed}; the spec wants the one manifest "
        f"whose subject it is, {referrer.digest} (end-12a)"
    )


@check("referrers.subject-pushed-later")
def test_subject_pushed_later(registry: RegistryClient, referrers: Referrers) -> None:
    assert referrers.early is not None
    put = referrers.put_responses[0]
    assert put.status_code == 201, (
        f"{describe(put)}\na manifest whose subject is not pushed yet was refused; registries MUST accept a "
        "manifest with a subject that does not exist, so referrers may be pushed before their subject (push)"
    )
    first, listed = _listed(registry, referrers.repo, referrers.subject.digest, "GET referrers/<subject>")
    assert referrers.early.digest in listed, (
        f"{describe(first)}\nthe referrer {referrers.early.digest}, pushed before its subject, is not listed once "
        "the subject is there; the list holds every manifest whose subject it is (end-12a)"
    )


@check("referrers.missing-subject")
def test_missing_subject(registry: RegistryClient, referrers: Referrers) -> None:
    assert referrers.orphan is not None
    missing, orphan, put = referrers.orphan
    assert put.status_code == 201, (
        f"{describe(put)}\na manifest whose subject {missing.digest} was never pushed was refused; registries "
        "MUST accept it (push)"
    )
    assert put.headers.get("oci-subject") == missing.digest, (
        f"{describe(put)}\nOCI-Subject is {put.headers.get('oci-subject')!r}; a registry with the referrers API "
        f"answers the subject's digest, {missing.digest}, whether or not the subject exists (end-7)"
    )
    _judge_only_referrer(registry, referrers.repo, missing, orphan, "a subject never pushed")


@check("referrers.index-subject")
def test_index_subject(registry: RegistryClient, referrers: Referrers) -> None:
    assert referrers.index_subject is not None
    index, referrer = referrers.index_subject
    _judge_only_referrer(registry, referrers.repo, index, referrer, "an image index")


@check("referrers.index-artifact-type-omitted")
def test_index_artifact_type_omitted(registry: RegistryClient, referrers: Referrers) -> None:
    assert referrers.untyped_index is not None
    first = registry.referrers(referrers.repo, referrers.subject.digest)
    descriptors, _ = _all_pages(registry, first, "GET referrers/<subject>")
    found = [d for d in descriptors if d.get("digest") == referrers.untyped_index.digest]
    assert found, f"{describe(first)}\nthe index referrer {referrers.untyped_index.digest} is not listed (end-12a)"
    assert "artifactType" not in found[0], (
        f"the index referrer without artifactType is listed as {found[0]}; for an index without artifactType the "
        "spec wants artifactType omitted (end-12a)"
    )


@check("referrers.other-repository")
def test_other_repository(registry: RegistryClient, referrers: Referrers) -> None:
    assert referrers.elsewhere is not None
    other, stranger = referrers.elsewhere
    own, listed_there = _listed(registry, other, referrers.subject.digest, "GET referrers/<subject> elsewhere")
    if stranger.digest not in listed_there:
        pytest.skip(
            f"{describe(own)}: the referrer is not listed even in its own repository; see referrers.missing-subject"
        )
    first, listed = _listed(registry, referrers.repo, referrers.subject.digest, "GET referrers/<subject>")
    assert stranger.digest not in listed, (
        f"{describe(first)}\nlists {stranger.digest}, a referrer pushed to {other}; the spec lists only manifests "
        "in the same repository (end-12a)"
    )
