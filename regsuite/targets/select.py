"""Choosing the embedded default: a container when an engine answers, else a process."""

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
    if kind == "container" or (kind == "auto" and docker_engine_available() and image_available(image)):
        return ContainerProvider(config, image=image)
    if kind == "process" or registry_binary():
        return ProcessProvider(config)
    raise NoEmbeddedRegistry(
        "no embedded registry is possible: install the registry binary (apt-get install "
        "docker-registry) or start a Docker engine with a registry:2 image, or pass --registry-url"
    )
