"""The core's fast paths: the few steps a million-event timeline spends its time in, each beside the plain twin
it must agree with (tests/core/test_fast_rules.py holds each pair equal on random timelines).

| fast here                | plain twin (the definition)             | why it is faster                            |
|--------------------------|-----------------------------------------|---------------------------------------------|
| ``event_of``             | ``model.Event.from_record``             | skips ``Event``'s guard; caches severities  |
| ``events_from_texts``    | ``model.Event.from_texts``              | ``event_of`` for each                       |
| ``linked_closure``       | ``links.linked_closures`` (one delivery) | asks each distinct shape once               |
| ``rows_in_order``        | ``sessionize.rows_in_order``            | skips ``Row``'s frozen-dataclass guard       |
| ``delivery_lane_names``  | ``sessionize.delivery_status``'s filter | reads names from the shared shape tuples    |

Here, and only here (and in ``model``, which defines it), code reads ``Event``'s layout: ``_shape`` is the tuple
``(name, severity, delivery_id, robot_id, pilot_id, demand_id, offer_id, keys)`` that events with the same values
share (a big delivery has a handful), so a question about names or ids is asked once per distinct tuple, not once
per event. The render layer's fast path is ``render.json_fast``.
"""

from __future__ import annotations

from itertools import compress
from operator import attrgetter
from typing import Any, Iterable, Sequence

from ..producers.registry import severity as severity_of
from .model import CHUNK, CHUNK_MIN, DELIVERY_LANE, Event, Gap, Lane, Row, Shape, TextChunk, parse_record, share_table

_SHAPE = attrgetter("_shape")
_INDEX = tuple(range(CHUNK))  # shared int objects for the positions in a chunk

# -- making events -------------------------------------------------------------------------------------------------


class _Blank:
    """``Event``'s layout without its guard: an event is filled in as one of these, then becomes an ``Event`` (its
    class swapped), instead of ``object.__setattr__`` slot by slot."""

    __slots__ = Event.__slots__
    ts: int | None
    _shape: Shape
    _data: str | TextChunk | dict[str, Any]
    _index: int
    _text: str | None


_SEVERITIES: dict[tuple[str, Any], str] = {}  # (name, level) -> severity, for records without an error


def event_of(record: dict[str, Any], ts: int | None, raw: str | TextChunk, index: int = 0) -> Event:
    """``Event.from_record(record, ts, raw, index)`` for a record parsed from ``raw`` (so plain JSON): the same
    event, made without the guard and with the severity of a (name, level) worked out once."""
    get = record.get
    name = get("event")
    if type(name) is not str:
        name = name if isinstance(name, str) else ""
    shared = share_table()
    e = _Blank()
    e.ts = ts
    value = get("delivery_id")
    delivery_id = value if isinstance(value, str) and value != "" else None
    value = get("robot_id")
    robot_id = value if isinstance(value, str) and value != "" else None
    value = get("pilot_id")
    pilot_id = value if isinstance(value, str) and value != "" else None
    value = get("demand_id")
    demand_id = value if isinstance(value, str) and value != "" else None
    value = get("offer_id")
    offer_id = value if isinstance(value, str) and value != "" else None
    level = get("level")
    if get("error") is not None or (level is not None and type(level) is not str):
        severity = severity_of(name, record)
    else:
        known = _SEVERITIES.get((name, level))
        if known is None:
            known = severity_of(name, record)
            if len(_SEVERITIES) < 4096:
                _SEVERITIES[(name, level)] = known
        severity = known
    shape: Shape = (name, severity, delivery_id, robot_id, pilot_id, demand_id, offer_id, len(record) if get("error") is None else -1)
    e._shape = shared.setdefault(shape, shape)
    e._data = raw
    e._index = index
    e._text = None
    e.__class__ = Event  # type: ignore[assignment]
    return e  # type: ignore[return-value]


