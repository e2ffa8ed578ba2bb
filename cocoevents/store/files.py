"""The files a store holds (``coco store files``) and the one statement set that takes a file's rows out of
every table (used by a load that replaces a changed file and by ``coco store remove``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..duckdb_engine import duckdb
from . import schema as sql
from .connection import connect


def delete_files(con: duckdb.DuckDBPyConnection, ids: list[int]) -> None:
    """The files' rows out of every table, in the caller's transaction; the kept statuses out of date."""
    for statement in sql.FILES_DELETE:
        con.execute(statement, {"ids": ids})
    con.execute(sql.STATUSES_INVALIDATE)


@dataclass
class LoadedFile:
    path: str
    sha256: str
    first: str | None  # ISO 8601 UTC of the file's first and last usable event time
    last: str | None
    events: int
    bad_lines: int
    damage: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "sha256": self.sha256,
            "first": self.first,
            "last": self.last,
            "events": self.events,
            "bad_lines": self.bad_lines,
            "damage": self.damage,
        }


def _iso(us: int | None) -> str | None:
    from ..timestamps import format_ts

    return format_ts(us)


def loaded_files(path: Path) -> list[LoadedFile]:
    """The files in the store, by path (a store of schema 1 has its time ranges computed here)."""
    con = connect(path, read_only=True)
    try:
        columns = {
            r[0]
            for r in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = 'files' AND database_name = current_database()"
            ).fetchall()
        }
        ranged = "first_ts" in columns
        rows = con.execute(
            "SELECT f.path, f.sha256, epoch_us("
            + ("f.first_ts" if ranged else "r.lo")
            + "), epoch_us("
            + ("f.last_ts" if ranged else "r.hi")
            + "), f.events, f.bad_lines, f.damage FROM files AS f"
            + (
                ""
                if ranged
                else " LEFT JOIN (SELECT file_id, min(ts) AS lo, max(ts) AS hi FROM events GROUP BY file_id) AS r USING (file_id)"
            )
            + " ORDER BY f.path, f.file_id"
        ).fetchall()
    finally:
        con.close()
    return [LoadedFile(p, s, _iso(lo), _iso(hi), n, b, d) for p, s, lo, hi, n, b, d in rows]
