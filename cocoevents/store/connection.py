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
from ..duckdb_engine import CONNECTION_CONFIG, SESSION, duckdb, one_row
from ..errors import CocoError, SourceUnavailable, StoreBusy, UsageError
from ..textsafe import for_terminal
from . import checked
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
    # "failed to pin block": a commit that needed more memory than the limit (a transaction of huge records)
    if isinstance(e, (duckdb.OutOfMemoryException, MemoryError)) or "out of memory" in low or "failed to pin block" in low:
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


def make_room(path: Path) -> bool:
    """Before a writer opens ``path``: its folder exists. Whether the store is new (coco creates its file now;
    ``forget_created`` removes it if the creation fails)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise SourceUnavailable(
            f"cannot create the store folder {for_terminal(archive.path_text(path.parent))} "
            f"({e.strerror}): use --store PATH or set XDG_DATA_HOME"
        ) from e
    return not os.path.lexists(path)


def forget_created(path: Path) -> None:
    """Remove the store file (and its WAL) this run created, after its creation failed (disk full, ulimit -f):
    no empty or half-written file is left behind. Only ever called for a path that did not exist before."""
    for p in (path, path.with_name(path.name + ".wal")):
        try:
            p.unlink(missing_ok=True)
        except OSError:
            pass


def waiting_marker(path: Path) -> Path:
    """The file by which a process waiting for the store asks a running load to let go of it."""
    return path.with_name(path.name + ".waiting")


def loading_marker(path: Path) -> Path:
    """The file a load (or sync) keeps beside the store while it runs, holding its process id."""
    return path.with_name(path.name + ".loading")


def mark_loading(path: Path, running: bool) -> None:
    """Say a load into ``path`` starts (``running``) or ends (its own marker only); a folder coco cannot write
    is no reason to fail a load: readers then just cannot tell."""
    marker = loading_marker(path)
    try:
        if running:
            marker.write_text(str(os.getpid()))
        elif marker.read_text().strip() == str(os.getpid()):
            marker.unlink()
    except OSError:
        pass


def load_running(path: Path) -> int | None:
    """The process id of a load into ``path`` under way, or ``None`` (no marker, or its process is gone: a
    killed load's marker)."""
    try:
        pid = int(loading_marker(path).read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


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
    created = not read_only and make_room(path)
    limit = memory_limit()
    con = connection if read_only else None
    before = checked.identity(path) if read_only and con is None else None  # the file DuckDB is about to open
    try:
        if con is None:
            con = retrying(lambda: duckdb.connect(str(path), read_only=read_only, config=dict(CONNECTION_CONFIG)), path, wait)
        con.execute(SESSION)
        con.execute(f"SET memory_limit = '{limit}'")  # validated: a SET takes no parameters
        restrict_files(con)
        tables = prepare(con, path, read_only=read_only, before=before)
    except BaseException as e:
        if con is not None:
            con.close()
        if created:
            forget_created(path)
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


# What a crafted store file could carry that coco did not create: a macro shadowing a built-in (``epoch_us``
# rewrote every timestamp), a view over a file-reading function, a generated column, a table coco does not know.
# Read from the catalog of the current database (``store`` for a loader, which ATTACHes it) before any query
# touches the store. ``duckdb_functions()`` is most of the cost (~25 ms: it lists every built-in).
_FOREIGN = """
SELECT 'a macro ' || function_name FROM duckdb_functions() WHERE database_name = current_database() AND NOT internal
UNION ALL SELECT 'a view ' || view_name FROM duckdb_views() WHERE database_name = current_database() AND NOT internal
UNION ALL SELECT 'a table ' || table_name FROM duckdb_tables() WHERE database_name = current_database()
    AND (schema_name <> 'main' OR NOT list_contains($tables, table_name))
UNION ALL SELECT 'a computed column ' || table_name || '.' || column_name FROM duckdb_columns()
    WHERE database_name = current_database() AND (is_generated OR column_default IS NOT NULL
    AND column_default <> 'nextval(''event_seq'')')
UNION ALL SELECT 'a sequence ' || sequence_name FROM duckdb_sequences() WHERE database_name = current_database()
    AND NOT list_contains($sequences, sequence_name)
UNION ALL SELECT 'a type ' || type_name FROM duckdb_types() WHERE database_name = current_database() AND NOT internal
UNION ALL SELECT 'a schema ' || schema_name FROM duckdb_schemas() WHERE database_name = current_database()
    AND NOT internal AND schema_name <> 'main'
"""


def foreign_objects(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The objects of the current database that no coco created (``schema.KNOWN_TABLES``...), as "a macro NAME"."""
    found = con.execute(_FOREIGN, {"tables": sorted(sql.KNOWN_TABLES), "sequences": sorted(sql.KNOWN_SEQUENCES)}).fetchall()
    return sorted(r[0] for r in found)


_CHECKED_AHEAD: dict[int, list[str]] = {}


def checked_objects(con: duckdb.DuckDBPyConnection, path: Path | str, before: checked.Identity | None) -> list[str]:
    """``foreign_objects`` of a read-only connection to ``path`` opened after its identity was ``before``; ``[]``
    without reading the catalog when an earlier reader found that very file clean (``store.checked``)."""
    if before is None:
        return foreign_objects(con)
    if checked.known_clean(before, checked.identity(path)):
        return []
    found = foreign_objects(con)
    if not found:
        checked.remember_clean(before, checked.identity(path))
    return found


def check_ahead(con: duckdb.DuckDBPyConnection, path: Path | str | None = None, before: checked.Identity | None = None) -> None:
    """``checked_objects`` of a connection the ``coco`` script opened ahead, worked out in its thread (a catalog
    read costs 50-100 ms, most of it ``duckdb_functions()``) while the command line imports; ``refuse_foreign``
    takes the answer once instead of reading the catalog again."""
    _CHECKED_AHEAD[id(con)] = foreign_objects(con) if path is None else checked_objects(con, path, before)


def refuse_foreign(con: duckdb.DuckDBPyConnection, path: Path, before: checked.Identity | None = None) -> None:
    """``SourceUnavailable`` for a store carrying objects coco did not create: nothing of it is read or run.
    ``before``: the identity of a store opened read-only, taken before it was opened (``checked_objects``)."""
    found = _CHECKED_AHEAD.pop(id(con), None)
    if found is None:
        found = checked_objects(con, path, before)
    if found:
        more = f" and {len(found) - 1} more object(s)" if len(found) > 1 else ""
        raise SourceUnavailable(
            f"the store {shown_path(path)} holds {for_terminal(found[0])}{more} that coco did not create: coco does not "
            "use a store someone else changed (it could run its own SQL); load the archive into a new --store"
        )


def restrict_files(con: duckdb.DuckDBPyConnection) -> None:
    """No file outside the store (and DuckDB's spill folder) can be read or written through ``con`` from now on:
    ``read_text``, ``read_csv``, ``ATTACH``... of anything else fail. For store connections, which never read the
    archive (the loader's in-memory connection does) and keep nothing beside the store (the error index is a table
    in it, schema 8)."""
    (spill, external) = con.execute("SELECT current_setting('temp_directory'), current_setting('enable_external_access')").fetchone()  # type: ignore[misc]
    if not external:  # another connection of this process to the same store restricted its database already
        return
    folders = [os.path.join(spill, "")] if spill else []
    con.execute("SET allowed_directories = $d", {"d": folders})
    con.execute("SET enable_external_access = false")


def prepare(con: duckdb.DuckDBPyConnection, path: Path, *, read_only: bool, before: checked.Identity | None = None) -> frozenset[str]:
    """Check the store's kind, objects (``refuse_foreign``; ``before``: a reader's store identity before it
    opened it) and version; create it when empty, migrate it when older (writers only). The tables it found
    (before any migration)."""
    refuse_foreign(con, path, before if read_only else None)
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
        count, latest, _ = one_row(
            con,
            "SELECT count(*), epoch_us(max(ts)), sum(length(event) + length(record) + length(delivery_id) "
            "+ length(robot_id) + length(pilot_id) + length(demand_id) + length(offer_id) + file_id) FROM events",
        )
        con.execute("SELECT count(*), sum(length(path) + length(sha256) + events) FROM files").fetchone()
    except duckdb.Error as e:
        better = environment_error(e, path)
        if better is None:
            better = SourceUnavailable(
                f"the store {shown_path(path)} is damaged ({for_terminal(first_line(e))}): move it away and load the archive again"
            )
        raise better from e
    return int(count), latest
