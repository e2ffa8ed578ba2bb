"""Store schema 7: the attribute rows (``merchant_id``, ``source``, severity error and its code) kept beside the
events, so ``coco compare`` reads no record - written with each file, gone with it, migrated from the records of
an older store, and read from the records by a reader of a store not migrated yet."""

from __future__ import annotations

import duckdb

from cocoevents.core.listings import Filters
from cocoevents.core.options import Options
from cocoevents.producers.registry import severity
from cocoevents.sources.local import LocalSource
from cocoevents.store import schema as sql
from cocoevents.store.loader import load

from ..support.cli import run_coco, write_lines
from ..support.compare import SINCE, UNTIL
from ..support.stores import schema_of

COLUMNS = "event, ts, delivery_id, robot_id, pilot_id, demand_id, offer_id, merchant_id, source, error_code, is_error"
ODD = [  # what a record can hold where an attribute is expected
    {"event": "offer.received", "timestamp": "2026-11-25T10:00:00Z", "offer_id": "O-1", "merchant_id": "M-1", "source": "uber"},
    {"event": "demand.created", "timestamp": "2026-11-25T10:00:01Z", "offer_id": "O-1", "demand_id": "DM-1", "merchant_id": 17},
    {"event": "robot.state_changed", "timestamp": "2026-11-25T10:00:02Z", "robot_id": "R-1", "level": "FATAL"},
    {"event": "robot.note", "timestamp": "2026-11-25T10:00:03Z", "robot_id": "R-1", "error": {"code": 42, "message": "m"}},
    {"event": "robot.note", "timestamp": "2026-11-25T10:00:04Z", "robot_id": "R-1", "error": "just text"},
    {"event": "robot.note", "timestamp": "2026-11-25T10:00:05Z", "robot_id": "R-1", "error": None, "level": "warn"},
    {"event": "trip.failed", "timestamp": "2026-11-25T10:00:06Z", "delivery_id": "D-1", "source": ""},
    {"event": "delivery.failed", "timestamp": "2026-11-25T10:00:07Z", "delivery_id": "D-1", "error": {"code": "LID", "message": "x"}},
    {"event": "delivery.note", "timestamp": "not a time", "delivery_id": "D-1", "merchant_id": "M-untimed"},
]


def attributes(store) -> list[tuple]:  # type: ignore[no-untyped-def]
    con = duckdb.connect(str(store), read_only=True)
    try:
        return con.execute(f"SELECT {COLUMNS} FROM attributes ORDER BY ts, event").fetchall()
    finally:
        con.close()


def test_a_load_keeps_the_attribute_rows_as_the_timeline_reads_the_records(tmp_path) -> None:
    store = tmp_path / "s.duckdb"
    load(store, [write_lines(tmp_path / "a" / "dt=2026-11-25" / "a.jsonl", ODD)])
    got = {(r[0], r[1].strftime("%S")): r[7:] for r in attributes(store)}
    assert got == {
        ("offer.received", "00"): ("M-1", "uber", None, False),
        ("robot.state_changed", "02"): (None, None, None, True),  # level fatal
        ("robot.note", "03"): (None, None, "42", True),  # a numeric code, as str() reads it
        ("robot.note", "04"): (None, None, None, True),  # an error that is not an object: no code
        ("trip.failed", "06"): (None, None, None, True),
        ("delivery.failed", "07"): (None, None, "LID", True),
    }  # a numeric merchant_id, an empty source, a null error and the untimed row have none
    kept = {(r[0], r[1].strftime("%S")): r[-1] for r in attributes(store)}
    for record in ODD[:-1]:  # every timed record: kept when it has an attribute, its severity as the timeline's
        is_error = severity(record["event"], record) == "error"
        has = is_error or isinstance(record.get("merchant_id"), str) or bool(record.get("source"))
        assert kept.get((record["event"], record["timestamp"][17:19])) == (is_error if has else None)


def test_removing_a_file_removes_its_attribute_rows(tmp_path) -> None:
    store = tmp_path / "s.duckdb"
    first = write_lines(tmp_path / "a" / "dt=2026-11-25" / "a.jsonl", ODD[:4])
    second = write_lines(tmp_path / "a" / "dt=2026-11-25" / "b.jsonl", ODD[4:])
    load(store, [first, second])
    assert len(attributes(store)) == 6
    shown = run_coco("store", "remove", str(second), "--store", str(store))
    assert shown.code == 0, shown.err
    assert [r[0] for r in attributes(store)] == ["offer.received", "robot.state_changed", "robot.note"]


def test_a_store_of_schema_6_is_compared_from_its_records_and_migrated_by_the_next_load(demo_store, tmp_path) -> None:
    import shutil

    store = tmp_path / "old.duckdb"
    shutil.copyfile(demo_store, store)
    kept = attributes(store)
    source = LocalSource(store)
    expected = [source.compare_counts(SINCE, UNTIL, f, Options()) for f in (Filters(), Filters(merchant="M-123"))]
    source.close()
    con = duckdb.connect(str(store))  # as schema 6 left it: no attributes table
    con.execute("DROP TABLE attributes")
    con.execute("UPDATE meta SET value = '6' WHERE key = 'schema'")
    con.close()
    source = LocalSource(store)
    try:
        assert not source.kept_attributes
        assert [source.compare_counts(SINCE, UNTIL, f, Options()) for f in (Filters(), Filters(merchant="M-123"))] == expected
    finally:
        source.close()
    late = write_lines(tmp_path / "late" / "dt=2026-11-26" / "late.jsonl", [{"event": "robot.parked", "timestamp": "2026-11-26T01:00:00Z"}])
    assert run_coco("load", str(late), "--store", str(store)).code == 0  # a writer migrates it
    assert schema_of(store) == str(sql.SCHEMA_VERSION)
    assert attributes(store) == kept
