"""Target providers: an external URL, a registry process, a registry container.

Each provider is a context manager whose `__enter__` returns a ready
`Target` and whose `__exit__` stops and removes whatever it started, also
when the code inside failed.
"""

from .base import EmbeddedProvider, Provider
from .config import HtpasswdAuth, RegistryConfig, TLSFiles, TokenAuth
from .container import ContainerProvider, docker_engine_available, image_available
from .external import ExternalProvider
from .process import ProcessProvider, registry_binary
from .select import embedded_provider

__all__ = [
    "ContainerProvider",
    "EmbeddedProvider",
    "ExternalProvider",
    "HtpasswdAuth",
    "ProcessProvider",
    "Provider",
    "RegistryConfig",
    "TLSFiles",
    "TokenAuth",
    "docker_engine_available",
    "embedded_provider",
    "image_available",
    "registry_binary",
]
