"""Area clients: real registry clients (docker, skopeo, oras-py) against the target.

No spec line names a client; these are what a registry user expects
("beyond"). Each check runs only where its client is installed and usable.
"""

from ..protocol import Endpoint, Kind
from . import Level, area_checks

DOCKER = "https://docs.docker.com/reference/cli/docker/image/push/"
DOCKER_LOGIN = "https://docs.docker.com/reference/cli/docker/login/"
SKOPEO = "https://github.com/containers/skopeo/blob/main/docs/skopeo.1.md"
ORAS_PY = "https://oras-project.github.io/oras-py/"


# What a client program sends to push and to pull (the checks hold back while one stopped answering).
PUSH = (
    Endpoint("HEAD", Kind.BLOBS),
    Endpoint("POST", Kind.UPLOADS),
    Endpoint("PATCH", Kind.UPLOAD),
    Endpoint("PUT", Kind.UPLOAD),
    Endpoint("HEAD", Kind.MANIFESTS),
    Endpoint("PUT", Kind.MANIFESTS),
)
PULL = (Endpoint("HEAD", Kind.MANIFESTS), Endpoint("GET", Kind.MANIFESTS), Endpoint("GET", Kind.BLOBS))


_check = area_checks("clients", version="beyond", endpoints=PUSH + PULL)


CHECKS = [
    _check(
        "clients.docker-login", "docker login with the target's credentials succeeds", "docker login", url=DOCKER_LOGIN
    ),
    _check(
        "clients.docker-login-refused",
        "docker login with a wrong password fails as a refusal (401), in docker's own words",
        "docker login",
        url=DOCKER_LOGIN,
    ),
    _check(
        "clients.docker-push",
        "docker push of a locally built multi-layer image succeeds and the registry serves what docker sent",
        "docker push",
        url=DOCKER,
        endpoints=PUSH,
    ),
    _check(
        "clients.docker-pull",
        "docker pull of an image pushed through the API gives the same image (id and layers)",
        "docker pull",
        url=DOCKER,
        endpoints=PULL,
    ),
    _check(
        "clients.docker-roundtrip",
        "A multi-layer image pushed with docker, removed locally and pulled back by tag and by "
        "digest is the same image",
        "docker push + pull",
        url=DOCKER,
    ),
    _check(
        "clients.skopeo-copy-to-registry",
        "skopeo copy from an OCI layout to the registry stores the manifest byte for byte",
        "skopeo copy oci: docker://",
        url=SKOPEO,
        endpoints=PUSH,
    ),
    _check(
        "clients.skopeo-copy-from-registry",
        "skopeo copy from the registry to an OCI layout gives the pushed manifest and blobs",
        "skopeo copy docker:// oci:",
        url=SKOPEO,
        endpoints=PULL,
    ),
    _check(
        "clients.skopeo-inspect",
        "skopeo inspect shows the pushed manifest (raw bytes, digest, layers)",
        "skopeo inspect",
        url=SKOPEO,
        endpoints=PULL,
    ),
    _check(
        "clients.skopeo-delete",
        "skopeo delete of a tag removes its manifest",
        "skopeo delete",
        url=SKOPEO,
        level=Level.MAY,
        endpoints=(Endpoint("GET", Kind.MANIFESTS), Endpoint("DELETE", Kind.MANIFESTS)),
    ),
    _check(
        "clients.oras-push",
        "oras-py pushes an artifact with an artifactType; the registry serves its manifest and file",
        "oras push",
        url=ORAS_PY,
        level=Level.SHOULD,
        endpoints=PUSH,
    ),
    _check(
        "clients.oras-pull",
        "oras-py pulls an artifact with an artifactType pushed through the API and gets its file",
        "oras pull",
        url=ORAS_PY,
        level=Level.SHOULD,
        endpoints=PULL,
    ),
]
