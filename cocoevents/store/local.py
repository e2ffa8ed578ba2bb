"""The local store: one DuckDB file of events, and ``coco load`` into it.

Storage design. ``events`` keeps the event name, the UTC timestamp (NULL when
unusable: such events are kept, spec section 1), the five ids as columns with
ART indexes, the whole record as JSON text (zstd-compressed) and the id of the
file it came from. ``files`` keeps one row per loaded archive file, recognised
by the SHA-256 of its bytes, so a file loaded twice - under any name - adds
nothing.

Loading guarantees. Files load in batches; every file is in exactly one
transaction, so an interrupted load (even SIGKILL: DuckDB replays its WAL of
committed transactions) leaves only whole files. Parsing runs in DuckDB: its
CSV reader splits lines, its JSON functions classify them (``store.sql``).
A batch the fast path cannot read (a truncated gzip, invalid UTF-8, a very
long line) is retried file by file, and a file that still fails goes through
the pure Python reader (``archive.LineReader``), which keeps every complete
line and reports the damage. Bad lines are counted per file, never fatal.

Concurrency: DuckDB allows one writing process per file. A second ``coco load``
waits up to ``wait`` seconds for the lock, then raises ``StoreBusy``; readers
that meet a writer raise ``StoreBusy`` too (exit 4).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import duckdb

from .. import archive
from ..errors import SourceUnavailable, StoreBusy, UsageError
from . import sql

FAST_MAX_LINE = 8 * 1024 * 1024
# Large transactions let DuckDB write whole compressed row groups straight to the file;
# many small commits leave partial row groups that every checkpoint rewrites (3x slower).
BATCH_BYTES = 64 * 1024 * 1024
BATCH_FILES = 512
TEXT_CHUNK = 8 * 1024 * 1024
EXAMPLES = 5
MEMORY_LIMIT = "512MB"
_MEMORY = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", re.I)
# DuckDB's reader expands these in a path: such files are read by the Python reader instead.
_GLOB_CHARS = frozenset("*?[]{}")


def memory_limit() -> str:
    """``COCO_MEMORY_LIMIT`` (e.g. ``1GB``) or the default; anything else is a usage error."""
    value = os.environ.get("COCO_MEMORY_LIMIT", "").strip() or MEMORY_LIMIT
    if not _MEMORY.match(value):
        raise UsageError(f"COCO_MEMORY_LIMIT must be a size like 512MB or 2GB, not {value!r}")
    return value


def default_store_path() -> Path:
    """``--store`` / ``COCO_STORE`` / ``$XDG_DATA_HOME/coco/events.duckdb`` (spec section 9)."""
    env = os.environ.get("COCO_STORE")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "coco" / "events.duckdb"


@dataclass
class FileResult:
    path: str
    status: str  # loaded | already_loaded | damaged
    events: int = 0
    bad_lines: int = 0
    damage: str | None = None


@dataclass
class LoadReport:
    """What ``coco load`` did; ``to_dict()`` is its ``--json`` summary."""

    store: str
    files: list[FileResult] = field(default_factory=list)
    examples: list[archive.BadLine] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

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
            "files_damaged": self.count("damaged"),
            "events": self.events,
            "bad_lines": self.bad_lines,
            "seconds": round(self.seconds, 3),
            "bad_line_examples": [str(b) for b in self.examples],
            "damaged": [{"path": f.path, "reason": f.damage} for f in self.files if f.status == "damaged"],
            "files": [
                {"path": f.path, "status": f.status, "events": f.events, "bad_lines": f.bad_lines}
                for f in self.files
            ],
        }


def _is_lock_error(e: Exception) -> bool:
    text = str(e)
    return "lock" in text.lower() and ("Conflicting" in text or "Could not set lock" in text)


def connect(path: Path, *, read_only: bool, wait: float = 0.0) -> duckdb.DuckDBPyConnection:
    """Open the store; ``StoreBusy`` if another process holds it past ``wait`` seconds."""
    if read_only and not path.exists():
        raise SourceUnavailable(f"no store at {path}: run 'coco load PATH' or 'coco demo' first")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only, config=dict(sql.CONNECTION_CONFIG))
            break
        except duckdb.IOException as e:
            if not _is_lock_error(e):
                raise SourceUnavailable(f"cannot open store {path}: {str(e).splitlines()[0]}") from e
            if time.monotonic() >= deadline:
                raise StoreBusy(
                    f"store {path} is busy: another coco process is writing to it; try again when it ends"
                ) from e
            time.sleep(0.2)
        except duckdb.Error as e:
            raise SourceUnavailable(f"cannot open store {path}: {str(e).splitlines()[0]}") from e
    con.execute(sql.SESSION)
    con.execute(f"SET memory_limit = '{memory_limit()}'")  # validated: a SET takes no parameters
    try:
        prepare(con, path, read_only=read_only)
    except BaseException:
        con.close()
        raise
    return con


def schema_version(con: duckdb.DuckDBPyConnection, path: Path) -> int | None:
    """The store's schema version; ``None`` for an empty database. A database that has tables
    but is not a coco store is refused before anything is written to it."""
    tables = {r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()").fetchall()}
    if not tables:
        return None
    row = None
    if "meta" in tables and "events" in tables and "files" in tables:
        row = con.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    if row is None:
        raise SourceUnavailable(f"{path} is a DuckDB database but not a coco store: coco leaves it alone; "
                                "choose another --store")
    try:
        return int(row[0])
    except (TypeError, ValueError):
        return sql.SCHEMA_VERSION + 1  # not a version this coco knows: treated as newer


def prepare(con: duckdb.DuckDBPyConnection, path: Path, *, read_only: bool) -> None:
    """Check the store's kind and version; create it when empty, migrate it when older (writers only)."""
    version = schema_version(con, path)
    if version is not None and version > sql.SCHEMA_VERSION:
        raise SourceUnavailable(
            f"store {path} was written by a newer coco (store schema {version}, this coco reads up to "
            f"{sql.SCHEMA_VERSION}): upgrade coco (pip install -U cocoevents) or choose another --store")
    if read_only:
        if version is None:
            raise SourceUnavailable(f"{path} is an empty database, not a coco store: run 'coco load PATH' first")
        return  # an older store reads as it is (the events table has not changed); writers migrate it
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
    con.execute(sql.INDEXES)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


