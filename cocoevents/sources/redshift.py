"""The Redshift source: answers the sessionizer's questions from the warehouse table.

Table layout (the warehouse layout (docs/reference/warehouse-layout.md)): scalar columns extracted at load time -
``event``, ``event_ts TIMESTAMP`` (UTC, the compound ``SORTKEY``), ``delivery_id``, ``robot_id``, ``pilot_id``,
``demand_id``, ``offer_id`` - and the whole record in ``event_data SUPER``, read back as text with
``JSON_SERIALIZE`` and parsed here. An event's time is ``event_ts``; a row the loader left without one is timed
from its record's ``timestamp`` when that parses (timeline rules §1), else it is unplaced.

Query plan. Every statement is built from constant templates; the schema and table are validated against a strict
identifier pattern, and every value (ids, times) is a bound ``%s`` parameter, never spliced. A timeline costs at
most three statements:

1. ``kinds(id)`` - one statement that both finds which of delivery/robot/pilot holds the id and fetches the
   delivery's events (below), so the following ``delivery_events`` call reuses them when its range is inside;
   (``--kind delivery`` skips the lookup: then ``delivery_events`` runs it.)
2. ``events_in_spans('robot_id', ...)`` - the robots' events over their segments;
3. ``events_in_spans('pilot_id', ...)`` - the pilots' events over their windows.

The delivery statement fetches the direct events *and* two hops of linked events in one go: CTEs collect the
demand/offer ids of the direct rows, then of the rows linked by those, and the outer ``SELECT`` takes the direct
rows and the rows without a delivery id carrying any of them. Every hop is a lookup by ``demand_id`` and one by
``offer_id`` joined by ``UNION ALL`` (one column each: an ``OR`` over two subqueries makes the planner read every
row of the range); the outer one by offer leaves out rows whose demand id matched, so each stored row comes back
once (true duplicate records do, as separate rows, and the sessionizer counts them, rule 7). Only when the chain is
longer than the spec's two hops does Python find ids beyond them and ask again, for rows with the new ids and none
of the ids already asked (again no repeats).

Time bounds. Every statement is bounded by ``event_ts`` so the sort key prunes blocks: ``events_in_spans`` by its
spans (and their overall min/max); a delivery by ``--since``/``--until`` when given; without ``--since`` its lower
bound is ``(--until or now) - lookback`` (the profile's ``lookback``, default 14 days: a delivery rarely lives
longer than a day, and on-call questions are about recent ones); without ``--until`` there is no upper bound, so
events stamped slightly in the future by a skewed clock still show. The id lookup in ``kinds`` uses the same
lookback window, and says so when it finds nothing: ``--kind`` with ``--since`` searches further back.

Id bounds. Inside that range a delivery is narrowed to its own time: one small statement first reads the id's rows
of the COPY job's bounds table (``bounds_table``, ``warehouse.ddl.create_bounds_sql``: per kind of id, the first
and last ``event_ts`` of the rows carrying it). Then the delivery statement covers the delivery's direct rows
widened by ``LINK_MARGIN_US`` each side (its offer and demand events, which carry no delivery id, come just
before), within the range asked; robots and pilots are answered from the bounds (a robot or pilot id is one when
its last row is inside the range) and their statements are bounded by their spans as before; a demand or offer id
looked up has its first hop of linked rows bounded by its own bounds. The answer equals the unbounded one: the
delivery statement also returns the bounds of every demand and offer id it matched on, and when one of those ids
has rows inside the range asked but outside the statement's, the statement runs again over the widened range (an id
the bounds table lacks: over the range asked). Links beyond the statement's two hops are asked over the range
asked. An id the table does not hold (rows loaded before it existed and not rebuilt), or no table at all
(remembered for the source's life), means the statements as without the table: bounded by the range asked only. A
delivery timeline costs one statement more: the bounds read.

Kept answers (``--fresh``). ``kept`` (``tail_cache.KeptAnswers``, set by ``sources.fresh``) answers a statement
over the events or bounds table from the last call's rows when the COPY job's load log is as it was then
(``load_watermark``); the statements over the load log and the baseline table always run.

Untimed rows (``event_ts IS NULL``) are read by a separate ``UNION ALL`` branch of the same statement (``NULL``
sorts last in the sort key), so they are never dropped silently and never mixed into the range scan.

Session. The connection runs ``SET statement_timeout TO <ms>`` (the driver's ``timeout=`` is only the socket
timeout) and then one ``BEGIN READ ONLY`` transaction: all statements of a timeline see one snapshot and cannot
write.

Errors. Connection failures, authentication failures, a missing table and timeouts become ``SourceUnavailable``
(exit 4) with one line passed through ``redact``; driver exceptions are not chained, so no credential can reach a
traceback. ``redshift_connector`` (and through it ``boto3``) is imported only when connecting.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Optional

from ..core.baseline import Baseline
from ..core.links import linked_closures, walk_links
from ..core.model import Event
from ..core.source_protocol import Source, Span
from ..errors import NotFound, SourceUnavailable
from ..producers.registry import ASSIGNMENT_EVENTS, ID_FIELDS
from ..timestamps import MAX_US, MIN_US, format_duration, format_ts, now_us, parse_timestamp, to_datetime
from . import linked_ids_predicate
from .configfile import password_from_env
from .redshift_bounds import BoundsReading, IdBounds, micros
from .redshift_driver import DENIED, NO_COLUMN, NO_TABLE, TIMEOUT, connect, db_error, is_driver_error, one_line
from .redshift_settings import SETTINGS, Settings
from .settings import IDENTIFIER

SPANS_PER_STATEMENT = 500
HOUR_US = 3_600_000_000


def open(
    settings: Settings,
    *,
    now: Optional[int] = None,  # noqa: A001 - the kinds' protocol
    wait: Optional[float] = None,
    connection: Any = None,
) -> Source:
    """``wait`` is the local store's; the warehouse bounds its statements with ``statement_timeout``. With
    ``fresh_from`` (or ``--fresh``) the archive's tail is added (``sources.s3.FreshSource``)."""
    archive = None
    if settings.fresh or settings.fresh_from:
        from .s3 import archive_profile

        archive = archive_profile(settings.fresh_from, settings.name)  # a usage error before connecting
    if archive is None:
        return RedshiftSource(settings, password=password_from_env(), now=now)
    from .fresh import fresh_connecting

    return fresh_connecting(archive, settings.lookback_us, now, lambda at: RedshiftSource(settings, password=password_from_env(), now=at))


