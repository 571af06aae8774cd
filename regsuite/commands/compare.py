"""`regsuite compare`: several conformance runs side by side (docs/reports.md).

    regsuite compare BASELINE OTHER... [--label NAME]... [--output DIR] [--badge FILE] [--fail-on-regression]

Each run is a results.json or a report directory holding one; load and
capacity runs (summary.json, capacity.json or their directories) are
recognised by their schema and compared by regsuite.capacity.compare
(docs/capacity.md), `--kind` forces one reading. Writes
DIR/compare.html and DIR/diff.txt and prints the diff. Exit codes: 0; 1 with
--fail-on-regression when a run regressed against the baseline; 4 for
unreadable input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..capacity.compare import detect_kind, run_compare
from ..errors import ExitCode, UsageError
from ..report.badge import badge_svg
from ..report.compare import compare_text, diffs, render_compare, run_label
from ..report.writer import write_text
from ..results import RunResults

NAME = "compare"
HELP = ("compare conformance runs (results.json): a checks x runs page, a diff of regressions and improvements, "
        "a badge; or load and capacity runs: their figures side by side, regressions flagged")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("runs", nargs="+", type=Path,
                   help="results.json files or report directories; the first is the baseline")
    p.add_argument("--label", action="append", default=[],
                   help="a name per run, in order (default: target URL and start time)")
    p.add_argument("--output", "-o", type=Path, default=Path("reports/compare"),
                   help="where compare.html and diff.txt go")
    p.add_argument("--badge", type=Path, help="also write an SVG badge (passed/total) of the last run here")
    p.add_argument("--fail-on-regression", action="store_true", help="exit 1 when a run regressed against the baseline")
    p.add_argument("--kind", choices=("auto", "conformance", "load", "capacity"), default="auto",
                   help="what the runs are (default: recognised from the first run's files)")
    p.add_argument("--tolerance", type=float, default=0.1,
                   help="load and capacity runs: a change worse than this share counts as a regression (default 0.1)")


def find_results(path: Path) -> Path:
    if path.is_dir():
        for candidate in (path / "results.json", path / "conformance" / "results.json"):
            if candidate.is_file():
                return candidate
        raise UsageError(f"{path}: no results.json in this directory or its conformance/ folder")
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    return path


def load_run(path: Path) -> RunResults:
    found = find_results(path)
    try:
        return RunResults.load(found)
    except (ValueError, KeyError, TypeError) as error:
        raise UsageError(f"{found}: not a regsuite results file ({error})") from None


def run(args: argparse.Namespace) -> int:
    kind = args.kind if args.kind != "auto" else detect_kind(args.runs[0]) or "conformance"
    if kind != "conformance":
        return run_compare(args)
    runs = [load_run(p) for p in args.runs]
    if args.label and len(args.label) != len(runs):
        raise UsageError(f"--label given {len(args.label)} times for {len(runs)} runs: give one per run or none")
    labels = args.label or _unique([run_label(r) for r in runs], args.runs)
    text = compare_text(runs, labels)
    write_text(args.output / "compare.html", render_compare(runs, labels))
    write_text(args.output / "diff.txt", text)
    if args.badge:
        write_text(args.badge, badge_svg(runs[-1]))
    sys.stdout.write(text)
    print(f"wrote {args.output / 'compare.html'} and {args.output / 'diff.txt'}")
    regressed = any(d.regressions for d in diffs(runs, labels))
    return int(ExitCode.CHECKS_FAILED) if regressed and args.fail_on_regression else int(ExitCode.OK)


def _unique(labels: list[str], paths: list[Path]) -> list[str]:
    """Default labels, with the file path added where two runs would look the same."""
    pairs = zip(labels, paths, strict=True)
    return [f"{label} ({path})" if labels.count(label) > 1 else label for label, path in pairs]
