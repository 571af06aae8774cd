"""Self-tests of the replay: a real access log from a distribution registry, replayed against a fresh one.

The log comes from driving an embedded distribution (access log on, `log.level: info`) with a known
mix (regsuite.testing.traffic). Its replay at 1× and 2× must keep the mix within 5 points of the log's
and the achieved rate within 10 % of the intended, and the replay's registry must never see a name,
tag or digest of the log. Bad logs get one line and their own exit code. The rest are the pieces:
formats, windows, names, synthetic content, ordering, bounded memory.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from regsuite import flows
from regsuite.errors import ExitCode, LogEmpty, LogFormatUnknown, LogMalformed, LogWindowEmpty, UsageError
from regsuite.load.cpu import GENERATOR_LIMIT, MACHINE_LIMIT, REGISTRY_LIMIT, limit
from regsuite.load.profiles import Profile
from regsuite.load.runner import LoadOptions
from regsuite.providers import ProcessProvider, RegistryConfig
from regsuite.replay.content import blob, manifest
from regsuite.replay.logformat import COMBINED, DIST_JSON, DIST_TEXT, LogLines, Record, detect, go_duration
from regsuite.replay.names import Names
from regsuite.replay.operations import Op
from regsuite.replay.plan import Plan
from regsuite.replay.run import ReplayResult, ReplaySpec, read_log, run_replay
from regsuite.replay.schedule import HORIZON, read_schedule, write_schedule
from regsuite.replay.survey import survey
from regsuite.replay.window import parse_window
from regsuite.target import Target
from regsuite.testing.faultproxy import Mutation
from regsuite.testing.traffic import Traffic, drive

ROOT = Path(__file__).resolve().parent.parent
ACCESS_LOG = RegistryConfig(extra={"log": {"accesslog": {"disabled": False}, "level": "info"}})


# -- a real log, replayed ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Traffic]]:
    """distribution's standard output (both record kinds) after a known mix: ~12 s at 8 operations/s."""
    path = tmp_path_factory.mktemp("recorded") / "registry.log"
    provider = ProcessProvider(ACCESS_LOG)
    with provider as target:
        traffic = drive(target, seconds=12, rate=8)
        path.write_text(provider.log())
    yield path, traffic


def combined_only(source: Path, dest: Path) -> Path:
    """The log's combined access lines alone, gzip'd: what nginx in front of a registry writes."""
    with gzip.open(dest, "wt") as out:
        out.writelines(line for line in source.open() if not line.startswith(("time=", "{")))
    return dest


def replay(target: Target, log: Path, tmp_path: Path, name: str, **spec: object) -> ReplayResult:
    options = LoadOptions(target=target, profile=Profile("replay"), report_dir=tmp_path, run_name=name)
    return run_replay(options, ReplaySpec(log, **spec))  # type: ignore[arg-type]


def test_survey_counts_what_the_traffic_sent(recorded: tuple[Path, Traffic]) -> None:
    path, traffic = recorded
    found = read_log(ReplaySpec(path))
    assert found.fmt == DIST_TEXT, "the `response completed` lines are preferred over the access lines beside them"
    assert found.skipped["not registry API (health checks, /debug, /metrics, ...)"] == traffic.not_api
    # The loop's operations, plus the set-up (pushes of 6 images: a blob HEAD and upload per blob, a PUT each).
    for op in ("manifest-get", "blob-get", "tags-list", "catalog", "delete-manifest"):
        assert found.ops[op] == traffic.ops[op], op
    # The set-up pushed 6 images of 3 blobs each (a HEAD and an upload per blob) and their manifests.
    assert found.ops["manifest-head"] == traffic.ops["manifest-head"]
    assert found.ops["blob-head"] == traffic.ops["blob-head"] + 18
    assert found.ops["upload"] == traffic.ops["upload"] + 18
    assert found.ops["manifest-put"] == traffic.ops["manifest-put"] + 6
    combined = read_log(ReplaySpec(combined_only(path, path.with_name("combined.log.gz"))))
    assert combined.fmt == COMBINED and combined.ops == found.ops, "both records of the log tell the same story"