Progress = Callable[[int, int], None]


class Loader:
    """Loads archive files into an open store connection (see the module docstring)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, store: Path) -> None:
        self.con = con
        self.store = store
        con.execute(sql.MACROS)

    def load(self, paths: Sequence[str | os.PathLike[str]], progress: Progress | None = None) -> LoadReport:
        started = time.monotonic()
        files, missing = archive.find_files(paths)
        if missing:
            raise UsageError(f"no such file or folder: {missing[0]}")
        report = LoadReport(store=str(self.store))
        known = {r[0] for r in self.con.execute("SELECT sha256 FROM files").fetchall()}
        todo: list[tuple[Path, str, int]] = []
        for f in files:
            digest = sha256_of(f)
            if digest in known:
                report.files.append(FileResult(str(f), "already_loaded"))
                continue
            known.add(digest)
            todo.append((f, digest, f.stat().st_size))
        total = sum(size for _, _, size in todo)
        done = 0
        for batch in _batches(todo):
            for result in self._load_batch(batch):
                report.files.append(result)
            done += sum(size for _, _, size in batch)
            if progress:
                progress(done, total)
        self._examples(report)
        report.files.sort(key=lambda r: r.path)
        report.seconds = time.monotonic() - started
        return report

    # -- one transaction per batch of whole files -------------------------------------------

    def _load_batch(self, batch: list[tuple[Path, str, int]]) -> list[FileResult]:
        odd = [item for item in batch if _GLOB_CHARS & set(str(item[0]))]
        if odd:  # DuckDB would read 'z[1].log' as a pattern: those files go through Python
            plain = [item for item in batch if item not in odd]
            return (self._load_batch(plain) if plain else []) + [self._slow(*item) for item in odd]
        try:
            return self._fast(batch)
        except duckdb.Error:
            self._rollback()
        if len(batch) > 1:
            results: list[FileResult] = []
            for item in batch:
                results.extend(self._load_batch([item]))
            return results
        return [self._slow(*batch[0])]

    def _rollback(self) -> None:
        try:
            self.con.execute("ROLLBACK")
        except duckdb.Error:
            pass

    def _begin(self, batch: Iterable[tuple[Path, str, int]]) -> list[int]:
        con = self.con
        con.execute("BEGIN TRANSACTION")
        ids = []
        for path, digest, size in batch:
            absolute = str(path.resolve())
            # A file once loaded damaged is replaced by a later, different copy under the same path.
            for (old,) in con.execute(
                "SELECT file_id FROM files WHERE path = ? AND damage IS NOT NULL", [absolute]
            ).fetchall():
                con.execute("DELETE FROM events WHERE file_id = ?", [old])
                con.execute("DELETE FROM files WHERE file_id = ?", [old])
            (fid,) = con.execute("SELECT nextval('file_ids')").fetchone()  # type: ignore[misc]
            con.execute(
                "INSERT INTO files VALUES (?, ?, ?, ?, 0, 0, NULL, now(), NULL, NULL)", [fid, digest, absolute, size]
            )
            ids.append(fid)
        return ids

    def _finish(self, ids: list[int], paths: list[Path], extra_bad: dict[int, int] | None = None,
                damage: str | None = None) -> list[FileResult]:
        con = self.con
        bad: dict[int, int] = dict(extra_bad or {})
        lo, hi = min(ids), max(ids)
        for (fid,) in con.execute(
            "DELETE FROM events WHERE event IS NULL AND file_id BETWEEN ? AND ? RETURNING file_id", [lo, hi]
        ).fetchall():
            bad[fid] = bad.get(fid, 0) + 1
        counts = {fid: (n, first, last) for fid, n, first, last in con.execute(
            "SELECT file_id, count(*), min(ts), max(ts) FROM events WHERE file_id BETWEEN ? AND ? GROUP BY file_id",
            [lo, hi]).fetchall()}
        results = []
        for fid, path in zip(ids, paths):
            (n, first, last), b = counts.get(fid, (0, None, None)), bad.get(fid, 0)
            con.execute(
                "UPDATE files SET events = ?, bad_lines = ?, damage = ?, first_ts = ?, last_ts = ? WHERE file_id = ?",
                [n, b, damage, first, last, fid]
            )
            results.append(FileResult(str(path), "damaged" if damage else "loaded", n, b, damage))
        con.execute("COMMIT")
        return results

    def _fast(self, batch: list[tuple[Path, str, int]]) -> list[FileResult]:
        con = self.con
        ids = self._begin(batch)
        paths = [p for p, _, _ in batch]
        con.execute("CREATE OR REPLACE TEMP TABLE batch_files (file_id BIGINT, path VARCHAR)")
        con.executemany("INSERT INTO batch_files VALUES (?, ?)", [[i, str(p)] for i, p in zip(ids, paths)])
        con.execute(sql.classify_insert(sql.csv_lines(FAST_MAX_LINE)), {"paths": [str(p) for p in paths]})
        return self._finish(ids, paths)

    def _slow(self, path: Path, digest: str, size: int) -> FileResult:
        """One file through the Python reader: keeps every complete line, reports damage."""
        con = self.con
        (fid,) = self._begin([(path, digest, size)])
        reader = archive.LineReader(path)
        insert = sql.classify_insert(sql.TEXT_LINES)
        try:
            for numbers, text in archive.chunks(reader, TEXT_CHUNK):
                con.execute(insert, {"file_id": fid, "linenos": numbers, "text": text})
            return self._finish([fid], [path], {fid: len(reader.too_long)}, reader.damage)[0]
        except BaseException:
            self._rollback()
            raise

    def _examples(self, report: LoadReport) -> None:
        """The first few bad lines with file:line, found by rereading only files that had some."""
        for result in sorted(report.files, key=lambda r: r.path):
            if len(report.examples) >= EXAMPLES:
                return
            if result.bad_lines:
                scan = archive.scan(Path(result.path), keep_records=False)
                report.examples.extend(scan.bad[: EXAMPLES - len(report.examples)])


def _batches(todo: list[tuple[Path, str, int]]) -> Iterable[list[tuple[Path, str, int]]]:
    batch: list[tuple[Path, str, int]] = []
    held = 0
    for item in todo:
        batch.append(item)
        held += item[2]
        if held >= BATCH_BYTES or len(batch) >= BATCH_FILES:
            yield batch
            batch, held = [], 0
    if batch:
        yield batch


def load(store: Path, paths: Sequence[str | os.PathLike[str]], *, wait: float = 10.0,
         progress: Progress | None = None) -> LoadReport:
    """Load archive files and folders into the store at ``store`` (created if missing)."""
    con = connect(store, read_only=False, wait=wait)
    try:
        return Loader(con, store).load(paths, progress)
    finally:
        con.close()


ROW_COLUMNS = "rowid, epoch_us(ts), record"
_LENIENT = archive.LENIENT_HINT.replace("'", "''")


def fetch_rows(con: duckdb.DuckDBPyConnection, where: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Event rows ``(rowid, ts_us, record)``: the row's identity, its stored time and the record.

    The record is text Python's ``json`` reads: DuckDB accepted lines with
    trailing commas or ``nan``/``inf``, and the few rows that may hold them are
    rewritten (``archive.relax``).
    """
    # Two steps: the filter reads only the small columns, then the records are fetched by rowid.
    # Asked in one step, DuckDB decompresses the zstd record blocks of every vector it scans.
    rowids = [r[0] for r in con.execute(f"SELECT rowid FROM events WHERE {where}", list(params)).fetchall()]
    if not rowids:
        return []
    rows = con.execute(
        f"SELECT {ROW_COLUMNS}, regexp_matches(record, '{_LENIENT}') FROM events "
        "WHERE rowid IN (SELECT unnest($rowids::BIGINT[]))", {"rowids": rowids}
    ).fetchall()
    out = []
    for rowid, ts, record, hint in rows:
        if hint:
            record = archive.relax(record)
        if len(record) > 1800 and record.count("[") + record.count("{") > 900:
            record = _shallow(con, record)
        out.append((rowid, ts, record))
    return out


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
