"""``coco load``: archive files into the store, a batch at a time, every file in exactly one transaction.

A batch of small files is parsed in the loader's own in-memory DuckDB (DuckDB's CSV reader splits lines, the
archive's SQL classifier turns them into rows), then copied into the ATTACHed store in one short transaction that
re-checks which files are there. A file bigger than a batch (``batch_bytes``), and a damaged, zstd or oddly
named one, is streamed instead: ``archive.lines.LineReader`` reads it in pieces of whole lines, each parsed and
copied into the store in the file's one transaction, so memory holds a piece whatever the file's size and the
file is in the store whole or not at all. Between batches and files a waiting reader is let in
(``<store>.waiting``). At the end the derived tables (kept statuses, fleet baseline)
are rebuilt - from ``DETACHED_EVENTS`` events on, worked out with the store attached read-only and installed
in one short transaction. The design and its measurements: docs/store.md.
"""

from __future__ import annotations

import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

from ..archive import classify
from ..archive import lines as archive
from ..duckdb_engine import duckdb, one_row
from ..errors import NotFound, UsageError
from ..textsafe import for_terminal
from . import items
from . import schema as sql
from .config import check_store_path, memory_limit, piece_bytes
from .connection import forget_created, make_room, mark_loading, prepare, retrying, translate, waiting_marker
from .files import delete_files
from .items import Item
from .pieces import pieces_ahead
from .scratch import make_scratch

FAST_MAX_LINE = 8 * 1024 * 1024
OVER = 64  # staged bytes beyond a file's decompressed size that are no sign of a dropped line (``Loader._dropped``)
MERGE_KEYS = 2_000_000  # keys rewritten per transaction at the end of a load (~1 s)
EXAMPLES = 5


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
                {"path": f.path, "status": f.status, "events": f.events, "bad_lines": f.bad_lines, "replaced": f.replaced}
                for f in self.files
            ],
        }


@dataclass
class _Staged:
    events: int = 0
    bad: int = 0
    first: Any = None
    last: Any = None
    damage: str | None = None


Progress = Callable[[int, int], None]
_STAGE = (
    "CREATE OR REPLACE TEMP TABLE stage (event VARCHAR, ts TIMESTAMP, delivery_id VARCHAR, robot_id VARCHAR, "
    "pilot_id VARCHAR, demand_id VARCHAR, offer_id VARCHAR, record VARCHAR, file_id BIGINT, line_bytes BIGINT, "
    "merchant_id VARCHAR, source VARCHAR, error_code VARCHAR, is_error BOOLEAN)"
)


def _drop_old_versions(con: duckdb.DuckDBPyConnection, items: Sequence[Item]) -> set[str]:
    """Files that changed under a path already loaded: their old versions' events, keys and rows go, in the
    caller's transaction. The paths (``Item.key``) that replaced something."""
    old = con.execute(
        "SELECT f.file_id, f.path FROM files AS f JOIN (SELECT unnest($keys::VARCHAR[]) AS path, "
        "unnest($shas::VARCHAR[]) AS sha) AS b ON f.path = b.path AND f.sha256 <> b.sha",
        {"keys": [i.key for i in items], "shas": [i.sha for i in items]},
    ).fetchall()
    if old:
        delete_files(con, [fid for fid, _ in old])
    return {path for _, path in old}


