"""Area clients: docker, skopeo and oras-py push and pull against the target.

Every check here runs ahead (`@ahead`, regsuite.fixtures.ahead): its body runs
in its program's background lane from the start of the run, and its verdict is
given in its turn.

Content comes from regsuite.content, seeded with the check's repository (so
unique per run: docker must download layers, not find them locally). A
failure shows the client's command and message; the transcript below it shows
the API exchange that explains it (the same reference read, or the same kind
of content pushed, through the API). A client that failed on the registry's
429 is `error` (regsuite.retry.RateLimited): a rate limit, not a conformance
fault of the client or of the registry.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from regsuite import content
from regsuite import mediatypes as mt
from regsuite.client import RegistryClient
from regsuite.clients.archive import docker_archive, write_oci_layout
from regsuite.clients.diagnose import first_problem, replay_push
from regsuite.clients.docker import DockerCLI
from regsuite.clients.oras import OrasPy
from regsuite.clients.runner import ClientResult
from regsuite.clients.skopeo import Skopeo
from regsuite.content import Manifest
from regsuite.digest import digest_of
from regsuite.fixtures.access import invented_secret
from regsuite.fixtures.ahead import ahead
from regsuite.fixtures.checks import NOTE_PROPERTY, check, unsupported
from regsuite.fixtures.run import Run
from regsuite.retry import RATE_LIMITED, RateLimited

ARTIFACT_TYPE = "application/vnd.regsuite.clients.test.v1"
PAYLOAD_TYPE = "application/vnd.regsuite.payload.v1"
_PUSHED_DIGEST = re.compile(r"digest: (sha256:[0-9a-f]{64})")
ORAS_SCOPE_HINT = (
    "oras-py 0.2 asks for a new token only after a 403; a registry that answers 401 with "
    'error="insufficient_scope" (distribution does; RFC 6750 says 403) gets oras-py\'s earlier pull-only token again'
)


def client_failed(result: ClientResult, api_view: str | None = None) -> str:
    """A failed program's command and message (and what the API shows); RateLimited (an `error` verdict) when its
    message shows the registry refused it for load: that is neither the client's doing nor a conformance fault."""
    unless_rate_limited(result)
    text = result.describe()
    if api_view:
        text += f"\nThrough the API: {api_view} (exchange below)"
    return text


def unless_rate_limited(result: ClientResult) -> None:
    line = result.rate_limited
    if line:
        raise RateLimited(f"{RATE_LIMITED}: `{result.command}` failed on the registry's 429: {line}")


def logged_in(cli: DockerCLI | Skopeo) -> None:
    login = cli.login()
    assert login is None or login.ok, "login with the target's credentials failed:\n" + client_failed(login)


def pulled_correctly(
    registry: RegistryClient, repo: str, reference: str, result: ClientResult, pushed: Manifest | None
) -> None:
    """`pushed`: the manifest as pushed through the API (None when a client pushed it)."""
    unless_rate_limited(result)
    assert result.ok, client_failed(result, first_problem(registry, repo, reference, pushed.body if pushed else None))


def pushed_correctly(registry: RegistryClient, repo: str, tag: str, result: ClientResult, equivalent: Manifest) -> None:
    unless_rate_limited(result)
    assert result.ok, client_failed(result, replay_push(registry, repo, equivalent, f"{tag}-api"))


def _diff_ids(image: Manifest) -> list[str]:
    return list(json.loads(image.blobs[0].data)["rootfs"]["diff_ids"])


# -- docker -------------------------------------------------------------------

REFUSAL = re.compile(r"\b401\b|unauthori[sz]ed|incorrect username or password", re.IGNORECASE)


def _login_user(run: Run, registry: RegistryClient) -> tuple[str, str]:
    """The target's user, when the registry asks for credentials at all (else a login proves nothing)."""
    target = run.target
    if not target.username:
        pytest.skip("the target has no credentials: give --registry-username and REGSUITE_PASSWORD")
    anonymous = registry.request("GET", "/v2/", auth=None)
    if anonymous.status_code == 200:
        pytest.skip("the registry asks for no credentials (GET /v2/ answers 200 without them): any login succeeds")
    return target.username, target.password or ""


