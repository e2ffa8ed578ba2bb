"""The core's fast paths (``core.fast_rules``) against their plain twins, on random timelines (hypothesis)."""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cocoevents.core import fast_rules, sessionize
from cocoevents.core.links import linked_closures
from cocoevents.core.lookup import build
from cocoevents.core.model import CHUNK_MIN, DELIVERY_LANE, Event, lane
from cocoevents.core.options import Options, parse_options
from cocoevents.core.status import OUTCOME_NAMES
from cocoevents.sources.memory import MemorySource

SOME = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_ids = st.sampled_from(["D1", "D2", None, None, ""])
records = st.lists(
    st.fixed_dictionaries(
        {
            "event": st.sampled_from(
                [
                    "demand.assigned",
                    "delivery.pickup_arrival",
                    "delivery.dropoff_completed",
                    "delivery.failed",
                    "demand.fulfilled",
                    "demand.canceled",
                    "robot.state_changed",
                    "pilot.assignment_started",
                    "pilot.assignment_ended",
                    "zzz.custom",
                ]
            ),
            "timestamp": st.sampled_from(
                ["2026-11-25T10:00:00Z", "2026-11-25T10:00:00Z", "2026-11-25T10:07:30Z", "2026-11-25T10:30:00.5Z", "not a time"]
            ),
        },
        optional={
            "delivery_id": _ids,
            "robot_id": st.sampled_from(["R-1", "R-2"]),
            "pilot_id": st.sampled_from(["P-1", "P-2"]),
            "demand_id": st.sampled_from(["DM1", "DM2", ""]),
            "offer_id": st.sampled_from(["OF1", "OF2"]),
            "level": st.sampled_from(["info", "ERROR", "warn", 3, None]),
            "error": st.one_of(st.none(), st.just({"code": "E1", "message": "boom"}), st.just("plain")),
            "n": st.integers(0, 3),
            "note": st.text(max_size=5),
        },
    ),
    min_size=1,
    max_size=30,
)


def _texts(recs: list[dict[str, Any]]) -> list[tuple[str, int | None]]:
    """Each record as a store keeps it: its JSON text (either separator style) and its time."""
    return [
        (json.dumps(r, ensure_ascii=False, separators=(",", ":") if k % 2 else (", ", ": ")), Event.from_record(r).ts)
        for k, r in enumerate(recs)
    ]


def _same_event(a: Event, b: Event) -> bool:
    return (a.name, a.severity, a.ts, a.delivery_id, a.robot_id, a.pilot_id, a.demand_id, a.offer_id, a.raw, a.record, a.text) == (
        b.name,
        b.severity,
        b.ts,
        b.delivery_id,
        b.robot_id,
        b.pilot_id,
        b.demand_id,
        b.offer_id,
        b.raw,
        b.record,
        b.text,
    )


@SOME
@given(records)
def test_events_made_fast_are_the_events_the_model_makes(recs):
    """``event_of``/``event_from_text``/``events_from_texts`` against ``Event.from_record``/``from_text``/
    ``from_texts``: every field, a small batch (texts kept as they are) and a big one (compressed chunks)."""
    texts = _texts(recs)
    for text, ts in texts:
        assert _same_event(fast_rules.event_from_text(text, ts), Event.from_text(text, ts))
        assert _same_event(fast_rules.event_of(json.loads(text), ts, text), Event.from_record(json.loads(text), ts, text))
    big = (texts * (CHUNK_MIN // len(texts) + 1))[: CHUNK_MIN + 7]
    for batch in (texts, big):
        fast, plain = fast_rules.events_from_texts(batch), Event.from_texts(batch)
        assert len(fast) == len(plain) == len(batch)
        assert all(_same_event(a, b) for a, b in zip(fast, plain))


@SOME
@given(records)
def test_the_one_delivery_closure_by_shapes_is_the_rule(recs):
    """``fast_rules.linked_closure`` against ``links.linked_closures`` on distinct events (rule 7 applied)."""
    events, _ = sessionize.dedupe(Event.from_record(r) for r in recs)
    for d in ("D1", "D2"):
        fast = fast_rules.linked_closure(d, events)
        plain = linked_closures([d], events)[d]
        assert len(fast) == len(set(map(id, fast)))
        assert sorted(map(id, fast)) == sorted(map(id, plain))


@SOME
@given(records, st.integers(0, 600_000_000))
def test_rows_made_fast_are_the_rows_the_sessionizer_defines(recs, gap_us):
    """``fast_rules.rows_in_order`` against ``sessionize.rows_in_order``, and the delivery lane's outcome names
    against the plain filter."""
    events = [e for e in (Event.from_record(r) for r in recs) if e.ts is not None]
    lanes = [DELIVERY_LANE if e.delivery_id else lane("robot", e.robot_id or "R-0") for e in events]
    order = sessionize.rule6_order(events, lanes)
    fast_rows, fast_gaps = fast_rules.rows_in_order(events, lanes, order, gap_us)
    plain_rows, plain_gaps = sessionize.rows_in_order(events, lanes, order, gap_us)
    assert fast_rows == plain_rows and fast_gaps == plain_gaps
    assert all(type(r) is type(p) for r, p in zip(fast_rows, plain_rows))
    names = frozenset(OUTCOME_NAMES)
    assert fast_rules.delivery_lane_names(fast_rows, names) == _plain("delivery_lane_names")(plain_rows, names)


def _plain(name: str) -> Any:
    """The plain twin of a fast path, with the fast path's signature."""
    return {
        "linked_closure": lambda d, events: linked_closures([d], events)[d],
        "rows_in_order": sessionize.rows_in_order,
        "delivery_lane_names": lambda rows, names: [r.event.name for r in rows if r.lane == DELIVERY_LANE and r.event.name in names],
    }[name]


@SOME
@given(records, st.sampled_from(["D1", "D2", "R-1", "P-2"]))
def test_a_whole_timeline_is_the_same_through_the_fast_paths_and_through_their_plain_twins(recs, subject):
    """Every output of a timeline (the JSON document) with the sessionizer's fast paths, and with each replaced
    by its plain twin."""
    opts = parse_options(since="2026-11-25T00:00:00Z", until="2026-11-26T00:00:00Z") if subject[0] in "RP" else Options()

    def timeline() -> Any:
        try:
            return build(MemorySource(recs), subject, None, opts).to_dict()
        except Exception as e:  # nothing found, an ambiguous id: the same either way
            return type(e).__name__, str(e)

    fast = timeline()
    with (
        mock.patch.object(sessionize.fast_rules, "linked_closure", _plain("linked_closure")),
        mock.patch.object(sessionize.fast_rules, "rows_in_order", _plain("rows_in_order")),
        mock.patch.object(sessionize, "delivery_lane_names", _plain("delivery_lane_names")),
    ):
        plain = timeline()
    assert fast == plain
