"""The kept facts' upkeep (``store.facts.changed``, schema 10): after a load, a removal or a replaced file only the
deliveries the changed files can change are worked out again, and the tables come out as a full rebuild gives."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest

from cocoevents.devtools.generator import Fleet, fleet_day, record_time
from cocoevents.store import facts
from cocoevents.store.connection import connect
from cocoevents.store.loader import load
from cocoevents.store.removal import remove_files

from ..support.cli import write_lines

DAY2 = datetime(2026, 11, 26)


def shifted(records: list[dict[str, Any]], hours: int) -> list[dict[str, Any]]:
    """The records moved ``hours`` later, their times written as ISO UTC."""
    out = []
    for rec in records:
        t = record_time(rec) + timedelta(hours=hours)
        out.append({**rec, "timestamp": t.replace(tzinfo=timezone.utc).isoformat().replace("+00:00", "Z")})
    return out


def two_fleet_days() -> dict[str, list[dict[str, Any]]]:
    """The records of two generated fleet days by UTC day and half day: the first fleet's day moved 12 hours later
    (19:00 on Nov 25 to 09:00 on Nov 26: its late deliveries cross midnight), the second's on Nov 26 (07:00-21:00)
    with other delivery ids and the same robots and pilots (a robot serves deliveries of both, on both days)."""
    first = shifted(fleet_day(Fleet(deliveries=150, robots=10, pilots=3, seed=3)), 12)
    second = fleet_day(Fleet(day=DAY2.date(), deliveries=150, robots=10, pilots=3, seed=4, id_offset=50_000))
    files: dict[str, list[dict[str, Any]]] = {}
    for rec in sorted(first + second, key=record_time):
        t = record_time(rec)
        files.setdefault(f"dt={t.date()}/{'am' if t.hour < 12 else 'pm'}.jsonl", []).append(rec)
    return files


def kept(store: Path) -> tuple[list[Any], ...]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return facts.named(con)
    finally:
        con.close()


def rebuilt(store: Path, tmp_path: Path) -> tuple[list[Any], ...]:
    """The three tables as a full rebuild from scratch works them out, on a copy of the store."""
    copy = tmp_path / "copy.duckdb"
    shutil.copy(store, copy)
    con = connect(copy, read_only=False)
    try:
        facts.rebuild(con, full=True)
        assert facts.worked_out(con) == con.execute("SELECT count(*) FROM delivery_facts").fetchone()[0]
    finally:
        con.close()
    found = kept(copy)
    copy.unlink()
    return found


def meta(store: Path, what: Any) -> Any:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return what(con)
    finally:
        con.close()


@pytest.mark.slow
def test_after_each_load_removal_and_replacement_the_kept_facts_are_what_a_full_rebuild_gives(tmp_path):
    files = two_fleet_days()
    root = tmp_path / "archive"
    paths = {name: write_lines(root / name, recs) for name, recs in files.items()}
    store = tmp_path / "store.duckdb"
    day1 = [p for n, p in paths.items() if n.startswith("dt=2026-11-25")]
    day2 = [p for n, p in paths.items() if n.startswith("dt=2026-11-26")]
    assert len(day1) == 1 and len(day2) == 2

    load(store, day1)
    first = kept(store)
    assert first == rebuilt(store, tmp_path) and first[2]

    load(store, day2)
    after = kept(store)
    assert after == rebuilt(store, tmp_path)
    # the first day's deliveries that end before the second day's rows were left as they were
    lo = meta(store, lambda c: c.execute("SELECT min(first_ts) FROM files WHERE path LIKE '%2026-11-26%'").fetchone()[0])
    crossing = meta(store, lambda c: c.execute("SELECT count(*) FROM delivery_facts WHERE t1 >= ?", [lo]).fetchone()[0])
    total = len(after[0])
    assert meta(store, facts.worked_out) == crossing < total
    first_fleet = {v for d, dim, v in after[1] if dim == "robot" and d < "D250000"}
    second_fleet = {v for d, dim, v in after[1] if dim == "robot" and d >= "D250000"}
    assert first_fleet & second_fleet  # robots that serve deliveries of both fleets

    remove_files(store, file=str(day2[0]))
    assert kept(store) == rebuilt(store, tmp_path) != after

    late = day1[0]
    write_lines(late, files["dt=2026-11-25/pm.jsonl"][::2])  # the same file, changed: half its lines
    load(store, [late])
    replaced = kept(store)
    assert replaced == rebuilt(store, tmp_path)
    assert meta(store, facts.worked_out) < len(replaced[0])


def test_a_second_load_of_a_new_day_works_out_only_the_deliveries_it_can_change(tmp_path):
    day1 = fleet_day(Fleet(deliveries=60, robots=6, pilots=2, seed=5))
    day2 = fleet_day(Fleet(day=DAY2.date(), deliveries=60, robots=6, pilots=2, seed=6, id_offset=50_000))
    store = tmp_path / "store.duckdb"
    load(store, [write_lines(tmp_path / "a" / "dt=2026-11-25" / "a.jsonl", day1)])
    first = meta(store, lambda c: c.execute("SELECT count(*) FROM delivery_facts").fetchone()[0])
    assert meta(store, facts.worked_out) == first > 0
    load(store, [write_lines(tmp_path / "b" / "dt=2026-11-26" / "b.jsonl", day2)])
    second = meta(store, lambda c: c.execute("SELECT count(*) FROM delivery_facts WHERE t0 >= ?", [DAY2]).fetchone()[0])
    assert meta(store, facts.worked_out) == second > 0
    assert kept(store) == rebuilt(store, tmp_path)


def test_a_store_without_a_record_of_what_its_facts_came_from_works_all_of_them_out(tmp_path):
    day1 = fleet_day(Fleet(deliveries=40, robots=5, pilots=2, seed=8))
    store = tmp_path / "store.duckdb"
    load(store, [write_lines(tmp_path / "a" / "dt=2026-11-25" / "a.jsonl", day1)])
    con = connect(store, read_only=False)
    try:
        con.execute("DELETE FROM meta WHERE key IN (?, ?)", [facts.BASIS, facts.FLAG])  # as a store of schema 9 migrated
    finally:
        con.close()
    day2 = fleet_day(Fleet(day=DAY2.date(), deliveries=40, robots=5, pilots=2, seed=9, id_offset=50_000))
    load(store, [write_lines(tmp_path / "b" / "dt=2026-11-26" / "b.jsonl", day2)])
    assert meta(store, facts.worked_out) == len(kept(store)[0])
    assert kept(store) == rebuilt(store, tmp_path)


def test_a_row_without_a_delivery_id_loaded_later_joins_the_closure_of_the_delivery_its_demand_reaches(tmp_path):
    """The delivery's own rows are all in the first file; a later file brings a demand's outcome, two hops away
    (demand -> offer -> delivery): the delivery is worked out again, its status now from that row."""
    first = [
        {"event": "delivery.created", "delivery_id": "D-1", "offer_id": "O-1", "timestamp": "2026-11-25T10:00:00Z"},
        {"event": "delivery.robot_assigned", "delivery_id": "D-1", "robot_id": "R-1", "timestamp": "2026-11-25T10:01:00Z"},
        {"event": "offer.accepted", "offer_id": "O-1", "demand_id": "DM-1", "timestamp": "2026-11-25T09:59:00Z"},
        {"event": "delivery.created", "delivery_id": "D-2", "offer_id": "O-2", "timestamp": "2026-11-25T11:00:00Z"},
    ]
    later = [{"event": "demand.canceled", "demand_id": "DM-1", "timestamp": "2026-11-27T08:00:00Z"}]
    store = tmp_path / "store.duckdb"
    load(store, [write_lines(tmp_path / "a" / "dt=2026-11-25" / "a.jsonl", first)])
    assert [r[4] for r in kept(store)[0]] == ["in_progress", "in_progress"]
    load(store, [write_lines(tmp_path / "b" / "dt=2026-11-27" / "b.jsonl", later)])
    assert meta(store, facts.worked_out) == 1
    assert [r[4] for r in kept(store)[0]] == ["canceled", "in_progress"]
    assert kept(store) == rebuilt(store, tmp_path)