@check("clients.docker-login")
@ahead
def test_docker_login(docker_cli: DockerCLI, docker_login_config: Path, regsuite_run: Run, registry: RegistryClient,
                      record_property: Callable[[str, object], None]) -> None:
    user, password = _login_user(regsuite_run, registry)
    login = docker_cli.login_into(docker_login_config, user, password)
    assert login.ok, "docker login with the target's credentials failed:\n" + client_failed(login)
    record_property(NOTE_PROPERTY, f"docker: {_said(login.stdout)}")


@check("clients.docker-login-refused")
@ahead
def test_docker_login_refused(docker_cli: DockerCLI, docker_login_config: Path, regsuite_run: Run,
                              registry: RegistryClient, record_property: Callable[[str, object], None]) -> None:
    user, password = _login_user(regsuite_run, registry)
    if not docker_cli.login_into(docker_login_config, user, password).ok:
        pytest.skip("docker login with the right password fails too (see clients.docker-login): nothing to compare")
    wrong = invented_secret()
    elsewhere = docker_login_config / "wrong"  # not next to the right login
    elsewhere.mkdir()
    login = docker_cli.login_into(elsewhere, user, wrong)
    assert not login.ok, (
        f"docker login as {user!r} with a wrong password succeeded ({_said(login.stdout)}): the registry accepted "
        "it; RFC 7235 3.1 wants 401 for refused credentials"
    )
    assert REFUSAL.search(login.message), (
        "docker login with a wrong password failed, but not as a refusal; the registry must answer 401 "
        "(RFC 7235 3.1):\n" + client_failed(login)
    )
    record_property(NOTE_PROPERTY, f"docker refused the wrong password: {_said(login.message)}")


def _said(text: str) -> str:
    """A client's last line of output."""
    return (text.strip().splitlines() or ["(nothing)"])[-1]


def _loaded(docker: DockerCLI, repo: str, name: str, tmp_path: Path) -> tuple[Manifest, str]:
    """Log in, then `docker load` a 3-layer image generated for this check, tagged repo:v1 on the target."""
    logged_in(docker)
    image = content.image(f"{repo}/{name}", layers=3, docker=True)
    ref = docker.ref(repo, "v1")
    archive = tmp_path / "image.tar"
    archive.write_bytes(docker_archive(image, [ref]))
    loaded = docker.load(archive)
    assert loaded.ok, "docker load of the generated image failed (not the registry's doing):\n" + client_failed(loaded)
    return image, ref


def _same_image(docker: DockerCLI, ref: str, image: Manifest, how: str) -> None:
    info = docker.inspect(ref) or {}
    assert info.get("Id") == image.blobs[0].digest, (
        f"after {how}, docker's image id is {info.get('Id')}, want the config digest {image.blobs[0].digest}"
    )
    layers = (info.get("RootFS") or {}).get("Layers")
    assert layers == _diff_ids(image), f"after {how}, docker's layers are {layers}, want {_diff_ids(image)}"


@check("clients.docker-push")
@ahead
def test_docker_push(docker_cli: DockerCLI, client_repo: str, registry: RegistryClient, tmp_path: Path) -> None:
    image, ref = _loaded(docker_cli, client_repo, "docker-push", tmp_path)
    try:
        pushed = docker_cli.push(ref)
        pushed_correctly(registry, client_repo, "v1", pushed, image)
        problem = first_problem(registry, client_repo, "v1")
        assert problem is None, f"docker push succeeded, but reading {client_repo}:v1 back: {problem}"
        manifest = registry.get_manifest(client_repo, "v1").json()
        assert manifest["config"]["digest"] == image.blobs[0].digest and len(manifest["layers"]) == 3, (
            f"the registry serves a manifest with config {manifest['config']['digest']} and "
            f"{len(manifest['layers'])} layers; docker pushed config {image.blobs[0].digest} and 3 layers"
        )
        found = _PUSHED_DIGEST.search(pushed.stdout)
        served = registry.head_manifest(client_repo, "v1").headers.get("docker-content-digest")
        assert found is None or found.group(1) == served, (
            f"docker reports digest {found.group(1) if found else None}, the registry serves {served} for the tag"
        )
    finally:
        docker_cli.remove(ref)


@check("clients.docker-pull")
@ahead
def test_docker_pull(docker_cli: DockerCLI, client_repo: str, registry: RegistryClient) -> None:
    logged_in(docker_cli)
    image = content.image(f"{client_repo}/docker-pull", layers=2, docker=True)
    registry.push_image(client_repo, image, "v1")
    ref = docker_cli.ref(client_repo, "v1")
    try:
        pulled_correctly(registry, client_repo, "v1", docker_cli.pull(ref), image)
        _same_image(docker_cli, ref, image, "docker pull")
    finally:
        docker_cli.remove(ref)


