"""`regsuite replay-stats LOG`: what an access log holds, before replaying it (docs/load.md).

    regsuite replay-stats access.log.gz [--window START..END] [--top N] [--format json]

Prints the log's rate over time, operation mix, size distribution and hot images (names mapped,
never the log's own), and the lines a replay would leave out, by reason. Nothing is sent anywhere.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..errors import UsageError
from ..replay import stats
from ..replay.logformat import LogLines
from ..replay.survey import survey
from ..replay.window import parse_window

NAME = "replay-stats"
HELP = "an access log's rate over time, operation mix, sizes and hot images, before replaying it"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("log", type=Path, help="access log: combined format, or distribution's `response completed` "
                                          "lines (text or JSON); gzip too")
    p.add_argument("--window", metavar="START..END", help="only this part of the log (as `regsuite load --window`)")
    p.add_argument("--top", type=int, default=10, help="hot images shown (default 10)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--skip-malformed", action="store_true",
                   help="count lines that break the log's format and go on (default: stop at the first)")


def run(args: argparse.Namespace) -> int:
    if args.top < 0:
        raise UsageError("--top takes 0 or more")
    if not args.log.is_file():
        raise UsageError(f"{args.log}: no such file")
    found = survey(LogLines(args.log, skip_malformed=args.skip_malformed), parse_window(args.window))
    if args.format == "json":
        print(json.dumps(stats.to_dict(found, args.top), indent=1))
    else:
        print("\n".join(stats.text(found, args.top)))
    return 0
