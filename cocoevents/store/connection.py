"""Opening the store: checks, waits and one-line errors.

A store is a plain DuckDB file holding a coco schema (``store.schema``). ``open_store`` refuses anything else
(in-memory or remote databases, folders, foreign DuckDB files, a newer schema) before writing to it, migrates an
older store when it opens it for writing, and waits up to ``COCO_WAIT`` for a running load to let go (a load
looks for the ``<store>.waiting`` marker after each batch). ``environment_error`` turns a failure of the machine
or of the file (disk full, read-only, damaged, out of memory, busy) into one ``CocoError`` line.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Callable

from ..archive import lines as archive
from ..duckdb_engine import CONNECTION_CONFIG, SESSION, duckdb
from ..errors import CocoError, SourceUnavailable, StoreBusy, UsageError
from ..textsafe import for_terminal
from . import schema as sql
from .config import MEMORY_LIMIT, check_store_path, memory_limit, read_wait, stores_besides


def first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def is_lock_error(e: BaseException) -> bool:
    text = str(e)
    return "lock" in text.lower() and ("Conflicting" in text or "Could not set lock" in text)


_DAMAGED = (
    "corrupt",
    "checksum",
    "could not read enough bytes",
    "truncated",
    "failed to read",
    "serializ",
    "invalid block",
    "database file with version",
)
_NOT_DUCKDB = ("not a valid duckdb database", "not a duckdb database", "sqlite")


def environment_error(e: BaseException, path: Path | None = None) -> CocoError | None:
    """The one-line ``CocoError`` for a failure of the machine or the store file rather than of coco
    (disk full, read-only or missing folder, damaged or foreign file, out of memory); else ``None``."""
    where = f"the store {for_terminal(archive.path_text(path))}" if path is not None else "the store"
    text = str(e)
    low = text.lower()
    if isinstance(e, CocoError):
        return e
    if is_lock_error(e):
        return StoreBusy(
            f"{where} is busy: another coco process is writing to it; try again when it ends (or wait longer: --wait / COCO_WAIT)"
        )
    if isinstance(e, duckdb.OutOfMemoryException) or isinstance(e, MemoryError) or "out of memory" in low:
        limit = os.environ.get("COCO_MEMORY_LIMIT", "").strip()
        message = f"out of memory (COCO_MEMORY_LIMIT={limit or MEMORY_LIMIT}): set a larger COCO_MEMORY_LIMIT, e.g. COCO_MEMORY_LIMIT=2GB"
        return UsageError(message) if limit else SourceUnavailable(message)
    if "no space left" in low or getattr(e, "errno", None) == 28:
        return SourceUnavailable(
            f"no space left on device writing {where}: free some space and run the load "
            "again (files already committed stay loaded, the unfinished batch left nothing)"
        )
    if "file too large" in low or getattr(e, "errno", None) == 27:
        return SourceUnavailable(f"cannot write {where}: file too large for this file system or ulimit -f")
    if any(k in low for k in ("read-only file system", "permission denied", "cannot open file")) or getattr(e, "errno", None) in (
        1,
        13,
        30,
    ):
        return SourceUnavailable(f"cannot write {where}: {for_terminal(first_line(e))}")
    if isinstance(e, duckdb.Error) and any(k in low for k in _NOT_DUCKDB):
        return SourceUnavailable(
            f"{where} is not a DuckDB database (or its header is damaged): choose another "
            "--store, or move the file away and load the archive again"
        )
    if isinstance(e, duckdb.Error) and any(k in low for k in _DAMAGED):
        return SourceUnavailable(f"{where} is damaged ({for_terminal(first_line(e))}): move it away and load the archive again")
    if isinstance(e, duckdb.IOException):
        return SourceUnavailable(f"cannot use {where}: {for_terminal(first_line(e))}")
    return None


def translate(e: BaseException, path: Path) -> BaseException:
    return environment_error(e, path) or e


def shown_path(path: Path) -> str:
    return for_terminal(archive.path_text(path))


def empty_leftover(path: Path) -> bool:
    """A zero-byte file (and no WAL holding anything): what a creation that failed (disk full) leaves."""
    try:
        if path.stat().st_size != 0:
            return False
    except OSError:
        return False
    wal = path.with_name(path.name + ".wal")
    return not wal.exists() or wal.stat().st_size == 0


def make_room(path: Path) -> None:
    """Before a writer opens ``path``: its folder exists, a zero-byte leftover is removed."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise SourceUnavailable(
            f"cannot create the store folder {for_terminal(archive.path_text(path.parent))} "
            f"({e.strerror}): use --store PATH or set XDG_DATA_HOME"
        ) from e
    if empty_leftover(path):
        try:
            path.unlink()
            path.with_name(path.name + ".wal").unlink(missing_ok=True)
        except OSError as e:
            raise SourceUnavailable(f"cannot replace the empty file {for_terminal(archive.path_text(path))} ({e.strerror})") from e


def waiting_marker(path: Path) -> Path:
    """The file by which a process waiting for the store asks a running load to let go of it."""
    return path.with_name(path.name + ".waiting")


def retrying(open_: Callable[[], Any], path: Path, wait: float) -> Any:
    deadline = time.monotonic() + wait
    asked = False
    while True:
        try:
            return open_()
        except (duckdb.Error, OSError) as e:
            if is_lock_error(e) and not asked and wait > 0:
                asked = True
                try:
                    waiting_marker(path).touch()
                except OSError:
                    pass  # a read-only folder: the load lets go at its end
            if not is_lock_error(e) or time.monotonic() >= deadline:
                better = translate(e, path)
                if better is e:
                    raise
                raise better from e
            time.sleep(0.1)


