"""Spec section 10: reading archive files; the loader's fast path (DuckDB's CSV reader) and the line reader
(``coco check``, damaged files) split lines alike and feed them to the one SQL classifier."""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import pytest

from cocoevents.archive import lines as archive
from cocoevents.store import connection as store_connection
from cocoevents.store import loader as local
from cocoevents.store import rows as store_rows

from ..support.cli import write_lines

WRAPPED = {"message": json.dumps({"event": "robot.parked", "robot_id": "R-1"}), "source_type": "kubernetes_logs"}


def test_a_record_with_a_string_event_is_itself():
    assert archive.classify(b'{"event": "robot.parked", "robot_id": "R-1"}') == {"event": "robot.parked", "robot_id": "R-1"}


def test_a_shipper_merged_record_keeps_its_own_top_level_event():
    rec = {"event": "robot.parked", "message": json.dumps({"event": "other"}), "kubernetes": {"pod_name": "p"}}
    assert archive.classify(json.dumps(rec))["event"] == "robot.parked"


def test_an_unmerged_shipper_record_is_the_object_in_its_message_text():
    assert archive.classify(json.dumps(WRAPPED)) == {"event": "robot.parked", "robot_id": "R-1"}


def test_an_unmerged_shipper_record_is_the_object_nested_in_its_message():
    assert archive.classify(json.dumps({"message": {"event": "robot.parked"}})) == {"event": "robot.parked"}


