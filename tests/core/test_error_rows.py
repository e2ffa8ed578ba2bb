"""``coco errors``' rows: each error event of the range once (timeline rules §4 and rule 7), with its code."""

from __future__ import annotations

import json
import random

from cocoevents.core.listings import error_rows
from cocoevents.core.model import Event, canonical_json

T0 = 1_795_590_400_000_000  # 2026-11-25T07:06:40Z


def failed(n: int, second: int = 0, **extra: object) -> dict[str, object]:
    return {
        "event": "delivery.failed",
        "timestamp": f"2026-11-25T07:06:{40 + second}Z",
        "delivery_id": f"D{n}",
        "robot_id": "R-1",
        "error": {"code": "LID_STUCK"},
        **extra,
    }


def from_text(record: dict[str, object], order: list[str] | None = None) -> Event:
    """The event of ``record`` written with its keys in ``order``, its time read from its ``timestamp`` (a store's
    time is its record's: equal records, equal times)."""
    keys = order or list(record)
    return Event.from_text(json.dumps({k: record[k] for k in keys}))


def test_a_record_stored_twice_in_another_key_order_is_one_error_and_a_different_record_of_the_same_time_and_ids_is_two():
    a = failed(1, reason="lid")
    events = [
        from_text(a),
        from_text(a, order=sorted(a)),  # the same object, keys in another order: one event (rule 7)
        from_text(failed(1, reason="hinge")),  # same time, name and ids, another object: its own event
        from_text(failed(1, reason="hinge")),  # and its copy
        from_text(failed(1, second=1, reason="lid")),  # the same but for its time: another record
    ]
    rows = list(error_rows(events, T0, T0 + 10_000_000))
    assert [(e.ts, e.record["reason"], code) for e, code in rows] == [
        (T0, "lid", "LID_STUCK"),
        (T0, "hinge", "LID_STUCK"),
        (T0 + 1_000_000, "lid", "LID_STUCK"),
    ]


def test_error_rows_keeps_what_a_set_of_canonical_texts_keeps_on_generated_events():
    rng = random.Random(11)
    events = []
    for _ in range(3000):
        rec = failed(rng.randrange(30), second=rng.randrange(5), reason=rng.choice(["a", "b", "c"]))
        if rng.random() < 0.3:
            rec["error"] = {"code": rng.choice(["LID_STUCK", "BLOCKED_PATH"])}
        if rng.random() < 0.2:
            rec = {"event": "robot.parked", "timestamp": rec["timestamp"], "robot_id": "R-1"}  # not an error
        keys = list(rec)
        rng.shuffle(keys)
        events.append(from_text(rec, order=keys))
    seen: set[str] = set()
    expected = []
    for e in events:
        text = canonical_json(e.record)
        if e.severity == "error" and text not in seen:
            seen.add(text)
            expected.append((e.ts, text))
    got = [(e.ts, canonical_json(e.record)) for e, _ in error_rows(events, T0, T0 + 10_000_000)]
    assert got == expected and len(expected) > 100
