"""SQL of the local store: schema, the line classifier and the timestamp grammar.

The classifier here is coco's only one: it turns raw archive lines into event
rows (or bad lines with a reason) inside DuckDB, so that parsing a million JSON
lines runs in DuckDB's C++ JSON reader rather than in a Python loop. The
loader's fast path feeds it lines from DuckDB's CSV reader; the damaged-file
path and ``coco check`` feed it lines split by ``archive.LineReader`` (which
only does what SQL cannot: read a gzip up to its damage, skip over-long lines)
on an in-memory DuckDB. The timestamp grammar is shared with
``timestamps.parse_timestamp`` (same regular expression, same epoch rule, same
range), and tests hold the two to the same answers.
"""

from __future__ import annotations

from typing import Any

from ..producers.registry import ASSIGNMENT_EVENTS, DELIVERY_OUTCOMES, DEMAND_OUTCOMES
from ..timestamps import ISO_PATTERN, MAX_US, MIN_US, SECONDS_LIMIT
from . import ahead
from . import statuses as _statuses

# Every connection coco opens: DuckDB never downloads or loads an extension by itself (``ahead``), and never
# draws its progress bar (it would land on stdout, in the middle of ``--json`` output).
CONNECTION_CONFIG = ahead.CONNECTION_CONFIG
SESSION = "SET TimeZone = 'UTC'; SET enable_progress_bar = false; SET enable_progress_bar_print = false"


def memory_connection() -> Any:
    """An in-memory DuckDB with the classifier's macros (``coco check``, the damaged-file path)."""
    from .duckdb_engine import duckdb

    con = duckdb.connect(":memory:", config=dict(CONNECTION_CONFIG))
    con.execute(SESSION)
    con.execute(MACROS)
    return con

