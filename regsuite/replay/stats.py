"""A log's statistics for a planner, before any replay: rate over time, mix, sizes, hot images, skipped lines.

Read from the survey (regsuite.replay.survey). Image names are synthetic, under a key made for the
one call (they differ from call to call): the statistics show the shape of the traffic (one image
takes 40 % of the pulls) without any name of the log.
"""

from __future__ import annotations

import time
from typing import Any

from .names import Names, new_key
from .survey import Sizes, Survey
from .window import span

ROWS = 24  # rows of the rate-over-time table at most
BAR = 40  # characters of its longest bar


def rate_over_time(survey: Survey, rows: int = ROWS) -> tuple[float, list[tuple[float, int, int]]]:
    """(bucket seconds, [(bucket start unix time, operations, busiest second in it)]) over the window."""
    if not survey.per_second:
        return 1.0, []
    low, high = min(survey.per_second), max(survey.per_second)
    width = max(1, -(-(high - low + 1) // rows))
    for nice in (1, 5, 10, 30, 60, 300, 600, 900, 1800, 3600, 7200, 21600, 86400):
        if nice >= width:
            width = nice
            break
    start = low - low % width
    out = []
    for bucket in range(start, high + 1, width):
        seconds = [survey.per_second.get(s, 0) for s in range(bucket, bucket + width)]
        out.append((float(bucket), sum(seconds), max(seconds)))
    return float(width), out


def hot_images(survey: Survey, names: Names, top: int) -> list[tuple[str, int, float]]:
    """(synthetic repository:reference, manifest reads, share of all manifest reads), the most read first."""
    total = sum(survey.images.values())
    out = []
    for (repo, ref), n in survey.images.most_common(top):
        shown = f"sha256:{names.token('digest', ref)}…" if ":" in ref else names.tag(ref)
        out.append((f"{names.repo(repo)}{'@' if ':' in ref else ':'}{shown}", n, n / total if total else 0.0))
    return out


def to_dict(survey: Survey, top: int = 10) -> dict[str, Any]:
    names = Names(new_key(), "")
    width, buckets = rate_over_time(survey)
    seconds = survey.seconds or 1.0
    return {
        "schema": "regsuite.replay-stats/1", "log": survey.path, "format": survey.format, "lines": survey.lines,
        "span": span(survey.first, survey.last), "first": survey.first, "last": survey.last,
        "operations": survey.requests, "mean_per_second": round(survey.requests / seconds, 3),
        "peak_per_second": max(survey.per_second.values(), default=0),
        "rate": {"bucket_seconds": width, "buckets": [{"start": t, "operations": n, "peak_per_second": p}
                                                      for t, n, p in buckets]},
        "ops": dict(survey.ops.most_common()), "statuses": dict(survey.statuses),
        "sizes": {"blob_get": survey.blob_sizes.to_dict(), "manifest_get": survey.manifest_sizes.to_dict(),
                  "upload": survey.upload_sizes.to_dict(), "uploads_of_unknown_size": survey.uploads_unsized},
        "hot_images": [{"image": name, "reads": n, "share": round(share, 4)}
                       for name, n, share in hot_images(survey, names, top)],
        "skipped": dict(survey.skipped.most_common()),
    }


def text(survey: Survey, top: int = 10) -> list[str]:
    doc = to_dict(survey, top)
    out = [f"{survey.path}: {survey.format}, {survey.lines} lines",
           f"window: {doc['span']} ({survey.seconds:.0f} s): {survey.requests} operations, "
           f"{doc['mean_per_second']:.2f}/s mean, {doc['peak_per_second']}/s in the busiest second", "",
           f"rate over time ({_duration(doc['rate']['bucket_seconds'])} buckets; peak: the busiest second in each)"]
    buckets = doc["rate"]["buckets"]
    most = max((b["operations"] for b in buckets), default=1) or 1
    for b in buckets:
        clock = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(b["start"]))
        bar = "#" * round(BAR * b["operations"] / most)
        out.append(f"  {clock}  {b['operations']:>8}  peak {b['peak_per_second']:>5}/s  {bar}")
    out += ["", "operation mix"]
    for op, n in doc["ops"].items():
        out.append(f"  {op:16} {n:>9}  {n / survey.requests:6.1%}")
    statuses = ", ".join(f"{k} {v}" for k, v in sorted(doc["statuses"].items()))
    out += [f"  answers recorded: {statuses}", "", "sizes (bytes)"]
    for label, sizes in (("blob GET", survey.blob_sizes), ("manifest GET", survey.manifest_sizes),
                         ("upload", survey.upload_sizes)):
        out.append(f"  {label:13} {_sizes(sizes)}")
    if survey.uploads_unsized:
        out.append(f"  {survey.uploads_unsized} uploads of blobs the log never sends back: their size is not in the "
                   "log (a replay sends them at the median blob GET, or --upload-size)")
    out += ["", f"hot images (names mapped under a key made for this call; share of {sum(survey.images.values())} "
                "manifest reads)"]
    for row in doc["hot_images"]:
        out.append(f"  {row['reads']:>8}  {row['share']:6.1%}  {row['image']}")
    out += ["", "lines left out"]
    out += [f"  {n:>9}  {reason}" for reason, n in doc["skipped"].items()] or ["  none"]
    return out


def _sizes(s: Sizes) -> str:
    if not s.count:
        return "none"
    return (f"{s.count} of them, {_bytes(s.total)} in all; p50 {_bytes(s.percentile(0.5))}, p90 "
            f"{_bytes(s.percentile(0.9))}, p99 {_bytes(s.percentile(0.99))}, max {_bytes(s.largest)} "
            "(percentiles to the power of two above)")


def _bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def _duration(seconds: float) -> str:
    if seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    return f"{seconds / 60:g} min" if seconds % 60 == 0 else f"{seconds:g} s"
