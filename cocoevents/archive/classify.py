"""The archive's one line classifier, in SQL: raw lines in, event rows (or bad lines with a reason) out.

It runs inside DuckDB, so that parsing a million JSON lines runs in DuckDB's C++ JSON reader rather than in a
Python loop. The loader's fast path feeds it lines from DuckDB's CSV reader (``csv_lines``); the damaged-file
path and ``coco check`` feed it lines split by ``lines.LineReader`` (``TEXT_LINES``), which only does what SQL
cannot: read a gzip up to its damage, skip over-long lines. A line is a record when it is a JSON object with a
string ``event``, or when its ``message`` is (as an object or as JSON text) - the archive format of
docs/reference/timeline-rules.md section 10. Timestamps are read with the grammar of ``timestamps`` (its SQL
macros), which tests hold equal to the Python parser.
"""

from __future__ import annotations

from typing import Any

from ..duckdb_engine import memory_connection
from ..producers.registry import ERROR_LEVELS, ERROR_NAME_SUFFIX, ERROR_NAMES
from ..timestamps import ISO_PATTERN_SQL, MAX_US, MIN_US, SECONDS_LIMIT, SQL_MACROS

MACROS = (
    SQL_MACROS
    + """
CREATE OR REPLACE TEMP MACRO coco_id(j) AS
    CASE WHEN json_type(j) = 'VARCHAR' THEN nullif(j ->> '$', '') END;
"""
)


def classifier_connection() -> Any:
    """An in-memory DuckDB with the classifier's macros (``coco check``, the damaged-file path, a load's parser)."""
    con = memory_connection()
    con.execute(MACROS)
    return con


_PATHS = "['$.event', '$.timestamp', '$.delivery_id', '$.robot_id', '$.pilot_id', '$.demand_id', '$.offer_id', '$.error', '$.level']"


def error_sql(name: str, error: str, level: str) -> str:
    """Timeline rules section 4 in SQL, from the registry's constants: whether a record named ``name`` whose
    top-level ``error`` and ``level`` are the JSON values ``error`` and ``level`` (NULL when absent) is an error
    (``producers.registry.severity``; like the id columns, a key written twice is read at its first place)."""
    names = ", ".join(f"'{n}'" for n in sorted(ERROR_NAMES))
    levels = ", ".join(f"'{n}'" for n in ERROR_LEVELS)
    return (
        f"(suffix({name}, '{ERROR_NAME_SUFFIX}') OR {name} IN ({names}) OR coalesce(json_type({error}) <> 'NULL', false) "
        f"OR coalesce(json_type({level}) = 'VARCHAR' AND lower({level} ->> '$') IN ({levels}), false))"
    )


def error_code_sql(error: str) -> tuple[str, str]:
    """The code of an ``error`` JSON value (``core.model.error_code``) when it is a JSON string, and whether it
    has a code of another type (``str()`` of it in Python): the ``code`` and ``odd_code`` of the error index."""
    code = f"CASE WHEN json_type({error}) = 'OBJECT' THEN json_extract({error}, '$.code') END"
    return (
        f"CASE WHEN json_type({code}) = 'VARCHAR' THEN ({code}) ->> '$' END",
        f"coalesce(json_type({code}) NOT IN ('VARCHAR', 'NULL'), false)",
    )


def _classified(source: str) -> str:
    """The classifier: every non-blank line of ``source`` (columns ``file_id, lineno, line``) as a row
    ``file_id, lineno, name, us, ids..., rec, why``. Each step is its own CTE so no expression is
    evaluated twice (DuckDB macros are inlined); columns a caller does not select are pruned."""
    return f"""
WITH p AS (
    SELECT file_id, lineno, line, try(json_extract(line, {_PATHS})) AS v
    FROM {source}
), q AS (
    SELECT file_id, lineno, line, v, coco_id(v[1]) AS name, strlen(line) AS n
    FROM p
    WHERE v IS NOT NULL OR NOT regexp_full_match(line, '\\s*')
), u AS (
    -- the message is only read when the line has no event of its own (most lines have one)
    SELECT *, json_type(m) AS mtype
    FROM (SELECT *, CASE WHEN name IS NULL AND v IS NOT NULL THEN json_extract(line, '$.message') END AS m FROM q)
), w AS (
    SELECT file_id, lineno, n,
           CASE WHEN name IS NOT NULL THEN line
                WHEN mtype = 'OBJECT' THEN CAST(m AS VARCHAR)
                WHEN mtype = 'VARCHAR' THEN m ->> '$'
                ELSE line END AS rec,
           CASE WHEN name IS NOT NULL THEN v
                WHEN mtype = 'OBJECT' THEN json_extract(m, {_PATHS})
                WHEN mtype = 'VARCHAR' AND starts_with(ltrim(m ->> '$', ' ' || chr(9) || chr(10) || chr(13)), '{{')
                    THEN try(json_extract(m ->> '$', {_PATHS}))
           END AS v,
           CASE WHEN name IS NOT NULL THEN NULL
                WHEN v IS NULL THEN 'not JSON'
                WHEN json_type(line) <> 'OBJECT' THEN 'not a JSON object'
           END AS why
    FROM u
), x AS (
    SELECT file_id, lineno, n, rec, why, v, coco_id(v[1]) AS name, json_type(v[2]) AS ttype, v[2] AS tj, v[8] AS ej
    FROM w
), y AS (
    SELECT *, CASE WHEN ttype = 'VARCHAR' THEN tj ->> '$' END AS tstr,
              CASE WHEN ttype IN ('BIGINT', 'UBIGINT') THEN TRY_CAST(tj AS HUGEINT) END AS tint,
              CASE WHEN ttype = 'DOUBLE' THEN TRY_CAST(tj AS DOUBLE) END AS tdbl
    FROM x
), z AS (
    SELECT *,
        CASE WHEN tstr IS NOT NULL THEN
                 CASE WHEN length(tstr) <= 64 AND regexp_full_match(tstr, '{ISO_PATTERN_SQL}')
                      THEN coalesce(epoch_us(TRY_CAST(tstr AS TIMESTAMPTZ)), coco_iso_slow(coco_iso_parts(tstr))) END
             WHEN tint IS NOT NULL THEN tint * CASE WHEN tint < {SECONDS_LIMIT:.0f} THEN 1000000 ELSE 1000 END
             WHEN tdbl IS NOT NULL THEN TRY_CAST(floor(tdbl * CASE WHEN tdbl < {SECONDS_LIMIT:.0f} THEN 1000000 ELSE 1000 END
                                                      + 0.5) AS HUGEINT)
        END AS us0
    FROM y
), c AS (
    SELECT *, CASE WHEN us0 BETWEEN {MIN_US} AND {MAX_US} THEN CAST(us0 AS BIGINT) END AS us,
           CASE WHEN name IS NULL THEN coalesce(why, 'no event name') END AS reason
    FROM z
)"""


