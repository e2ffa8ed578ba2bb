"""The local source: answers the sessionizer's questions from the DuckDB store.

It only ever reads what the rules need - a delivery's rows and those linked to
them by id, then the robots' and pilots' rows within their spans - through the
store's ``keys`` (id -> ``seq``, see ``store.local``), never by reading the id
columns of the whole table. Every value is a bound parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

from ..core.baseline import order_steps
from ..core.fast_rules import event_from_text, events_from_texts
from ..core.links import walk_links
from ..core.model import Event
from ..core.source_protocol import Source, Span, select_in_spans
from ..core.status import status_of
from ..duckdb_engine import duckdb
from ..errors import SourceUnavailable, StoreBusy
from ..producers.registry import ASSIGNMENT_EVENTS, ID_FIELDS, registry_sort_key
from ..store.config import default_store_path
from ..store.connection import load_running, open_store, verify, waiting_marker
from ..store.rows import FETCH_CHUNK, matching_rowids, rowid_chunks
from ..store.schema import ASSIGNMENT_KINDS, stored_errors
from ..timestamps import MAX_US, MIN_US, format_ts, to_datetime
from .settings import Setting, validate

SETTINGS = (Setting("store", "path", None, "The store file (default: $XDG_DATA_HOME/coco/events.duckdb)."),)


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
        return self.store or default_store_path()

    def where(self) -> str:
        return f"local store {self.path}"

    def describe(self) -> list[tuple[str, str]]:
        return [("source", "local"), ("store", str(self.path))]


def open(
    settings: Settings,
    *,
    now: Optional[int] = None,  # noqa: A001 - the kinds' protocol
    wait: Optional[float] = None,
    connection: Any = None,
) -> LocalSource:
    return LocalSource(settings.path, wait=wait, connection=connection)


def check(settings: Settings) -> str:
    """``coco doctor``: the store opens and answers; how many events, the latest."""
    local = LocalSource(settings.path)
    try:
        count, latest = verify(local.con, settings.path)  # reads every block: a damaged store is not "ok"
    finally:
        local.close()
    return f"coco: ok: local store {settings.path}: {count:,} events, latest {format_ts(latest) or 'none'}"


def _ts(us: int) -> Any:
    return to_datetime(min(max(us, MIN_US), MAX_US)).replace(tzinfo=None)


class LocalSource(Source):
    """``EventSource`` over the local DuckDB store, opened read-only (see the module docstring)."""

    KEEPS_STATUSES = True  # schema 5 and later: ``links``/``outcomes``, schema 6: the kept ``statuses``
    READ_ONLY_STORE = True  # it holds no write: a process may end with it open

    def __init__(self, path: Path | None = None, wait: float | None = None, connection: Any = None) -> None:
        """``wait``: seconds to wait for a running load to let a reader in (default ``COCO_WAIT`` or 10);
        ``connection``: the store opened ahead (``store.connection.open_store``)."""
        self.path = path or default_store_path()
        self.wait = wait
        # Events made so far, by rowid: a timeline asks for a delivery's rows, then for its robots' rows over
        # the same time, and gets the same (immutable) Event objects back instead of a second copy of each.
        self._made: dict[int, Event] = {}
        self._con: Any = None
        self._open(connection)

    def _open(self, connection: Any = None) -> Any:
        self._con, tables = open_store(self.path, read_only=True, wait=self.wait, connection=connection)
        # Schema 4 stores find rows by id through ``keys``; an older store (read before any writer migrates
        # it) through its ART indexes on the id columns.
        self.keyed = "keys" in tables
        self.statused = {"links", "outcomes"} <= tables  # schema 5: ``delivery_statuses`` reads them
        self.kept_statuses = "statuses" in tables  # schema 6: and the kept statuses, when current
        self.assignment_keyed = self.kept_statuses  # schema 6 also keys each assignment's robot and pilot apart
        self.kept_attributes = "attributes" in tables  # schema 7: ``coco compare`` reads no record
        self.kept_errors = "errors" in tables  # schema 8: ``coco errors`` reads the error index
        self.kept_facts = "delivery_facts" in tables  # schema 9: ``coco compare`` reads the kept facts, when current
        return self._con

    @property
    def con(self) -> Any:
        """The store's connection; after ``release`` the next question opens the store again (waiting, as any
        reader does, for a running load to let go of it)."""
        return self._con if self._con is not None else self._open()

    def close(self) -> None:
        self._made.clear()
        if self._con is not None:
            self._con.close()  # kept: a closed source stays closed (``con`` does not open it again)

    def side(self) -> LocalSource:
        """Another reader of the store on a cursor of this connection, for a second thread to ask at the same time
        (``coco explore`` builds the timelines a cursor rests near on it)."""
        return LocalSource(self.path, self.wait, connection=self.con.cursor())

    # -- following (``core.follow``): a resident reader lets loads in --------------------------------------

    def release(self) -> None:
        """Let go of the store, so a load can commit; the next question opens it again. The events made so
        far are forgotten with the connection (a load may renumber the rows they were kept by)."""
        self._made.clear()
        con, self._con = self._con, None
        if con is not None:
            con.close()

    def refresh(self) -> None:
        """See what loads committed since the store was opened: a read-only connection sees the store as it
        was when it opened, so it is opened again (by the next question)."""
        self.release()

    def load_running(self) -> int | None:
        """A load (or sync) into this store under way: its answers hold what it committed so far."""
        return load_running(self.path)

    def writer_waiting(self) -> bool:
        """Whether a load waits for this reader to let go of the store (``<store>.waiting``, which a load
        blocked by a reader leaves; ``store.connection.retrying``)."""
        return waiting_marker(self.path).exists()

    def arrivals(self, since: int, ids: Mapping[str, Sequence[str]]) -> Any:
        """Changes with every load: the loaded files, their count and events (a tiny table; any load that
        adds rows adds files). A superset of the rows ``ids`` since ``since`` asks about, as the protocol
        allows."""
        return tuple(self.con.execute("SELECT count(*), coalesce(max(file_id), 0), coalesce(sum(events), 0) FROM files").fetchone())

    def forget(self) -> None:
        """Let go of the events made so far (``_made``): a streamed listing (``core.listings.stream_deliveries``)
        calls it after each batch, so a whole day's listing holds a batch's events, not the day's."""
        self._made.clear()

    def _rows(self, where: str | list[str], params: Sequence[Any], seen: set[int]) -> list[Event]:
        """Events of the rows matching ``where`` (or any of a list of conditions), skipping rows already in
        ``seen`` (a row fetched twice is one row, not a duplicate record)."""
        made = self._made
        if len(made) > 4_000_000:  # pragma: no cover - a library user's long-lived source
            made.clear()
        fresh = [r for r in matching_rowids(self.con, where, params) if r not in seen]
        seen.update(fresh)
        return self._events(rowid_chunks(self.con, fresh, made), True)

    def _events(self, chunks: Any, keep: bool) -> list[Event]:
        """Events of ``rowid_chunks`` in their order: those made before (no records) from ``_made``, the
        others made a chunk at a time (``fast_rules.events_from_texts``), kept in ``_made`` with ``keep``."""
        made = self._made
        out: list[Event] = []
        try:
            for ids, ts, records in chunks:
                if records is None:
                    out += map(made.__getitem__, ids)
                    continue
                events = events_from_texts(list(zip(records, ts)))
                if keep:
                    made.update(zip(ids, events))
                out += events
        except duckdb.IOException as e:  # pragma: no cover - file vanished under us
            raise SourceUnavailable(f"store {self.path} became unreadable: {str(e).splitlines()[0]}") from e
        return out

    def kinds(self, subject_id: str, since: int | None = None, until: int | None = None) -> list[str]:
        """All time: ``keys`` makes this cheap, and "nothing in your range" is a better answer than
        "no such id" when the id exists outside it."""
        if self.keyed:
            q = "SELECT DISTINCT kind FROM keys WHERE id = $id"
        else:
            q = " UNION ALL ".join(
                f"SELECT '{k}' FROM (SELECT 1 FROM events WHERE {k}_id = $id LIMIT 1)" for k in ("delivery", "robot", "pilot")
            )
        found = {r[0] for r in self.con.execute(q, {"id": subject_id}).fetchall()}
        return [k for k in ("delivery", "robot", "pilot") if k in found]

    def delivery_events(self, delivery_id: str, since: int | None, until: int | None) -> list[Event]:
        return self._closure(*self._match([("delivery_id", [delivery_id])]), since, until)

    def deliveries_events(self, delivery_ids: Sequence[str], since: int | None, until: int | None) -> list[Event]:
        if not delivery_ids:
            return []
        return self._closure(*self._match([("delivery_id", list(delivery_ids))]), since, until)

    def _closure(self, direct: str, direct_params: list[Any], since: int | None, until: int | None) -> list[Event]:
        """The rows matching ``direct``, then the rows without a delivery id linked to them, a hop at a time
        (``walk_links``): the hops read only the id columns; the records of all the rows are then fetched in one go."""
        bound, bparams = _bounds(since, until)
        rowids: list[int] = []
        demands: set[str | None] = set()
        offers: set[str | None] = set()
        cur = self.con.cursor()
        try:  # the direct rows come once (a big delivery's million: columns, C loops)
            cur.execute(f"SELECT rowid, demand_id, offer_id FROM events WHERE {direct}{bound}", [*direct_params, *bparams])
            while chunk := cur.fetchmany(FETCH_CHUNK):
                ids, dms, ofs = zip(*chunk)
                rowids.extend(ids)
                demands.update(dms)
                offers.update(ofs)
        finally:
            cur.close()
        seen: set[int] = set()  # only the hops' rows may come again

        def more(new_d: list[str], new_o: list[str], *_: Any) -> list[tuple[str | None, str | None]]:
            wanted, params = self._match([("demand_id", new_d), ("offer_id", new_o)])
            found = self.con.execute(
                f"SELECT rowid, demand_id, offer_id FROM events WHERE delivery_id IS NULL AND ({wanted}){bound}", [*params, *bparams]
            ).fetchall()
            for rowid, _, _ in found:
                if rowid not in seen:
                    seen.add(rowid)
                    rowids.append(rowid)
            return [(demand, offer) for _, demand, offer in found]

        walk_links(demands, offers, more)
        # A big delivery's rows are not kept by rowid: its robots' and pilots' questions leave them out
        # (``without_delivery``), and a million entries would cost a hundred megabytes.
        keep = len(rowids) <= KEEP_BY_ROWID
        return self._events(rowid_chunks(self.con, rowids, self._made), keep)  # a chunk at a time

    def step_times(self, delivery_ids: Sequence[str], since: int | None, until: int | None) -> dict[str, list[tuple[int, str]]]:
        """From the small columns of the deliveries' direct rows: no record is read (a robot's day asks this for
        the deliveries its silences lie inside; their records are most of a day's row groups)."""
        if not delivery_ids:
            return {}
        timed = "".join(f" AND ts {op} ?" for op, v in ((">=", since), ("<=", until)) if v is not None)
        tparams = [_ts(v) for v in (since, until) if v is not None]
        if self.keyed:
            # The delivery of each row from ``keys`` (seq -> id), not from the rows' ``delivery_id``: reading that
            # column for a few rows decodes its dictionary in every vector they lie in (~30% of this question at 10M).
            ids = list(dict.fromkeys(delivery_ids))
            owner = dict(self.con.execute(*_keys_of("delivery", ids, "seq, id")).fetchall())
            if not owner:
                return {}
            if len(owner) > STEP_SEQS:  # a big delivery's rows: the keys asked again rather than a list of their seqs
                wanted, wparams = _keys_of("delivery", ids)
            else:
                wanted, wparams = "SELECT unnest(?::BIGINT[])", [list(owner)]
            rows = self.con.execute(
                f"SELECT seq, epoch_us(ts), event FROM events WHERE seq IN ({wanted}) AND ts IS NOT NULL AND event IS NOT NULL{timed}",
                [*wparams, *tparams],
            ).fetchall()
        else:
            match, params = self._match([("delivery_id", list(delivery_ids))])
            owner = {}
            rows = self.con.execute(
                f"SELECT delivery_id, epoch_us(ts), event FROM events WHERE ({match}) AND ts IS NOT NULL AND event IS NOT NULL{timed}",
                [*params, *tparams],
            ).fetchall()
        mine: dict[str, list[tuple[int, str]]] = {}
        for key, ts, name in rows:
            mine.setdefault(owner.get(key, key), []).append((ts, name))  # order_steps keeps each distinct step once
        return {d: order_steps(pairs) for d, pairs in mine.items()}

    def delivery_statuses(self, delivery_ids: Sequence[str]) -> dict[str, str] | None:
        """Spec section 6 for many deliveries from the store's ``links`` and ``outcomes`` (schema 5), small
        tables written with each file, without reading the deliveries' rows: rules 1-2 over the id triples
        (a row without a delivery id links its demand and offer), then the last outcome of each one's closure.
        The same answer as ``core.listings.statuses`` over the deliveries' events (tests hold the two equal); a
        delivery with no timed direct row has none. ``None`` on a store written before the tables."""
        if not self.statused:
            return None
        ids = list(dict.fromkeys(delivery_ids))
        if not ids:
            return {}
        if self.kept_statuses:  # schema 6: every delivery's status, kept up to date by the loads
            from ..store import statuses

            kept = statuses.read(self.con, ids)
            if kept is not None:
                return kept
        return self.linked_statuses(ids)

    def linked_statuses(self, ids: list[str]) -> dict[str, str]:
        """``delivery_statuses`` from ``links`` and ``outcomes``, hop by hop (a store whose kept statuses are
        out of date; the tests hold it equal to ``store.statuses``)."""
        seeds: dict[str, tuple[set[str], set[str]]] = {d: (set(), set()) for d in ids}
        timed: set[str] = set()
        for d, demand, offer, has_time in self.con.execute(
            "SELECT delivery_id, demand_id, offer_id, timed FROM links WHERE delivery_id IN (SELECT unnest(?::VARCHAR[]))", [ids]
        ).fetchall():
            if has_time:
                timed.add(d)
            if demand:
                seeds[d][0].add(demand)
            if offer:
                seeds[d][1].add(offer)
        # the rows without a delivery id reachable from any of them, a hop at a time: each joins its demand and offer
        pairs: set[tuple[str | None, str | None]] = set()

        def more(new_d: list[str], new_o: list[str], *_: Any) -> list[tuple[str | None, str | None]]:
            found = self.con.execute(  # a UNION, not an OR: each side prunes by its own column
                "SELECT demand_id, offer_id FROM links WHERE delivery_id IS NULL AND demand_id IN "
                "(SELECT unnest(?::VARCHAR[])) UNION SELECT demand_id, offer_id FROM links WHERE delivery_id IS NULL "
                "AND offer_id IN (SELECT unnest(?::VARCHAR[]))",
                [new_d, new_o],
            ).fetchall()
            pairs.update(found)
            return found

        asked_d, asked_o = walk_links([x for s in seeds.values() for x in s[0]], [x for s in seeds.values() for x in s[1]], more)
        by_demand: dict[str, list[tuple[str | None, str | None]]] = {}
        by_offer: dict[str, list[tuple[str | None, str | None]]] = {}
        for dm, of in pairs:
            if dm:
                by_demand.setdefault(dm, []).append((dm, of))
            if of:
                by_offer.setdefault(of, []).append((dm, of))

        def known(new_d: list[str], new_o: list[str], *_: Any) -> list[tuple[str | None, str | None]]:
            return [p for x in new_d for p in by_demand.get(x, ())] + [p for x in new_o for p in by_offer.get(x, ())]

        reach = {d: walk_links(seeds[d][0], seeds[d][1], known) for d in ids}
        outcome = "SELECT event, epoch_us(ts), delivery_id, demand_id, offer_id FROM outcomes WHERE "
        outcomes = self.con.execute(  # a row found twice (by demand and by offer) counts once: only the last matters
            f"{outcome}delivery_id IN (SELECT unnest(?::VARCHAR[])) UNION ALL {outcome}delivery_id IS NULL AND "
            f"demand_id IN (SELECT unnest(?::VARCHAR[])) UNION ALL {outcome}delivery_id IS NULL AND "
            "offer_id IN (SELECT unnest(?::VARCHAR[]))",
            [ids, sorted(asked_d), sorted(asked_o)],
        ).fetchall()
        direct: dict[str, list[tuple[int, Any, str]]] = {}
        linked: dict[tuple[str, str], list[tuple[int, Any, str]]] = {}
        for name, ts, dd, dm, of in outcomes:
            row = (ts, registry_sort_key(name), name)
            if dd is not None:
                direct.setdefault(dd, []).append(row)
            else:
                for key in (("d", dm), ("o", of)):
                    if key[1] is not None:
                        linked.setdefault(key, []).append(row)
        out: dict[str, str] = {}
        for d in ids:
            if d not in timed:
                continue
            demands, offers = reach[d]
            mine = (
                direct.get(d, [])
                + [r for x in demands for r in linked.get(("d", x), ())]
                + [r for x in offers for r in linked.get(("o", x), ())]
            )
            out[d] = status_of(name for _, _, name in sorted(mine))  # timeline order: time, registry position
        return out

    def events_in_spans(
        self,
        column: str,
        spans: Sequence[Span],
        untimed: bool = False,
        assignment_spans: Sequence[Span] = (),
        without_delivery: bool = False,
    ) -> list[Event]:
        if column not in ID_FIELDS:
            raise ValueError(f"not an id column: {column}")
        if assignment_spans and self.assignment_keyed:
            return self._spans_and_assignments(column, spans, untimed, assignment_spans, without_delivery)
        if len(spans) + len(assignment_spans) > 1:  # one statement: each costs a few ms of a cold process
            return self._many_spans(column, spans, untimed, assignment_spans, without_delivery)
        out: list[Event] = []
        seen: set[int] = set()
        unassigned = " AND delivery_id IS NULL" if without_delivery else ""
        for ident, start, end in spans:
            extra = " OR ts IS NULL" if untimed else ""
            match, mparams = self._match([(column, [ident])])
            out += self._rows(f"{match}{unassigned} AND (ts BETWEEN ? AND ?{extra})", [*mparams, _ts(start), _ts(end)], seen)
        for ident, start, end in assignment_spans:
            match, mparams = self._match([(column, [ident])])
            out += self._rows(
                f"{match} AND event IN (?, ?) AND ts BETWEEN ? AND ?", [*mparams, *ASSIGNMENT_EVENTS, _ts(start), _ts(end)], seen
            )
        return out

    def baseline(self) -> Any:
        """The fleet baseline kept in the store (``None`` when it has none)."""
        from ..store.baseline import read

        return read(self.con)

    def _many_spans(
        self, column: str, spans: Sequence[Span], untimed: bool, assignment_spans: Sequence[Span], without_delivery: bool = False
    ) -> list[Event]:
        """Many spans in one statement: the ids' rows within the spans' overall bounds (the ``ts`` zone
        maps prune the rest), then each row kept only when it is inside one of its id's spans."""
        every = [*spans, *assignment_spans]
        ids = sorted({ident for ident, _, _ in every})
        lo, hi = min(s for _, s, _ in every), max(e for _, _, e in every)
        timed = "ts BETWEEN ? AND ?"
        match, mparams = self._match([(column, ids)])
        params: list[Any] = [*mparams, _ts(lo), _ts(hi)]
        if spans and assignment_spans:  # the lookback reads only assignments
            timed += " AND (ts BETWEEN ? AND ? OR event IN (?, ?))"
            params += [_ts(min(s for _, s, _ in spans)), _ts(max(e for _, _, e in spans)), *ASSIGNMENT_EVENTS]
        elif assignment_spans:
            timed += " AND event IN (?, ?)"
            params += list(ASSIGNMENT_EVENTS)
        if without_delivery and spans:  # the assignments are read whatever they carry
            timed += " AND (delivery_id IS NULL OR event IN (?, ?))" if assignment_spans else " AND delivery_id IS NULL"
            params += list(ASSIGNMENT_EVENTS) if assignment_spans else []
        extra = " OR ts IS NULL" if untimed else ""
        rows = self._rows(f"{match} AND ({timed}{extra})", params, set())
        return select_in_spans(rows, column, spans, untimed, assignment_spans)

    def _spans_and_assignments(
        self, column: str, spans: Sequence[Span], untimed: bool, assignment_spans: Sequence[Span], without_delivery: bool
    ) -> list[Event]:
        """Schema 6: ``_many_spans``' rows in one statement of two parts - the ids' rows within the spans'
        bounds through their keys, and their assignments within the lookback through the assignment keys
        (``sql.ASSIGNMENT_KINDS``): the lookback reads the few rows it wants, not every row of the ids over
        twelve hours. Then each row is kept only inside one of its id's spans."""
        parts: list[str] = []
        params: list[Any] = []
        if spans:
            match, mparams = self._match([(column, sorted({ident for ident, _, _ in spans}))])
            timed = "ts BETWEEN ? AND ?" + (" AND delivery_id IS NULL" if without_delivery else "")
            parts.append(f"{match} AND ({timed}{' OR ts IS NULL' if untimed else ''})")
            params += [*mparams, _ts(min(s for _, s, _ in spans)), _ts(max(e for _, _, e in spans))]
        match, mparams = self._match([(column, sorted({ident for ident, _, _ in assignment_spans}))], assignments=True)
        parts.append(f"{match} AND ts BETWEEN ? AND ?")
        params += [*mparams, _ts(min(s for _, s, _ in assignment_spans)), _ts(max(e for _, _, e in assignment_spans))]
        rows = self._rows(parts, params, set())
        return select_in_spans(rows, column, spans, untimed, assignment_spans)

    def _match(self, wanted: Sequence[tuple[str, Sequence[str]]], assignments: bool = False) -> tuple[str, list[Any]]:
        """The predicate "``column`` is one of ``values``" for each pair, OR-ed, with its parameters: through
        ``keys`` (the rows' ``seq``), each id an equality the sorted ids' zone maps answer, so the cost follows
        the ids asked for, not the table; on an older store, on the id columns themselves (its ART indexes)."""
        wanted = [(c, list(v)) for c, v in wanted if v]
        if not self.keyed:
            return _linked_predicate(wanted)
        parts: list[str] = []
        params: list[Any] = []
        for column, values in wanted:
            kind = ASSIGNMENT_KINDS[column[:-3]] if assignments else column[:-3]  # assignments: their own keys
            part, more = _keys_of(kind, values)
            parts.append(part)
            params += more
        return f"seq IN ({' UNION ALL '.join(parts)})", params

    # -- batch questions (``cocoevents.fleet``) ----------------------------------------------------

    def active_deliveries(self, since: int, until: int) -> list[tuple[str, int]]:
        """SQL over the id columns and the ``ts`` zone maps: the deliveries with a direct event in the
        range, and the time of each one's earliest direct event (schema 9: kept with their facts, ``store.facts``)."""
        if self.kept_facts:
            from ..store import facts

            kept = facts.active(self.con, since, until)
            if kept is not None:
                return kept
        rows = self.con.execute(
            "SELECT delivery_id, epoch_us(min(ts)) FROM events WHERE ts IS NOT NULL AND delivery_id IN "
            "(SELECT delivery_id FROM events WHERE ts BETWEEN ? AND ? AND delivery_id IS NOT NULL) "
            "GROUP BY delivery_id",
            [_ts(since), _ts(until)],
        ).fetchall()
        return [(d, int(t)) for d, t in rows]

    def started_deliveries(self, since: int, until: int, limit: int) -> list[tuple[str, int]] | None:
        """The ``limit`` newest deliveries that started in the range (their first direct event in it), as
        ``active_deliveries`` pairs, from the kept facts (``store.facts.started``); ``None`` when they cannot say."""
        if not self.kept_facts:
            return None
        from ..store import facts

        return facts.started(self.con, since, until, limit)

    def narrow_deliveries(self, since: int, until: int, column: str, values: Sequence[str], linked_only: bool) -> set[str] | None:
        if column not in ("event", "robot_id"):
            raise ValueError(f"cannot narrow by {column}")
        loose = " AND (demand_id IS NOT NULL OR offer_id IS NOT NULL)" if linked_only else ""
        if self.con.execute(
            f"SELECT 1 FROM events WHERE {column} IN (SELECT unnest(?::VARCHAR[])) AND delivery_id IS NULL{loose} LIMIT 1", [list(values)]
        ).fetchone():
            return None
        rows = self.con.execute(
            f"SELECT DISTINCT delivery_id FROM events WHERE {column} IN (SELECT unnest(?::VARCHAR[])) AND delivery_id IN "
            "(SELECT delivery_id FROM events WHERE ts BETWEEN ? AND ? AND delivery_id IS NOT NULL)",
            [list(values), _ts(since), _ts(until)],
        ).fetchall()
        return {r[0] for r in rows}

    def linked_events(self, demands: Sequence[str], offers: Sequence[str], since: int | None, until: int | None) -> list[Event]:
        if not demands and not offers:
            return []
        bound, bparams = _bounds(since, until)
        wanted, params = self._match([("demand_id", list(demands)), ("offer_id", list(offers))])
        return self._rows(f"({wanted}){bound}", [*params, *bparams], set())

    def error_events(self, since: int, until: int) -> list[Event]:
        """The error rows of the range (timeline rules §4): from the error index written at load time (schema 8,
        ``store.schema.ERRORS_CREATE``); a store before it (read before a writer migrates it) has every record
        of the range read again."""
        bounds = {"since": _ts(since), "until": _ts(until)}
        if self.kept_errors:
            query = "SELECT epoch_us(ts), record FROM errors WHERE ts BETWEEN $since AND $until ORDER BY ts, seq"
        else:
            query = f"{stored_errors()} ORDER BY ts"
        try:
            found = self.con.execute(query, bounds).fetchall()
        except duckdb.IOException as e:  # pragma: no cover - file vanished under us
            raise SourceUnavailable(f"store {self.path} became unreadable: {str(e).splitlines()[0]}") from e
        return [event_from_text(record, ts) for ts, record in found]

    def error_groups(self, since: int, until: int, by: str) -> list[Any] | None:
        """The range's error groups (``coco errors --by``) counted in SQL over the error index's columns (schema 8):
        no record read but those of copies (``_error_copies``), which are left out first; ``None`` for a store
        without the index. The same groups as ``core.listings.group_errors`` over ``error_rows``: each column here
        is what ``ErrorGroup.add`` counts (a test compares the two on copies, codeless and hostile codes)."""
        if not self.kept_errors:
            return None
        from ..core.listings import HOUR_US, ErrorGroup

        key = {"code": "NULLIF(error_code, '')", "hour": "NULLIF(error_code, '')", "event": "event", "robot": "robot_id"}[by]
        params: dict[str, Any] = {"since": _ts(since), "until": _ts(until)}
        rows = "FROM errors WHERE ts BETWEEN $since AND $until"
        copies = self._error_copies(since, until)
        if copies:
            rows += " AND (file_id, seq) NOT IN (SELECT k.f, k.q FROM (SELECT unnest($copies::STRUCT(f BIGINT, q BIGINT)[]) AS k))"
            params["copies"] = [{"f": f, "q": q} for f, q in copies]
        groups: dict[Optional[str], ErrorGroup] = {}
        for k, n_deliveries, n_robots, first, last, example, example_ts in self.con.execute(
            f"SELECT {key}, count(DISTINCT delivery_id) FILTER (delivery_id <> ''), count(DISTINCT robot_id) FILTER (robot_id <> ''), "
            "epoch_us(min(ts)), epoch_us(max(ts)), arg_max(delivery_id, (ts, seq)) FILTER (delivery_id <> ''), "
            f"epoch_us(max(ts) FILTER (delivery_id <> '')) {rows} GROUP BY 1",
            params,
        ).fetchall():
            groups[k] = ErrorGroup(
                k, first=int(first), last=int(last), example=example, example_ts=example_ts, counted=(n_deliveries, n_robots)
            )
        for k, code, name, hour, n in self.con.execute(
            f"SELECT {key}, NULLIF(error_code, ''), event, epoch_us(ts) - epoch_us(ts) % {HOUR_US}, count(*) {rows} GROUP BY ALL "
            "ORDER BY min((ts, seq))",  # each code, name and hour counted first where it first comes, as ``add`` does
            params,
        ).fetchall():
            g = groups[k]
            g.count += n
            g.codes[code] += n
            g.names[name] += n
            g.hours[int(hour)] += n
        return list(groups.values())

    def _error_copies(self, since: int, until: int) -> list[tuple[int, int]]:
        """The error index's rows of the range that ``error_rows`` leaves out as copies of another (rule 7), by
        ``(file_id, seq)``. Equal records have the same time, name and ids: only rows sharing those with another are
        read as events and go through ``error_rows`` itself, which keeps each record once (none in most ranges)."""
        from ..core.listings import error_rows

        bounds = {"since": _ts(since), "until": _ts(until)}
        alike = self.con.execute(
            "SELECT file_id, seq FROM (SELECT file_id, seq, count(*) OVER "
            "(PARTITION BY ts, event, delivery_id, robot_id, pilot_id, demand_id, offer_id) AS alike "
            "FROM errors WHERE ts BETWEEN $since AND $until) WHERE alike > 1",
            bounds,
        ).fetchall()
        if not alike:
            return []
        shared = self.con.execute(
            "SELECT epoch_us(ts), file_id, seq, record FROM errors WHERE ts BETWEEN $since AND $until "
            "AND (file_id, seq) IN (SELECT k.f, k.q FROM (SELECT unnest($keys::STRUCT(f BIGINT, q BIGINT)[]) AS k)) ORDER BY ts, seq",
            {**bounds, "keys": [{"f": f, "q": q} for f, q in alike]},
        ).fetchall()
        events = [event_from_text(r, ts) for ts, _, _, r in shared]
        kept = {id(e) for e, _ in error_rows(events, since, until)}
        return [(f, q) for e, (_, f, q, _) in zip(events, shared) if id(e) not in kept]

    def extent(self, column: str | None, ident: str | None, lo: int | None, hi: int | None) -> tuple[int, int] | None:
        """Through ``keys``, like every id question: the min and max ``ts`` of the id's rows within the bounds
        (of every row without ``column``: the ``ts`` zone maps answer most of it)."""
        if column is None:
            match, params = "true", []  # type: ignore[var-annotated]
        elif column not in ID_FIELDS:
            raise ValueError(f"not an id column: {column}")
        else:
            match, params = self._match([(column, [ident or ""])])
        bounds = "".join(f" AND ts {op} ?" for op, v in ((">=", lo), ("<=", hi)) if v is not None)
        params += [_ts(v) for v in (lo, hi) if v is not None]
        first, last = self.con.execute(
            f"SELECT epoch_us(min(ts)), epoch_us(max(ts)) FROM events WHERE {match} AND ts IS NOT NULL{bounds}", params
        ).fetchone()
        return None if first is None else (int(first), int(last))

    def compare_counts(self, since: int, until: int, filters: Any, opts: Any) -> Any:
        """One statement (``store.compare_sql``): over the kept facts of the range's deliveries where they give its
        answer (schema 9, ``store.facts.counts``), else over the id columns and the ``attributes`` table."""
        from ..store import compare_sql as cs
        from ..store import facts

        baseline = self.baseline() if filters.slow else None
        group = cs.group_of(filters, baseline.with_min_samples(opts.baseline_min) if baseline is not None else None)
        if self.kept_facts and group.filters.event is None:
            kept = facts.counts(self.con, since, until, opts.assignment_lookback_us, group)
            if kept is not None:
                return cs.counts_from_rows(kept)
        sql, params = cs.counts_sql(
            cs.local_dialect(self.kept_attributes),
            _ts(since),
            _ts(until),
            _ts(since - cs.READ_BEFORE),
            _ts(until + cs.READ_AFTER),
            opts.assignment_lookback_us,
            group,
        )
        return cs.counts_from_rows(self.con.execute(sql, params).fetchall())

    def similar_ids(self, key: str, since: int | None = None) -> list[tuple[str, str]]:
        q = " UNION ".join(
            f"SELECT * FROM (SELECT DISTINCT '{k}' AS kind, {k}_id AS id FROM events "
            f"WHERE upper(replace(replace(replace({k}_id, '-', ''), '_', ''), ' ', '')) = $key LIMIT 5)"
            for k in ("delivery", "robot", "pilot", "demand", "offer")
        )
        return sorted((k, i) for k, i in self.con.execute(q, {"key": key}).fetchall())


