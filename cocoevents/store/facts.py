"""Every delivery's facts, kept in the store (schema 9, keyed by integers since 10): what ``coco compare`` counts.

``coco compare`` (``store.compare_sql``) works out, for each delivery with a direct row in its range, the facts its
timeline says - status, closure span, robots, pilots, merchants, sources, first error code, the codes of its errors
in every lane, and its transitions with their durations (findings rules §3) - from the rows of the range and a day
around it: ~2.3 s of CPU for a day of 1M events each time, minutes at 10M (docs/performance.md). The same
statement, run after a load over the whole store's rows (``compare_sql.facts_sql``) for the deliveries whose facts
the load can change, keeps them in three tables, each delivery numbered (``k``):

- ``delivery_facts`` (delivery_id, k, t0, t1, first_direct, status, first_code): t0 and t1 the first and last row
  of its closure, first_direct its own first row (``coco deliveries`` and ``coco explore`` order the deliveries by
  it: ``active``);
- ``delivery_values`` (k, dim, val): its robots, pilots, merchants and sources, and ``code``: each error code among
  its lanes (the ``--error`` filter);
- ``delivery_steps`` (k, t, dur): each transition ``a -> b`` (``t``, named in ``facts_transitions``) and its
  duration in seconds. ``named`` reads the three by name.

``coco compare`` then reads the facts of the range's deliveries (``counts``, ``compare_sql.kept_counts_sql``). Where they
answer the same: the facts a range's statement works out for a delivery come from the rows within ``[since -
READ_BEFORE, until + READ_AFTER]``; the kept ones from all its rows. They are the same when its closure lies in
that window and its assignments' lookback does too (``usable``): a reader checks that for every delivery of the
range and otherwise runs the statement over the rows, as it does for ``--event`` (any event of a name in a lane)
and for an assignment lookback other than the one the facts were worked out with.

Kept in step the way ``store.statuses`` are: every transaction that adds, replaces or removes files deletes the
``meta`` keys ``facts`` and ``facts_pending`` (``statuses.INVALIDATE``); after a load, a sync or a removal
``store.loader.rebuild_derived`` works them out again (without holding a big store: ``compute`` with the store
attached read-only, then ``install_steps`` in pieces, each only while the token under ``facts_pending`` is still
there, so a waiting reader gets in between two). Only the deliveries whose facts the changed files can change are
worked out again (``changed``; schema 10): the store keeps the files the kept rows come from (``facts_files``) and
the lookback they were worked out with (``meta`` key ``facts_basis``, which a change of files leaves), so a load of
one new day costs that day's deliveries and those reaching into it, not the whole store's (2.6 s of CPU at 1M
events, 2.3 minutes at 10M: docs/performance.md). A store without that record (a migrated one, or one whose
lookback differs) gets a full rebuild. The key ``facts`` holds the assignment lookback they were worked out with;
a reader uses the tables only while it is there, so a load in progress or a rebuild that ran out of memory gives
the same answer, only slower.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from ..timestamps import MAX_US, MIN_US, to_datetime
from .statuses import FACTS_FLAG as FLAG
from .statuses import FACTS_PENDING as PENDING

__all__ = [
    "BOOK",
    "CREATE",
    "FLAG",
    "PENDING",
    "TABLES",
    "active",
    "compute",
    "counts",
    "drop",
    "install",
    "install_steps",
    "lookback",
    "named",
    "rebuild",
    "usable",
    "worked_out",
]

TABLES = ("delivery_facts", "delivery_values", "delivery_steps")
# Keyed by an integer per delivery (``k``, numbered by the upkeep) and per transition (``t``, named in
# ``facts_transitions``): ``coco compare`` joins and groups millions of steps by them (schema 10).
CREATE = [
    "CREATE TABLE IF NOT EXISTS delivery_facts (delivery_id VARCHAR NOT NULL, k INTEGER NOT NULL, t0 TIMESTAMP NOT NULL, "
    "t1 TIMESTAMP NOT NULL, first_direct TIMESTAMP NOT NULL, status VARCHAR NOT NULL, first_code VARCHAR)",
    "CREATE TABLE IF NOT EXISTS delivery_values (k INTEGER NOT NULL, dim VARCHAR NOT NULL, val VARCHAR NOT NULL)",
    "CREATE TABLE IF NOT EXISTS delivery_steps (k INTEGER NOT NULL, t INTEGER NOT NULL, dur DOUBLE NOT NULL)",
]
# Schema 10: the transitions' names, and what the kept rows were worked out from, so the next upkeep works out only
# what changed (``compute``): the files then in the store (``facts_files``) and the deliveries whose rows an install
# deleted and has not yet put back (``facts_redo``: an install in pieces that a change of files cut short).
BOOK = ("facts_transitions", "facts_files", "facts_redo")
CREATE_BOOK = [
    "CREATE TABLE IF NOT EXISTS facts_transitions (t INTEGER NOT NULL, a VARCHAR NOT NULL, b VARCHAR NOT NULL)",
    "CREATE TABLE IF NOT EXISTS facts_files (file_id BIGINT NOT NULL, first_ts TIMESTAMP, last_ts TIMESTAMP)",
    "CREATE TABLE IF NOT EXISTS facts_redo (delivery_id VARCHAR NOT NULL)",
]
# The facts as rows of names (the delivery's id, the transition's names), whatever the keys: what two upkeeps that
# numbered them differently agree on (``named``).
NAMED = (
    "SELECT delivery_id, t0, t1, first_direct, status, first_code FROM delivery_facts",
    "SELECT f.delivery_id, v.dim, v.val FROM delivery_values v JOIN delivery_facts f ON f.k = v.k",
    "SELECT f.delivery_id, n.a, n.b, s.dur FROM delivery_steps s JOIN delivery_facts f ON f.k = s.k JOIN facts_transitions n ON n.t = s.t",
)
BASIS = "facts_basis"  # ``meta``: the lookback of the kept rows and ``facts_files`` (not deleted by a change of files)
LAST = "facts_worked_out"  # ``meta``: how many deliveries the last upkeep worked out (all of them when it was a full one)
RESULT = "coco_facts"  # the temporary table ``compute`` fills and ``install`` copies
SCOPE = "coco_facts_scope"  # the deliveries ``compute`` worked out when it did not work out all of them
NUMBERS = "coco_facts_numbers"  # the store's highest delivery key and its transitions' names, as ``compute`` found them


def default_lookback() -> int:
    """The assignment lookback the kept facts are worked out with: ``Options``' default (imported here, not with the
    module: the store's schema imports this module while ``core`` may be importing)."""
    from ..core.options import Options

    return Options().assignment_lookback_us