@check("clients.docker-roundtrip")
@ahead
def test_docker_roundtrip(docker_cli: DockerCLI, client_repo: str, registry: RegistryClient, tmp_path: Path) -> None:
    image, ref = _loaded(docker_cli, client_repo, "docker-roundtrip", tmp_path)
    by_digest = None
    try:
        pushed = docker_cli.push(ref)
        pushed_correctly(registry, client_repo, "v1", pushed, image)
        found = _PUSHED_DIGEST.search(pushed.stdout)
        assert found, f"docker push printed no digest:\n{pushed.stdout[-500:]}"
        by_digest = docker_cli.ref(client_repo, found.group(1))
        removed = docker_cli.remove(ref)
        assert removed.ok, "removing the local image before pulling it back failed:\n" + client_failed(removed)
        pulled_correctly(registry, client_repo, "v1", docker_cli.pull(ref), None)
        _same_image(docker_cli, ref, image, "push, remove and pull by tag")
        docker_cli.remove(ref)
        pulled_correctly(registry, client_repo, found.group(1), docker_cli.pull(by_digest), None)
        _same_image(docker_cli, by_digest, image, "pull by digest")
    finally:
        docker_cli.remove(*(r for r in (ref, by_digest) if r))


# -- skopeo -------------------------------------------------------------------


@check("clients.skopeo-copy-to-registry")
@ahead
def test_skopeo_copy_to_registry(
    skopeo_cli: Skopeo, client_repo: str, registry: RegistryClient, tmp_path: Path
) -> None:
    logged_in(skopeo_cli)
    image = content.image(f"{client_repo}/skopeo-to", layers=2)
    layout = write_oci_layout(image, tmp_path / "layout", "v1")
    copied = skopeo_cli.copy_to_registry(layout, "v1", skopeo_cli.ref(client_repo, "v1"))
    pushed_correctly(registry, client_repo, "v1", copied, image)
    problem = first_problem(registry, client_repo, "v1", image.body)
    assert problem is None, f"skopeo copy succeeded, but reading {client_repo}:v1 back: {problem}"


@check("clients.skopeo-copy-from-registry")
@ahead
def test_skopeo_copy_from_registry(
    skopeo_cli: Skopeo, client_repo: str, registry: RegistryClient, tmp_path: Path
) -> None:
    logged_in(skopeo_cli)
    image = content.image(f"{client_repo}/skopeo-from", layers=2)
    registry.push_image(client_repo, image, "v1")
    layout = tmp_path / "layout"
    pulled_correctly(
        registry,
        client_repo,
        "v1",
        skopeo_cli.copy_from_registry(skopeo_cli.ref(client_repo, "v1"), layout, "v1"),
        image,
    )
    entries = json.loads((layout / "index.json").read_bytes()).get("manifests") or []
    digests = [e.get("digest") for e in entries]
    assert image.digest in digests, f"skopeo wrote manifests {digests} to the layout, want {image.digest}"
    for blob in image.all_blobs():
        path = layout / "blobs" / "sha256" / blob.digest.partition(":")[2]
        assert path.is_file() and path.read_bytes() == blob.data, f"the layout lacks blob {blob.digest} as pushed"


@check("clients.skopeo-inspect")
@ahead
def test_skopeo_inspect(skopeo_cli: Skopeo, client_repo: str, registry: RegistryClient) -> None:
    logged_in(skopeo_cli)
    image = content.image(f"{client_repo}/skopeo-inspect", layers=2)
    registry.push_image(client_repo, image, "v1")
    ref = skopeo_cli.ref(client_repo, "v1")
    raw = skopeo_cli.inspect_raw(ref)
    pulled_correctly(registry, client_repo, "v1", raw, image)
    if raw.stdout.encode() != image.body:
        raise AssertionError(
            f"`{raw.command}` printed {len(raw.stdout.encode())} bytes that differ from the {image.size} bytes pushed"
            f"\nThrough the API: {first_problem(registry, client_repo, 'v1', image.body)} (exchange below)"
        )
    result, info = skopeo_cli.inspect(ref)
    pulled_correctly(registry, client_repo, "v1", result, image)
    info = info or {}
    assert info.get("Digest") == image.digest, f"skopeo inspect shows digest {info.get('Digest')}, want {image.digest}"
    layers = [b.digest for b in image.blobs[1:]]
    assert info.get("Layers") == layers, f"skopeo inspect shows layers {info.get('Layers')}, want {layers}"


