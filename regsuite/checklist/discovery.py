"""Area discovery: the tags list (end-8a/8b) and the catalog (Docker Registry V2 API)."""

from . import DOCKER_V2, SPEC_BASE, area_checks

TAGS = f"{SPEC_BASE}#listing-tags"
CATALOG = f"{DOCKER_V2}#listing-repositories"


_tags = _catalog = area_checks("discovery", url=TAGS)


CHECKS = [
    _tags(
        "discovery.tags-list", "GET tags/list answers 200 with the repository's name and every tag", "end-8a", url=TAGS
    ),
    _tags("discovery.tags-sorted", "The tags list is in lexical order", "end-8a", url=TAGS),
    _tags(
        "discovery.tags-n",
        "tags/list?n=<int> returns n tags (fewer only at the end or with a Link)",
        "end-8b",
        url=TAGS,
    ),
    _tags("discovery.tags-last", "tags/list?last=<tag> continues right after that tag", "end-8b", url=TAGS),
    _tags(
        "discovery.tags-link",
        'Following Link rel="next" from tags/list?n gives every tag exactly once',
        "end-8b",
        url=TAGS,
    ),
    _tags("discovery.tags-n-zero", "tags/list?n=0 returns an empty list and no Link", "end-8b", url=TAGS),
    _tags("discovery.tags-unknown-repo", "tags/list of an unknown repository answers 404", "end-8a", url=TAGS),
    _catalog(
        "discovery.catalog-list",
        "GET /v2/_catalog answers 200 with a repositories list holding every repository",
        "catalog",
        url=CATALOG,
        version="docker",
    ),
    _catalog("discovery.catalog-sorted", "The catalog is in lexical order", "catalog", url=CATALOG, version="docker"),
    _catalog(
        "discovery.catalog-n",
        "_catalog?n=<int> returns n repositories (fewer only at the end or with a Link)",
        "catalog",
        url=CATALOG,
        version="docker",
    ),
    _catalog(
        "discovery.catalog-last",
        "_catalog?last=<repo> continues right after that repository",
        "catalog",
        url=CATALOG,
        version="docker",
    ),
    _catalog(
        "discovery.catalog-link",
        'Following Link rel="next" through the catalog gives every repository exactly once',
        "catalog",
        url=CATALOG,
        version="docker",
    ),
    _catalog(
        "discovery.catalog-n-zero",
        "_catalog?n=0 returns an empty list and no Link",
        "catalog",
        url=CATALOG,
        version="docker",
    ),
]
