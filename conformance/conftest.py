"""Session content for the conformance checks: data sets and blobs, pushed once, read by many checks.

At session start the store looks at the selected checks, and pushes the data
sets and blobs they need concurrently (a few threads, each with its own
client and transcript), then reads every object of each data set once with
HEAD and GET. Checks judge those records; anything not prefetched is pushed
on first use. A record keeps its exchanges, so a failing check shows them in
its transcript even though another thread made them.

In read-only mode nothing is pushed: the pull checks are parametrised with
the single case "read-only", built from --ro-repo/--ro-tag/--ro-manifest-digest/
--ro-blob-digest with GET and HEAD requests only.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

import httpx
import pytest

from conformance.judge import Violation
from conformance.uploads import UPLOAD_CASES, UploadCase
from fixtures.target import Run, settings_of
from regsuite import datasets
from regsuite.client import RegistryClient
from regsuite.content import Manifest
from regsuite.datasets import DatasetPush
from regsuite.digest import algorithm_of, digest_of, is_valid_digest
from regsuite.transcript import Exchange, Transcript

READ_ONLY = "read-only"
PREFETCH_THREADS = 6
# (data set, blob push method): every data set once with POST+PUT, the common images with every method.
PUSH_MATRIX: list[tuple[str, str]] = [(name, "post-put") for name in datasets.DATASET_NAMES] + [
    (name, method) for name in ("image", "docker-schema2") for method in ("post-digest", "chunked", "stream")
]
T = TypeVar("T")


def matrix_id(name: str, method: str) -> str:
    return name if method == "post-put" else f"{name}-{method}"


# -- what the checks read ---------------------------------------------------------


@dataclass
class UploadRecord:
    case: UploadCase
    repo: str
    response: httpx.Response | None = None  # the final (201) response
    violation: Violation | None = None
    stored_anyway: bool = False  # a protocol deviation that still stored the blob

    @property
    def stored(self) -> bool:
        return self.stored_anyway or (self.response is not None and self.response.status_code == 201)


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

    def references(self) -> list[tuple[str, str, str]]:
        """(kind, reference, digest) of every object: the top manifest by tag, every manifest and blob by digest."""
        refs = [("manifests", self.tag, self.top.reference)] if self.tag else []
        refs += [("manifests", m.reference, m.reference) for m in self.manifests]
        return refs + [("blobs", digest, digest) for digest, _ in self.blobs]


@dataclass
class Observation:
    """HEAD and GET of one object, as the registry answered them."""

    kind: str  # manifests | blobs
    reference: str  # tag or digest asked for
    digest: str  # what the content's digest is
    head: httpx.Response
    get: httpx.Response


@dataclass
class BlobSubject:
    label: str
    repo: str
    digest: str
    data: bytes | None


@dataclass
class _Entry:
    value: object
    exchanges: list[Exchange] = field(default_factory=list)


class ContentStore:
    """Data sets, uploaded blobs and observations of this session, each made once."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self._entries: dict[tuple[str, ...], _Entry] = {}
        self._lock = threading.Lock()
        self._local = threading.local()
        self._thread_clients: list[RegistryClient] = []

    def repo(self, name: str) -> str:
        return self.run.namespace.repo(name)

    # -- one client per thread: transcripts do not interleave

    def _client(self) -> RegistryClient:
        if threading.current_thread() is threading.main_thread():
            return self.run.client
        client = getattr(self._local, "client", None)
        if client is None:
            client = RegistryClient(
                self.run.target,
                transcript=Transcript(),
                guard=self.run.guard,
                write_log=self.run.write_log,
                timeout=httpx.Timeout(self.run.settings.timeout, connect=min(self.run.settings.timeout, 5.0)),
            )
            self._local.client = client
            with self._lock:
                self._thread_clients.append(client)
        return client  # type: ignore[no-any-return]

    def _once(self, key: tuple[str, ...], make: Callable[[RegistryClient], T]) -> T:
        entry = self._entries.get(key)
        if entry is None:
            client = self._client()
            if client is not self.run.client:
                client.transcript.clear()  # a prefetch thread's own transcript: keep it to this record
            before = len(client.transcript.exchanges)
            value = make(client)
            entry = _Entry(value, list(client.transcript.exchanges[before:]))
            with self._lock:
                entry = self._entries.setdefault(key, entry)
        return entry.value  # type: ignore[return-value]

    def exchanges(self, *key: str) -> list[Exchange]:
        entry = self._entries.get(key)
        return entry.exchanges if entry else []

    # -- the content

    def dataset(self, name: str, method: str = "post-put") -> DatasetPush:
        repo = self.repo("datasets" if method == "post-put" else f"datasets-{method}")
        return self._once(
            ("dataset", name, method), lambda c: datasets.push_dataset(c, repo, datasets.build(name), method)
        )

    def upload(self, case_id: str) -> UploadRecord:
        def make(client: RegistryClient) -> UploadRecord:
            case = UPLOAD_CASES[case_id]
            record = UploadRecord(case, self.repo("uploads"))
            try:
                record.response = case.push(client, record.repo, case.blob)
            except AssertionError as violation:  # a Violation, or StepFailed of a helper push (a mount's source)
                record.violation = violation if isinstance(violation, Violation) else Violation(str(violation))
                record.stored_anyway = client.head_blob(record.repo, case.blob.digest).status_code == 200
            return record

        return self._once(("upload", case_id), make)

    def observe(self, subject: PullSubject) -> list[Observation]:
        def make(client: RegistryClient) -> list[Observation]:
            observed = []
            for kind, reference, digest in subject.references():
                if kind == "manifests":
                    head, get = (
                        client.head_manifest(subject.repo, reference),
                        client.get_manifest(subject.repo, reference),
                    )
                else:
                    # A registry may redirect blob reads to storage (both HEAD and GET): follow like a client.
                    head = client.head_blob(subject.repo, reference, follow_redirects=True)
                    get = client.get_blob(subject.repo, reference)
                observed.append(Observation(kind, reference, digest, head, get))
            return observed

        return self._once(("observe", subject.label), make)

    def read_only_subject(self) -> PullSubject:
        return self._once(("read-only",), lambda c: _read_only_subject(c, self.run))

    def pushed_subject(self, name: str) -> PullSubject | str:
        """The pushed data set as pull checks see it, or why there is none."""
        push = self.dataset(name)
        if not push.pushed:
            return f"data set {name!r} could not be pushed ({push.failure}); see push.manifest-put[{name}]"
        return _subject_of(push)

    # -- concurrency

    def prefetch(self, datasets_needed: set[tuple[str, str]], uploads: set[str], observed: set[str]) -> None:
        """Push (and observe) everything the selected checks need, a few requests at a time."""
        with ThreadPoolExecutor(PREFETCH_THREADS, thread_name_prefix="regsuite-prefetch") as pool:
            futures: list[Future[object]] = [pool.submit(self.upload, case_id) for case_id in sorted(uploads)]
            for name, method in sorted(datasets_needed):
                if name in observed and method == "post-put":
                    futures.append(pool.submit(self._push_and_observe, name))
                else:
                    futures.append(pool.submit(self.dataset, name, method))
        for future in futures:
            # A network error is not cached: the check needing that content retries and gets its own verdict.
            future.exception()
        for client in self._thread_clients:
            client.close()
        self._thread_clients.clear()

    def _push_and_observe(self, name: str) -> None:
        subject = self.pushed_subject(name)
        if isinstance(subject, PullSubject):
            self.observe(subject)


