"""Reading event rows out of the store: the rowids matching a predicate, then their records a chunk at a time.

Two steps, because DuckDB decompresses the zstd record blocks of every vector a filter scans: the filter reads
only the small columns, the records are fetched by rowid. Records that DuckDB accepted but Python's ``json``
cannot read (trailing commas, ``nan``, nesting past the recursion limit) are made readable here.
"""

from __future__ import annotations

import json
from typing import Any, Container, Iterator, Optional, Sequence

from ..archive import lines as archive
from ..duckdb_engine import duckdb

ROW_COLUMNS = "rowid, epoch_us(ts) AS ts_us, record"
LENIENT_SQL = archive.LENIENT_HINT.replace("'", "''")


def fetch_rows(con: duckdb.DuckDBPyConnection, where: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Event rows ``(rowid, ts_us, record)``: the row's identity, its stored time and the record.

    The record is text Python's ``json`` reads: DuckDB accepted lines with
    trailing commas or ``nan``/``inf``, and the few rows that may hold them are
    rewritten (``archive.relax``).
    """
    return [row for ids, ts, records in rowid_chunks(con, matching_rowids(con, where, params)) for row in zip(ids, ts, records)]  # type: ignore[arg-type]


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
    columns = f"SELECT {ROW_COLUMNS}, regexp_matches(record, '{LENIENT_SQL}') AS lenient, length(record) > {DEEP} AS long"
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

    blocks = [rowids[n : n + NUMPY_BLOCK] for n in range(0, len(rowids), NUMPY_BLOCK)]
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
                yield ids[k : k + FETCH_CHUNK], ts[k : k + FETCH_CHUNK], records[k : k + FETCH_CHUNK]


def _readable_all(con: duckdb.DuckDBPyConnection, records: Sequence[str], lenient: Sequence[bool], long: Sequence[bool]) -> Sequence[str]:
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
