"""What a store file says of itself, read by a connection of the test's own (opened read-only, then closed)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import duckdb


def schema_of(store: Path) -> Optional[str]:
    """The store's schema version as its ``meta`` table holds it (``None`` without one)."""
    con = duckdb.connect(str(store), read_only=True)
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    finally:
        con.close()
    return None if row is None else str(row[0])


def cached_besides_check(cache: Path) -> list[Path]:
    """The files under the cache folder ``cache`` other than the memos of stores a reader found clean
    (``coco/checked/``, ``store.checked``): what a command kept of its answers."""
    written = [p.relative_to(cache) for p in cache.rglob("*") if p.is_file()] if cache.exists() else []
    return [p for p in written if p.parts[:2] != ("coco", "checked")]
