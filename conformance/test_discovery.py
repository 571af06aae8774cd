"""Area discovery: the tags list (end-8a/8b) and the catalog (Docker V2), with pagination.

Content is pushed once per module: one repository with tags pushed out of
order, and a handful of repositories under `<namespace>/catalog/`. In
read-only mode the preloaded repository stands in: its full tag list (as the
registry returns it unpaginated) is the reference the pages are held to.

The catalog is not in the OCI spec: a registry that answers its first request
as one that does not offer it (`regsuite.optional`: 404 or 405, or 401/403 to
a user who may pull) makes every catalog check unsupported; one that offers
it is judged in full.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

import httpx
import pytest

from regsuite import content
from regsuite.client import RegistryClient
from regsuite.fixtures.checks import check, unsupported
from regsuite.fixtures.content import content_fixture
from regsuite.fixtures.run import Run
from regsuite.fixtures.store import ContentStore, Made
from regsuite.judge import describe
from regsuite.optional import Feature, not_offered, pulls_with_credentials
from regsuite.order import after, duplicates, first_disorder, just_before, order_of

# Pushed in this order on purpose: storage order is not lexical order.
# Lowercase only, so byte order and case-insensitive order agree.
PUSHED_TAGS = ["b", "c", "a", "10", "9", "a-1", "a_1"]
CATALOG_REPOS = ["r3", "r0", "r1", "r2"]
PAGE = 3
MAX_PAGES = 50


@dataclass(frozen=True)
class Listing:
    """A list under test: where it lives and what it must hold (None: unknown, read-only)."""

    repo: str
    expected: list[str] | None  # in order
    anchor: str = ""  # catalog: a `last=` that sorts right before our repositories
    required: str | None = None  # read-only: an entry that must be present
    not_offered: str | None = None  # catalog: why the registry does not offer it (the checks are unsupported)

    def offered(self) -> None:
        if self.not_offered:
            unsupported(self.not_offered)

    def reference(self, seen: list[str]) -> list[str]:
        return self.expected if self.expected is not None else sorted(seen, key=order_of(seen) or str)


def _image() -> content.Manifest:
    return content.image("regsuite-discovery", layers=0)  # one blob: cheap to push to many repositories


def _push_tags(run: Run, client: RegistryClient) -> Listing:
    repo = run.namespace.repo("discovery-tags")
    image = _image()
    client.push_image(repo, image, PUSHED_TAGS[0])
    for tag in PUSHED_TAGS[1:]:
        response = client.put_manifest(repo, tag, image)
        assert response.status_code == 201, f"setup: tagging {tag}: {describe(response)}"
    return Listing(repo, sorted(PUSHED_TAGS))


def _push_catalog(run: Run, client: RegistryClient, name: str, repos: list[str]) -> Listing:
    """Repositories under one prefix; only the first when the registry does not offer the catalog (then the
    checks reading it are unsupported, with its answer)."""
    prefix = run.namespace.repo(name)
    image = _image()
    readable = f"{prefix}/{repos[0]}"
    client.push_image(readable, image, "v1")
    why = _catalog_not_offered(client, readable)
    if why:
        return Listing(prefix, [], not_offered=why)
    for repo in repos[1:]:
        client.push_image(f"{prefix}/{repo}", image, "v1")
    return Listing(prefix, sorted(f"{prefix}/{n}" for n in repos), anchor=prefix)


TAGS = Made(("discovery", "tags"), _push_tags)
CATALOG = Made(("discovery", "catalog"), lambda run, client: _push_catalog(run, client, "catalog", CATALOG_REPOS))


@content_fixture(makes=TAGS)
def tags(regsuite_run: Run, content_store: ContentStore) -> Listing:
    """A repository with PUSHED_TAGS, pushed once for the run (or the preloaded one, read-only)."""
    settings = regsuite_run.settings
    if settings.read_only:
        assert settings.ro_repo
        return Listing(settings.ro_repo, None, required=settings.ro_tag)
    return content_store.make(TAGS)  # type: ignore[no-any-return]


@content_fixture(makes=CATALOG)
def catalog(regsuite_run: Run, content_store: ContentStore) -> Listing:
    """Repositories CATALOG_REPOS under one prefix, pushed once for the run (or the preloaded one, read-only)."""
    settings = regsuite_run.settings
    if settings.read_only:
        assert settings.ro_repo
        listing = Listing(settings.ro_repo, None, anchor=just_before(settings.ro_repo), required=settings.ro_repo)
        return content_store.once(("discovery", "catalog"), lambda client: replace(
            listing, not_offered=_catalog_not_offered(client, listing.repo)))
    return content_store.make(CATALOG)  # type: ignore[no-any-return]


def _catalog_not_offered(client: RegistryClient, readable: str) -> str | None:
    """Why the registry does not offer the catalog (its first answer quoted), or None when it does.

    A 401 or 403 counts only when this client authenticates and may pull (the tags of `readable`, which it
    pushed or was given, answer 200): the catalog is then kept from users, Harbor-style, not from this one.
    """
    return not_offered(Feature.CATALOG, client.catalog(), may_pull=pulls_with_credentials(client, readable))


def _entries(response: httpx.Response, key: str) -> list[str]:
    assert response.status_code == 200, f"{describe(response)}; the spec wants 200"
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"{describe(response)}: the body is not JSON") from None
    assert isinstance(body, dict), f"{describe(response)}: want a JSON object"
    items = body.get(key)
    assert items is None or isinstance(items, list), f"{describe(response)}: '{key}' is not a list"
    return list(items or [])


def _full_tags(registry: RegistryClient, listing: Listing) -> list[str]:
    return _entries(registry.list_tags(listing.repo), "tags")


def _link(response: httpx.Response) -> str | None:
    return response.headers.get("link")


def _check_page(response: httpx.Response, key: str, n: int, reference: list[str], what: str) -> None:
    """A page asked with n must hold the next n entries of `reference` (fewer only at the end or with a Link)."""
    got = _entries(response, key)
    want = reference[:n]
    if len(got) < len(want) and _link(response):
        want = want[: len(got)]  # a registry may return fewer when it says there is more
    assert got == want, (
        f"{describe(response)}\nasked for {what}; want {want} (the next {n} in lexical order, "
        f"fewer only at the end of the list or with a Link header), got {got}"
    )


def _walk(
    registry: RegistryClient, first: httpx.Response, key: str, stop_after: str | None = None
) -> tuple[list[str], int]:
    """Follow Link rel="next" from `first`; returns every entry seen and the page count.

    With `stop_after`, stops once a page ends past it (the catalog of a big registry goes on).
    """
    seen: list[str] = []
    walked = registry.pages(first, key, MAX_PAGES, until=lambda page: stop_after is not None and bool(page.items)
                            and page.items[-1] > stop_after)
    for count, page in enumerate(walked, start=1):
        assert page.response.status_code == 200, f"page {count}: {describe(page.response)}; the spec wants 200"
        seen += page.items
    return seen, len(walked)


# -- tags -------------------------------------------------------------------


@check("discovery.tags-list")
def test_tags_list(registry: RegistryClient, tags: Listing) -> None:
    response = registry.list_tags(tags.repo)
    got = _entries(response, "tags")
    name = response.json().get("name")
    assert name == tags.repo, f"{describe(response)}\n'name' is {name!r}; the spec wants the repository, {tags.repo!r}"
    assert not duplicates(got), f"{describe(response)}\ntags listed more than once: {duplicates(got)}"
    if tags.expected is not None:
        assert sorted(got) == tags.expected, (
            f"{describe(response)}\npushed tags {tags.expected}; the list lacks "
            f"{sorted(set(tags.expected) - set(got))} and has extra {sorted(set(got) - set(tags.expected))}"
        )
    elif tags.required:
        assert tags.required in got, f"{describe(response)}\nthe preloaded tag {tags.required!r} is missing"


@check("discovery.tags-sorted")
def test_tags_sorted(registry: RegistryClient, tags: Listing) -> None:
    response = registry.list_tags(tags.repo)
    got = _entries(response, "tags")
    if order_of(got) is None:
        i, a, b = first_disorder(got) or (0, "", "")
        raise AssertionError(
            f"{describe(response)}\nthe tags are not in lexical order: {a!r} comes before {b!r} (position {i}); "
            f'the spec wants lexical or byte ("ASCIIbetical") order'
        )


@check("discovery.tags-n")
def test_tags_n(registry: RegistryClient, tags: Listing) -> None:
    reference = tags.reference(_full_tags(registry, tags))
    if len(reference) <= 1:
        pytest.skip("the repository has fewer than 2 tags: n cannot be judged")
    n = min(PAGE, len(reference) - 1)
    _check_page(registry.list_tags(tags.repo, n=n), "tags", n, reference, f"n={n} of {len(reference)} tags")


@check("discovery.tags-last")
def test_tags_last(registry: RegistryClient, tags: Listing) -> None:
    reference = tags.reference(_full_tags(registry, tags))
    if len(reference) < 3:
        pytest.skip("the repository has fewer than 3 tags: last cannot be judged")
    key = order_of(reference) or str
    last = reference[1]
    rest = after(reference, last, key)
    _check_page(registry.list_tags(tags.repo, n=2, last=last), "tags", 2, rest, f"n=2&last={last}")
    # `n` is optional with `last`: everything after it
    response = registry.list_tags(tags.repo, last=last)
    got = _entries(response, "tags")
    if _link(response):
        rest = rest[: len(got)]
    assert got == rest, (
        f"{describe(response)}\nasked for last={last} without n; want the tags after it, {rest}, got {got}"
    )


@check("discovery.tags-link")
def test_tags_link(registry: RegistryClient, tags: Listing) -> None:
    reference = tags.reference(_full_tags(registry, tags))
    first = registry.list_tags(tags.repo, n=PAGE)
    seen, pages = _walk(registry, first, "tags")
    assert not duplicates(seen), (
        f"following Link from n={PAGE} over {pages} pages listed {duplicates(seen)} more than once"
    )
    assert sorted(seen) == sorted(reference), (
        f"following Link from GET tags/list?n={PAGE} over {pages} page(s) gave {seen}; want every tag exactly once: "
        f"{reference} (missing {sorted(set(reference) - set(seen))})"
    )


@check("discovery.tags-n-zero")
def test_tags_n_zero(registry: RegistryClient, tags: Listing) -> None:
    response = registry.list_tags(tags.repo, n=0)
    got = _entries(response, "tags")
    assert got == [], f"{describe(response)}\nasked for n=0; the spec wants an empty list, got {len(got)} tags"
    assert not _link(response), f"{describe(response)}\nn=0 answered with Link {_link(response)!r}; the spec wants none"


@check("discovery.tags-unknown-repo")
def test_tags_unknown_repo(registry: RegistryClient, regsuite_run: Run) -> None:
    name = regsuite_run.namespace.repo("discovery-never-pushed")
    response = registry.list_tags(name)
    assert response.status_code == 404, f"{describe(response)}\na repository never pushed: the spec wants 404"


# -- catalog ----------------------------------------------------------------


def _ours(listing: Listing, names: list[str]) -> list[str]:
    if listing.expected is None:
        return names
    return [n for n in names if n.startswith(listing.repo + "/")]


def _end(listing: Listing) -> str:
    """An entry past which the catalog walk can stop."""
    return (listing.expected or [listing.required or listing.anchor])[-1]


def _walk_catalog(registry: RegistryClient, catalog: Listing, n: int) -> list[str]:
    """Walk the catalog from the anchor with `n` per page; every repository under test must come up once."""
    first = registry.catalog(n=n, last=catalog.anchor)
    seen, pages = _walk(registry, first, "repositories", stop_after=_end(catalog))
    walk = f"the catalog from _catalog?n={n}&last={catalog.anchor}, following Link over {pages} page(s),"
    assert not duplicates(seen), f"{walk} listed {duplicates(seen)} more than once"
    if catalog.expected is None:
        assert catalog.required in seen, f"{walk} never lists {catalog.required}"
        return seen
    ours = _ours(catalog, seen)
    assert sorted(ours) == catalog.expected, (
        f"{walk} lists {ours} under {catalog.repo}/; want every repository pushed there, once: {catalog.expected}"
    )
    return seen


@check("discovery.catalog-list")
def test_catalog_list(registry: RegistryClient, catalog: Listing) -> None:
    catalog.offered()
    _entries(registry.catalog(), "repositories")
    _walk_catalog(registry, catalog, 100)


# Names whose byte order differs from a directory walk: a repository that is a path prefix of another
# ("o/p" before "o/p/q") next to names with separators that sort below "/" ("o/p-q", "o/p.q").
CATALOG_ORDER_REPOS = ["p", "p/q", "p-q", "p.q", "p_q"]


CATALOG_ORDER = Made(("discovery", "catalog-order"),
                     lambda run, client: _push_catalog(run, client, "catalog-order", CATALOG_ORDER_REPOS))


@content_fixture(makes=CATALOG_ORDER)
def catalog_order(regsuite_run: Run, catalog: Listing, content_store: ContentStore) -> Listing:
    if catalog.expected is None or catalog.not_offered:
        return catalog  # read-only: judge the order of what is there
    return content_store.make(CATALOG_ORDER)  # type: ignore[no-any-return]


@check("discovery.catalog-sorted")
def test_catalog_sorted(registry: RegistryClient, catalog_order: Listing) -> None:
    catalog = catalog_order
    catalog.offered()
    first = registry.catalog(n=100, last=catalog.anchor)
    seen, _ = _walk(registry, first, "repositories", stop_after=_end(catalog))
    if catalog.expected is not None:
        seen = [name for name in seen if name <= _end(catalog)]
    bad = first_disorder(seen)
    if bad is not None:
        hint = ""
        common = os.path.commonprefix([bad[1], bad[2]])
        if bad[1][len(common) : len(common) + 1] == "/":
            hint = (
                " (the order of a directory walk: nested repositories listed right after their parent path;"
                " lexical order is what makes `last` pagination well defined)"
            )
        raise AssertionError(
            f"the catalog from last={catalog.anchor} is not in lexical order: {bad[1]!r} comes before {bad[2]!r}"
            + hint
        )


@check("discovery.catalog-n")
def test_catalog_n(registry: RegistryClient, catalog: Listing) -> None:
    catalog.offered()
    response = registry.catalog(n=2, last=catalog.anchor)
    if catalog.expected is not None:
        _check_page(response, "repositories", 2, catalog.expected, f"n=2&last={catalog.anchor}")
        return
    got = _entries(response, "repositories")
    assert len(got) <= 2, f"{describe(response)}\nasked for n=2, got {len(got)} repositories"


@check("discovery.catalog-last")
def test_catalog_last(registry: RegistryClient, catalog: Listing) -> None:
    catalog.offered()
    if catalog.expected is None:
        last = catalog.anchor
        got = _entries(registry.catalog(n=5, last=last), "repositories")
        assert all(n > last for n in got), f"asked for last={last}; got {got}, which has names not after it"
        return
    last = catalog.expected[1]
    _check_page(registry.catalog(n=2, last=last), "repositories", 2, catalog.expected[2:], f"n=2&last={last}")


@check("discovery.catalog-link")
def test_catalog_link(registry: RegistryClient, catalog: Listing) -> None:
    catalog.offered()
    _walk_catalog(registry, catalog, 2)


@check("discovery.catalog-n-zero")
def test_catalog_n_zero(registry: RegistryClient, catalog: Listing) -> None:
    catalog.offered()
    response = registry.catalog(n=0)
    got = _entries(response, "repositories")
    assert got == [], f"{describe(response)}\nasked for n=0; want an empty list, got {len(got)} repositories"
    assert not _link(response), f"{describe(response)}\nn=0 answered with Link {_link(response)!r}; want none"