def test_replay_at_1x_and_2x_keeps_the_mix_and_the_rate_with_synthetic_names_only(
        recorded: tuple[Path, Traffic], tmp_path: Path) -> None:
    path, traffic = recorded
    combined = combined_only(path, tmp_path / "combined.log.gz")
    provider = ProcessProvider(ACCESS_LOG)
    with provider as target:
        runs = [replay(target, path, tmp_path, "x1", speed=1.0),
                replay(target, combined, tmp_path, "x2", speed=2.0)]  # one-second times, spread over each second
        registry_log = provider.log()

    for result, speed in zip(runs, (1.0, 2.0), strict=True):
        fidelity = result.fidelity
        assert fidelity is not None and result.load.exit_code == 0, result.load.verdict()
        assert fidelity.speed == speed and fidelity.log_total >= 100
        assert fidelity.replayed_total >= 0.95 * fidelity.log_total, (fidelity.replayed_total, fidelity.log_total)
        for op in fidelity.ops:
            assert abs(op.share_gap(fidelity.log_total, fidelity.replayed_total)) <= 0.05, op
            assert op.failures == 0, op
        assert fidelity.achieved_rate == pytest.approx(fidelity.intended_rate, rel=0.10), fidelity.lines()
        log_rate = fidelity.log_total / fidelity.log_seconds
        assert fidelity.intended_rate == pytest.approx(log_rate * speed, rel=0.15), "the speed factor was not applied"
        summary = json.loads((result.load.run_dir / "summary.json").read_text())
        assert summary["replay"]["ops"] and "Replay fidelity" in (result.load.run_dir / "summary.html").read_text()

    seen = [name for name in traffic.names if name in registry_log]
    assert not seen, f"the replay's registry saw names of the log: {seen[:5]}"
    assert "regsuite-load/x1/r" in registry_log and "regsuite-load/x2/r" in registry_log
    for result in runs:  # nor does any report of the run hold them
        for path_ in result.load.run_dir.iterdir():
            text = gzip.decompress(path_.read_bytes()).decode() if path_.suffix == ".gz" else path_.read_text()
            assert not [n for n in traffic.names if n in text], path_.name


def test_workers_share_the_replay(recorded: tuple[Path, Traffic], shared_distribution: Target, tmp_path: Path) -> None:
    path, _ = recorded
    options = LoadOptions(target=shared_distribution, profile=Profile("replay"), report_dir=tmp_path,
                          run_name="workers", workers=2)
    result = run_replay(options, ReplaySpec(path, speed=2.0, seconds=4.0))
    fidelity = result.fidelity
    assert fidelity is not None and result.load.exit_code == 0, result.load.verdict()
    assert fidelity.replayed_total == fidelity.log_total > 0, fidelity.lines()
    generator = result.load.generator
    assert generator is not None and len(generator.workers) == 2
    assert all(w.arrival.started > 0 for w in generator.workers), "the master dealt every worker a share"


def test_a_replay_that_cannot_keep_up_says_so(recorded: tuple[Path, Traffic], fault_proxy, tmp_path: Path) -> None:
    path, _ = recorded
    slow = fault_proxy(Mutation("slow registry", delay=0.3))
    target = Target(slow.url)
    result = replay(target, path, tmp_path, "slow", speed=2.0, seconds=4.0, max_users=1, users=1)
    fidelity = result.fidelity
    assert fidelity is not None and not fidelity.kept_up
    assert fidelity.limited_by in (REGISTRY_LIMIT, MACHINE_LIMIT, GENERATOR_LIMIT)
    assert fidelity.lateness_ms["p95"] > 1000, fidelity.lateness_ms
    assert "could not keep up with the log at 2x" in " ".join(fidelity.lines())
    assert "The replay could not keep up." in (result.load.run_dir / "summary.html").read_text()


def test_capacity_search_reports_the_highest_multiple_of_the_traffic_held(
        recorded: tuple[Path, Traffic], fault_proxy, tmp_path: Path) -> None:
    # 0.1 s on every request and at most 2 users: about 16 operations/s can be held (an upload is two
    # requests), whatever the machine does. The log runs at about 11/s: 1x holds, 2x cannot.
    from regsuite.capacity.report import knee_line
    from regsuite.capacity.search import BEHIND, CapacityOptions, SearchPlan, search
    from regsuite.load.profiles import Slo

    path, _ = recorded
    slow = fault_proxy(Mutation("slow registry", delay=0.1))
    plan = SearchPlan(model="replay", max_users=2, step_seconds=6, max_speed=2, refine=1, max_seconds=300)
    options = CapacityOptions(target=Target(slow.url), profile=Profile("replay", slo=Slo(max_error_rate=0.01)),
                              plan=plan, report_dir=tmp_path, run_name="cap", replay=ReplaySpec(path))
    result = search(options)
    knee = result.knee
    assert knee is not None and knee.speed in (1.0, 1.5), [(s.speed, s.verdict, s.achieved_rate, s.rate)
                                                            for s in result.steps]
    assert result.stop_reason == BEHIND and any(s.speed == 2.0 and s.verdict == BEHIND for s in result.steps)
    line = knee_line(result)
    assert line.startswith(f"holds {knee.speed:g}x the traffic of 20") and "operations/s" in line, line
    assert knee.replayed and knee.lateness_p95_ms is not None


