"""Every delivery's facts, kept in the store (schema 9): what ``coco compare`` counts, worked out once per load.

``coco compare`` (``store.compare_sql``) works out, for each delivery with a direct row in its range, the facts its
timeline says - status, closure span, robots, pilots, merchants, sources, first error code, the codes of its errors
in every lane, and its transitions with their durations (findings rules §3) - from the rows of the range and a day
around it: ~2.3 s of CPU for a day of 1M events each time, minutes at 10M (docs/performance.md). The same
statement, run once after a load over the whole store (``compare_sql.facts_sql``), keeps them in three tables
sorted by delivery id:

- ``delivery_facts`` (delivery_id, t0, t1, first_direct, status, first_code): t0 and t1 the first and last row of
  its closure, first_direct its own first row (``coco deliveries`` and ``coco explore`` order the deliveries by it:
  ``active``);
- ``delivery_values`` (delivery_id, dim, val): its robots, pilots, merchants and sources, and ``code``: each error
  code among its lanes (the ``--error`` filter);
- ``delivery_steps`` (delivery_id, a, b, dur): each transition ``a -> b`` and its duration in seconds.

``coco compare`` then reads the facts of the range's deliveries (``compare_sql.kept_counts_sql``). Where they
answer the same: the facts a range's statement works out for a delivery come from the rows within ``[since -
READ_BEFORE, until + READ_AFTER]``; the kept ones from all its rows. They are the same when its closure lies in
that window and its assignments' lookback does too (``usable``): a reader checks that for every delivery of the
range and otherwise runs the statement over the rows, as it does for ``--event`` (any event of a name in a lane)
and for an assignment lookback other than the one the facts were worked out with.

Kept in step the way ``store.statuses`` are: every transaction that adds, replaces or removes files deletes the
``meta`` keys ``facts`` and ``facts_pending`` (``statuses.INVALIDATE``); after a load, a sync or a removal
``store.loader.rebuild_derived`` works them out again (without holding a big store: ``compute`` with the store
attached read-only, then ``install_steps`` in pieces, each only while the token under ``facts_pending`` is still
there, so a waiting reader gets in between two). The cost is the whole store's at every load that changes files
(~2.6 s of CPU at 1M events, ~2.3 minutes at 10M): working out only the changed days is what is left. The key ``facts``
holds the assignment lookback they were worked out with; a reader uses the tables only while it is there, so a
load in progress or a rebuild that ran out of memory gives the same answer, only slower.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from ..timestamps import MAX_US, MIN_US, to_datetime
from .statuses import FACTS_FLAG as FLAG
from .statuses import FACTS_PENDING as PENDING

__all__ = ["CREATE", "FLAG", "PENDING", "TABLES", "active", "compute", "drop", "install", "install_steps", "lookback", "rebuild", "usable"]

TABLES = ("delivery_facts", "delivery_values", "delivery_steps")
CREATE = [
    "CREATE TABLE IF NOT EXISTS delivery_facts (delivery_id VARCHAR NOT NULL, t0 TIMESTAMP NOT NULL, t1 TIMESTAMP NOT NULL, "
    "first_direct TIMESTAMP NOT NULL, status VARCHAR NOT NULL, first_code VARCHAR)",
    "CREATE TABLE IF NOT EXISTS delivery_values (delivery_id VARCHAR NOT NULL, dim VARCHAR NOT NULL, val VARCHAR NOT NULL)",
    "CREATE TABLE IF NOT EXISTS delivery_steps (delivery_id VARCHAR NOT NULL, a VARCHAR NOT NULL, b VARCHAR NOT NULL, dur DOUBLE NOT NULL)",
]
RESULT = "coco_facts"  # the temporary table ``compute`` fills and ``install`` copies


def default_lookback() -> int:
    """The assignment lookback the kept facts are worked out with: ``Options``' default (imported here, not with the
    module: the store's schema imports this module while ``core`` may be importing)."""
    from ..core.options import Options

    return Options().assignment_lookback_us


def _bound(us: int) -> Any:
    return to_datetime(us).replace(tzinfo=None)


def rebuild(con: Any) -> int:
    """Recompute the kept facts and set the ``meta`` key, in one transaction; the number of deliveries."""
    from ..duckdb_engine import transaction

    try:
        with transaction(con):
            compute(con)
            return install(con)
    finally:
        drop(con)


def compute(con: Any, parts: int = 1) -> bool:
    """Every delivery's facts into the temporary ``RESULT`` from the store ``con`` reads (it may be attached
    read-only), the deliveries in ``parts`` parts by the hash of their id: each part reads the rows again but holds
    only its deliveries' closures, segments and transitions (at 10M events five parts cost more CPU than one, 165
    against 138 s: docs/performance.md)."""
    from .compare_sql import facts_sql

    con.execute(f"DROP TABLE IF EXISTS temp.main.{RESULT}")
    for k in range(parts):
        sql, params = facts_sql(_bound(MIN_US), _bound(MAX_US), default_lookback(), (k, parts) if parts > 1 else None)
        if k == 0:
            con.execute(f"CREATE TEMP TABLE {RESULT} AS {sql}", params)
        else:
            con.execute(f"INSERT INTO temp.main.{RESULT} {sql}", params)
    return True


