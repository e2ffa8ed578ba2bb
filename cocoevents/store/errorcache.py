"""The error rows of a local store, cached beside it, so ``coco errors`` reads thousands of rows, not every record.

Which rows are errors (timeline rules §4) depends on the record (an ``error`` field, a ``level``), and reading
every record of a day means decompressing all of them (seconds for a million events). This cache keeps,
per loaded file, the rows that may be errors - the same superset ``LocalSource.error_events`` would scan
for: an error name, or a record mentioning ``"error"``, ``"fatal"`` or ``"critical"`` in any case - in a
small DuckDB file under ``$XDG_CACHE_HOME/coco/`` (never next to the store, which may be read-only).

It is kept by the readers, incrementally and by file: the store's ``files`` table says which files are
loaded (a file's rows are committed with its ``files`` row, in one transaction), so each read indexes the
rows of files it has not seen (the zone maps of ``file_id`` keep that to the new rows) and drops the rows of
files that are gone (a damaged file replaced). When the cache cannot be written (another process holds it,
no cache folder), the caller scans the store instead: same rows, more time.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Optional

from ..duckdb_engine import duckdb
from .config import cache_folder

PREDICATE = (
    "(event LIKE '%.failed' OR event = 'robot.grounded' OR record ILIKE '%\"error\"%' "
    "OR record ILIKE '%\"fatal\"%' OR record ILIKE '%\"critical\"%')"
)
VERSION = "1"


def cache_path(store: Path) -> Path:
    digest = hashlib.sha256(str(store.resolve()).encode()).hexdigest()[:20]
    return cache_folder() / f"errors-{digest}.duckdb"


def attach(con: duckdb.DuckDBPyConnection, store: Path) -> Optional[str]:
    """Attach the store's cache to ``con`` and bring it up to date; its schema name, or ``None`` when the
    cache cannot be used (the caller then scans the store)."""
    path = cache_path(store)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        con.execute("ATTACH ? AS coco_errors (READ_WRITE)", [str(path)])
    except (OSError, duckdb.Error):
        return None
    try:
        _refresh(con)
    except duckdb.Error:
        detach(con)
        return None
    return "coco_errors"


def detach(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("DETACH coco_errors")
    except duckdb.Error:
        pass


def _refresh(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE IF NOT EXISTS coco_errors.meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute("CREATE TABLE IF NOT EXISTS coco_errors.indexed (file_id BIGINT, sha256 VARCHAR)")
    con.execute("CREATE TABLE IF NOT EXISTS coco_errors.rows (file_id BIGINT, ts TIMESTAMP, record VARCHAR)")
    version = con.execute("SELECT value FROM coco_errors.meta WHERE key = 'version'").fetchone()
    if version is None or version[0] != VERSION:
        con.execute("BEGIN TRANSACTION")
        con.execute("DELETE FROM coco_errors.rows")
        con.execute("DELETE FROM coco_errors.indexed")
        con.execute("INSERT OR REPLACE INTO coco_errors.meta VALUES ('version', ?)", [VERSION])
        con.execute("COMMIT")
    loaded = {(int(f), s) for f, s in con.execute("SELECT file_id, sha256 FROM files").fetchall()}
    indexed = {(int(f), s) for f, s in con.execute("SELECT file_id, sha256 FROM coco_errors.indexed").fetchall()}
    gone = sorted(f for f, _ in indexed - loaded)
    new = sorted(loaded - indexed)
    if not gone and not new:
        return
    con.execute("BEGIN TRANSACTION")
    try:
        if gone:
            con.execute("DELETE FROM coco_errors.rows WHERE file_id IN (SELECT unnest(?::BIGINT[]))", [gone])
            con.execute("DELETE FROM coco_errors.indexed WHERE file_id IN (SELECT unnest(?::BIGINT[]))", [gone])
        if new:
            ids = [f for f, _ in new]
            con.execute(
                f"INSERT INTO coco_errors.rows SELECT file_id, ts, record FROM events "
                f"WHERE file_id BETWEEN ? AND ? AND file_id IN (SELECT unnest(?::BIGINT[])) AND {PREDICATE}",
                [min(ids), max(ids), ids],
            )
            con.executemany("INSERT INTO coco_errors.indexed VALUES (?, ?)", [list(x) for x in new])
        con.execute("COMMIT")
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            pass
        raise


def rows(con: duckdb.DuckDBPyConnection, schema: str, since: Any, until: Any) -> list[tuple[Any, ...]]:
    """``(ts_us, record)`` of the cached rows in the range, records made readable as ``fetch_rows`` does."""
    from .rows import LENIENT_SQL, readable

    found = con.execute(
        f"SELECT epoch_us(ts), record, regexp_matches(record, '{LENIENT_SQL}') FROM {schema}.rows WHERE ts BETWEEN ? AND ?", [since, until]
    ).fetchall()
    return [(ts, readable(con, record, hint)) for ts, record, hint in found]
