"""Hypothesis strategies built from the reference grammar: valid values and near-misses.

Valid strategies generate exactly what `regsuite.reference` accepts, biased
towards the boundaries (255/256-character paths, 128/129-character tags).
Near-miss strategies take a valid value and break one rule of the grammar
(uppercase, doubled or trailing separators, `_`-leading and empty
components, unicode, wrong digest lengths or algorithms...). A near-miss is
*meant* to be invalid; the ones that must be are filtered through the
grammar (`*_invalid` strategies). Strategies for the registry take a prefix
(the run namespace) and keep names usable in a URL path (`url_safe`):
no empty or dot components, which HTTP routers rewrite before the name is read.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from .reference import (
    DEFAULT_DOMAIN,
    DIGEST_LENGTHS,
    LEGACY_DEFAULT_DOMAIN,
    MAX_PATH,
    MAX_TAG,
    OFFICIAL_PREFIX,
    Reference,
    format_reference,
    is_valid_repository,
    is_valid_tag,
)

LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
TAG_CHARS = LOWER_ALNUM + "ABCDEFGHIJKLMNOPQRSTUVWXYZ_.-"
HEX = "0123456789abcdef"
SEPARATORS = (".", "_", "__", "-", "--", "---")
# Characters outside the grammar that still travel in a URL path unchanged in meaning.
FOREIGN_ASCII = " +~!:@$*,;=&'()"
FOREIGN_UNICODE = "éñüßа中ı\u0130\u00a0\u200b"  # accents, Cyrillic a, CJK, dotless/dotted i, nbsp, zero-width space
BAD_SEPARATORS = ("___", "_-", "-_", "._", "_.", "..", ".-", "-.")


# -- valid values ---------------------------------------------------------------


@st.composite
def components(draw: st.DrawFn, max_runs: int = 3) -> str:
    """One path component: alphanumeric runs joined by the grammar's separators."""
    runs = draw(st.lists(st.text(LOWER_ALNUM, min_size=1, max_size=8), min_size=1, max_size=max_runs))
    out = runs[0]
    for run in runs[1:]:
        out += draw(st.sampled_from(SEPARATORS)) + run
    return out


@st.composite
def _padded_to(draw: st.DrawFn, path: str, length: int) -> str:
    """`path` with its last component lengthened (alphanumerics) to exactly `length` characters."""
    missing = length - len(path)
    if missing <= 0:
        return path[:length].rstrip("/._-") or "a"
    return path + draw(st.text(LOWER_ALNUM, min_size=missing, max_size=missing))


@st.composite
def paths(draw: st.DrawFn, prefix: str = "", max_length: int = MAX_PATH) -> str:
    """A valid repository path under `prefix`, often exactly `max_length` characters long."""
    lead = f"{prefix}/" if prefix else ""
    body = "/".join(draw(st.lists(components(), min_size=1, max_size=4)))
    path = (lead + body)[:max_length].rstrip("/._-")
    if draw(st.booleans()):  # the boundary: exactly the limit
        path = draw(_padded_to(path, max_length))
    if not is_valid_repository(path):  # the cut above can leave a dangling separator run
        path = lead + "a"
    return path


@st.composite
def tags(draw: st.DrawFn) -> str:
    """A valid tag, often at or next to the 128-character limit."""
    first = draw(st.sampled_from(LOWER_ALNUM + "ABCDEFGHIJKLMNOPQRSTUVWXYZ_"))
    length = draw(st.one_of(st.integers(1, 12), st.sampled_from([MAX_TAG - 1, MAX_TAG]), st.integers(13, MAX_TAG)))
    return first + draw(st.text(TAG_CHARS, min_size=length - 1, max_size=length - 1))


def sha256_digests() -> st.SearchStrategy[str]:
    return st.binary(max_size=64).map(lambda data: "sha256:" + hashlib.sha256(data).hexdigest())


def digests() -> st.SearchStrategy[str]:
    return st.one_of(
        sha256_digests(),
        st.binary(max_size=64).map(lambda data: "sha512:" + hashlib.sha512(data).hexdigest()),
    )


