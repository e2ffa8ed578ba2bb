"""The event registry and its payload rules; ``coco events``."""

from __future__ import annotations

import pytest

from cocoevents.producers import registry


def test_the_registry_has_the_37_names_of_the_seed_each_once():
    names = [e.name for e in registry.EVENTS]
    assert len(names) == 37 and len(set(names)) == 37


def test_every_name_is_group_dot_action_with_a_matching_constant():
    for e in registry.EVENTS:
        assert e.name.count(".") == 1 and e.constant == e.name.upper().replace(".", "_")


def test_registry_order_decides_ties_and_unknown_names_sort_after_known_ones_alphabetically():
    known = [e.name for e in registry.EVENTS]
    names = ["zz.unknown", known[5], "aa.unknown", known[0]]
    assert sorted(names, key=registry.registry_sort_key) == [known[0], known[5], "aa.unknown", "zz.unknown"]


@pytest.mark.parametrize(
    "name,fields",
    [
        ("offer.received", ("offer_id", "source", "merchant_id")),
        ("offer.rejected", ("offer_id", "source", "rejection_reason")),
        ("offer.accepted", ("offer_id", "source")),
        ("delivery.failed", ("delivery_id", "error")),
    ],
)
def test_four_events_have_required_fields_and_each_missing_one_is_reported(name, fields):
    full = {
        "event": name,
        "offer_id": "O-1",
        "source": "uber",
        "merchant_id": "M-1",
        "rejection_reason": "x",
        "delivery_id": "D1",
        "error": {"code": "C", "message": "m"},
    }
    assert registry.validate(full) == []
    for f in fields:
        for missing in (None, ""):
            assert registry.validate({**full, f: missing}) == [f"{name}: missing required field {f!r}"]


def test_other_events_have_no_required_fields():
    assert registry.validate({"event": "robot.parked"}) == []


@pytest.mark.parametrize("source", ["uber", "doordash", "wolt", "direct"])
def test_source_is_one_of_the_four_platforms(source):
    assert registry.validate({"event": "robot.parked", "source": source}) == []


def test_any_other_source_is_a_problem():
    assert registry.validate({"event": "robot.parked", "source": "grubhub"}) == [
        "robot.parked: source 'grubhub' is not one of uber, doordash, wolt, direct"
    ]


def test_unknown_names_and_records_without_a_name_are_problems_and_validate_never_raises():
    assert registry.validate({"event": "robot.flew"}) == ["unknown event name 'robot.flew'"]
    assert registry.validate({}) == ["no event name"]
    assert registry.validate({"event": "delivery.failed", "delivery_id": 5, "error": "boom"})


def test_error_events_are_failed_names_and_robot_grounded():
    errors = {e.name for e in registry.EVENTS if e.is_error}
    assert errors == {n for n in registry.BY_NAME if n.endswith(".failed")} | {"robot.grounded"}


def test_coco_events_lists_every_event_in_a_plain_table(coco):
    r = coco("events", "--no-color")
    assert r.code == 0
    lines = r.out.splitlines()
    assert len(lines) == 1 + 37 and "event" in lines[0]
    assert all(e.name in r.out for e in registry.EVENTS)
    assert "\x1b[" not in r.out


def test_coco_events_json_is_the_catalog(coco):
    r = coco("events", "--format", "json")
    rows = r.json()
    assert [row["name"] for row in rows] == [e.name for e in registry.EVENTS]
    failed = next(row for row in rows if row["name"] == "delivery.failed")
    assert failed["required"] == ["delivery_id", "error"] and failed["error_event"] is True


def test_coco_events_rejects_an_unknown_format_as_a_usage_error(coco):
    r = coco("events", "--format", "xml")
    assert r.code == 2 and "table or json" in r.err
