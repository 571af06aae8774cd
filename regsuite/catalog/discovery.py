"""Area discovery: the tags list (end-8a/8b) and the catalog (Docker Registry V2 API)."""

from . import DOCKER_V2, SPEC_BASE, CheckInfo, Level

TAGS = f"{SPEC_BASE}#listing-tags"
CATALOG = f"{DOCKER_V2}#listing-repositories"


def _tags(id: str, title: str, spec: str, level: Level = Level.MUST) -> CheckInfo:
    return CheckInfo(f"discovery.{id}", title, "discovery", level, spec, TAGS)


def _catalog(id: str, title: str) -> CheckInfo:
    return CheckInfo(f"discovery.{id}", title, "discovery", Level.MUST, "catalog", CATALOG, "docker")


CHECKS = [
    _tags("tags-list", "GET tags/list answers 200 with the repository's name and every tag", "end-8a"),
    _tags("tags-sorted", "The tags list is in lexical order", "end-8a"),
    _tags("tags-n", "tags/list?n=<int> returns n tags (fewer only at the end or with a Link)", "end-8b"),
    _tags("tags-last", "tags/list?last=<tag> continues right after that tag", "end-8b"),
    _tags("tags-link", 'Following Link rel="next" from tags/list?n gives every tag exactly once', "end-8b"),
    _tags("tags-n-zero", "tags/list?n=0 returns an empty list and no Link", "end-8b"),
    _tags("tags-unknown-repo", "tags/list of an unknown repository answers 404", "end-8a"),
    _catalog("catalog-list", "GET /v2/_catalog answers 200 with a repositories list holding every repository"),
    _catalog("catalog-sorted", "The catalog is in lexical order"),
    _catalog("catalog-n", "_catalog?n=<int> returns n repositories (fewer only at the end or with a Link)"),
    _catalog("catalog-last", "_catalog?last=<repo> continues right after that repository"),
    _catalog("catalog-link", 'Following Link rel="next" through the catalog gives every repository exactly once'),
    _catalog("catalog-n-zero", "_catalog?n=0 returns an empty list and no Link"),
]
