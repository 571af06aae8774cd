"""Area naming: the repository-name and tag grammar.

Invalid names and tags must be refused with a 4xx (never a 5xx, never
accepted) and nothing may be stored under them; names and tags the grammar
allows must work. Invalid names still live under the run namespace
(`<root>/Upper`, ...): the write guard sends nothing anywhere else.
"""

from __future__ import annotations

import httpx
import pytest

from regsuite import content
from regsuite.client import RegistryClient
from regsuite.errorcodes import error_codes
from regsuite.fixtures.checks import check
from regsuite.fixtures.content import content_fixture
from regsuite.fixtures.run import Run, require_writes
from regsuite.fixtures.store import ContentStore
from regsuite.judge import describe
from regsuite.reference_rules import MAX_PATH

NAME_CODES = {"NAME_INVALID", "NAME_UNKNOWN"}
TAG_CODES = {"TAG_INVALID", "MANIFEST_INVALID", "MANIFEST_UNKNOWN", "NAME_INVALID"}

INVALID_NAMES: dict[str, tuple[str | int, str]] = {  # case: (name under the namespace, what is wrong with it)
    "uppercase": ("Upper", "uppercase letters"),
    "leading-separator": ("-lead", "a component starting with a separator"),
    "trailing-separator": ("trail-", "a component ending with a separator"),
    "doubled-separator": ("a..b", "two separators in a row"),
    "triple-underscore": ("a___b", "three underscores (the grammar allows one or two)"),
    "underscore-component": ("_under", "a component starting with _"),
    "too-long": (MAX_PATH + 1, "a path of 256 characters (the limit is 255)"),
}
VALID_NAMES: dict[str, str | int] = {
    "double-underscore": "a__b",
    "repeated-dash": "a---b",
    "mixed-separators": "a.b_c-d",
    "nested": "nested/deeper/path",
    "255-characters": MAX_PATH,
}
INVALID_TAGS = {"129-characters": "t" * 129, "leading-dash": "-tag", "leading-dot": ".tag"}
VALID_TAGS = {"128-characters": "t" * 128, "leading-underscore": "_tag", "mixed-case": "V1.2_rc-3"}


def _name(root: str, suffix: str | int) -> str:
    """`root/suffix`, or a valid-looking path of exactly `suffix` characters under root."""
    if isinstance(suffix, str):
        return f"{root}/{suffix}"
    name = root
    while len(name) < suffix:
        room = suffix - len(name) - 1  # minus the separator
        name += "/" + "n" * min(50, room if room <= 50 or room - 50 >= 2 else room - 2)
    assert len(name) == suffix, (name, suffix)
    return name


def _image(seed: str) -> content.Manifest:
    return content.image(f"naming/{seed}", layers=0)


def _refused(response: httpx.Response, what: str, codes: set[str]) -> None:
    """A 4xx whose JSON codes (if any) name the bad name or tag."""
    status = response.status_code
    assert status < 500, f"{describe(response)}\n{what}: a client mistake must get a 4xx, never a 5xx"
    assert 400 <= status < 500, f"{describe(response)}\n{what}: the registry did not refuse it; the spec wants a 4xx"
    try:
        found = error_codes(response)
    except ValueError as exc:
        raise AssertionError(f"{what}: {exc}") from None
    if found is not None:
        assert set(found) & codes, (
            f"{describe(response)}\n{what}: refused with {found}, which does not name the bad name or tag; "
            f"want one of {sorted(codes)}"
        )


def _not_stored(response: httpx.Response, what: str) -> None:
    assert response.status_code != 200, f"{describe(response)}\n{what}: found after the registry refused it"


@check("naming.invalid-name")
@pytest.mark.parametrize("case", INVALID_NAMES)
def test_invalid_name(registry: RegistryClient, regsuite_run: Run, repo: str, case: str) -> None:
    suffix, wrong = INVALID_NAMES[case]
    name = _name(regsuite_run.namespace.root, suffix)
    upload = registry.start_upload(name)
    if 200 <= upload.status_code < 300 and "location" in upload.headers:
        registry.cancel_upload(registry.resolve(upload))
    _refused(upload, f"POST of an upload to a repository name with {wrong}", NAME_CODES)
    image = _image(case)
    _refused(
        registry.put_manifest(name, "v1", image), f"PUT of a manifest to a repository name with {wrong}", NAME_CODES
    )
    _not_stored(registry.head_manifest(name, "v1"), f"{name}:v1")
    _not_stored(registry.head_manifest(name, image.digest), f"{name}@{image.digest}")


@check("naming.valid-name")
@pytest.mark.parametrize("case", VALID_NAMES)
def test_valid_name(registry: RegistryClient, regsuite_run: Run, repo: str, case: str) -> None:
    name = _name(regsuite_run.namespace.root, VALID_NAMES[case])
    image = _image(case)
    registry.push_image(name, image, "v1")
    response = registry.get_manifest(name, "v1")
    assert response.status_code == 200 and response.content == image.body, (
        f"{describe(response)}\npushed to {name!r}, valid under the grammar; reading it back failed"
    )


@content_fixture()
def tagged(regsuite_run: Run, content_store: ContentStore) -> tuple[str, content.Manifest]:
    """A repository holding an image, pushed once for the run: tags are put on it."""
    require_writes(regsuite_run)

    def push(client: RegistryClient) -> tuple[str, content.Manifest]:
        name = regsuite_run.namespace.repo("naming-tags")
        image = _image("tags")
        client.push_image(name, image, "base")
        return name, image

    return content_store.once(("naming", "tagged"), push)


def _listed(registry: RegistryClient, name: str) -> list[str]:
    response = registry.list_tags(name)
    return list((response.json() or {}).get("tags") or []) if response.status_code == 200 else []


@check("naming.invalid-tag")
@pytest.mark.parametrize("case", INVALID_TAGS)
def test_invalid_tag(registry: RegistryClient, tagged: tuple[str, content.Manifest], case: str) -> None:
    name, image = tagged
    tag = INVALID_TAGS[case]
    _refused(registry.put_manifest(name, tag, image), f"PUT of a manifest with the invalid tag {tag!r}", TAG_CODES)
    _not_stored(registry.get_manifest(name, tag), f"{name}:{tag}")
    assert tag not in _listed(registry, name), f"the invalid tag {tag!r} is in the tags list after being refused"


@check("naming.valid-tag")
@pytest.mark.parametrize("case", VALID_TAGS)
def test_valid_tag(registry: RegistryClient, tagged: tuple[str, content.Manifest], case: str) -> None:
    name, image = tagged
    tag = VALID_TAGS[case]
    put = registry.put_manifest(name, tag, image)
    assert put.status_code == 201, f"{describe(put)}\nthe tag {tag!r} is valid under the grammar; the spec wants 201"
    got = registry.get_manifest(name, tag)
    assert got.status_code == 200 and got.content == image.body, f"{describe(got)}\nreading {name}:{tag} back failed"
    assert tag in _listed(registry, name), f"the tag {tag!r} was accepted but is not in the tags list"
