"""When a client fails: read the same reference through the API and find the first exchange that is wrong.

The walk stops at the first problem, so the client's transcript ends with
the exchange that explains the client's message.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from ..client import RegistryClient
from ..content import Manifest
from ..digest import digest_of
from ..flows import FlowFailed


def first_problem(
    registry: RegistryClient, repo: str, reference: str, expected_body: bytes | None = None
) -> str | None:
    """Fetch `repo:reference` and every blob and child manifest it names, checking digests and sizes."""
    response = registry.get_manifest(repo, reference)
    where = f"GET /v2/{repo}/manifests/{reference}"
    if response.status_code != 200:
        return f"{where} answered {response.status_code}"
    body = response.content
    actual = digest_of(body)
    header = response.headers.get("docker-content-digest")
    if reference.startswith("sha256:") and actual != reference:
        return f"{where} served a body whose digest is {actual}"
    if header and header != actual:
        return f"{where} served a body whose digest is {actual}, Docker-Content-Digest says {header}"
    if expected_body is not None and body != expected_body:
        return f"{where} served {len(body)} bytes that differ from the {len(expected_body)} bytes pushed"
    try:
        manifest: dict[str, Any] = json.loads(body)
    except ValueError:
        return f"{where} served a body that is not JSON"
    for child in manifest.get("manifests") or []:
        problem = first_problem(registry, repo, str(child.get("digest")))
        if problem:
            return problem
    for desc in [manifest.get("config") or {}, *(manifest.get("layers") or [])]:
        problem = _blob_problem(registry, repo, desc)
        if problem:
            return problem
    return None


def _blob_problem(registry: RegistryClient, repo: str, desc: dict[str, Any]) -> str | None:
    digest = str(desc.get("digest"))
    if not digest.startswith("sha256:"):
        return None  # only sha256 is checked here; the API checks cover other algorithms
    response = registry.get_blob(repo, digest)
    where = f"GET /v2/{repo}/blobs/{digest}"
    if response.status_code != 200:
        return f"{where} answered {response.status_code}"
    actual = digest_of(response.content)
    if actual != digest:
        return f"{where} served content whose digest is {actual}"
    if "size" in desc and len(response.content) != desc["size"]:
        return f"{where} served {len(response.content)} bytes, the descriptor says {desc['size']}"
    return None


def replay_push(registry: RegistryClient, repo: str, manifest: Manifest, tag: str) -> str:
    """After a client's push failed: push equivalent content through the API and say how that went."""
    try:
        registry.push_image(repo, manifest, tag)
    except FlowFailed as exc:
        return f"pushing equivalent content through the API fails too: {exc}"
    except httpx.HTTPError as exc:
        return f"pushing equivalent content through the API fails too: {type(exc).__name__}: {exc}"
    return (
        "pushing equivalent content through the API succeeds, so the difference lies in how the "
        "client talks to the registry"
    )
