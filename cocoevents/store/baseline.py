"""The fleet baseline in SQL (findings rules §3): one statement, the same text on DuckDB and Redshift.

``transitions_sql`` is the one ``SELECT``: the steps of every delivery (its direct events with a time, one
per name and instant), ordered as the timeline orders them (time, registry position, name) with ``LAG`` over
``PARTITION BY delivery_id``, each consecutive pair a transition ``(a, b)`` with its duration in seconds, then per
transition ``n`` and ``PERCENTILE_CONT`` 0.5 / 0.95 / 0.99. It uses only what DuckDB, Redshift and PostgreSQL
share (``DATEDIFF('microsecond', ...)`` is defined over ``timestamp`` in the PostgreSQL test database, as
``JSON_SERIALIZE`` is); every value - the registry's names for the ordering, the lower time bound - is a bound
parameter. ``core.baseline.compute`` is the same computation in Python, and the tests hold the two equal.

Local store: the result is kept in the table ``fleet_baseline`` of the store, rebuilt in one transaction by
``rebuild`` (``coco baseline --rebuild``) or, after a ``coco load`` or sync that added or replaced files,
``compute``d with the store attached read-only and ``install``ed in one short transaction
(``store.local.Loader._rebuild_detached``; the statuses' scheme, ``store.statuses``). ``read``
returns it as a ``core.baseline.Baseline`` (``None`` when the store has never built one).
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from ..core.baseline import DEFAULT_MIN_SAMPLES, Baseline, Transition
from ..producers.registry import EVENTS

TABLE = "fleet_baseline"
COLUMNS = ("a", "b", "n", "p50", "p95", "p99")
# DuckDB: the store's ``events`` table keeps an event's time in ``ts``.
CREATE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    a VARCHAR NOT NULL, b VARCHAR NOT NULL, n BIGINT NOT NULL,
    p50 DOUBLE NOT NULL, p95 DOUBLE NOT NULL, p99 DOUBLE NOT NULL
)"""


def transitions_sql(table: str, ts: str, mark: str, since: Optional[Any] = None) -> tuple[str, list[Any]]:
    """The baseline ``SELECT a, b, n, p50, p95, p99`` over ``table`` (time column ``ts``, placeholders ``mark``),
    restricted to events at or after ``since`` when given. ``table`` and ``ts`` are constants of the caller."""
    names = [e.name for e in EVENTS]
    position = "CASE event " + " ".join(f"WHEN {mark} THEN {n}" for n in range(len(names))) + f" ELSE {len(names)} END"
    params: list[Any] = list(names)
    bound = ""
    if since is not None:
        bound = f" AND {ts} >= {mark}"
        params.append(since)
    order = f"PARTITION BY delivery_id ORDER BY {ts}, pos, event"
    sql = (
        "SELECT a, b, COUNT(*) AS n,"
        " PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY d) AS p50,"
        " PERCENTILE_CONT(0.95) WITHIN GROUP (ORDER BY d) AS p95,"
        " PERCENTILE_CONT(0.99) WITHIN GROUP (ORDER BY d) AS p99"
        " FROM ("
        f"SELECT LAG(event) OVER ({order}) AS a, event AS b,"
        f" CAST(DATEDIFF('microsecond', LAG({ts}) OVER ({order}), {ts}) AS DOUBLE PRECISION) / 1000000 AS d"
        " FROM ("
        f"SELECT DISTINCT delivery_id, event, {ts}, {position} AS pos FROM {table}"
        f" WHERE delivery_id IS NOT NULL AND delivery_id <> '' AND event IS NOT NULL AND {ts} IS NOT NULL{bound}"
        ") steps"
        ") pairs"
        " WHERE a IS NOT NULL"
        " GROUP BY a, b"
    )
    return sql, params


def from_rows(rows: Sequence[Sequence[Any]], min_samples: int = DEFAULT_MIN_SAMPLES) -> Baseline:
    """``(a, b, n, p50, p95, p99)`` rows as a ``Baseline`` (percentiles rounded to the millisecond)."""
    return Baseline(
        (Transition(str(a), str(b), int(n), float(p50), float(p95), float(p99)) for a, b, n, p50, p95, p99 in rows), min_samples
    )


def rebuild(con: Any) -> int:
    """Recompute the store's baseline (one statement) and replace the kept one, in one transaction.
    Returns the number of transitions."""
    from ..duckdb_engine import transaction

    try:
        with transaction(con):
            compute(con)
            return install(con)
    finally:
        drop(con)


RESULT = "coco_baseline"  # the temporary table ``compute`` fills and ``install`` copies


def compute(con: Any) -> bool:
    """The baseline of the store ``con`` reads (it may be attached read-only) into the temporary ``RESULT``."""
    sql, params = transitions_sql("events", "ts", "?")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {RESULT} AS {sql}", params)
    return True


def install(con: Any) -> int:
    """The kept baseline replaced by ``compute``'s result, in the caller's transaction; the number of
    transitions."""
    columns = ", ".join(COLUMNS)
    con.execute(CREATE)
    con.execute(f"DELETE FROM {TABLE}")
    con.execute(f"INSERT INTO {TABLE} ({columns}) SELECT {columns} FROM temp.main.{RESULT}")
    (count,) = con.execute(f"SELECT count(*) FROM {TABLE}").fetchone()
    return int(count)


def drop(con: Any) -> None:
    """The temporary table of ``compute`` gone."""
    from ..duckdb_engine import drop_temp

    drop_temp(con, [RESULT])


def read(con: Any) -> Optional[Baseline]:
    """The kept baseline, or ``None`` when the store has none (built by a coco before findings)."""
    from ..duckdb_engine import duckdb

    try:  # asked directly: a catalog lookup first costs more than the read itself (~10 ms cold)
        rows = con.execute(f"SELECT {', '.join(COLUMNS)} FROM {TABLE}").fetchall()
    except duckdb.CatalogException:
        return None
    return from_rows(rows)
