"""Where a store lives and how every connection to it is set up: the default paths (``COCO_STORE``,
``$XDG_DATA_HOME/coco``), DuckDB's connection configuration, and the knobs read from the environment
(``COCO_MEMORY_LIMIT``, ``COCO_WAIT``, ``COCO_BATCH_MB``), each validated here once.

Imports nothing heavy (no DuckDB): the ``coco`` script reads ``CONNECTION_CONFIG`` before the command line loads.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from ..archive import lines as archive
from ..errors import UsageError
from ..textsafe import for_terminal

# Large transactions let DuckDB write whole compressed row groups straight to the file; many small
# commits leave partial row groups that the checkpoint rewrites (measured: 256 MB batches made the 1M-event
# load ~1.5x slower and its file 70% larger than 512 MB ones). A batch is also the longest a reader waits.
# Counted in decompressed bytes (gzip/zstd: 8x the file size, so ~64 MiB of gzip); COCO_BATCH_MB changes it
# (tests use small batches to see several commits).
BATCH_MB = 512
BATCH_FILES = 512
# A file that decompresses to more than a batch is streamed: read and copied a piece at a time, in the file's one
# transaction (``store.loader``), so a load holds a piece, not a file. Never more than a batch.
PIECE_MB = 32
MEMORY_LIMIT = "512MB"
READ_WAIT = 10.0
_MEMORY = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", re.I)
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


def cache_home() -> Path:
    """coco's folder of things it can make again: ``$XDG_CACHE_HOME/coco`` (``~/.cache/coco``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "coco"


def _data_home() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "coco"


def default_store_path() -> Path:
    """``--store`` / ``COCO_STORE`` / ``$XDG_DATA_HOME/coco/events.duckdb`` (timeline rules §9)."""
    env = os.environ.get("COCO_STORE")
    if env:
        return Path(env).expanduser()
    return _data_home() / "events.duckdb"


def demo_store_path() -> Path:
    """Where ``coco demo`` loads its sample day without ``--store``: a store of its own
    (``$XDG_DATA_HOME/coco/demo.duckdb``), so demo ids never mix into real timelines."""
    return _data_home() / "demo.duckdb"


def demo_in_place_of_default() -> Path | None:
    """The demo store, when a command that reads should read it: no store at the default path
    (``$XDG_DATA_HOME/coco/events.duckdb``) and a demo store beside it, so the first hour after ``coco demo``
    works without ``--store``. ``None`` otherwise. Only ``sources.resolve`` asks, and only when no store and no
    profile were named; the first ``coco load`` makes the default store, and from then on it is read."""
    default, demo = _data_home() / "events.duckdb", demo_store_path()
    if default.exists() or not demo.is_file():
        return None
    return demo


def stores_besides(path: Path) -> list[Path]:
    """The stores in coco's data folder (the default and the demo one) that exist and are not ``path``: where
    the data is, for the message of a store that is not there."""
    found = []
    for other in (_data_home() / "events.duckdb", demo_store_path()):
        try:
            if other.is_file() and other.resolve() != path.resolve():
                found.append(other)
        except OSError:
            pass
    return found


def check_store_path(path: str | os.PathLike[str]) -> Path:
    """A store is a plain file: in-memory and remote databases (``:memory:``, ``md:``, ``s3://``...)
    are usage errors, so nothing is "loaded" into a database that vanishes or lives elsewhere; and so is an
    existing path that is not a regular file with content (a FIFO, a device, a socket, an empty file), which
    coco never opens, replaces or deletes."""
    text = os.fspath(path)
    if not text.strip() or text.startswith(":memory:") or _SCHEME.match(text):
        raise UsageError(
            f"the store must be a file path, not {for_terminal(archive.path_text(text))!r} "
            "(in-memory and remote databases are not stores; for a file named so, write ./NAME)"
        )
    p = Path(text)
    shown = for_terminal(archive.path_text(text))
    try:
        st = p.stat()  # through a symlink: a link to a store is that store
    except OSError:
        if os.path.islink(p):
            raise UsageError(f"the store {shown} is a symlink to nothing: coco leaves it alone; choose another --store") from None
        return p  # missing (a writer creates it) or unreadable (the open says so)
    if stat.S_ISDIR(st.st_mode):
        raise UsageError(f"the store {shown} is a folder; name a file in it")
    if not stat.S_ISREG(st.st_mode):
        kind = _KINDS.get(stat.S_IFMT(st.st_mode), "a special file")
        raise UsageError(f"the store {shown} is {kind}, not a regular file: coco leaves it alone; choose another --store")
    if st.st_size == 0:
        # Never taken for a failed creation and replaced: coco removes a store it failed to create in the same
        # run (``connection.forget_created``); an empty file here is someone else's.
        raise UsageError(
            f"the store {shown} is an empty file, not a coco store: coco leaves it alone; "
            "remove it if a coco load was stopped while creating it, or choose another --store"
        )
    return p


_KINDS = {stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device", stat.S_IFSOCK: "a socket"}


def piece_bytes() -> int:
    """The decompressed bytes a streamed file is read in at a time: ``PIECE_MB``, at most a batch."""
    return int(min(PIECE_MB * 1024 * 1024, batch_bytes()))


def batch_bytes() -> int:
    value = os.environ.get("COCO_BATCH_MB", "").strip()
    try:
        mb = float(value) if value else BATCH_MB
    except ValueError:
        raise UsageError(f"COCO_BATCH_MB must be a number of MiB, not {value!r}") from None
    return max(1, int(mb * 1024 * 1024))
