"""The distribution registry as a container (testcontainers, host networking)."""

from __future__ import annotations

import os
import secrets
from typing import Any

from ..errors import NoEmbeddedRegistry, TargetStartError
from ..target import Target
from .base import EmbeddedProvider
from .config import RegistryConfig, free_port, write_config
from .orphans import make_workdir, orphaned, owner_tag, sweep_workdirs
from .readiness import listens_on

DEFAULT_IMAGE = "registry:2"
ENGINE_TIMEOUT = 30  # seconds for any one call to the Docker engine

# Ryuk, testcontainers' reaper, is an image that cannot be pulled on closed
# networks; we remove our containers ourselves and sweep orphans (below).
os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")

# Labels on every container we start, so containers of a run that was killed
# (SIGKILL, a crashed runner) are found and removed by the next start.
LABEL_KIND = "org.regsuite.provider"
LABEL_OWNER = "org.regsuite.owner"  # "<hostname>:<pid>" of the process that started it
WORKDIR_PREFIX = "regsuite-container-"


def _docker_client(timeout: float) -> Any:
    import docker

    return docker.from_env(timeout=timeout)


def docker_engine_available(timeout: float = 2.0) -> bool:
    """True when a Docker engine answers a ping (through DOCKER_HOST or the default socket)."""
    try:
        client = _docker_client(timeout)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # noqa: BLE001 - any failure means "no engine we can use"
        return False


def image_available(image: str) -> bool:
    try:
        client = _docker_client(5)
        try:
            client.images.get(image)
            return True
        finally:
            client.close()
    except Exception:  # noqa: BLE001
        return False


def remove_orphans() -> list[str]:
    """Remove regsuite registry containers (and their directories) whose starting process is gone; their ids."""
    removed: list[str] = []
    try:
        client = _docker_client(ENGINE_TIMEOUT)
    except Exception:  # noqa: BLE001 - no engine, nothing to sweep
        return removed
    try:
        for container in client.containers.list(all=True, filters={"label": LABEL_KIND}):
            if orphaned(container.labels.get(LABEL_OWNER)):
                try:
                    container.remove(force=True, v=True)
                    removed.append(container.id)
                except Exception:  # noqa: BLE001 - another sweeper got it first
                    pass
    except Exception:  # noqa: BLE001 - the sweep is a courtesy; the start decides
        pass
    finally:
        client.close()
    sweep_workdirs(WORKDIR_PREFIX)
    return removed


class ContainerProvider(EmbeddedProvider):
    """Runs a registry image with host networking on a free loopback port.

    Config and storage live in a temporary directory bind-mounted at the same
    path inside the container, and the files the config names (htpasswd,
    certificates) are mounted read-only at their own paths, so the rendered
    config's paths hold on both sides. The container runs as the calling user,
    so everything it writes can be removed afterwards.
    """

    kind = "container"

    def __init__(
        self, config: RegistryConfig | None = None, *, image: str = DEFAULT_IMAGE, start_timeout: float = 30.0
    ) -> None:
        super().__init__(config, start_timeout)
        self.image = image
        self.container: Any = None  # testcontainers DockerContainer
        self._log_text = ""

    def _start(self) -> Target:
        from testcontainers.core.config import testcontainers_config
        from testcontainers.core.container import DockerContainer

        if not docker_engine_available():
            raise NoEmbeddedRegistry(
                "no Docker engine answers (DOCKER_HOST or /var/run/docker.sock): start one with "
                "scripts/start-dockerd.sh, or use --registry-provider process"
            )
        if not image_available(self.image):
            raise NoEmbeddedRegistry(
                f"the image {self.image} is not in the Docker engine: build it with "
                "scripts/build-registry-image.sh (nothing can be pulled here)"
            )
        if not testcontainers_config.ryuk_disabled and not image_available(testcontainers_config.ryuk_image):
            testcontainers_config.ryuk_disabled = True  # the reaper cannot run; we clean up ourselves
        remove_orphans()
        self.workdir = make_workdir(WORKDIR_PREFIX)
        storage = self.config.storage_dir or (self.workdir / "storage")
        storage.mkdir(parents=True, exist_ok=True)
        port = self.config.port or free_port(self.config.host)
        config_path = self.workdir / "config.yml"
        write_config(self.config.render(port, storage), config_path)
        mounts = {str(self.workdir): "rw", str(storage): "rw"}
        for file in self.config.files():
            mounts.setdefault(str(file.resolve()), "ro")
            mounts.setdefault(str(file), "ro")
        kwargs: dict[str, Any] = {
            "network_mode": "host",
            "network": None,  # stops testcontainers from guessing a network to join
            "labels": {LABEL_KIND: self.kind, LABEL_OWNER: owner_tag()},
        }
        if os.getuid() != 0:
            kwargs["user"] = f"{os.getuid()}:{os.getgid()}"
        container = DockerContainer(self.image).with_kwargs(**kwargs)
        container = container.with_name(f"regsuite-registry-{port}-{secrets.token_hex(3)}")
        for path, mode in mounts.items():
            container = container.with_volume_mapping(path, path, mode)
        self.container = container.with_command(["serve", str(config_path)])
        try:
            self.container.start()
        except Exception as exc:  # noqa: BLE001 - the engine's words are the diagnosis
            raise TargetStartError(f"the registry container did not start: {_one_line(exc)}") from None
        return self._ready_target(port, f"distribution ({self.image}) as a container")

    def _alive(self) -> bool:
        try:
            wrapped = self.container.get_wrapped_container()
            wrapped.reload()
            return wrapped.status in ("created", "running")
        except Exception:  # noqa: BLE001
            return False

    def _owns_port(self, port: int) -> bool | None:
        """Host networking: the container's main process listens in our namespace, under its host pid."""
        try:
            wrapped = self.container.get_wrapped_container()
            wrapped.reload()
            pid = int(wrapped.attrs["State"]["Pid"])
        except Exception:  # noqa: BLE001 - the engine cannot tell us
            return None
        return listens_on(pid, port) if pid > 0 else False

    def log(self) -> str:
        if self.container is not None:
            try:
                out, err = self.container.get_logs()
                self._log_text = (out + err).decode(errors="replace")
            except Exception:  # noqa: BLE001 - keep the last log we saw
                pass
        return self._log_text

    @property
    def container_id(self) -> str | None:
        try:
            return str(self.container.get_wrapped_container().id)
        except Exception:  # noqa: BLE001
            return None

    def _stop(self) -> None:
        container, self.container = self.container, None
        if container is not None:
            _remove(container)


def _remove(container: Any) -> None:
    """Force-remove the container; a second try through a fresh client if the first call failed."""
    wrapped = getattr(container, "_container", None)
    try:
        container.stop()  # testcontainers: remove(force=True, v=True), then closes its client
        return
    except Exception:  # noqa: BLE001 - retried below
        pass
    if wrapped is None:
        return
    import docker

    client = _docker_client(ENGINE_TIMEOUT)
    try:
        client.containers.get(wrapped.id).remove(force=True, v=True)
    except docker.errors.NotFound:
        pass
    finally:
        client.close()


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]
