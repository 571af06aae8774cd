"""The distribution registry as a container (testcontainers, host networking)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from ..errors import NoEmbeddedRegistry, TargetStartError
from ..target import Target
from .config import RegistryConfig, free_port, url_for, write_config
from .readiness import wait_ready

DEFAULT_IMAGE = "registry:2"

# The reaper image cannot be pulled on closed networks; we remove containers ourselves.
os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")


def docker_engine_available(timeout: float = 2.0) -> bool:
    """True when a Docker engine answers a ping (through DOCKER_HOST or the default socket)."""
    try:
        import docker

        client = docker.from_env(timeout=timeout)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # noqa: BLE001 - any failure means "no engine we can use"
        return False


def image_available(image: str) -> bool:
    try:
        import docker

        client = docker.from_env(timeout=5)
        try:
            client.images.get(image)
            return True
        finally:
            client.close()
    except Exception:  # noqa: BLE001
        return False


class ContainerProvider:
    """Runs a registry image with host networking on a free loopback port.

    Config, certificates and storage live in a temporary directory bind-mounted
    at the same path inside the container, so the rendered config's paths hold
    on both sides.
    """

    kind = "container"

    def __init__(self, config: RegistryConfig | None = None, *, image: str = DEFAULT_IMAGE, start_timeout: float = 30.0) -> None:
        self.config = config or RegistryConfig()
        self.image = image
        self.start_timeout = start_timeout
        self.container = None
        self.workdir: Path | None = None
        self.target: Target | None = None

    def start(self) -> Target:
        from testcontainers.core.container import DockerContainer

        if not docker_engine_available():
            raise NoEmbeddedRegistry("no Docker engine answers: start dockerd or use the process provider")
        if not image_available(self.image):
            raise NoEmbeddedRegistry(
                f"the image {self.image} is not present in the Docker engine: build it with "
                "scripts/build-registry-image.sh (nothing can be pulled here)"
            )
        self.workdir = Path(tempfile.mkdtemp(prefix="regsuite-container-"))
        storage = self.config.storage_dir or (self.workdir / "storage")
        storage.mkdir(parents=True, exist_ok=True)
        port = self.config.port or free_port(self.config.host)
        config_path = self.workdir / "config.yml"
        write_config(self.config.render(port, storage), config_path)
        container = DockerContainer(self.image).with_kwargs(network_mode="host")
        mounts = {self.workdir, storage, *(p.parent for p in self.config.files())}
        for path in mounts:
            container = container.with_volume_mapping(str(path), str(path), "rw")
        container = container.with_command(["serve", str(config_path)])
        self.container = container
        try:
            container.start()
        except Exception as exc:  # noqa: BLE001
            self.stop()
            raise TargetStartError(f"the registry container did not start: {exc}") from None
        url = url_for(self.config, port)
        if not wait_ready(url, timeout=self.start_timeout, alive=self._alive):
            log = self.log()
            self.stop()
            raise TargetStartError(f"the registry container did not answer on {url}; its log:\n{log[-4000:]}")
        self.target = Target(url, capabilities=self.config.capabilities(), description=f"distribution ({self.image}) as a container")
        return self.target

    def _alive(self) -> bool:
        try:
            wrapped = self.container.get_wrapped_container()  # type: ignore[union-attr]
            wrapped.reload()
            return wrapped.status in ("created", "running")
        except Exception:  # noqa: BLE001
            return False

    def log(self) -> str:
        try:
            out, err = self.container.get_logs()  # type: ignore[union-attr]
            return (out + err).decode(errors="replace")
        except Exception:  # noqa: BLE001
            return ""

    @property
    def container_id(self) -> str | None:
        try:
            return self.container.get_wrapped_container().id  # type: ignore[union-attr]
        except Exception:  # noqa: BLE001
            return None

    def stop(self) -> None:
        container, self.container = self.container, None
        if container is not None:
            try:
                container.stop()  # testcontainers' stop removes the container too
            except Exception:  # noqa: BLE001 - already gone
                pass
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __enter__(self) -> Target:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
