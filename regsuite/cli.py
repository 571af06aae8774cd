"""The `regsuite` console command.

Each subcommand is a module in `regsuite.commands` with `NAME`, `HELP`,
`add_arguments(parser)` and `run(args) -> int`; adding a module adds the
subcommand. Errors meant for a person print one line and exit with their
ExitCode, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence
from importlib import metadata
from types import ModuleType
from typing import NoReturn

from . import commands
from .errors import ExitCode, RegsuiteError


def subcommands() -> list[ModuleType]:
    found = [importlib.import_module(f"{commands.__name__}.{m.name}") for m in pkgutil.iter_modules(commands.__path__)]
    return sorted((m for m in found if hasattr(m, "run")), key=lambda m: m.NAME)


class _Parser(argparse.ArgumentParser):
    """argparse with regsuite's usage exit code (4), not argparse's 2 (which means "interrupted" here)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(int(ExitCode.USAGE_ERROR), f"{self.prog}: {message}\n")


def version() -> str:
    try:
        return metadata.version("regsuite")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a tree that was never installed
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="regsuite", description="Conformance and load testing for container registries.")
    parser.add_argument("--version", action="version", version=f"regsuite {version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_Parser)
    for module in subcommands():
        # allow_abbrev off: an abbreviated option must not be taken for one of ours when it is pytest's
        child = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP, allow_abbrev=False)
        module.add_arguments(child)
        child.set_defaults(handler=module.run, passes_through=getattr(module, "PASSES_THROUGH", False))
    return parser


def parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse; a subcommand that passes arguments through (conformance -> pytest) gets the unknown ones."""
    args, unknown = parser.parse_known_args(argv)  # usage errors exit 4 (see _Parser)
    if unknown and not args.passes_through:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    args.passthrough = unknown
    return args


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parse(parser, argv)
    try:
        return int(args.handler(args))
    except RegsuiteError as exc:
        print(f"regsuite: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("regsuite: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        # the reader went away (`regsuite conformance --list-checks | head`): not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return int(ExitCode.OK)


if __name__ == "__main__":
    sys.exit(main())
