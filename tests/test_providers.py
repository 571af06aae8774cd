"""Target providers: each starts a real registry, stops it, and leaves nothing behind.

"Nothing behind" is checked from outside: no registry process (psutil), no
container (the Docker engine), no temporary directory, also when the code
using the provider fails, is interrupted (Ctrl-C) or is killed. (A closed
port proves nothing here: parallel tests may get the freed port at once.)
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from regsuite.client import RegistryClient
from regsuite.content import Blob, random_bytes
from regsuite.errors import ExitCode, NoEmbeddedRegistry, TargetStartError
from regsuite.htpasswd import write_htpasswd
from regsuite.providers import (
    ContainerProvider,
    EmbeddedProvider,
    ExternalProvider,
    HtpasswdAuth,
    ProcessProvider,
    RegistryConfig,
    base,
    docker_engine_available,
    embedded_provider,
    image_available,
    registry_binary,
)
from regsuite.providers.container import DEFAULT_IMAGE, LABEL_KIND, LABEL_OWNER, remove_orphans
from regsuite.providers.orphans import sweep_workdirs
from regsuite.providers.process import WORKDIR_PREFIX as PROCESS_WORKDIR_PREFIX
from regsuite.target import Target
from regsuite.tls import TLSMaterial

ENGINE = docker_engine_available()
IMAGE = ENGINE and image_available(DEFAULT_IMAGE)
CONTAINER_SKIP = (
    "no Docker engine answers (scripts/start-dockerd.sh)" if not ENGINE
    else f"the Docker engine has no {DEFAULT_IMAGE} image (scripts/build-registry-image.sh)"
)
needs_container = pytest.mark.skipif(not IMAGE, reason=CONTAINER_SKIP)
needs_binary = pytest.mark.skipif(registry_binary() is None, reason="no docker-registry binary on PATH")

PROVIDERS: dict[str, type[ProcessProvider] | type[ContainerProvider]] = {
    "process": ProcessProvider, "container": ContainerProvider,
}
KINDS = [
    pytest.param("process", marks=needs_binary),
    pytest.param("container", marks=needs_container),
]
GONE_TIMEOUT = 10.0  # seconds a stopped registry may take to disappear


# -- what is left behind -------------------------------------------------------


def _container_exists(container_id: str) -> bool:
    import docker

    client = docker.from_env(timeout=30)
    try:
        client.containers.get(container_id)
        return True
    except docker.errors.NotFound:
        return False
    finally:
        client.close()


def _process_exists(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _eventually(condition: Callable[[], bool], timeout: float = GONE_TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def assert_nothing_left(kind: str, ident: str | int, workdir: str | None) -> None:
    if kind == "process":
        assert _eventually(lambda: not _process_exists(int(ident))), f"registry process {ident} still runs"
    else:
        assert _eventually(lambda: not _container_exists(str(ident))), f"container {ident} still exists"
    if workdir:
        assert not Path(workdir).exists(), f"temporary directory {workdir} was left behind"


def ident_of(provider: EmbeddedProvider) -> str | int:
    if isinstance(provider, ProcessProvider):
        assert provider.pid is not None
        return provider.pid
    assert isinstance(provider, ContainerProvider) and provider.container_id
    return provider.container_id


@pytest.fixture
def tls(tmp_path: Path) -> TLSMaterial:
    return TLSMaterial(tmp_path / "tls")


# -- start and stop --------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_starts_and_stops_cleanly(kind: str) -> None:
    provider = PROVIDERS[kind]()
    with provider as target:
        ident, workdir = ident_of(provider), str(provider.workdir)
        assert target.url.startswith("http://127.0.0.1:")
        response = httpx.get(f"{target.url}/v2/", timeout=5)
        assert response.status_code == 200
        assert response.headers["docker-distribution-api-version"] == "registry/2.0"
        assert target.capabilities.delete_enabled is True and target.capabilities.auth == "none"
        assert kind in target.description
    assert provider.target is None
    assert_nothing_left(kind, ident, workdir)
    provider.stop()  # a second stop is harmless


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_stops_when_the_body_raises(kind: str, error: type[BaseException]) -> None:
    provider = PROVIDERS[kind]()
    with pytest.raises(error):
        with provider:
            ident, workdir = ident_of(provider), str(provider.workdir)
            raise error("the code using the registry failed")
    assert_nothing_left(kind, ident, workdir)


@pytest.mark.parametrize("kind", KINDS)
def test_interrupted_start_leaves_nothing(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C while waiting for readiness: the half-started registry is removed by `start` itself."""
    seen: dict[str, object] = {}
    provider = PROVIDERS[kind]()

    def interrupted(url: str, **_: object) -> bool:
        seen.update(url=url, ident=ident_of(provider), workdir=str(provider.workdir))
        raise KeyboardInterrupt

    monkeypatch.setattr(base, "wait_ready", interrupted)
    with pytest.raises(KeyboardInterrupt):
        provider.start()
    assert seen, "the provider never waited for readiness"
    assert_nothing_left(kind, seen["ident"], str(seen["workdir"]))  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", KINDS)
