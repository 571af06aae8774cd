"""Fixtures of the conformance checks: the session's content store and what the checks read from it.

The store itself (what is pushed once and how) is regsuite.fixtures.content.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from regsuite import datasets
from regsuite.client import RegistryClient
from regsuite.content import Manifest
from regsuite.fixtures.ahead import Lanes
from regsuite.fixtures.checks import unsupported
from regsuite.fixtures.content import (
    READ_ONLY,
    BlobSubject,
    ContentStore,
    Observation,
    PullSubject,
    needs,
    show_exchanges,
)
from regsuite.fixtures.run import STOP_KEY, Run, settings_of
from regsuite.uploads import UPLOAD_CASES


@pytest.fixture(scope="session")
def content_store(regsuite_run: Run, request: pytest.FixtureRequest) -> Iterator[ContentStore]:
    store = ContentStore(regsuite_run)
    # Under xdist every worker collects every check but runs a share: there, push on first use only.
    if not regsuite_run.settings.read_only and not os.environ.get("PYTEST_XDIST_WORKER"):
        store.prefetch(*needs(request.session.items))
    try:
        yield store
    finally:
        store.close()


@pytest.fixture(scope="session", autouse=True)
def background_work(request: pytest.FixtureRequest) -> None:
    """With the first check, the work the selected checks need starts in the background: the content they read
    (content_store), then the checks that run ahead (client programs, regsuite.fixtures.ahead). The lanes wait
    for the content: by then the run's circuit knows which endpoints answer, and the two do not compete.

    None when the first contact failed on TLS: then only the tls checks run, on their own connections."""
    stop = request.config.stash.get(STOP_KEY, None)
    if stop is not None and stop.first_contact:
        return
    content_store: ContentStore = request.getfixturevalue("content_store")
    regsuite_lanes: Lanes = request.getfixturevalue("regsuite_lanes")
    if not os.environ.get("PYTEST_XDIST_WORKER"):  # under xdist each check does its own work in its turn
        regsuite_lanes.start(request.session.items, after=content_store.settle)


@pytest.fixture
def writable(regsuite_run: Run) -> None:
    """Checks that push ask for this: skipped in read-only mode."""
    if regsuite_run.settings.read_only:
        pytest.skip("read-only mode: this check writes")


@pytest.fixture
def stored_image(writable: None, content_store: ContentStore, registry: RegistryClient) -> tuple[str, Manifest]:
    """The 'image' data set, pushed: (repository, manifest)."""
    push = content_store.dataset("image")
    if not push.pushed:
        pytest.skip("data set 'image' was not pushed; see push.manifest-put[image]")
    registry.transcript.clear()
    return push.repo, push.dataset.manifest


@pytest.fixture
def sha512_repo(writable: None, content_store: ContentStore, registry: RegistryClient) -> str:
    """Where sha512 content is judged beyond uploads; unsupported when the registry does not keep sha512 digests.

    Decided once per session, from the POST+PUT upload of a sha512 blob (push.blob-post-put[sha512]).
    """
    reason = content_store.sha512_unsupported()
    if reason is not None:
        unsupported(reason)
    registry.transcript.clear()
    return content_store.repo("uploads")


@pytest.fixture
def pull_reference(regsuite_run: Run, content_store: ContentStore, registry: RegistryClient) -> tuple[str, str]:
    """A manifest that exists, as (repository, tag or digest): the preloaded one, or the 'image' data set."""
    s = regsuite_run.settings
    if s.read_only:
        assert s.ro_repo and (s.ro_tag or s.ro_manifest_digest)
        return s.ro_repo, s.ro_tag or s.ro_manifest_digest  # type: ignore[return-value]
    push = content_store.dataset("image")
    registry.transcript.clear()
    return push.repo, push.dataset.tag or push.dataset.manifest.digest


@pytest.fixture
def pull_repo(pull_reference: tuple[str, str]) -> str:
    """A repository that exists: the preloaded one, or the data set repository."""
    return pull_reference[0]


@pytest.fixture
def pull_subject(request: pytest.FixtureRequest, content_store: ContentStore, registry: RegistryClient) -> PullSubject:
    name = request.param
    subject = content_store.read_only_subject() if name == READ_ONLY else content_store.pushed_subject(name)
    if isinstance(subject, str):
        pytest.skip(subject)
    registry.transcript.clear()  # the check's transcript shows the check's own requests
    return subject


@pytest.fixture
def observed(pull_subject: PullSubject, content_store: ContentStore, registry: RegistryClient) -> list[Observation]:
    """HEAD and GET of every object of the data set, made once per session."""
    observations = content_store.observe(pull_subject)
    registry.transcript.clear()
    show_exchanges(registry.transcript, content_store.exchanges("observe", pull_subject.label))
    return observations


@pytest.fixture
def blob_subject(request: pytest.FixtureRequest, content_store: ContentStore, registry: RegistryClient) -> BlobSubject:
    case_id = request.param
    if case_id == READ_ONLY:
        subject = content_store.read_only_subject()
        if not subject.blobs:
            pytest.skip("read-only mode: no blob to read (give --ro-blob-digest, or a tag of an image manifest)")
        digest, data = subject.blobs[0]
        result = BlobSubject(READ_ONLY, subject.repo, digest, data)
    else:
        record = content_store.upload(case_id)
        if not record.stored:
            pytest.skip(
                f"blob {case_id!r} could not be pushed ({record.violation}); "
                f"see {record.case.check}[{record.case.param}]"
            )
        result = BlobSubject(case_id, record.repo, record.case.blob.digest, record.case.blob.data)
    registry.transcript.clear()
    return result


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Pull checks read the pushed data sets, or in read-only mode the preloaded content."""
    read_only = settings_of(metafunc.config).read_only
    if "pull_subject" in metafunc.fixturenames:
        names = [READ_ONLY] if read_only else datasets.DATASET_NAMES
        metafunc.parametrize("pull_subject", names, indirect=True, ids=names)
    if "blob_subject" in metafunc.fixturenames:
        ids = [READ_ONLY] if read_only else [c for c in UPLOAD_CASES if c != "range"]
        metafunc.parametrize("blob_subject", ids, indirect=True, ids=ids)
