"""The local store as a file: its schema version, what it refuses to open, and how it fails (issues 8 and 9)."""

from __future__ import annotations

import duckdb

from cocoevents.archive import classify
from cocoevents.store import connection as store_connection
from cocoevents.store import loader as local
from cocoevents.store import schema as sql

from ..support.cli import write_lines

T = "2026-11-25T10:00:00Z"
REC = {"event": "trip.started", "delivery_id": "D1", "timestamp": T}

SCHEMA_1 = """
CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR);
INSERT INTO meta VALUES ('schema', '1');
CREATE SEQUENCE file_ids START 1;
CREATE TABLE files (file_id BIGINT PRIMARY KEY, sha256 VARCHAR NOT NULL UNIQUE, path VARCHAR NOT NULL,
    bytes BIGINT NOT NULL, events BIGINT NOT NULL, bad_lines BIGINT NOT NULL, damage VARCHAR,
    loaded_at TIMESTAMP NOT NULL);
CREATE TABLE events (event VARCHAR, ts TIMESTAMP, delivery_id VARCHAR, robot_id VARCHAR, pilot_id VARCHAR,
    demand_id VARCHAR, offer_id VARCHAR, record VARCHAR, file_id BIGINT NOT NULL);
INSERT INTO files VALUES (nextval('file_ids'), 'abc', '/old/a.log', 10, 1, 0, NULL, now());
INSERT INTO events VALUES ('trip.started', TIMESTAMP '2026-11-24 08:00:00', 'D0', NULL, NULL, NULL, NULL,
    '{"event": "trip.started", "delivery_id": "D0", "timestamp": "2026-11-24T08:00:00Z"}', 1);
"""


def _make(path, script):
    con = duckdb.connect(str(path))
    con.execute(script)
    con.close()


def _bytes(path):
    return path.read_bytes() if path.exists() else None


def test_a_store_written_by_a_newer_coco_is_refused_with_exit_4_and_one_line_saying_what_to_do(coco, tmp_path):
    store = tmp_path / "new.duckdb"
    f = write_lines(tmp_path / "a.log", [REC])
    assert coco("load", str(f), "--store", str(store)).code == 0
    con = duckdb.connect(str(store))
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema'", [str(sql.SCHEMA_VERSION + 1)])
    con.close()
    before = _bytes(store)
    for args in (("load", str(write_lines(tmp_path / "b.log", [REC, REC]))), ("timeline", "D1")):
        r = coco(*args, "--store", str(store))
        assert r.code == 4, r.err
        assert "newer coco" in r.err and "upgrade coco" in r.err and r.err.count("\n") == 1
    assert _bytes(store) == before


def test_a_store_of_schema_1_is_migrated_by_the_next_load_and_keeps_its_events(coco, tmp_path):
    store = tmp_path / "old.duckdb"
    _make(store, SCHEMA_1)
    assert coco("timeline", "D0", "--store", str(store), "-f", "json").code == 0  # readable as it is
    r = coco("load", str(write_lines(tmp_path / "a.log", [REC])), "--store", str(store))
    assert r.code == 0, r.err
    con = duckdb.connect(str(store), read_only=True)
    try:
        assert con.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == (str(sql.SCHEMA_VERSION),)
        rows = con.execute("SELECT path, first_ts::VARCHAR, last_ts::VARCHAR FROM files ORDER BY file_id").fetchall()
        # a reader of a current store takes its tables from sql.TABLES instead of the catalog: they are these
        assert store_connection.store_tables(con) - {"fleet_baseline"} == sql.TABLES
    finally:
        con.close()
    assert rows[0] == ("/old/a.log", "2026-11-24 08:00:00", "2026-11-24 08:00:00")
    assert rows[1][1] == rows[1][2] == "2026-11-25 10:00:00"
    assert coco("timeline", "D0", "--store", str(store), "-f", "json").json()["summary"]["events"] == 1
    assert coco("timeline", "D1", "--store", str(store), "-f", "json").json()["summary"]["events"] == 1


def test_a_foreign_duckdb_file_with_its_own_events_table_is_refused_before_anything_is_written(coco, tmp_path):
    store = tmp_path / "theirs.duckdb"
    _make(store, "CREATE TABLE events (id INTEGER, what VARCHAR); INSERT INTO events VALUES (1, 'theirs');")
    before = _bytes(store)
    f = write_lines(tmp_path / "a.log", [REC])
    for args in (("load", str(f)), ("timeline", "D1")):
        r = coco(*args, "--store", str(store))
        assert r.code == 4 and "not a coco store" in r.err and r.err.count("\n") == 1, r.err
    assert _bytes(store) == before
    assert not store.with_name(store.name + ".wal").exists()


SCHEMA_2_INDEXES = """
ALTER TABLE files ADD COLUMN first_ts TIMESTAMP;
ALTER TABLE files ADD COLUMN last_ts TIMESTAMP;
UPDATE meta SET value = '2' WHERE key = 'schema';
CREATE INDEX events_delivery ON events (delivery_id);
CREATE INDEX events_robot ON events (robot_id);
CREATE INDEX events_pilot ON events (pilot_id);
CREATE INDEX events_demand ON events (demand_id);
CREATE INDEX events_offer ON events (offer_id);
"""