def test_start_twice_is_refused_and_keeps_the_running_registry(kind: str) -> None:
    provider = PROVIDERS[kind]()
    with provider as target:
        with pytest.raises(RuntimeError, match="already running"):
            provider.start()
        assert httpx.get(f"{target.url}/v2/", timeout=5).status_code == 200


def test_external_provider_hands_back_the_target_and_stops_nothing(shared_distribution: Target) -> None:
    given = Target(shared_distribution.url + "/", username="someone", password="pw-not-used")
    with ExternalProvider(given) as target:
        assert target is given and target.url == shared_distribution.url
    assert httpx.get(f"{shared_distribution.url}/v2/", timeout=5).status_code == 200


# -- a failing or killed test run leaves nothing ------------------------------------

RUN_FILE = textwrap.dedent(
    """
    import json, os, threading, time
    from pathlib import Path

    import httpx
    import pytest

    from regsuite.providers import ContainerProvider, ProcessProvider

    OUT = Path(os.environ["PROVIDER_OUT"])

    @pytest.fixture
    def target():
        kind = os.environ["PROVIDER_KIND"]
        provider = {"process": ProcessProvider, "container": ContainerProvider}[kind]()
        with provider as target:
            ident = provider.pid if kind == "process" else provider.container_id
            OUT.write_text(json.dumps({"url": target.url, "ident": ident, "workdir": str(provider.workdir)}))
            yield target

    def test_fails(target):
        assert httpx.get(target.url + "/v2/", timeout=5).status_code == 200
        assert False, "this test fails on purpose"

    def test_waits(target):
        OUT.with_suffix(".ready").touch()
        time.sleep(60)

    def test_waits_with_a_registry_started_in_a_thread():
        # No parent-death signal from a thread: only the next start's sweep can end this registry.
        provider = ProcessProvider()
        starter = threading.Thread(target=provider.start)
        starter.start()
        starter.join(30)
        OUT.write_text(json.dumps({"url": provider.target.url, "ident": provider.pid,
                                   "workdir": str(provider.workdir)}))
        OUT.with_suffix(".ready").touch()
        time.sleep(60)
    """
)