def _bound(us: int) -> Any:
    return to_datetime(us).replace(tzinfo=None)


def _bounds(since: int, until: int) -> list[Any]:
    """``[since, until]`` (µs) as the store's ``ts`` values, within the times it can hold."""
    return [_bound(max(MIN_US, since)), _bound(min(MAX_US, until))]


def rebuild(con: Any, full: bool = False) -> int:
    """Recompute the kept facts (only what changed unless ``full``) and set the ``meta`` key, in one transaction;
    the number of deliveries kept."""
    from ..duckdb_engine import transaction

    try:
        with transaction(con):
            compute(con, full=full)
            return install(con)
    finally:
        drop(con)


def compute(con: Any, parts: int = 1, full: bool = False) -> bool:
    """The facts of the deliveries whose facts can have changed since the kept ones were worked out (``changed``),
    or of every delivery (``full``, or no record of what the kept ones came from), into the temporary ``RESULT``
    from the store ``con`` reads (it may be attached read-only). A full one goes in ``parts`` parts by the hash of
    the deliveries' ids: each part reads the rows again but holds only its deliveries' closures, segments and
    transitions (at 10M events five parts cost more CPU than one, 165 against 138 s: docs/performance.md)."""
    from .compare_sql import facts_sql

    drop(con)
    if not full and changed(con):
        con.execute(
            f"CREATE TEMP TABLE {NUMBERS} AS SELECT (SELECT coalesce(max(k), 0) FROM delivery_facts) AS top, t, a, b "
            "FROM facts_transitions UNION ALL SELECT (SELECT coalesce(max(k), 0) FROM delivery_facts), NULL, NULL, NULL"
        )
        sql, params = facts_sql(_bound(MIN_US), _bound(MAX_US), default_lookback(), only=f"temp.main.{SCOPE}")
        con.execute(f"CREATE TEMP TABLE {RESULT} AS {sql}", params)
        return True
    con.execute(
        f"CREATE TEMP TABLE {NUMBERS} AS SELECT 0 AS top, CAST(NULL AS INTEGER) AS t, CAST(NULL AS VARCHAR) AS a, "
        "CAST(NULL AS VARCHAR) AS b"
    )
    for k in range(parts):
        sql, params = facts_sql(_bound(MIN_US), _bound(MAX_US), default_lookback(), (k, parts) if parts > 1 else None)
        if k == 0:
            con.execute(f"CREATE TEMP TABLE {RESULT} AS {sql}", params)
        else:
            con.execute(f"INSERT INTO temp.main.{RESULT} {sql}", params)
    return True


