"""``coco compare`` in SQL: the facts of every delivery of a range and their counts, in one statement.

The statement is the same text on DuckDB (the local store) and Redshift (PostgreSQL in the tests), as the fleet
baseline's (``store.baseline``); only where rows come from differs (``Dialect``): the events' id columns, and
*attribute rows* - the rows that carry a ``merchant_id``, a ``source`` or are of severity error (timeline rules
§4), with those values - which the local store keeps in its ``attributes`` table (written with each file, so no
record is read here) and Redshift reads from ``event_data``.

What it computes for each delivery with a direct event in ``[since, until]`` is what the delivery's timeline
says (docs/compare.md, "What a delivery's facts are"), over the rows within ``[since - READ_BEFORE, until +
READ_AFTER]``:

- its *closure*: its direct rows and the rows without a delivery id linked to them by demand or offer ids, two
  hops (timeline rules §2 rules 1-2; the platform's chain is two hops long);
- its status (timeline rules §6), start (the first row), robots (rule 3: segments of the closure's robot ids)
  and pilots (rule 5: the closure's pilot ids, and each assignment of a pilot to one of its robots cut to the
  robot's segment, looked for ``lookback`` before it);
- its merchants and sources (the ``merchant_id`` and ``source`` of the closure's rows), its first error code
  (the first error row with a code among the closure, the robot lane - rows of its robots without a delivery id
  inside their segments, rule 4 - and the pilot lane - rule 5's pilot events), and its transitions (findings
  rules §3: consecutive steps among its direct rows);
- whether it matches the group's filters (``Filters``: status, robot, pilot, merchant, error code, an event of
  a name in any lane, a slow step judged by the fleet baseline passed in).

Then the side of each delivery (1: the group; 0: fulfilled and not in the group; others take no part) and the
counts ``core.compare`` scores: deliveries per dimension value and side, and per transition the number of
durations on each side, the group's rank sum (mid-ranks), the tie term ``sum(t^3 - t)`` and each side's median.
Every value - ids, names, times, the baseline's figures - is a bound parameter; the statement returns a few
hundred rows, never one per delivery.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional, Sequence

from ..producers.registry import ASSIGN_END, ASSIGN_START, DELIVERY_OUTCOMES, DEMAND_OUTCOMES, EVENTS

if TYPE_CHECKING:
    from ..core.questions import Filters

HOUR_US = 3_600_000_000
READ_BEFORE = 24 * HOUR_US  # a delivery's rows read before ``since``: its own start, then the assignment lookback
READ_AFTER = 12 * HOUR_US  # and after ``until``: how it ended


@dataclass(frozen=True)
class Dialect:
    """Where the statement reads: ``table`` (events with ``ts`` and the id columns), its placeholder ``mark``,
    and ``attributes(mark)``: a ``SELECT`` of the attribute rows between two bound times (``event, ts, did, rid,
    pid, dmd, ofr, merchant_id, source, code, is_error`` with ``is_error`` 1 or 0)."""

    table: str
    ts: str
    mark: str
    attributes: str  # a SELECT whose last two placeholders are the lower and upper time bounds
    attribute_params: tuple[Any, ...] = ()  # bound to its placeholders before the bounds


@dataclass
class Group:
    """The group's filters (``core.questions.Filters``, as ``core.compare.group_filters`` chose them) and what the
    statement adds to them: the transitions the fleet baseline judges, ``(a, b, p50, p99)``, read when the filters
    want slow steps."""

    filters: Filters
    slow: Sequence[tuple[str, str, float, float]] = field(default_factory=tuple)


LOOSE_COLUMNS = "l.event, l.ts, l.did, l.rid, l.pid, l.dmd, l.ofr, l.pos"
LOOSE = "(e.delivery_id IS NULL OR e.delivery_id = '') AND (e.demand_id IS NOT NULL OR e.offer_id IS NOT NULL)"


class _Sql:
    def __init__(self, mark: str) -> None:
        self.mark = mark
        self.params: list[Any] = []

    def p(self, *values: Any) -> str:
        """Placeholders for ``values``, which are bound in the order the text is built."""
        self.params += list(values)
        return ", ".join([self.mark] * len(values))


def counts_sql(d: Dialect, since: Any, until: Any, lower: Any, upper: Any, lookback_us: int, group: Group) -> tuple[str, list[Any]]:
    """The statement and its parameters. ``since``/``until``: the range (deliveries with a direct row in it);
    ``lower``/``upper``: the rows read; times as the driver binds them. Rows: ``(kind, x, y, n1, n2, r, t)``
    - ``total``: deliveries in the group (``n1``) and among the others (``n2``);
    - ``value``: dimension ``x``, value ``y``, deliveries with it in the group and among the others;
    - ``step``: transition ``x -> y``: durations in the group and among the others, the group's rank sum, ties;
    - ``p50``: transition ``x -> y``, side ``n1`` (1 or 0): the median duration ``n2``."""
    q = _Sql(d.mark)
    ctes = facts_ctes(q, d, since, until, lower, upper, lookback_us, group.filters.event)
    return counts_tail(q, ctes, group), q.params


def facts_ctes(
    q: _Sql,
    d: Dialect,
    since: Any,
    until: Any,
    lower: Any,
    upper: Any,
    lookback_us: int,
    event: Optional[str],
    part: Optional[tuple[int, int]] = None,
    only: Optional[str] = None,
) -> list[str]:
    """The ``WITH`` items that work out each delivery's facts from the rows (``counts_sql``' arguments; ``event``:
    the ``--event`` filter's name, or ``None``; ``part``: ``(k, n)``, only the deliveries whose id hashes to ``k``
    modulo ``n`` - DuckDB's ``hash``, the kept facts' rebuild; ``only``: a table of the deliveries' ids (``id``) instead of
    those with a direct row in the range - the kept facts' upkeep), their placeholders bound through ``q`` in text order. They end with
    what ``counts_tail`` reads: ``act`` (id, d), ``span`` (d, t0, t1), ``f`` (d, status, t0, first_code), ``rob`` and
    ``pil`` (d, v), ``cattr`` (d, merchant_id, source), ``codes`` (d, code: every error code placed in its lanes),
    ``ev`` (event, e), ``tr`` (d, a, b, dur) and ``placed`` (the ``--event`` rows as kind ``v``)."""
    ts = d.ts
    names = " UNION ALL ".join(f"SELECT CAST({q.p(e.name)} AS VARCHAR(128)), CAST({q.p(i)} AS INTEGER)" for i, e in enumerate(EVENTS))
    unknown = len(EVENTS)
    rows = (  # the rows read, with their registry position (rule 6); every reference scans the table by its time bound
        "SELECT e.event, e.{ts} AS ts, NULLIF(e.delivery_id, '') AS did, NULLIF(e.robot_id, '') AS rid, "
        "NULLIF(e.pilot_id, '') AS pid, NULLIF(e.demand_id, '') AS dmd, NULLIF(e.offer_id, '') AS ofr, "
        f"COALESCE(nm.pos, {unknown}) AS pos FROM {d.table} e LEFT JOIN nm ON nm.name = e.event WHERE e.{ts} BETWEEN {{lo}} AND {{hi}} "
        "AND e.event IS NOT NULL"
    )

    def read(where: str, *values: Any) -> str:
        """The rows read that match ``where`` (its placeholders ``{}``, bound to ``values`` after the bounds)."""
        text = rows.replace("{ts}", ts).format(lo=q.p(lower), hi=q.p(upper))
        return text + " AND (" + where.format(*(q.p(v) for v in values)) + ")"

    ctes = [
        f"nm (name, pos) AS ({names})",
        # each delivery active in the range gets a number ``d``: every step below joins and groups by it, not by the id
        f"act AS (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS d FROM {only})"
        if only is not None
        else f"act AS (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS d FROM (SELECT DISTINCT delivery_id AS id FROM {d.table} "
        f"WHERE {ts} BETWEEN {q.p(since)} AND {q.p(until)} AND delivery_id IS NOT NULL AND delivery_id <> ''"
        + ("" if part is None else f" AND hash(delivery_id) % {q.p(part[1])} = {q.p(part[0])}")
        + ") a)",
        f"dir AS (SELECT act.d, r.event, r.ts, r.did, r.rid, r.pid, r.dmd, r.ofr, r.pos FROM ({read('e.delivery_id IS NOT NULL')}) r "
        "JOIN act ON r.did = act.id)",
        f"loose AS ({read(LOOSE)})",
        # rules 1-2, two hops: the ids of the direct rows, the loose rows they link, the ids of those
        "id0 AS (SELECT DISTINCT d, 'd' AS k, dmd AS x FROM dir WHERE dmd IS NOT NULL "
        "UNION SELECT DISTINCT d, 'o' AS k, ofr AS x FROM dir WHERE ofr IS NOT NULL)",
        "hop AS (SELECT i.d, l.dmd, l.ofr FROM id0 i JOIN loose l ON i.k = 'd' AND l.dmd = i.x "
        "UNION SELECT i.d, l.dmd, l.ofr FROM id0 i JOIN loose l ON i.k = 'o' AND l.ofr = i.x)",
        "ids AS (SELECT d, k, x FROM id0 UNION SELECT d, 'd' AS k, dmd AS x FROM hop WHERE dmd IS NOT NULL "
        "UNION SELECT d, 'o' AS k, ofr AS x FROM hop WHERE ofr IS NOT NULL)",
        # a row linked by its demand and its offer comes twice: nothing below counts rows
        f"lnk AS (SELECT i.d, {LOOSE_COLUMNS} FROM ids i JOIN loose l ON i.k = 'd' AND l.dmd = i.x "
        f"UNION ALL SELECT i.d, {LOOSE_COLUMNS} FROM ids i JOIN loose l ON i.k = 'o' AND l.ofr = i.x)",
        "clo AS (SELECT * FROM dir UNION ALL SELECT * FROM lnk)",
        "span AS (SELECT d, MIN(ts) AS t0, MAX(ts) AS t1 FROM clo GROUP BY d)",
        # rule 3 (and the direct pilot windows of rule 5): runs of one id in row order - ordered only for the
        # deliveries with more than one id (a reassignment); one id is one segment from its first row
        "ids1 AS (SELECT d, 'r' AS k, rid AS v, ts, pos, event FROM clo WHERE rid IS NOT NULL "
        "UNION ALL SELECT d, 'p' AS k, pid AS v, ts, pos, event FROM clo WHERE pid IS NOT NULL)",
        "one AS (SELECT d, k, MIN(v) AS v, MAX(v) AS v2, MIN(ts) AS s FROM ids1 GROUP BY d, k)",
        "run AS (SELECT x.d, x.k, x.v, x.ts, LAG(x.v) OVER (PARTITION BY x.d, x.k ORDER BY x.ts, x.pos, x.event, x.v) AS pv, "
        "ROW_NUMBER() OVER (PARTITION BY x.d, x.k ORDER BY x.ts, x.pos, x.event, x.v) AS rn FROM ids1 x "
        "JOIN one ON one.d = x.d AND one.k = x.k AND one.v <> one.v2)",
        "seg AS (SELECT d, k, v, ts AS s, LEAD(ts) OVER (PARTITION BY d, k ORDER BY rn) AS nx FROM run WHERE pv IS NULL OR pv <> v "
        "UNION ALL SELECT d, k, v, s, CAST(NULL AS TIMESTAMP) AS nx FROM one WHERE v = v2)",
        "segs AS (SELECT seg.d, seg.k, seg.v, seg.s, COALESCE(seg.nx, GREATEST(span.t1, seg.s)) AS e, "
        "CASE WHEN seg.nx IS NULL THEN 0 ELSE 1 END AS op FROM seg JOIN span ON span.d = seg.d)",
        "rob AS (SELECT DISTINCT d, v FROM segs WHERE k = 'r')",
        # rule 5: each assignment runs to the next end of the same pair (an end at the start's instant comes first)
        f"ast AS (SELECT DISTINCT pid AS p, rid AS r, ts AS s FROM ({read('e.event = {}', ASSIGN_START)}) r "
        "WHERE pid IS NOT NULL AND rid IS NOT NULL)",
        f"aen AS (SELECT DISTINCT pid AS p, rid AS r, ts AS e FROM ({read('e.event = {}', ASSIGN_END)}) r "
        "WHERE pid IS NOT NULL AND rid IS NOT NULL)",
        "asg AS (SELECT a.p, a.r, a.s, MIN(x.e) AS e FROM ast a LEFT JOIN aen x ON x.p = a.p AND x.r = a.r AND x.e > a.s "
        "GROUP BY a.p, a.r, a.s)",
        "cut AS (SELECT g.d, a.p AS v, GREATEST(a.s, g.s) AS s, CASE WHEN a.e IS NULL OR a.e >= g.e THEN g.e ELSE a.e END AS e, "
        "CASE WHEN a.e IS NULL OR a.e >= g.e THEN g.op ELSE 0 END AS op FROM segs g JOIN asg a ON g.k = 'r' AND a.r = g.v "
        f"AND a.s <= g.e AND DATEDIFF('microsecond', a.s, g.s) <= {q.p(lookback_us)})",
        "win AS (SELECT d, v, s, e, op FROM cut WHERE s < e OR (s = e AND op = 0) UNION ALL SELECT d, v, s, e, op FROM segs WHERE k = 'p')",
        "pil AS (SELECT DISTINCT d, v FROM win)",
    ]
    # the attribute rows (and, for --event, the rows of that name), placed in a delivery's lanes
    probe = (
        f"SELECT 'a' AS kind, event, ts, did, rid, pid, dmd, ofr, merchant_id, source, code, is_error FROM ({d.attributes}) attr "
        "WHERE merchant_id IS NOT NULL OR source IS NOT NULL OR is_error = 1"
    )
    q.p(*d.attribute_params, lower, upper)
    if event is not None:
        probe += (
            " UNION ALL SELECT 'v' AS kind, event, ts, did, rid, pid, dmd, ofr, CAST(NULL AS VARCHAR(64)) AS merchant_id, "
            f"CAST(NULL AS VARCHAR(64)) AS source, CAST(NULL AS VARCHAR(256)) AS code, 0 AS is_error "
            f"FROM ({read('e.event = {}', event)}) r"
        )
    ctes += [
        f"pr AS (SELECT x.*, COALESCE(nm.pos, {unknown}) AS pos FROM ({probe}) x LEFT JOIN nm ON nm.name = x.event)",
        # lane 0: direct and linked; 1: the robot lane (rule 4); 2: the pilot lane (rule 5)
        "placed AS (SELECT act.d, 0 AS lane, pr.* FROM pr JOIN act ON pr.did = act.id "
        "UNION ALL SELECT i.d, 0 AS lane, pr.* FROM pr JOIN ids i ON pr.did IS NULL AND i.k = 'd' AND pr.dmd = i.x "
        "UNION ALL SELECT i.d, 0 AS lane, pr.* FROM pr JOIN ids i ON pr.did IS NULL AND i.k = 'o' AND pr.ofr = i.x "
        "UNION ALL SELECT g.d, 1 AS lane, pr.* FROM pr JOIN segs g ON g.k = 'r' AND pr.did IS NULL AND pr.rid = g.v "
        "AND pr.ts >= g.s AND (pr.ts < g.e OR (pr.ts = g.e AND g.op = 0)) "
        "UNION ALL SELECT w.d, 2 AS lane, pr.* FROM pr JOIN win w ON pr.did IS NULL AND pr.pid = w.v AND pr.ts >= w.s AND pr.ts <= w.e "
        "LEFT JOIN rob ON rob.d = w.d AND rob.v = pr.rid WHERE pr.rid IS NULL OR rob.v IS NOT NULL)",
        "err AS (SELECT d, code, ROW_NUMBER() OVER (PARTITION BY d ORDER BY ts, lane, pos, event, code) AS k "
        "FROM placed WHERE kind = 'a' AND is_error = 1 AND code IS NOT NULL AND code <> '')",
        "cattr AS (SELECT DISTINCT d, merchant_id, source FROM placed WHERE lane = 0 AND kind = 'a')",
    ]
    outcome = {**DELIVERY_OUTCOMES, **DEMAND_OUTCOMES}
    delivery_names = q.p(*DELIVERY_OUTCOMES)
    outcome_names = q.p(*outcome)
    status_case = " ".join(f"WHEN {q.p(n)} THEN {q.p(s)}" for n, s in outcome.items())
    ctes += [
        f"oc AS (SELECT d, event, ROW_NUMBER() OVER (PARTITION BY d ORDER BY CASE WHEN event IN ({delivery_names}) THEN 1 ELSE 0 END "
        f"DESC, ts DESC, pos DESC) AS k FROM clo WHERE event IN ({outcome_names}))",
        f"st AS (SELECT d, CAST(CASE event {status_case} END AS VARCHAR(16)) AS status FROM oc WHERE k = 1)",
        # findings rules §3: the steps are the direct rows, one per name and instant (a copy follows its original
        # in this order, and the pair they make is left out); a transition is a pair of numbers ``ev.e`` (numbered in
        # the names' order) until the counts name it: durations are grouped by it hundreds of thousands of times
        "ev AS (SELECT event, ROW_NUMBER() OVER (ORDER BY event) AS e FROM (SELECT DISTINCT event FROM dir) n)",
        "tr0 AS (SELECT x.d, LAG(ev.e) OVER (PARTITION BY x.d ORDER BY x.ts, x.pos, ev.e) AS a, ev.e AS b, "
        "LAG(x.ts) OVER (PARTITION BY x.d ORDER BY x.ts, x.pos, ev.e) AS ta, x.ts FROM (SELECT d, event, ts, pos FROM dir) x "
        "JOIN ev ON ev.event = x.event)",
        "tr AS (SELECT d, a, b, CAST(DATEDIFF('microsecond', ta, ts) AS DOUBLE PRECISION) / 1000000 AS dur FROM tr0 "
        "WHERE a IS NOT NULL AND NOT (a = b AND ta = ts))",
        "f AS (SELECT span.d, COALESCE(st.status, 'in_progress') AS status, span.t0, err.code AS first_code FROM span "
        "LEFT JOIN st ON st.d = span.d LEFT JOIN err ON err.d = span.d AND err.k = 1)",
        "codes AS (SELECT DISTINCT d, code FROM placed WHERE kind = 'a' AND is_error = 1 AND code IS NOT NULL)",
    ]
    return ctes


def counts_tail(q: _Sql, ctes: list[str], group: Group, kept: bool = False) -> str:
    """The statement over the facts' ``WITH`` items (``facts_ctes``, or ``kept_ctes`` over the store's kept facts,
    ``kept``): the group's filters, each delivery's side, then the counts (``counts_sql``' rows). A transition is a
    key ``(a, b)`` that ``tn`` names ``x -> y``: two event numbers over the rows, one number twice over the kept facts."""
    ctes = list(ctes)
    if not kept:
        ctes.append("tn AS (SELECT ea.e AS a, eb.e AS b, ea.event AS x, eb.event AS y FROM ev ea CROSS JOIN ev eb)")
    # the group's filters, each the set of deliveries that pass it (joined, never a correlated subquery)
    flags: list[str] = []
    if group.filters.slow:
        slow = list(group.slow) or [("", "", 0.0, 0.0)]  # none judged: a row that matches no transition
        judged = " UNION ALL ".join(
            f"SELECT CAST({q.p(a)} AS VARCHAR(128)) AS a, CAST({q.p(b)} AS VARCHAR(128)) AS b, "
            f"CAST({q.p(p50)} AS DOUBLE PRECISION) AS p50, CAST({q.p(p99)} AS DOUBLE PRECISION) AS p99"
            for a, b, p50, p99 in slow
        )
        ctes.append(f"bl AS ({judged})")
        flags.append(
            "SELECT DISTINCT tr.d FROM tr JOIN tn ON tn.a = tr.a AND tn.b = tr.b "
            "JOIN bl ON bl.a = tn.x AND bl.b = tn.y WHERE tr.a IS NOT NULL "
            "AND tr.dur > bl.p99 AND tr.dur >= 2 * bl.p50 AND tr.dur - bl.p50 >= 60"
        )
    if group.filters.robot is not None:
        flags.append(f"SELECT DISTINCT d FROM rob WHERE v = {q.p(group.filters.robot)}")
    if group.filters.pilot is not None:
        flags.append(f"SELECT DISTINCT d FROM pil WHERE v = {q.p(group.filters.pilot)}")
    if group.filters.merchant is not None:
        flags.append(f"SELECT DISTINCT d FROM cattr WHERE merchant_id = {q.p(group.filters.merchant)}")
    if group.filters.error is not None:
        flags.append(f"SELECT DISTINCT d FROM codes WHERE code = {q.p(group.filters.error)}")
    if group.filters.event is not None:
        flags.append("SELECT DISTINCT d FROM placed WHERE kind = 'v'")
    ctes = ctes + [f"g{n} AS ({sql})" for n, sql in enumerate(flags)]
    joins = " ".join(f"LEFT JOIN g{n} ON g{n}.d = f.d" for n in range(len(flags)))
    passes = [f"g{n}.d IS NOT NULL" for n in range(len(flags))]
    if group.filters.statuses:  # bound here, where the text has it
        passes.append(f"f.status IN ({q.p(*group.filters.statuses)})")
    in_group = " AND ".join(passes) or "1 = 1"
    ctes = ctes + [
        f"sides AS (SELECT f.d, f.t0, f.first_code, CASE WHEN {in_group} THEN 1 WHEN f.status = {q.p('fulfilled')} THEN 0 END AS side "
        f"FROM f {joins})",
        "side AS (SELECT d, t0, first_code, side FROM sides WHERE side IS NOT NULL)",
    ]
    hour = "LPAD(CAST(EXTRACT(HOUR FROM t0) AS VARCHAR(2)), 2, '0')"
    if kept:  # the kept values are distinct per delivery: joined to the sides once, no set union to sort
        ctes += [
            "sval AS (SELECT v.dim, v.val, side.side FROM delivery_values v JOIN side ON side.d = v.k WHERE v.dim <> 'code' "
            f"UNION ALL SELECT 'hour' AS dim, {hour} AS val, side FROM side "
            "UNION ALL SELECT 'error' AS dim, first_code AS val, side FROM side WHERE first_code IS NOT NULL)",
            "trs AS (SELECT s.t AS a, s.t AS b, s.dur, side.side FROM delivery_steps s JOIN side ON side.d = s.k)",
        ]
    else:
        ctes += [
            "val AS (SELECT d, 'robot' AS dim, v AS val FROM rob "
            "UNION SELECT d, 'pilot' AS dim, v AS val FROM pil "
            "UNION SELECT d, 'merchant' AS dim, merchant_id AS val FROM cattr WHERE merchant_id IS NOT NULL "
            "UNION SELECT d, 'source' AS dim, source AS val FROM cattr WHERE source IS NOT NULL "
            f"UNION SELECT d, 'hour' AS dim, {hour} AS val FROM side "
            "UNION SELECT d, 'error' AS dim, first_code AS val FROM side WHERE first_code IS NOT NULL)",
            "sval AS (SELECT val.dim, val.val, side.side FROM val JOIN side ON side.d = val.d)",
            "trs AS (SELECT tr.a, tr.b, tr.dur, side.side FROM tr JOIN side ON side.d = tr.d WHERE tr.a IS NOT NULL)",
        ]
    ctes += [
        # Mann-Whitney's inputs from the durations' histogram: a value's mid-rank is the count below it plus (ties + 1) / 2
        "hist AS (SELECT a, b, dur, SUM(side) AS c1, COUNT(*) AS c FROM trs GROUP BY a, b, dur)",
        "cum AS (SELECT a, b, c1, c, SUM(c) OVER (PARTITION BY a, b ORDER BY dur ROWS UNBOUNDED PRECEDING) - c AS below FROM hist)",
    ]
    num = "DOUBLE PRECISION"
    none = f"CAST(NULL AS {num})"
    select = " UNION ALL ".join(
        [
            f"SELECT 'total' AS kind, CAST(NULL AS VARCHAR(256)) AS x, CAST(NULL AS VARCHAR(256)) AS y, CAST(SUM(side) AS {num}) AS n1, "
            f"CAST(COUNT(*) - SUM(side) AS {num}) AS n2, {none} AS r, {none} AS t FROM side",
            f"SELECT 'value' AS kind, dim AS x, val AS y, CAST(SUM(side) AS {num}) AS n1, "
            f"CAST(COUNT(*) - SUM(side) AS {num}) AS n2, {none} AS r, {none} AS t FROM sval GROUP BY dim, val",
            f"SELECT 'step' AS kind, tn.x, tn.y, s.n1, s.n2, s.r, s.t FROM (SELECT a, b, CAST(SUM(c1) AS {num}) AS n1, "
            f"CAST(SUM(c) - SUM(c1) AS {num}) AS n2, CAST(SUM(c1 * (below + (c + 1) / 2.0)) AS {num}) AS r, "
            f"SUM(CAST(c AS {num}) * c * c - c) AS t FROM cum GROUP BY a, b) s JOIN tn ON tn.a = s.a AND tn.b = s.b",
            f"SELECT 'p50' AS kind, tn.x, tn.y, m.n1, m.n2, {none} AS r, {none} AS t FROM (SELECT a, b, "
            f"CAST(side AS {num}) AS n1, CAST(PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY dur) AS {num}) AS n2 FROM trs "
            "GROUP BY a, b, side) m JOIN tn ON tn.a = m.a AND tn.b = m.b",
        ]
    )
    return f"WITH {', '.join(ctes)} {select}"


# -- the facts kept in the local store (``store.facts``) -----------------------------------------------------------

# The facts of every delivery of the store, as ``facts_ctes`` works them out over all its rows (a range and a read
# window from the first instant to the last), one row per fact: ``f`` (x status, y first error code, t0 and t1 the
# closure's first and last row, t2 its first direct row), ``v`` (x a dimension - robot, pilot, merchant, source or code -, y its value) and
# ``s`` (x -> y a transition, dur its duration in seconds).
FACTS_SELECT = (
    "SELECT 'f' AS kind, act.id AS delivery_id, f.status AS x, f.first_code AS y, f.t0, span.t1, fd.t2, CAST(NULL AS DOUBLE) AS dur "
    "FROM f JOIN span ON span.d = f.d JOIN act ON act.d = f.d JOIN (SELECT d, MIN(ts) AS t2 FROM dir GROUP BY d) fd ON fd.d = f.d "
    "UNION ALL SELECT 'v', act.id, v.dim, v.val, NULL, NULL, NULL, NULL FROM (SELECT d, 'robot' AS dim, v AS val FROM rob "
    "UNION ALL SELECT d, 'pilot', v FROM pil UNION SELECT d, 'merchant', merchant_id FROM cattr WHERE merchant_id IS NOT NULL "
    "UNION SELECT d, 'source', source FROM cattr WHERE source IS NOT NULL UNION ALL SELECT d, 'code', code FROM codes) v "
    "JOIN act ON act.d = v.d "
    "UNION ALL SELECT 's', act.id, ea.event, eb.event, NULL, NULL, NULL, tr.dur FROM tr JOIN ev ea ON ea.e = tr.a "
    "JOIN ev eb ON eb.e = tr.b JOIN act ON act.d = tr.d"
)


def facts_sql(
    since: Any, until: Any, lookback_us: int, part: Optional[tuple[int, int]] = None, only: Optional[str] = None
) -> tuple[str, list[Any]]:
    """``FACTS_SELECT`` over the local store's rows between ``since`` and ``until`` (the whole store: its first and
    last instants), with the assignment lookback ``lookback_us``, for the deliveries of ``part`` or of the table
    ``only`` (``facts_ctes``)."""
    q = _Sql("?")
    ctes = facts_ctes(q, local_dialect(True), since, until, since, until, lookback_us, None, part, only)
    return f"WITH {', '.join(ctes)} {FACTS_SELECT}", q.params


RANGE = "coco_compare_range"  # the range's deliveries with their kept facts (``store.facts.counts`` fills it)


def kept_ctes(q: _Sql) -> list[str]:
    """``facts_ctes``' items for the deliveries of the temporary ``RANGE`` (those with a direct row in the range),
    read from the store's kept facts (``store.facts``' tables) instead of worked out from the rows: the delivery
    key ``d`` is the kept ``k``, a transition the kept number ``t`` (``tn`` names it). The filters read only the
    range's deliveries' values and steps."""
    mine = f"k IN (SELECT k FROM temp.main.{RANGE})"
    return [
        f"f AS (SELECT k AS d, status, t0, first_code FROM temp.main.{RANGE})",
        f"kv AS (SELECT k AS d, dim, val FROM delivery_values WHERE {mine})",
        "rob AS (SELECT d, val AS v FROM kv WHERE dim = 'robot')",
        "pil AS (SELECT d, val AS v FROM kv WHERE dim = 'pilot')",
        "codes AS (SELECT d, val AS code FROM kv WHERE dim = 'code')",
        "cattr AS (SELECT d, CASE WHEN dim = 'merchant' THEN val END AS merchant_id, CASE WHEN dim = 'source' THEN val END AS source "
        "FROM kv WHERE dim IN ('merchant', 'source'))",
        f"tr AS (SELECT k AS d, t AS a, t AS b, dur FROM delivery_steps WHERE {mine})",
        "tn AS (SELECT t AS a, t AS b, a AS x, b AS y FROM facts_transitions)",
    ]


def kept_counts_sql(group: Group) -> tuple[str, list[Any]]:
    """``counts_sql`` over the local store's kept facts of the deliveries in ``RANGE`` (no ``--event`` filter: it
    needs the rows)."""
    q = _Sql("?")
    return counts_tail(q, kept_ctes(q), group, kept=True), q.params


# -- the two dialects and the answer ------------------------------------------------------------------------------

LOCAL_ATTRIBUTES = (
    "SELECT event, ts, NULLIF(delivery_id, '') AS did, NULLIF(robot_id, '') AS rid, NULLIF(pilot_id, '') AS pid, "
    "NULLIF(demand_id, '') AS dmd, NULLIF(offer_id, '') AS ofr, merchant_id, source, error_code AS code, "
    "CAST(is_error AS INTEGER) AS is_error FROM {rows} WHERE ts BETWEEN ? AND ?"
)


def local_dialect(kept: bool) -> Dialect:
    """The local store: its ``attributes`` table (``kept``, schema 7), else the attributes read from the records
    of a store written before it (slow: every record of the range is decompressed; the next load migrates)."""
    from .schema import STORED_ATTRIBUTES

    rows = "attributes" if kept else f"({STORED_ATTRIBUTES}) AS stored"
    return Dialect("events", "ts", "?", LOCAL_ATTRIBUTES.format(rows=rows))


def redshift_dialect(table: str) -> Dialect:
    """A Redshift table of the warehouse layout: the attributes read from ``event_data`` (``JSON_SERIALIZE`` then
    ``JSON_EXTRACT_PATH_TEXT``, which Redshift and the PostgreSQL stand-in both have), and the parameters the
    attribute ``SELECT`` binds before its two time bounds (the LIKE pattern, the error names and levels)."""
    json = "JSON_SERIALIZE(event_data)"

    def field(*path: str) -> str:
        return f"NULLIF(JSON_EXTRACT_PATH_TEXT({json}, {', '.join(repr(p) for p in path)}), '')"

    select = (
        "SELECT event, event_ts AS ts, NULLIF(delivery_id, '') AS did, NULLIF(robot_id, '') AS rid, NULLIF(pilot_id, '') AS pid, "
        f"NULLIF(demand_id, '') AS dmd, NULLIF(offer_id, '') AS ofr, {field('merchant_id')} AS merchant_id, {field('source')} AS source, "
        f"{field('error', 'code')} AS code, CASE WHEN event LIKE %s OR event = %s OR {field('error')} IS NOT NULL "
        f"OR LOWER({field('level')}) IN (%s, %s, %s) THEN 1 ELSE 0 END AS is_error FROM {table} WHERE event_ts BETWEEN %s AND %s "
        "AND event IS NOT NULL"
    )
    return Dialect(table, "event_ts", "%s", select, ("%.failed", "robot.grounded", "error", "fatal", "critical"))


def group_of(filters: Any, baseline: Any) -> Group:
    """``Group`` of ``core.questions.Filters``, with the baseline's judged transitions when the group wants slow
    steps (``core.baseline.Baseline`` with its minimum of samples set). No filter: the failed deliveries."""
    from ..core.compare import group_filters

    filters = group_filters(filters)
    judged: list[tuple[str, str, float, float]] = []
    if filters.slow and baseline is not None:
        judged = [(t.a, t.b, t.p50, t.p99) for t in baseline.transitions if t.n >= baseline.min_samples]
    return Group(filters, judged)


def counts_from_rows(rows: Sequence[Sequence[Any]]) -> Any:
    """``core.compare.Counts`` of the statement's rows."""
    from ..core.compare import Counts, StepCount, ValueCount

    total = (0, 0)
    values = []
    steps: dict[tuple[str, str], list[Any]] = {}
    medians: dict[tuple[str, str, int], float] = {}
    for kind, x, y, n1, n2, r, t in rows:
        if kind == "total":
            total = (int(n1 or 0), int(n2 or 0))
        elif kind == "value":
            values.append(ValueCount(str(x), str(y), int(n1), int(n2)))
        elif kind == "step":
            steps[(str(x), str(y))] = [int(n1), int(n2), float(r), float(t)]
        elif kind == "p50":
            medians[(str(x), str(y), int(n1))] = float(n2)
    counts = Counts(total[0], total[1], values)
    counts.steps = [StepCount(a, b, g, o, medians.get((a, b, 1)), medians.get((a, b, 0)), r, t) for (a, b), (g, o, r, t) in steps.items()]
    return counts.normalized()
