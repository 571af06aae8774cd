"""A command line over the `oras` Python package (oras-py), run as a child process by regsuite.clients.oras.

oras-py has no command of its own and its HTTP calls carry no timeout, so it
runs in a process the caller can kill. Usage:

    python -m regsuite.clients.oras_driver push REF --artifact-type T --file PATH:MEDIATYPE ... [options]
    python -m regsuite.clients.oras_driver pull REF --outdir DIR [options]

Options: --plain-http, --ca PATH, --no-verify, --client-cert CERT KEY,
--auth basic|token, --username U (password on stdin), --authfile PATH.
Prints one JSON line on success; on failure oras' own message on stderr and exit 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

EMPTY_CONFIG_TYPE = "application/vnd.oci.empty.v1+json"


def _registry(args: argparse.Namespace) -> Any:
    import oras.provider

    verify: bool | str = False if args.no_verify else (args.ca or True)
    registry = oras.provider.Registry(
        hostname=args.ref.split("/", 1)[0], insecure=args.plain_http, tls_verify=verify, auth_backend=args.auth
    )
    if args.client_cert:
        registry.session.cert = tuple(args.client_cert)
    if args.username:
        password = sys.stdin.readline().rstrip("\n")
        registry.login(
            args.username, password, hostname=registry.hostname, config_path=args.authfile, tls_verify=bool(verify)
        )
    return registry


def push(args: argparse.Namespace) -> dict[str, Any]:
    registry = _registry(args)
    upload_manifest = registry.upload_manifest

    def with_artifact_type(manifest: dict[str, Any], container: Any) -> Any:
        # oras-py 0.2 writes no artifactType of its own; the manifest it built gets one before upload
        manifest["artifactType"] = args.artifact_type
        return upload_manifest(manifest, container)

    registry.upload_manifest = with_artifact_type
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.json"
        config.write_text("{}")
        response = registry.push(
            target=args.ref,
            files=args.file,
            manifest_config=f"{config}:{EMPTY_CONFIG_TYPE}",
            disable_path_validation=True,
            config_path=args.authfile,
            quiet=True,
        )
    return {"status": response.status_code, "digest": response.headers.get("Docker-Content-Digest")}


def pull(args: argparse.Namespace) -> dict[str, Any]:
    registry = _registry(args)
    files = registry.pull(target=args.ref, outdir=args.outdir, config_path=args.authfile)
    return {"files": [str(f) for f in files]}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="oras_driver")
    p.add_argument("command", choices=("push", "pull"))
    p.add_argument("ref")
    p.add_argument("--artifact-type", default="application/vnd.regsuite.test.v1")
    p.add_argument("--file", action="append", default=[])
    p.add_argument("--outdir")
    p.add_argument("--plain-http", action="store_true")
    p.add_argument("--ca")
    p.add_argument("--no-verify", action="store_true")
    p.add_argument("--client-cert", nargs=2)
    p.add_argument("--auth", choices=("basic", "token"), default="token")
    p.add_argument("--username")
    p.add_argument("--authfile")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        result = push(args) if args.command == "push" else pull(args)
    except Exception as exc:  # noqa: BLE001 - any failure is oras' answer, reported as its message
        print(f"Error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