def test_limit_follows_the_capacity_rule() -> None:
    assert limit(True, 99.0) == GENERATOR_LIMIT
    assert limit(False, 95.0) == MACHINE_LIMIT
    assert limit(False, 40.0) == REGISTRY_LIMIT


# -- bad logs: one line, their own exit code -----------------------------------------------------------

GOOD = ('127.0.0.1 - - [01/Dec/2026:10:00:{s:02d} +0000] "GET /v2/payroll/ledger/manifests/stable-prod HTTP/1.1" '
        '200 527 "" "docker"\n')


@pytest.mark.parametrize("content, code, words", [
    ("", ExitCode.LOG_EMPTY, "holds no request"),
    ("this is not a log\nnor this\n", ExitCode.LOG_FORMAT_UNKNOWN, "line 1 matches no access-log format"),
    (GOOD.format(s=1) + "garbage in the middle\n" + GOOD.format(s=2), ExitCode.LOG_MALFORMED,
     "line 2 is not a line of the log's format"),
    ('127.0.0.1 - - [01/Dec/2026:10:00:01 +0000] "GET /debug/health HTTP/1.1" 200 2 "" "probe"\n',
     ExitCode.LOG_EMPTY, "no registry operation"),
])
def test_bad_logs_are_one_line_and_a_distinct_exit_code(tmp_path: Path, content: str, code: ExitCode,
                                                        words: str) -> None:
    log = tmp_path / "access.log"
    log.write_text(content)
    for argv in (["replay-stats", str(log)], ["load", "--replay", str(log)], ["capacity", "--replay", str(log)]):
        proc = subprocess.run([sys.executable, "-m", "regsuite.cli", *argv], capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL, cwd=tmp_path)
        assert proc.returncode == int(code), proc.stdout + proc.stderr
        assert proc.stderr.strip().count("\n") == 0 and words in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stdout + proc.stderr
        assert "embedded registry" not in proc.stdout, "a bad log must fail before a registry is started"