def _windows(rows: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Time ranges ``(lo, hi)`` merged where they overlap."""
    merged: list[list[Any]] = []
    for lo, hi in sorted(r for r in rows if r[0] is not None and r[1] is not None):
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return [(lo, hi) for lo, hi in merged]


def changed(con: Any) -> bool:
    """The deliveries whose facts can differ from the kept ones into the temporary ``SCOPE`` (id), when the store
    records what the kept ones came from (``BASIS`` with today's lookback); False when it does not (a store of
    schema 9, a first load): then all are worked out.

    A delivery's facts come from its closure (its direct rows and the rows without a delivery id its demand and
    offer ids reach, two hops), the rows of its robots and pilots inside ``[t0, t1]`` (its closure's first and last
    row) and the assignments that start within the lookback before that (``compare_sql.facts_ctes``). So they can
    change only when a file added or removed since (``facts_files`` against ``files``) holds one of: a direct row of
    it; a row within its kept ``[t0, t1]`` (any row: removed rows of its closure, robot and pilot lanes), or an
    assignment start within ``[t0 - lookback, t1]``; a row without a delivery id whose ids reach its direct rows'
    ids in two hops (a new part of its closure, anywhere in time). Plus ``facts_redo``."""
    from ..producers.registry import ASSIGN_START

    basis = con.execute("SELECT value FROM meta WHERE key = ?", [BASIS]).fetchone()
    if basis is None or int(basis[0]) != default_lookback():
        return False
    lookback_us = default_lookback()
    added = "(SELECT file_id FROM files WHERE file_id NOT IN (SELECT file_id FROM facts_files))"
    gone = con.execute("SELECT first_ts, last_ts FROM facts_files WHERE file_id NOT IN (SELECT file_id FROM files)").fetchall()
    spans = _windows(con.execute(f"SELECT first_ts, last_ts FROM files WHERE file_id IN {added}").fetchall() + gone)
    starts = _windows(
        con.execute(
            f"SELECT min(ts), max(ts) FROM events WHERE file_id IN {added} AND event = ? GROUP BY file_id", [ASSIGN_START]
        ).fetchall()
        + gone
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE {SCOPE}_w (lo TIMESTAMP, hi TIMESTAMP, lb BIGINT)")
    for windows, lb in ((spans, 0), (starts, lookback_us)):
        if windows:
            con.executemany(f"INSERT INTO temp.main.{SCOPE}_w VALUES (?, ?, ?)", [(lo, hi, lb) for lo, hi in windows])
    loose = "(e.delivery_id IS NULL OR e.delivery_id = '')"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {SCOPE} AS
WITH lz AS (SELECT NULLIF(e.demand_id, '') AS dmd, NULLIF(e.offer_id, '') AS ofr FROM events e
    WHERE e.file_id IN {added} AND {loose} AND e.ts IS NOT NULL AND e.event IS NOT NULL),
z0 AS (SELECT 'd' AS k, dmd AS x FROM lz WHERE dmd IS NOT NULL UNION SELECT 'o' AS k, ofr AS x FROM lz WHERE ofr IS NOT NULL),
m AS (SELECT NULLIF(e.demand_id, '') AS dmd, NULLIF(e.offer_id, '') AS ofr FROM events e JOIN z0 ON z0.k = 'd' AND e.demand_id = z0.x
    WHERE {loose} AND e.ts IS NOT NULL AND e.event IS NOT NULL
    UNION ALL SELECT NULLIF(e.demand_id, ''), NULLIF(e.offer_id, '') FROM events e JOIN z0 ON z0.k = 'o' AND e.offer_id = z0.x
    WHERE {loose} AND e.ts IS NOT NULL AND e.event IS NOT NULL),
z AS (SELECT k, x FROM z0 UNION SELECT 'd', dmd FROM m WHERE dmd IS NOT NULL UNION SELECT 'o', ofr FROM m WHERE ofr IS NOT NULL)
SELECT DISTINCT id FROM (
    SELECT delivery_id AS id FROM events WHERE file_id IN {added} AND ts IS NOT NULL AND event IS NOT NULL
    UNION ALL SELECT k.delivery_id FROM delivery_facts k JOIN temp.main.{SCOPE}_w w
        ON k.t1 >= w.lo AND epoch_us(k.t0) - w.lb <= epoch_us(w.hi)
    UNION ALL SELECT delivery_id FROM facts_redo
    UNION ALL SELECT e.delivery_id FROM events e JOIN z ON z.k = 'd' AND e.demand_id = z.x WHERE e.ts IS NOT NULL AND e.event IS NOT NULL
    UNION ALL SELECT e.delivery_id FROM events e JOIN z ON z.k = 'o' AND e.offer_id = z.x WHERE e.ts IS NOT NULL AND e.event IS NOT NULL
) a WHERE id IS NOT NULL AND id <> '' ORDER BY id"""
    )
    return True