class Loader:
    """Loads archive files into the store at ``store`` (see the module docstring).

    Its own in-memory DuckDB parses; the store is ATTACHed only to commit a batch.
    """

    def __init__(self, store: Path, wait: float = 10.0) -> None:
        self.store = check_store_path(store)
        self.wait = wait
        self.attached = False
        limit = memory_limit()
        self.tmp = make_scratch("load")
        self.mem = classify.classifier_connection()
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
            mark_loading(self.store, False)

    def _attach(self) -> duckdb.DuckDBPyConnection:
        """The store ATTACHed as ``store`` (created, checked, migrated): from now on, its write lock is ours."""
        con = self.mem
        if self.attached:
            return con
        created = make_room(self.store)
        try:
            retrying(lambda: con.execute("ATTACH ? AS store", [str(self.store)]), self.store, self.wait)
        except BaseException:
            if created:
                forget_created(self.store)
            raise
        self.attached = True
        mark_loading(self.store, True)  # from its first batch to its end, readers say a load is under way (``load_running``)
        try:
            con.execute("USE store")
            prepare(con, self.store, read_only=False)
        except Exception as e:
            try:
                self._detach()
            except duckdb.Error:
                pass  # the file could not be written: nothing to keep
            if created:
                forget_created(self.store)
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
        return translate(e, self.store)

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

    def load(
        self, paths: Sequence[str | os.PathLike[str]], progress: Progress | None = None, names: Mapping[str, str] | None = None
    ) -> LoadReport:
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
            raise NotFound(
                f"no archive file in {what}"
                + (
                    f" ({len(found.skipped)} path(s) skipped, e.g. {for_terminal(found.skipped[0][0])}: {found.skipped[0][1]})"
                    if found.skipped
                    else ""
                )
            )
        con = self._attach()  # creates or migrates the store
        known = {r[0] for r in con.execute("SELECT sha256 FROM files").fetchall()}
        (after,) = one_row(con, "SELECT coalesce(max(seq), 0) FROM events")
        self._yield_to_readers()
        total, done = len(found.files), 0
        todo: list[Item] = []
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
                todo.append(Item(f, key, sha, size, compression, expected, exact=compression == "none"))
                continue
            done += 1
        if progress:
            progress(done, total)
        piece = piece_bytes()
        batches = 0
        streamed, read_whole = items.split(todo)
        for batch in items.batches(read_whole):
            staged, refused = self._stage(batch)
            report.files.extend(self._commit(batch, staged))
            streamed += [batch[k] for k in refused]  # files DuckDB's reader refused: streamed after this batch
            batches += 1
            done += len(batch) - len(refused)
            if progress:
                progress(done, total)
        for item in streamed:
            result, pieces = self._stream(item, piece)
            report.files.append(result)
            batches += pieces
            done += 1
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

    def _stage(self, batch: list[Item]) -> tuple[dict[int, _Staged], list[int]]:
        """Batch ``batch`` parsed into the staging table through DuckDB's CSV reader: what was staged per file, and
        the files it refused (damaged, not UTF-8, a line too long, a line it dropped), which are streamed instead."""
        con = self.mem
        con.execute(_STAGE)
        groups: dict[str, list[int]] = {}
        for k, item in enumerate(batch):
            groups.setdefault(item.compression, []).append(k)
        refused: list[int] = []
        for compression, ks in groups.items():
            refused.extend(self._fast(batch, ks, compression))
        refused.extend(self._dropped(batch, [k for k in range(len(batch)) if k not in refused]))
        staged: dict[int, _Staged] = {k: _Staged() for k in range(len(batch)) if k not in refused}
        for k, n, bad, first, last in con.execute(
            "SELECT file_id, count(event), count(*) - count(event), min(ts), max(ts) FROM stage GROUP BY file_id"
        ).fetchall():
            s = staged[k]
            s.events, s.bad, s.first, s.last = n, bad, first, last
        return staged, sorted(refused)

    def _fast(self, batch: list[Item], ks: list[int], compression: str) -> list[int]:
        """Stage files ``ks`` through DuckDB's CSV reader; the files it cannot read are returned."""
        con = self.mem
        con.execute("CREATE OR REPLACE TEMP TABLE batch_files (file_id BIGINT, path VARCHAR)")
        con.executemany("INSERT INTO batch_files VALUES (?, ?)", [[k, str(batch[k].path)] for k in ks])
        try:
            con.execute(
                classify.classify_insert(classify.csv_lines(FAST_MAX_LINE, compression), "stage", attributes=True),
                {"paths": [str(batch[k].path) for k in ks]},
            )
            return []
        except duckdb.InterruptException:
            raise
        except duckdb.OutOfMemoryException:
            # Too much for memory at once: halves are tried on their own, and a single file is streamed: the line
            # reader reads it in bounded pieces and stops a gzip bomb whose trailer lies about its size (DuckDB's
            # reader trusts it). What is too much there too is a real capacity limit, said as such.
            if len(ks) == 1:
                return ks
            half = len(ks) // 2
            return self._fast(batch, ks[:half], compression) + self._fast(batch, ks[half:], compression)
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

    def _dropped(self, batch: list[Item], ks: list[int]) -> list[int]:
        """Files of which DuckDB's reader silently left out a line (it drops a file's last line when longer than
        its buffer, twice ``FAST_MAX_LINE``, with or without a newline; a longer line before the last is an error):
        the bytes of their staged lines fall short of the file's decompressed size (``items.measure``) by more
        than a line the fast path may hold, or pass it. Their staged rows are removed; they are streamed instead."""
        if not ks:
            return []
        seen = dict(
            self.mem.execute(
                "SELECT file_id, sum(line_bytes + 1) FROM stage WHERE file_id IN (SELECT unnest($ks::BIGINT[])) GROUP BY file_id",
                {"ks": ks},
            ).fetchall()
        )
        short = []
        for k in ks:
            staged = int(seen.get(k, 0))
            # Short by more than a line: reread; a few bytes over is a last line without its newline. Every file
            # here has its exact size (``items.measure``); the trailer's (``% 2**32``) only if it could not be counted.
            if batch[k].exact:
                missing = batch[k].expected - staged
                dropped = missing > FAST_MAX_LINE or missing < -OVER
            else:
                missing = (batch[k].expected - staged) % (1 << 32)
                dropped = FAST_MAX_LINE < missing < (1 << 32) - FAST_MAX_LINE
            bomb = batch[k].compression == "gzip" and staged > archive.expansion_limit(batch[k].size)
            if dropped or bomb:
                short.append(k)
        if short:
            self.mem.execute("DELETE FROM stage WHERE file_id IN (SELECT unnest($ks::BIGINT[]))", {"ks": short})
        return short

    # -- under the lock: one short transaction -----------------------------------------------------

    def _present(self, con: duckdb.DuckDBPyConnection, items: Sequence[Item]) -> set[str]:
        """The SHA-256 of ``items`` the store holds (another load may have added them since this one began)."""
        found = con.execute("SELECT sha256 FROM files WHERE sha256 IN (SELECT unnest($shas::VARCHAR[]))", {"shas": [i.sha for i in items]})
        return {r[0] for r in found.fetchall()}

    def _commit(self, batch: list[Item], staged: dict[int, _Staged]) -> list[FileResult]:
        """The staged files of ``batch`` into the store, in one short transaction."""
        results: list[FileResult] = []
        if not staged:
            return results
        with self._transaction() as con:
            present = self._present(con, [batch[k] for k in staged])
            todo = [(k, batch[k]) for k in staged if batch[k].sha not in present]
            results += [FileResult(batch[k].key, "already_loaded") for k in staged if batch[k].sha in present]  # loaded meanwhile
            if todo:
                replaced = _drop_old_versions(con, [item for _, item in todo])
                fids = [r[0] for r in con.execute("SELECT nextval('file_ids') FROM range(?)", [len(todo)]).fetchall()]
                _insert_files(con, [(fid, item, staged[k]) for fid, (k, item) in zip(fids, todo)])
                for k, item in todo:
                    s = staged[k]
                    results.append(
                        FileResult(item.key, "damaged" if s.damage else "loaded", s.events, s.bad, s.damage, replaced=item.key in replaced)
                    )
                con.execute(
                    "CREATE OR REPLACE TEMP TABLE file_map AS SELECT unnest($k::BIGINT[]) AS k, unnest($fid::BIGINT[]) AS fid",
                    {"k": [k for k, _ in todo], "fid": fids},
                )
                (top,) = one_row(con, "SELECT coalesce(max(seq), 0) FROM events")
                _copy_staged(con, top + 1)
        self._yield_to_readers()
        return results

    def _stream(self, item: Item, piece: int) -> tuple[FileResult, int]:
        """One file streamed (module docstring): ``LineReader.blocks`` of about ``piece`` bytes, each staged and
        copied into the store in the file's one transaction; the result and the number of pieces. A piece
        DuckDB's CSV reader could refuse (not UTF-8, a line over ``FAST_MAX_LINE``) is split by SQL instead; one it
        refused after all aborts the transaction, and the file is read again with every piece split so."""
        try:
            return self._stream_file(item, piece, csv=True)
        except _Refused:
            return self._stream_file(item, piece, csv=False)

    def _stream_file(self, item: Item, piece: int, csv: bool) -> tuple[FileResult, int]:
        with self._transaction() as con:
            if self._present(con, [item]):
                return FileResult(item.key, "already_loaded"), 0
            replaced = bool(_drop_old_versions(con, [item]))
            (fid,) = one_row(con, "SELECT nextval('file_ids')")
            con.execute("CREATE OR REPLACE TEMP TABLE file_map AS SELECT 0::BIGINT AS k, ?::BIGINT AS fid", [fid])
            (top,) = one_row(con, "SELECT coalesce(max(seq), 0) FROM events")
            staged, pieces = _Staged(), 0
            reader = archive.LineReader(item.path, compression=item.compression)
            with pieces_ahead(reader, piece, self.tmp, FAST_MAX_LINE if csv else 0) as ahead:
                for path, text in ahead:
                    con.execute(_STAGE)
                    if path is not None:
                        try:
                            insert = classify.classify_insert(classify.csv_piece(FAST_MAX_LINE), "stage", attributes=True)
                            con.execute(insert, {"path": path})
                        except (duckdb.OutOfMemoryException, duckdb.InterruptException):
                            raise
                        except duckdb.Error as e:
                            if "no space left" in str(e).lower():
                                raise
                            raise _Refused() from e
                    else:
                        con.execute(classify.classify_insert(classify.TEXT_BLOCK, "stage", attributes=True), {"file_id": 0, "text": text})
                    # a table made in a transaction numbers its rows from 2**55 up: seq counts from its first
                    low, high, n, bad, first, last = one_row(
                        con, "SELECT min(rowid), max(rowid), count(event), count(*) - count(event), min(ts), max(ts) FROM stage"
                    )
                    if high is None:
                        continue
                    _copy_staged(con, top + 1 - low)
                    top += high - low + 1
                    pieces += 1
                    staged.events, staged.bad = staged.events + n, staged.bad + bad
                    staged.first = first if staged.first is None or (first is not None and first < staged.first) else staged.first
                    staged.last = last if staged.last is None or (last is not None and last > staged.last) else staged.last
            staged.bad += len(reader.too_long)
            staged.damage = reader.damage
            _insert_files(con, [(fid, item, staged)])
            con.execute("DROP TABLE IF EXISTS temp.main.stage")
        self._yield_to_readers()
        status = "damaged" if staged.damage else "loaded"
        return FileResult(item.key, status, staged.events, staged.bad, staged.damage, replaced=replaced), pieces

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
        """A derived table's rebuild (``module``: ``store.statuses``, ``store.baseline`` or ``store.facts``) without holding the
        store while it is worked out (``store.statuses``' docstring): a token under the ``meta`` key ``key``;
        ``module.compute`` with the store attached read-only (readers open it meanwhile); ``module.install_steps``,
        each in one short transaction only while the token is still there (files changed meanwhile deleted it: their load
        rebuilds the table)."""
        token = os.urandom(8).hex()
        with self._transaction() as con:
            con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, token])
        self._detach()
        con = self.mem
        try:
            retrying(lambda: con.execute("ATTACH ? AS store (READ_ONLY)", [str(self.store)]), self.store, self.wait)
            try:
                con.execute("USE store")
                done = module.compute(con)
            finally:
                con.execute("USE memory")
                con.execute("DETACH store")
            if done:
                # one transaction per step (``store.facts`` installs in pieces: a waiting reader gets in between
                # two); each only while the token is there, the last one deleting it
                steps = module.install_steps(con)
                for n, step in enumerate(steps):
                    with self._transaction() as con:
                        current = con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone() == (token,)
                        if current:
                            step(con)
                        if not current or n == len(steps) - 1:
                            con.execute("DELETE FROM meta WHERE key = ?", [key])
                    if not current:
                        break
                    if n < len(steps) - 1:
                        self._yield_to_readers()
        finally:
            module.drop(con)

    def _merge_keys(self, after: int) -> None:
        """After a load of several batches, its keys (events' ``seq`` above ``after``) are rewritten as one
        sorted run: a lookup then reads one or two row groups of this load's keys instead of one or two per
        batch (measured on a 10M-event day: ~2 ms instead of 15-30 ms per id). It goes an id range at a time
        (~``MERGE_KEYS`` keys), in id order, one short transaction each, letting waiting readers in between
        as batches do: at every commit each event's keys are there exactly once."""
        con = self._attach()
        (count,) = one_row(con, "SELECT count(*) FROM keys WHERE seq > ?", [after])
        if not count:
            return
        pieces = -(-int(count) // MERGE_KEYS)
        sample = sorted(
            r[0]
            for r in con.execute(f"SELECT id FROM keys WHERE seq > ? USING SAMPLE {min(100 * pieces, 100_000)} ROWS", [after]).fetchall()
        )
        bounds = sorted({sample[len(sample) * k // pieces] for k in range(1, pieces)}) if sample else []
        for lo, hi in zip(["", *bounds], [*bounds, None]):
            with self._transaction() as con:
                (top,) = one_row(con, "SELECT coalesce(max(rowid), -1) FROM keys")
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
                wanted = EXAMPLES - len(report.examples)
                scan = archive.scan(self._files[result.path], keep_records=False, keep_bad=wanted, stop_after_bad=True)
                report.examples.extend(archive.BadLine(result.path, b.line, b.reason) for b in scan.bad[:wanted])


class _Refused(Exception):
    """DuckDB's CSV reader refused a piece of a streamed file (the file's transaction is rolled back)."""


def _insert_files(con: duckdb.DuckDBPyConnection, rows: Sequence[tuple[int, Item, _Staged]]) -> None:
    """The ``files`` rows of files committed in the caller's transaction."""
    values = [(fid, i.sha, i.key, i.size, s.events, s.bad, s.damage, s.first, s.last) for fid, i, s in rows]
    columns = ["fid", "sha", "key", "size", "events", "bad", "damage", "first", "last"]
    con.execute(
        "INSERT INTO files SELECT fid, sha, key, size, events, bad, damage, now(), first, last "
        f"FROM (SELECT {', '.join(f'unnest(${c}) AS {c}' for c in columns)})",
        {c: list(v) for c, v in zip(columns, zip(*values))},
    )


def _copy_staged(con: duckdb.DuckDBPyConnection, base: int) -> None:
    """The staged rows (``file_map`` naming their files) into every table that holds them, numbered from ``base``;
    the kept statuses out of date until the load's end rebuilds them. In the caller's transaction."""
    con.execute(sql.EVENTS_INSERT, {"base": base})
    con.execute(sql.KEYS_INSERT, {"base": base})
    con.execute(sql.ERRORS_INSERT, {"base": base})
    for statement in sql.STATUS_INSERTS:
        con.execute(statement)
    con.execute(sql.ATTRIBUTES_INSERT)
    con.execute(sql.STATUSES_INVALIDATE)


def load(store: Path, paths: Sequence[str | os.PathLike[str]], *, wait: float = 10.0, progress: Progress | None = None) -> LoadReport:
    """Load archive files and folders into the store at ``store`` (created if missing)."""
    loader = Loader(store, wait)
    try:
        report = loader.load(paths, progress)
        changed = any(f.status in ("loaded", "damaged") for f in report.files)  # files added or replaced
        rebuild_derived(loader, report, baseline=changed)
        return report
    finally:
        loader.close()


def rebuild_derived(target: Loader | duckdb.DuckDBPyConnection, report: LoadReport | None, *, baseline: bool) -> None:
    """After files were committed: the kept statuses when out of date (``store.statuses``), and the fleet
    baseline when ``baseline`` (the fleet changed), on the store a ``Loader`` (a load's or a sync's end) or a
    connection (a removal) writes to. A loader of a store of ``DETACHED_EVENTS`` or more works both out
    without holding the store (``Loader._rebuild_detached``; ~3 s and ~12 s at 10M events), and lets a waiting
    reader in between them. Either running out of memory leaves the committed load done: the statuses stay
    unused (readers walk ``links``), the baseline error is reported (``baseline_error``)."""
    from . import baseline as fleet_baseline
    from . import statuses

    loader = target if isinstance(target, Loader) else None
    con = target._attach() if isinstance(target, Loader) else target
    # A small store is rebuilt in place: quicker than letting go of it, and every let-go checkpoints (a fresh
    # store of one event grew from 2.6 to 3.2 MB with the two more checkpoints). ``detached``: the loader that
    # works them out without holding the store, or None.
    detached = loader if loader is not None and one_row(con, "SELECT count(*) FROM events")[0] >= DETACHED_EVENTS else None
    if not statuses.is_current(con):
        try:
            if detached:
                detached._rebuild_detached(statuses.PENDING, statuses)
            else:
                statuses.rebuild(con)
        except duckdb.OutOfMemoryException:
            pass  # same answers, read the slower way; the next load tries again
    if baseline:
        try:
            _after_readers(loader, detached, con, statuses.BASELINE_PENDING, fleet_baseline)
        except duckdb.OutOfMemoryException:  # the files are committed; only the derived baseline is not
            if report is None:
                raise
            report.baseline_error = f"out of memory with COCO_MEMORY_LIMIT={memory_limit()}"
    rebuild_facts(loader, con)


def rebuild_facts(loader: Loader | None, con: duckdb.DuckDBPyConnection) -> None:
    """The kept per-delivery facts (``store.facts``) when out of date, the statuses' way (worked out without holding
    the store from ``FACTS_DETACHED_EVENTS``): only the deliveries the changed files can change (``facts.changed``),
    all of them when the store has no record of what the kept ones came from. Out of memory they stay unused
    (``coco compare`` works them out from the rows) until the next load tries again."""
    from . import facts

    current = loader._attach() if loader else con
    if facts.lookback(current) is not None:
        return
    events = one_row(current, "SELECT count(*) FROM events")[0]
    detached = loader if loader is not None and events >= FACTS_DETACHED_EVENTS else None
    try:
        _after_readers(loader, detached, con, facts.PENDING, facts)
    except duckdb.OutOfMemoryException:
        pass


def _after_readers(loader: Loader | None, detached: Loader | None, con: duckdb.DuckDBPyConnection, pending: str, module: Any) -> None:
    """``module``'s kept table worked out again once a waiting reader had its turn: without holding the store
    (``detached``, under the ``meta`` token ``pending``) or in place."""
    if loader:
        loader._yield_to_readers()
    if detached:
        detached._rebuild_detached(pending, module)
    else:
        module.rebuild(loader._attach() if loader else con)


DETACHED_EVENTS = 1_000_000  # from this many events a load works the derived tables out without holding the store
FACTS_DETACHED_EVENTS = 100_000  # and the kept facts from this many (a reader waits 2-10 s at most)
