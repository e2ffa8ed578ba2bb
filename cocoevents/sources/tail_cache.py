"""The ``--fresh`` tail kept on disk between calls, so a repeat downloads and loads nothing.

Every ``--fresh`` question lists the ``dt=`` folders of its days and loads the objects the warehouse's load log
does not list yet (``sources.fresh``). Those objects are kept under ``$XDG_CACHE_HOME/coco/tail/`` (default
``~/.cache/coco/tail``), each keyed by its bucket, key and ETag: an object the listing shows with the ETag of an
entry is read from the disk, one whose ETag changed (rewritten in S3) is downloaded again under its new ETag.

The warehouse's answers of the last call are kept there too (``KeptAnswers``, one file per warehouse table): a
repeat while the COPY job's load log is as it was answers the warehouse's statements from them. The tail's answers
go in the same file, keyed by the tail as listed (``fresh.KeptTail``): a repeat over the same objects opens no store.

The last tail loaded is kept there too, as a store (``tail.duckdb``, ``TailCache.kept_store``): the next call takes
out of it every file that is not one of its tail's objects as listed now (COPYed since, rewritten in S3 or of other
days) and loads only the objects it lacks (``TailCache.prune``), so a repeat loads nothing. One process at a time
uses it (a lock held while it answers, ``TailCache.lock_store``); another, meanwhile, loads its tail into a store of
its own, from the cached objects. A kept store that cannot be read is removed and made again.

Guarantees:

- An entry is its bytes (``<name>.obj``) and a record of them (``<name>.json``: bucket, key, ETag, size,
  SHA-256), each written to a temporary file and renamed into place, bytes first; an entry whose bytes do not
  match its record's size and SHA-256 (cut short, changed on disk) is treated as absent, removed and fetched
  again. The bytes checked are the bytes served (one open file).
- The folder is made with mode 0700. One owned by another user, writable by group or others, or a symbolic
  link is not used (one warning line; the tail is then downloaded as without a cache), as the config file is
  refused.
- Kept warehouse answers are reused only while the load log's watermark (its row count and latest ``loaded_at``,
  which the COPY job changes in the transaction that inserts the rows) is the one they were read with, and for at
  most ``ANSWERS_MAX_AGE_US``; the file holds statements, their parameters (ids, times) and rows, never a setting
  or a credential, and is written like an entry (mode 0600 in the 0700 folder).
- The cache holds at most ``COCO_TAIL_CACHE_MB`` (default 512; ``0`` turns it off) of objects: after each
  sync the least recently used entries go first (an entry read is marked used).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Iterator, Optional, Sequence

from ..errors import CocoError
from ..store.config import cache_home
from ..textsafe import say

DEFAULT_LIMIT_MB = 512
CHUNK = 1 << 20
STORE = "tail.duckdb"
LOCK = "tail.lock"
# Kept warehouse answers are reused for at most this long after the call that made them: their statements' lookback
# window is that call's (``KeptAnswers``).
ANSWERS_MAX_AGE_US = 15 * 60 * 1_000_000
# A call whose warehouse answers come to more than this (as JSON) keeps none.
ANSWERS_MAX_BYTES = 32 << 20


def limit_bytes() -> int:
    """``COCO_TAIL_CACHE_MB`` in bytes (default ``DEFAULT_LIMIT_MB``; 0: no cache); a bad value is the default."""
    value = os.environ.get("COCO_TAIL_CACHE_MB", "").strip()
    try:
        mb = int(value) if value else DEFAULT_LIMIT_MB
    except ValueError:
        mb = DEFAULT_LIMIT_MB
    return max(0, mb) << 20


def cache_folder() -> Path:
    return cache_home() / "tail"


def refusal(folder: Path) -> Optional[str]:
    """Why ``folder`` must not hold the cache (another user's, writable by others, a link), or ``None``."""
    st = os.lstat(folder)
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
        return f"tail cache {folder} is not a plain folder: not used"
    me = os.getuid()
    if st.st_uid != me:
        return f"tail cache {folder} belongs to user {st.st_uid}, not to you ({me}): not used"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"tail cache {folder} is writable by others (mode {stat.S_IMODE(st.st_mode):o}): not used; run 'chmod 700 {folder}'"
    return None


@dataclass(frozen=True)
class Entry:
    bucket: str
    key: str
    etag: str
    size: int
    sha256: str


class TailCache:
    """The objects of ``folder`` (see the module docstring); ``open`` makes and checks the folder."""

    def __init__(self, folder: Path, limit: int) -> None:
        self.folder = folder
        self.limit = limit

    @classmethod
    def open(cls, folder: Optional[Path] = None, limit: Optional[int] = None) -> Optional[TailCache]:
        """The cache, or ``None`` (off, or its folder refused: said on stderr) - the tail is then downloaded."""
        limit = limit_bytes() if limit is None else limit
        if limit <= 0:
            return None
        folder = cache_folder() if folder is None else folder
        try:
            folder.parent.mkdir(parents=True, exist_ok=True)
            try:
                folder.mkdir(mode=0o700)
                os.chmod(folder, 0o700)
            except FileExistsError:
                pass
            why = refusal(folder)
        except OSError as e:
            why = f"tail cache {folder} cannot be made ({e.strerror or e}): not used"
        if why is not None:
            say(f"coco: warning: {why}")
            return None
        return cls(folder, limit)

    @staticmethod
    def name(bucket: str, key: str, etag: str) -> str:
        return hashlib.sha256(f"{bucket}\0{key}\0{etag}".encode()).hexdigest()

    def _paths(self, name: str) -> tuple[Path, Path]:
        return self.folder / f"{name}.obj", self.folder / f"{name}.json"

    def get(self, bucket: str, key: str, etag: str) -> Optional[tuple[IO[bytes], Entry]]:
        """The entry's bytes, open at their start, and its record; ``None`` when absent or not matching."""
        data, meta = self._paths(self.name(bucket, key, etag))
        try:
            entry = Entry(**json.loads(meta.read_text(encoding="utf-8")))
            fh = data.open("rb")
        except (OSError, ValueError, TypeError):
            return None
        if (entry.bucket, entry.key, entry.etag) != (bucket, key, etag) or not self._matches(fh, entry):
            fh.close()
            self._remove(data, meta)
            return None
        fh.seek(0)
        now = time.time()
        try:
            os.utime(meta, (now, now))  # used: the last to go
        except OSError:
            pass
        return fh, entry

    @staticmethod
    def _matches(fh: IO[bytes], entry: Entry) -> bool:
        digest, size = hashlib.sha256(), 0
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
        return size == entry.size and digest.hexdigest() == entry.sha256

    def put(self, entry: Entry, source: Path) -> None:
        """Keep a copy of ``source`` (the object's bytes, already checked against ``entry``) under the entry."""
        data, meta = self._paths(self.name(entry.bucket, entry.key, entry.etag))
        try:
            with source.open("rb") as src:
                self._write(data, src)
            self._write(meta, io.BytesIO(json.dumps(entry.__dict__).encode()))
        except OSError:
            pass  # a full disk or a vanished folder: the object is simply not kept

    def _write(self, path: Path, body: IO[bytes]) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as fh:
                shutil.copyfileobj(body, fh, CHUNK)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    @staticmethod
    def _remove(*paths: Path) -> None:
        for p in paths:
            try:
                p.unlink()
            except OSError:
                pass

    # -- the last tail, loaded: a store kept between calls ----------------------------------------------------

    @property
    def kept_store(self) -> Path:
        return self.folder / STORE

    def lock_store(self) -> Optional[IO[bytes]]:
        """The kept store's lock, held until the returned file is closed; ``None`` when another process holds it
        (or it cannot be made): the caller then loads its tail into a store of its own."""
        import fcntl

        try:
            fh = open(self.folder / LOCK, "ab")
        except OSError:
            return None
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            return None
        return fh

    def kept_source(self, bucket: str, tail: Sequence[Any]) -> Any:
        """The kept store opened to read (a ``LocalSource``) when it holds exactly ``tail``'s objects as listed
        (``S3Object``: key, ETag, size) - a repeat: nothing to take out or load; else ``None``."""
        if not self.kept_store.exists():
            return None
        import duckdb

        from .local import LocalSource

        source = None
        try:
            source = LocalSource(self.kept_store, wait=0.0)
            gone, missing = _differences(source.con, bucket, tail)
        except (duckdb.Error, CocoError, OSError):
            gone, missing = [-1], True
        if gone or missing:
            if source is not None:
                source.close()
            return None
        return source

    def prune(self, bucket: str, tail: Sequence[Any]) -> bool:
        """Take out of the kept store (its lock held) every file that is not one of ``tail``'s objects with the ETag
        and size listed now: objects the COPY job has loaded since, rewritten in S3, or of other days. Whether the
        store then holds every object of ``tail`` (nothing to load). A store that cannot be opened or read (damaged,
        not a store) is removed: the sync makes it again."""
        store = self.kept_store
        if not store.exists():
            return False
        import duckdb

        from ..store.connection import connect
        from ..store.files import delete_files
        from ..store.loader import rebuild_derived

        try:
            con = connect(store, read_only=False, wait=0.0)
            try:
                gone, missing = _differences(con, bucket, tail)
                if gone:
                    con.execute("BEGIN TRANSACTION")
                    try:
                        delete_files(con, gone)
                        con.execute("COMMIT")
                    except BaseException:
                        con.execute("ROLLBACK")
                        raise
                    rebuild_derived(con, None, baseline=False)
                return not missing
            finally:
                con.close()
        except (duckdb.Error, CocoError, OSError):
            self._remove(store, store.with_name(store.name + ".wal"))
            return False

    def entries(self) -> list[tuple[float, int, str]]:
        """``(last used, bytes, name)`` of every entry, least recently used first."""
        out = []
        for meta in self.folder.glob("*.json"):
            try:
                used = meta.stat().st_mtime
                size = (self.folder / f"{meta.stem}.obj").stat().st_size
            except OSError:
                continue
            out.append((used, size, meta.stem))
        return sorted(out)

    def trim(self) -> int:
        """Remove the least recently used entries until at most ``limit`` bytes are kept; returns how many went."""
        listed = self.entries()
        total = sum(size for _, size, _ in listed)
        gone = 0
        for _, size, name in listed:
            if total <= self.limit:
                break
            self._remove(*reversed(self._paths(name)))  # the record first: bytes without one are never read
            total -= size
            gone += 1
        return gone


class KeptAnswers:
    """The warehouse's answers of one call, kept for the next (``--fresh``): each statement run (its SQL and
    parameters) with the rows it returned, read in one read-only transaction together with the load log's
    ``watermark``. A later call reads the watermark first (one cheap statement); while it is unchanged, no COPY has
    committed since, and the warehouse's rows are the ones these answers were read from. The statements of a call
    without ``--since`` are bounded by a lookback window that moves with ``now``: a call that reuses the answers
    takes their ``now`` for the warehouse (``now``), so it asks the same statements, and does so for at most
    ``ANSWERS_MAX_AGE_US`` (the window's start is then at most that much earlier than the call's own)."""

    def __init__(self, cache: TailCache, path: Path, watermark: list[Any], now: int, rows: Optional[dict[str, list[Any]]] = None) -> None:
        self.cache, self.path, self.watermark, self.now = cache, path, watermark, now
        self.rows: dict[str, list[Any]] = rows if rows is not None else {}
        self.reused = rows is not None  # read from the file: the warehouse's ``now`` is theirs
        self.added = False
        self.hits = 0  # statements answered from them

    @classmethod
    def open(cls, cache: TailCache, identity: Sequence[Any], watermark: Sequence[Any], now: int) -> KeptAnswers:
        """The kept answers of the warehouse table ``identity`` (its connection and table settings, hashed into the
        file name) when read with ``watermark`` at most ``ANSWERS_MAX_AGE_US`` before ``now``; else none, at ``now``
        (replacing the file when saved)."""
        path = cache.folder / f"{hashlib.sha256(json.dumps(list(identity), default=str).encode()).hexdigest()}.answers"
        mark = json.loads(json.dumps(list(watermark), default=_encoded))
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data["watermark"] == mark and 0 <= now - int(data["now"]) <= ANSWERS_MAX_AGE_US and isinstance(data["rows"], dict):
                return cls(cache, path, mark, int(data["now"]), data["rows"])
        except (OSError, ValueError, TypeError, KeyError):
            pass
        return cls(cache, path, mark, now)

    @staticmethod
    def key(sql: str, params: Sequence[Any]) -> str:
        return hashlib.sha256(json.dumps([sql, list(params)], default=_encoded).encode()).hexdigest()

    def get(self, sql: str, params: Sequence[Any]) -> Optional[list[tuple[Any, ...]]]:
        """The rows ``sql`` with ``params`` returned when kept, else ``None``."""
        kept = self.recall(sql, params)
        if kept is None:
            return None
        self.hits += 1
        return [tuple(_decoded(v) for v in row) for row in kept]

    def put(self, sql: str, params: Sequence[Any], rows: Sequence[Sequence[Any]]) -> None:
        """Keep the rows of a statement run (not when a value is of a type not kept: the statement runs again)."""
        self.keep([list(r) for r in rows], sql, params)

    def recall(self, question: str, params: Sequence[Any]) -> Any:
        """The JSON value kept for ``question`` with ``params`` (a statement, or a question of the tail:
        ``fresh.KeptTail``), else ``None``."""
        try:
            return self.rows.get(self.key(question, params))
        except (TypeError, ValueError):
            return None

    def keep(self, value: Any, question: str, params: Sequence[Any]) -> None:
        """Keep ``value`` (made of JSON types, times as ``_encoded`` says) as the answer to ``question`` with
        ``params``; a value or a parameter of another type is not kept (the question is asked again)."""
        try:
            encoded = json.loads(json.dumps(value, default=_encoded))
            self.rows[self.key(question, params)] = encoded
        except (TypeError, ValueError):
            return
        self.added = True

    def save(self) -> None:
        """Write the answers when the call added some (a file at most ``ANSWERS_MAX_BYTES``; else the old one goes)."""
        if not self.added:
            return
        body = json.dumps({"watermark": self.watermark, "now": self.now, "rows": self.rows}).encode()
        try:
            if len(body) > ANSWERS_MAX_BYTES:
                self.path.unlink(missing_ok=True)
            else:
                self.cache._write(self.path, io.BytesIO(body))
        except OSError:
            pass  # a full disk or a vanished folder: the answers are simply not kept
        self.added = False


def _encoded(value: Any) -> Any:
    """A warehouse value JSON cannot hold as itself: a time (``datetime``, ``date``) as a tagged text."""
    from datetime import date, datetime

    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    raise TypeError(f"not kept: {type(value).__name__}")


def _decoded(value: Any) -> Any:
    from datetime import date, datetime

    if isinstance(value, dict):
        if "datetime" in value:
            return datetime.fromisoformat(value["datetime"])
        if "date" in value:
            return date.fromisoformat(value["date"])
    return value


def _differences(con: Any, bucket: str, tail: Sequence[Any]) -> tuple[list[int], bool]:
    """The files of a tail store that are not one of ``tail``'s objects as listed (key, ETag and size: the object
    each was loaded as, ``s3_objects``), and whether some object of ``tail`` is not loaded."""
    listed = {f"s3://{bucket}/{o.key}": (o.etag, o.size) for o in tail}
    rows = con.execute(
        "SELECT f.file_id, o.name, o.etag, o.bytes FROM files AS f LEFT JOIN s3_objects AS o ON o.sha256 = f.sha256"
    ).fetchall()
    current = [(fid, name) for fid, name, etag, size in rows if name is not None and listed.get(name) == (etag, size)]
    kept = {fid for fid, _ in current}
    return sorted({fid for fid, *_ in rows} - kept), not {name for _, name in current} >= set(listed)


class _CachedBody:
    """A cached object's bytes as botocore's streaming body offers them to ``store.s3_sync``."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh

    def iter_chunks(self, chunk_size: int = CHUNK) -> Iterator[bytes]:
        try:
            yield from iter(lambda: self.fh.read(chunk_size), b"")
        finally:
            self.fh.close()

    def close(self) -> None:
        self.fh.close()


class CachingClient:
    """The S3 client the tail is synced with: ``get_object`` of an object listed with the ETag of a cache entry
    answers from the entry; any other is S3's answer, and ``keep`` (the sync's ``on_fetched``) stores what was
    downloaded. Everything else is the client's own."""

    def __init__(self, s3: Any, cache: TailCache, bucket: str, etags: dict[str, str]) -> None:
        self.s3, self.cache, self.bucket, self.etags = s3, cache, bucket, etags
        self.served: set[str] = set()  # keys answered from the cache
        self.downloaded = 0

    def get_object(self, **kwargs: Any) -> Any:
        key, etag = kwargs.get("Key", ""), self.etags.get(kwargs.get("Key", ""))
        hit = self.cache.get(self.bucket, key, etag) if etag and kwargs.get("Bucket") == self.bucket else None
        if hit is not None:
            fh, entry = hit
            self.served.add(key)
            return {"Body": _CachedBody(fh), "ETag": f'"{entry.etag}"', "ContentLength": entry.size}
        self.downloaded += 1
        return self.s3.get_object(**kwargs)

    def keep(self, fetched: Any) -> None:
        """``sync_objects``' ``on_fetched``: a downloaded object (its bytes hashed as they came) into the cache,
        under the ETag S3 answered with."""
        key = fetched.obj.key
        if fetched.vanished or key in self.served or not fetched.etag:
            return
        self.cache.put(Entry(self.bucket, key, fetched.etag, fetched.size, fetched.sha), Path(fetched.path))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.s3, name)