KEEP_BY_ROWID = 100_000  # a delivery closure up to this many rows keeps its events by rowid (``_made``)


STEP_SEQS = 100_000  # rows of deliveries whose steps are asked by the list of their seqs (``step_times``); more: by their keys
KEYED_EQUALITIES = 4  # ids asked one equality each; more go through one semi-join (quicker from ~5 ids: docs/performance.md)


def _keys_of(kind: str, values: Sequence[str], columns: str = "seq") -> tuple[str, list[Any]]:
    """``SELECT columns FROM keys`` of the ids ``values`` of ``kind``, with its parameters: up to ``KEYED_EQUALITIES`` ids
    one equality each (the sorted ids' zone maps answer each), more through one semi-join."""
    if len(values) <= KEYED_EQUALITIES:
        return " UNION ALL ".join([f"SELECT {columns} FROM keys WHERE id = ? AND kind = ?"] * len(values)), [
            x for v in values for x in (v, kind)
        ]
    return f"SELECT {columns} FROM keys WHERE kind = ? AND id IN (SELECT unnest(?::VARCHAR[]))", [kind, list(values)]


def _linked_predicate(wanted: Sequence[tuple[str, Sequence[str]]]) -> tuple[str, list[Any]]:
    """``demand_id IN (...) OR offer_id IN (...)`` with each list one parameter (any length)."""
    parts, params = [], []
    for column, values in wanted:
        if values:
            parts.append(f"{column} IN (SELECT unnest(?::VARCHAR[]))")
            params.append(list(values))
    return " OR ".join(parts), params


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
