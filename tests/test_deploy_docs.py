"""The deployment files in docs/deploy: well-formed YAML, and commands regsuite accepts and that fit together.

The Kubernetes manifests and the compose files are documentation people copy:
they must parse, run `regsuite load --master` (or `regsuite capacity
--master`) once and `regsuite worker` as many times as the master expects,
point the workers at the master's service and port, and use one image for all.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest
import yaml

from regsuite.cli import build_parser, parse

DEPLOY = Path(__file__).resolve().parent.parent / "docs" / "deploy"


def regsuite_args(command: list[str]) -> argparse.Namespace:
    """The command as regsuite parses it (a usage error raises SystemExit)."""
    assert command[0] == "regsuite", command
    return parse(build_parser(), command[1:])


def by_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


KUBERNETES = {"kubernetes.yaml": "load", "capacity-kubernetes.yaml": "capacity"}
COMPOSE = {"compose.yaml": "load", "capacity-compose.yaml": "capacity"}


@pytest.mark.parametrize("name, command", KUBERNETES.items())
def test_kubernetes_master_job_and_worker_deployment_fit_together(name: str, command: str) -> None:
    docs = list(yaml.safe_load_all((DEPLOY / name).read_text()))
    assert all(isinstance(d, dict) and d.get("apiVersion") and d.get("kind") and d["metadata"]["name"] for d in docs)
    [job], [deployment], [service] = by_kind(docs, "Job"), by_kind(docs, "Deployment"), by_kind(docs, "Service")
    [master_container] = job["spec"]["template"]["spec"]["containers"]
    [worker_container] = deployment["spec"]["template"]["spec"]["containers"]
    assert master_container["image"] == worker_container["image"]

    master = regsuite_args(master_container["command"])
    worker = regsuite_args(worker_container["command"])
    assert master.command == command and master.master and worker.command == "worker"
    assert master.expect_workers == deployment["spec"]["replicas"]
    assert 1 <= getattr(master, "min_workers", 1) <= master.expect_workers
    if command == "capacity":  # the registry's own view, and a search that ends before the Job's deadline
        assert master.metrics_url and master.max_seconds < job["spec"]["activeDeadlineSeconds"]
    assert worker.master_host == service["metadata"]["name"]
    [port] = service["spec"]["ports"]
    assert worker.master_port == master.master_bind_port == port["port"] == port["targetPort"]
    # The service and the network policy select the master's pod; only workers may reach its port.
    assert service["spec"]["selector"] == job["spec"]["template"]["metadata"]["labels"]
    [policy] = by_kind(docs, "NetworkPolicy")
    assert policy["spec"]["podSelector"]["matchLabels"] == job["spec"]["template"]["metadata"]["labels"]
    assert policy["spec"]["ingress"][0]["from"][0]["podSelector"]["matchLabels"] == \
        deployment["spec"]["template"]["metadata"]["labels"]
    # Credentials reach the master from a Secret, never the workers, never a command line.
    env = {e["name"]: e for e in master_container.get("env", [])}
    assert "secretKeyRef" in env["REGSUITE_PASSWORD"]["valueFrom"]
    assert "env" not in worker_container
    assert not any("password" in str(arg).lower() for arg in master_container["command"])


@pytest.mark.parametrize("name, command", COMPOSE.items())
def test_compose_master_and_workers_fit_together(name: str, command: str) -> None:
    doc = yaml.safe_load((DEPLOY / name).read_text())
    master_service, worker_service = doc["services"]["master"], doc["services"]["worker"]
    assert master_service["image"] == worker_service["image"]
    master = regsuite_args(master_service["command"])
    worker = regsuite_args(worker_service["command"])
    assert master.command == command and master.master and worker.command == "worker"
    assert worker.master_host == "master" and worker.master_port == master.master_bind_port
    assert master.expect_workers == worker_service["deploy"]["replicas"]
    assert "environment" not in worker_service and "volumes" not in worker_service


def test_one_image_from_the_installed_package() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "pip install" in dockerfile and "regsuite-*.whl" in dockerfile
    images = {yaml.safe_load((DEPLOY / name).read_text())["services"]["master"]["image"] for name in COMPOSE}
    images |= {c["image"] for name in KUBERNETES for d in yaml.safe_load_all((DEPLOY / name).read_text())
               if d["kind"] in ("Job", "Deployment") for c in d["spec"]["template"]["spec"]["containers"]}
    assert len(images) == 1
    [image] = images
    assert f"-t {image} " in dockerfile