@check("clients.skopeo-delete")
@ahead
def test_skopeo_delete(skopeo_cli: Skopeo, client_repo: str, registry: RegistryClient, regsuite_run: Run) -> None:
    if regsuite_run.target.capabilities.delete_enabled is False:
        unsupported("the registry's deletes are disabled")
    logged_in(skopeo_cli)
    image = content.image(f"{client_repo}/skopeo-delete", layers=1)
    registry.push_image(client_repo, image, "v1")
    deleted = skopeo_cli.delete(skopeo_cli.ref(client_repo, "v1"))
    if not deleted.ok and re.search(r"\b405\b|unsupported", deleted.message, re.IGNORECASE):
        unsupported(f"the registry refuses deletes: {deleted.message.splitlines()[-1]}")
    assert deleted.ok, client_failed(deleted)
    for reference in (image.digest, "v1"):
        after = registry.get_manifest(client_repo, reference)
        assert after.status_code == 404, (
            f"skopeo delete succeeded, but GET /v2/{client_repo}/manifests/{reference} "
            f"still answers {after.status_code}"
        )


# -- oras-py ------------------------------------------------------------------


@check("clients.oras-push")
@ahead
def test_oras_push(oras_cli: OrasPy, client_repo: str, registry: RegistryClient, tmp_path: Path) -> None:
    payload = content.random_bytes(f"{client_repo}/oras-push", 2048)
    path = tmp_path / "payload.bin"
    path.write_bytes(payload)
    pushed, out = oras_cli.push(oras_cli.ref(client_repo, "v1"), [(path, PAYLOAD_TYPE)], ARTIFACT_TYPE)
    equivalent = content.artifact(f"{client_repo}/oras-push", ARTIFACT_TYPE, payload=payload, payload_type=PAYLOAD_TYPE)
    if not pushed.ok and "UNAUTHORIZED" in pushed.message:
        raise AssertionError(
            client_failed(pushed, replay_push(registry, client_repo, equivalent, "v1-api")) + "\n" + ORAS_SCOPE_HINT
        )
    pushed_correctly(registry, client_repo, "v1", pushed, equivalent)
    got = registry.get_manifest(client_repo, "v1", accept=mt.OCI_MANIFEST)
    assert got.status_code == 200, f"oras push succeeded, but GET of the tag answers {got.status_code}"
    doc = got.json()
    assert doc.get("artifactType") == ARTIFACT_TYPE, (
        f"the registry serves artifactType {doc.get('artifactType')!r}, oras pushed {ARTIFACT_TYPE!r}"
    )
    assert out.get("digest") in (None, digest_of(got.content)), (
        f"oras was told digest {out.get('digest')}, "
        f"the registry serves a manifest whose digest is {digest_of(got.content)}"
    )
    problem = first_problem(registry, client_repo, "v1", got.content)
    assert problem is None, f"oras push succeeded, but reading it back: {problem}"
    layer = (doc.get("layers") or [{}])[0]
    assert layer.get("digest") == digest_of(payload), (
        f"the artifact's layer is {layer.get('digest')}, want {digest_of(payload)}"
    )


@check("clients.oras-pull")
@ahead
def test_oras_pull(oras_cli: OrasPy, client_repo: str, registry: RegistryClient, tmp_path: Path) -> None:
    payload = content.random_bytes(f"{client_repo}/oras-pull", 2048)
    artifact = content.artifact(f"{client_repo}/oras-pull", ARTIFACT_TYPE, payload=payload, payload_type=PAYLOAD_TYPE)
    registry.push_image(client_repo, artifact, "v1")
    pulled, out = oras_cli.pull(oras_cli.ref(client_repo, "v1"), tmp_path / "out")
    pulled_correctly(registry, client_repo, "v1", pulled, artifact)
    files = [Path(f) for f in out.get("files") or []]
    assert len(files) == 1, f"oras pull wrote {len(files)} files, the artifact has one layer"
    data = files[0].read_bytes()
    if data != payload:
        raise AssertionError(
            f"oras pull reported success but wrote {len(data)} bytes that differ from the {len(payload)} bytes pushed "
            "(oras-py does not verify blob digests)\nThrough the API: "
            f"{first_problem(registry, client_repo, 'v1', artifact.body)} (exchange below)"
        )
