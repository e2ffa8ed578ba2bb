"""Big inputs: memory stays bounded, nothing is lost silently, the table says when it is cut."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..support.cli import write_lines
from ..support.peak import run_coco_with_peak


def coco_measured(status_file: Path, *args: str) -> tuple[int, str, str, int]:
    """Run coco in a fresh process; exit code, stdout, stderr and its own peak RSS in MiB."""
    proc, peak = run_coco_with_peak(status_file, *args)
    return proc.returncode, proc.stdout, proc.stderr, peak // 2**20


def test_a_single_5_mb_record_loads_whole(coco, tmp_path, store):
    big = {
        "event": "robot.state_changed",
        "robot_id": "R-1",
        "delivery_id": "D1",
        "timestamp": "2026-11-25T10:00:00Z",
        "blob": "y" * (5 * 1024 * 1024),
    }
    f = write_lines(tmp_path / "a.log.gz", [big, {"event": "robot.parked", "delivery_id": "D1", "timestamp": "2026-11-25T10:01:00Z"}])
    r = coco("load", "--store", str(store), "--json", str(f))
    assert r.json()["events"] == 2 and r.json()["bad_lines"] == 0
    t = coco("timeline", "D1", "--store", str(store), "--format", "json")
    assert t.code == 0
    assert [e["payload"].get("blob") == big["blob"] for e in t.json()["events"]] == [True, False]


@pytest.mark.slow
def test_a_100_mb_line_without_a_newline_is_a_bad_line_and_memory_stays_bounded(tmp_path):
    f = tmp_path / "huge.log"
    with open(f, "wb") as fh:
        fh.write(b'{"event":"robot.parked","robot_id":"R-1","timestamp":1795600000}\n')
        fh.write(b'{"event":"robot.parked","blob":"')
        chunk = b"z" * (1 << 20)
        for _ in range(100):
            fh.write(chunk)
    code, out, err, peak_mib = coco_measured(tmp_path / "status", "load", "--store", str(tmp_path / "s.duckdb"), "--json", str(f))
    assert code == 0, err
    summary = json.loads(out)
    assert (summary["events"], summary["bad_lines"]) == (1, 1)
    assert f"{f}:2: line longer than" in summary["bad_line_examples"][0]
    print(f"peak RSS of coco load with a 100 MB line: {peak_mib} MiB")
    assert peak_mib < 1024


@pytest.mark.slow
def test_a_robot_timeline_of_100000_events_is_complete_in_json_and_cut_with_a_note_in_the_table(tmp_path):
    f = tmp_path / "robot.log"
    with open(f, "w") as fh:
        for n in range(100_000):
            fh.write(
                json.dumps({"event": "robot.state_changed", "robot_id": "R-1", "timestamp": 1_795_600_000 + n, "state": "driving"}) + "\n"
            )
    store = str(tmp_path / "s.duckdb")
    code, _, err, _ = coco_measured(tmp_path / "status", "load", "--store", store, str(f))
    assert code == 0, err
    window = ["--since", "2026-11-25T00:00:00Z", "--until", "2026-11-27T00:00:00Z"]
    code, out, err, peak_json = coco_measured(tmp_path / "status", "timeline", "R-1", *window, "--store", store, "--format", "jsonl")
    assert code == 0, err
    assert out.count("\n") == 100_000
    code, out, err, peak_table = coco_measured(
        tmp_path / "status", "timeline", "R-1", *window, "--store", store, "--format", "table", "--no-color"
    )
    assert code == 0, err
    note = (out + err).lower()
    assert "100,000" in note or "100000" in note
    assert "--format" in note and ("json" in note or "csv" in note)
    assert out.count("\n") < 10_000
    print(f"peak RSS: jsonl {peak_json} MiB, table {peak_table} MiB")
    assert max(peak_json, peak_table) < 2048


@pytest.mark.slow
@pytest.mark.parametrize("gz", [False, True])
def test_a_final_unterminated_line_of_128_mib_is_counted_as_a_bad_line(tmp_path, gz):
    import gzip

    f = tmp_path / ("huge.log.gz" if gz else "huge.log")
    with gzip.open(f, "wb", compresslevel=1) if gz else open(f, "wb") as fh:
        fh.write(b'{"event":"robot.parked","robot_id":"R-1","timestamp":1795600000}\n')
        fh.write(b'{"event":"robot.parked","blob":"')
        chunk = b"z" * (1 << 20)
        for _ in range(128):
            fh.write(chunk)
    code, out, err, peak_mib = coco_measured(tmp_path / "status", "load", "--store", str(tmp_path / "s.duckdb"), "--json", str(f))
    assert code == 0, err
    summary = json.loads(out)
    assert (summary["events"], summary["bad_lines"]) == (1, 1)
    assert summary["bad_line_examples"] == [f"{f}:2: line longer than 32 MiB"]
    print(f"peak RSS of coco load with a final 128 MiB line ({'gzip' if gz else 'plain'}): {peak_mib} MiB")
    assert peak_mib < 1024


def _two_members(path, line_mib: int, tail_mib: int) -> int:
    """A gzip of two members (``cat a.gz b.gz``) whose last line, ``line_mib`` MiB without a newline, ends in the
    second member, of ``tail_mib`` MiB: its trailer says that member's size only. The good lines before it."""
    import gzip

    good = b"".join(
        b'{"event":"robot.parked","robot_id":"R-1","timestamp":%d,"pad":"%s"}\n' % (1795600000 + n, b"p" * 100) for n in range(40_000)
    )
    last = b'{"event":"robot.parked","blob":"' + b"z" * (line_mib << 20)
    cut = len(last) - (tail_mib << 20)
    path.write_bytes(gzip.compress(good + last[:cut], 1) + gzip.compress(last[cut:], 1))
    return good.count(b"\n")