# The store's layout version, in ``meta``. A store of a newer version is refused (exit 4); an older one
# is brought up to date by the ``MIGRATIONS`` from its version on, in one transaction, when coco writes.
SCHEMA_VERSION = 6

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
INSERT OR IGNORE INTO meta VALUES ('schema', '{SCHEMA_VERSION}');
CREATE SEQUENCE IF NOT EXISTS file_ids START 1;
CREATE TABLE IF NOT EXISTS files (
    file_id BIGINT PRIMARY KEY,
    sha256 VARCHAR NOT NULL UNIQUE,
    path VARCHAR NOT NULL,
    bytes BIGINT NOT NULL,
    events BIGINT NOT NULL,
    bad_lines BIGINT NOT NULL,
    damage VARCHAR,
    loaded_at TIMESTAMP NOT NULL,
    first_ts TIMESTAMP,  -- the file's day range (schema 2)
    last_ts TIMESTAMP
);
CREATE TABLE IF NOT EXISTS events (
    event VARCHAR,
    ts TIMESTAMP,
    delivery_id VARCHAR,
    robot_id VARCHAR,
    pilot_id VARCHAR,
    demand_id VARCHAR,
    offer_id VARCHAR,
    record VARCHAR USING COMPRESSION zstd,
    file_id BIGINT NOT NULL,
    seq BIGINT NOT NULL  -- the row's key in ``keys`` (schema 4; schema 5: given by the loader); rowids may change
);
CREATE TABLE IF NOT EXISTS s3_objects (  -- schema 3: what `coco load s3://` / `coco sync` fetched
    name VARCHAR PRIMARY KEY,            -- s3://bucket/key, the files.path it was recorded under
    etag VARCHAR NOT NULL,
    bytes BIGINT NOT NULL,
    sha256 VARCHAR NOT NULL,             -- the files row its bytes are (gone: the object is fetched again)
    synced_at TIMESTAMP NOT NULL
);
-- schema 4: ids by sorted runs (see store.local)
CREATE TABLE IF NOT EXISTS keys (id VARCHAR NOT NULL, kind VARCHAR NOT NULL, seq BIGINT NOT NULL);
"""

EVENT_COLUMNS = "event, ts, delivery_id, robot_id, pilot_id, demand_id, offer_id, record, file_id"
KINDS = ("delivery", "robot", "pilot", "demand", "offer")



def keys_insert(rows: str, seq: str = "seq") -> str:
    """``INSERT`` into ``keys`` of the ids of ``rows`` (a ``FROM`` clause with its ``WHERE``; ``seq`` the
    rows' number), sorted by id: each insert's ids are a run of row groups whose zone maps (min/max id) let
    a lookup skip the rest of the run."""
    return "INSERT INTO keys SELECT id, kind, seq FROM (" + " UNION ALL ".join(
        [f"SELECT {k}_id AS id, '{k}' AS kind, {seq} AS seq FROM {rows} AND {k}_id IS NOT NULL" for k in KINDS]
        + [assignment_keys(rows, seq)]) + ") ORDER BY id, kind, seq"


# Schema 6: a pilot assignment's robot and pilot ids have a second key, kind ``robot_assignment`` /
# ``pilot_assignment``. A robot's or pilot's timeline looks 12 hours back for the assignments (rule 5): through
# its every key the lookback read the ``seq`` and ``ts`` of most of the day's row groups (~20 ms at 10M events);
# through these it reads the few rows it wants.
ASSIGNMENT_KINDS = {"robot": "robot_assignment", "pilot": "pilot_assignment"}


def assignment_keys(rows: str, seq: str = "seq") -> str:
    """The ``SELECT`` of ``(id, kind, seq)`` for the assignment keys of ``rows`` (``keys_insert``). The names
    are the registry's constants, not values."""
    names = ", ".join(f"'{n}'" for n in ASSIGNMENT_EVENTS)
    return " UNION ALL ".join(
        f"SELECT {k}_id AS id, '{kind}' AS kind, {seq} AS seq FROM {rows} AND {k}_id IS NOT NULL AND event IN ({names})"
        for k, kind in ASSIGNMENT_KINDS.items())


# A load batch's staged rows (the loader's temporary ``stage`` table, its files mapped to store file ids by
# ``file_map``) go into ``events`` and ``keys`` numbered ``$base`` + the staged row's rowid: unique (rowids of
# one table, ``$base`` above every ``seq`` in the store, read in the same transaction), and computed
# independently per row, so DuckDB inserts on every thread (a sequence default serialises the insert).
STAGED_ROWS = ("temp.main.stage AS s JOIN temp.main.file_map AS m ON s.file_id = m.k WHERE s.event IS NOT NULL")
STAGED_SEQ = "$base + s.rowid"
EVENTS_INSERT = (f"INSERT INTO events ({EVENT_COLUMNS}, seq) SELECT s.event, s.ts, s.delivery_id, s.robot_id, "
                 f"s.pilot_id, s.demand_id, s.offer_id, s.record, m.fid, {STAGED_SEQ} FROM {STAGED_ROWS}")
KEYS_INSERT = keys_insert(STAGED_ROWS, STAGED_SEQ)
# Schema 5: what a delivery's status needs (spec section 6, ``sources.local.LocalSource.delivery_statuses``),
# kept small beside ``events`` so the statuses of a robot's deliveries take a few small reads, not a walk over
# their rows: ``links`` - each file's distinct (delivery, demand, offer) id triples, and whether a row with
# them has a time (rules 1-2 link through rows without a delivery id); ``outcomes`` - the timed outcome rows.
OUTCOME_NAMES = (*DELIVERY_OUTCOMES, *DEMAND_OUTCOMES)
STATUS_TABLES = (
    "CREATE TABLE IF NOT EXISTS links (file_id BIGINT NOT NULL, delivery_id VARCHAR, demand_id VARCHAR, "
    "offer_id VARCHAR, timed BOOLEAN NOT NULL)",
    "CREATE TABLE IF NOT EXISTS outcomes (file_id BIGINT NOT NULL, event VARCHAR NOT NULL, ts TIMESTAMP NOT NULL, "
    "delivery_id VARCHAR, demand_id VARCHAR, offer_id VARCHAR)",
)

SCHEMA += "".join(s + ";\n" for s in STATUS_TABLES)
# Schema 6: every delivery's status, recomputed after each change of files (``store.statuses``); a transaction
# that changes files deletes its ``meta`` key (``STATUSES_INVALIDATE``).
STATUSES_CREATE = _statuses.CREATE
STATUSES_INVALIDATE = _statuses.INVALIDATE
SCHEMA += STATUSES_CREATE + ";\n"


def status_inserts(rows: str, file_id: str) -> list[str]:
    """``INSERT``s into ``links`` and ``outcomes`` from ``rows`` (a ``FROM`` clause with its ``WHERE``, the
    columns unqualified or as ``s.``), the file id being ``file_id``. The outcome names are the registry's
    constants, not values."""
    names = ", ".join(f"'{n}'" for n in OUTCOME_NAMES)
    return [
        f"INSERT INTO links SELECT {file_id}, delivery_id, demand_id, offer_id, bool_or(ts IS NOT NULL) FROM {rows} "
        "AND (delivery_id IS NOT NULL OR demand_id IS NOT NULL OR offer_id IS NOT NULL) "
        f"GROUP BY {file_id}, delivery_id, demand_id, offer_id ORDER BY delivery_id, demand_id, offer_id",
        f"INSERT INTO outcomes SELECT {file_id}, event, ts, delivery_id, demand_id, offer_id FROM {rows} "
        f"AND ts IS NOT NULL AND event IN ({names}) ORDER BY delivery_id, demand_id, offer_id",
    ]


STATUS_INSERTS = status_inserts(STAGED_ROWS, "m.fid")
# A file's rows leave every table that holds them (a changed file replaced, ``coco store remove``), and the
# kept statuses are out of date until ``store.statuses.rebuild`` (``STATUSES_INVALIDATE``, in the same transaction).
FILES_DELETE = [
    "DELETE FROM keys WHERE seq IN (SELECT seq FROM events WHERE file_id IN (SELECT unnest($ids::BIGINT[])))",
    "DELETE FROM links WHERE file_id IN (SELECT unnest($ids::BIGINT[]))",
    "DELETE FROM outcomes WHERE file_id IN (SELECT unnest($ids::BIGINT[]))",
    "DELETE FROM events WHERE file_id IN (SELECT unnest($ids::BIGINT[]))",
    "DELETE FROM files WHERE file_id IN (SELECT unnest($ids::BIGINT[]))",
]
# The end of a load of several batches: its keys copied again, one id range at a time, in id order, so they end
# up one sorted run (``store.local.Loader._merge_keys``); the copies' originals (rowid up to $top) then go.
_PIECE = "seq > $after AND id >= $lo AND ($hi IS NULL OR id < $hi)"
KEYS_MERGE = [f"INSERT INTO keys SELECT id, kind, seq FROM keys WHERE {_PIECE} ORDER BY id, kind, seq",
              f"DELETE FROM keys WHERE {_PIECE} AND rowid <= $top"]

# The tables a store of this version has (created or migrated; ``fleet_baseline`` comes with the first rebuild).
TABLES = frozenset({"meta", "files", "events", "s3_objects", "keys", "links", "outcomes", "statuses"})

MIGRATIONS = {
    # 1 -> 2: files know their time range (``coco store files``, ``coco store remove --day``).
    1: """
ALTER TABLE files ADD COLUMN first_ts TIMESTAMP;
ALTER TABLE files ADD COLUMN last_ts TIMESTAMP;
UPDATE files SET first_ts = r.lo, last_ts = r.hi
    FROM (SELECT file_id, min(ts) AS lo, max(ts) AS hi FROM events GROUP BY file_id) AS r
    WHERE files.file_id = r.file_id;
""",
    # 2 -> 3: S3 objects are remembered by key, ETag and size, so a sync skips them before downloading.
    2: """
CREATE TABLE IF NOT EXISTS s3_objects (name VARCHAR PRIMARY KEY, etag VARCHAR NOT NULL, bytes BIGINT NOT NULL,
    sha256 VARCHAR NOT NULL, synced_at TIMESTAMP NOT NULL);
""",
    # 3 -> 4: the five ART indexes give way to ``keys`` (``store.local``'s docstring says why).
    3: """
DROP INDEX IF EXISTS events_delivery;
DROP INDEX IF EXISTS events_robot;
DROP INDEX IF EXISTS events_pilot;
DROP INDEX IF EXISTS events_demand;
DROP INDEX IF EXISTS events_offer;
CREATE SEQUENCE IF NOT EXISTS event_seq START 1;
ALTER TABLE events ADD COLUMN seq BIGINT DEFAULT nextval('event_seq');
CREATE TABLE keys (id VARCHAR NOT NULL, kind VARCHAR NOT NULL, seq BIGINT NOT NULL);
INSERT INTO keys SELECT id, kind, seq FROM (""" + " UNION ALL ".join(
        f"SELECT {k}_id AS id, '{k}' AS kind, seq FROM events WHERE {k}_id IS NOT NULL"
        for k in ("delivery", "robot", "pilot", "demand", "offer")) + """) ORDER BY id, kind, seq;
""",
    # 4 -> 5: the loader numbers the rows itself (``STAGED_SEQ``): a sequence default made DuckDB insert a
    # batch on one thread.
    4: """
ALTER TABLE events ALTER COLUMN seq DROP DEFAULT;
DROP SEQUENCE IF EXISTS event_seq;
""" + "".join(s + ";\n" for s in (*STATUS_TABLES, *status_inserts("events WHERE true", "file_id"))),
    # 5 -> 6: the kept statuses (``store.statuses``), empty and unused until the next load rebuilds them; the
    # assignment keys of the rows there.
    5: STATUSES_CREATE + ";\n" + "INSERT INTO keys SELECT id, kind, seq FROM (" + assignment_keys("events WHERE true")
       + ") ORDER BY id, kind, seq;\n",
}

_PATTERN_SQL = ISO_PATTERN.replace("'", "''")

MACROS = f"""
CREATE OR REPLACE TEMP MACRO coco_offset_min(tz) AS
    CASE WHEN tz IN ('', 'Z', 'z') THEN 0
         ELSE (CASE WHEN tz[1] = '-' THEN -1 ELSE 1 END)
              * (CAST(substr(replace(tz, ':', ''), 2, 2) AS INTEGER) * 60
                 + coalesce(TRY_CAST(nullif(substr(replace(tz, ':', ''), 4, 2), '') AS INTEGER), 0))
    END;
CREATE OR REPLACE TEMP MACRO coco_iso_parts(s) AS
    regexp_extract(s, '{_PATTERN_SQL}', ['y', 'mo', 'd', 'h', 'mi', 's', 'f', 'tz']);
CREATE OR REPLACE TEMP MACRO coco_iso_slow(p) AS
    CASE WHEN p.y NOT IN ('', '0000') THEN epoch_us(TRY_CAST(
        p.y || '-' || p.mo || '-' || p.d || ' ' || p.h || ':' || p.mi || ':'
        || coalesce(nullif(p.s, ''), '00') || '.' || rpad(left(p.f, 6), 6, '0') AS TIMESTAMP))
        - coco_offset_min(p.tz) * 60000000::BIGINT END;
CREATE OR REPLACE TEMP MACRO coco_id(j) AS
    CASE WHEN json_type(j) = 'VARCHAR' THEN nullif(j ->> '$', '') END;
"""

_PATHS = "['$.event', '$.timestamp', '$.delivery_id', '$.robot_id', '$.pilot_id', '$.demand_id', '$.offer_id']"


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
    SELECT file_id, lineno, n, rec, why, v, coco_id(v[1]) AS name, json_type(v[2]) AS ttype, v[2] AS tj
    FROM w
), y AS (
    SELECT *, CASE WHEN ttype = 'VARCHAR' THEN tj ->> '$' END AS tstr,
              CASE WHEN ttype IN ('BIGINT', 'UBIGINT') THEN TRY_CAST(tj AS HUGEINT) END AS tint,
              CASE WHEN ttype = 'DOUBLE' THEN TRY_CAST(tj AS DOUBLE) END AS tdbl
    FROM x
), z AS (
    SELECT *,
        CASE WHEN tstr IS NOT NULL THEN
                 CASE WHEN length(tstr) <= 64 AND regexp_full_match(tstr, '{_PATTERN_SQL}')
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


def classify_insert(source: str, table: str = "stage", line_bytes: bool = True) -> str:
    """``INSERT`` of every non-blank line of ``source`` into ``table`` (the events layout, then the line's
    length in bytes, by which the loader notices lines DuckDB's reader dropped without a word).

    Good lines get their event name; bad ones are inserted with ``event`` NULL
    so the caller can count them per file, which keeps this a single pass over the data.
    """
    return f"""
INSERT INTO {table}
{_classified(source)}
SELECT name, make_timestamp(us), coco_id(v[3]), coco_id(v[4]), coco_id(v[5]), coco_id(v[6]), coco_id(v[7]), rec, file_id
       {", n" if line_bytes else ""}
FROM c
"""


def classify_lines(source: str, records: bool = True) -> str:
    """The classification of each line, in line order: ``lineno, event, ts_us, record, reason`` (a bad
    line has ``event`` NULL and a reason: not JSON, not a JSON object, no event name). Without
    ``records``, only the bad lines."""
    if records:
        return f"{_classified(source)}\nSELECT lineno, name, us, rec, reason FROM c ORDER BY lineno"
    return f"{_classified(source)}\nSELECT lineno, name, us, NULL, reason FROM c WHERE reason IS NOT NULL ORDER BY lineno"


def csv_lines(max_line: int, compression: str = "auto") -> str:
    """A line source over DuckDB's CSV reader: one VARCHAR column, no quoting, with the file name."""
    return f"""(SELECT f.file_id, NULL::BIGINT AS lineno, r.line
    FROM read_csv($paths, columns = {{'line': 'VARCHAR'}}, delim = chr(1), quote = '', escape = '',
                  header = false, auto_detect = false, max_line_size = {max_line}, filename = true,
                  compression = '{compression}') AS r
    JOIN batch_files AS f ON f.path = r.filename)"""


ONE_LINE = """(SELECT 0::BIGINT AS file_id, 1::BIGINT AS lineno, $line::VARCHAR AS line)"""

# Lines split by Python (the damaged-file path, ``coco check``): ``$linenos`` numbers the lines of ``$text``.
TEXT_LINES = """(SELECT $file_id::BIGINT AS file_id, unnest($linenos::BIGINT[]) AS lineno,
    unnest(string_split($text, chr(10))) AS line)"""

