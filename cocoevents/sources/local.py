"""The local source: answers the sessionizer's questions from the DuckDB store.

It only ever reads what the rules need - a delivery's rows and those linked to
them by id, then the robots' and pilots' rows within their spans - through the
id indexes, never the whole table. Every value is a bound parameter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

import duckdb

from ..core.model import Event
from ..core.sessionize import ASSIGNMENT_EVENTS, Span
from ..errors import SourceUnavailable, StoreBusy
from ..registry import ID_FIELDS
from ..store import local as store
from ..timestamps import MAX_US, MIN_US, format_ts, to_datetime
from . import linked_ids_predicate
from .settings import Setting, validate

SETTINGS = (
    Setting("store", "path", None, "The store file (default: $XDG_DATA_HOME/coco/events.duckdb)."),
)


@dataclass(frozen=True)
class Settings:
    """A local profile: the store file (``None``: the default path, worked out only in ``store.local``)."""

    name: Optional[str]
    store: Optional[Path] = None

    @classmethod
    def from_values(cls, where: str, name: Optional[str], values: dict[str, Any]) -> Settings:
        return cls(name, **validate(where, "local", SETTINGS, values))

    @property
    def path(self) -> Path:
        return self.store or store.default_store_path()

    def where(self) -> str:
        return f"local store {self.path}"

    def describe(self) -> list[tuple[str, str]]:
        return [("source", "local"), ("store", str(self.path))]


def open(settings: Settings, *, now: Optional[int] = None,  # noqa: A001 - the kinds' protocol
         wait: Optional[float] = None) -> LocalSource:
    return LocalSource(settings.path, wait=wait)


def check(settings: Settings) -> str:
    """``coco doctor``: the store opens and answers; how many events, the latest."""
    local = LocalSource(settings.path)
    try:
        count, latest = store.verify(local.con, settings.path)  # reads every block: a damaged store is not "ok"
    finally:
        local.close()
    return f"coco: ok: local store {settings.path}: {count} events, latest {format_ts(latest) or 'none'}"


def _ts(us: int) -> Any:
    return to_datetime(min(max(us, MIN_US), MAX_US)).replace(tzinfo=None)


class LocalSource:
    def __init__(self, path: Path | None = None, wait: float | None = None) -> None:
        """``wait``: seconds to wait for a running load to let a reader in (default ``COCO_WAIT`` or 10)."""
        self.path = path or store.default_store_path()
        self.con = store.connect(self.path, read_only=True, wait=wait)
        # Events made so far, by rowid: a timeline asks for a delivery's rows, then for its robots' rows over
        # the same time, and gets the same (immutable) Event objects back instead of a second copy of each.
        self._made: dict[int, Event] = {}

    def close(self) -> None:
        self._made.clear()
        self.con.close()

    def _rows(self, where: str, params: Sequence[Any], seen: set[int]) -> list[Event]:
        """Events of the rows matching ``where``, skipping rows already in ``seen`` (a row
        fetched twice is one row, not a duplicate record)."""
        out = []
        made = self._made
        if len(made) > 4_000_000:  # pragma: no cover - a library user's long-lived source
            made.clear()
        try:
            for rowid, ts, record in store.iter_rows(self.con, where, params, made):  # a chunk at a time
                if rowid not in seen:
                    seen.add(rowid)
                    event = made.get(rowid) if record is None else None
                    if event is None:
                        event = made[rowid] = Event.from_record(json.loads(record), ts)
                    out.append(event)
        except duckdb.IOException as e:  # pragma: no cover - file vanished under us
            raise SourceUnavailable(f"store {self.path} became unreadable: {str(e).splitlines()[0]}") from e
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

    def baseline(self) -> Any:
        """The fleet baseline kept in the store (``None`` when it has none)."""
        from ..store.baseline import read

        return read(self.con)


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
