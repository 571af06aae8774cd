"""Every 201's Location serves what was written: each kind of write, given a Location that names something else,
fails the check that made it; relative Locations and Locations on another host still pass.

A fault proxy in front of a real distribution rewrites the Location of one kind of 201 at a time. Writes
distribution 2.8.2 answers with 202 instead (a monolithic POST, a mount without `from`) are completed by a
second mutation first, as a registry offering them would, so their 201 exists to be rewritten.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from regsuite.client import RegistryClient
from regsuite.providers import HtpasswdAuth, RegistryConfig
from regsuite.target import Target
from regsuite.testing.faultproxy import FaultProxy, Mutation, ProxyRequest, ProxyResponse
from tests.mutation_table import Row, each_row, run_row

EMPTY_JSON = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"  # another blob, `{}`
PATHS = ["conformance/test_push.py"]
FAST = ("--registry-delete", "no")
_REPO = re.compile(r"^/v2/(?P<name>.+?)/(?:blobs|manifests)/")

UPLOADS = ("push.blob-post-put[sha256]", "push.blob-chunked-single[sha256]", "push.blob-chunked-multi[sha256]",
           "push.blob-chunked-put-last[sha256]", "push.blob-stream[sha256]")
MOUNTS = ("push.mount-from[sha256]", "push.mount-anonymous[sha256]")
MANIFESTS = ("push.manifest-location[image]", "push.manifest-location[index]", "push.manifest-by-digest[image]",
             "push.manifest-by-digest[index]")


def _name(path: str) -> str:
    m = _REPO.match(urlsplit(path).path)
    return m.group("name") if m else ""


def _written(response: ProxyResponse) -> str:
    """The path a 201's Location names, relative."""
    return urlsplit(response.header("Location") or "").path


def _relocate(where: Callable[[ProxyRequest, ProxyResponse], str]) -> Callable[[ProxyRequest, ProxyResponse],
                                                                                ProxyResponse]:
    def rewrite(request: ProxyRequest, response: ProxyResponse) -> ProxyResponse:
        if response.status == 201 and response.header("Location"):
            response.set_header("Location", where(request, response))
        return response

    return rewrite


def _other_blob(request: ProxyRequest, response: ProxyResponse) -> str:
    return f"/v2/{_name(_written(response))}/blobs/{EMPTY_JSON}"


def _other_repository(request: ProxyRequest, response: ProxyResponse) -> str:
    path = _written(response)
    name = _name(path)
    return path.replace(f"/v2/{name}/", f"/v2/{name}-elsewhere/", 1)


def _monolithic_post(upstream: str) -> Mutation:
    """POST ?digest= with the blob completes the upload at once (201), as a registry offering it would:
    distribution answers 202, so the proxy sends the closing PUT itself."""

    def finish(request: ProxyRequest, response: ProxyResponse) -> ProxyResponse:
        digest = parse_qs(urlsplit(request.path).query).get("digest", [""])[0]
        if response.status != 202 or not request.body or not digest:
            return response
        location = urlsplit(response.header("Location") or "")
        with RegistryClient(Target(upstream), auth=False) as client:
            put = client.put_upload(f"{upstream}{location.path}?{location.query}", digest, request.body)
        headers = [(k, v.replace(upstream, "")) for k, v in put.headers.items()
                   if k.lower() in ("location", "docker-content-digest")]
        return ProxyResponse(put.status_code, headers, b"")

    return Mutation("monolithic POST", method="POST", path=r"[?&]digest=", response=finish)


def _mount_from_source() -> Mutation:
    """A mount without `from` finds the blob in the repository the check put it in (`<repo>-source`), as a
    registry that mounts across repositories by digest alone would."""

    def add_from(request: ProxyRequest) -> ProxyRequest:
        request.path += f"&from={_name(request.path.replace('/blobs/uploads/', '/blobs/x', 1))}-source"
        return request

    return Mutation("anonymous mount", method="POST", path=r"[?&]mount=",
                    when=lambda r: "from=" not in r.path, request=add_from)


