"""The kept per-delivery facts (``store.facts``, schema 9): ``coco compare`` over them gives the counts its statement
works out from the rows, and loads and removals keep them in step with the store's files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from cocoevents.core.options import Options
from cocoevents.core.questions import Filters
from cocoevents.sources.local import LocalSource, _ts
from cocoevents.store import compare_sql as cs
from cocoevents.store import facts
from cocoevents.store import schema as sql
from cocoevents.store.connection import connect
from cocoevents.store.removal import remove_files

from ..support.cli import run_coco, write_lines
from ..support.compare import PLANTS, SINCE, UNTIL, day_store
from ..support.stores import schema_of

FILTERS = [
    Filters(),
    Filters(statuses=("canceled", "failed")),
    Filters(robot="R-110"),
    Filters(pilot="P-101"),
    Filters(merchant="M-150"),
    Filters(merchant="M-123"),
    Filters(error="LID_STUCK"),
    Filters(slow=True),
]


def from_rows(source: LocalSource, filters: Filters, since: int = SINCE, until: int = UNTIL) -> Any:
    """The counts the statement works out from the rows (the kept facts left out)."""
    baseline = source.baseline() if filters.slow else None
    group = cs.group_of(filters, baseline.with_min_samples(Options().baseline_min) if baseline is not None else None)
    statement, params = cs.counts_sql(
        cs.local_dialect(True),
        _ts(since),
        _ts(until),
        _ts(since - cs.READ_BEFORE),
        _ts(until + cs.READ_AFTER),
        Options().assignment_lookback_us,
        group,
    )
    return cs.counts_from_rows(source.con.execute(statement, params).fetchall())


def from_facts(source: LocalSource, filters: Filters, since: int = SINCE, until: int = UNTIL) -> Any:
    """The counts over the kept facts, asserting they are usable for the range."""
    assert facts.usable(source.con, since, until, Options().assignment_lookback_us)
    baseline = source.baseline() if filters.slow else None
    group = cs.group_of(filters, baseline.with_min_samples(Options().baseline_min) if baseline is not None else None)
    rows = facts.counts(source.con, since, until, Options().assignment_lookback_us, group)
    assert rows is not None
    return cs.counts_from_rows(rows)


def assert_same_counts(store: Path, since: int = SINCE, until: int = UNTIL) -> None:
    """Every filter's counts, and the range's deliveries with their first direct rows, the same from the kept
    facts as from the rows."""
    source = LocalSource(store)
    try:
        for f in FILTERS:
            assert from_facts(source, f, since, until) == from_rows(source, f, since, until), f
        kept = facts.active(source.con, since, until)
        source.kept_facts = False  # the rows' answer
        assert kept is not None and sorted(kept) == sorted(source.active_deliveries(since, until))
    finally:
        source.close()


def test_the_kept_facts_give_the_counts_the_rows_give_on_the_demo_day(demo_store):
    source = LocalSource(demo_store)
    try:
        assert source.kept_facts and facts.lookback(source.con) == Options().assignment_lookback_us
        counts = from_facts(source, Filters())
        assert counts.group_n > 0 and counts.others_n > 0 and counts.steps  # the failed deliveries against the fulfilled
    finally:
        source.close()
    assert_same_counts(demo_store)


@pytest.mark.slow
@pytest.mark.parametrize("plant", ["robot", "step"])
def test_the_kept_facts_give_the_counts_the_rows_give_on_a_fleet_day(tmp_path, plant):
    store = day_store(tmp_path, 7, PLANTS[plant], deliveries=400)
    assert_same_counts(store)
    source = LocalSource(store)
    try:
        assert source.compare_counts(SINCE, UNTIL, Filters(), Options()) == from_rows(source, Filters())
    finally:
        source.close()


def kept(store: Path) -> tuple[Any, ...]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return facts.named(con)
    finally:
        con.close()


def test_a_load_and_a_removal_keep_the_facts_in_step_with_the_files(story, tmp_path):
    before = kept(story)
    nov26 = 1_764_115_200_000_000  # 2026-11-26T00:00:00Z
    late = [
        {"event": "delivery.created", "delivery_id": "D-LATE", "timestamp": "2026-11-26T10:00:00Z"},
        {"event": "delivery.robot_assigned", "delivery_id": "D-LATE", "robot_id": "R-9", "timestamp": "2026-11-26T10:01:00Z"},
        {"event": "delivery.failed", "delivery_id": "D-LATE", "robot_id": "R-9", "timestamp": "2026-11-26T10:30:00Z"},
    ]
    file = write_lines(tmp_path / "late" / "dt=2026-11-26" / "late.jsonl", late)
    assert run_coco("load", str(file), "--store", str(story)).code == 0
    after = kept(story)
    assert [r[0] for r in after[0] if r[0] == "D-LATE"] == ["D-LATE"] and after != before
    assert ("D-LATE", "robot", "R-9") in after[1]
    assert_same_counts(story, nov26, nov26 + 86_400_000_000)
    remove_files(story, file=str(file))
    assert kept(story) == before
    assert_same_counts(story)


def test_a_reader_of_facts_out_of_date_works_the_counts_out_from_the_rows(story):
    source = LocalSource(story)
    expected = [source.compare_counts(SINCE, UNTIL, f, Options()) for f in FILTERS]
    source.close()
    con = duckdb.connect(str(story))
    con.execute(sql.STATUSES_INVALIDATE)  # as a load under way leaves them
    con.execute("DELETE FROM delivery_steps")  # and wrong: never read while out of date
    con.close()
    source = LocalSource(story)
    try:
        assert facts.lookback(source.con) is None
        assert not facts.usable(source.con, SINCE, UNTIL, Options().assignment_lookback_us)
        assert [source.compare_counts(SINCE, UNTIL, f, Options()) for f in FILTERS] == expected
    finally:
        source.close()


def test_a_range_whose_deliveries_reach_beyond_the_rows_compare_reads_is_worked_out_from_the_rows(story, tmp_path):
    long = [  # a delivery that failed two days after it started: compare over its first day reads only half a day after
        {"event": "delivery.created", "delivery_id": "D-LONG", "timestamp": "2026-11-25T10:00:00Z"},
        {"event": "delivery.robot_assigned", "delivery_id": "D-LONG", "robot_id": "R-9", "timestamp": "2026-11-25T10:01:00Z"},
        {"event": "delivery.failed", "delivery_id": "D-LONG", "robot_id": "R-9", "timestamp": "2026-11-27T10:30:00Z"},
    ]
    assert run_coco("load", str(write_lines(tmp_path / "long" / "a.jsonl", long)), "--store", str(story)).code == 0
    source = LocalSource(story)
    try:
        lookback = Options().assignment_lookback_us
        assert facts.lookback(source.con) == lookback
        assert not facts.usable(source.con, SINCE, UNTIL, lookback)
        two_days = UNTIL + 86_400_000_000  # its every row read: then the facts are usable
        assert facts.usable(source.con, SINCE, two_days, lookback)
        assert_same_counts(story, SINCE, two_days)
        assert not facts.usable(source.con, SINCE, two_days, lookback + 1)  # another lookback than theirs
        for f in FILTERS:
            assert source.compare_counts(SINCE, UNTIL, f, Options()) == from_rows(source, f)
        # the kept facts say it failed; the rows of the first day and the half day after do not know it yet
        assert source.con.execute("SELECT status FROM delivery_facts WHERE delivery_id = 'D-LONG'").fetchone() == ("failed",)
        assert from_rows(source, Filters()).group_n == from_rows(source, Filters(statuses=("failed",))).group_n
    finally:
        source.close()


def test_a_store_of_schema_8_gets_the_facts_tables_and_then_the_facts_with_the_next_load(story, tmp_path):
    expected = kept(story)
    con = duckdb.connect(str(story))
    for table in (*facts.TABLES, *facts.BOOK):
        con.execute(f"DROP TABLE {table}")
    con.execute("DELETE FROM meta WHERE key IN (?, ?, ?)", [facts.FLAG, facts.BASIS, facts.LAST])
    con.execute("UPDATE meta SET value = '8' WHERE key = 'schema'")
    con.close()
    source = LocalSource(story)
    try:
        assert not source.kept_facts
        assert source.compare_counts(SINCE, UNTIL, Filters(), Options()) == from_rows(source, Filters())
    finally:
        source.close()
    empty = write_lines(tmp_path / "none" / "dt=2026-11-27" / "a.jsonl", [{"event": "robot.parked", "timestamp": "2026-11-27T01:00:00Z"}])
    assert run_coco("load", str(empty), "--store", str(story)).code == 0  # a writer migrates it, the load's end works them out
    assert schema_of(story) == str(sql.SCHEMA_VERSION)
    assert kept(story) == expected


def test_a_store_of_schema_9_drops_its_facts_and_its_next_load_works_them_all_out_keyed(story, tmp_path):
    expected = kept(story)
    con = duckdb.connect(str(story))  # the tables as schema 9 kept them: by delivery id and transition names
    for table, sql9 in zip(facts.TABLES, facts.NAMED):
        con.execute(f"CREATE TABLE {table}_9 AS {sql9}")
    for table in (*facts.TABLES, *facts.BOOK):
        con.execute(f"DROP TABLE {table}")
    for table in facts.TABLES:
        con.execute(f"ALTER TABLE {table}_9 RENAME TO {table}")
    con.execute("DELETE FROM meta WHERE key IN (?, ?)", [facts.BASIS, facts.LAST])
    con.execute("UPDATE meta SET value = '9' WHERE key = 'schema'")
    con.close()
    con = connect(story, read_only=False)  # a writer migrates it: the facts dropped, out of date until the next load
    con.close()
    source = LocalSource(story)
    try:
        assert source.kept_facts and facts.lookback(source.con) is None
        assert source.compare_counts(SINCE, UNTIL, Filters(), Options()) == from_rows(source, Filters())
    finally:
        source.close()
    empty = write_lines(tmp_path / "none" / "dt=2026-11-27" / "a.jsonl", [{"event": "robot.parked", "timestamp": "2026-11-27T01:00:00Z"}])
    assert run_coco("load", str(empty), "--store", str(story)).code == 0
    con = duckdb.connect(str(story), read_only=True)
    try:
        assert con.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == (str(sql.SCHEMA_VERSION),)
        assert facts.worked_out(con) == len(expected[0])  # no record of what they came from: all worked out
        assert con.execute("SELECT count(*) FROM facts_files").fetchone()[0] > 0
    finally:
        con.close()
    assert kept(story) == expected


def test_the_facts_worked_out_in_parts_are_the_facts_worked_out_at_once(demo_store):
    from cocoevents.duckdb_engine import memory_connection

    con = memory_connection()
    try:
        con.execute("ATTACH ? AS store (READ_ONLY)", [str(demo_store)])
        con.execute("USE store")
        found = []
        for parts in (1, 3):
            facts.compute(con, parts, full=True)
            found.append(sorted(con.execute(f"SELECT * FROM temp.main.{facts.RESULT}").fetchall(), key=repr))
        assert found[0] == found[1] and {r[0] for r in found[0]} == {"f", "v", "s"}
    finally:
        con.close()
