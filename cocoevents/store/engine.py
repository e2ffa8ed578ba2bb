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

try:
    import _duckdb as duckdb
except ImportError:  # pragma: no cover - a DuckDB package without the separate C extension module
    import duckdb  # type: ignore[no-redef]

__all__ = ["duckdb"]