@pytest.mark.parametrize(
    "line,reason",
    [
        (b"not json at all", "not JSON"),
        (b'{"event": "a"', "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'"text"', "not a JSON object"),
        (b'{"event": 5}', "no event name"),
        (b'{"event": ""}', "no event name"),
        (b'{"message": "plain text"}', "no event name"),
        (b'{"message": {"event": 1}}', "no event name"),
    ],
)
def test_lines_that_are_not_an_event_object_are_bad_with_a_reason(line, reason):
    assert archive.classify(line) == reason


def test_blank_lines_are_neither_records_nor_bad():
    assert archive.classify(b"   \t") is None


def test_a_truncated_gzip_yields_its_complete_lines_and_names_the_damage(tmp_path):
    data = gzip.compress(b"".join(json.dumps({"event": "a", "n": i}).encode() + b"\n" for i in range(2000)))
    cut = tmp_path / "cut.log.gz"
    cut.write_bytes(data[: len(data) * 2 // 3])
    scan = archive.scan(cut)
    assert 0 < len(scan.records) < 2000
    assert [r["n"] for _, r in scan.records] == list(range(len(scan.records)))
    assert scan.damage and "truncated" in scan.damage
    assert scan.bad == []


def test_garbage_after_a_gzip_stream_is_damage_not_an_exception(tmp_path):
    f = tmp_path / "g.log.gz"
    f.write_bytes(gzip.compress(b'{"event":"a"}\n') + b"garbage")
    scan = archive.scan(f)
    assert len(scan.records) == 1 and scan.damage


def test_concatenated_gzip_members_are_read_as_one_file(tmp_path):
    f = tmp_path / "m.log.gz"
    f.write_bytes(gzip.compress(b'{"event":"a"}\n') + gzip.compress(b'{"event":"b"}\n'))
    assert [r["event"] for _, r in archive.scan(f).records] == ["a", "b"]


def test_bad_lines_carry_file_and_line_number(tmp_path):
    f = write_lines(tmp_path / "x.log", [{"event": "a"}, "junk", {"event": "b"}, "[1]"])
    scan = archive.scan(f)
    assert [str(b) for b in scan.bad] == [f"{f}:2: not JSON", f"{f}:4: not a JSON object"]


def test_a_line_longer_than_the_limit_is_skipped_as_bad_without_being_held(tmp_path):
    f = tmp_path / "long.log"
    f.write_bytes(b'{"event":"a"}\n' + b"x" * 5000 + b'\n{"event":"b"}\n')
    reader = archive.LineReader(f, max_line=1000)
    assert [n for n, _ in reader] == [1, 3]
    assert reader.too_long == [2]


def test_folders_are_searched_recursively_by_suffix_and_missing_paths_reported(tmp_path):
    write_lines(tmp_path / "dt=2026-11-25" / "a.log.gz", [{"event": "a"}])
    write_lines(tmp_path / "dt=2026-11-25" / "b.jsonl", [{"event": "a"}])
    (tmp_path / "dt=2026-11-25" / "notes.txt").write_text("x")
    files, missing = archive.find_files([tmp_path, tmp_path / "nope"])
    assert [f.name for f in files] == ["a.log.gz", "b.jsonl"]
    assert missing == [str(tmp_path / "nope")]


# -- the fast path and the line reader give the SQL classifier the same lines -----------------

LINES = [
    b'{"event":"a"}',
    b'{"event":""}',
    b'{"event":1}',
    b'{"event":null}',
    b"[1]",
    b'"x"',
    b"1",
    b"null",
    b"junk",
    b'{"event":"a"',
    b'{"message":"{\\"event\\":\\"b\\"}"}',
    b'{"message":{"event":"c"}}',
    b'{"message":"  {\\"event\\":\\"b2\\"}"}',
    b'{"message":"\\t{\\"event\\":\\"tab\\"}"}',
    b'{"message":"\\n{\\"event\\":\\"nl\\"}"}',
    b'{"message":"\\u00a0{\\"event\\":\\"nbsp\\"}"}',
    b'{"message":"not json"}',
    b'{"message":"{bad"}',
    b'{"message":{"event":1}}',
    b'{"event":1,"message":{"event":"d"}}',
    b'{"event":"","message":{"event":"e"}}',
    b'{"message":"[1]"}',
    b'{"message":"{\\"message\\":{\\"event\\":\\"deep\\"}}"}',
    b'  {"event":"sp"}  ',
    b"\t",
    b'{"event":"a"} trailing',
    b'{"event":"a"}{"event":"b"}',
    b'{"event":"nul\x00"}',
    b'{"event":"a"}\x00',
    b'{"event":"big","n":1e999}',
    b'{"event":"x","a":"\\ud800"}',
    b'{"event":"x","a":"\\udc00"}',
    b'{"event":"x","a":"\\ud83d\\ude00"}',
    b'{"event":"x","a":"\\\\ud800"}',
    b'{"event":"x"}\r',
    b'{"Event":"case"}',
    b'{"event":"a","message":"{\\"event\\":\\"b\\"}"}',
    b'{"event" : "ws"}',
    b'{"event":"a",}',
    b"{'event':'a'}",
    b'{"event":"t","delivery_id":5}',
    b'{"message":{"event":"m","delivery_id":"D1"},"delivery_id":"D2"}',
    b'{"message":"{\\"event\\":\\"m\\"} junk"}',
    b'{"message":" {\\"event\\":\\"m\\",}"}',
    b'{"event":"n","x":NaN}',
    b'{"event":"n","x":-Infinity}',
    b'{"event":"n","x":nan}',
    b'{"event":"n","x":[inf, -INF]}',
    b'{"event":"n","x":"nan, ]"}',
    b'{"event":"x","t":[1 , ] , }',
    b'{"event":"x","t":+inf}',
    b'\xef\xbb\xbf{"event":"bom"}',
    b'{"event":"bad\xff utf8"}',
    b'\x0c{"event":"x"}',
    b'{"event":"x"}\x1a',
    b'\xc2\xa0{"event":"x"}',
    b'{"event":"deep","a":' + b"[" * 600 + b"]" * 600 + b"}",
]


def _canon(obj) -> str:
    """JSON text to compare records by (NaN compares unequal to itself)."""
    return json.dumps(obj, sort_keys=True, default=str)


def loaded_by_file(tmp_path: Path, files: list[Path]) -> dict[str, list[str]]:
    store = tmp_path / "s.duckdb"
    local.load(store, [str(f) for f in files])
    con = store_connection.connect(store, read_only=True)
    try:
        rows = store_rows.fetch_rows(con, "TRUE", [])
        names = dict(con.execute("SELECT f.path, count(*) FROM events JOIN files f USING (file_id) GROUP BY 1").fetchall())
        by_row = dict(con.execute("SELECT e.rowid, f.path FROM events e JOIN files f USING (file_id)").fetchall())
    finally:
        con.close()
    out: dict[str, list[str]] = {}
    for rowid, _, record in rows:
        out.setdefault(by_row[rowid], []).append(_canon(json.loads(record)))
    assert sum(names.values()) == len(rows)
    return out


@pytest.mark.parametrize("where", ["first", "middle"])
def test_the_fast_loader_classifies_every_line_as_check_and_the_damaged_file_path_do(tmp_path, where):
    files = []
    for i, line in enumerate(LINES):
        f = tmp_path / f"{i:03d}.log"
        # the line alone, or between two good lines (a byte order mark only counts at the file start)
        f.write_bytes(line + b"\n" if where == "first" else b'{"event":"pad"}\n' + line + b'\n{"event":"pad"}\n')
        files.append(f)
    loaded = loaded_by_file(tmp_path, files)
    for f, line in zip(files, LINES):
        scan = archive.scan(f)
        expected = sorted(_canon(r) for _, r in scan.records)
        assert sorted(loaded.get(str(f.resolve()), [])) == expected, line


def test_records_with_nan_or_trailing_commas_are_read_back_as_json_python_reads(tmp_path):
    f = write_lines(tmp_path / "x.log", [b'{"event":"a","x":nan,"y":[1,],}', b'{"event":"b","x":"s: nan, ]"}'])
    loaded = loaded_by_file(tmp_path, [f])
    recs = sorted(loaded[str(f.resolve())])
    assert [json.loads(r)["event"] for r in recs] == ["a", "b"]
    assert json.loads(recs[1])["x"] == "s: nan, ]"
    first = json.loads(recs[0])
    assert isinstance(first["x"], float) and math.isnan(first["x"])
    assert first["y"] == [1]


def test_a_plain_log_file_that_starts_with_gzip_magic_bytes_is_still_read_as_text(tmp_path):
    from cocoevents.archive import lines as archive

    f = tmp_path / "a.log"
    f.write_bytes(b"\x1f\x8b\n" + b'{"event": "trip.started", "timestamp": "2026-11-25T10:00:00Z"}\n')
    scan = archive.scan(f)
    assert [r["event"] for _, r in scan.records] == ["trip.started"]
    assert [b.line for b in scan.bad] == [1] and scan.damage is None


def test_a_text_file_named_like_gzip_is_loaded_as_text(tmp_path, coco):
    f = tmp_path / "dt=2026-11-25" / "a.log.gz"
    f.parent.mkdir()
    f.write_bytes(b'{"event": "trip.started", "timestamp": "2026-11-25T10:00:00Z", "delivery_id": "D1"}\n')
    r = coco("load", str(f), "--store", str(tmp_path / "s.duckdb"), "--json")
    assert (r.code, r.json()["events"], r.json()["files_damaged"]) == (0, 1, 0)


def test_scan_reports_records_whose_timestamp_the_sql_grammar_rejects(tmp_path):
    f = write_lines(
        tmp_path / "t.log",
        [{"event": "a", "timestamp": "2026-11-25T10:00:00Z"}, {"event": "b", "timestamp": "2026-02-30T10:00:00Z"}, {"event": "c"}],
    )
    assert archive.scan(f).unusable_ts == [2, 3]