def connect(path: Path, *, read_only: bool, wait: float | None = None) -> duckdb.DuckDBPyConnection:
    """Open the store; ``StoreBusy`` if another process holds it past ``wait`` seconds
    (readers: ``COCO_WAIT``, 10 s by default; writers: none)."""
    return open_store(path, read_only=read_only, wait=wait)[0]


def open_store(
    path: Path, *, read_only: bool, wait: float | None = None, connection: Any = None
) -> tuple[duckdb.DuckDBPyConnection, frozenset[str]]:
    """``connect``, with the tables the store had when it was opened (a reader asks which it can use: an older
    store is read as it is), from the one catalog read that checked the store. ``connection``: a read-only
    connection to ``path`` already opened with ``CONNECTION_CONFIG`` (the ``coco`` script opens one ahead),
    checked and used instead of a new one."""
    path = check_store_path(path)
    shown = for_terminal(archive.path_text(path))
    if wait is None:
        wait = read_wait() if read_only else 0.0
    if read_only and not path.exists():
        others = stores_besides(path)
        elsewhere = f"; stores here: {', '.join(for_terminal(str(p)) for p in others)} (--store PATH reads one)" if others else ""
        raise SourceUnavailable(f"no store at {shown}: run 'coco load PATH' or 'coco demo' first{elsewhere}")
    if read_only and empty_leftover(path):
        raise SourceUnavailable(f"no store at {shown} (an empty file a failed creation left; 'coco load PATH' replaces it)")
    if not read_only:
        make_room(path)
    limit = memory_limit()
    con = connection if read_only else None
    if con is None:
        con = retrying(lambda: duckdb.connect(str(path), read_only=read_only, config=dict(CONNECTION_CONFIG)), path, wait)
    try:
        con.execute(SESSION)
        con.execute(f"SET memory_limit = '{limit}'")  # validated: a SET takes no parameters
        tables = prepare(con, path, read_only=read_only)
    except BaseException as e:
        con.close()
        better = translate(e, path)
        if better is e:
            raise
        raise better from e
    return con, tables


def store_tables(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    return frozenset(
        r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()").fetchall()
    )


def schema_version(con: duckdb.DuckDBPyConnection, path: Path, tables: frozenset[str] | None = None) -> int | None:
    """The store's schema version; ``None`` for an empty database. A database that has tables
    but is not a coco store is refused before anything is written to it."""
    tables = store_tables(con) if tables is None else tables
    if not tables:
        return None
    row = None
    if "meta" in tables and "events" in tables and "files" in tables:
        row = con.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    if row is None:
        raise SourceUnavailable(
            f"{shown_path(path)} is a DuckDB database but not a coco store: coco leaves it alone; choose another --store"
        )
    try:
        return int(row[0])
    except (TypeError, ValueError):
        return sql.SCHEMA_VERSION + 1  # not a version this coco knows: treated as newer


def prepare(con: duckdb.DuckDBPyConnection, path: Path, *, read_only: bool) -> frozenset[str]:
    """Check the store's kind and version; create it when empty, migrate it when older (writers only).
    The tables it found (before any migration)."""
    if read_only:  # a reader of a current store: one small read, not the catalog's (~5 ms cold)
        try:
            row = con.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        except duckdb.CatalogException:
            row = None
        if row is not None and row[0] == str(sql.SCHEMA_VERSION):
            return sql.TABLES
    tables = store_tables(con)
    version = schema_version(con, path, tables)
    if version is not None and version > sql.SCHEMA_VERSION:
        raise SourceUnavailable(
            f"store {shown_path(path)} was written by a newer coco (store schema {version}, this coco reads up to "
            f"{sql.SCHEMA_VERSION}): upgrade coco (pip install -U cocoevents) or choose another --store"
        )
    if read_only:
        if version is None:
            raise SourceUnavailable(f"{shown_path(path)} is an empty database, not a coco store: run 'coco load PATH' first")
        return tables  # an older store reads as it is (the events table has not changed); writers migrate it
    if version is not None and version < sql.SCHEMA_VERSION:
        con.execute("BEGIN TRANSACTION")
        try:
            for step in range(version, sql.SCHEMA_VERSION):
                con.execute(sql.MIGRATIONS[step])
            con.execute("UPDATE meta SET value = ? WHERE key = 'schema'", [str(sql.SCHEMA_VERSION)])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    con.execute(sql.SCHEMA)
    return tables


def verify(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[int, int | None]:
    """Read every stored value once (DuckDB checks each block's checksum as it reads it), for ``coco
    doctor``: the events and the latest time, or ``SourceUnavailable`` saying the store is damaged.
    Counts alone would come from metadata and say "ok" about a store cut in half."""
    try:
        count, latest, _ = con.execute(
            "SELECT count(*), epoch_us(max(ts)), sum(length(event) + length(record) + length(delivery_id) "
            "+ length(robot_id) + length(pilot_id) + length(demand_id) + length(offer_id) + file_id) FROM events"
        ).fetchone()  # type: ignore[misc]
        con.execute("SELECT count(*), sum(length(path) + length(sha256) + events) FROM files").fetchone()
    except duckdb.Error as e:
        better = environment_error(e, path)
        if better is None:
            better = SourceUnavailable(
                f"the store {shown_path(path)} is damaged ({for_terminal(first_line(e))}): move it away and load the archive again"
            )
        raise better from e
    return int(count), latest
