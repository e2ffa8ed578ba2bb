"""The rules of timeline rules §1-6, one test each, on small hand-built event lists.

Times are minutes after 2026-11-25T10:00:00Z unless a test says otherwise.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from cocoevents.api import timeline_from_records
from cocoevents.errors import NotFound, UsageError

BASE = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)


def at(minutes: float) -> str:
    t = BASE + timedelta(minutes=minutes)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def ev(minutes: float | None, name: str, **fields: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {"event": name}
    if minutes is not None:
        rec["timestamp"] = at(minutes)
    rec.update(fields)
    return rec


def rows(t) -> list[tuple[str, str]]:
    return [(r.event.name, str(r.lane)) for r in t.rows]


def names(t) -> list[str]:
    return [r.event.name for r in t.rows]


RANGE = {"since": "2026-11-25T00:00:00Z", "until": "2026-11-26T00:00:00Z"}


# --- section 1: timestamps ------------------------------------------------------------------------


def test_timestamp_forms_all_normalise_to_utc_milliseconds_with_z():
    records = [
        ev(None, "demand.assigned", delivery_id="D1", timestamp="2026-11-25T10:00:00Z"),
        ev(None, "trip.created", delivery_id="D1", timestamp="2026-11-25 12:01:00+02:00"),
        ev(None, "trip.started", delivery_id="D1", timestamp="2026-11-25T10:02:00.123456789"),
        ev(None, "demand.active", delivery_id="D1", timestamp=1795600980),  # epoch seconds: 10:03
        ev(None, "delivery.pickup_arrival", delivery_id="D1", timestamp=1795601040500),  # epoch ms: 10:04:00.5
    ]
    t = timeline_from_records(records, "D1")
    assert [r["ts"] for r in t.events] == [
        "2026-11-25T10:00:00.000Z",
        "2026-11-25T10:01:00.000Z",
        "2026-11-25T10:02:00.123Z",
        "2026-11-25T10:03:00.000Z",
        "2026-11-25T10:04:00.500Z",
    ]


def test_an_event_without_a_usable_timestamp_is_unplaced_counted_and_takes_no_part_in_windows():
    records = [
        ev(0, "demand.assigned", delivery_id="D1", robot_id="R1"),
        ev(None, "trip.started", delivery_id="D1", robot_id="R2"),
        ev(None, "trip.completed", delivery_id="D1", timestamp="yesterday"),
        ev(5, "delivery.dropoff_completed", delivery_id="D1", robot_id="R1"),
    ]
    t = timeline_from_records(records, "D1")
    assert names(t) == ["demand.assigned", "delivery.dropoff_completed"]
    assert sorted(e["event"] for e in t.to_dict()["unplaced"]) == ["trip.completed", "trip.started"]
    assert t.summary["unplaced"] == 2
    assert t.summary["robots"] == ["R1"]  # R2 was only on an unplaced event
    assert t.reassignments == 0


# --- section 2: delivery timeline -----------------------------------------------------------------


def test_direct_events_are_those_with_the_delivery_id():
    t = timeline_from_records([ev(0, "demand.assigned", delivery_id="D1"), ev(1, "demand.assigned", delivery_id="D2")], "D1")
    assert [r.event.delivery_id for r in t.rows] == ["D1"]


def test_linked_events_follow_the_offer_demand_delivery_chain_over_two_hops():
    records = [
        ev(0, "offer.received", offer_id="O1", source="uber", merchant_id="M1"),
        ev(1, "offer.accepted", offer_id="O1", source="uber"),
        ev(2, "demand.created", demand_id="DM1", offer_id="O1"),
        ev(3, "demand.assigned", demand_id="DM1", delivery_id="D1", robot_id="R1"),
        ev(4, "demand.etas_updated", demand_id="DM1"),
        ev(5, "offer.received", offer_id="O2", source="uber", merchant_id="M1"),  # unrelated offer
    ]
    t = timeline_from_records(records, "D1")
    assert names(t) == ["offer.received", "offer.accepted", "demand.created", "demand.assigned", "demand.etas_updated"]
    assert {lane for _, lane in rows(t)} == {"delivery"}


def test_events_of_another_delivery_are_never_linked_even_when_they_share_the_demand():
    records = [
        ev(0, "demand.assigned", demand_id="DM1", delivery_id="D1"),
        ev(1, "demand.assigned", demand_id="DM1", delivery_id="D2"),
        ev(2, "demand.canceled", demand_id="DM1"),
    ]
    t = timeline_from_records(records, "D1")
    assert [(r.event.name, r.event.delivery_id) for r in t.rows] == [("demand.assigned", "D1"), ("demand.canceled", None)]


def test_a_change_of_robot_is_a_reassignment_and_a_robot_may_come_back():
    records = [
        ev(0, "demand.assigned", delivery_id="D1", robot_id="A"),
        ev(10, "demand.assigned", delivery_id="D1", robot_id="B"),
        ev(20, "demand.assigned", delivery_id="D1", robot_id="A"),
        ev(30, "delivery.dropoff_completed", delivery_id="D1"),
    ]
    t = timeline_from_records(records, "D1")
    robots = [(w["id"], w["start"], w["end"]) for w in t.to_dict()["windows"] if w["kind"] == "robot"]
    assert robots == [("A", at(0), at(10)), ("B", at(10), at(20)), ("A", at(20), at(30))]
    assert t.summary["reassignments"] == 2
    assert t.summary["robots"] == ["A", "B"]


def test_robot_events_are_those_of_the_robot_inside_its_segments_without_a_delivery_id():
    records = [
        ev(0, "demand.assigned", delivery_id="D1", robot_id="A"),
        ev(10, "demand.assigned", delivery_id="D1", robot_id="B"),
        ev(20, "delivery.dropoff_completed", delivery_id="D1", robot_id="B"),
        ev(-1, "robot.state_changed", robot_id="A", to_state="before"),  # before A's segment
        ev(5, "robot.state_changed", robot_id="A", to_state="inside"),
        ev(10, "robot.state_changed", robot_id="A", to_state="at-next-start"),  # A's end is excluded
        ev(10, "robot.state_changed", robot_id="B", to_state="at-own-start"),
        ev(20, "robot.state_changed", robot_id="B", to_state="at-last-end"),  # last end is included
        ev(21, "robot.state_changed", robot_id="B", to_state="after"),
        ev(6, "trip.started", robot_id="A", delivery_id="D9"),  # another delivery: not a robot event
    ]
    t = timeline_from_records(records, "D1")
    robot_rows = [(str(r.lane), r.event.record.get("to_state")) for r in t.rows if r.lane.kind == "robot"]
    assert robot_rows == [("robot:A", "inside"), ("robot:B", "at-own-start"), ("robot:B", "at-last-end")]


def test_pad_widens_the_start_of_each_robot_segment():
    records = [
        ev(0, "demand.assigned", delivery_id="D1", robot_id="A"),
        ev(5, "delivery.dropoff_completed", delivery_id="D1", robot_id="A"),
        ev(-0.5, "robot.state_changed", robot_id="A", to_state="idle"),
    ]
    assert "robot.state_changed" not in names(timeline_from_records(records, "D1"))
    assert "robot.state_changed" in names(timeline_from_records(records, "D1", pad="1m"))


def test_direct_pilot_windows_are_segments_of_the_pilot_ids_on_delivery_events():
    records = [
        ev(0, "attempt.started", delivery_id="D1", pilot_id="P1"),
        ev(10, "attempt.rescued", delivery_id="D1", pilot_id="P2"),
        ev(20, "delivery.dropoff_completed", delivery_id="D1"),
        ev(0, "pilot.note", pilot_id="P1", at="start"),  # both ends of a pilot window are included
        ev(5, "pilot.note", pilot_id="P1", at="inside"),
        ev(10, "pilot.note", pilot_id="P1", at="end"),  # P1's segment ends where P2's starts
        ev(15, "pilot.note", pilot_id="P1", at="after"),
        ev(20, "pilot.note", pilot_id="P2", at="last end"),
    ]
    t = timeline_from_records(records, "D1")
    pilot_rows = [(str(r.lane), r.event.record["at"]) for r in t.rows if r.lane.kind == "pilot"]
    assert pilot_rows == [("pilot:P1", "start"), ("pilot:P1", "inside"), ("pilot:P1", "end"), ("pilot:P2", "last end")]
    assert t.summary["pilots"] == ["P1", "P2"]


def test_a_pilot_assigned_to_the_robot_supervises_the_delivery_where_assignment_and_segment_meet():
    records = [
        ev(-60, "pilot.assignment_started", pilot_id="P1", robot_id="A"),
        ev(0, "demand.assigned", delivery_id="D1", robot_id="A"),
        ev(15, "pilot.assignment_ended", pilot_id="P1", robot_id="A"),
        ev(15.5, "pilot.assignment_started", pilot_id="P2", robot_id="A"),
        ev(30, "delivery.dropoff_completed", delivery_id="D1", robot_id="A"),
        ev(10, "pilot.note", pilot_id="P1"),  # inside P1's window
        ev(20, "pilot.note", pilot_id="P1"),  # after P1's assignment ended
        ev(25, "pilot.note", pilot_id="P2", robot_id="A"),  # P2, on this robot
        ev(26, "pilot.note", pilot_id="P2", robot_id="Z"),  # P2, on another robot: not ours
    ]
    t = timeline_from_records(records, "D1")
    windows = [(w["kind"], w["id"], w["start"], w["end"]) for w in t.to_dict()["windows"]]
    assert windows == [("robot", "A", at(0), at(30)), ("pilot", "P1", at(0), at(15)), ("pilot", "P2", at(15.5), at(30))]
    assert [r.event.pilot_id for r in t.rows if r.event.name == "pilot.note"] == ["P1", "P2"]
    assert t.summary["pilots"] == ["P1", "P2"]


def test_assignments_are_searched_back_only_as_far_as_the_assignment_lookback():
    records = [
        ev(-13 * 60, "pilot.assignment_started", pilot_id="P1", robot_id="A"),
        ev(0, "demand.assigned", delivery_id="D1", robot_id="A"),
        ev(5, "delivery.dropoff_completed", delivery_id="D1", robot_id="A"),
        ev(2, "pilot.note", pilot_id="P1"),
    ]
    assert timeline_from_records(records, "D1").summary["pilots"] == []
    longer = timeline_from_records(records, "D1", assignment_lookback="14h")
    assert longer.summary["pilots"] == ["P1"]
    assert "pilot.note" in names(longer)


def test_an_assignment_without_an_end_means_the_pilot_is_still_assigned():
    records = [
        ev(-5, "pilot.assignment_started", pilot_id="P1", robot_id="A"),
        ev(0, "demand.assigned", delivery_id="D1", robot_id="A"),
        ev(50, "delivery.dropoff_completed", delivery_id="D1", robot_id="A"),
        ev(49, "pilot.note", pilot_id="P1"),
    ]
    t = timeline_from_records(records, "D1")
    assert [w for w in t.to_dict()["windows"] if w["kind"] == "pilot"] == [{"kind": "pilot", "id": "P1", "start": at(0), "end": at(50)}]
    assert "pilot.note" in names(t)


def test_an_event_found_by_several_rules_appears_once_in_the_first_lane():
    records = [
        ev(-5, "pilot.assignment_started", pilot_id="P1", robot_id="A"),
        ev(0, "demand.assigned", delivery_id="D1", robot_id="A"),
        ev(3, "robot.state_changed", robot_id="A", pilot_id="P1"),  # robot rule and pilot rule
        ev(9, "delivery.dropoff_completed", delivery_id="D1", robot_id="A"),
    ]
    t = timeline_from_records(records, "D1")
    assert [(n, lane) for n, lane in rows(t) if n == "robot.state_changed"] == [("robot.state_changed", "robot:A")]


def test_rows_tie_by_lane_then_registry_position_then_json_text_with_unknown_names_last():
    records = [
        ev(0, "demand.assigned", delivery_id="D1", robot_id="A"),
        ev(1, "zzz.custom", delivery_id="D1"),
        ev(1, "aaa.custom", delivery_id="D1"),
        ev(1, "delivery.pickup_arrival", delivery_id="D1", robot_id="A", note="b"),
        ev(1, "delivery.pickup_arrival", delivery_id="D1", robot_id="A", note="a"),
        ev(1, "offer.received", delivery_id="D1", offer_id="O1"),
        ev(1, "robot.state_changed", robot_id="A"),
        ev(2, "delivery.dropoff_completed", delivery_id="D1", robot_id="A"),
    ]
    t = timeline_from_records(records, "D1")
    at_one = [(r.event.name, str(r.lane), r.event.record.get("note")) for r in t.rows if r.event.ts == t.rows[1].event.ts]
    assert at_one == [
        ("offer.received", "delivery", None),
        ("delivery.pickup_arrival", "delivery", "a"),
        ("delivery.pickup_arrival", "delivery", "b"),
        ("aaa.custom", "delivery", None),
        ("zzz.custom", "delivery", None),
        ("robot.state_changed", "robot:A", None),
    ]


def test_records_with_equal_json_objects_are_one_event_and_the_copies_are_counted():
    records = [
        {"event": "demand.assigned", "timestamp": at(0), "delivery_id": "D1", "robot_id": "A"},
        {"robot_id": "A", "delivery_id": "D1", "timestamp": at(0), "event": "demand.assigned"},  # key order
        {"event": "demand.assigned", "timestamp": at(0), "delivery_id": "D1", "robot_id": "A"},
        {"event": "demand.assigned", "timestamp": at(0), "delivery_id": "D2", "robot_id": "A"},  # other delivery
        {"event": "demand.assigned", "timestamp": at(0), "delivery_id": "D2", "robot_id": "A"},
    ]
    t = timeline_from_records(records, "D1")
    assert len(t.rows) == 1
    assert t.summary["duplicates_removed"] == 2


def test_windows_of_the_same_kind_and_id_that_overlap_or_touch_are_merged_and_ordered():
    records = [
        ev(-10, "pilot.assignment_started", pilot_id="P1", robot_id="A"),
        ev(0, "demand.assigned", delivery_id="D1", robot_id="A", pilot_id="P1"),
        ev(5, "attempt.started", delivery_id="D1", robot_id="A", pilot_id="P1"),
        ev(10, "delivery.dropoff_completed", delivery_id="D1", robot_id="A"),
    ]
    t = timeline_from_records(records, "D1")
    # the direct window of P1 and its window through robot A overlap: one window
    assert t.to_dict()["windows"] == [
        {"kind": "robot", "id": "A", "start": at(0), "end": at(10)},
        {"kind": "pilot", "id": "P1", "start": at(0), "end": at(10)},
    ]


def test_windows_of_the_same_pilot_that_only_touch_are_merged():
    records = [
        ev(-5, "pilot.assignment_started", pilot_id="P1", robot_id="A"),
        ev(0, "demand.assigned", delivery_id="D1", robot_id="A"),
        ev(15, "pilot.assignment_ended", pilot_id="P1", robot_id="A"),
        ev(15, "pilot.assignment_started", pilot_id="P1", robot_id="A"),  # back on at the same instant
        ev(30, "delivery.dropoff_completed", delivery_id="D1", robot_id="A"),
    ]
    t = timeline_from_records(records, "D1")
    assert [w for w in t.to_dict()["windows"] if w["kind"] == "pilot"] == [{"kind": "pilot", "id": "P1", "start": at(0), "end": at(30)}]


# --- section 3: robot and pilot timelines --------------------------------------------------------

ROBOT_DAY = [
    ev(-120, "pilot.assignment_started", pilot_id="P1", robot_id="A"),
    ev(0, "demand.assigned", delivery_id="D1", robot_id="A"),
    ev(5, "robot.state_changed", robot_id="A", to_state="delivering"),
    ev(10, "pilot.assignment_ended", pilot_id="P1", robot_id="A"),
    ev(11, "pilot.assignment_started", pilot_id="P2", robot_id="A"),
    ev(12, "pilot.note", pilot_id="P2"),
    ev(13, "pilot.note", pilot_id="P2", robot_id="B"),  # P2 about another robot
    ev(14, "pilot.note", pilot_id="P2", delivery_id="D7"),  # has a delivery id
    ev(20, "delivery.dropoff_completed", delivery_id="D1", robot_id="A"),
    ev(30, "robot.state_changed", robot_id="B"),
    ev(None, "robot.state_changed", robot_id="A", timestamp="garbage"),
]


def test_a_robot_timeline_has_its_events_in_delivery_or_robot_lanes_and_its_pilots_events():
    t = timeline_from_records(ROBOT_DAY, "A", since=at(-30), until=at(60))
    assert rows(t) == [
        ("demand.assigned", "delivery:D1"),
        ("robot.state_changed", "robot:A"),
        ("pilot.assignment_ended", "robot:A"),
        ("pilot.assignment_started", "robot:A"),
        ("pilot.note", "pilot:P2"),
        ("delivery.dropoff_completed", "delivery:D1"),
    ]
    assert [(w["id"], w["start"], w["end"]) for w in t.to_dict()["windows"]] == [("P1", at(-30), at(10)), ("P2", at(11), at(60))]
    assert t.summary["unplaced"] == 1
    assert t.summary["status"] is None


def test_a_robot_timeline_includes_both_ends_of_its_range():
    t = timeline_from_records(ROBOT_DAY, "A", since=at(5), until=at(20))
    assert names(t)[0] == "robot.state_changed" and names(t)[-1] == "delivery.dropoff_completed"


def test_a_pilot_timeline_has_its_own_events_and_its_robots_events_while_assigned():
    t = timeline_from_records(ROBOT_DAY, "P2", kind="pilot", since=at(-30), until=at(60))
    assert rows(t) == [
        ("pilot.assignment_started", "pilot:P2"),
        ("pilot.note", "pilot:P2"),
        ("pilot.note", "pilot:P2"),
        ("pilot.note", "pilot:P2"),
        ("delivery.dropoff_completed", "robot:A"),
    ]
    assert t.to_dict()["windows"] == [{"kind": "robot", "id": "A", "start": at(11), "end": at(60)}]
    assert t.summary["robots"] == ["A"] and t.summary["pilots"] == ["P2"]


def test_the_kind_of_an_id_is_found_by_lookup_and_an_ambiguous_id_is_a_usage_error():
    records = [ev(0, "demand.assigned", delivery_id="X1", robot_id="X1")]
    with pytest.raises(UsageError, match="ambiguous.*delivery.*robot"):
        timeline_from_records(records, "X1")
    assert timeline_from_records(records, "X1", kind="delivery").kind == "delivery"
    assert timeline_from_records(records, "X1", kind="robot", **RANGE).kind == "robot"


def test_an_unknown_id_is_not_found():
    with pytest.raises(NotFound):
        timeline_from_records([ev(0, "demand.assigned", delivery_id="D1")], "D404")


def test_actor_assignments_are_searched_back_only_as_far_as_the_lookback_before_since():
    records = [
        ev(-13 * 60, "pilot.assignment_started", pilot_id="P1", robot_id="A"),
        ev(0, "robot.state_changed", robot_id="A"),
        ev(5, "pilot.note", pilot_id="P1"),
    ]
    window = {"since": at(-10), "until": at(10)}
    assert timeline_from_records(records, "A", **window).to_dict()["windows"] == []
    longer = timeline_from_records(records, "A", assignment_lookback="14h", **window)
    assert [w["id"] for w in longer.to_dict()["windows"]] == ["P1"] and "pilot.note" in names(longer)


def test_robot_and_pilot_timelines_default_to_the_last_24_hours():
    from cocoevents.core.lookup import build
    from cocoevents.core.options import parse_options
    from cocoevents.sources.memory import MemorySource
    from cocoevents.timestamps import parse_timestamp

    records = [ev(-23 * 60, "robot.state_changed", robot_id="A", n=1), ev(-25 * 60, "robot.state_changed", robot_id="A", n=2)]
    t = build(MemorySource(records), "A", None, parse_options(), now=parse_timestamp(at(0)))
    assert [r.event.record["n"] for r in t.rows] == [1]
    assert t.to_dict()["range"] == {"since": at(-24 * 60), "until": at(0)}


def test_a_robot_with_no_events_in_the_range_is_not_found():
    with pytest.raises(NotFound, match="robot 'A'"):
        timeline_from_records(ROBOT_DAY, "A", since=at(100), until=at(200))


# --- section 4: severity -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "severity"),
    [
        ({"event": "delivery.failed"}, "error"),
        ({"event": "attempt.failed"}, "error"),
        ({"event": "robot.grounded"}, "error"),
        ({"event": "trip.started", "error": {"code": "X", "message": "y"}}, "error"),
        ({"event": "trip.started", "error": None}, "info"),
        ({"event": "trip.started", "level": "FATAL"}, "error"),
        ({"event": "trip.started", "level": "Critical"}, "error"),
        ({"event": "offer.rejected"}, "warning"),
        ({"event": "offer.expired"}, "warning"),
        ({"event": "demand.canceled"}, "warning"),
        ({"event": "trip.canceled"}, "warning"),
        ({"event": "attempt.rescued"}, "warning"),
        ({"event": "trip.started", "level": "WARN"}, "warning"),
        ({"event": "trip.started", "level": "warning"}, "warning"),
        ({"event": "offer.rejected", "level": "error"}, "error"),
        ({"event": "trip.started", "level": "info"}, "info"),
    ],
)
def test_severity_follows_name_error_field_and_level(record, severity):
    record = {**record, "timestamp": at(0), "delivery_id": "D1"}
    assert timeline_from_records([record], "D1").rows[0].severity == severity


# --- section 5: gaps -----------------------------------------------------------------------------


def test_a_silence_longer_than_the_threshold_is_a_gap_and_every_row_has_its_gap_before():
    records = [ev(m, "demand.etas_updated", delivery_id="D1", n=m) for m in (0, 5, 10.5, 11)]
    t = timeline_from_records(records, "D1")
    assert [r["gap_before_s"] for r in t.events] == [None, 300.0, 330.0, 30.0]
    assert t.to_dict()["gaps"] == [{"after": at(5), "before": at(10.5), "seconds": 330.0}]  # 300 s is not longer
    assert timeline_from_records(records, "D1", gap="1m").summary["gaps"] == 2


# --- section 6: status ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sequence", "status"),
    [
        (["delivery.dropoff_completed"], "fulfilled"),
        (["delivery.failed"], "failed"),
        (["delivery.failed", "demand.canceled"], "failed"),
        (["delivery.failed", "delivery.dropoff_completed"], "fulfilled"),
        (["delivery.dropoff_completed", "delivery.failed"], "failed"),
        (["demand.fulfilled"], "fulfilled"),
        (["demand.canceled"], "canceled"),
        (["demand.canceled", "demand.fulfilled"], "fulfilled"),
        (["trip.started"], "in_progress"),
    ],
)
def test_status_is_decided_by_the_last_delivery_outcome_then_the_last_demand_outcome(sequence, status):
    records = [ev(i, name, delivery_id="D1") for i, name in enumerate(sequence)]
    assert timeline_from_records(records, "D1").status == status


def test_status_reads_only_the_rows_of_the_delivery_lane():
    records = [
        ev(0, "demand.assigned", delivery_id="D1", robot_id="A"),
        ev(5, "delivery.dropoff_completed", delivery_id="D1", robot_id="A"),
        ev(6, "delivery.failed", robot_id="A"),  # the robot's own row, inside its segment: lane robot:A
        ev(7, "demand.fulfilled", delivery_id="D1"),
    ]
    t = timeline_from_records(records, "D1")
    assert ("delivery.failed", "robot:A") in rows(t)
    assert t.status == "fulfilled"