# ``compute``'s result split by table, keyed and sorted by delivery and numbered (``n``), so ``install_steps`` copies
# it in pieces of ``PIECE_ROWS`` rows: a waiting reader gets in between two (the steps of a 1M-event store are ~0.6M
# rows). A delivery worked out gets a new key above the store's highest; a transition not yet named, the next number.
SORTED = {
    "delivery_facts": ("coco_facts_f", "delivery_id, k, t0, t1, t2, x, y", "k"),
    "delivery_values": ("coco_facts_v", "k, x, y", "k, x, y"),
    "delivery_steps": ("coco_facts_s", "k, t, dur", "k"),
}
PIECE_ROWS = 200_000


def _sort(con: Any) -> None:
    """``RESULT`` split into the ``SORTED`` temporary tables, and the transitions' names into ``coco_facts_t``
    (worked out with the rest, before any lock is held)."""
    r = f"temp.main.{RESULT}"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE coco_facts_k AS SELECT delivery_id, CAST((SELECT max(top) FROM temp.main.{NUMBERS}) "
        f"+ ROW_NUMBER() OVER (ORDER BY delivery_id) AS INTEGER) AS k FROM {r} WHERE kind = 'f'"
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE coco_facts_t AS SELECT t, a, b, false AS new FROM temp.main.{NUMBERS} WHERE t IS NOT NULL "
        f"UNION ALL SELECT CAST((SELECT coalesce(max(t), 0) FROM temp.main.{NUMBERS}) + ROW_NUMBER() OVER (ORDER BY x, y) AS INTEGER), "
        f"x, y, true FROM (SELECT DISTINCT x, y FROM {r} WHERE kind = 's') d WHERE NOT EXISTS (SELECT 1 FROM temp.main.{NUMBERS} o "
        "WHERE o.a = d.x AND o.b = d.y)"
    )
    selects = {
        "delivery_facts": f"SELECT k.delivery_id, k.k, r.t0, r.t1, r.t2, r.x, r.y FROM {r} r JOIN temp.main.coco_facts_k k "
        "ON k.delivery_id = r.delivery_id WHERE r.kind = 'f'",
        "delivery_values": f"SELECT k.k, r.x, r.y FROM {r} r JOIN temp.main.coco_facts_k k ON k.delivery_id = r.delivery_id "
        "WHERE r.kind = 'v'",
        "delivery_steps": f"SELECT k.k, n.t, r.dur FROM {r} r JOIN temp.main.coco_facts_k k ON k.delivery_id = r.delivery_id "
        "JOIN temp.main.coco_facts_t n ON n.a = r.x AND n.b = r.y WHERE r.kind = 's'",
    }
    for table, (temp, columns, order) in SORTED.items():
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {temp} AS SELECT {columns}, ROW_NUMBER() OVER (ORDER BY {order}) - 1 AS n "
            f"FROM ({selects[table]}) ORDER BY n"
        )
    con.execute(f"DROP TABLE IF EXISTS {r}")


def _scoped(con: Any) -> bool:
    """Whether ``compute`` worked out only some deliveries (``SCOPE``)."""
    (n,) = con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = ?", [SCOPE]).fetchone()
    return bool(n)


