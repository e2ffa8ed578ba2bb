"""coco's temporary folders: in one known place, named after their process, the stale ones removed.

A load parses a big file's pieces and lets DuckDB spill in a folder of its own (``store.loader``); an S3 load or sync
downloads objects into another (``store.s3_sync``). Each removes its folder when it ends, even by an interrupt; a
process killed with SIGKILL (or by the out-of-memory killer) cannot, and its downloads stayed behind in the system's
temporary folder, one folder per kill. So every folder is made under ``$XDG_CACHE_HOME/coco/tmp/`` (the system's
temporary folder only when that cannot be created), named ``coco-<kind>-<pid>-<host>-<random>``, and making one first
removes those of this host whose process is gone: the next run cleans up after a killed one.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import stat
import tempfile
from pathlib import Path

from .config import cache_home

_NAME = re.compile(r"^coco-[a-z0-9]+-(\d+)-([A-Za-z0-9.]+)-[a-z0-9_]+$")


def scratch_root() -> Path:
    """Where coco's temporary folders live: ``$XDG_CACHE_HOME/coco/tmp`` (``~/.cache/coco/tmp``)."""
    return cache_home() / "tmp"


def _host() -> str:
    """This machine's name as a folder name holds it (a cache folder shared by machines: each cleans its own)."""
    return re.sub(r"[^A-Za-z0-9.]", "_", socket.gethostname())[:60] or "host"


def make_scratch(kind: str) -> str:
    """A new empty folder for this process's ``kind`` of temporary files (``load``, ``s3``), after removing the
    stale ones (``remove_stale``). The caller removes it when done."""
    prefix = f"coco-{kind}-{os.getpid()}-{_host()}-"
    root = scratch_root()
    try:
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        remove_stale(root)
        return tempfile.mkdtemp(prefix=prefix, dir=root)
    except OSError:  # no writable cache folder (HOME under a file, read-only): the system's, as before
        system = Path(tempfile.gettempdir())
        remove_stale(system)
        return tempfile.mkdtemp(prefix=prefix)


def remove_stale(root: Path) -> list[str]:
    """Remove coco's temporary folders in ``root`` whose process is gone (this host's, this user's); their names."""
    removed: list[str] = []
    host, uid = _host(), os.getuid()
    try:
        entries = list(os.scandir(root))
    except OSError:
        return removed
    for entry in entries:
        m = _NAME.match(entry.name)
        if m is None or m.group(2) != host:
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != uid or _alive(int(m.group(1))):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        removed.append(entry.name)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # another user's process (or a pid beyond the system's): not ours to judge
    return True