def test_a_window_selecting_nothing_names_the_logs_range(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_text("".join(GOOD.format(s=s) for s in range(5)))
    proc = subprocess.run([sys.executable, "-m", "regsuite.cli", "replay-stats", str(log), "--window",
                           "2026-12-02T00:00..2026-12-02T01:00"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == ExitCode.LOG_WINDOW_EMPTY, proc.stderr
    assert "selects no registry request" in proc.stderr and "2026-12-01 10:00:00 UTC" in proc.stderr
    assert proc.stderr.strip().count("\n") == 0


def test_skip_malformed_counts_and_goes_on(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_text(GOOD.format(s=1) + "truncated li" + "\n" + GOOD.format(s=2))
    with pytest.raises(LogMalformed, match="line 2"):
        survey(LogLines(log), parse_window(None))
    found = survey(LogLines(log, skip_malformed=True), parse_window(None))
    assert found.requests == 2 and found.skipped["malformed line (--skip-malformed)"] == 1


def test_replay_stats_prints_rate_mix_sizes_and_hot_images_without_names(tmp_path: Path) -> None:
    lines = [GOOD.format(s=s % 60) for s in range(30)]
    lines += ['10.1.2.3 - - [01/Dec/2026:10:00:40 +0000] "GET /v2/payroll/ledger/blobs/sha256:' + "a" * 64
              + ' HTTP/1.1" 200 1048576 "-" "docker"\n']
    log = tmp_path / "access.log.gz"
    log.write_bytes(gzip.compress("".join(lines).encode()))
    proc = subprocess.run([sys.executable, "-m", "regsuite.cli", "replay-stats", str(log)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for part in ("combined access log", "rate over time", "operation mix", "manifest-get", "blob GET",
                 "1.0 MiB", "hot images", "96.8%"):
        assert part in out, part
    for secret in ("payroll", "ledger", "10.1.2.3", "a" * 64, "stable-prod"):
        assert secret not in out, secret
    doc = json.loads(subprocess.run([sys.executable, "-m", "regsuite.cli", "replay-stats", str(log), "--format",
                                     "json"], capture_output=True, text=True, timeout=60).stdout)
    assert doc["operations"] == 31 and doc["ops"] == {"manifest-get": 30, "blob-get": 1}


# -- the pieces -------------------------------------------------------------------------------------


def test_each_format_reads_its_lines(tmp_path: Path) -> None:
    text = ('time="2026-12-07T15:49:41.357474312Z" level=info msg="response completed" http.request.method=GET '
            'http.request.remoteaddr="127.0.0.1:1" http.request.uri="/v2/a/b/blobs/sha256:00?x=1" '
            'http.response.duration=1.5s http.response.status=200 http.response.written=2048\n')
    as_json = json.dumps({"http.request.method": "HEAD", "http.request.uri": "/v2/a/manifests/v1",
                          "http.response.duration": "250ms", "http.response.status": 404,
                          "http.response.written": 96, "level": "error", "msg": "response completed with error",
                          "time": "2026-12-07T16:49:41.5+01:00"}) + "\n"
    nginx = '10.0.0.1 - alice [07/Dec/2026:15:49:41 -0100] "PUT /v2/a/manifests/v1 HTTP/2.0" 201 0 "-" "x" 0.2\n'
    for content, fmt in ((text, DIST_TEXT), (as_json, DIST_JSON), (nginx, COMBINED)):
        log = tmp_path / f"{fmt}.log"
        log.write_text(content)
        assert detect(log) == fmt
        (record,) = [r for r in LogLines(log) if isinstance(r, Record)]
        assert record.line == 1
        if fmt == DIST_TEXT:
            assert record.start == pytest.approx(1796658581.357474312 - 1.5) and record.written == 2048
            assert record.uri == "/v2/a/b/blobs/sha256:00?x=1" and not record.coarse
        elif fmt == DIST_JSON:
            assert record.start == pytest.approx(1796658581.25) and record.status == 404
        else:
            assert record.start == 1796658581 + 3600 and record.coarse and record.method == "PUT"
    assert go_duration("1m2.5s") == 62.5 and go_duration("850ns") == pytest.approx(8.5e-7)
    assert go_duration("12µs") == pytest.approx(1.2e-5) and go_duration("soon") is None


def test_windows_parse_and_refuse() -> None:
    window = parse_window("2026-12-01T10:00..2026-12-01T11:00:30+01:00")
    assert window.resolve(0.0) == (1796119200.0, 1796119200.0 + 30.0)
    assert parse_window("+10m..").resolve(1000.0) == (1600.0, float("inf"))
    assert parse_window("..+90s").resolve(1000.0, seconds=30) == (1000.0, 1030.0)
    for bad in ("10:00..11:00", "+5m", "+10m..+5m", "yesterday..today"):
        with pytest.raises(UsageError):
            parse_window(bad)


def test_names_are_stable_in_a_run_and_keep_depth() -> None:
    a, b = Names(b"k" * 32, "ns/run"), Names(b"j" * 32, "ns/run")
    assert a.repo("team/app") == a.repo("team/app") != b.repo("team/app")
    assert a.repo("team/app").startswith("ns/run/r") and a.repo("team/app").count("/") == 3
    assert a.repo("team/app").rsplit("/", 1)[0] == a.repo("team/lib").rsplit("/", 1)[0], "neighbours stay neighbours"
    assert "team" not in a.repo("team/app") and a.tag("latest") != "latest" and a.tag("v1") != a.tag("v2")


def test_synthetic_blobs_have_their_digest_whatever_the_size() -> None:
    import hashlib

    for size in (0, 5, 32, 33, 65_536 + 40, 262_144 + 32, 3_000_001):
        made = blob(bytes(range(32)), size)
        data = made.bytes()
        assert len(data) == size and made.digest == f"sha256:{hashlib.sha256(data).hexdigest()}", size
        body, read = made.body(), b""
        while chunk := body.read(8192):
            read += bytes(chunk)
        assert read == data
    assert blob(b"a" * 32, 1000).digest != blob(b"b" * 32, 1000).digest
    assert len(manifest("x", 2000)) == 2000 and json.loads(manifest("x", 2000))["layers"] == []


def _log(tmp_path: Path, lines: list[str]) -> LogLines:
    log = tmp_path / "crafted.log"
    log.write_text("".join(lines))
    return LogLines(log)


def _line(second: int, method: str, path: str, status: int = 200, sent: int = 0) -> str:
    return f'10.0.0.9 - - [01/Dec/2026:10:{second // 60:02d}:{second % 60:02d} +0000] "{method} {path} HTTP/1.1" ' \
           f'{status} {sent} "" "client"\n'


def test_uploads_are_whole_operations_and_reads_before_writes_are_seeded(tmp_path: Path) -> None:
    digest, other = "sha256:" + "1" * 64, "sha256:" + "2" * 64
    log = _log(tmp_path, [
        _line(0, "GET", f"/v2/corp/base-img/blobs/{other}", 200, 5000),  # read, never written: seeded
        _line(0, "HEAD", "/v2/corp/base-img/manifests/stable-prod"),  # read, never written: seeded
        _line(1, "POST", "/v2/payroll/ledger/blobs/uploads/", 202),
        _line(1, "PATCH", "/v2/payroll/ledger/blobs/uploads/u-1?_state=x", 202),
        _line(1, "PATCH", "/v2/payroll/ledger/blobs/uploads/u-1?_state=y", 202),
        _line(2, "PUT", f"/v2/payroll/ledger/blobs/uploads/u-1?_state=z&digest={digest}", 201),
        _line(2, "PUT", "/v2/payroll/ledger/manifests/v2-rc", 201),
        _line(3, "GET", "/v2/payroll/ledger/manifests/v2-rc", 200, 800),  # written before: not seeded
        _line(3, "GET", f"/v2/payroll/ledger/blobs/{digest}", 200, 3_000_000),  # gives the upload its size
        _line(4, "PATCH", "/v2/payroll/ledger/blobs/uploads/u-9?_state=q", 202),  # its POST is not in the log
        _line(4, "GET", "/v2/payroll/ledger/tags/list?n=10&last=v1-old", 200, 40),
        _line(5, "DELETE", "/v2/payroll/ledger/manifests/v1-old", 405),  # refused: not replayed
        _line(5, "GET", "/v2/payroll/ledger/manifests/v2-rc", 401),  # a challenge: the replay answers its own
    ])
    found = survey(log, parse_window(None))
    inv = found.inventory
    assert found.ops == {Op.BLOB_GET: 2, Op.MANIFEST_HEAD: 1, Op.UPLOAD: 1, Op.MANIFEST_PUT: 1,
                         Op.MANIFEST_GET: 1, Op.TAGS: 1}
    (upload,) = inv.uploads.values()
    assert upload.digest == digest and upload.patches == 2 and found.upload_sizes.count == 1
    assert set(inv.seed_blobs) == {("corp/base-img", other)}
    assert set(inv.seed_manifests) == {("corp/base-img", "stable-prod")}
    assert found.skipped["upload step whose POST is not in the window"] == 1
    assert found.skipped["refused in the log (4xx other than 404)"] == 1
    assert found.skipped["auth challenge (401): the replay answers its own"] == 1

    names = Names(b"k" * 32, "ns/run")
    plan = Plan(found, names)
    seeds = plan.seeds()
    assert seeds.blobs[0].blob.size == 5000 and seeds.manifests[0].reference == names.tag("stable-prod")
    assert set(seeds.configs) == {names.repo("corp/base-img"), names.repo("payroll/ledger")}
    summary = write_schedule(log, parse_window(None), plan, tmp_path / "s.jsonl.gz")
    entries = list(read_schedule(tmp_path / "s.jsonl.gz"))
    assert summary.operations == len(entries) == 7
    up = next(e for e in entries if e.op == "upload")
    assert up.size == 3_000_000 and up.extra and up.extra["method"] == flows.CHUNKED
    assert up.extra["chunk"] == 1_500_000 and up.ref == plan.blob(digest).digest
    tags = next(e for e in entries if e.op == "tags-list")
    assert tags.extra == {"n": 10, "last": names.tag("v1-old")}
    text = gzip.decompress((tmp_path / "s.jsonl.gz").read_bytes()).decode()
    for real in ("corp", "base-img", "payroll", "ledger", "stable-prod", "v2-rc", "v1-old", "1" * 64, "2" * 64,
                 "10.0.0.9"):
        assert real not in text, real


def test_schedule_is_in_start_order_and_spreads_one_second_times(tmp_path: Path) -> None:
    lines = [_line(s, "GET", "/v2/a/manifests/t", 200, 10) for s in (0, 0, 0, 0, 2, 1, 1)]
    lines.append(_line(int(HORIZON) + 30, "GET", "/v2/a/manifests/t", 200, 10))
    lines.append(_line(1, "GET", "/v2/a/manifests/t", 200, 10))  # written long after it started
    log = _log(tmp_path, lines)
    found = survey(log, parse_window(None))
    summary = write_schedule(log, parse_window(None), Plan(found, Names(b"k" * 32, "ns")), tmp_path / "s.gz")
    times = [e.at for e in read_schedule(tmp_path / "s.gz")]
    assert times[:7] == [0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0]
    assert times == sorted(times) and summary.reordered == 1


def test_survey_memory_does_not_grow_with_the_log(tmp_path: Path) -> None:
    """A log is streamed: peak memory for 15 000 lines is what 3 000 need (few distinct images)."""

    def peak(lines: int) -> int:
        log = tmp_path / f"big-{lines}.log.gz"
        with gzip.open(log, "wt") as f:
            for i in range(lines):
                f.write(_line(i // 50, "GET", f"/v2/team/app{i % 5}/manifests/v{i % 7}", 200, 500))
        tracemalloc.start()
        found = survey(LogLines(log), parse_window(None))
        write_schedule(LogLines(log), parse_window(None), Plan(found, Names(b"k" * 32, "ns")), tmp_path / "s.gz")
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert found.requests == lines
        return top

    small, large = peak(3_000), peak(15_000)
    assert large < 1.5 * small + (2 << 20), (small, large)


def test_speed_and_budget_shape_the_run(tmp_path: Path) -> None:
    from regsuite.replay.run import replay_profile

    log = _log(tmp_path, [_line(s, "GET", "/v2/a/manifests/t", 200, 10) for s in range(0, 40, 2)])
    found = survey(log, parse_window(None))
    profile = replay_profile(ReplaySpec(log.path, speed=4.0, max_users=7), found)
    shape = profile.shape
    assert shape.kind == "replay" and shape.speed == 4.0 and shape.duration == pytest.approx(38 / 4 + 1.0)
    assert shape.max_users == 7 and profile.max_requests >= 20 and profile.slo.max_error_rate == 0.01
    assert replace(ReplaySpec(log.path), seconds=5.0, speed=3.0).log_seconds == 15.0
    with pytest.raises(LogWindowEmpty):
        read_log(ReplaySpec(log.path, window=parse_window("+100s..")))
    with pytest.raises((LogFormatUnknown, LogEmpty)):
        read_log(ReplaySpec(_log(tmp_path, ["\n"]).path))


def test_seeding_pushes_mounts_and_chunks(shared_distribution: Target) -> None:
    from regsuite.client import RegistryClient
    from regsuite.replay.content import CONFIG
    from regsuite.replay.plan import SeedBlob, SeedManifest, Seeds
    from regsuite.replay.seed import CHUNK, seed

    big, small = blob(b"b" * 32, CHUNK + 12_345), blob(b"s" * 32, 2_000)
    first, second = "regsuite-replay-test/seed/ra", "regsuite-replay-test/seed/rb"
    body = manifest("seeded", 700)
    seeds = Seeds(blobs=[SeedBlob(first, big), SeedBlob(first, small), SeedBlob(second, small)],
                  manifests=[SeedManifest(first, "tseeded", body)], configs=[first])
    report = seed(shared_distribution, seeds)
    assert (report.blobs, report.manifests) == (3, 1) and report.bytes == big.size + 2 * small.size + 700
    with RegistryClient(shared_distribution) as client:
        for repo, made in ((first, big), (first, small), (second, small), (first, CONFIG)):
            got = client.head_blob(repo, made.digest)
            assert got.status_code == 200 and int(got.headers["content-length"]) == made.size, (repo, made.size)
        got = client.get_manifest(first, "tseeded")
        assert got.status_code == 200 and got.content == body