def install_steps(con: Any) -> list[Callable[[Any], Any]]:
    """``install`` as steps, each for a transaction of its own (``store.loader.Loader._rebuild_detached``): the rows
    of the deliveries worked out deleted (all rows, after a full ``compute``; those deliveries noted in
    ``facts_redo`` till the end), then the new ones inserted a piece at a time, then marked current. Until the last
    step the ``meta`` key is not there, so readers do not use the half-filled tables."""
    _sort(con)
    scoped = _scoped(con)

    def empty(c: Any) -> None:
        for create in (*CREATE, *CREATE_BOOK):
            c.execute(create)
        if scoped:
            c.execute(f"INSERT INTO facts_redo SELECT id FROM temp.main.{SCOPE}")
            keys = f"(SELECT k FROM delivery_facts WHERE delivery_id IN (SELECT id FROM temp.main.{SCOPE}))"
            c.execute(f"DELETE FROM delivery_values WHERE k IN {keys}")
            c.execute(f"DELETE FROM delivery_steps WHERE k IN {keys}")
            c.execute(f"DELETE FROM delivery_facts WHERE delivery_id IN (SELECT id FROM temp.main.{SCOPE})")
            c.execute("INSERT INTO facts_transitions SELECT t, a, b FROM temp.main.coco_facts_t WHERE new ORDER BY t")
        else:
            for table in (*TABLES, "facts_transitions"):
                c.execute(f"DELETE FROM {table}")
            c.execute("INSERT INTO facts_transitions SELECT t, a, b FROM temp.main.coco_facts_t ORDER BY t")

    def piece(table: str, lo: int) -> Callable[[Any], Any]:
        temp, columns, _ = SORTED[table]
        return lambda c: c.execute(
            f"INSERT INTO {table} SELECT {columns} FROM temp.main.{temp} WHERE n >= ? AND n < ?", [lo, lo + PIECE_ROWS]
        )

    steps: list[Callable[[Any], Any]] = [empty]
    for table, (temp, _, _) in SORTED.items():
        (rows,) = con.execute(f"SELECT count(*) FROM temp.main.{temp}").fetchone()
        steps += [piece(table, lo) for lo in range(0, int(rows), PIECE_ROWS)]
    if scoped:
        (count,) = con.execute(f"SELECT count(*) FROM temp.main.{SCOPE}").fetchone()
    else:
        (count,) = con.execute(f"SELECT count(*) FROM temp.main.{SORTED['delivery_facts'][0]}").fetchone()
    return [*steps, lambda c: mark(c, int(count))]


def mark(con: Any, worked_out: int = 0) -> int:
    """The kept facts marked current, with the files they come from; the number of deliveries kept."""
    for create in CREATE_BOOK:
        con.execute(create)
    con.execute("DELETE FROM facts_redo")
    con.execute("DELETE FROM facts_files")
    con.execute("INSERT INTO facts_files SELECT file_id, first_ts, last_ts FROM files")
    for key, value in ((FLAG, default_lookback()), (BASIS, default_lookback()), (LAST, worked_out)):
        con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, str(value)])
    (count,) = con.execute("SELECT count(*) FROM delivery_facts").fetchone()
    return int(count)


def named(con: Any) -> tuple[list[Any], ...]:
    """The kept facts as sorted rows of names (``NAMED``): deliveries, values, steps."""
    return tuple(con.execute(f"{sql} ORDER BY ALL").fetchall() for sql in NAMED)


def worked_out(con: Any) -> Optional[int]:
    """How many deliveries the store's last upkeep of the facts worked out (``None``: none since schema 10)."""
    row = con.execute("SELECT value FROM meta WHERE key = ?", [LAST]).fetchone()
    return None if row is None else int(row[0])


def install(con: Any) -> int:
    """The kept facts updated with ``compute``'s result and marked current, in the caller's transaction; the number
    of deliveries kept."""
    steps = install_steps(con)
    for step in steps[:-1]:
        step(con)
    return int(steps[-1](con))


def drop(con: Any) -> None:
    """The temporary tables of ``compute`` gone."""
    from ..duckdb_engine import drop_temp

    drop_temp(con, [RESULT, SCOPE, f"{SCOPE}_w", NUMBERS, "coco_facts_k", "coco_facts_t", *(temp for temp, _, _ in SORTED.values())])


def lookback(con: Any) -> Optional[int]:
    """The assignment lookback the store's kept facts were worked out with, or ``None`` when they are not up to
    date with its files (a load in progress, a rebuild that failed, a store before schema 9)."""
    row = con.execute("SELECT value FROM meta WHERE key = ?", [FLAG]).fetchone()
    return None if row is None else int(row[0])