@st.composite
def hostnames(draw: st.DrawFn) -> str:
    labels = st.from_regex(r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,10}[a-zA-Z0-9])?", fullmatch=True)
    return ".".join(draw(st.lists(labels, min_size=1, max_size=4)))


@st.composite
def domains(draw: st.DrawFn) -> str:
    """A registry host that Docker's rule recognises: localhost, has a '.', or has a port."""
    ipv4 = st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t)))
    ipv6 = st.sampled_from(["[::1]", "[2001:db8::1]", "[fe80::1:2:3:4]", "[::]"])
    host = draw(st.one_of(st.just("localhost"), hostnames(), ipv4, ipv6))
    port = draw(st.one_of(st.none(), st.integers(1, 65535).map(str)))
    if port is None and not (host == "localhost" or "." in host or ":" in host):
        port = "5000"
    return f"{host}:{port}" if port else host


@st.composite
def canonical_references(draw: st.DrawFn) -> str:
    """References already in normal form: a host, a path, and a tag and/or digest."""
    domain = draw(domains().filter(lambda d: d != LEGACY_DEFAULT_DOMAIN))
    path = draw(paths())
    if domain == DEFAULT_DOMAIN and "/" not in path:
        path = (OFFICIAL_PREFIX + path)[:MAX_PATH].rstrip("/._-")
    tag, digest = draw(st.one_of(
        st.tuples(tags(), st.none()), st.tuples(st.none(), digests()), st.tuples(tags(), digests())
    ))
    return format_reference(Reference(domain, path, tag, digest))


@st.composite
def familiar_references(draw: st.DrawFn) -> str:
    """What people type: short names, docker.io spelled out or not, tags and digests optional."""
    domain = draw(st.sampled_from(
        [None, None, DEFAULT_DOMAIN, LEGACY_DEFAULT_DOMAIN, "localhost", "localhost:5000", "reg.example.com"]
    ))
    path = draw(st.one_of(components(), paths(max_length=MAX_PATH - len(OFFICIAL_PREFIX))))  # room for library/
    if domain is None and "/" in path:
        path = path.replace(".", "-").replace(":", "-")  # keep the first component from reading as a host
    tag = draw(st.one_of(st.none(), tags()))
    digest = draw(st.one_of(st.none(), digests()))
    return format_reference(Reference(domain, path, tag, digest))


# -- near-misses ------------------------------------------------------------------------


@st.composite
def _break_component(draw: st.DrawFn, component: str, url_safe: bool) -> str:
    kinds = ["upper", "lead", "trail", "separator", "ascii", "unicode"] + ([] if url_safe else ["empty", "dot"])
    kind = draw(st.sampled_from(kinds))
    i = draw(st.integers(0, len(component)))
    if kind == "upper":
        j = min(i, len(component) - 1)
        return component[:j] + draw(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) + component[j + 1 :]
    if kind == "lead":
        return draw(st.sampled_from("_-.")) + component
    if kind == "trail":
        return component + draw(st.sampled_from("_-."))
    if kind == "separator":
        return component[:i] + "a" + draw(st.sampled_from(BAD_SEPARATORS)) + "b" + component[i:]
    if kind == "ascii":
        return component[:i] + draw(st.sampled_from(FOREIGN_ASCII)) + component[i:]
    if kind == "unicode":
        return component[:i] + draw(st.sampled_from(FOREIGN_UNICODE)) + component[i:]
    if kind == "empty":
        return component + "/"
    return draw(st.sampled_from([".", ".."]))


@st.composite
def near_miss_paths(draw: st.DrawFn, prefix: str = "", url_safe: bool = False) -> str:
    """A path with one broken component, or one character over the length limit."""
    lead = f"{prefix}/" if prefix else ""
    if draw(st.integers(0, 4)) == 0:
        return draw(_padded_to(lead + draw(components()), MAX_PATH + draw(st.integers(1, 3))))
    parts = draw(st.lists(components(), min_size=1, max_size=3))
    k = draw(st.integers(0, len(parts) - 1))
    parts[k] = draw(_break_component(parts[k], url_safe))
    return lead + "/".join(parts)


