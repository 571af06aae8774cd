"""Choosing the embedded default: a container when an engine answers and has the image, else a process."""

from __future__ import annotations

from typing import Literal

from ..errors import NoEmbeddedRegistry
from .config import RegistryConfig
from .container import DEFAULT_IMAGE, ContainerProvider, docker_engine_available, image_available
from .process import ProcessProvider, registry_binary

Kind = Literal["auto", "container", "process"]


def embedded_provider(
    config: RegistryConfig | None = None, *, kind: Kind = "auto", image: str = DEFAULT_IMAGE
) -> ContainerProvider | ProcessProvider:
    """The provider for `kind`; "auto" prefers the container and falls back to the process.

    An explicit kind is returned even when it cannot run: its `start` then says why.
    """
    if kind == "container":
        return ContainerProvider(config, image=image)
    if kind == "process":
        return ProcessProvider(config)
    engine = docker_engine_available()
    if engine and image_available(image):
        return ContainerProvider(config, image=image)
    if registry_binary():
        return ProcessProvider(config)
    container_why = (
        f"the Docker engine has no {image} image (scripts/build-registry-image.sh builds it)"
        if engine
        else "no Docker engine answers (scripts/start-dockerd.sh starts one)"
    )
    raise NoEmbeddedRegistry(
        f"no embedded registry is possible: {container_why}, and no docker-registry binary is on PATH "
        "(apt-get install docker-registry); or pass --registry-url"
    )