def _rows() -> list[Row]:
    def relocating(name: str, method: str | None, path: str, where: Callable[..., str],
                   extra: Callable[[str], list[Mutation]] = lambda _u: []) -> Callable[[str], list[Mutation]]:
        return lambda upstream: [*extra(upstream), Mutation(name, method=method, path=path,
                                                            response=_relocate(where))]

    return [
        Row("upload-put-location-elsewhere", relocating("upload PUT", "PUT", r"/blobs/uploads/", _other_blob),
            fail=UPLOADS + ("push.manifest-location[image]",)),
        Row("post-digest-location-elsewhere",
            relocating("POST ?digest=", "POST", r"[?&]digest=", _other_blob, lambda u: [_monolithic_post(u)]),
            fail=("push.blob-post-digest[sha256]",)),
        Row("mount-from-location-elsewhere", relocating("mount", "POST", r"[?&]from=", _other_blob),
            fail=("push.mount-from[sha256]",)),
        Row("mount-anonymous-location-elsewhere",
            relocating("anonymous mount", "POST", r"[?&]mount=", _other_blob, lambda _u: [_mount_from_source()]),
            fail=("push.mount-anonymous[sha256]",)),
        Row("manifest-by-digest-location-elsewhere",
            relocating("manifest PUT by digest", "PUT", r"/manifests/sha256:", _other_repository),
            fail=("push.manifest-location[index]", "push.manifest-by-digest[image]", "push.manifest-by-digest[index]")),
        Row("manifest-by-tag-location-elsewhere",
            relocating("manifest PUT by tag", "PUT", r"/manifests/(?!sha256:)", _other_repository),
            fail=("push.manifest-location[image]", "push.manifest-by-digest[image]")),
        Row("relative-locations-pass",
            relocating("relative", None, r"/(blobs/uploads|manifests)/",
                       lambda _q, r: _written(r) + (f"?{urlsplit(r.header('Location') or '').query}"
                                                    if urlsplit(r.header("Location") or "").query else "")),
            passes=UPLOADS + MANIFESTS + ("push.mount-from[sha256]",)),
    ]


@each_row(_rows())
def test_a_location_naming_something_else_fails_its_check(row: Row, fault_proxy, shared_distribution: Target,
                                                          tmp_path: Path) -> None:
    run = run_row(fault_proxy, shared_distribution.url, row, tmp_path, *FAST, paths=PATHS, exact=True)
    for check_id in row.fail:
        message = run.record(check_id).message
        assert "Location" in message and "must serve what was written" in message, message


def test_a_location_on_another_host_is_followed_and_judged_by_what_it_serves(
        fault_proxy, shared_distribution: Target, tmp_path: Path) -> None:
    """A redirecting registry: every Location names a second host (another proxy before the same storage)."""
    other = fault_proxy()
    row = Row("locations-on-another-host",
              lambda upstream: [Mutation("another host", method="PUT", path=r"/(blobs/uploads|manifests)/",
                                         response=_relocate(lambda _q, r: other.url + _written(r)))],
              passes=UPLOADS + ("push.manifest-location[image]", "push.manifest-by-digest[image]"))
    run_row(fault_proxy, shared_distribution.url, row, tmp_path, *FAST, paths=PATHS, exact=True)
    assert any(method in ("HEAD", "GET") for method, _ in other.requests), "the other host was never asked"


def test_credentials_go_to_the_registry_host_only(registry_factory: Callable[..., Target],
                                                  htpasswd_file: Callable[..., Path]) -> None:
    """A Location on another host is followed without the registry's credentials."""
    password = "s3cret-location"
    target = registry_factory(RegistryConfig(auth=HtpasswdAuth(htpasswd_file({"pusher": password}))))
    seen: list[str | None] = []
    with FaultProxy(target.url, [Mutation("look", when=lambda r: seen.append(r.headers.get("authorization"))
                                          is None)]) as elsewhere, \
            RegistryClient(Target(target.url, username="pusher", password=password)) as client:
        assert client.ping().status_code == 200, "the registry's own host gets the credentials"
        answer = client.request("GET", f"{elsewhere.url}/v2/")
    assert answer.status_code == 401 and seen == [None], "another host was sent the registry's credentials"

