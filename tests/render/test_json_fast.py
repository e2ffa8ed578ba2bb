"""The JSON writer's fast path (``render.json_fast``) against its plain twin (``json_writer.row_text``), on random
timelines (hypothesis): the same bytes for every row, indented (``-f json``) and compact (``-f jsonl``)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cocoevents.core.lookup import build
from cocoevents.core.model import Event
from cocoevents.core.options import Options
from cocoevents.render.json_fast import COMPACT, SPACED, row_chunks, style_of
from cocoevents.render.json_writer import row_text
from cocoevents.sources.memory import MemorySource

SOME = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(
    st.text(max_size=6),
    st.sampled_from(['a"b', "back\\slash", "tab\there", "é日本", "", ', "x": 1', '":']),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)),
    max_leaves=6,
)
records = st.lists(
    st.fixed_dictionaries(
        {
            "event": st.sampled_from(["demand.assigned", "delivery.failed", "robot.state_changed", "x.y"]),
            "timestamp": st.sampled_from(["2026-11-25T10:00:00Z", "2026-11-25T10:00:01.5Z", "2026-11-25T12:00:00.123Z"]),
            "delivery_id": st.just("D1"),
        },
        optional={
            "robot_id": st.sampled_from(["R-1", 'R-"2"']),
            "demand_id": st.sampled_from(["DM1", "é"]),
            "error": st.one_of(st.none(), values),
            "level": st.sampled_from(["error", "info"]),
            "a": values,
            "b": values,
        },
    ),
    min_size=1,
    max_size=12,
)


def _as_stored(recs: list[dict[str, Any]], spaced: bool) -> list[Event]:
    """The records as a store gives them back: their JSON text in one separator style (or kept as they are when
    JSON cannot write them)."""
    out = []
    for r in recs:
        try:
            text = json.dumps(r, ensure_ascii=False, allow_nan=False, separators=(", ", ": ") if spaced else (",", ":"))
        except ValueError:
            out.append(Event.from_record(r))
        else:
            out.append(Event.from_text(text))
    return out


@SOME
@given(records, st.booleans())
def test_the_fast_rows_are_the_bytes_of_each_rows_object_encoded(recs, spaced):
    events = _as_stored(recs, spaced)
    t = build(MemorySource(events), "D1", "delivery", Options())
    for indented, sep in ((True, ",\n    "), (False, "\n")):
        assert "".join(row_chunks(t.rows, indented, sep, size=5)) == sep.join(row_text(r, indented) for r in t.rows)


def test_a_record_stored_as_the_encoder_writes_it_is_spliced_and_any_other_is_encoded_again():
    """The three ways through ``RowTexts``: both separator styles taken as stored, the rest parsed."""
    styles = [
        style_of(Event.from_text('{"event": "x.y", "delivery_id": "D1", "n": 1}')),
        style_of(Event.from_text('{"event":"x.y","delivery_id":"D1","n":1}')),
        style_of(Event.from_text('{ "event" : "x.y", "delivery_id": "D1"}')),
        style_of(Event.from_text('{"event": "x.y", "delivery_id": "D1", "s": "a\\"b"}')),
    ]
    assert styles == [SPACED, COMPACT, 0, 0]
