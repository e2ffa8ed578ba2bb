"""The local store: one DuckDB file of events, and ``coco load`` into it.

Storage design. ``events`` keeps the event name, the UTC timestamp (NULL when
unusable: such events are kept, spec section 1), the five ids as columns, the
whole record as JSON text (zstd-compressed), the id of the file it came from
and ``seq``, the row's own number (from a sequence: DuckDB's rowids may change
when a checkpoint compacts deleted rows). ``keys`` finds rows by id: one row
``(id, kind, seq)`` per id an event carries, written with each load batch
sorted by id, so each batch's ids lie in a few row groups whose min/max (zone
maps) a lookup checks before reading anything; readers ask ``keys`` for the
``seq`` of an id, then read those rows (``sources.local``). ``files`` keeps one row per loaded archive file - its path,
the SHA-256 of its bytes, its events, bad lines, damage and time range - so a
file loaded twice, under any name, adds nothing, and a file that changed under
a path already loaded replaces the old version's events. ``meta`` holds the
schema version: a store of a newer coco is refused, an older one is migrated
by the next writer (``sql.MIGRATIONS``). A DuckDB file that is not a coco store
is refused before anything is written to it. Only plain file paths are
stores: ``:memory:``, ``md:``/``motherduck:`` and other ``scheme:`` paths are
usage errors, and no connection may install or load a DuckDB extension.

Loading guarantees. Files load in batches; every file is in exactly one
transaction, so an interrupted load (even SIGKILL: DuckDB replays its WAL of
committed transactions) leaves only whole files. Parsing runs in DuckDB with
the one SQL line classifier (``store.sql``): DuckDB's CSV reader splits the
lines of a batch (gzip or plain, told by magic bytes; zstd files go through
the line reader, as DuckDB's zstd reader ends a truncated file silently). When it cannot
read a batch, the file its error names (else half the batch, recursively) is
set aside and read by ``archive.LineReader``, which keeps every complete line
of a damaged file and reports the damage; the rest of the batch stays on the
fast path. Bad lines are counted per file, never fatal. Other compressions
(bzip2, xz, gzip inside gzip...) are reported as unsupported and not loaded.

Why ``keys`` and not indexes (issue 15, schema 4). Up to schema 2 the five id
columns had ART indexes. An ART lives in memory while it is written and is
loaded by a reader's lookup, so both grow with the store: a load of a 10M-event
day ran out of the 512 MB memory limit at ~5M events, and a timeline of a 10M
store peaked at 262 MiB. ``keys`` costs the load ~10% (writing and sorting a
batch's ids - small rows, not records - and, at the end of a load of several
batches, rewriting its keys as one sorted run, an id range per transaction)
and the store 10-20% of its size. A lookup of one id reads one row group per
sorted run (one per load) whose zone maps hold the id: ~2 ms on a 10M-event
day, where the per-batch runs alone took 15-30 ms. Memory no longer grows with
the store: a load holds one batch, a reader what it reads. Trade-offs: the
events of an id are then found by ``seq`` (a semi-join that reads the ``seq``
column between the first and last match, ~4 ms per million events it spans),
so a delivery (rows within an hour) costs nearly the same at 1M and 10M, but a robot's
or pilot's day (rows spread over the day) grows with the size of that day;
and the records are not clustered by id, so each fetched row decompresses one
zstd vector (~0.5 ms). A store of many days keeps each day's rows together
(files arrive in time order), and the ``ts`` zone maps skip the other days.
Without indexes DuckDB may compact deleted rows at a checkpoint and renumber
rowids; ``seq`` is the stable key ``keys`` holds, ``rowid`` is used only within
one read. The loader numbers rows itself (schema 5): a batch's rows get one
more than the store's largest ``seq`` plus their rowid in the staging table,
read and written in one transaction. Up to schema 4 ``seq`` was a sequence
default, and DuckDB inserts into a table with a sequence default on one
thread: parsing in the staging table and numbering there made a load use
both cores (1M events: 12.3 s -> 9.6-10.3 s; measured in issue 15).
Two small tables (schema 5) answer "what is the status of these deliveries"
(spec section 6; a robot's table header, ``coco deliveries``) without the
deliveries' rows: ``links`` holds each file's distinct (delivery, demand,
offer) id triples and ``outcomes`` its timed outcome rows, written from the
staging table with the batch. Reading a robot's day's deliveries' closures
from ``events`` touched most of the day's row groups (~0.25 s at 10M events);
the tables make it a few reads of a few milliseconds. A file's rows leave
every table in one transaction (``sql.FILES_DELETE``). Cold, those few reads
still touched half of ``links``' row groups each (~0.2 s for a robot's day at
10M events: ~20 deliveries spread over the day, and string zone maps compare
8-byte prefixes), so schema 6 keeps every delivery's status in ``statuses``,
recomputed in SQL at the end of each load, sync or removal that changed files
(~3 s at 10M events) and used only while current (``store.statuses``).
Schema 6 also gives a pilot assignment's robot and pilot ids a second key
(``robot_assignment``, ``pilot_assignment``): a robot's or pilot's 12-hour
assignment lookback reads those few rows instead of every row of the id over
twelve hours (``sql.ASSIGNMENT_KINDS``).

Concurrency. DuckDB lets one process at a time open a file for writing, and
no reader while it does (readers share); closing (DETACH) checkpoints. A load works in its own in-memory DuckDB and
ATTACHes the store to write. Each batch is parsed into a temporary staging
table of that in-memory DuckDB, then copied into the store in one short
transaction: re-check which files are there (another load may have added
them), replace changed files, copy the staged rows and their keys, commit.
While nobody waits for the store it stays attached between batches (no
checkpoint per batch). A process that finds the
store locked - ``coco timeline``, ``coco store``, a second load - leaves a
marker file (``<store>.waiting``) and retries for its wait (readers:
``COCO_WAIT``, 10 s by default; loads: ``--wait``). After each commit the load
looks for the marker; if someone waits it DETACHes and parses the next batch
without the store open. So a reader waits at most for one batch's copy.
At the end, files with bad lines are reread for examples with the store let
go, and the derived tables that read the whole store (the kept statuses, the
fleet baseline) are, from a million events on, worked out with it attached
read-only, so readers open it meanwhile, then installed in one short
transaction if no file changed since (``Loader._rebuild_detached``). In a read-only folder no marker can
be left: readers then wait for the end of the load (or their wait).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Container, Iterator, Mapping, Optional, Sequence

from ..archive import lines as archive
from ..errors import CocoError, NotFound, SourceUnavailable, StoreBusy, UsageError
from ..textsafe import for_terminal
from . import ahead, schema as sql
from .duckdb_engine import duckdb

FAST_MAX_LINE = 8 * 1024 * 1024
# Large transactions let DuckDB write whole compressed row groups straight to the file; many small
# commits leave partial row groups that the checkpoint rewrites (measured: 256 MB batches made the 1M-event
# load ~1.5x slower and its file 70% larger than 512 MB ones). A batch is also the longest a reader waits.
# Counted in decompressed bytes (gzip/zstd: 8x the file size, so ~64 MiB of gzip); COCO_BATCH_MB changes it
# (tests use small batches to see several commits).
BATCH_MB = 512
BATCH_FILES = 512
MERGE_KEYS = 2_000_000  # keys rewritten per transaction at the end of a load (~1 s)
TEXT_CHUNK = 8 * 1024 * 1024
EXAMPLES = 5
MEMORY_LIMIT = "512MB"
READ_WAIT = 10.0
_MEMORY = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", re.I)
# DuckDB's reader expands these in a path: such files are read by the Python reader instead.
_GLOB_CHARS = frozenset("*?[]{}")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


def memory_limit() -> str:
    """``COCO_MEMORY_LIMIT`` (e.g. ``1GB``) or the default; anything else is a usage error."""
    value = os.environ.get("COCO_MEMORY_LIMIT", "").strip() or MEMORY_LIMIT
    if not _MEMORY.match(value):
        raise UsageError(f"COCO_MEMORY_LIMIT must be a size like 512MB or 2GB, not {value!r}")
    return value


def read_wait() -> float:
    """Seconds a reader waits for a running load to let go of the store: ``COCO_WAIT`` or 10."""
    value = os.environ.get("COCO_WAIT", "").strip()
    try:
        return float(value) if value else READ_WAIT
    except ValueError:
        raise UsageError(f"COCO_WAIT must be a number of seconds, not {value!r}") from None


def _data_home() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "coco"


def default_store_path() -> Path:
    """``--store`` / ``COCO_STORE`` / ``$XDG_DATA_HOME/coco/events.duckdb`` (spec section 9)."""
    env = os.environ.get("COCO_STORE")
    if env:
        return Path(env).expanduser()
    return _data_home() / "events.duckdb"


def demo_store_path() -> Path:
    """Where ``coco demo`` loads its sample day without ``--store``: a store of its own
    (``$XDG_DATA_HOME/coco/demo.duckdb``), so demo ids never mix into real timelines."""
    return _data_home() / "demo.duckdb"


def check_store_path(path: str | os.PathLike[str]) -> Path:
    """A store is a plain file: in-memory and remote databases (``:memory:``, ``md:``, ``s3://``...)
    are usage errors, so nothing is "loaded" into a database that vanishes or lives elsewhere."""
    text = os.fspath(path)
    if not text.strip() or text.startswith(":memory:") or _SCHEME.match(text):
        raise UsageError(f"the store must be a file path, not {for_terminal(archive.path_text(text))!r} "
                         "(in-memory and remote databases are not stores; for a file named so, write ./NAME)")
    p = Path(text)
    if p.is_dir():
        raise UsageError(f"the store {for_terminal(archive.path_text(text))} is a folder; name a file in it")
    return p


# -- what went wrong, in one line ----------------------------------------------------------------

def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def _is_lock_error(e: BaseException) -> bool:
    text = str(e)
    return "lock" in text.lower() and ("Conflicting" in text or "Could not set lock" in text)


_DAMAGED = ("corrupt", "checksum", "could not read enough bytes", "truncated", "failed to read",
            "serializ", "invalid block", "database file with version")
_NOT_DUCKDB = ("not a valid duckdb database", "not a duckdb database", "sqlite")


def environment_error(e: BaseException, path: Path | None = None) -> CocoError | None:
    """The one-line ``CocoError`` for a failure of the machine or the store file rather than of coco
    (disk full, read-only or missing folder, damaged or foreign file, out of memory); else ``None``."""
    where = f"the store {for_terminal(archive.path_text(path))}" if path is not None else "the store"
    text = str(e)
    low = text.lower()
    if isinstance(e, CocoError):
        return e
    if _is_lock_error(e):
        return StoreBusy(f"{where} is busy: another coco process is writing to it; try again when it ends "
                         "(or wait longer: --wait / COCO_WAIT)")
    if isinstance(e, duckdb.OutOfMemoryException) or isinstance(e, MemoryError) or "out of memory" in low:
        limit = os.environ.get("COCO_MEMORY_LIMIT", "").strip()
        message = (f"out of memory (COCO_MEMORY_LIMIT={limit or MEMORY_LIMIT}): set a larger COCO_MEMORY_LIMIT, "
                   "e.g. COCO_MEMORY_LIMIT=2GB")
        return UsageError(message) if limit else SourceUnavailable(message)
    if "no space left" in low or getattr(e, "errno", None) == 28:
        return SourceUnavailable(f"no space left on device writing {where}: free some space and run the load "
                                 "again (files already committed stay loaded, the unfinished batch left nothing)")
    if "file too large" in low or getattr(e, "errno", None) == 27:
        return SourceUnavailable(f"cannot write {where}: file too large for this file system or ulimit -f")
    if any(k in low for k in ("read-only file system", "permission denied", "cannot open file")) or \
            getattr(e, "errno", None) in (1, 13, 30):
        return SourceUnavailable(f"cannot write {where}: {for_terminal(_first_line(e))}")
    if isinstance(e, duckdb.Error) and any(k in low for k in _NOT_DUCKDB):
        return SourceUnavailable(f"{where} is not a DuckDB database (or its header is damaged): choose another "
                                 "--store, or move the file away and load the archive again")
    if isinstance(e, duckdb.Error) and any(k in low for k in _DAMAGED):
        return SourceUnavailable(f"{where} is damaged ({for_terminal(_first_line(e))}): move it away and load "
                                 "the archive again")
    if isinstance(e, duckdb.IOException):
        return SourceUnavailable(f"cannot use {where}: {for_terminal(_first_line(e))}")
    return None


def _translate(e: BaseException, path: Path) -> BaseException:
    return environment_error(e, path) or e


def _shown(path: Path) -> str:
    return for_terminal(archive.path_text(path))


# -- opening -------------------------------------------------------------------------------------

def _empty_leftover(path: Path) -> bool:
    """A zero-byte file (and no WAL holding anything): what a creation that failed (disk full) leaves."""
    try:
        if path.stat().st_size != 0:
            return False
    except OSError:
        return False
    wal = path.with_name(path.name + ".wal")
    return not wal.exists() or wal.stat().st_size == 0


def _make_room(path: Path) -> None:
    """Before a writer opens ``path``: its folder exists, a zero-byte leftover is removed."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise SourceUnavailable(f"cannot create the store folder {for_terminal(archive.path_text(path.parent))} "
                                f"({e.strerror}): use --store PATH or set XDG_DATA_HOME") from e
    if _empty_leftover(path):
        try:
            path.unlink()
            path.with_name(path.name + ".wal").unlink(missing_ok=True)
        except OSError as e:
            raise SourceUnavailable(f"cannot replace the empty file {for_terminal(archive.path_text(path))} "
                                    f"({e.strerror})") from e