def event_from_text(text: str, ts: int | None) -> Event:
    """``Event.from_text(text, ts)``, made by ``event_of``."""
    return event_of(parse_record(text), ts, text)


def events_from_texts(rows: list[tuple[str, int | None]]) -> list[Event]:
    """``Event.from_texts(rows)``, each made by ``event_of``."""
    if len(rows) < CHUNK_MIN:
        return [event_of(parse_record(text), ts, text) for text, ts in rows]
    out = []
    for n in range(0, len(rows), CHUNK):
        part = rows[n : n + CHUNK]
        chunk = TextChunk([text for text, _ in part])
        out += [event_of(parse_record(text), ts, chunk, _INDEX[k]) for k, (text, ts) in enumerate(part)]
    return out


# -- rules 1-2 -----------------------------------------------------------------------------------------------------


def linked_closure(delivery_id: str, events: Sequence[Event]) -> list[Event]:
    """``links.linked_closures([delivery_id], events)[delivery_id]`` for distinct ``events`` (rule 7 applied): the
    direct events in the given order, then the linked ones. Each question about ids is asked of each distinct shape
    once, and the events picked by C loops (``compress``)."""
    shapes = list(map(_SHAPE, events))
    direct = {shape for shape in set(shapes) if shape[2] == delivery_id}
    chosen = list(compress(events, map(direct.__contains__, shapes)))
    demands = {shape[5] for shape in direct if shape[5]}
    offers = {shape[6] for shape in direct if shape[6]}
    linked = {shape for shape in set(shapes) if shape[2] is None and (shape[5] or shape[6])}
    candidates = list(compress(events, map(linked.__contains__, shapes))) if linked else []
    taken: set[int] = set()
    grew = True
    while grew:
        grew = False
        for e in candidates:
            if id(e) in taken:
                continue
            demand, offer = e._shape[5], e._shape[6]
            if (demand and demand in demands) or (offer and offer in offers):
                chosen.append(e)
                taken.add(id(e))
                if demand and demand not in demands:
                    demands.add(demand)
                    grew = True
                if offer and offer not in offers:
                    offers.add(offer)
                    grew = True
    return chosen


# -- rows ------------------------------------------------------------------------------------------------------------


class _BlankRow:
    """``Row``'s layout without the frozen dataclass's guard: a row is filled in as one of these, then becomes a
    ``Row`` (its class swapped), instead of ``object.__setattr__`` field by field."""

    __slots__ = Row.__slots__
    event: Event
    lane: Lane
    severity: str
    gap_before_us: int | None


def rows_in_order(events: Sequence[Event], lanes: Sequence[Lane], order: Iterable[int], gap_us: int) -> tuple[list[Row], list[Gap]]:
    """``sessionize.rows_in_order``: the rows of ``events`` in ``order``, made without the guard, with one int
    object per distinct gap (a big timeline repeats a few thousand)."""
    rows: list[Row] = []
    gaps: list[Gap] = []
    add = rows.append
    shared: dict[int, int] = {}
    share = shared.setdefault
    prev: int | None = None
    for i in order:
        event = events[i]
        ts = event.ts
        assert ts is not None
        if prev is None:
            gap = None
        else:
            gap = ts - prev
            if gap > gap_us:
                gaps.append(Gap(prev, ts))
            if len(shared) < 65536:
                gap = share(gap, gap)
        row = _BlankRow()
        row.event = event
        row.lane = lanes[i]
        row.severity = event._shape[1]
        row.gap_before_us = gap
        row.__class__ = Row  # type: ignore[assignment]
        add(row)  # type: ignore[arg-type]
        prev = ts
    return rows, gaps


def delivery_lane_names(rows: Sequence[Row], names: frozenset[str]) -> list[str]:
    """The names among ``names`` of the delivery-lane rows, in order (``sessionize.delivery_status``'s filter):
    the names read from the shapes, the lane compared only for those rows."""
    return [r.event._shape[0] for r in rows if r.event._shape[0] in names and r.lane == DELIVERY_LANE]