def _subject_of(push: DatasetPush) -> PullSubject:
    ds = push.dataset
    manifests = [ExpectedManifest(m.digest, m.media_type, m.body) for m in ds.manifests()]
    return PullSubject(ds.name, push.repo, ds.tag, manifests[-1], manifests, [(b.digest, b.data) for b in ds.blobs()])


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
    known_body = body if digest_of(body, algorithm_of(digest)) == digest else None
    top = ExpectedManifest(digest, media_type, known_body)
    blob_digest = s.ro_blob_digest or (doc.get("config") or {}).get("digest")
    blobs: list[tuple[str, bytes | None]] = []
    if isinstance(blob_digest, str) and is_valid_digest(blob_digest):
        blobs.append((blob_digest, None))
    return PullSubject(READ_ONLY, s.ro_repo, s.ro_tag, top, [top], blobs)


def show_exchanges(transcript: Transcript, exchanges: list[Exchange]) -> None:
    """Put a record's exchanges into the current check's transcript (when they were made elsewhere)."""
    present = {id(e) for e in transcript.exchanges}
    transcript.exchanges[:0] = [e for e in exchanges if id(e) not in present]


# -- fixtures -------------------------------------------------------------------


def _needs(items: list[pytest.Item]) -> tuple[set[tuple[str, str]], set[str], set[str]]:
    """The data sets, uploads and observations the selected checks will ask for."""
    needed: set[tuple[str, str]] = set()
    uploads: set[str] = set()
    observed: set[str] = set()
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        names = getattr(item, "fixturenames", ())
        if "dataset" in params and "method" in params:
            needed.add((params["dataset"], params["method"]))
        if params.get("pull_subject", READ_ONLY) != READ_ONLY:
            needed.add((params["pull_subject"], "post-put"))
            observed.add(params["pull_subject"])
        for key in ("case_id", "blob_subject"):
            if params.get(key, READ_ONLY) in UPLOAD_CASES:
                uploads.add(params[key])
        if "range_blob" in names:
            uploads.add("range")
        if "stored_image" in names or "pull_repo" in names:
            needed.add(("image", "post-put"))
    return needed, uploads, observed


@pytest.fixture(scope="session")
def content_store(regsuite_run: Run, request: pytest.FixtureRequest) -> Iterator[ContentStore]:
    store = ContentStore(regsuite_run)
    # Under xdist every worker collects every check but runs a share: there, push on first use only.
    if not regsuite_run.settings.read_only and not os.environ.get("PYTEST_XDIST_WORKER"):
        store.prefetch(*_needs(request.session.items))
    yield store


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
def pull_repo(regsuite_run: Run, content_store: ContentStore, registry: RegistryClient) -> str:
    """A repository that exists: the preloaded one, or the data set repository."""
    if regsuite_run.settings.read_only:
        assert regsuite_run.settings.ro_repo
        return regsuite_run.settings.ro_repo
    repo = content_store.dataset("image").repo
    registry.transcript.clear()
    return repo


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