def invalid_paths(prefix: str = "", url_safe: bool = False) -> st.SearchStrategy[str]:
    return near_miss_paths(prefix, url_safe).filter(lambda p: not is_valid_repository(p))


@st.composite
def near_miss_tags(draw: st.DrawFn, url_safe: bool = False) -> str:
    kind = draw(st.sampled_from(["long", "lead", "ascii", "unicode"] + ([] if url_safe else ["empty"])))
    tag = draw(tags())
    if kind == "long":
        return tag + draw(st.text(TAG_CHARS, min_size=max(MAX_TAG + 1 - len(tag), 1), max_size=MAX_TAG + 8 - len(tag)))
    if kind == "lead":
        return draw(st.sampled_from(".-")) + tag[: MAX_TAG - 1]
    i = draw(st.integers(0, min(len(tag), MAX_TAG - 1)))
    alphabet = FOREIGN_ASCII if kind == "ascii" else FOREIGN_UNICODE
    if kind == "empty":
        return ""
    return (tag[:i] + draw(st.sampled_from(alphabet)) + tag[i:])[:MAX_TAG]


def invalid_tags(url_safe: bool = False) -> st.SearchStrategy[str]:
    return near_miss_tags(url_safe).filter(lambda t: not is_valid_tag(t))


@st.composite
def near_miss_digests(draw: st.DrawFn) -> str:
    algorithm = draw(st.sampled_from(sorted(DIGEST_LENGTHS)))
    length = DIGEST_LENGTHS[algorithm]
    good = draw(st.text(HEX, min_size=length, max_size=length))
    return draw(st.sampled_from([
        f"{algorithm}:{good[:-1]}",  # one short
        f"{algorithm}:{good}0",  # one long
        f"{algorithm}:{good.upper()}" if any(c.isalpha() for c in good) else f"{algorithm}:{good[:-1]}G",
        f"md5:{good[:32]}",  # an algorithm nobody registered
        f"{'sha512' if algorithm == 'sha256' else 'sha256'}:{good}",  # the other algorithm's length
        f"{algorithm.upper()}:{good}",
        good,  # no algorithm
        f"{algorithm}:",
        f"{algorithm}:{good[:10]}+{good[11:]}",
    ]))


@st.composite
def near_miss_references(draw: st.DrawFn) -> str:
    """A canonical reference with one part broken (path, tag, digest, domain or a separator)."""
    valid = draw(canonical_references())
    domain, _, rest = valid.partition("/")
    kind = draw(st.sampled_from(["path", "tag", "digest", "domain", "separator"]))
    if kind == "path":
        return f"{domain}/{draw(near_miss_paths())}"
    if kind == "tag":
        return f"{domain}/{draw(paths())}:{draw(near_miss_tags())}"
    if kind == "digest":
        return f"{domain}/{draw(paths())}@{draw(near_miss_digests())}"
    if kind == "domain":
        bad = draw(st.sampled_from(
            ["-host.com", "host-.com", "ho_st.com", "host.com:port", "[::g]", "host..com", "[::1"]
        ))
        return f"{bad}/{rest}"
    return valid + draw(st.sampled_from(["@", ":", "/", "//x", "@@", ":@"]))


# -- manifests ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MutatedManifest:
    """A manifest body broken one way; `must_reject` when the spec leaves a registry no choice."""

    label: str
    body: bytes
    content_type: str
    must_reject: bool


