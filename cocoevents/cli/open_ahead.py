"""Opening the store ahead of the command that reads it: ``coco timeline|explore|deliveries|errors|compare --store S``.

``coco timeline ID --store S`` spends ~0.1 s importing typer and coco's modules before it opens ``S``, and opening
a DuckDB file costs more (DuckDB sets up a database instance). ``open_ahead`` starts that open in a thread before
the command line is imported; the command takes the connection when it opens the same file read-only
(``opened_ahead``, called by ``cli.options.open_source``), so the two overlap on the machine's cores.

The thread calls DuckDB's ``connect`` with the one configuration every coco connection uses, then reads the
store's catalog for objects coco did not create (``store.connection.check_ahead``, 50-100 ms that now overlap the
imports too; none for a store an earlier reader found clean and nothing changed since, ``store.checked``): an
answer it got for another file, or no answer (no such file, a load holding the store), changes nothing - the
command opens the store itself as it always did and says what is wrong. This module imports nothing heavy.
"""

from __future__ import annotations

import os
import threading
from typing import Any, Optional

_pending: dict[str, Any] = {}


def _key(path: str) -> str:
    return os.path.realpath(path)


def start(path: str) -> bool:
    """Open ``path`` read-only in a thread when it is an existing plain file; whether a thread started."""
    if _pending or not os.path.isfile(path):
        return False

    def connect() -> None:
        from ..duckdb_engine import CONNECTION_CONFIG, duckdb
        from ..store.checked import identity

        before = identity(path)  # the file about to be opened (a reader that found it clean may have said so)
        try:
            con = duckdb.connect(path, read_only=True, config=dict(CONNECTION_CONFIG))
        except Exception:  # busy, damaged, not a database...: the command's own open says so
            return
        try:  # the catalog check of a crafted store (``store.connection.refuse_foreign``), meanwhile too
            from ..store.connection import check_ahead

            check_ahead(con, path, before)
        except Exception:  # the command's own open checks again and says what is wrong
            pass
        _pending["con"] = con

    _pending["key"] = _key(path)
    thread = _pending["thread"] = threading.Thread(target=connect, name="coco-open-ahead", daemon=True)
    thread.start()
    return True


def opened_ahead(path: str) -> Optional[Any]:
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


READERS = ("timeline", "explore", "deliveries", "errors", "compare")  # the commands that open a store read-only first


def open_ahead(args: list[str]) -> bool:
    """``coco timeline|explore|deliveries|errors|compare ... --store S`` (or ``COCO_STORE``), without a profile:
    open S in a thread while the command line imports; whether it started. Any other command, or a store named
    another way (a profile, the default path, ``--fresh``), opens as always."""
    rest = [a for a in args if a != "--debug"]
    if not rest or rest[0] not in READERS or os.environ.get("COCO_PROFILE"):
        return False
    store = os.environ.get("COCO_STORE") or None
    for k, arg in enumerate(rest):
        if arg in ("--profile", "--fresh", "--help", "-h") or arg.startswith("--profile="):
            return False
        if arg == "--store" and k + 1 < len(rest):
            store = rest[k + 1]
        elif arg.startswith("--store="):
            store = arg[len("--store=") :]
    if not store:
        return False
    return start(store)
