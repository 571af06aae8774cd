"""Session content for the conformance checks: data sets and blobs, pushed once, pulled by many checks.

Pushes are lazy: the first check that needs a data set (or an uploaded
blob) pushes it, every later check reuses the record. The exchanges of a push
are kept with its record so a push check that fails shows them even when
another check triggered the push.

In read-only mode nothing is pushed: the pull checks are parametrised with
the single case "read-only", built from --ro-repo/--ro-tag/--ro-manifest-digest/
--ro-blob-digest with GET requests only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import httpx
import pytest

from conformance.uploads import UPLOAD_CASES, UploadCase, Violation
from fixtures.target import Run, settings_of
from regsuite import datasets
from regsuite.client import RegistryClient
from regsuite.datasets import DatasetPush
from regsuite.digest import digest_of, is_valid_digest
from regsuite.transcript import Exchange, Transcript

READ_ONLY = "read-only"
# (data set, blob push method): every data set once with POST+PUT, the common images with every method.
PUSH_MATRIX: list[tuple[str, str]] = [(name, "post-put") for name in datasets.DATASET_NAMES] + [
    (name, method)
    for name in ("image", "docker-schema2")
    for method in ("post-digest", "chunked", "stream")
]


def matrix_id(name: str, method: str) -> str:
    return name if method == "post-put" else f"{name}-{method}"


@dataclass
class UploadRecord:
    case: UploadCase
    repo: str
    response: httpx.Response | None = None  # the final (201) response
    violation: Violation | None = None
    exchanges: list[Exchange] = field(default_factory=list)
    stored_anyway: bool = False

    @property
    def stored(self) -> bool:
        return self.stored_anyway or (self.response is not None and self.response.status_code == 201)


class ContentStore:
    """Data sets and uploaded blobs of this session, pushed on first use."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.client = run.client
        self._datasets: dict[tuple[str, str], tuple[DatasetPush, list[Exchange]]] = {}
        self._uploads: dict[str, UploadRecord] = {}

    def repo(self, name: str) -> str:
        return self.run.namespace.repo(name)

    def _recorded(self, transcript: Transcript, before: int) -> list[Exchange]:
        return list(transcript.exchanges[before:])

    def dataset(self, name: str, method: str = "post-put") -> DatasetPush:
        key = (name, method)
        if key not in self._datasets:
            transcript = self.client.transcript
            before = len(transcript.exchanges)
            repo = self.repo("datasets" if method == "post-put" else f"datasets-{method}")
            record = datasets.push_dataset(self.client, repo, datasets.build(name), method)
            self._datasets[key] = (record, self._recorded(transcript, before))
        return self._datasets[key][0]

    def dataset_exchanges(self, name: str, method: str = "post-put") -> list[Exchange]:
        self.dataset(name, method)
        return self._datasets[(name, method)][1]

    def upload(self, case_id: str) -> UploadRecord:
        if case_id not in self._uploads:
            case = UPLOAD_CASES[case_id]
            transcript = self.client.transcript
            before = len(transcript.exchanges)
            record = UploadRecord(case, self.repo("uploads"))
            try:
                record.response = case.push(self.client, record.repo, case.blob)
            except Violation as violation:
                record.violation = violation
                # A protocol deviation may still have stored the blob; the pull checks judge what was stored.
                record.stored_anyway = self.client.head_blob(record.repo, case.blob.digest).status_code == 200
            record.exchanges = self._recorded(transcript, before)
            self._uploads[case_id] = record
        return self._uploads[case_id]


def show_exchanges(transcript: Transcript, exchanges: list[Exchange]) -> None:
    """Put a push's exchanges into the current check's transcript (when another check made them)."""
    present = {id(e) for e in transcript.exchanges}
    missing = [e for e in exchanges if id(e) not in present]
    transcript.exchanges[:0] = missing


@pytest.fixture(scope="session")
def content_store(regsuite_run: Run) -> ContentStore:
    return ContentStore(regsuite_run)


