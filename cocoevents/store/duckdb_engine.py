"""DuckDB's engine, taken from its C extension.

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

__all__ = ["drop_temp", "duckdb", "transaction"]


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


def drop_temp(con: Any, names: list[str]) -> None:
    """Temporary tables gone, quietly (after an error, some were never made)."""
    for name in names:
        try:
            con.execute(f"DROP TABLE IF EXISTS temp.main.{name}")
        except Exception:
            pass