# The loader's staging table: the events layout, then the line's length in bytes (by which the loader notices
# lines DuckDB's reader dropped without a word) and what the error index keeps (``store.schema``).
STAGE_COLUMNS = (
    "event VARCHAR, ts TIMESTAMP, delivery_id VARCHAR, robot_id VARCHAR, pilot_id VARCHAR, demand_id VARCHAR, "
    "offer_id VARCHAR, record VARCHAR, file_id BIGINT, line_bytes BIGINT, err BOOLEAN, code VARCHAR, odd_code BOOLEAN"
)


def classify_insert(source: str, table: str = "stage", line_bytes: bool = True) -> str:
    """``INSERT`` of every non-blank line of ``source`` into ``table``: the ``STAGE_COLUMNS`` layout, or without
    ``line_bytes`` the events layout only (``event`` ... ``file_id``).

    Good lines get their event name; bad ones are inserted with ``event`` NULL
    so the caller can count them per file, which keeps this a single pass over the data.
    """
    code, odd = error_code_sql("ej")
    extra = f", n, {error_sql('name', 'ej', 'v[9]')}, {code}, {odd}" if line_bytes else ""
    return f"""
INSERT INTO {table}
{_classified(source)}
SELECT name, make_timestamp(us), coco_id(v[3]), coco_id(v[4]), coco_id(v[5]), coco_id(v[6]), coco_id(v[7]), rec, file_id{extra}
FROM c
"""


def classify_lines(source: str, records: bool = True) -> str:
    """The classification of each line, in line order: ``lineno, event, ts_us, record, reason`` (a bad
    line has ``event`` NULL and a reason: not JSON, not a JSON object, no event name). Without
    ``records``, only the bad lines."""
    if records:
        return f"{_classified(source)}\nSELECT lineno, name, us, rec, reason FROM c ORDER BY lineno"
    return f"{_classified(source)}\nSELECT lineno, name, us, NULL, reason FROM c WHERE reason IS NOT NULL ORDER BY lineno"


def csv_piece(max_line: int) -> str:
    """A line source over one plain file ``$path`` (a piece of a big file the loader wrote), all of file 0."""
    return f"""(SELECT 0::BIGINT AS file_id, NULL::BIGINT AS lineno, line
    FROM read_csv($path, columns = {{'line': 'VARCHAR'}}, delim = chr(1), quote = '', escape = '', header = false,
                  auto_detect = false, max_line_size = {max_line}, buffer_size = {2 * max_line}, compression = 'none'))"""


def csv_lines(max_line: int, compression: str = "auto") -> str:
    """A line source over DuckDB's CSV reader: one VARCHAR column, no quoting, with the file name."""
    return f"""(SELECT f.file_id, NULL::BIGINT AS lineno, r.line
    FROM read_csv($paths, columns = {{'line': 'VARCHAR'}}, delim = chr(1), quote = '', escape = '',
                  header = false, auto_detect = false, max_line_size = {max_line}, buffer_size = {2 * max_line},
                  filename = true,
                  compression = '{compression}') AS r
    JOIN batch_files AS f ON f.path = r.filename)"""


ONE_LINE = """(SELECT 0::BIGINT AS file_id, 1::BIGINT AS lineno, $line::VARCHAR AS line)"""

# A block of whole lines (``lines.LineReader.blocks``) split here: the loader's pieces its CSV reader must not read.
TEXT_BLOCK = """(SELECT $file_id::BIGINT AS file_id, NULL::BIGINT AS lineno, unnest(string_split($text, chr(10))) AS line)"""

# Lines split by Python (``coco check``): ``$linenos`` numbers the lines of ``$text``.
TEXT_LINES = """(SELECT $file_id::BIGINT AS file_id, unnest($linenos::BIGINT[]) AS lineno,
    unnest(string_split($text, chr(10))) AS line)"""