def test_a_store_of_schema_2_with_id_indexes_reads_as_it_is_and_after_the_next_load_gives_the_same_timelines(coco, tmp_path):
    from cocoevents.devtools import generator

    archive = tmp_path / "archive"
    generator.main([str(archive), "--events", "3000"])
    store = tmp_path / "old.duckdb"
    # a schema-2 store: the schema-1 tables, the files' time ranges and the five ART indexes, holding the archive
    _make(store, SCHEMA_1 + SCHEMA_2_INDEXES)
    con = duckdb.connect(str(store))
    con.execute(classify.MACROS)
    for path in sorted(archive.rglob("*.log.gz")):
        (n,) = con.execute("SELECT nextval('file_ids')").fetchone()  # as a load numbers files
        con.execute("INSERT INTO files VALUES (?, ?, ?, 1, 0, 0, NULL, now(), NULL, NULL)", [n, f"sha{n}", str(path)])
        con.execute("CREATE OR REPLACE TEMP TABLE batch_files AS SELECT ?::BIGINT AS file_id, ? AS path", [n, str(path)])
        con.execute(classify.classify_insert(classify.csv_lines(1 << 20), "events", line_bytes=False), {"paths": [str(path)]})
    con.execute("DELETE FROM events WHERE event IS NULL")
    delivery, robot = con.execute(
        "SELECT delivery_id, robot_id FROM events WHERE event = 'trip.started' ORDER BY ts LIMIT 1 OFFSET 20"
    ).fetchone()
    from cocoevents.store.baseline import rebuild

    rebuild(con)  # as the load that filled it did (findings then compare alike)
    con.close()
    asks = [("D0",), (delivery,), (robot, "--since", "2026-11-25T00:00:00Z", "--until", "2026-11-26T00:00:00Z")]
    before = [coco("timeline", *a, "--store", str(store), "-f", "json").out for a in asks]
    assert all(before) and '"events"' in before[1]
    assert coco("load", str(write_lines(tmp_path / "a.log", [REC])), "--store", str(store)).code == 0  # migrates
    con = duckdb.connect(str(store), read_only=True)
    try:
        assert con.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == (str(sql.SCHEMA_VERSION),)
        assert con.execute("SELECT count(*) FROM duckdb_indexes()").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM keys WHERE id = ? AND kind = 'delivery'", [delivery]).fetchone()[0] > 5
    finally:
        con.close()
    assert [coco("timeline", *a, "--store", str(store), "-f", "json").out for a in asks] == before
    # schema 5's status tables were filled from the events, and schema 6's kept statuses built by the load's end:
    # each delivery's status as its events give it, all three ways
    from cocoevents.core import listings as fleet
    from cocoevents.sources.local import LocalSource
    from cocoevents.store import statuses

    local = LocalSource(store)
    try:
        ids = [r[0] for r in local.con.execute("SELECT DISTINCT delivery_id FROM events WHERE delivery_id IS NOT NULL").fetchall()]
        kept = statuses.read(local.con, ids)
        assert kept == local.linked_statuses(ids)
        local.statused = False  # the same source, the generic way: the closures' events
        assert kept == fleet.statuses(local, ids) and len(kept) == len(ids) > 20
    finally:
        local.close()


def test_a_load_of_several_batches_leaves_its_keys_one_sorted_run_that_finds_every_id_of_every_event(tmp_path, monkeypatch):
    from cocoevents.devtools import generator

    archive = tmp_path / "archive"
    generator.main([str(archive), "--events", "6000"])
    monkeypatch.setenv("COCO_BATCH_MB", "0.3")  # several batches
    monkeypatch.setattr(local, "MERGE_KEYS", 2000)  # and several merge transactions
    store = tmp_path / "s.duckdb"
    report = local.load(store, [archive])
    assert report.events > 5000
    con = duckdb.connect(str(store), read_only=True)
    try:
        ids = con.execute("SELECT id FROM keys ORDER BY rowid").fetchall()
        expected = sorted(
            con.execute(
                " UNION ALL ".join(
                    [f"SELECT {k}_id, '{k}', seq FROM events WHERE {k}_id IS NOT NULL" for k in sql.KINDS]
                    + [
                        f"SELECT {k}_id, '{k}_assignment', seq FROM events WHERE {k}_id IS NOT NULL AND event IN "
                        "('pilot.assignment_started', 'pilot.assignment_ended')"
                        for k in ("robot", "pilot")
                    ]
                )
            ).fetchall()
        )
        assert {k for _, k, _ in expected} > {"robot_assignment", "pilot_assignment"}
        assert sorted(con.execute("SELECT id, kind, seq FROM keys").fetchall()) == expected
        assert ids == sorted(ids) and len(expected) > report.events  # one run, in id order
    finally:
        con.close()


def test_a_replaced_or_removed_file_takes_its_keys_with_it(tmp_path):
    from cocoevents.store import removal as store_removal

    store = tmp_path / "s.duckdb"
    f = write_lines(tmp_path / "a.log", [REC])
    local.load(store, [f])
    write_lines(tmp_path / "a.log", [{**REC, "delivery_id": "D2", "robot_id": "R-2"}])  # changed under its path
    assert local.load(store, [f]).replaced == 1

    def keys():
        con = duckdb.connect(str(store), read_only=True)
        try:
            return sorted(con.execute("SELECT id, kind FROM keys").fetchall())
        finally:
            con.close()

    assert keys() == [("D2", "delivery"), ("R-2", "robot")]
    store_removal.remove_files(store, file=str(f))
    assert keys() == []
