"""scripts/start-dockerd.sh and scripts/build-registry-image.sh: idempotent, bounded, one line on failure.

start-dockerd.sh's decisions are exercised with stand-in `docker`/`dockerd`
programs on PATH (a second real engine cannot run beside the machine's);
the image build runs for real against the engine when one answers.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from regsuite.providers import ContainerProvider, RegistryConfig, docker_engine_available, registry_binary

ROOT = Path(__file__).resolve().parent.parent
START = ROOT / "scripts" / "start-dockerd.sh"
BUILD = ROOT / "scripts" / "build-registry-image.sh"
SYSTEM_PATH = "/usr/bin:/bin"  # coreutils, flock, setsid; not /usr/local/bin or /usr/sbin (the real docker)


def _stub(directory: Path, name: str, body: str) -> None:
    path = directory / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)


@pytest.fixture
def stubs(tmp_path: Path) -> Path:
    directory = tmp_path / "bin"
    directory.mkdir()
    return directory


def _start(stubs: Path, tmp_path: Path, timeout: int = 3) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {"PATH": f"{stubs}:{SYSTEM_PATH}", "DOCKERD_LOG": str(tmp_path / "dockerd.log"),
           "DOCKERD_TIMEOUT": str(timeout), "DOCKERD_PIDFILE": str(tmp_path / "docker.pid"),
           "DOCKERD_LOCK": str(tmp_path / "lock"), "MARK": str(tmp_path)}
    begin = time.monotonic()
    done = subprocess.run(["bash", str(START)], env=env, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    return done, time.monotonic() - begin


needs_root = pytest.mark.skipif(os.getuid() != 0, reason="dockerd is started as root")


def test_nothing_to_do_when_an_engine_answers(stubs: Path, tmp_path: Path) -> None:
    _stub(stubs, "docker", "exit 0\n")
    _stub(stubs, "dockerd", 'touch "$MARK/launched"\n')
    done, elapsed = _start(stubs, tmp_path)
    assert done.returncode == 0 and done.stderr == ""
    assert not (tmp_path / "launched").exists() and elapsed < 5


@needs_root
def test_starts_dockerd_and_waits_for_it(stubs: Path, tmp_path: Path) -> None:
    _stub(stubs, "docker", '[ -e "$MARK/up" ]\n')  # answers once the engine is up
    _stub(stubs, "dockerd", STAND_IN_DOCKERD + 'echo "args: $*"\nsleep 1\ntouch "$MARK/up"\nexec sleep 30\n')
    try:
        done, elapsed = _start(stubs, tmp_path, timeout=20)
        assert done.returncode == 0, done.stderr
        log = (tmp_path / "dockerd.log").read_text()
        assert "--bridge=none --iptables=false --ip6tables=false" in log
        assert elapsed < 15
    finally:
        _stop_stand_in(tmp_path)


# The stand-in records its pid (kept by `exec sleep`), so the test ends exactly the process it caused.
STAND_IN_DOCKERD = 'echo $$ > "$MARK/dockerd.pid"\n'


def _stop_stand_in(tmp_path: Path) -> None:
    pid_file = tmp_path / "dockerd.pid"
    if pid_file.exists():
        try:
            os.kill(int(pid_file.read_text()), signal.SIGKILL)
        except ProcessLookupError:
            pass


@needs_root
def test_a_dockerd_that_dies_is_one_line(stubs: Path, tmp_path: Path) -> None:
    _stub(stubs, "docker", "exit 1\n")
    _stub(stubs, "dockerd", 'echo "failed to start daemon: no kernel support"\nexit 1\n')
    done, elapsed = _start(stubs, tmp_path, timeout=20)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "dockerd exited at once" in lines[0] and "no kernel support" in lines[0]
    assert elapsed < 10, "an engine that died was waited for until the timeout"


@needs_root
def test_an_engine_that_never_answers_times_out(stubs: Path, tmp_path: Path) -> None:
    _stub(stubs, "docker", "exit 1\n")
    _stub(stubs, "dockerd", STAND_IN_DOCKERD + "exec sleep 30\n")
    try:
        done, elapsed = _start(stubs, tmp_path, timeout=2)
        assert done.returncode != 0
        assert done.stderr.strip().splitlines() == [done.stderr.strip()]
        assert "did not answer within 2s" in done.stderr
        assert elapsed < 10
    finally:
        _stop_stand_in(tmp_path)


def test_no_dockerd_installed(stubs: Path, tmp_path: Path) -> None:
    _stub(stubs, "docker", "exit 1\n")
    done, _ = _start(stubs, tmp_path)
    assert done.returncode != 0 and done.stderr.strip() == (
        "start-dockerd: dockerd is not installed (apt-get install -y docker.io)"
    )


@pytest.mark.skipif(not docker_engine_available() or registry_binary() is None or shutil.which("docker") is None,
                    reason="needs a Docker engine, the docker CLI and the docker-registry binary")
def test_build_registry_image(tmp_path: Path) -> None:
    """A fresh build under a test tag runs as a registry; the second call is a quick no-op."""
    import docker

    image = f"regsuite-selftest/registry:{os.getpid()}"
    client = docker.from_env(timeout=60)
    try:
        built = subprocess.run(["bash", str(BUILD), image], capture_output=True, text=True, timeout=300)
        assert built.returncode == 0, built.stderr
        first_id = client.images.get(image).id
        begin = time.monotonic()
        again = subprocess.run(["bash", str(BUILD), image], capture_output=True, text=True, timeout=60)
        assert again.returncode == 0 and again.stdout == "" and time.monotonic() - begin < 5
        assert client.images.get(image).id == first_id
        config = client.images.get(image).attrs["Config"]
        assert config["Entrypoint"] == ["/usr/bin/docker-registry"]
        assert config["Cmd"] == ["serve", "/etc/docker/registry/config.yml"]
        with ContainerProvider(RegistryConfig(), image=image) as target:
            import httpx

            assert httpx.get(f"{target.url}/v2/", timeout=5).status_code == 200
    finally:
        try:
            client.images.remove(image, force=True)
        except docker.errors.ImageNotFound:
            pass
        client.close()
