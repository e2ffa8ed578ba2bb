"""The fleet baseline (findings rules §3) kept in the local store.

The computation is ``core.baseline``'s: ``compute`` in Python, ``transitions_sql`` the one ``SELECT`` DuckDB and
Redshift (``warehouse.ddl``) both run.

Local store: the result is kept in the table ``fleet_baseline`` of the store, rebuilt in one transaction by
``rebuild`` (``coco baseline --rebuild``) or, after a ``coco load`` or sync that added or replaced files,
``compute``d with the store attached read-only and ``install``ed in one short transaction
(``store.loader.Loader``; the statuses' scheme, ``store.statuses``). ``read``
returns it as a ``core.baseline.Baseline`` (``None`` when the store has never built one).
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from ..core.baseline import COLUMNS, Baseline, from_rows, transitions_sql

TABLE = "fleet_baseline"
# DuckDB: the store's ``events`` table keeps an event's time in ``ts``.
CREATE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    a VARCHAR NOT NULL, b VARCHAR NOT NULL, n BIGINT NOT NULL,
    p50 DOUBLE NOT NULL, p95 DOUBLE NOT NULL, p99 DOUBLE NOT NULL
)"""


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


def install_steps(con: Any) -> list[Callable[[Any], Any]]:
    """``install`` as the steps of a detached rebuild (``store.loader.Loader._rebuild_detached``), one transaction
    each: the fleet baseline are small enough for one."""
    return [install]


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