# ``compute``'s result split by table, sorted by delivery id and numbered (``n``), so ``install_steps`` copies it in
# pieces of ``PIECE_ROWS`` rows: a waiting reader gets in between two (the steps of a 1M-event store are ~0.6M rows).
SORTED = {
    "delivery_facts": ("coco_facts_f", "delivery_id, t0, t1, t2, x, y", "f", "delivery_id"),
    "delivery_values": ("coco_facts_v", "delivery_id, x, y", "v", "delivery_id, x, y"),
    "delivery_steps": ("coco_facts_s", "delivery_id, x, y, dur", "s", "delivery_id"),
}
PIECE_ROWS = 200_000


def _sort(con: Any) -> None:
    """``RESULT`` split into the ``SORTED`` temporary tables (worked out with the rest, before any lock is held)."""
    for temp, columns, kind, order in SORTED.values():
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {temp} AS SELECT {columns}, ROW_NUMBER() OVER (ORDER BY {order}) - 1 AS n "
            f"FROM temp.main.{RESULT} WHERE kind = '{kind}' ORDER BY n"
        )
    con.execute(f"DROP TABLE IF EXISTS temp.main.{RESULT}")


def install_steps(con: Any) -> list[Callable[[Any], Any]]:
    """``install`` as steps, each for a transaction of its own (``store.loader.Loader._rebuild_detached``): the tables
    emptied, then filled a piece at a time, then marked current. Until the last step the ``meta`` key is not there,
    so readers do not use the half-filled tables."""
    _sort(con)

    def empty(c: Any) -> None:
        for create in CREATE:
            c.execute(create)
        for table in TABLES:
            c.execute(f"DELETE FROM {table}")

    def piece(table: str, lo: int) -> Callable[[Any], Any]:
        temp, columns, _, _ = SORTED[table]
        return lambda c: c.execute(
            f"INSERT INTO {table} SELECT {columns} FROM temp.main.{temp} WHERE n >= ? AND n < ?", [lo, lo + PIECE_ROWS]
        )

    steps: list[Callable[[Any], Any]] = [empty]
    for table, (temp, _, _, _) in SORTED.items():
        (rows,) = con.execute(f"SELECT count(*) FROM temp.main.{temp}").fetchone()
        steps += [piece(table, lo) for lo in range(0, int(rows), PIECE_ROWS)]
    return [*steps, mark]


def mark(con: Any) -> int:
    """The kept facts marked current; the number of deliveries."""
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [FLAG, str(default_lookback())])
    (count,) = con.execute("SELECT count(*) FROM delivery_facts").fetchone()
    return int(count)


def install(con: Any) -> int:
    """The kept facts replaced by ``compute``'s result and marked current, in the caller's transaction; the number
    of deliveries."""
    steps = install_steps(con)
    for step in steps[:-1]:
        step(con)
    return int(steps[-1](con))


def drop(con: Any) -> None:
    """The temporary tables of ``compute`` gone."""
    from ..duckdb_engine import drop_temp

    drop_temp(con, [RESULT, *(temp for temp, _, _, _ in SORTED.values())])


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
    from .compare_sql import READ_AFTER, READ_BEFORE

    if lookback(con) != lookback_us:
        return False
    lower = _bound(max(MIN_US, since - READ_BEFORE + lookback_us))
    upper = _bound(min(MAX_US, until + READ_AFTER))
    (outside,) = con.execute(
        "SELECT count(*) FROM (SELECT DISTINCT delivery_id AS id FROM events WHERE ts BETWEEN ? AND ? AND delivery_id IS NOT NULL "
        "AND delivery_id <> '') a LEFT JOIN delivery_facts k ON k.delivery_id = a.id WHERE k.delivery_id IS NULL OR k.t0 < ? OR k.t1 > ?",
        [_bound(max(MIN_US, since)), _bound(min(MAX_US, until)), lower, upper],
    ).fetchone()
    return not outside


def active(con: Any, since: int, until: int) -> Optional[list[tuple[str, int]]]:
    """``LocalSource.active_deliveries`` from the kept facts: the deliveries with a direct row in ``[since, until]``
    (µs) and the time of each one's first direct row, without grouping every row of the store by delivery; ``None``
    when the facts are out of date or miss one of them (a delivery id ``''``, which the facts leave out)."""
    if lookback(con) is None:
        return None
    rows = con.execute(
        "SELECT a.id, epoch_us(k.first_direct) FROM (SELECT DISTINCT delivery_id AS id FROM events WHERE ts BETWEEN ? AND ? "
        "AND delivery_id IS NOT NULL) a LEFT JOIN delivery_facts k ON k.delivery_id = a.id",
        [_bound(max(MIN_US, since)), _bound(min(MAX_US, until))],
    ).fetchall()
    if any(t is None for _, t in rows):
        return None
    return [(d, int(t)) for d, t in rows]
