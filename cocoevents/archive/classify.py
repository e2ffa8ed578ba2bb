"""The archive's one line classifier, in SQL: raw lines in, event rows (or bad lines with a reason) out.

It runs inside DuckDB, so that parsing a million JSON lines runs in DuckDB's C++ JSON reader rather than in a
Python loop. The loader's fast path feeds it lines from DuckDB's CSV reader (``csv_lines``); the damaged-file
path and ``coco check`` feed it lines split by ``lines.LineReader`` (``TEXT_LINES``), which only does what SQL
cannot: read a gzip up to its damage, skip over-long lines. A line is a record when it is a JSON object with a
string ``event``, or when its ``message`` is (as an object or as JSON text) - the archive format of
docs/reference/timeline-rules.md section 10. Timestamps are read with the grammar of ``timestamps`` (its SQL
macros, ``coco_ts_*``), which tests hold equal to the Python parser.
"""

from __future__ import annotations

from typing import Any

from ..duckdb_engine import memory_connection
from ..producers.registry import ERROR_LEVELS, ERROR_NAMES, ERROR_SUFFIX
from ..timestamps import SQL_MACROS

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


_PATHS = (
    "['$.event', '$.timestamp', '$.delivery_id', '$.robot_id', '$.pilot_id', '$.demand_id', '$.offer_id', "
    "'$.merchant_id', '$.source', '$.error', '$.level']"
)


# Duplicate keys: JSON readers disagree about them (DuckDB's takes the first value, Python's the last), so a record
# that gives a key coco reads twice - at its top level, or in its ``error`` object - is a bad line, decided here
# once for every reader of the archive (the loader, ``coco check``, ``lines.classify``). Most lines are let through
# by string search alone: a key spelled without a backslash appears twice in the text before it can be given twice.
READ_KEYS = (
    "event",
    "timestamp",
    "delivery_id",
    "robot_id",
    "pilot_id",
    "demand_id",
    "offer_id",
    "merchant_id",
    "source",
    "error",
    "level",
)
ERROR_KEYS = ("code", "message")


# One pass of RE2 (a DFA, linear): some key coco reads appears twice in the text, or the text has a backslash (a
# key may be spelled with escapes). Only such lines are parsed again for their keys.
_MAYBE_TWICE = "|".join([r"\\", *(f'"{k}"[\\s\\S]*"{k}"' for k in (*READ_KEYS, *ERROR_KEYS))])


def _repeated(keys: str, wanted: tuple[str, ...]) -> str:
    listed = "[" + ", ".join(f"'{k}'" for k in wanted) + "]"
    return f"list_filter({keys}, lambda k, i: list_contains({listed}, k) AND list_position({keys}, k) < i)[1]"


def _duplicate_key(rec: str) -> str:
    """SQL: the first key coco reads that ``rec`` (a JSON object's text) gives twice, as ``error.code`` for the
    error object's; NULL for almost every line, found by string search before any parsing."""
    maybe = f"regexp_matches({rec}, '{_MAYBE_TWICE}')"
    top = _repeated(f"json_keys({rec})", READ_KEYS)
    inner = _repeated(f"json_keys({rec}, '$.error')", ERROR_KEYS)
    return f"CASE WHEN {maybe} THEN coalesce({top}, 'error.' || {inner}) END"


