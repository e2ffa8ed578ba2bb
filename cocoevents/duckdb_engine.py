"""DuckDB's engine, taken from its C extension, and the one configuration of every connection coco opens.

``import duckdb`` costs about 100 ms on the benchmark machine, a third of the ``coco timeline`` budget: the
package's Python layer builds its relational and expression APIs and asks ``importlib.metadata`` for its
own version string at import. coco uses none of it - only ``connect``, the connection and cursor, and the
exception classes, all of which live in the C extension ``_duckdb`` that the package re-exports as they are
(``duckdb.connect is _duckdb.connect``; the same classes, so ``except`` clauses match either name). That
module imports in about 15 ms. ``duckdb`` stays the dependency (it ships ``_duckdb``); when a DuckDB build
has no separate ``_duckdb`` module, the package is imported instead and nothing else changes.
``tests/test_imports.py`` holds the two equal.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

try:
    import _duckdb as duckdb
except ImportError:  # pragma: no cover - a DuckDB package without the separate C extension module
    import duckdb  # type: ignore[no-redef]

__all__ = ["CONNECTION_CONFIG", "SESSION", "drop_temp", "duckdb", "memory_connection", "one_row", "transaction"]

# Every connection coco opens: DuckDB never downloads or loads an extension by itself (a ``md:`` path or a
# SQLite file would otherwise fetch one). A second connection to a file in one process must use the same.
CONNECTION_CONFIG = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}
# Every session: times in UTC, and no progress bar (it would land on stdout, in the middle of ``--json`` output).
SESSION = "SET TimeZone = 'UTC'; SET enable_progress_bar = false; SET enable_progress_bar_print = false"


def memory_connection() -> Any:
    """An in-memory DuckDB configured as every coco connection is."""
    con = duckdb.connect(":memory:", config=dict(CONNECTION_CONFIG))
    con.execute(SESSION)
    return con


@contextmanager
def transaction(con: Any) -> Iterator[Any]:
    """One transaction on ``con``: committed when the block ends (also by ``return``), rolled back when it raises
    (a failed rollback adds nothing to the error being raised)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except Exception:
            pass
        raise
    con.execute("COMMIT")


def one_row(con: Any, sql: str, params: Any = None) -> tuple[Any, ...]:
    """The row of a query that always answers exactly one (an aggregate without ``GROUP BY``)."""
    row = con.execute(sql, params).fetchone()
    assert row is not None, sql
    return tuple(row)


def drop_temp(con: Any, names: list[str]) -> None:
    """Temporary tables gone, quietly (after an error, some were never made)."""
    for name in names:
        try:
            con.execute(f"DROP TABLE IF EXISTS temp.main.{name}")
        except Exception:
            pass
