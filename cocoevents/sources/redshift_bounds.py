"""The id bounds part of the Redshift source (``redshift.RedshiftSource``; its module docstring says how they are
used): reading an id's rows of the COPY job's bounds table once per id and snapshot, and the delivery statement
over the delivery's own bounds, widened while its links' bounds reach further."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Optional

from ..core.model import Event
from ..errors import SourceUnavailable
from ..timestamps import EPOCH, parse_timestamp, to_datetime

# A delivery's statement covers its own rows' bounds widened by this much each side: its offer and demand events
# (linked, without its id) come before its first own event, and a wider range is only ever taken when the bounds
# of those ids ask for it (module docstring).
LINK_MARGIN_US = 12 * 3_600_000_000
# How many times a delivery statement is widened by its links' bounds before it runs over the whole range asked.
WIDEN_TRIES = 2


def micros(value: Any) -> Optional[int]:
    """A warehouse timestamp (or a text one) as epoch microseconds; ``None`` when it has none."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(to_datetime(0).tzinfo).replace(tzinfo=None)
        return (value - EPOCH) // timedelta(microseconds=1)
    return parse_timestamp(str(value))


@dataclass(frozen=True)
class IdBounds:
    """An id's rows in the bounds table: ``spans`` maps ``delivery``/``robot``/``pilot`` to the first and last
    ``event_ts`` of the rows carrying the id in that column; ``untimed``: a row with it as delivery id has no time."""

    spans: dict[str, tuple[int, int]]
    untimed: bool


class BoundsReading:
    """The bounds methods ``RedshiftSource`` mixes in; the rest is the source's own (declared here for the checker)."""

    table: str
    bounds: str
    _bounds_missing: bool
    _bounds_read: dict[str, Optional[IdBounds]]

    def _query(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _missing_table(self) -> bool:
        raise NotImplementedError

    def _delivery_sql(
        self, delivery_id: str | Sequence[str], lower: int, upper: Optional[int], link_bounds: bool = False
    ) -> tuple[str, list[Any]]:
        raise NotImplementedError

    def _events(self, rows: Sequence[tuple[Any, ...]]) -> list[Event]:
        raise NotImplementedError

    @staticmethod
    def _asked(delivery_id: str, events: Sequence[Event]) -> tuple[set[str], set[str]]:
        """The demand/offer ids the delivery statement matched on: those of the direct rows and of
        the rows they link (hop 1); every row without a delivery id carrying one of them was fetched."""
        direct = [e for e in events if e.delivery_id == delivery_id]
        d0 = {e.demand_id for e in direct if e.demand_id}
        o0 = {e.offer_id for e in direct if e.offer_id}
        hop1 = [e for e in events if e.delivery_id is None and (e.demand_id in d0 or e.offer_id in o0)]
        return d0 | {e.demand_id for e in hop1 if e.demand_id}, o0 | {e.offer_id for e in hop1 if e.offer_id}

    def _id_bounds(self, subject_id: str) -> Optional[IdBounds]:
        """The bounds table's rows of ``subject_id`` (as any kind of id), and whether it has a direct row without a
        time (one statement, read once per id and snapshot); ``None`` when the table holds none of them or is
        missing."""
        if self._bounds_missing:
            return None
        if subject_id in self._bounds_read:
            return self._bounds_read[subject_id]
        sql = (
            f"SELECT kind, first_ts, last_ts FROM {self.bounds} WHERE id = %s AND kind IN (%s, %s, %s, %s, %s) "
            f"UNION ALL SELECT 'untimed', NULL, NULL FROM (SELECT 1 AS hit FROM {self.table} "
            "WHERE event_ts IS NULL AND delivery_id = %s LIMIT 1) untimed_hit"
        )
        try:
            rows = self._query(sql, [subject_id, "delivery", "robot", "pilot", "demand", "offer", subject_id])
        except SourceUnavailable:
            if not self._missing_table():
                raise
            self._bounds_missing = True
            return None
        spans: dict[str, tuple[int, int]] = {}
        for kind, first, last in rows:
            a, b = micros(first), micros(last)
            if kind != "untimed" and a is not None and b is not None:
                spans[str(kind)] = (a, b)
        known = IdBounds(spans, any(r[0] == "untimed" for r in rows)) if spans else None
        self._bounds_read[subject_id] = known
        return known

    def _known_span(self, kind: str, ident: str) -> Optional[tuple[int, int]]:
        """The bounds of ``ident`` as a ``kind`` id when its bounds were read already (no statement), else ``None``."""
        known = self._bounds_read.get(ident)
        return known.spans.get(kind) if known is not None else None

    def _bounded_delivery(
        self, delivery_id: str, lower: int, upper: Optional[int], own: Optional[tuple[int, int]]
    ) -> tuple[list[Event], set[str], set[str]]:
        """The delivery statement's events and the ids it matched on (``_asked``), read over the delivery's own
        bounds ``own`` widened by ``LINK_MARGIN_US``, within ``[lower, upper]``; widened again while the bounds
        of a demand or offer id matched on reach rows of ``[lower, upper]`` outside it (module docstring)."""

        def inside(first: int, last: int) -> Optional[tuple[int, int]]:
            lo, hi = max(first, lower), last if upper is None else min(last, upper)
            return (lo, hi) if lo <= hi else None

        span = inside(own[0] - LINK_MARGIN_US, own[1] + LINK_MARGIN_US) if own is not None else None
        for _ in range(WIDEN_TRIES + 1):
            if span is None:
                break
            sql, params = self._delivery_sql(delivery_id, span[0], span[1], link_bounds=True)
            rows = self._query(sql, params)
            events = self._events([r[1:] for r in rows if r[0] == "delivery"])
            asked_d, asked_o = self._asked(delivery_id, events)
            links: dict[tuple[str, str], list[int]] = {}
            for tag, ts, ident in rows:
                us = micros(ts)
                if tag != "delivery" and us is not None:
                    end, kind = str(tag).split(" ", 1)
                    links.setdefault((kind, str(ident)), [us, us])[end == "last"] = us
            wanted = {("demand", d) for d in asked_d} | {("offer", o) for o in asked_o}
            if not wanted <= set(links):
                break  # an id the bounds table lacks: over the whole range asked
            needed = [r for r in (inside(first, last) for first, last in links.values()) if r is not None]
            lo, hi = min([span[0], *(r[0] for r in needed)]), max([span[1], *(r[1] for r in needed)])
            if (lo, hi) == span:
                return events, asked_d, asked_o
            span = (lo, hi)
        sql, params = self._delivery_sql(delivery_id, lower, upper)
        events = self._events([r[1:] for r in self._query(sql, params)])
        return (events, *self._asked(delivery_id, events))