def usable(con: Any, since: int, until: int, lookback_us: int) -> bool:
    """Whether the kept facts give ``coco compare`` over ``[since, until]`` (µs) with ``lookback_us`` the answer
    its statement would work out from the rows (see the module docstring): they are current, worked out with that
    lookback, and every delivery with a direct row in the range has them, its closure within the rows the statement
    reads and its lookback too."""
    from ..duckdb_engine import drop_temp
    from .compare_sql import RANGE

    try:
        return _range(con, since, until, lookback_us)
    finally:
        drop_temp(con, [RANGE])


def _range(con: Any, since: int, until: int, lookback_us: int) -> bool:
    """``usable``, leaving the range's deliveries with their kept facts in the temporary ``compare_sql.RANGE``
    (id, k, t0, t1, status, first_code) when it is."""
    from .compare_sql import RANGE, READ_AFTER, READ_BEFORE

    if lookback(con) != lookback_us:
        return False
    lower = _bound(max(MIN_US, since - READ_BEFORE + lookback_us))
    upper = _bound(min(MAX_US, until + READ_AFTER))
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {RANGE} AS SELECT a.id, k.k, k.t0, k.t1, k.status, k.first_code FROM (SELECT DISTINCT "
        "delivery_id AS id FROM events WHERE ts BETWEEN ? AND ? AND delivery_id IS NOT NULL AND delivery_id <> '') a "
        "LEFT JOIN delivery_facts k ON k.delivery_id = a.id",
        _bounds(since, until),
    )
    (outside,) = con.execute(f"SELECT count(*) FROM temp.main.{RANGE} WHERE k IS NULL OR t0 < ? OR t1 > ?", [lower, upper]).fetchone()
    return not outside


def counts(con: Any, since: int, until: int, lookback_us: int, group: Any) -> Optional[list[Any]]:
    """``coco compare``'s counts (``compare_sql.counts_sql``' rows) over ``[since, until]`` (µs) from the kept facts,
    the range's deliveries found once (``_range``); ``None`` when the kept facts do not give its answer (``usable``).
    ``group``: a ``compare_sql.Group`` without an ``--event`` filter."""
    from ..duckdb_engine import drop_temp
    from .compare_sql import RANGE, kept_counts_sql

    try:
        if not _range(con, since, until, lookback_us):
            return None
        sql, params = kept_counts_sql(group)
        return list(con.execute(sql, params).fetchall())
    finally:
        drop_temp(con, [RANGE])


def started(con: Any, since: int, until: int, limit: int) -> Optional[list[tuple[str, int]]]:
    """The ``limit`` deliveries whose first direct row is in ``[since, until]`` (µs), the latest first (then by id,
    descending), with that time: each has a direct row in the range, so these are the newest of ``active``'s
    answer for it, read from the kept facts alone. ``None`` when the facts are out of date or a delivery id ``''``
    (which they leave out) has a row in the range."""
    if lookback(con) is None:
        return None
    bounds = _bounds(since, until)
    if con.execute("SELECT 1 FROM events WHERE ts BETWEEN ? AND ? AND delivery_id = '' LIMIT 1", bounds).fetchone():
        return None
    rows = con.execute(
        "SELECT delivery_id, epoch_us(first_direct) FROM delivery_facts WHERE first_direct BETWEEN ? AND ? "
        "ORDER BY first_direct DESC, delivery_id DESC LIMIT ?",
        [*bounds, limit],
    ).fetchall()
    return [(d, int(t)) for d, t in rows]


def active(con: Any, since: int, until: int) -> Optional[list[tuple[str, int]]]:
    """``LocalSource.active_deliveries`` from the kept facts: the deliveries with a direct row in ``[since, until]``
    (µs) and the time of each one's first direct row, without grouping every row of the store by delivery; ``None``
    when the facts are out of date or miss one of them (a delivery id ``''``, which the facts leave out)."""
    if lookback(con) is None:
        return None
    rows = con.execute(
        "SELECT a.id, epoch_us(k.first_direct) FROM (SELECT DISTINCT delivery_id AS id FROM events WHERE ts BETWEEN ? AND ? "
        "AND delivery_id IS NOT NULL) a LEFT JOIN delivery_facts k ON k.delivery_id = a.id",
        _bounds(since, until),
    ).fetchall()
    if any(t is None for _, t in rows):
        return None
    return [(d, int(t)) for d, t in rows]
