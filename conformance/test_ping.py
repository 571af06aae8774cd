"""Area ping: the API version check (end-1)."""

from regsuite.client import RegistryClient
from regsuite.fixtures.checks import check
from regsuite.judge import answered, sent


@check("ping.v2-200")
def test_v2_answers_200(registry: RegistryClient) -> None:
    response = registry.ping()
    assert response.status_code == 200, (
        f"{sent(response)} answered {response.status_code}; the spec wants 200 OK from a registry implementing "
        "the distribution API (end-1)"
    )


@check("ping.api-version-header")
def test_api_version_header(registry: RegistryClient) -> None:
    response = registry.ping()
    value = response.headers.get("Docker-Distribution-API-Version")
    assert value == "registry/2.0", (
        f"{sent(response)} answered {answered(response, 'Docker-Distribution-API-Version')}; Docker clients look for "
        "Docker-Distribution-API-Version: registry/2.0 to recognise a V2 registry"
    )