def waiting_marker(path: Path) -> Path:
    """The file by which a process waiting for the store asks a running load to let go of it."""
    return path.with_name(path.name + ".waiting")


def _retrying(open_: Callable[[], Any], path: Path, wait: float) -> Any:
    deadline = time.monotonic() + wait
    asked = False
    while True:
        try:
            return open_()
        except (duckdb.Error, OSError) as e:
            if _is_lock_error(e) and not asked and wait > 0:
                asked = True
                try:
                    waiting_marker(path).touch()
                except OSError:
                    pass  # a read-only folder: the load lets go at its end
            if not _is_lock_error(e) or time.monotonic() >= deadline:
                better = _translate(e, path)
                if better is e:
                    raise
                raise better from e
            time.sleep(0.1)


def connect(path: Path, *, read_only: bool, wait: float | None = None) -> duckdb.DuckDBPyConnection:
    """Open the store; ``StoreBusy`` if another process holds it past ``wait`` seconds
    (readers: ``COCO_WAIT``, 10 s by default; writers: none)."""
    return open_store(path, read_only=read_only, wait=wait)[0]


def open_store(path: Path, *, read_only: bool,
               wait: float | None = None) -> tuple[duckdb.DuckDBPyConnection, frozenset[str]]:
    """``connect``, with the tables the store had when it was opened (a reader asks which it can use: an older
    store is read as it is), from the one catalog read that checked the store."""
    path = check_store_path(path)
    shown = for_terminal(archive.path_text(path))
    if wait is None:
        wait = read_wait() if read_only else 0.0
    if read_only and not path.exists():
        raise SourceUnavailable(f"no store at {shown}: run 'coco load PATH' or 'coco demo' first")
    if read_only and _empty_leftover(path):
        raise SourceUnavailable(f"no store at {shown} (an empty file a failed creation left; "
                                "'coco load PATH' replaces it)")
    if not read_only:
        _make_room(path)
    limit = memory_limit()
    con = ahead.take(str(path)) if read_only else None  # opened while the command was imported (``cli.run``)
    if con is None:
        con = _retrying(lambda: duckdb.connect(str(path), read_only=read_only, config=dict(sql.CONNECTION_CONFIG)),
                        path, wait)
    try:
        con.execute(sql.SESSION)
        con.execute(f"SET memory_limit = '{limit}'")  # validated: a SET takes no parameters
        tables = prepare(con, path, read_only=read_only)
    except BaseException as e:
        con.close()
        better = _translate(e, path)
        if better is e:
            raise
        raise better from e
    return con, tables