def test_a_gzip_of_two_members_whose_last_line_duckdbs_reader_drops_counts_that_line_as_bad(coco, tmp_path, store):
    """DuckDB's reader drops a file's last line longer than its buffer without a word; the loader notices by the
    bytes it staged against what the file decompresses to - which a gzip's trailer does not say for two members
    (nor past 4 GiB, where it wraps). Before: "0 bad lines" and the line gone."""
    f = tmp_path / "two.log.gz"
    good = _two_members(f, line_mib=40, tail_mib=6)
    r = coco("load", "--store", str(store), "--json", str(f))
    assert r.code == 0, r.err
    summary = r.json()
    assert (summary["events"], summary["bad_lines"]) == (good, 1)
    assert summary["bad_line_examples"] == [f"{f}:{good + 1}: line longer than 32 MiB"]
    check = coco("check", str(f))
    assert f"{f}:{good + 1}: line longer than 32 MiB" in check.out + check.err


def test_a_gzips_size_is_counted_over_every_member_and_not_for_a_damaged_file_or_a_bomb(tmp_path):
    import gzip

    from cocoevents.archive.lines import gzip_size

    f = tmp_path / "a.log.gz"
    f.write_bytes(gzip.compress(b"a" * 1000) + gzip.compress(b"b" * 5))
    assert gzip_size(f) == 1005
    f.write_bytes(gzip.compress(b'{"event":"a.b"}\n' * 1000)[:-20])  # cut short
    assert gzip_size(f) is None
    f.write_bytes(gzip.compress(b"\n" * (64 << 20), 9))  # 64 MiB from ~64 KiB: past the expansion limit
    assert gzip_size(f) is None


def test_only_a_gzip_that_may_hold_more_than_one_member_or_wrap_its_size_is_counted_before_a_load(tmp_path):
    """Counting a gzip costs a second decompression of it: a file of one member whose size cannot wrap below the
    bomb limit is taken at its trailer's word; two members, or the member's first bytes anywhere inside (by
    chance in the compressed data too), or a file too big to rule out a wrap, are counted."""
    import gzip

    from cocoevents.archive.lines import expansion_limit
    from cocoevents.store.items import GZIP_MAGIC, single_member

    f = tmp_path / "a.log.gz"
    one = gzip.compress(b'{"event":"robot.parked"}\n' * 1000)
    f.write_bytes(one)
    assert single_member(f, len(one))
    f.write_bytes(one + gzip.compress(b'{"event":"robot.parked"}\n'))
    assert not single_member(f, f.stat().st_size)
    f.write_bytes(one[:20] + GZIP_MAGIC + one[20:])  # the bytes by chance: counted (and found damaged) anyway
    assert not single_member(f, f.stat().st_size)
    big = next(n for n in range(1 << 20, 1 << 40, 1 << 20) if expansion_limit(n) >= 1 << 32)
    f.write_bytes(one)
    assert not single_member(f, big)  # as many compressed bytes as that could be a wrapped size


def test_a_gzip_of_one_member_loads_as_before_with_its_trailers_size(coco, tmp_path, store):
    import gzip

    lines = b"".join(b'{"event":"robot.parked","robot_id":"R-1","timestamp":%d}\n' % (1795600000 + n) for n in range(5000))
    f = tmp_path / "one.log.gz"
    f.write_bytes(gzip.compress(lines + b'{"event":"robot.parked","robot_id":"R-1","timestamp":1795700000}'))  # no final newline
    r = coco("load", "--store", str(store), "--json", str(f))
    assert r.code == 0, r.err
    assert (r.json()["events"], r.json()["bad_lines"]) == (5001, 0)
