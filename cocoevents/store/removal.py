"""``coco store remove``: loaded files out of the store with all their events, in one transaction.

A file is always entirely in the store or not at all; the kept statuses are rebuilt after the removal.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from ..archive import lines as archive
from ..duckdb_engine import duckdb, one_row
from ..errors import NotFound, SourceUnavailable, UsageError
from ..textsafe import for_terminal
from .connection import connect, shown_path, translate
from .files import delete_files
from .loader import rebuild_derived


def remove_files(
    path: Path,
    *,
    file: str | None = None,
    sha: str | None = None,
    day: str | None = None,
    wait: float = 10.0,
    confirm: Callable[[list[str], int], bool] | None = None,
) -> tuple[list[str], int]:
    """Delete loaded files and all their events, in one transaction; the paths removed and the events.

    ``file``: a loaded file's path (or a folder: every loaded file under it); ``sha``: a SHA-256 or a
    unique prefix of at least 8 characters; ``day``: ``YYYY-MM-DD``, every file with an event on that
    UTC day (whole files: a file is always entirely in the store or not at all). ``confirm``, given the paths
    and their events inside the transaction, says whether to go on; when it says no nothing is removed
    (``[], 0``).
    """
    chosen = [x for x in (file, sha, day) if x is not None]
    if len(chosen) != 1:
        raise UsageError("name exactly one of PATH, --sha or --day")
    if sha is not None and not re.fullmatch(r"[0-9a-fA-F]{8,64}", sha):
        raise UsageError(f"--sha takes a SHA-256 or a prefix of at least 8 hex digits, not {for_terminal(sha)!r}")
    if day is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
        raise UsageError(f"--day takes a UTC day like 2026-11-25, not {for_terminal(day)!r}")
    if not path.exists():
        raise SourceUnavailable(f"no store at {shown_path(path)}")
    con = connect(path, read_only=False, wait=wait)
    try:
        if file is not None:
            key = archive.path_text(Path(file).resolve())
            rows = con.execute(
                "SELECT file_id, path FROM files WHERE path = ? OR path = ? OR starts_with(path, ?)", [file, key, key.rstrip("/") + "/"]
            ).fetchall()
        elif sha is not None:
            rows = con.execute("SELECT file_id, path FROM files WHERE starts_with(sha256, ?)", [sha.lower()]).fetchall()
            if len(rows) > 1 and len(sha) < 64:
                raise UsageError(f"--sha {sha} matches {len(rows)} files: give more digits")
        else:
            try:
                (start,) = one_row(con, "SELECT CAST(? AS DATE)::TIMESTAMP", [day])
            except duckdb.Error:
                raise UsageError(f"--day takes a UTC day like 2026-11-25, not {day!r}") from None
            rows = con.execute(
                "SELECT file_id, path FROM files WHERE file_id IN (SELECT DISTINCT file_id FROM events "
                "WHERE ts >= ? AND ts < ? + INTERVAL 1 DAY)",
                [start, start],
            ).fetchall()
        if not rows:
            what = file if file is not None else f"--sha {sha}" if sha is not None else f"--day {day}"
            raise NotFound(f"no loaded file matches {for_terminal(archive.path_text(what))} in {shown_path(path)} (see 'coco store files')")
        ids = [r[0] for r in rows]
        con.execute("BEGIN TRANSACTION")
        try:
            (events,) = one_row(con, "SELECT count(*) FROM events WHERE file_id IN (SELECT unnest($ids::BIGINT[]))", {"ids": ids})
            if confirm is not None and not confirm(sorted(r[1] for r in rows), int(events)):
                con.execute("ROLLBACK")
                return [], 0
            delete_files(con, ids)  # the writer's connect migrated the store: it has every table
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        rebuild_derived(con, None, baseline=False)  # the statuses; out of memory: read the slower way meanwhile
        return sorted(r[1] for r in rows), int(events)
    except Exception as e:
        better = translate(e, path)
        if better is e:
            raise
        raise better from e
    finally:
        con.close()
