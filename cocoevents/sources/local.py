"""The local source: answers the sessionizer's questions from the DuckDB store.

It only ever reads what the rules need - a delivery's rows and those linked to
them by id, then the robots' and pilots' rows within their spans - through the
id indexes, never the whole table. Every value is a bound parameter.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import duckdb

from ..core.model import Event
from ..core.sessionize import ASSIGNMENT_EVENTS, Span
from ..errors import SourceUnavailable, StoreBusy
from ..registry import ID_FIELDS
from ..store import local as store
from ..timestamps import MAX_US, MIN_US, to_datetime
from . import linked_ids_predicate


def _ts(us: int) -> Any:
    return to_datetime(min(max(us, MIN_US), MAX_US)).replace(tzinfo=None)


class LocalSource:
    name = "local"

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or store.default_store_path()
        self.con = store.connect(self.path, read_only=True)

    def close(self) -> None:
        self.con.close()

    def _rows(self, where: str, params: Sequence[Any], seen: set[int]) -> list[Event]:
        """Events of the rows matching ``where``, skipping rows already in ``seen`` (a row
        fetched twice is one row, not a duplicate record)."""
        try:
            rows = store.fetch_rows(self.con, where, params)
        except duckdb.IOException as e:  # pragma: no cover - file vanished under us
            raise SourceUnavailable(f"store {self.path} became unreadable: {str(e).splitlines()[0]}") from e
        out = []
        for rowid, ts, record in rows:
            if rowid not in seen:
                seen.add(rowid)
                out.append(Event.from_record(json.loads(record), ts))
        return out

    def kinds(self, subject_id: str, since: int | None = None, until: int | None = None) -> list[str]:
        """All time: the id indexes make this cheap, and "nothing in your range" is a better answer than
        "no such id" when the id exists outside it."""
        q = " UNION ALL ".join(
            f"SELECT '{k}' FROM (SELECT 1 FROM events WHERE {k}_id = $id LIMIT 1)" for k in ("delivery", "robot", "pilot")
        )
        found = {r[0] for r in self.con.execute(q, {"id": subject_id}).fetchall()}
        return [k for k in ("delivery", "robot", "pilot") if k in found]

    def delivery_events(self, delivery_id: str, since: int | None, until: int | None) -> list[Event]:
        bound, bparams = _bounds(since, until)
        seen: set[int] = set()
        events = self._rows(f"delivery_id = ?{bound}", [delivery_id, *bparams], seen)
        demands = {e.demand_id for e in events if e.demand_id}
        offers = {e.offer_id for e in events if e.offer_id}
        asked_d: set[str] = set()
        asked_o: set[str] = set()
        while demands - asked_d or offers - asked_o:
            new_d, new_o = sorted(demands - asked_d), sorted(offers - asked_o)
            asked_d |= demands
            asked_o |= offers
            wanted, params = linked_ids_predicate(new_d, new_o, "?")
            found = self._rows(f"delivery_id IS NULL AND ({wanted}){bound}", [*params, *bparams], seen)
            events += found
            demands |= {e.demand_id for e in found if e.demand_id}
            offers |= {e.offer_id for e in found if e.offer_id}
        return events

    def events_in_spans(self, column: str, spans: Sequence[Span], untimed: bool = False,
                        assignment_spans: Sequence[Span] = ()) -> list[Event]:
        if column not in ID_FIELDS:
            raise ValueError(f"not an id column: {column}")
        out: list[Event] = []
        seen: set[int] = set()
        for ident, start, end in spans:
            extra = " OR ts IS NULL" if untimed else ""
            out += self._rows(f"{column} = ? AND (ts BETWEEN ? AND ?{extra})", [ident, _ts(start), _ts(end)], seen)
        for ident, start, end in assignment_spans:
            out += self._rows(f"{column} = ? AND event IN (?, ?) AND ts BETWEEN ? AND ?",
                              [ident, *ASSIGNMENT_EVENTS, _ts(start), _ts(end)], seen)
        return out


def _bounds(since: int | None, until: int | None) -> tuple[str, list[Any]]:
    clauses, params = [], []
    if since is not None:
        clauses.append("ts >= ?")
        params.append(_ts(since))
    if until is not None:
        clauses.append("ts <= ?")
        params.append(_ts(until))
    if not clauses:
        return "", []
    return f" AND (ts IS NULL OR ({' AND '.join(clauses)}))", params


__all__ = ["LocalSource", "StoreBusy"]