def attribute_columns(v: str, name: str) -> str:
    """A record's attributes (``coco compare``'s: store schema 7) from ``v``, the JSON values of ``_PATHS``, and
    its event name ``name``: ``merchant_id`` and ``source`` (non-empty strings), ``error_code`` (the ``code`` of
    an ``error`` object, as ``core.model.error_code`` reads it) and ``is_error`` (severity error, timeline rules
    §4, as ``producers.registry.severity``)."""
    error, level = f"{v}[10]", f"{v}[11]"
    names = ", ".join(f"'{n}'" for n in sorted(ERROR_NAMES))  # the registry's constants, not values
    levels = ", ".join(f"'{n}'" for n in ERROR_LEVELS)

    def text(j: str) -> str:  # ``coco_id`` written out: a reader's or a migration's connection has no macros
        return f"CASE WHEN json_type({j}) = 'VARCHAR' THEN nullif({j} ->> '$', '') END"

    return f"""{text(f"{v}[8]")} AS merchant_id, {text(f"{v}[9]")} AS source,
       CASE WHEN json_type({error}) = 'OBJECT' THEN CASE json_type({error} -> '$.code')
            WHEN 'VARCHAR' THEN {error} ->> '$.code'
            WHEN 'NULL' THEN NULL
            WHEN 'BOOLEAN' THEN CASE WHEN CAST({error} -> '$.code' AS BOOLEAN) THEN 'True' ELSE 'False' END
            ELSE CAST({error} -> '$.code' AS VARCHAR) END END AS error_code,
       coalesce(ends_with({name}, '{ERROR_SUFFIX}') OR {name} IN ({names})
            OR ({error} IS NOT NULL AND json_type({error}) <> 'NULL')
            OR (json_type({level}) = 'VARCHAR' AND lower({level} ->> '$') IN ({levels})), false) AS is_error"""


def stored_attributes(table: str, columns: str = "") -> str:
    """A ``SELECT`` of the rows of a store's ``table`` (``events``) with their attribute columns read from the
    stored records, as the parser reads them from the lines (a record DuckDB cannot read has none); ``columns``:
    more of the table's columns first (``record, seq, `` for the error index)."""
    return (
        f"SELECT {columns}file_id, event, ts, delivery_id, robot_id, pilot_id, demand_id, offer_id, {attribute_columns('v', 'event')} "
        f"FROM (SELECT *, try(json_extract(record, {_PATHS})) AS v FROM {table})"
    )


STAGE_COLUMNS = "event, ts, delivery_id, robot_id, pilot_id, demand_id, offer_id, record, file_id"
ATTRIBUTE_COLUMNS = "merchant_id, source, error_code, is_error"


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
), x0 AS (
    SELECT file_id, lineno, n, rec, why, v, coco_id(v[1]) AS name FROM w
), x AS (
    SELECT file_id, lineno, n, rec, v, json_type(v[2]) AS ttype, v[2] AS tj,
           CASE WHEN dup IS NULL THEN name END AS name,
           coalesce(why, 'key "' || dup || '" given twice') AS why
    FROM (SELECT *, CASE WHEN name IS NOT NULL THEN {_duplicate_key("rec")} END AS dup FROM x0)
), y AS (
    -- the timestamp by the grammar of ``timestamps`` (its macros), a step at a time
    SELECT *, coco_ts_text(ttype, tj) AS tstr, coco_ts_int(ttype, tj) AS tint, coco_ts_double(ttype, tj) AS tdbl
    FROM x
), z AS (
    SELECT *, coco_ts_any_us(tstr, tint, tdbl) AS us0
    FROM y
), c AS (
    SELECT *, coco_ts_in_range(us0) AS us,
           CASE WHEN name IS NULL THEN coalesce(why, 'no event name') END AS reason
    FROM z
)"""


def classify_insert(source: str, table: str = "stage", line_bytes: bool = True, attributes: bool = False) -> str:
    """``INSERT`` of every non-blank line of ``source`` into ``table`` (the events layout, the line's length in
    bytes, by which the loader notices lines DuckDB's reader dropped without a word, and with ``attributes`` the
    record's attribute columns, ``attribute_columns``).

    Good lines get their event name; bad ones are inserted with ``event`` NULL
    so the caller can count them per file, which keeps this a single pass over the data.
    """
    return f"""
INSERT INTO {table} ({STAGE_COLUMNS}{", line_bytes" if line_bytes else ""}{f", {ATTRIBUTE_COLUMNS}" if attributes else ""})
{_classified(source)}
SELECT name, make_timestamp(us), coco_id(v[3]), coco_id(v[4]), coco_id(v[5]), coco_id(v[6]), coco_id(v[7]), rec, file_id
       {", n" if line_bytes else ""}{f", {attribute_columns('v', 'name')}" if attributes else ""}
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
