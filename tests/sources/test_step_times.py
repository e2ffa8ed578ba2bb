"""A delivery's steps as a robot's or pilot's silences are judged against them (findings rules §2a): the local
store answers from its small columns, and must give what the deliveries' events give."""

from __future__ import annotations

from pathlib import Path

import pytest

from cocoevents.core.source_protocol import Source
from cocoevents.sources import local
from cocoevents.sources.local import LocalSource
from cocoevents.sources.memory import MemorySource
from cocoevents.store.loader import load
from cocoevents.timestamps import parse_timestamp
from tests.support.cli import write_lines


def parse_ts(text: str) -> int:
    us = parse_timestamp(text)
    assert us is not None
    return us


DAY = (parse_ts("2026-11-25T00:00:00Z"), parse_ts("2026-11-26T00:00:00Z"))


def _every_delivery(source: LocalSource) -> list[str]:
    return [r[0] for r in source.con.execute("SELECT DISTINCT delivery_id FROM events WHERE delivery_id IS NOT NULL ORDER BY 1").fetchall()]


def test_the_stores_steps_equal_the_steps_of_the_deliveries_events_on_the_demo_day(demo_store: Path) -> None:
    source = LocalSource(demo_store)
    try:
        ids = _every_delivery(source)
        assert len(ids) > 50
        for since, until in [DAY, (None, None), (parse_ts("2026-11-25T09:00:00Z"), parse_ts("2026-11-25T10:30:00Z"))]:
            kept = source.step_times(ids, since, until)
            assert kept == Source.step_times(source, ids, since, until)
        assert kept and any(len(s) > 1 for s in kept.values())
        assert source.step_times([], *DAY) == {}
        assert source.step_times(["D-NOT-THERE"], *DAY) == {}
    finally:
        source.close()


def test_the_steps_of_deliveries_with_many_rows_are_asked_by_their_keys_with_the_same_answer(
    demo_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = LocalSource(demo_store)
    try:
        ids = _every_delivery(source)
        by_list = source.step_times(ids, *DAY)
        monkeypatch.setattr(local, "STEP_SEQS", 10)  # every question here has more rows than that
        assert source.step_times(ids, *DAY) == by_list
        assert source.step_times(ids[:3], *DAY) == Source.step_times(source, ids[:3], *DAY)  # a few ids, one equality each
        assert by_list == Source.step_times(source, ids, *DAY)
    finally:
        source.close()


def test_copies_and_two_steps_at_one_time_give_one_step_each_in_the_registrys_order(tmp_path: Path) -> None:
    rows = [
        {"event": "delivery.pickup_started", "delivery_id": "D1", "robot_id": "R-1", "timestamp": "2026-11-25T10:00:00Z"},
        {"event": "delivery.pickup_arrival", "delivery_id": "D1", "robot_id": "R-1", "timestamp": "2026-11-25T10:00:00Z"},
        {"event": "delivery.pickup_completed", "delivery_id": "D1", "robot_id": "R-1", "timestamp": "2026-11-25T10:02:00Z"},
        {"event": "delivery.dropoff_arrival", "delivery_id": "D1", "robot_id": "R-1", "timestamp": "2026-11-25T10:02:00Z"},
        {"event": "robot.heartbeat", "robot_id": "R-1", "timestamp": "2026-11-25T10:01:00Z"},
        {"event": "demand.created", "demand_id": "DM1", "timestamp": "2026-11-25T09:59:00Z"},
        {"event": "delivery.pickup_started", "delivery_id": "D1", "robot_id": "R-1", "timestamp": "later"},
    ]
    archive = tmp_path / "a"
    write_lines(archive / "dt=2026-11-25" / "one.log.gz", rows)
    write_lines(archive / "dt=2026-11-25" / "two.log.gz", rows[:4])  # the same records again: copies
    store = tmp_path / "s.duckdb"
    load(store, [archive])
    source = LocalSource(store)
    try:
        want = {
            "D1": [
                (parse_ts("2026-11-25T10:00:00Z"), "delivery.pickup_arrival"),
                (parse_ts("2026-11-25T10:00:00Z"), "delivery.pickup_started"),
                (parse_ts("2026-11-25T10:02:00Z"), "delivery.pickup_completed"),  # before, as the registry has it
                (parse_ts("2026-11-25T10:02:00Z"), "delivery.dropoff_arrival"),
            ]
        }
        assert source.step_times(["D1"], *DAY) == want
        assert Source.step_times(source, ["D1"], *DAY) == want
        assert MemorySource(rows).step_times(["D1"], *DAY) == want
    finally:
        source.close()