def _tables(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    return frozenset(r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()").fetchall())


def schema_version(con: duckdb.DuckDBPyConnection, path: Path, tables: frozenset[str] | None = None) -> int | None:
    """The store's schema version; ``None`` for an empty database. A database that has tables
    but is not a coco store is refused before anything is written to it."""
    tables = _tables(con) if tables is None else tables
    if not tables:
        return None
    row = None
    if "meta" in tables and "events" in tables and "files" in tables:
        row = con.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    if row is None:
        raise SourceUnavailable(f"{_shown(path)} is a DuckDB database but not a coco store: coco leaves it alone; "
                                "choose another --store")
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
    tables = _tables(con)
    version = schema_version(con, path, tables)
    if version is not None and version > sql.SCHEMA_VERSION:
        raise SourceUnavailable(
            f"store {_shown(path)} was written by a newer coco (store schema {version}, this coco reads up to "
            f"{sql.SCHEMA_VERSION}): upgrade coco (pip install -U cocoevents) or choose another --store")
    if read_only:
        if version is None:
            raise SourceUnavailable(f"{_shown(path)} is an empty database, not a coco store: run 'coco load PATH' first")
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


# -- loading -------------------------------------------------------------------------------------

@dataclass
class FileResult:
    path: str
    status: str  # loaded | already_loaded | damaged | unsupported
    events: int = 0
    bad_lines: int = 0
    damage: str | None = None
    replaced: bool = False  # a different version of this path was loaded before: its events are gone


@dataclass
class LoadReport:
    """What ``coco load`` did; ``to_dict()`` is its ``--json`` summary."""

    store: str
    files: list[FileResult] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    examples: list[archive.BadLine] = field(default_factory=list)
    seconds: float = 0.0
    baseline_error: str | None = None  # the events are loaded; the fleet baseline could not be rebuilt

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def replaced(self) -> int:
        return sum(1 for f in self.files if f.replaced)

    @property
    def events(self) -> int:
        return sum(f.events for f in self.files)

    @property
    def bad_lines(self) -> int:
        return sum(f.bad_lines for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "files_loaded": self.count("loaded") + self.count("damaged"),
            "files_already_loaded": self.count("already_loaded"),
            "files_replaced": self.replaced,
            "files_damaged": self.count("damaged"),
            "files_unsupported": self.count("unsupported"),
            "events": self.events,
            "bad_lines": self.bad_lines,
            "seconds": round(self.seconds, 3),
            "bad_line_examples": [str(b) for b in self.examples],
            "damaged": [{"path": f.path, "reason": f.damage} for f in self.files if f.status == "damaged"],
            "unsupported": [{"path": f.path, "reason": f.damage} for f in self.files if f.status == "unsupported"],
            "skipped": [{"path": p, "reason": r} for p, r in self.skipped],
            "baseline_error": self.baseline_error,
            "files": [
                {"path": f.path, "status": f.status, "events": f.events, "bad_lines": f.bad_lines,
                 "replaced": f.replaced}
                for f in self.files
            ],
        }


@dataclass
class _Item:
    path: Path
    key: str  # the absolute path as text: the store's ``files.path``
    sha: str
    size: int
    compression: str  # gzip | zstd | none
    expected: int  # the decompressed size: the file's (plain) or its gzip trailer's (mod 2**32)


@dataclass
class _Staged:
    events: int = 0
    bad: int = 0
    first: Any = None
    last: Any = None
    damage: str | None = None


Progress = Callable[[int, int], None]
_STAGE = ("CREATE OR REPLACE TEMP TABLE stage (event VARCHAR, ts TIMESTAMP, delivery_id VARCHAR, robot_id VARCHAR, "
          "pilot_id VARCHAR, demand_id VARCHAR, offer_id VARCHAR, record VARCHAR, file_id BIGINT, line_bytes BIGINT)")


def _drop_old_versions(con: duckdb.DuckDBPyConnection, items: Sequence[_Item]) -> set[str]:
    """Files that changed under a path already loaded: their old versions' events, keys and rows go, in the
    caller's transaction. The paths (``_Item.key``) that replaced something."""
    old = con.execute(
        "SELECT f.file_id, f.path FROM files AS f JOIN (SELECT unnest($keys::VARCHAR[]) AS path, "
        "unnest($shas::VARCHAR[]) AS sha) AS b ON f.path = b.path AND f.sha256 <> b.sha",
        {"keys": [i.key for i in items], "shas": [i.sha for i in items]}).fetchall()
    if old:
        delete_files(con, [fid for fid, _ in old])
    return {path for _, path in old}


def delete_files(con: duckdb.DuckDBPyConnection, ids: list[int]) -> None:
    """The files' rows out of every table, in the caller's transaction; the kept statuses out of date."""
    for statement in sql.FILES_DELETE:
        con.execute(statement, {"ids": ids})
    con.execute(sql.STATUSES_INVALIDATE)


class Loader:
    """Loads archive files into the store at ``store`` (see the module docstring).

    Its own in-memory DuckDB parses; the store is ATTACHed only to commit a batch.
    """

    def __init__(self, store: Path, wait: float = 10.0) -> None:
        self.store = check_store_path(store)
        self.wait = wait
        self.attached = False
        limit = memory_limit()
        self.tmp = tempfile.mkdtemp(prefix="coco-load-")
        self.mem = sql.memory_connection()
        try:
            self.mem.execute(f"SET memory_limit = '{limit}'")  # validated: a SET takes no parameters
            self.mem.execute(f"SET temp_directory = '{self.tmp.replace(chr(39), chr(39) * 2)}'")  # no parameters
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        try:
            self._detach()
        except duckdb.Error:
            pass
        try:
            self.mem.close()
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def _attach(self) -> duckdb.DuckDBPyConnection:
        """The store ATTACHed as ``store`` (created, checked, migrated): from now on, its write lock is ours."""
        con = self.mem
        if self.attached:
            return con
        _make_room(self.store)
        _retrying(lambda: con.execute("ATTACH ? AS store", [str(self.store)]), self.store, self.wait)
        self.attached = True
        try:
            con.execute("USE store")
            prepare(con, self.store, read_only=False)
        except Exception as e:
            self._detach()
            raise self._better(e) from e
        return con

    def _detach(self) -> None:
        """DETACH the store (DuckDB checkpoints it): its lock is released."""
        if self.attached:
            self.attached = False
            try:
                self.mem.execute("USE memory")
            finally:
                self.mem.execute("DETACH store")

    def _better(self, e: Exception) -> BaseException:
        return _translate(e, self.store)

    def _yield_to_readers(self) -> None:
        """Between two batches: when a reader (or another load) is waiting, release the store, so it gets in
        while the next batch is parsed. Without one, the store stays attached: every DETACH checkpoints
        (with the ART indexes of schema 2 that rewrote them whole; ``keys`` is appended to like ``events``)."""
        marker = waiting_marker(self.store)
        if marker.exists():
            try:
                marker.unlink()
            except OSError:
                pass
            self._detach()

    def load(self, paths: Sequence[str | os.PathLike[str]], progress: Progress | None = None,
             names: Mapping[str, str] | None = None) -> LoadReport:
        """``names``: the name a file given by its path is recorded under instead of its absolute path
        (a temporary copy of an S3 object is recorded as ``s3://bucket/key``)."""
        started = time.monotonic()
        found = archive.discover(paths)
        if found.missing:
            raise UsageError(f"no such file or folder: {for_terminal(found.missing[0])}")
        report = LoadReport(store=archive.path_text(self.store), skipped=list(found.skipped))
        self._files: dict[str, Path] = {}
        if not found.files:
            what = ", ".join(for_terminal(archive.path_text(p)) for p in paths)
            raise NotFound(f"no archive file in {what}" + (
                f" ({len(found.skipped)} path(s) skipped, e.g. {for_terminal(found.skipped[0][0])}: "
                f"{found.skipped[0][1]})" if found.skipped else ""))
        con = self._attach()  # creates or migrates the store
        known = {r[0] for r in con.execute("SELECT sha256 FROM files").fetchall()}
        (after,) = con.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()  # type: ignore[misc]
        self._yield_to_readers()
        total, done = len(found.files), 0
        todo: list[_Item] = []
        for f in found.files:
            try:
                sha, size, compression, tail = archive.fingerprint(f)
            except OSError as e:
                report.skipped.append((archive.path_text(f), f"cannot read ({e.strerror})"))
                total -= 1
                continue
            key = (names or {}).get(os.fspath(f)) or archive.path_text(f.resolve())
            self._files[key] = f
            if compression.startswith("unsupported"):
                what = compression.split(": ", 1)[1]
                report.files.append(FileResult(key, "unsupported", damage=f"{what} compression is not supported"))
            elif sha in known:
                report.files.append(FileResult(key, "already_loaded"))
            else:
                known.add(sha)
                expected = int.from_bytes(tail[-4:], "little") if compression == "gzip" else size
                todo.append(_Item(f, key, sha, size, compression, expected))
                continue
            done += 1
        if progress:
            progress(done, total)
        batches = 0
        for batch in _batches(todo):
            results = self._commit(batch, self._stage(batch))
            report.files.extend(results)
            batches += 1
            done += len(batch)
            if progress:
                progress(done, total)
        if batches > 1:
            self._merge_keys(after)
        if any(r.bad_lines for r in report.files):
            self._detach()  # rereading files for examples needs no lock: a reader gets in meanwhile
        self._examples(report)
        report.files.sort(key=lambda r: r.path)
        report.seconds = time.monotonic() - started
        return report

    # -- outside the lock: parse a batch into the staging table ------------------------------------

    def _stage(self, batch: list[_Item]) -> dict[int, _Staged]:
        con = self.mem
        con.execute(_STAGE)
        staged: dict[int, _Staged] = {k: _Staged() for k in range(len(batch))}
        slow: list[int] = []
        groups: dict[str, list[int]] = {}
        for k, item in enumerate(batch):
            plain = str(item.path)
            odd = _GLOB_CHARS & set(plain) or plain != archive.path_text(plain)
            # DuckDB would read 'z[1].log' as a pattern, and cannot take a name that is not UTF-8; its zstd
            # reader ends a truncated stream silently, so zstd goes through the line reader, which notices.
            if odd or item.compression == "zstd":
                slow.append(k)
            else:
                groups.setdefault(item.compression, []).append(k)
        for compression, ks in groups.items():
            slow.extend(self._fast(batch, ks, compression))
        slow.extend(self._dropped(batch, [k for k in range(len(batch)) if k not in slow]))
        for k in slow:
            staged[k].damage, extra = self._slow(batch[k], k)
            staged[k].bad += extra
        for k, n, bad, first, last in con.execute(
                "SELECT file_id, count(event), count(*) - count(event), min(ts), max(ts) FROM stage GROUP BY file_id"
        ).fetchall():
            s = staged[k]
            s.events, s.bad, s.first, s.last = n, s.bad + bad, first, last
        return staged

    def _fast(self, batch: list[_Item], ks: list[int], compression: str) -> list[int]:
        """Stage files ``ks`` through DuckDB's CSV reader; the files it cannot read are returned."""
        con = self.mem
        con.execute("CREATE OR REPLACE TEMP TABLE batch_files (file_id BIGINT, path VARCHAR)")
        con.executemany("INSERT INTO batch_files VALUES (?, ?)", [[k, str(batch[k].path)] for k in ks])
        try:
            con.execute(sql.classify_insert(sql.csv_lines(FAST_MAX_LINE, compression), "stage"),
                        {"paths": [str(batch[k].path) for k in ks]})
            return []
        except (duckdb.OutOfMemoryException, duckdb.InterruptException):
            raise
        except duckdb.Error as e:  # a failed statement leaves nothing staged
            text = str(e)
            if "no space left" in text.lower():
                raise
            named = sorted((k for k in ks if str(batch[k].path) in text), key=lambda k: -len(str(batch[k].path)))
        if named:
            rest = [k for k in ks if k != named[0]]
            return [named[0]] + (self._fast(batch, rest, compression) if rest else [])
        if len(ks) == 1:
            return ks
        half = len(ks) // 2
        return self._fast(batch, ks[:half], compression) + self._fast(batch, ks[half:], compression)

    def _dropped(self, batch: list[_Item], ks: list[int]) -> list[int]:
        """Files of which DuckDB's reader silently left out a line (it drops a final unterminated line of
        128 MiB or more): the bytes of their staged lines fall short of the file's decompressed size by
        more than a line the fast path may hold. Their staged rows are removed; the line reader rereads them."""
        if not ks:
            return []
        seen = dict(self.mem.execute(
            "SELECT file_id, sum(line_bytes + 1) FROM stage WHERE file_id IN (SELECT unnest($ks::BIGINT[])) "
            "GROUP BY file_id", {"ks": ks}).fetchall())
        short = []
        for k in ks:
            missing = (batch[k].expected - int(seen.get(k, 0))) % (1 << 32)  # gzip keeps the size mod 2**32
            if FAST_MAX_LINE < missing < (1 << 31):
                short.append(k)
        if short:
            self.mem.execute("DELETE FROM stage WHERE file_id IN (SELECT unnest($ks::BIGINT[]))", {"ks": short})
        return short

    def _slow(self, item: _Item, k: int) -> tuple[str | None, int]:
        """One file through the line reader (damage, odd names): every complete line is staged."""
        reader = archive.LineReader(item.path, compression=item.compression)
        insert = sql.classify_insert(sql.TEXT_LINES, "stage")
        for numbers, text in archive.chunks(reader, TEXT_CHUNK):
            self.mem.execute(insert, {"file_id": k, "linenos": numbers, "text": text})
        return reader.damage, len(reader.too_long)

    # -- under the lock: one short transaction -----------------------------------------------------

    def _commit(self, batch: list[_Item], staged: dict[int, _Staged]) -> list[FileResult]:
        results: list[FileResult] = []
        with self._transaction() as con:
            present = {r[0] for r in con.execute(
                "SELECT sha256 FROM files WHERE sha256 IN (SELECT unnest($shas::VARCHAR[]))",
                {"shas": [i.sha for i in batch]}).fetchall()}
            todo = [(k, item) for k, item in enumerate(batch) if item.sha not in present]
            results += [FileResult(i.key, "already_loaded") for i in batch if i.sha in present]  # loaded meanwhile
            if todo:
                replaced = _drop_old_versions(con, [item for _, item in todo])
                fids = [r[0] for r in con.execute("SELECT nextval('file_ids') FROM range(?)", [len(todo)]).fetchall()]
                rows = [(fid, item.sha, item.key, item.size, staged[k].events, staged[k].bad, staged[k].damage,
                         staged[k].first, staged[k].last) for fid, (k, item) in zip(fids, todo)]
                columns = ["fid", "sha", "key", "size", "events", "bad", "damage", "first", "last"]
                con.execute("INSERT INTO files SELECT fid, sha, key, size, events, bad, damage, now(), first, last "
                            f"FROM (SELECT {', '.join(f'unnest(${c}) AS {c}' for c in columns)})",
                            {c: list(v) for c, v in zip(columns, zip(*rows))})
                for k, item in todo:
                    s = staged[k]
                    results.append(FileResult(item.key, "damaged" if s.damage else "loaded", s.events, s.bad,
                                              s.damage, replaced=item.key in replaced))
                con.execute("CREATE OR REPLACE TEMP TABLE file_map AS SELECT unnest($k::BIGINT[]) AS k, "
                            "unnest($fid::BIGINT[]) AS fid", {"k": [k for k, _ in todo], "fid": fids})
                (top,) = con.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()  # type: ignore[misc]
                con.execute(sql.EVENTS_INSERT, {"base": top + 1})
                con.execute(sql.KEYS_INSERT, {"base": top + 1})
                for statement in sql.STATUS_INSERTS:
                    con.execute(statement)
                con.execute(sql.STATUSES_INVALIDATE)  # out of date until the load's end rebuilds them
        self._yield_to_readers()
        return results

    @contextmanager
    def _transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction on the attached store: committed when the block ends, rolled back when it raises
        (the error then said in one line where it is the environment's: disk full, out of memory...)."""
        con = self._attach()
        try:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
                con.execute("COMMIT")
            except BaseException:
                try:
                    con.execute("ROLLBACK")
                except duckdb.Error:
                    pass
                raise
        except Exception as e:
            self._detach()
            better = self._better(e)
            if better is e:
                raise
            raise better from e

    def _rebuild_detached(self, key: str, module: Any) -> None:
        """A derived table's rebuild (``module``: ``store.statuses`` or ``store.baseline``) without holding the
        store while it is worked out (``store.statuses``' docstring): a token under the ``meta`` key ``key``;
        ``module.compute`` with the store attached read-only (readers open it meanwhile); ``module.install`` in
        one short transaction only if the token is still there (files changed meanwhile deleted it: their load
        rebuilds the table)."""
        token = os.urandom(8).hex()
        with self._transaction() as con:
            con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, token])
        self._detach()
        con = self.mem
        try:
            _retrying(lambda: con.execute("ATTACH ? AS store (READ_ONLY)", [str(self.store)]), self.store, self.wait)
            try:
                con.execute("USE store")
                done = module.compute(con)
            finally:
                con.execute("USE memory")
                con.execute("DETACH store")
            if done:
                with self._transaction() as con:
                    if con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone() == (token,):
                        module.install(con)
                    con.execute("DELETE FROM meta WHERE key = ?", [key])
        finally:
            module.drop(con)

    def _merge_keys(self, after: int) -> None:
        """After a load of several batches, its keys (events' ``seq`` above ``after``) are rewritten as one
        sorted run: a lookup then reads one or two row groups of this load's keys instead of one or two per
        batch (measured on a 10M-event day: ~2 ms instead of 15-30 ms per id). It goes an id range at a time
        (~``MERGE_KEYS`` keys), in id order, one short transaction each, letting waiting readers in between
        as batches do: at every commit each event's keys are there exactly once."""
        con = self._attach()
        (count,) = con.execute("SELECT count(*) FROM keys WHERE seq > ?", [after]).fetchone()  # type: ignore[misc]
        if not count:
            return
        pieces = -(-int(count) // MERGE_KEYS)
        sample = sorted(r[0] for r in con.execute(
            f"SELECT id FROM keys WHERE seq > ? USING SAMPLE {min(100 * pieces, 100_000)} ROWS", [after]).fetchall())
        bounds = sorted({sample[len(sample) * k // pieces] for k in range(1, pieces)}) if sample else []
        for lo, hi in zip(["", *bounds], [*bounds, None]):
            with self._transaction() as con:
                (top,) = con.execute("SELECT coalesce(max(rowid), -1) FROM keys").fetchone()  # type: ignore[misc]
                for statement in sql.KEYS_MERGE:
                    values = {"after": after, "lo": lo, "hi": hi, "top": top}
                    con.execute(statement, {k: v for k, v in values.items() if f"${k}" in statement})
            self._yield_to_readers()

    def _examples(self, report: LoadReport) -> None:
        """The first few bad lines with file:line, found by rereading only files that had some."""
        for result in sorted(report.files, key=lambda r: r.path):
            if len(report.examples) >= EXAMPLES:
                return
            if result.bad_lines:
                scan = archive.scan(self._files[result.path], keep_records=False)
                report.examples.extend(
                    archive.BadLine(result.path, b.line, b.reason) for b in scan.bad[: EXAMPLES - len(report.examples)])


def batch_bytes() -> int:
    value = os.environ.get("COCO_BATCH_MB", "").strip()
    try:
        mb = float(value) if value else BATCH_MB
    except ValueError:
        raise UsageError(f"COCO_BATCH_MB must be a number of MiB, not {value!r}") from None
    return max(1, int(mb * 1024 * 1024))


def _batches(todo: list[_Item]) -> Iterator[list[_Item]]:
    limit = batch_bytes()
    batch: list[_Item] = []
    held = 0
    for item in todo:
        batch.append(item)
        held += item.size * (8 if item.compression != "none" else 1)  # about what it decompresses to
        if held >= limit or len(batch) >= BATCH_FILES:
            yield batch
            batch, held = [], 0
    if batch:
        yield batch


def load(store: Path, paths: Sequence[str | os.PathLike[str]], *, wait: float = 10.0,
         progress: Progress | None = None) -> LoadReport:
    """Load archive files and folders into the store at ``store`` (created if missing)."""
    loader = Loader(store, wait)
    try:
        report = loader.load(paths, progress)
        changed = any(f.status in ("loaded", "damaged") for f in report.files)  # files added or replaced
        rebuild_derived(loader, report, baseline=changed)
        return report
    finally:
        loader.close()


def rebuild_derived(target: Loader | duckdb.DuckDBPyConnection, report: LoadReport | None, *,
                    baseline: bool) -> None:
    """After files were committed: the kept statuses when out of date (``store.statuses``), and the fleet
    baseline when ``baseline`` (the fleet changed), on the store a ``Loader`` (a load's or a sync's end) or a
    connection (a removal) writes to. A loader of a store of ``DETACHED_EVENTS`` or more works both out
    without holding the store (``Loader._rebuild_detached``; ~3 s and ~12 s at 10M events), and lets a waiting
    reader in between them. Either running out of memory leaves the committed load done: the statuses stay
    unused (readers walk ``links``), the baseline error is reported (``baseline_error``)."""
    from . import baseline as fleet_baseline
    from . import statuses

    loader = target if isinstance(target, Loader) else None
    con = loader._attach() if loader else target
    # A small store is rebuilt in place: quicker than letting go of it, and every let-go checkpoints (a fresh
    # store of one event grew from 2.6 to 3.2 MB with the two more checkpoints).
    detached = loader is not None and con.execute("SELECT count(*) FROM events").fetchone()[0] >= DETACHED_EVENTS
    if not statuses.is_current(con):
        try:
            if detached:
                loader._rebuild_detached(statuses.PENDING, statuses)  # type: ignore[union-attr]
            else:
                statuses.rebuild(con)
        except duckdb.OutOfMemoryException:
            pass  # same answers, read the slower way; the next load tries again
    if baseline:
        try:
            if loader:
                loader._yield_to_readers()
            if detached:
                loader._rebuild_detached(statuses.BASELINE_PENDING, fleet_baseline)  # type: ignore[union-attr]
            else:
                fleet_baseline.rebuild(loader._attach() if loader else con)
        except duckdb.OutOfMemoryException:  # the files are committed; only the derived baseline is not
            if report is None:
                raise
            report.baseline_error = f"out of memory with COCO_MEMORY_LIMIT={memory_limit()}"


DETACHED_EVENTS = 1_000_000  # from this many events a load works the derived tables out without holding the store


ROW_COLUMNS = "rowid, epoch_us(ts) AS ts_us, record"
_LENIENT = archive.LENIENT_HINT.replace("'", "''")


def fetch_rows(con: duckdb.DuckDBPyConnection, where: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Event rows ``(rowid, ts_us, record)``: the row's identity, its stored time and the record.

    The record is text Python's ``json`` reads: DuckDB accepted lines with
    trailing commas or ``nan``/``inf``, and the few rows that may hold them are
    rewritten (``archive.relax``).
    """
    return [row for ids, ts, records in rowid_chunks(con, matching_rowids(con, where, params))
            for row in zip(ids, ts, records)]  # type: ignore[arg-type]


FETCH_CHUNK = 8192  # rows per fetchmany: a big delivery is read (and turned into events) a chunk at a time


def matching_rowids(con: duckdb.DuckDBPyConnection, where: str | list[str], params: Sequence[Any]) -> list[int]:
    """The rowids of the rows matching ``where``; a list of conditions: the rows matching any of them, each asked
    as its own ``SELECT`` (a ``UNION``: an ``OR`` of two key lookups would read the rows of neither through
    its keys)."""
    # Two steps: the filter reads only the small columns, then the records are fetched by rowid
    # (``rowid_chunks``). Asked in one step, DuckDB decompresses the zstd record blocks of every vector it scans.
    query = " UNION ".join(f"SELECT rowid FROM events WHERE {w}" for w in ([where] if isinstance(where, str) else where))
    return [r[0] for r in con.execute(query, list(params)).fetchall()]


DEEP = 1800  # characters: a record this long may nest past Python's recursion limit (``readable``)
Chunk = tuple[Sequence[int], Optional[Sequence[Any]], Optional[Sequence[str]]]


def rowid_chunks(con: duckdb.DuckDBPyConnection, rowids: Sequence[int], known: Container[int] = ()) -> Iterator[Chunk]:
    """The rows of ``rowids`` as columns ``(rowids, ts_us, records)``, ``FETCH_CHUNK`` rows at a time: memory
    holds one chunk of record texts, and a big delivery's million rows cost no Python per row here. Rows whose
    rowid is in ``known`` (the caller has them already) come first, as one chunk ``(rowids, None, None)``, unread."""
    if known:
        have = [r for r in rowids if r in known]
        if have:
            yield have, None, None
        rowids = [r for r in rowids if r not in known]
    if not rowids:
        return
    columns = f"SELECT {ROW_COLUMNS}, regexp_matches(record, '{_LENIENT}') AS lenient, length(record) > {DEEP} AS long"
    query = f"{columns} FROM events WHERE rowid IN (SELECT unnest($rowids::BIGINT[]))"
    cur = con.cursor()  # its own result: ``_shallow`` may query ``con`` between chunks
    try:
        if len(rowids) >= NUMPY_ROWS:
            yield from _numpy_chunks(con, cur, columns, sorted(rowids))
            return
        cur.execute(query, {"rowids": list(rowids)})
        del rowids
        while chunk := cur.fetchmany(FETCH_CHUNK):
            ids, ts, records, lenient, long = zip(*chunk)
            del chunk
            yield ids, ts, _readable_all(con, records, lenient, long)
    finally:
        cur.close()


NUMPY_ROWS = 50_000  # rows from which DuckDB hands them over as NumPy columns (``_numpy_chunks``)
NUMPY_BLOCK = 8 * FETCH_CHUNK


def _numpy_chunks(con: duckdb.DuckDBPyConnection, cur: Any, columns: str, rowids: list[int]) -> Iterator[Chunk]:
    """``rowid_chunks`` of many rows: ``NUMPY_BLOCK`` sorted rowids at a time, each block fetched as NumPy columns
    (``fetchnumpy``: four times quicker than a tuple a row), memory one block of texts. A block whose rows lie
    close together (a big delivery's do: its files' rows are consecutive) is read as its rowid range and the
    few rows of others left out here; a semi-join on a million rowids took longer than reading the records
    (1M events: ~3.4 s -> ~1 s). The next block is read in a thread while the caller works on this one's rows
    (``cur`` is used by that thread alone; ``con`` stays the caller's). NumPy comes with pandas, a dependency; it
    is imported only here."""
    from concurrent.futures import ThreadPoolExecutor

    def fetch(block: list[int]) -> tuple[bool, dict[str, Any]]:
        lo, hi = block[0], block[-1]
        ranged = hi - lo + 1 <= 2 * len(block)
        if ranged:
            cur.execute(f"{columns} FROM events WHERE rowid BETWEEN $lo AND $hi", {"lo": lo, "hi": hi})
        else:
            cur.execute(f"{columns} FROM events WHERE rowid IN (SELECT unnest($rowids::BIGINT[]))", {"rowids": block})
        return ranged, cur.fetchnumpy()

    blocks = [rowids[n:n + NUMPY_BLOCK] for n in range(0, len(rowids), NUMPY_BLOCK)]
    with ThreadPoolExecutor(1) as ahead:  # the next block is read while this one's rows are made into events
        pending = ahead.submit(fetch, blocks[0])
        for n, block in enumerate(blocks):
            ranged, got = pending.result()
            if n + 1 < len(blocks):
                pending = ahead.submit(fetch, blocks[n + 1])
            ids, ts, records = got["rowid"].tolist(), got["ts_us"].tolist(), got["record"].tolist()
            lenient, long = got["lenient"].tolist(), got["long"].tolist()
            del got
            if ranged and len(ids) != len(block):  # others' rows within the range
                wanted = set(block)
                keep = [k for k, r in enumerate(ids) if r in wanted]
                ids, ts, records = [ids[k] for k in keep], [ts[k] for k in keep], [records[k] for k in keep]
                lenient, long = [lenient[k] for k in keep], [long[k] for k in keep]
            records = _readable_all(con, records, lenient, long)
            for k in range(0, len(ids), FETCH_CHUNK):
                yield ids[k:k + FETCH_CHUNK], ts[k:k + FETCH_CHUNK], records[k:k + FETCH_CHUNK]


def _readable_all(con: duckdb.DuckDBPyConnection, records: Sequence[str], lenient: Sequence[bool],
                  long: Sequence[bool]) -> Sequence[str]:
    """``records`` with the few that need work (``lenient`` or ``long``) made ``readable``, one by one."""
    if any(lenient) or any(long):
        return [readable(con, r, h) if h or g else r for r, h, g in zip(records, lenient, long)]
    return records


def readable(con: duckdb.DuckDBPyConnection, record: str, lenient: bool) -> str:
    """A stored record as text Python's ``json`` reads (see ``fetch_rows``)."""
    if lenient:
        record = archive.relax(record)
    if len(record) > DEEP and record.count("[") + record.count("{") > 900:
        record = _shallow(con, record)
    return record


TOO_DEEP = archive.TOO_DEEP


def _shallow(con: duckdb.DuckDBPyConnection, record: str) -> str:
    """``record`` when Python's ``json`` can read it; else its top-level fields, each value
    nested beyond Python's recursion limit replaced by a note (DuckDB reads any depth)."""
    try:
        json.loads(record)
        return record
    except RecursionError:
        return json.dumps(archive.decode_record(record, con), ensure_ascii=False)
    except ValueError:
        return record


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
            better = SourceUnavailable(f"the store {_shown(path)} is damaged ({for_terminal(_first_line(e))}): "
                                       "move it away and load the archive again")
        raise better from e
    return int(count), latest


# -- managing loaded files (``coco store files`` / ``coco store remove``) ----------------------------

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
        return {"path": self.path, "sha256": self.sha256, "first": self.first, "last": self.last,
                "events": self.events, "bad_lines": self.bad_lines, "damage": self.damage}


def _iso(us: int | None) -> str | None:
    from ..timestamps import format_ts

    return format_ts(us)


def loaded_files(path: Path) -> list[LoadedFile]:
    """The files in the store, by path (a store of schema 1 has its time ranges computed here)."""
    con = connect(path, read_only=True)
    try:
        columns = {r[0] for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = 'files' "
            "AND database_name = current_database()").fetchall()}
        ranged = "first_ts" in columns
        rows = con.execute(
            "SELECT f.path, f.sha256, epoch_us(" + ("f.first_ts" if ranged else "r.lo") + "), epoch_us("
            + ("f.last_ts" if ranged else "r.hi") + "), f.events, f.bad_lines, f.damage FROM files AS f"
            + ("" if ranged else " LEFT JOIN (SELECT file_id, min(ts) AS lo, max(ts) AS hi FROM events "
                                 "GROUP BY file_id) AS r USING (file_id)")
            + " ORDER BY f.path, f.file_id").fetchall()
    finally:
        con.close()
    return [LoadedFile(p, s, _iso(lo), _iso(hi), n, b, d) for p, s, lo, hi, n, b, d in rows]


def remove_files(path: Path, *, file: str | None = None, sha: str | None = None, day: str | None = None,
                 wait: float = 10.0) -> tuple[list[str], int]:
    """Delete loaded files and all their events, in one transaction; the paths removed and the events.

    ``file``: a loaded file's path (or a folder: every loaded file under it); ``sha``: a SHA-256 or a
    unique prefix of at least 8 characters; ``day``: ``YYYY-MM-DD``, every file with an event on that
    UTC day (whole files: a file is always entirely in the store or not at all).
    """
    chosen = [x for x in (file, sha, day) if x is not None]
    if len(chosen) != 1:
        raise UsageError("name exactly one of PATH, --sha or --day")
    if sha is not None and not re.fullmatch(r"[0-9a-fA-F]{8,64}", sha):
        raise UsageError(f"--sha takes a SHA-256 or a prefix of at least 8 hex digits, not {for_terminal(sha)!r}")
    if day is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
        raise UsageError(f"--day takes a UTC day like 2026-11-25, not {for_terminal(day)!r}")
    if not path.exists():
        raise SourceUnavailable(f"no store at {_shown(path)}")
    con = connect(path, read_only=False, wait=wait)
    try:
        if file is not None:
            key = archive.path_text(Path(file).resolve())
            rows = con.execute("SELECT file_id, path FROM files WHERE path = ? OR path = ? OR starts_with(path, ?)",
                               [file, key, key.rstrip("/") + "/"]).fetchall()
        elif sha is not None:
            rows = con.execute("SELECT file_id, path FROM files WHERE starts_with(sha256, ?)", [sha.lower()]).fetchall()
            if len(rows) > 1 and len(sha) < 64:
                raise UsageError(f"--sha {sha} matches {len(rows)} files: give more digits")
        else:
            try:
                start = con.execute("SELECT CAST(? AS DATE)::TIMESTAMP", [day]).fetchone()[0]  # type: ignore[index]
            except duckdb.Error:
                raise UsageError(f"--day takes a UTC day like 2026-11-25, not {day!r}") from None
            rows = con.execute(
                "SELECT file_id, path FROM files WHERE file_id IN (SELECT DISTINCT file_id FROM events "
                "WHERE ts >= ? AND ts < ? + INTERVAL 1 DAY)", [start, start]).fetchall()
        if not rows:
            what = file if file is not None else f"--sha {sha}" if sha is not None else f"--day {day}"
            raise NotFound(f"no loaded file matches {for_terminal(archive.path_text(what))} in {_shown(path)} "
                           "(see 'coco store files')")
        ids = [r[0] for r in rows]
        con.execute("BEGIN TRANSACTION")
        try:
            (events,) = con.execute("SELECT count(*) FROM events WHERE file_id IN (SELECT unnest($ids::BIGINT[]))",
                                    {"ids": ids}).fetchone()  # type: ignore[misc]
            delete_files(con, ids)  # the writer's connect migrated the store: it has every table
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        rebuild_derived(con, None, baseline=False)  # the statuses; out of memory: read the slower way meanwhile
        return sorted(r[1] for r in rows), int(events)
    except Exception as e:
        better = _translate(e, path)
        if better is e:
            raise
        raise better from e
    finally:
        con.close()