def check(settings: Settings) -> str:
    """``coco doctor``: connect, read the table, say what is there."""
    source = RedshiftSource(settings, password=password_from_env())
    try:
        latest, count = source.check()
    finally:
        source.close()
    lookback = format_duration(settings.lookback_us)
    recent = (
        f"{count:,} events in the {lookback} lookback, latest {format_ts(latest)}"
        if latest is not None
        else f"no events in the {lookback} lookback"
    )
    return f"coco: ok: {settings.where()}: table {settings.qualified_table} readable; {recent}"


ROW = "event_ts, JSON_SERIALIZE(event_data)"


def _param_ts(us: int) -> datetime:
    return to_datetime(min(max(us, MIN_US), MAX_US)).replace(tzinfo=None)


def _in_list(values: Sequence[str]) -> str:
    return ", ".join(["%s"] * len(values))


class RedshiftSource(BoundsReading, Source):
    """``EventSource`` over the warehouse table of a ``redshift`` profile (see the module docstring)."""

    def __init__(self, profile: Settings, password: Optional[str] = None, *, now: Optional[int] = None, connection: Any = None) -> None:
        for part in (profile.schema, profile.table, profile.baseline_table, profile.bounds_table):
            if not IDENTIFIER.match(part):
                raise SourceUnavailable(f"profile {profile.name!r}: {part!r} is not a plain identifier")
        self.profile = profile
        self.table = f"{profile.schema}.{profile.table}"
        self.now = now_us() if now is None else now
        self.statements: list[str] = []  # every SELECT run, for tests and --debug accounting
        self.parameters: list[list[Any]] = []  # the parameters of each, in step with ``statements``
        self.bounds = f"{profile.schema}.{profile.bounds_table}"
        self._bounds_missing = False  # the bounds table was missing or unreadable once: not asked again
        self._bounds_read: dict[str, Optional[IdBounds]] = {}
        self._last_error_code: Optional[str] = None
        self._prefetch: Optional[tuple[str, int, Optional[int], list[Event], set[str], set[str]]] = None
        self.kept: Any = None  # the kept answers of ``--fresh`` (``tail_cache.KeptAnswers``), set by ``FreshSource``
        self.con = connection if connection is not None else connect(profile, password)
        self._session()

    # -- session ----------------------------------------------------------------------------------

    def _session(self) -> None:
        ms = max(1, self.profile.statement_timeout_us // 1000)
        try:
            cur = self.con.cursor()
            cur.execute(f"SET statement_timeout TO {int(ms)}")
            cur.execute("BEGIN READ ONLY")
        except Exception as e:
            self.close()
            raise self._unavailable(e) from None

    def close(self) -> None:
        """Close the connection; the server rolls back the session's read-only transaction as it ends (no round trip)."""
        con, self.con = self.con, None
        if con is None:
            return
        try:
            con.close()
        except Exception:
            pass

    def _unavailable(self, e: BaseException) -> SourceUnavailable:
        code, message = db_error(e)
        p = self.profile
        if code in TIMEOUT:
            return SourceUnavailable(
                f"the query timed out after {p.statement_timeout_us / 1e6:g}s (statement_timeout of profile "
                f"{p.name!r}): narrow the range with --since/--until, or raise statement_timeout"
            )
        if code in NO_TABLE:
            return SourceUnavailable(
                f"table {self.table} does not exist in database {p.database} "
                f"(schema and table of profile {p.name!r}); see 'coco warehouse ddl'"
            )
        if code in NO_COLUMN:
            return SourceUnavailable(one_line(f"table {self.table} does not have the coco layout ({message}); see 'coco warehouse ddl'"))
        if code in DENIED:
            return SourceUnavailable(one_line(f"permission denied reading {self.table}: {message}"))
        return SourceUnavailable(one_line(f"{p.where()}: query failed: {message}"))

    def _query(self, sql: str, params: Sequence[Any], keep: bool = True) -> list[tuple[Any, ...]]:
        """The rows of one statement; with kept answers (``kept``, ``--fresh``), answered from them when kept and
        kept when run (``keep``: a statement over the events or bounds table, which only a COPY changes)."""
        if self.con is None:
            raise SourceUnavailable("the Redshift connection is closed")
        kept = self.kept if keep else None
        if kept is not None:
            rows = kept.get(sql, params)
            if rows is not None:
                return rows
        self.statements.append(sql)
        self.parameters.append(list(params))
        try:
            cur = self.con.cursor()
            cur.execute(sql, list(params))
            rows = list(cur.fetchall() or [])
        except Exception as e:
            if is_driver_error(e):
                self._last_error_code = db_error(e)[0]
                raise self._unavailable(e) from None
            raise
        if kept is not None:
            kept.put(sql, params, rows)
        return rows

    def identity(self) -> tuple[Any, ...]:
        """What names the warehouse table this source reads (kept answers are per table): connection and table
        settings, no password."""
        p = self.profile
        return (p.host, p.port, p.database, p.user, p.db_user, p.cluster_identifier, p.workgroup, self.table, self.bounds)

    def _load_log(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """A statement over the COPY job's load log (``--fresh``), never kept; a missing log is said as such."""
        log = f"{self.profile.schema}.{self.profile.load_log}"
        if not IDENTIFIER.match(self.profile.load_log):  # pragma: no cover - validated by Settings
            raise SourceUnavailable(f"{self.profile.load_log!r} is not a plain identifier")
        try:
            return self._query(sql.format(log=log), params, keep=False)
        except SourceUnavailable:
            if self._last_error_code in NO_TABLE:
                raise SourceUnavailable(
                    f"--fresh needs the COPY job's load log, and table {log} does not exist "
                    f"(load_log of profile {self.profile.name!r}; see 'coco warehouse ddl')"
                ) from None
            raise

    def loaded_keys(self, bucket: str, first: Any, last: Any) -> set[str]:
        """The S3 keys the COPY job's load log lists for ``bucket`` in the ``dt=`` days ``first``..``last``
        (read in this session's transaction, so they match the rows the timeline reads)."""
        rows = self._load_log("SELECT s3_key FROM {log} WHERE bucket = %s AND dt BETWEEN %s AND %s", [bucket, first, last])
        return {str(r[0]) for r in rows}

    def load_watermark(self) -> list[Any]:
        """The load log's row count and latest ``loaded_at``: the COPY job changes both in the transaction that
        inserts its rows, so while they are unchanged the events and bounds tables are as they were (kept
        answers, ``tail_cache.KeptAnswers``)."""
        ((count, latest),) = self._load_log("SELECT COUNT(*), MAX(loaded_at) FROM {log}", [])
        return [int(count), latest]

    def check(self) -> tuple[Optional[int], int]:
        """For ``coco doctor``: the table has the coco layout and is readable; returns the latest event
        time and the number of events within the lookback window."""
        timed, params = self._timed(self.lookback_lower(), None)
        self._query(
            f"SELECT event, event_ts, delivery_id, robot_id, pilot_id, demand_id, offer_id, "
            f"JSON_SERIALIZE(event_data), loaded_at FROM {self.table} WHERE {timed} LIMIT 1",
            params,
        )
        ((latest, count),) = self._query(f"SELECT MAX(event_ts), COUNT(*) FROM {self.table} WHERE {timed}", params)
        return micros(latest), int(count)

    # -- building statements ----------------------------------------------------------------------

    def _timed(self, lower: Optional[int], upper: Optional[int]) -> tuple[str, list[Any]]:
        clauses, params = [], []
        if lower is not None:
            clauses.append("event_ts >= %s")
            params.append(_param_ts(lower))
        if upper is not None:
            clauses.append("event_ts <= %s")
            params.append(_param_ts(upper))
        if not clauses:  # pragma: no cover - callers always bound
            clauses.append("event_ts IS NOT NULL")
        return " AND ".join(clauses), params

    def _select(
        self, columns: str, pred: str, params: Sequence[Any], lower: Optional[int], upper: Optional[int], untimed: bool = True
    ) -> tuple[str, list[Any]]:
        """``SELECT columns`` of the rows matching ``pred`` inside the bounds, plus (``untimed``) those
        without a time: two branches of one ``UNION ALL``, disjoint by ``event_ts``."""
        timed, tparams = self._timed(lower, upper)
        sql = f"SELECT {columns} FROM {self.table} WHERE {timed} AND ({pred})"
        out = [*tparams, *params]
        if untimed:
            sql += f" UNION ALL SELECT {columns} FROM {self.table} WHERE event_ts IS NULL AND ({pred})"
            out += list(params)
        return sql, out

    def _delivery_sql(
        self, delivery_id: str | Sequence[str], lower: int, upper: Optional[int], link_bounds: bool = False
    ) -> tuple[str, list[Any]]:
        """Direct rows and two hops of linked rows, each stored row at most once (module docstring; ``_hop``); ``delivery_id``
        may be a list (a batch). ``link_bounds``: also the bounds rows of the ids matched on (``_bounded_delivery``)."""
        ids = [delivery_id] if isinstance(delivery_id, str) else list(delivery_id)
        match = "delivery_id = %s" if len(ids) == 1 else f"delivery_id IN ({_in_list(ids)})"
        direct, p1 = self._select("demand_id, offer_id", match, ids, lower, upper)
        # hop 1 gives ids only: a row found by both lookups may come twice
        hop1, p2 = self._hop("demand_id, offer_id", "SELECT demand_id FROM direct", "SELECT offer_id FROM direct", lower, upper, None)
        known = (
            "demands AS (SELECT demand_id AS id FROM direct WHERE demand_id IS NOT NULL "
            "UNION SELECT demand_id FROM hop1 WHERE demand_id IS NOT NULL), "
            "offers AS (SELECT offer_id AS id FROM direct WHERE offer_id IS NOT NULL "
            "UNION SELECT offer_id FROM hop1 WHERE offer_id IS NOT NULL)"
        )
        own, p3 = self._select(f"'delivery' AS kind, {ROW}", match, ids, lower, upper)
        linked, p4 = self._hop(
            f"'delivery', {ROW}", "SELECT id FROM demands", "SELECT id FROM offers", lower, upper, "SELECT id FROM demands"
        )
        sql = f"WITH direct AS ({direct}), hop1 AS ({hop1}), {known} {own} UNION ALL {linked}"
        if link_bounds:
            # the bounds of every demand and offer id the statement matched on (those of ``_asked``), two rows each
            # (a lookup per kind, as the hops: the table's key is the kind and the id)
            for tag, column in (("first", "first_ts"), ("last", "last_ts")):
                for kind, known_ids in (("demand", "demands"), ("offer", "offers")):
                    sql += (
                        f" UNION ALL SELECT '{tag} ' || kind, {column}, id FROM {self.bounds} "
                        f"WHERE kind = '{kind}' AND id IN (SELECT id FROM {known_ids})"
                    )
        return sql, [*p1, *p2, *p3, *p4]

    def _hop(
        self, columns: str, demands: str, offers: str, lower: Optional[int], upper: Optional[int], found: Optional[str]
    ) -> tuple[str, list[Any]]:
        """Rows without a delivery id whose demand id is in ``demands`` or offer id in ``offers`` (subqueries), bounded
        and untimed, a lookup per column; ``found`` (``demands``' non-NULL ids): each row once, else both-id rows twice."""
        loose = "(delivery_id IS NULL OR delivery_id = '')"
        by_demand, p1 = self._select(columns, f"{loose} AND demand_id IN ({demands})", [], lower, upper)
        other = f" AND (demand_id IS NULL OR demand_id NOT IN ({found}))" if found is not None else ""
        by_offer, p2 = self._select(columns, f"{loose} AND offer_id IN ({offers}){other}", [], lower, upper)
        return f"{by_demand} UNION ALL {by_offer}", [*p1, *p2]

    def _events(self, rows: Sequence[tuple[Any, ...]]) -> list[Event]:
        out = []
        for ts, text in rows:
            record = json.loads(text) if isinstance(text, str) else text
            if not isinstance(record, dict):  # pragma: no cover - the loader keeps objects only
                continue
            us = micros(ts)
            out.append(
                Event.from_record(
                    record, us if us is not None else parse_timestamp(record.get("timestamp")), text if isinstance(text, str) else None
                )
            )
        return out

    # -- the EventSource protocol -----------------------------------------------------------------

    def lookback_lower(self, until: Optional[int] = None) -> int:
        return (self.now if until is None else until) - self.profile.lookback_us

    def kinds(self, subject_id: str, since: Optional[int] = None, until: Optional[int] = None) -> list[str]:
        """Which kinds hold the id since ``since`` (default: within the lookback window before ``until``
        or now); fetches the delivery's events on the way."""
        lower = since if since is not None else self.lookback_lower(until)
        known = self._id_bounds(subject_id)
        if known is None:
            sql, params = self._delivery_sql(subject_id, lower, None)
            timed, tparams = self._timed(lower, None)
            for kind in ("robot", "pilot"):
                sql += (
                    f" UNION ALL SELECT '{kind}', NULL, NULL FROM "
                    f"(SELECT 1 AS hit FROM {self.table} WHERE {timed} AND {kind}_id = %s LIMIT 1) {kind}_hit"
                )
                params += [*tparams, subject_id]
            rows = self._query(sql, params)
            found = {r[0] for r in rows if r[0] != "delivery"}
            events = self._events([r[1:] for r in rows if r[0] == "delivery"])
            asked = self._asked(subject_id, events)
        else:  # the same answer: a robot or pilot id has a row since ``lower`` when its last one is
            found = {k for k in ("robot", "pilot") if k in known.spans and known.spans[k][1] >= lower}
            events, asked = [], (set(), set())
            own = known.spans.get("delivery")
            if known.untimed or (own is not None and own[1] >= lower):
                events, *rest = self._bounded_delivery(subject_id, lower, None, own)
                asked = (rest[0], rest[1])
        if any(e.delivery_id == subject_id for e in events):
            found.add("delivery")
            self._prefetch = (subject_id, lower, None, events, *asked)
        kinds = [k for k in ("delivery", "robot", "pilot") if k in found]
        if not kinds:
            p = self.profile
            if since is not None:
                raise NotFound(f"no delivery, robot or pilot has the id {subject_id!r} since {format_ts(lower)}")
            raise NotFound(
                f"no delivery, robot or pilot has the id {subject_id!r} since {format_ts(lower)} "
                f"(the {format_duration(p.lookback_us)} lookback of profile {p.name!r}); "
                "add --since to search further back"
            )
        return kinds

    def delivery_events(self, delivery_id: str, since: Optional[int], until: Optional[int]) -> list[Event]:
        lower = since if since is not None else self.lookback_lower(until)
        pre = self._prefetch
        if pre is not None and pre[0] == delivery_id and pre[1] <= lower and pre[2] is None:
            _, lower, upper, events, asked_d, asked_o = pre
            events, asked_d, asked_o = list(events), set(asked_d), set(asked_o)
        else:
            upper = until
            known = self._id_bounds(delivery_id)
            if known is None:
                sql, params = self._delivery_sql(delivery_id, lower, upper)
                events = self._events([r[1:] for r in self._query(sql, params)])
                asked_d, asked_o = self._asked(delivery_id, events)
            else:
                events, asked_d, asked_o = self._bounded_delivery(delivery_id, lower, upper, known.spans.get("delivery"))
        return events + self._more_links(delivery_id, events, asked_d, asked_o, lower, upper)

    def events_in_spans(
        self,
        column: str,
        spans: Sequence[Span],
        untimed: bool = False,
        assignment_spans: Sequence[Span] = (),
        without_delivery: bool = False,
    ) -> list[Event]:
        # ``without_delivery`` permits leaving rows out; this source returns them all (a superset is allowed)
        if column not in ID_FIELDS:
            raise ValueError(f"not an id column: {column}")
        merged = _merge_spans(spans)
        assign = _merge_spans(assignment_spans)
        out: list[Event] = []
        ids = sorted(set(merged) | set(assign))
        chunk: list[str] = []
        count = 0
        for ident in ids:  # a row has one value in ``column``: chunks by id never share a row
            chunk.append(ident)
            count += len(merged.get(ident, ())) + len(assign.get(ident, ()))
            if count >= SPANS_PER_STATEMENT:
                out += self._spans(column, {i: merged.get(i, []) for i in chunk}, {i: assign.get(i, []) for i in chunk}, untimed)
                chunk, count = [], 0
        if chunk:
            out += self._spans(column, {i: merged.get(i, []) for i in chunk}, {i: assign.get(i, []) for i in chunk}, untimed)
        return out

    def _spans(
        self, column: str, spans: dict[str, list[tuple[int, int]]], assign: dict[str, list[tuple[int, int]]], untimed: bool
    ) -> list[Event]:
        every = [r for ranges in (*spans.values(), *assign.values()) for r in ranges]
        lower = min(s for s, _ in every)
        upper = max(e for _, e in every)
        parts, params = [], []
        for ident, ranges in spans.items():
            for start, end in ranges:
                parts.append(f"({column} = %s AND event_ts BETWEEN %s AND %s)")
                params += [ident, _param_ts(start), _param_ts(end)]
        for ident, ranges in assign.items():  # the lookback: only pilot assignments
            for start, end in ranges:
                parts.append(f"({column} = %s AND event IN (%s, %s) AND event_ts BETWEEN %s AND %s)")
                params += [ident, *ASSIGNMENT_EVENTS, _param_ts(start), _param_ts(end)]
        sql, all_params = self._select(ROW, " OR ".join(parts), params, lower, upper, untimed=False)
        if untimed:
            sql += f" UNION ALL SELECT {ROW} FROM {self.table} WHERE event_ts IS NULL AND {column} IN ({_in_list(list(spans))})"
            all_params += list(spans)
        return self._events(self._query(sql, all_params))

    def baseline(self) -> Optional[Baseline]:
        """The fleet baseline kept by ``coco warehouse baseline`` (``None`` when its table does not exist).
        Asked after the timeline's own statements; a missing table restarts the read-only transaction."""
        from ..core.baseline import COLUMNS, from_rows

        table = f"{self.profile.schema}.{self.profile.baseline_table}"
        try:
            rows = self._query(f"SELECT {', '.join(COLUMNS)} FROM {table}", [], keep=False)  # refreshed apart from a COPY
        except SourceUnavailable:
            if not self._missing_table():
                raise
            return None
        return from_rows(rows)

    def _missing_table(self) -> bool:
        """After a failed statement: was it a missing (or unreadable) table? A timeline is still worth showing
        without a baseline (the CLI says so). The session is restored either way."""
        code = self._last_error_code
        try:
            cur = self.con.cursor()
            cur.execute("ROLLBACK")
            cur.execute("BEGIN READ ONLY")
        except Exception:
            return False
        return code in NO_TABLE or code in DENIED

    # -- following (``core.follow``) ---------------------------------------------------------------------

    def refresh(self) -> None:
        """A new read-only transaction (the old one's snapshot ends), with ``now`` moved to the present."""
        if self.con is None:
            raise SourceUnavailable("the Redshift connection is closed")
        self.now = now_us()
        self._prefetch = None
        self.kept = None  # a new snapshot: every statement runs
        self._bounds_read.clear()
        try:
            cur = self.con.cursor()
            cur.execute("ROLLBACK")
            cur.execute("BEGIN READ ONLY")
        except Exception as e:
            raise self._unavailable(e) from None

    def release(self) -> None:
        pass  # a read-only transaction holds back no writer

    def writer_waiting(self) -> bool:
        return False

    def arrivals(self, since: int, ids: Mapping[str, Sequence[str]]) -> tuple[int, ...]:
        """One statement bounded by ``event_ts >= since`` (the sort key prunes every older block), counting the
        rows carrying one of ``ids``; the rows without a time are counted by the second branch."""
        parts, params = [], []
        for column, values in sorted(ids.items()):
            if column not in ID_FIELDS:
                raise ValueError(f"not an id column: {column}")
            if values:
                parts.append(f"{column} IN ({_in_list(values)})")
                params += list(values)
        if not parts:
            return (0, 0)
        sql, all_params = self._select("COUNT(*)", " OR ".join(parts), params, since, None)
        return tuple(int(r[0]) for r in self._query(sql, all_params))

    # -- batch questions (``cocoevents.fleet``): one statement each, whatever the number of deliveries --

    def active_deliveries(self, since: int, until: int) -> list[tuple[str, int]]:
        """The deliveries with a direct event in the range, with their earliest direct event's time
        (searched back to the lookback window or ``since``, whichever is earlier)."""
        lower = min(since, self.lookback_lower(until))
        sql = (
            f"SELECT delivery_id, MIN(event_ts) FROM {self.table} WHERE event_ts >= %s AND event_ts <= %s "
            f"AND delivery_id IN (SELECT delivery_id FROM {self.table} WHERE event_ts BETWEEN %s AND %s "
            "AND delivery_id IS NOT NULL AND delivery_id <> '') GROUP BY delivery_id"
        )
        # the earliest direct event of a delivery with one in the range is at or before ``until``
        rows = self._query(sql, [_param_ts(lower), _param_ts(until), _param_ts(since), _param_ts(until)])
        return [(d, micros(t)) for d, t in rows if t is not None]  # type: ignore[misc]

    def deliveries_events(self, delivery_ids: Sequence[str], since: Optional[int], until: Optional[int]) -> list[Event]:
        if not delivery_ids:
            return []
        lower = since if since is not None else self.lookback_lower(until)
        sql, params = self._delivery_sql(list(delivery_ids), lower, until)
        events = self._events([r[1:] for r in self._query(sql, params)])
        asked_d: set[str] = set()
        asked_o: set[str] = set()
        for d in delivery_ids:
            more_d, more_o = self._asked(d, events)
            asked_d |= more_d
            asked_o |= more_o
        return events + self._more_links(list(delivery_ids), events, asked_d, asked_o, lower, until)

    def narrow_deliveries(self, since: int, until: int, column: str, values: Sequence[str], linked_only: bool) -> Optional[set[str]]:
        """One statement: the active deliveries with a direct event of those values, and whether some event
        of those values has no delivery id (then ``None``), both within the lookback (as the timelines)."""
        if column not in ("event", "robot_id"):
            raise ValueError(f"cannot narrow by {column}")
        lower = min(since, self.lookback_lower())
        loose = " AND (demand_id IS NOT NULL OR offer_id IS NOT NULL)" if linked_only else ""
        sql = (
            f"SELECT DISTINCT delivery_id FROM {self.table} WHERE event_ts >= %s AND {column} IN ({_in_list(values)}) "
            f"AND (delivery_id IN (SELECT delivery_id FROM {self.table} WHERE event_ts BETWEEN %s AND %s "
            f"AND delivery_id IS NOT NULL AND delivery_id <> '') "
            f"OR ((delivery_id IS NULL OR delivery_id = ''){loose}))"
        )
        rows = self._query(sql, [_param_ts(lower), *values, _param_ts(since), _param_ts(until)])
        found = {r[0] for r in rows}
        if None in found or "" in found:
            return None
        return found

    def linked_events(self, demands: Sequence[str], offers: Sequence[str], since: Optional[int], until: Optional[int]) -> list[Event]:
        if not demands and not offers:
            return []
        lower = since if since is not None else self.lookback_lower(until)
        upper = until
        # bounded by the ids' own bounds when read already (the id looked up: a demand or offer id's first hop);
        # every row carrying a demand (offer) id in its column lies inside that id's bounds
        spans = [self._known_span(kind, ident) for kind, ids in (("demand", demands), ("offer", offers)) for ident in ids]
        if spans and all(s is not None for s in spans):
            lo, hi = max(lower, min(s[0] for s in spans if s)), max(s[1] for s in spans if s)
            if lo <= (hi if upper is None else min(hi, upper)):
                lower, upper = lo, hi if upper is None else min(hi, upper)
        wanted, params = linked_ids_predicate(list(demands), list(offers), "%s")
        sql, all_params = self._select(ROW, wanted, params, lower, upper)
        return self._events(self._query(sql, all_params))

    def error_events(self, since: int, until: int) -> list[Event]:
        """Rows in the range that may be errors: by name, or a record mentioning ``"error"``, ``"fatal"``
        or ``"critical"`` in any case (the field or a level); the caller applies timeline rules §4."""
        pred = (
            "event LIKE %s OR event = %s OR JSON_SERIALIZE(event_data) ILIKE %s "
            "OR JSON_SERIALIZE(event_data) ILIKE %s OR JSON_SERIALIZE(event_data) ILIKE %s"
        )
        sql, params = self._select(
            ROW, pred, ["%.failed", "robot.grounded", '%"error"%', '%"fatal"%', '%"critical"%'], since, until, untimed=False
        )
        return self._events(self._query(sql, params))

    def similar_ids(self, key: str, since: Optional[int] = None) -> list[tuple[str, str]]:
        lower = since if since is not None else self.lookback_lower()
        parts, params = [], []
        for k in ("delivery", "robot", "pilot", "demand", "offer"):
            parts.append(
                f"SELECT '{k}' AS kind, {k}_id AS id FROM {self.table} WHERE event_ts >= %s AND "
                f"UPPER(REPLACE(REPLACE(REPLACE({k}_id, '-', ''), '_', ''), ' ', '')) = %s"
            )
            params += [_param_ts(lower), key]
        rows = self._query(f"SELECT DISTINCT kind, id FROM ({' UNION ALL '.join(parts)}) ids LIMIT 10", params)
        return sorted((str(k), str(i)) for k, i in rows)

    def extent(self, column: Optional[str], ident: Optional[str], lo: Optional[int], hi: Optional[int]) -> Optional[tuple[int, int]]:
        """Bounded like every question: without ``lo``, the lookback window before ``hi`` (or now)."""
        if column is not None and column not in ID_FIELDS:
            raise ValueError(f"not an id column: {column}")
        timed, params = self._timed(lo if lo is not None else self.lookback_lower(hi), hi)
        which = "" if column is None else f" AND {column} = %s"
        ((first, last),) = self._query(
            f"SELECT MIN(event_ts), MAX(event_ts) FROM {self.table} WHERE {timed}{which}", [*params, *([] if column is None else [ident])]
        )
        return None if first is None else (micros(first), micros(last))  # type: ignore[return-value]

    def compare_counts(self, since: int, until: int, filters: Any, opts: Any) -> Any:
        """``coco compare``'s counts in one aggregate statement (``store.compare_sql``), bounded by ``event_ts``
        (the range widened by the margins the facts read); the baseline read first when the group wants slow
        steps. A few hundred rows come back, never one per delivery."""
        from ..store import compare_sql as cs

        baseline = self.baseline() if filters.slow else None
        group = cs.group_of(filters, baseline.with_min_samples(opts.baseline_min) if baseline is not None else None)
        sql, params = cs.counts_sql(
            cs.redshift_dialect(self.table),
            _param_ts(since),
            _param_ts(until),
            _param_ts(since - cs.READ_BEFORE),
            _param_ts(until + cs.READ_AFTER),
            opts.assignment_lookback_us,
            group,
        )
        return cs.counts_from_rows(self._query(sql, params))

    # -- linked events beyond two hops ------------------------------------------------------------

    def _more_links(
        self, delivery_id: str | Sequence[str], events: list[Event], asked_d: set[str], asked_o: set[str], lower: int, upper: Optional[int]
    ) -> list[Event]:
        """The rows linked to the deliveries beyond the delivery statement's two hops (rule 2 has no limit): from
        the ids reachable in ``events``, ``walk_links`` asks for the rows without a delivery id that carry an id not
        asked yet and none asked before (so each stored row comes once), until nothing new turns up."""
        ids = [delivery_id] if isinstance(delivery_id, str) else list(delivery_id)
        reach_d: set[str] = set()
        reach_o: set[str] = set()
        for chosen in linked_closures(ids, events).values():
            reach_d |= {e.demand_id for e in chosen if e.demand_id}
            reach_o |= {e.offer_id for e in chosen if e.offer_id}
        found: list[Event] = []

        def more(new_d: list[str], new_o: list[str], before_d: set[str], before_o: set[str]) -> list[tuple[Optional[str], Optional[str]]]:
            wanted, params = linked_ids_predicate(new_d, new_o, "%s")
            pred = f"(delivery_id IS NULL OR delivery_id = '') AND ({wanted})"
            for col, asked in (("demand_id", sorted(before_d)), ("offer_id", sorted(before_o))):
                if asked:
                    pred += f" AND ({col} IS NULL OR {col} NOT IN ({_in_list(asked)}))"
                    params += asked
            sql, all_params = self._select(ROW, pred, params, lower, upper)
            rows = self._events(self._query(sql, all_params))
            found.extend(rows)
            return [(e.demand_id, e.offer_id) for e in rows if e.delivery_id is None]

        walk_links(reach_d, reach_o, more, asked=(asked_d, asked_o))
        return found


def _merge_spans(spans: Sequence[Span]) -> dict[str, list[tuple[int, int]]]:
    """Spans per id with overlapping ones merged (fewer parameters, same rows)."""
    by_id: dict[str, list[tuple[int, int]]] = {}
    for ident, start, end in spans:
        by_id.setdefault(ident, []).append((start, end))
    for ident, ranges in by_id.items():
        ranges.sort()
        merged = [ranges[0]]
        for s, e in ranges[1:]:
            if s <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], e))
            else:
                merged.append((s, e))
        by_id[ident] = merged
    return by_id


__all__ = ["SETTINGS", "RedshiftSource", "Settings", "check", "open"]
