"""Duplicate JSON keys: one decision, in the line classifier, so every reader agrees.

DuckDB's JSON reader takes a key's first value, Python's the last: a record giving ``event`` twice showed FAILED in
its timeline while ``coco errors`` and ``--status failed`` found nothing, and a record giving ``delivery_id`` twice
vanished from both deliveries' timelines. A record that gives a key coco reads twice (its top level, its ``error``
object, also when spelled with escapes or wrapped in a shipper's ``message``) is a bad line, counted and reported
with its reason; other keys given twice are left alone (coco reads nothing from them).
"""

from __future__ import annotations

import json

from cocoevents.archive import lines as archive

from ..support.cli import run_coco, write_lines

DAY = ("--since", "2026-11-25T00:00Z", "--until", "2026-11-26T00:00Z")


def raw_lines(path, lines: list[str]):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines))
    return path


def test_a_record_giving_event_or_delivery_id_twice_is_a_bad_line_that_every_reader_reports(tmp_path) -> None:
    good = {"event": "delivery.created", "delivery_id": "D1", "timestamp": "2026-11-25T10:00:00Z"}
    lines = [
        json.dumps(good),
        '{"event": "robot.parked", "event": "delivery.failed", "delivery_id": "D1", "timestamp": "2026-11-25T10:05:00Z"}',
        '{"event": "robot.parked", "delivery_id": "D1", "delivery_id": "D2", "timestamp": "2026-11-25T10:06:00Z"}',
        '{"event": "attempt.failed", "delivery_id": "D1", "error": {"code": "A", "code": "B"}, "timestamp": "2026-11-25T10:07:00Z"}',
        '{"\\u0065vent": "robot.parked", "event": "delivery.failed", "delivery_id": "D1", "timestamp": "2026-11-25T10:08:00Z"}',
        '{"event": "robot.parked", "delivery_id": "D1", "note": 1, "note": 2, "timestamp": "2026-11-25T10:09:00Z"}',
    ]
    f = raw_lines(tmp_path / "a.log", lines)
    store = tmp_path / "s.duckdb"
    r = run_coco("load", str(f), "--store", str(store), "--json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["bad_lines"] == 4
    for n, key in ((2, "event"), (3, "delivery_id"), (4, "error.code"), (5, "event")):
        assert f'a.log:{n}: key "{key}" given twice' in r.err
    timeline = run_coco("timeline", "D1", "--store", str(store), "--format", "jsonl")
    assert [json.loads(x)["event"] for x in timeline.out.splitlines()] == ["delivery.created", "robot.parked"]
    assert run_coco("timeline", "D2", "--store", str(store)).code == 3
    assert run_coco("deliveries", *DAY, "--status", "failed", "--store", str(store)).code == 3
    check = run_coco("check", "--json", str(f))
    assert json.loads(check.out)["bad_lines"] == 4
    assert archive.classify(lines[1]) == 'key "event" given twice'
    assert archive.classify(lines[5]) == {**json.loads(lines[5])}


def test_a_shippers_message_giving_event_twice_is_a_bad_line_too() -> None:
    inner = '{"event": "robot.parked", "event": "delivery.failed", "delivery_id": "D1", "timestamp": "2026-11-25T10:05:00Z"}'
    assert archive.classify(json.dumps({"message": inner})) == 'key "event" given twice'
    assert isinstance(archive.classify(json.dumps({"message": inner.replace('"event": "robot.parked", ', "")})), dict)


def test_the_archive_writers_own_records_never_repeat_a_key(tmp_path) -> None:
    records = [
        {"event": "attempt.failed", "delivery_id": f"D{i}", "error": {"code": "X", "message": "m"}, "timestamp": "2026-11-25T10:00:00Z"}
        for i in range(50)
    ]
    scan = archive.scan(write_lines(tmp_path / "a.log", records))
    assert scan.bad == [] and len(scan.records) == 50
