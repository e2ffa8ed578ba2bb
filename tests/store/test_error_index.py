"""Store schema 8: the error index (``errors``) - the timed rows of severity error with their records, written with
each file by the loader (batched or streamed), gone with the file (``coco store remove``, a changed file
replaced), migrated from the records of an older store; ``coco errors`` reads it and writes no cache file."""

from __future__ import annotations

import gzip
import json

import duckdb

from cocoevents.producers.registry import severity
from cocoevents.store import schema as sql
from cocoevents.store.loader import load

from ..support.cli import run_coco, write_lines
from ..support.stores import cached_besides_check, schema_of
from .test_attributes import ODD

DAY = ("--since", "2026-11-25T00:00:00Z", "--until", "2026-11-26T00:00:00Z")


def errors(store) -> list[tuple]:  # type: ignore[no-untyped-def]
    con = duckdb.connect(str(store), read_only=True)
    try:
        return con.execute("SELECT event, strftime(ts, '%S'), error_code, record FROM errors ORDER BY ts, event").fetchall()
    finally:
        con.close()


def expected_errors(records: list[dict]) -> list[tuple]:  # type: ignore[type-arg]
    timed = [r for r in records if r["timestamp"][:4] == "2026"]
    return [(r["event"], r["timestamp"][17:19]) for r in timed if severity(r["event"], r) == "error"]


def test_a_load_indexes_the_timed_rows_the_timeline_calls_errors_with_their_codes(tmp_path) -> None:
    store = tmp_path / "s.duckdb"
    load(store, [write_lines(tmp_path / "a" / "dt=2026-11-25" / "a.jsonl", ODD)])
    rows = errors(store)
    assert [(r[0], r[1]) for r in rows] == expected_errors(ODD)
    assert [r[2] for r in rows] == [None, "42", None, None, "LID"]
    assert [json.loads(r[3]) for r in rows] == [r for r in ODD if (r["event"], r["timestamp"][17:19]) in expected_errors(ODD)]


def test_a_streamed_file_is_indexed_as_a_batched_one(tmp_path, monkeypatch) -> None:
    records = [dict(r, robot_id=f"R-{i}") for i in range(3000) for r in ODD]
    plain = tmp_path / "small" / "dt=2026-11-25" / "a.jsonl"
    write_lines(plain, records)
    big = tmp_path / "big" / "dt=2026-11-25" / "a.log.gz"
    big.parent.mkdir(parents=True)
    big.write_bytes(gzip.compress(plain.read_bytes()))
    load(tmp_path / "batched.duckdb", [plain])
    monkeypatch.setenv("COCO_BATCH_MB", "1")  # the file is bigger than a batch: streamed...
    monkeypatch.setattr("cocoevents.store.config.PIECE_MB", 0.05)  # ...in pieces of ~50 kB
    report = load(tmp_path / "streamed.duckdb", [big])
    assert report.count("loaded") == 1
    batched, streamed = errors(tmp_path / "batched.duckdb"), errors(tmp_path / "streamed.duckdb")
    assert len(batched) == 3000 * 5 and sorted(batched) == sorted(streamed)


def test_removing_a_file_removes_its_error_rows_and_coco_errors_follows(tmp_path) -> None:
    store = tmp_path / "s.duckdb"
    first = write_lines(tmp_path / "a" / "dt=2026-11-25" / "a.jsonl", ODD[:4])
    second = write_lines(tmp_path / "a" / "dt=2026-11-25" / "b.jsonl", ODD[4:])
    load(store, [first, second])
    assert len(errors(store)) == 5
    before = run_coco("errors", *DAY, "--by", "event", "-f", "json", "--store", str(store))
    assert before.code == 0 and sum(g["count"] for g in before.json()["groups"]) == 5
    shown = run_coco("store", "remove", str(second), "--store", str(store))
    assert shown.code == 0, shown.err
    assert [(r[0], r[1]) for r in errors(store)] == [("robot.state_changed", "02"), ("robot.note", "03")]
    after = run_coco("errors", *DAY, "--by", "event", "-f", "json", "--store", str(store))
    assert after.code == 0 and {g["event"]: g["count"] for g in after.json()["groups"]} == {"robot.state_changed": 1, "robot.note": 1}


def test_a_store_of_schema_7_answers_from_its_records_and_is_indexed_by_the_next_load(demo_store, tmp_path) -> None:
    import shutil

    store = tmp_path / "old.duckdb"
    shutil.copyfile(demo_store, store)
    kept = errors(store)
    expected = run_coco("errors", "--since", "2026-11-01T00:00Z", "--until", "2026-12-01T00:00Z", "-f", "json", "--store", str(store))
    assert kept and expected.code == 0
    con = duckdb.connect(str(store))  # as schema 7 left it: no error index
    con.execute("DROP TABLE errors")
    con.execute("UPDATE meta SET value = '7' WHERE key = 'schema'")
    con.close()
    old = run_coco("errors", "--since", "2026-11-01T00:00Z", "--until", "2026-12-01T00:00Z", "-f", "json", "--store", str(store))
    assert (old.code, old.err, old.out) == (0, "", expected.out)
    late = write_lines(tmp_path / "late" / "dt=2026-11-26" / "late.jsonl", [{"event": "robot.parked", "timestamp": "2026-11-26T01:00:00Z"}])
    assert run_coco("load", str(late), "--store", str(store)).code == 0  # a writer migrates it
    assert schema_of(store) == str(sql.SCHEMA_VERSION)
    assert sorted(errors(store), key=repr) == sorted(kept, key=repr)


def test_coco_errors_writes_nothing_outside_the_store_so_no_file_can_make_it_lie(tmp_path, monkeypatch) -> None:
    """Hardening III item 9: edited cache files made ``coco errors`` show 500 fake errors and hide the real ones.
    The answer now comes from the store alone: nothing is written under the cache or config folders, and files
    planted where the cache lived change nothing."""
    store = tmp_path / "s.duckdb"
    load(store, [write_lines(tmp_path / "a" / "dt=2026-11-25" / "a.jsonl", ODD)])
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    first = run_coco("errors", *DAY, "--by", "event", "-f", "json", "--store", str(store))
    assert first.code == 0, first.err
    assert cached_besides_check(cache) == []
    planted = cache / "coco" / "errors"
    planted.mkdir(parents=True)
    fake = {"event": "robot.fault", "timestamp": "2026-11-25T10:00:00Z", "error": {"code": "FAKE"}}
    for name in ("s.duckdb.json", "errors.json", "cache.jsonl"):
        (planted / name).write_text(json.dumps([fake] * 500))
    again = run_coco("errors", *DAY, "--by", "event", "-f", "json", "--store", str(store))
    assert again.code == 0 and again.out == first.out
    assert sum(g["count"] for g in first.json()["groups"]) == len(expected_errors(ODD))
