"""Opening the store ahead of the command that reads it.

``coco timeline ID --store S`` spends ~0.1 s importing typer and coco's modules before it opens ``S``, and
opening a DuckDB file costs ~30-45 ms more (DuckDB sets up a database instance). ``cli.run`` starts that open
in a thread first (``start``), and ``store.local.open_store`` takes the connection when it is asked for the same
file read-only (``take``), so the two overlap on the machine's cores (~40 ms of a 0.3 s timeline).

The thread imports nothing of coco's (only DuckDB's C extension) and calls only ``connect``, with the one
configuration every coco connection uses: the main thread's imports never wait on it, and an answer it got for
another file, or no answer (no such file, a load holding the store), changes nothing: the command opens the
store itself as it always did, and says what is wrong. This module imports nothing heavy: the ``coco`` script
(``launch``) loads it before anything else.
"""

from __future__ import annotations

import os
import threading
from typing import Any, Optional

# Every connection coco opens: DuckDB never downloads or loads an extension by itself (a ``md:`` path or a
# SQLite file would otherwise fetch one). A second connection to a file in one process must use the same.
CONNECTION_CONFIG = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}

_pending: dict[str, Any] = {}


def _key(path: str) -> str:
    return os.path.realpath(path)


def start(path: str) -> bool:
    """Open ``path`` read-only in a thread when it is an existing plain file; whether a thread started."""
    if _pending or not os.path.isfile(path):
        return False

    def connect() -> None:
        try:
            from _duckdb import connect as duckdb_connect
        except ImportError:  # pragma: no cover - a duckdb without its C extension module
            from duckdb import connect as duckdb_connect
        try:
            _pending["con"] = duckdb_connect(path, read_only=True, config=dict(CONNECTION_CONFIG))
        except Exception:  # busy, damaged, not a database...: the command's own open says so
            pass

    _pending["key"] = _key(path)
    thread = _pending["thread"] = threading.Thread(target=connect, name="coco-open-ahead", daemon=True)
    thread.start()
    return True


def take(path: str) -> Optional[Any]:
    """The connection opened ahead to ``path`` (read-only, ``CONNECTION_CONFIG``), once; ``None`` when none was
    started, it failed, or it was for another file (then closed)."""
    thread = _pending.pop("thread", None)
    if thread is None:
        return None
    thread.join()
    key, con = _pending.pop("key", None), _pending.pop("con", None)
    if con is not None and key != _key(path):
        con.close()
        con = None
    return con