@pytest.fixture
def writable(regsuite_run: Run) -> None:
    """Checks that push ask for this: skipped in read-only mode."""
    if regsuite_run.settings.read_only:
        pytest.skip("read-only mode: this check writes")


# -- what the pull checks read ---------------------------------------------------


@dataclass
class ExpectedManifest:
    reference: str  # digest
    media_type: str | None
    body: bytes | None  # None when only the digest is known (read-only mode)


@dataclass
class PullSubject:
    """A manifest tree and its blobs known to be in the registry (pushed, or preloaded in read-only mode)."""

    label: str
    repo: str
    tag: str | None
    top: ExpectedManifest
    manifests: list[ExpectedManifest]
    blobs: list[tuple[str, bytes | None]]  # (digest, data or None when unknown)


@dataclass
class BlobSubject:
    label: str
    repo: str
    digest: str
    data: bytes | None


def _read_only_subject(client: RegistryClient, run: Run) -> PullSubject:
    s = run.settings
    assert s.ro_repo is not None
    reference = s.ro_tag or s.ro_manifest_digest
    assert reference is not None
    response = client.get_manifest(s.ro_repo, reference)
    if response.status_code != 200:
        pytest.fail(
            f"read-only mode: GET /v2/{s.ro_repo}/manifests/{reference} answered {response.status_code}; "
            "the preloaded content named by --ro-repo/--ro-tag must be pullable"
        )
    body = response.content
    try:
        doc = json.loads(body)
    except ValueError:
        doc = {}
    digest = s.ro_manifest_digest or response.headers.get("Docker-Content-Digest") or digest_of(body)
    media_type = doc.get("mediaType") or response.headers.get("Content-Type")
    # Trust the body only when it is verifiably the named digest.
    known_body = body if digest_of(body, digest.partition(":")[0]) == digest else None
    top = ExpectedManifest(digest, media_type, known_body)
    blob_digest = s.ro_blob_digest or (doc.get("config") or {}).get("digest")
    blobs = [(blob_digest, None)] if blob_digest and is_valid_digest(blob_digest) else []
    return PullSubject(READ_ONLY, s.ro_repo, s.ro_tag, top, [top], blobs)


def _pushed_subject(store: ContentStore, name: str) -> PullSubject:
    push = store.dataset(name)
    if not push.pushed:
        pytest.skip(f"data set {name!r} could not be pushed ({push.failure}); see push.manifest-put[{name}]")
    ds = push.dataset
    manifests = [ExpectedManifest(m.digest, m.media_type, m.body) for m in ds.manifests()]
    top = manifests[-1]
    return PullSubject(name, push.repo, ds.tag, top, manifests, [(b.digest, b.data) for b in ds.blobs()])


@pytest.fixture
def pull_subject(request: pytest.FixtureRequest, regsuite_run: Run, content_store: ContentStore, registry: RegistryClient) -> PullSubject:
    name = request.param
    if name == READ_ONLY:
        subject = _read_only_subject(registry, regsuite_run)
    else:
        subject = _pushed_subject(content_store, name)
    registry.transcript.clear()  # the check's transcript shows the check's own requests
    return subject


@pytest.fixture
def blob_subject(request: pytest.FixtureRequest, regsuite_run: Run, content_store: ContentStore, registry: RegistryClient) -> BlobSubject:
    case_id = request.param
    if case_id == READ_ONLY:
        subject = _read_only_subject(registry, regsuite_run)
        if not subject.blobs:
            pytest.skip("read-only mode: no blob to read (give --ro-blob-digest, or a tag of an image manifest)")
        digest, data = subject.blobs[0]
        result = BlobSubject(READ_ONLY, subject.repo, digest, data)
    else:
        record = content_store.upload(case_id)
        if not record.stored:
            pytest.skip(f"blob {case_id!r} could not be pushed ({record.violation}); see {record.case.check}[{record.case.param}]")
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
        wanted = getattr(metafunc.function, "blob_cases", None)
        ids = [READ_ONLY] if read_only else (wanted or [c for c in UPLOAD_CASES if c != "range"])
        metafunc.parametrize("blob_subject", ids, indirect=True, ids=ids)