def _run_file(tmp_path: Path, kind: str, test: str) -> tuple[subprocess.Popen[str], Path]:
    test_file = tmp_path / "test_uses_provider.py"
    test_file.write_text(RUN_FILE)
    out = tmp_path / "provider.json"
    env = {**os.environ, "PROVIDER_KIND": kind, "PROVIDER_OUT": str(out)}
    env = {k: v for k, v in env.items() if not k.startswith("PYTEST_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "--rootdir", str(tmp_path),
         f"{test_file}::{test}"],
        cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    return proc, out


def _wait_for(path: Path, proc: subprocess.Popen[str], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the inner test run never got its registry:\n{proc.communicate(timeout=10)[0][-3000:]}")
        time.sleep(0.05)


@pytest.mark.parametrize("kind", KINDS)
def test_a_failing_test_leaves_nothing(kind: str, tmp_path: Path) -> None:
    proc, out = _run_file(tmp_path, kind, "test_fails")
    output = proc.communicate(timeout=120)[0]
    assert proc.returncode == 1, output[-3000:]
    assert "this test fails on purpose" in output
    seen = json.loads(out.read_text())
    assert_nothing_left(kind, seen["ident"], seen["workdir"])


@pytest.mark.parametrize("kind", KINDS)
def test_ctrl_c_leaves_nothing(kind: str, tmp_path: Path) -> None:
    proc, out = _run_file(tmp_path, kind, "test_waits")
    try:
        _wait_for(out.with_suffix(".ready"), proc)
        proc.send_signal(signal.SIGINT)
        output = proc.communicate(timeout=60)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert proc.returncode == ExitCode.INTERRUPTED, output[-3000:]
    seen = json.loads(out.read_text())
    assert_nothing_left(kind, seen["ident"], seen["workdir"])


def _killed_run(tmp_path: Path, kind: str, test: str = "test_waits") -> dict[str, Any]:
    """What an inner test run had started when it was SIGKILLed mid-test."""
    proc, out = _run_file(tmp_path, kind, test)
    try:
        _wait_for(out.with_suffix(".ready"), proc)
    finally:
        proc.kill()
        proc.communicate(timeout=30)
    return dict(json.loads(out.read_text()))


@needs_binary
def test_killed_runner_takes_its_registry_process_along(tmp_path: Path) -> None:
    """SIGKILL gives no chance to clean up: the kernel's parent-death signal stops the registry."""
    seen = _killed_run(tmp_path, "process")
    assert _eventually(lambda: not _process_exists(seen["ident"])), "the registry outlived its killed runner"
    with ProcessProvider():  # the next start (here, or a parallel one) sweeps the orphan's directory
        assert not Path(seen["workdir"]).exists(), "the killed run's directory survived the next start"


@needs_binary
def test_registry_of_a_killed_runner_thread_is_swept(tmp_path: Path) -> None:
    """Started from a thread there is no parent-death signal: the next start ends the orphaned registry."""
    seen = _killed_run(tmp_path, "process", "test_waits_with_a_registry_started_in_a_thread")
    sweep_workdirs(PROCESS_WORKDIR_PREFIX)
    assert _eventually(lambda: not _process_exists(seen["ident"])), "the sweep left the orphaned registry running"
    assert not Path(seen["workdir"]).exists()


@needs_container
def test_container_of_a_killed_runner_is_swept(tmp_path: Path) -> None:
    """SIGKILL leaves the container; the next start (remove_orphans) removes it, and only it."""
    with ContainerProvider() as live:
        orphan = _killed_run(tmp_path, "container")
        remove_orphans()  # a parallel start elsewhere may have swept it already: either way it must be gone
        assert _eventually(lambda: not _container_exists(orphan["ident"])), "the orphaned container survived"
        assert not Path(orphan["workdir"]).exists(), "the orphaned container's directory survived"
        assert httpx.get(f"{live.url}/v2/", timeout=5).status_code == 200, "a live run's container was swept"


@needs_container
def test_container_is_labelled_with_its_owner() -> None:
    import docker

    provider = ContainerProvider()
    with provider:
        client = docker.from_env(timeout=30)
        try:
            labels = client.containers.get(provider.container_id).labels
        finally:
            client.close()
    assert labels[LABEL_KIND] == "container"
    assert labels[LABEL_OWNER] == f"{socket.gethostname()}:{os.getpid()}"


# -- start failures say why and leave nothing ---------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_registry_that_cannot_start_shows_its_log(kind: str, tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        provider = PROVIDERS[kind](RegistryConfig(port=port), start_timeout=10)
        with pytest.raises(TargetStartError) as raised:
            provider.start()
    message = str(raised.value)
    assert "exited" in message and "address already in use" in message, message
    assert raised.value.exit_code == ExitCode.NO_EMBEDDED_REGISTRY
    assert provider.workdir is None and provider.target is None


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("taker", ["a-registry", "a-silent-socket"])
def test_a_port_taken_before_the_registry_binds_it(kind: str, taker: str, shared_distribution: Target,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The free port went to another process first; even if that one answers /v2/, the provider
    must not take it for its own registry: it starts again on a new port."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        taken = int(shared_distribution.url.rsplit(":", 1)[1]) if taker == "a-registry" else silent.getsockname()[1]
        module = sys.modules[PROVIDERS[kind].__module__]
        chosen = iter([taken])
        real_free_port = module.free_port
        monkeypatch.setattr(module, "free_port", lambda host="127.0.0.1": next(chosen, None) or real_free_port(host))
        provider = PROVIDERS[kind](start_timeout=10)
        with provider as target:
            port = int(target.url.rsplit(":", 1)[1])
            assert port != taken
            assert provider._owns_port(port) is True
            assert httpx.get(f"{target.url}/v2/", timeout=5).status_code == 200


def test_process_provider_without_binary_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGSUITE_REGISTRY_BINARY", "/nonexistent/docker-registry")
    assert registry_binary() is None
    with pytest.raises(NoEmbeddedRegistry, match="apt-get install docker-registry"):
        ProcessProvider().start()


def test_container_provider_without_engine_says_how_to_start_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(NoEmbeddedRegistry, match="start-dockerd.sh"):
        ContainerProvider().start()


@needs_container
def test_container_provider_without_image_says_how_to_build_it() -> None:
    with pytest.raises(NoEmbeddedRegistry, match="build-registry-image.sh"):
        ContainerProvider(image="regsuite-test/no-such-image:0").start()


# -- choosing the embedded default ----------------------------------------------------


@needs_container
def test_auto_picks_the_container_when_engine_and_image_are_there() -> None:
    assert isinstance(embedded_provider(), ContainerProvider)


@needs_binary
def test_auto_falls_back_to_the_process_without_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    assert isinstance(embedded_provider(), ProcessProvider)


@needs_binary
@pytest.mark.skipif(not ENGINE, reason=CONTAINER_SKIP)
def test_auto_falls_back_to_the_process_without_image() -> None:
    assert isinstance(embedded_provider(image="regsuite-test/no-such-image:0"), ProcessProvider)


def test_auto_with_neither_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    monkeypatch.setenv("REGSUITE_REGISTRY_BINARY", "/nonexistent/docker-registry")
    with pytest.raises(NoEmbeddedRegistry) as raised:
        embedded_provider()
    assert "no Docker engine answers" in str(raised.value) and "apt-get install docker-registry" in str(raised.value)


def test_explicit_kind_is_honoured() -> None:
    assert isinstance(embedded_provider(kind="process"), ProcessProvider)
    assert isinstance(embedded_provider(kind="container"), ContainerProvider)


# -- options ---------------------------------------------------------------------------


def _blob_delete_status(target: Target) -> int:
    blob = Blob(random_bytes("provider-delete", 128))
    with RegistryClient(target) as client:
        client.push_blob("regsuite/options/delete", blob)
        return client.delete_blob("regsuite/options/delete", blob.digest).status_code


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("delete", [True, False])
def test_delete_option(kind: str, delete: bool) -> None:
    with PROVIDERS[kind](RegistryConfig(delete_enabled=delete)) as target:
        assert target.capabilities.delete_enabled is delete
        assert _blob_delete_status(target) == (202 if delete else 405)


@pytest.mark.parametrize("kind", KINDS)
def test_basic_auth_and_tls_together(kind: str, tmp_path: Path, tls: TLSMaterial) -> None:
    """htpasswd (bcrypt) and a given certificate; the container sees both files at their own paths."""
    (tmp_path / "auth").mkdir()
    htpasswd = write_htpasswd(tmp_path / "auth" / "htpasswd", {"alice": "provider-test-pw"})
    config = RegistryConfig(auth=HtpasswdAuth(htpasswd), tls=tls.tls_files())
    with PROVIDERS[kind](config) as target:
        assert target.url.startswith("https://127.0.0.1:")
        assert target.capabilities.auth == "basic" and target.capabilities.tls
        trusted = Target(target.url, ca=tls.ca_path)
        anonymous = httpx.get(f"{target.url}/v2/", verify=trusted.verify(), timeout=5)
        assert anonymous.status_code == 401
        assert anonymous.headers["www-authenticate"] == 'Basic realm="regsuite"'
        good = httpx.get(f"{target.url}/v2/", verify=trusted.verify(), auth=("alice", "provider-test-pw"), timeout=5)
        assert good.status_code == 200
        bad = httpx.get(f"{target.url}/v2/", verify=trusted.verify(), auth=("alice", "wrong"), timeout=5)
        assert bad.status_code == 401
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(f"{target.url}/v2/", timeout=5)  # the system trust store does not know the test CA


@needs_binary
def test_mutual_tls_registry_is_detected_ready(tls: TLSMaterial) -> None:
    """A registry demanding client certificates refuses the readiness probe's handshake; that counts as up."""
    with ProcessProvider(RegistryConfig(tls=tls.tls_files(mtls=True)), start_timeout=10) as target:
        client_cert = tls.client()
        with_cert = Target(target.url, ca=tls.ca_path, client_cert=(client_cert.certificate, client_cert.key))
        assert httpx.get(f"{target.url}/v2/", verify=with_cert.verify(), timeout=5).status_code == 200


def _continue_upload_elsewhere(first: Target, second: Target) -> int:
    """Start an upload on one replica and finish it on the other: the upload state is signed with http.secret."""
    blob = Blob(random_bytes("provider-secret", 256))
    with RegistryClient(first) as a, RegistryClient(second) as b:
        started = a.start_upload("regsuite/options/secret")
        assert started.status_code == 202
        location = a.resolve(started).replace(first.url, second.url)
        finished = b.put_upload(location, blob.digest, blob.data)
        if finished.status_code == 201:
            assert a.head_blob("regsuite/options/secret", blob.digest).status_code == 200
        return finished.status_code


@needs_binary
def test_replicas_share_storage_and_secret(tmp_path: Path) -> None:
    storage = tmp_path / "shared-storage"
    config = RegistryConfig(storage_dir=storage, http_secret="shared-secret-for-replicas")
    with ProcessProvider(config) as a, ProcessProvider(config) as b:
        assert a.url != b.url
        assert _continue_upload_elsewhere(a, b) == 201
        assert any(storage.rglob("data")), "the registries did not write to the shared directory"


@needs_binary
def test_replicas_with_different_secrets_reject_each_others_uploads(tmp_path: Path) -> None:
    storage = tmp_path / "shared-storage"
    with ProcessProvider(RegistryConfig(storage_dir=storage, http_secret="secret-one")) as a, \
            ProcessProvider(RegistryConfig(storage_dir=storage, http_secret="secret-two")) as b:
        assert _continue_upload_elsewhere(a, b) in (400, 404)


@needs_binary
@needs_container
def test_process_and_container_replicas_on_one_directory(tmp_path: Path) -> None:
    storage = tmp_path / "shared-storage"
    config = RegistryConfig(storage_dir=storage, http_secret="shared-secret-for-replicas")
    with ProcessProvider(config) as a, ContainerProvider(config) as b:
        assert _continue_upload_elsewhere(a, b) == 201
    assert storage.is_dir(), "stopping a replica removed the shared storage"


@pytest.fixture(scope="module")
def timings() -> Iterator[dict[str, list[float]]]:
    recorded: dict[str, list[float]] = {}
    yield recorded
    for kind, values in recorded.items():
        starts, stops = values[0::2], values[1::2]
        print(f"\n{kind}: start {min(starts):.2f}-{max(starts):.2f}s, stop {min(stops):.2f}-{max(stops):.2f}s")


@pytest.mark.parametrize("kind", KINDS)
def test_start_and_stop_are_quick(kind: str, timings: dict[str, list[float]]) -> None:
    """Self-tests start many registries: a start over 5 s or a stop over 5 s is a regression."""
    for _ in range(3):
        begin = time.monotonic()
        provider = PROVIDERS[kind]()
        provider.start()
        started = time.monotonic()
        provider.stop()
        stopped = time.monotonic()
        timings.setdefault(kind, []).extend([started - begin, stopped - started])
    assert max(timings[kind][0::2]) < 5.0 and max(timings[kind][1::2]) < 5.0, timings[kind]
