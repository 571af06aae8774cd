"""The fault proxy forwards faithfully and changes only what a mutation says."""

from regsuite import content
from regsuite.client import RegistryClient
from regsuite.target import Target
from regsuite.testing.faultproxy import Mutation


def test_forwards_a_whole_push_and_pull(fault_proxy, shared_distribution: Target) -> None:
    proxy = fault_proxy()
    image = content.image("proxy-roundtrip")
    with RegistryClient(Target(proxy.url)) as client:
        client.push_blob("selftest/proxy", content.Blob(content.random_bytes("c", 3000)), method="chunked")
        put = client.push_image("selftest/proxy", image, "v1")
        assert put.headers["location"].startswith(proxy.url)
        got = client.get_manifest("selftest/proxy", "v1")
        assert got.content == image.body
        assert client.head_manifest("selftest/proxy", "v1").headers["content-length"] == str(image.size)
    assert proxy.methods()["PUT"] >= 3


def test_a_mutation_changes_one_thing(fault_proxy) -> None:
    proxy = fault_proxy(
        Mutation("no-api-header", path=r"^/v2/$", drop_headers=("Docker-Distribution-API-Version",)),
        Mutation("teapot", method="GET", path="/tags/list", status=418, times=1),
    )
    with RegistryClient(Target(proxy.url)) as client:
        ping = client.ping()
        assert ping.status_code == 200 and "docker-distribution-api-version" not in ping.headers
        assert client.list_tags("selftest/none").status_code == 418
        assert client.list_tags("selftest/none").status_code == 404
    assert proxy.hits() == {"no-api-header": 1, "teapot": 1}
