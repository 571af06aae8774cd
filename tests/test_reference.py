"""Image references: examples, grammar properties, and differential tests against docker-py and skopeo."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from regsuite import reference_rules, strategies
from regsuite.errors import UsageError
from regsuite.reference import (
    DIGEST,
    DOMAIN,
    DOMAIN_RE,
    PATH,
    REPOSITORY_RE,
    TAG,
    InvalidReference,
    Reference,
    digest_problem,
    format_reference,
    is_domain_component,
    is_valid_repository,
    is_valid_tag,
    normalize,
    parse,
    path_problem,
    tag_problem,
)

SHA = "sha256:" + "a" * 64
# CI runs the same examples every time; REGSUITE_FUZZ_PROFILE=deep explores (nightly).
DEEP = os.environ.get("REGSUITE_FUZZ_PROFILE") == "deep"
PROPERTY = settings(max_examples=3000 if DEEP else 300, derandomize=not DEEP, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


# -- examples ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("ubuntu", "docker.io/library/ubuntu:latest"),
        ("ubuntu:22.04", "docker.io/library/ubuntu:22.04"),
        ("foo/bar", "docker.io/foo/bar:latest"),
        ("docker.io/ubuntu", "docker.io/library/ubuntu:latest"),
        ("index.docker.io/foo/bar:1", "docker.io/foo/bar:1"),
        ("localhost/foo", "localhost/foo:latest"),
        ("localhost:5000/foo/bar:t", "localhost:5000/foo/bar:t"),
        ("[::1]:5000/a", "[::1]:5000/a:latest"),
        ("reg.example.com/a@" + SHA, "reg.example.com/a@" + SHA),
        ("a:t@" + SHA, "docker.io/library/a:t@" + SHA),
        ("a__b-c---d/e.f", "docker.io/a__b-c---d/e.f:latest"),
    ],
)
def test_normalize_examples(text: str, normal: str) -> None:
    assert str(normalize(text)) == normal


@pytest.mark.parametrize(
    ("text", "part", "why"),
    [
        ("", "reference", "empty"),
        ("Foo/bar", "path", "lowercase"),  # Docker's rule: 'Foo' is no host, so it is a path component
        ("foo/_bar", "path", "start with"),
        ("foo-/bar", "path", "end with"),
        ("a___b", "path", "separator"),
        ("a//b", "path", "empty component"),
        ("a/é", "path", "contains"),
        ("a" * 256, "path", "256 characters"),
        ("a:" + "t" * 129, "tag", "129 characters"),
        ("a:.t", "tag", "start with"),
        ("a:", "tag", "empty"),
        ("a@sha256:abc", "digest", "64"),
        ("a@md5:" + "a" * 32, "digest", "md5"),
        ("a@", "digest", "empty"),
        ("my.host:5x/a", "domain", "port"),
        ("-host.com/a", "domain", "DNS name"),
        ("a" * 64, "reference", "64-hex"),
    ],
)
def test_errors_name_the_part_and_the_reason(text: str, part: str, why: str) -> None:
    with pytest.raises(InvalidReference) as info:
        normalize(text)
    assert info.value.part == part
    assert why in str(info.value)
    assert isinstance(info.value, UsageError)  # bad user input: one line, the usage exit code


def test_path_limit_counts_the_path_not_the_host() -> None:
    path = "a" * 255
    assert parse(f"reg.example.com:5000/{path}").path == path
    with pytest.raises(InvalidReference):
        parse(f"reg.example.com/{path}b")


def test_uppercase_first_component_is_a_host_only_when_asked() -> None:
    assert is_domain_component("Foo", uppercase_is_host=True) and not is_domain_component("Foo")
    assert normalize("Foo/bar", uppercase_is_host=True) == Reference("Foo", "bar", "latest")


def test_reference_rules_reexports_the_one_definition() -> None:
    assert reference_rules.REPOSITORY_RE is REPOSITORY_RE
    assert reference_rules.is_valid_repository("a/b") and not reference_rules.is_valid_tag(".x")


# -- properties ---------------------------------------------------------------------------


@PROPERTY
@given(strategies.canonical_references())
def test_format_parse_round_trip(text: str) -> None:
    assert format_reference(parse(text)) == text
    assert str(normalize(text)) == text  # already normal


@PROPERTY
@given(strategies.familiar_references().filter(lambda t: not re.fullmatch("[a-f0-9]{64}", t)))
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(str(once)) == once
    assert once.domain and (once.tag or once.digest)


@PROPERTY
@given(st.one_of(strategies.paths(), strategies.near_miss_paths()))
def test_path_validity_agrees_with_the_regex(path: str) -> None:
    by_regex = bool(REPOSITORY_RE.match(path)) and len(path) <= 255
    assert (path_problem(path) is None) == by_regex == is_valid_repository(path)


@PROPERTY
@given(st.one_of(strategies.tags(), strategies.near_miss_tags()))
def test_tag_validity_agrees_with_the_regex(tag: str) -> None:
    assert (tag_problem(tag) is None) == is_valid_tag(tag) == bool(re.fullmatch(TAG, tag))


@PROPERTY
@given(st.one_of(strategies.digests(), strategies.near_miss_digests()))
def test_digest_validity(digest: str) -> None:
    algorithm, _, encoded = digest.partition(":")
    right_length = (algorithm, len(encoded)) in {("sha256", 64), ("sha512", 128)}
    expected = right_length and bool(re.fullmatch("[a-f0-9]+", encoded))
    assert (digest_problem(digest) is None) == expected


ORACLE = re.compile(rf"^(?:(?P<domain>{DOMAIN})/)?(?P<path>{PATH})(?::{TAG})?(?:@(?P<digest>{DIGEST}))?$")


def oracle_valid(text: str) -> bool:
    """Validity from the whole-reference regex plus the limits a regex cannot say."""
    m = ORACLE.match(text)
    if not m:
        return False
    first, slash, _ = text.partition("/")
    if slash and is_domain_component(first) and not DOMAIN_RE.match(first):
        return False  # a host by Docker's rule, and not a valid one (distribution would read it as a path)
    domain, path = m.group("domain"), m.group("path")
    if domain and not is_domain_component(domain):
        path = f"{domain}/{path}"  # Docker's rule: not a host, so part of the path
    digest = m.group("digest")
    return is_valid_repository(path) and (digest is None or digest_problem(digest) is None)


@PROPERTY
@given(st.one_of(
    strategies.canonical_references(), strategies.near_miss_references(), strategies.familiar_references()
))
@example("Foo/bar")
@example("foo.com/Bar")
@example("localhost:5000/a:b@" + SHA)
def test_parse_agrees_with_the_whole_reference_regex(text: str) -> None:
    try:
        parse(text)
        parsed = True
    except InvalidReference:
        parsed = False
    assert parsed == oracle_valid(text)


# -- differential ------------------------------------------------------------------------------


try:
    from docker import auth as docker_auth
    from docker import utils as docker_utils
except ImportError:  # pragma: no cover - the differential test skips
    docker_auth = docker_utils = None


@pytest.mark.skipif(docker_auth is None, reason="the docker Python package is not installed")
@PROPERTY
@given(strategies.familiar_references().filter(lambda t: not re.fullmatch("[a-f0-9]{64}", t)))
def test_docker_py_agrees_on_host_and_path(text: str) -> None:
    ours = normalize(text)
    repo, tag_or_digest = docker_utils.parse_repository_tag(text)
    index, remote = docker_auth.resolve_repository_name(repo.rsplit(":", 1)[0] if ours.digest and ours.tag else repo)
    assert index == ours.domain
    # docker-py leaves out the "library/" of official images; Docker's engine adds it.
    assert (remote if "/" in remote or index != "docker.io" else "library/" + remote) == ours.path
    assert tag_or_digest == (ours.digest or parse(text).tag)


SKOPEO = shutil.which("skopeo")


def skopeo_accepts(text: str) -> bool | None:
    """skopeo's reference parser via the docker-archive transport (no network, no file needed)."""
    out = subprocess.run(
        [SKOPEO or "skopeo", "inspect", f"docker-archive:/nonexistent-regsuite.tar:{text}"],
        capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL,
    ).stderr
    if "opening file" in out or "does not include a tag" in out:
        return True
    if "parsing reference" in out:
        return False
    return None  # some other complaint: no verdict


@pytest.mark.skipif(SKOPEO is None, reason="skopeo is not installed")
@settings(PROPERTY, max_examples=600 if DEEP else 60,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(st.one_of(
    strategies.familiar_references(), strategies.near_miss_references(), strategies.canonical_references()
))
@example("Foo/bar")
@example("a" * 64)
def test_skopeo_agrees_on_validity(text: str) -> None:
    # skopeo 1.9 counts the host in the 255-character limit (older distribution/reference).
    assume(len("docker.io/library/" + text.partition("@")[0]) <= 255)
    assume("[" not in text)  # IPv6 hosts came to distribution/reference after skopeo 1.9's copy
    first, slash, _ = text.partition("/")
    # 'ho_st.com/x': we call 'ho_st.com' an invalid host; distribution's regex falls back to reading it as a path.
    assume(not (slash and is_domain_component(first) and not DOMAIN_RE.match(first)))
    assume(":" not in text.rpartition("/")[0].partition("/")[2])  # docker-archive splits path:ref at ':' oddly
    verdict = skopeo_accepts(text)
    assume(verdict is not None)
    try:
        normalize(text)
        ours = True
    except InvalidReference:
        ours = False
    assert ours == verdict
