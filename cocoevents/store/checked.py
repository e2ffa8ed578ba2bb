"""Stores a reader found clean, remembered by the identity of their files, so the next reader skips the catalog read.

The check against crafted stores (``connection.refuse_foreign``) reads the store's catalog; DuckDB has one catalog
function that lists macros, ``duckdb_functions()``, and it lists every built-in function as well, whatever the
filter (50-100 ms a command). A store does not change between two readers unless something writes to it, and
every write changes the file's identity as the kernel keeps it: device, inode, size, modification and change time
(the change time no user can set back). A read-only connection also replays the store's ``.wal``, so its identity
(or its absence) is part of the store's.

So a reader that found a store clean remembers its identity under ``$XDG_CACHE_HOME/coco/checked/`` (one small
file per store file, named by its device and inode), and the next reader whose store has exactly that identity,
the same before and after DuckDB opened it, takes the answer instead of reading the catalog again. Anything else -
another file at the path, a write, a ``.wal`` that came or went, a memo coco cannot read or write - means the
catalog is read as before. A file changed within ``SETTLE_NS`` of the check is not remembered: a file system with
coarse times could give a second write within the same tick the same times (git's "racy" files). What this trusts
is the file system's word on those times: a store on a file system someone else serves is checked as they report.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Optional

from .config import cache_home

Identity = tuple[int, ...]

SETTLE_NS = 2_000_000_000


def _cache_folder() -> Path:
    return cache_home() / "checked"


def identity(path: Path | str) -> Optional[Identity]:
    """The identity of the store file at ``path`` and of its ``.wal`` (zeros when it has none); ``None`` when the
    store cannot be looked at."""
    try:
        s = os.stat(path)
    except OSError:
        return None
    try:
        w = os.stat(f"{path}.wal")
        wal: Identity = (1, w.st_dev, w.st_ino, w.st_size, w.st_mtime_ns, w.st_ctime_ns)
    except FileNotFoundError:
        wal = (0, 0, 0, 0, 0, 0)
    except OSError:
        return None
    return (s.st_dev, s.st_ino, s.st_size, s.st_mtime_ns, s.st_ctime_ns, *wal)


def _memo(ident: Identity) -> Path:
    return _cache_folder() / f"{ident[0]}-{ident[1]}"


def _text(ident: Identity) -> str:
    return " ".join(map(str, ident))


def known_clean(before: Optional[Identity], after: Optional[Identity]) -> bool:
    """Whether the store DuckDB opened (its identity ``before`` and ``after`` the open) was found clean by an
    earlier reader."""
    if before is None or before != after:
        return False
    try:
        return _memo(before).read_text() == _text(before)
    except (OSError, UnicodeDecodeError):
        return False


def remember_clean(before: Optional[Identity], after: Optional[Identity]) -> None:
    """Remember that a store was found clean (its catalog read through a connection opened after ``before``, and
    ``after`` taken once the catalog was read); nothing when the file changed meanwhile or too recently, or the
    memo cannot be written."""
    if before is None or before != after:
        return
    now = time.time_ns()
    if now - max(before[3], before[4], before[9], before[10]) < SETTLE_NS:
        return
    memo = _memo(before)
    try:
        memo.parent.mkdir(parents=True, exist_ok=True)
        part = memo.with_name(f"{memo.name}.{os.getpid()}")
        part.write_text(_text(before))
        os.replace(part, memo)
    except OSError:
        pass
