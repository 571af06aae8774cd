"""Area ping: the API version check (end-1)."""

from fixtures.checks import check
from regsuite.client import RegistryClient


@check("ping.v2-200")
def test_v2_answers_200(registry: RegistryClient) -> None:
    response = registry.ping()
    assert response.status_code == 200, f"GET /v2/ answered {response.status_code}, the spec wants 200"


@check("ping.api-version-header")
def test_api_version_header(registry: RegistryClient) -> None:
    value = registry.ping().headers.get("docker-distribution-api-version")
    assert value == "registry/2.0", f"Docker-Distribution-API-Version is {value!r}, want 'registry/2.0'"