def _json(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


@st.composite
def structure_mutations(draw: st.DrawFn, body: bytes, content_type: str) -> MutatedManifest:
    """Broken JSON and broken structure: wrong mediaType, missing, extra or mistyped fields."""
    doc = json.loads(body)
    kind = draw(st.sampled_from(
        ["truncate", "not-object", "schema-version", "drop", "extra", "retype", "media-type", "annotations"]
    ))
    if kind == "truncate":
        cut = draw(st.integers(0, len(body) - 1))
        return MutatedManifest(f"invalid JSON (cut at byte {cut})", body[:cut], content_type, True)
    if kind == "not-object":
        value = draw(st.sampled_from([[], None, "manifest", 2, [doc]]))
        return MutatedManifest(f"JSON {type(value).__name__}, not an object", _json(value), content_type, True)
    if kind == "schema-version":
        version = draw(st.sampled_from([0, 1, 3, -2, "2", 2.5, None, 2**63]))
        body = _json({**doc, "schemaVersion": version})
        return MutatedManifest(f"schemaVersion {version!r}", body, content_type, True)
    if kind == "drop":
        key = draw(st.sampled_from(sorted(doc)))
        rest = {k: v for k, v in doc.items() if k != key}
        # Without config the manifest is no image manifest; the others are optional or arguable.
        return MutatedManifest(f"without {key!r}", _json(rest), content_type, key in ("config", "schemaVersion"))
    if kind == "extra":
        key = draw(st.text("abcdefghijklmnopqrstuvwxyzXYZ", min_size=1, max_size=12).filter(lambda k: k not in doc))
        value = draw(st.one_of(st.integers(), st.text(max_size=20), st.lists(st.booleans(), max_size=3)))
        # Unknown fields must be ignored (image-spec), so this one must be accepted or refused cleanly.
        return MutatedManifest(f"extra field {key!r}", _json({**doc, key: value}), content_type, False)
    if kind == "retype":
        key = draw(st.sampled_from(["config", "layers"]))
        value = draw(st.sampled_from(["x", 1, True, {}, [1]]))
        if key == "layers" and value == {}:
            value = "x"
        return MutatedManifest(f"{key} as {value!r}", _json({**doc, key: value}), content_type, True)
    if kind == "media-type":
        other = draw(st.sampled_from([
            "application/vnd.docker.distribution.manifest.v2+json", "application/vnd.oci.image.index.v1+json",
            "application/json", "text/plain", "application/vnd.oci.image.manifest.v1+json; charset=utf-8",
        ]).filter(lambda t: t != content_type))
        return MutatedManifest(f"Content-Type {other!r} for a {doc.get('mediaType')} body", body, other, False)
    size = draw(st.sampled_from([1, 1000, 100_000, 1_000_000]))
    annotations = {"org.regsuite.fuzz": "x" * size}
    body = _json({**doc, "annotations": annotations})
    return MutatedManifest(f"annotation of {size} bytes", body, content_type, False)


@st.composite
def descriptor_mutations(draw: st.DrawFn, body: bytes, content_type: str) -> MutatedManifest:
    """Broken descriptors: unknown or malformed digests, wrong sizes, wrong descriptor types."""
    doc = json.loads(body)
    where = draw(st.sampled_from(["config"] + [f"layers[{i}]" for i in range(len(doc.get("layers", [])))]))
    descriptor = dict(doc["config"] if where == "config" else doc["layers"][int(where[7:-1])])
    kind = draw(st.sampled_from(["unknown", "malformed", "size", "negative-size", "no-digest", "no-size", "size-type"]))
    must_reject = True
    if kind == "unknown":
        descriptor["digest"] = draw(sha256_digests())
    elif kind == "malformed":
        descriptor["digest"] = draw(near_miss_digests())
    elif kind == "size":
        descriptor["size"] = descriptor["size"] + draw(st.sampled_from([-1, 1, 1000, 2**40]))
        must_reject = False  # the spec does not oblige a registry to compare sizes
    elif kind == "negative-size":
        descriptor["size"] = draw(st.integers(-(2**63), -1))
        must_reject = False  # nonsense, but still a size the spec does not oblige a registry to check
    elif kind == "size-type":
        descriptor["size"] = draw(st.sampled_from(["12", 1.5, None, [1]]))
        must_reject = descriptor["size"] is not None  # null reads as "no size", which a registry may accept
    else:
        descriptor.pop("digest" if kind == "no-digest" else "size")
        must_reject = kind == "no-digest"
    if where == "config":
        doc = {**doc, "config": descriptor}
    else:
        layers = list(doc["layers"])
        layers[int(where[7:-1])] = descriptor
        doc = {**doc, "layers": layers}
    return MutatedManifest(f"{where}: {kind} ({descriptor.get('digest')!r}, size {descriptor.get('size')!r})",
                           _json(doc), content_type, must_reject)
