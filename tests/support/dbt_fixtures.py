"""Fixture events for the dbt equality tests: the stories of tests/test_timeline_rules.py, one delivery world each.

Every case's ids get the case's prefix (``c07-D1``), so the cases share one store without meeting: the
rules only ever join events by id. Times are minutes after 2026-11-25T10:00:00Z, as in the rules tests.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from cocoevents.producers.registry import ID_FIELDS

BASE = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)

Record = dict[str, Any]


def at(minutes: float) -> str:
    t = BASE + timedelta(minutes=minutes)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def ev(minutes: float | None, name: str, **fields: Any) -> Record:
    rec: Record = {"event": name}
    if minutes is not None:
        rec["timestamp"] = at(minutes)
    rec.update(fields)
    return rec


# -- the documented differences (README "The dbt project") ---------------------------------------------

# Rule 7 compares JSON objects whatever their key order; the SQL compares the record's text as the database
# serializes it. DuckDB keeps the archived line, so a copy with its keys in another order is a second event;
# PostgreSQL's jsonb (the test stand-in) sorts keys, so there it is a duplicate, as in coco.
KEY_ORDER_CASE = "keyorder"
# Rule 2 follows links until nothing new is found; the SQL follows `coco_link_hops` hops (default 2, the
# offer -> demand -> delivery chain). This chain is three hops long: its last event needs coco_link_hops: 3.
THREE_HOPS_CASE = "threehops"
# Rule 6 breaks the last tie (same time, lane kind and name) by the JSON text: coco's canonical text (keys
# sorted), the SQL's stored text. Two pilots' notes at one instant, written with their keys in different
# orders, come in opposite orders on DuckDB (the archived lines); jsonb sorts keys, so PostgreSQL agrees.
TIE_KEYS_CASE = "tiekeys"


def _cases() -> dict[str, list[Record]]:
    c: dict[str, list[Record]] = {}
    c["timestamps"] = [
        ev(None, "demand.assigned", delivery_id="D1", timestamp="2026-11-25T10:00:00Z"),
        ev(None, "trip.created", delivery_id="D1", timestamp="2026-11-25 12:01:00+02:00"),
        ev(None, "trip.started", delivery_id="D1", timestamp="2026-11-25T10:02:00.123456789"),
        ev(None, "demand.active", delivery_id="D1", timestamp=1795600980),
        ev(None, "delivery.pickup_arrival", delivery_id="D1", timestamp=1795601040500),
    ]
    c["unplaced"] = [
        ev(0, "demand.assigned", delivery_id="D1", robot_id="R1"),
        ev(None, "trip.started", delivery_id="D1", robot_id="R2"),
        ev(None, "trip.completed", delivery_id="D1", timestamp="yesterday"),
        ev(5, "delivery.dropoff_completed", delivery_id="D1", robot_id="R1"),
    ]
    c["untimedonly"] = [ev(None, "demand.assigned", delivery_id="D1", robot_id="R1")]
    c["direct"] = [ev(0, "demand.assigned", delivery_id="D1"), ev(1, "demand.assigned", delivery_id="D2")]
    c["twohops"] = [
        ev(0, "offer.received", offer_id="O1", source="uber", merchant_id="M1"),
        ev(1, "offer.accepted", offer_id="O1", source="uber"),
        ev(2, "demand.created", demand_id="DM1", offer_id="O1"),
        ev(3, "demand.assigned", demand_id="DM1", delivery_id="D1", robot_id="R1"),
        ev(4, "demand.etas_updated", demand_id="DM1"),
        ev(5, "offer.received", offer_id="O2", source="uber", merchant_id="M1"),
    ]
    c[THREE_HOPS_CASE] = [
        ev(30, "demand.assigned", delivery_id="D1", demand_id="DM-E1", robot_id="R-E"),
        ev(29, "demand.created", demand_id="DM-E1", offer_id="O-E1"),
        ev(28, "offer.accepted", offer_id="O-E1", demand_id="DM-E0"),
        ev(27, "demand.note", demand_id="DM-E0"),
        ev(40, "delivery.failed", delivery_id="D1", robot_id="R-E", error={"code": "X", "message": "boom"}),
    ]
    c["otherdelivery"] = [
        ev(0, "demand.assigned", demand_id="DM1", delivery_id="D1"),
        ev(1, "demand.assigned", demand_id="DM1", delivery_id="D2"),
        ev(2, "demand.canceled", demand_id="DM1"),
    ]
    c["comeback"] = [
        ev(0, "demand.assigned", delivery_id="D1", robot_id="A"),
        ev(10, "demand.assigned", delivery_id="D1", robot_id="B"),
        ev(20, "demand.assigned", delivery_id="D1", robot_id="A"),
        ev(30, "delivery.dropoff_completed", delivery_id="D1"),
        ev(5, "robot.state_changed", robot_id="A", n=1),
        ev(15, "robot.state_changed", robot_id="A", n=2),  # between A's segments: not A's
        ev(25, "robot.state_changed", robot_id="A", n=3),
        ev(-30, "pilot.assignment_started", pilot_id="P1", robot_id="A"),
        ev(12, "pilot.note", pilot_id="P1"),  # P1 is on A, but A is not this delivery's robot at 12
        ev(22, "pilot.note", pilot_id="P1"),
    ]
    c["robotevents"] = [
        ev(0, "demand.assigned", delivery_id="D1", robot_id="A"),
        ev(10, "demand.assigned", delivery_id="D1", robot_id="B"),
        ev(20, "delivery.dropoff_completed", delivery_id="D1", robot_id="B"),
        ev(-1, "robot.state_changed", robot_id="A", to_state="before"),
        ev(5, "robot.state_changed", robot_id="A", to_state="inside"),
        ev(10, "robot.state_changed", robot_id="A", to_state="at-next-start"),
        ev(10, "robot.state_changed", robot_id="B", to_state="at-own-start"),
        ev(20, "robot.state_changed", robot_id="B", to_state="at-last-end"),
        ev(21, "robot.state_changed", robot_id="B", to_state="after"),
        ev(6, "trip.started", robot_id="A", delivery_id="D9"),
    ]
    c["pad"] = [
        ev(0, "demand.assigned", delivery_id="D1", robot_id="A"),
        ev(5, "delivery.dropoff_completed", delivery_id="D1", robot_id="A"),
        ev(-0.5, "robot.state_changed", robot_id="A", to_state="idle"),
    ]
    c["directpilots"] = [
        ev(0, "attempt.started", delivery_id="D1", pilot_id="P1"),
        ev(10, "attempt.rescued", delivery_id="D1", pilot_id="P2"),
        ev(20, "delivery.dropoff_completed", delivery_id="D1"),
        ev(0, "pilot.note", pilot_id="P1", at="start"),
        ev(5, "pilot.note", pilot_id="P1", at="inside"),
        ev(10, "pilot.note", pilot_id="P1", at="end"),
        ev(15, "pilot.note", pilot_id="P1", at="after"),
        ev(20, "pilot.note", pilot_id="P2", at="last end"),
    ]
    c["throughrobot"] = [
        ev(-60, "pilot.assignment_started", pilot_id="P1", robot_id="A"),
        ev(0, "demand.assigned", delivery_id="D1", robot_id="A"),
        ev(15, "pilot.assignment_ended", pilot_id="P1", robot_id="A"),
        ev(15.5, "pilot.assignment_started", pilot_id="P2", robot_id="A"),
        ev(30, "delivery.dropoff_completed", delivery_id="D1", robot_id="A"),
        ev(10, "pilot.note", pilot_id="P1"),
        ev(20, "pilot.note", pilot_id="P1"),
        ev(25, "pilot.note", pilot_id="P2", robot_id="A"),
        ev(26, "pilot.note", pilot_id="P2", robot_id="Z"),
    ]
    c["lookback"] = [
        ev(-13 * 60, "pilot.assignment_started", pilot_id="P1", robot_id="A"),
        ev(0, "demand.assigned", delivery_id="D1", robot_id="A"),
        ev(5, "delivery.dropoff_completed", delivery_id="D1", robot_id="A"),
        ev(2, "pilot.note", pilot_id="P1"),
        ev(-11 * 60, "pilot.assignment_started", pilot_id="P2", robot_id="A"),
        ev(3, "pilot.note", pilot_id="P2"),
    ]
    c["noend"] = [
        ev(-5, "pilot.assignment_started", pilot_id="P1", robot_id="A"),
        ev(0, "demand.assigned", delivery_id="D1", robot_id="A"),
        ev(50, "delivery.dropoff_completed", delivery_id="D1", robot_id="A"),
        ev(49, "pilot.note", pilot_id="P1"),
    ]
    c["firstlane"] = [
        ev(-5, "pilot.assignment_started", pilot_id="P1", robot_id="A"),
        ev(0, "demand.assigned", delivery_id="D1", robot_id="A"),
        ev(3, "robot.state_changed", robot_id="A", pilot_id="P1"),
        ev(9, "delivery.dropoff_completed", delivery_id="D1", robot_id="A"),
    ]
    c["ties"] = [
        ev(0, "demand.assigned", delivery_id="D1", robot_id="A"),
        ev(1, "zzz.custom", delivery_id="D1"),
        ev(1, "aaa.custom", delivery_id="D1"),
        ev(1, "delivery.pickup_arrival", delivery_id="D1", robot_id="A", note="b"),
        ev(1, "delivery.pickup_arrival", delivery_id="D1", robot_id="A", note="a"),
        ev(1, "offer.received", delivery_id="D1", offer_id="O1"),
        ev(1, "robot.state_changed", robot_id="A"),
        ev(2, "delivery.dropoff_completed", delivery_id="D1", robot_id="A"),
    ]
    c["duplicates"] = [
        {"event": "demand.assigned", "timestamp": at(0), "delivery_id": "D1", "robot_id": "A"},
        {"event": "demand.assigned", "timestamp": at(0), "delivery_id": "D1", "robot_id": "A"},
        {"event": "demand.assigned", "timestamp": at(0), "delivery_id": "D2", "robot_id": "A"},
        {"event": "demand.assigned", "timestamp": at(0), "delivery_id": "D2", "robot_id": "A"},
        {"event": "delivery.note", "timestamp": "not a time", "delivery_id": "D1"},
        {"event": "delivery.note", "timestamp": "not a time", "delivery_id": "D1"},
    ]
    c[KEY_ORDER_CASE] = [
        {"event": "demand.assigned", "timestamp": at(0), "delivery_id": "D1", "robot_id": "A"},
        {"robot_id": "A", "delivery_id": "D1", "timestamp": at(0), "event": "demand.assigned"},
        {"event": "demand.assigned", "timestamp": at(0), "delivery_id": "D1", "robot_id": "A"},
    ]
    c["overlap"] = [
        ev(-10, "pilot.assignment_started", pilot_id="P1", robot_id="A"),
        ev(0, "demand.assigned", delivery_id="D1", robot_id="A", pilot_id="P1"),
        ev(5, "attempt.started", delivery_id="D1", robot_id="A", pilot_id="P1"),
        ev(10, "delivery.dropoff_completed", delivery_id="D1", robot_id="A"),
    ]
    c["handover"] = [
        ev(-5, "pilot.assignment_started", pilot_id="P1", robot_id="A"),
        ev(0, "demand.assigned", delivery_id="D1", robot_id="A"),
        ev(15, "pilot.assignment_ended", pilot_id="P1", robot_id="A"),
        ev(15, "pilot.assignment_started", pilot_id="P1", robot_id="A"),
        ev(30, "delivery.dropoff_completed", delivery_id="D1", robot_id="A"),
        ev(15, "pilot.note", pilot_id="P1"),
    ]
    c["robotday"] = [
        ev(-120, "pilot.assignment_started", pilot_id="P1", robot_id="A"),
        ev(0, "demand.assigned", delivery_id="D1", robot_id="A"),
        ev(5, "robot.state_changed", robot_id="A", to_state="delivering"),
        ev(10, "pilot.assignment_ended", pilot_id="P1", robot_id="A"),
        ev(11, "pilot.assignment_started", pilot_id="P2", robot_id="A"),
        ev(12, "pilot.note", pilot_id="P2"),
        ev(13, "pilot.note", pilot_id="P2", robot_id="B"),
        ev(14, "pilot.note", pilot_id="P2", delivery_id="D7"),
        ev(20, "delivery.dropoff_completed", delivery_id="D1", robot_id="A"),
        ev(30, "robot.state_changed", robot_id="B"),
        ev(None, "robot.state_changed", robot_id="A", timestamp="garbage"),
    ]
    severities = [
        {"event": "delivery.failed"},
        {"event": "robot.grounded"},
        {"event": "trip.started", "error": {"code": "X", "message": "y"}},
        {"event": "trip.started", "error": None},
        {"event": "trip.started", "error": {"code": 7}},
        {"event": "trip.started", "level": "FATAL"},
        {"event": "trip.started", "level": "Critical"},
        {"event": "offer.rejected"},
        {"event": "attempt.rescued"},
        {"event": "trip.started", "level": "WARN"},
        {"event": "trip.started", "level": "warning"},
        {"event": "offer.rejected", "level": "error"},
        {"event": "trip.started", "level": 3},
    ]
    c["severity"] = [{**r, "timestamp": at(i), "delivery_id": "D1", "n": i} for i, r in enumerate(severities)]
    c["gaps"] = [ev(m, "demand.etas_updated", delivery_id="D1", n=m) for m in (0, 5, 10.5, 11, 40)]
    statuses = [
        ["delivery.dropoff_completed"],
        ["delivery.failed"],
        ["delivery.failed", "demand.canceled"],
        ["delivery.failed", "delivery.dropoff_completed"],
        ["delivery.dropoff_completed", "delivery.failed"],
        ["demand.fulfilled"],
        ["demand.canceled"],
        ["demand.canceled", "demand.fulfilled"],
        ["trip.started"],
    ]
    for n, sequence in enumerate(statuses):
        c[f"status{n}"] = [ev(i, name, delivery_id="D1") for i, name in enumerate(sequence)]
    c["statuslane"] = [
        ev(0, "demand.assigned", delivery_id="D1", robot_id="A"),
        ev(5, "delivery.dropoff_completed", delivery_id="D1", robot_id="A"),
        ev(6, "delivery.failed", robot_id="A"),
        ev(7, "demand.fulfilled", delivery_id="D1"),
    ]
    c["sameinstant"] = [  # a change of robot at one instant: the registry order decides which comes first
        ev(0, "demand.assigned", delivery_id="D1", robot_id="A"),
        ev(0, "trip.assigned", delivery_id="D1", robot_id="B"),
        ev(4, "delivery.dropoff_completed", delivery_id="D1", robot_id="B"),
    ]
    c[TIE_KEYS_CASE] = [
        ev(-5, "pilot.assignment_started", pilot_id="P1", robot_id="A"),
        ev(-5, "pilot.assignment_started", pilot_id="P2", robot_id="A"),
        ev(0, "demand.assigned", delivery_id="D1", robot_id="A"),
        {"pilot_id": "P1", "event": "pilot.note", "timestamp": at(3)},
        {"event": "pilot.note", "timestamp": at(3), "pilot_id": "P2"},
        ev(9, "delivery.dropoff_completed", delivery_id="D1", robot_id="A"),
    ]
    c["weird"] = [  # ids full of SQL metacharacters are data, never SQL
        ev(0, "pilot.assignment_started", pilot_id="P-\\back\\slash", robot_id="R-%s"),
        ev(1, "offer.received", offer_id="O-%%s;"),
        ev(2, "demand.created", demand_id="DM-é日本-'", offer_id="O-%%s;"),
        ev(3, "demand.assigned", demand_id="DM-é日本-'", delivery_id="D1'q\"; DROP TABLE events; --", robot_id="R-%s"),
        ev(4, "robot.state_changed", robot_id="R-%s", to_state="delivering"),
        ev(5, "pilot.note", pilot_id="P-\\back\\slash", note="ünïcode ✓"),
        ev(9, "delivery.dropoff_completed", delivery_id="D1'q\"; DROP TABLE events; --", robot_id="R-%s"),
        ev(20, "pilot.assignment_ended", pilot_id="P-\\back\\slash", robot_id="R-%s"),
    ]
    return c


def _prefixed(case: str, record: Record) -> Record:
    out = dict(record)
    for field in ID_FIELDS:
        if isinstance(out.get(field), str) and out[field]:
            out[field] = f"{case}-{out[field]}"
    return out


CASES = _cases()


def fixture_records() -> list[Record]:
    """Every case's records with its ids prefixed by the case name."""
    return [_prefixed(case, r) for case, records in CASES.items() for r in records]
