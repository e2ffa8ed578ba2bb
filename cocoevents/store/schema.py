"""The local store's SQL: its tables, the statements a load and a removal run, and the migrations.

``SCHEMA_VERSION`` is kept in ``meta``: a store of a newer version is refused, an older one is migrated by the
next writer (``MIGRATIONS``, one transaction). The design of the tables and why: docs/store.md.
"""

from __future__ import annotations

from ..archive.classify import stored_attributes
from ..core.status import OUTCOME_NAMES
from ..producers.registry import ASSIGNMENT_EVENTS
from . import facts as _facts
from . import statuses as _statuses

# The store's layout version, in ``meta``. A store of a newer version is refused (exit 4); an older one
# is brought up to date by the ``MIGRATIONS`` from its version on, in one transaction, when coco writes.
SCHEMA_VERSION = 10

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
    return (
        "INSERT INTO keys SELECT id, kind, seq FROM ("
        + " UNION ALL ".join(
            [f"SELECT {k}_id AS id, '{k}' AS kind, {seq} AS seq FROM {rows} AND {k}_id IS NOT NULL" for k in KINDS]
            + [assignment_keys(rows, seq)]
        )
        + ") ORDER BY id"
    )


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
        for k, kind in ASSIGNMENT_KINDS.items()
    )


# A load batch's staged rows (the loader's temporary ``stage`` table, its files mapped to store file ids by
# ``file_map``) go into ``events`` and ``keys`` numbered ``$base`` + the staged row's rowid: unique (rowids of
# one table, ``$base`` above every ``seq`` in the store, read in the same transaction), and computed
# independently per row, so DuckDB inserts on every thread (a sequence default serialises the insert).
STAGED_ROWS = "temp.main.stage AS s JOIN temp.main.file_map AS m ON s.file_id = m.k WHERE s.event IS NOT NULL"
STAGED_SEQ = "$base + s.rowid"
EVENTS_INSERT = (
    f"INSERT INTO events ({EVENT_COLUMNS}, seq) SELECT s.event, s.ts, s.delivery_id, s.robot_id, "
    f"s.pilot_id, s.demand_id, s.offer_id, s.record, m.fid, {STAGED_SEQ} FROM {STAGED_ROWS}"
)
KEYS_INSERT = keys_insert(STAGED_ROWS, STAGED_SEQ)
# Schema 5: what a delivery's status needs (timeline rules §6, ``core.status``; ``LocalSource.delivery_statuses``),
# kept small beside ``events`` so the statuses of a robot's deliveries take a few small reads, not a walk over
# their rows: ``links`` - each file's distinct (delivery, demand, offer) id triples, and whether a row with
# them has a time (rules 1-2 link through rows without a delivery id); ``outcomes`` - the timed outcome rows.
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
# Schema 7: ``attributes`` - the timed rows that carry a ``merchant_id`` or a ``source``, or are of severity error,
# with those values, written with each file from what the load's parser read (``archive.classify``), so that
# ``coco compare`` (``store.compare_sql``) reads no record: a day's records are a gigabyte of zstd to decompress.
ATTRIBUTES_CREATE = (
    "CREATE TABLE IF NOT EXISTS attributes (file_id BIGINT NOT NULL, event VARCHAR NOT NULL, ts TIMESTAMP NOT NULL, "
    "delivery_id VARCHAR, robot_id VARCHAR, pilot_id VARCHAR, demand_id VARCHAR, offer_id VARCHAR, merchant_id VARCHAR, "
    "source VARCHAR, error_code VARCHAR, is_error BOOLEAN NOT NULL)"
)
SCHEMA += ATTRIBUTES_CREATE + ";\n"


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


def attributes_insert(rows: str, file_id: str) -> str:
    """``INSERT`` into ``attributes`` of the rows of ``rows`` (a ``FROM`` clause with its ``WHERE``, with the
    attribute columns) that have one; ordered by time, so a range reads a few row groups."""
    return (
        f"INSERT INTO attributes SELECT {file_id}, event, ts, delivery_id, robot_id, pilot_id, demand_id, offer_id, merchant_id, "
        f"source, error_code, is_error FROM {rows} AND ts IS NOT NULL AND (merchant_id IS NOT NULL OR source IS NOT NULL OR is_error) "
        "ORDER BY ts"
    )


ATTRIBUTES_INSERT = attributes_insert(STAGED_ROWS, "m.fid")
# The attribute columns of the rows stored before schema 7, read from their records (the migration; a reader of
# such a store before a writer migrates it, ``sources.local``).
STORED_ATTRIBUTES = stored_attributes("events")
# Schema 8: ``errors`` - the error index: the timed rows of severity error (timeline rules §4, the parser's
# ``is_error``), each with its record, its ``events`` seq and its error's code, written with each file from the
# staging table and gone with its file, so ``coco errors`` and the ``--error`` filter read this small table
# instead of decompressing every record of the range (a cache file beside the store did that before).
ERRORS_CREATE = (
    "CREATE TABLE IF NOT EXISTS errors (file_id BIGINT NOT NULL, seq BIGINT NOT NULL, ts TIMESTAMP NOT NULL, event VARCHAR NOT NULL, "
    "delivery_id VARCHAR, robot_id VARCHAR, pilot_id VARCHAR, demand_id VARCHAR, offer_id VARCHAR, error_code VARCHAR, "
    "record VARCHAR USING COMPRESSION zstd)"
)
SCHEMA += ERRORS_CREATE + ";\n"


def errors_insert(rows: str, file_id: str, seq: str) -> str:
    """``INSERT`` into ``errors`` of the rows of ``rows`` (a ``FROM`` clause with its ``WHERE``, with the attribute
    columns) of severity error; ordered by time, so a range reads a few row groups."""
    return (
        f"INSERT INTO errors SELECT {file_id}, {seq}, ts, event, delivery_id, robot_id, pilot_id, demand_id, offer_id, error_code, "
        f"record FROM {rows} AND ts IS NOT NULL AND is_error ORDER BY ts"
    )


ERRORS_INSERT = errors_insert(STAGED_ROWS, "m.fid", STAGED_SEQ)
# Schema 9: every delivery's facts as ``coco compare`` counts them (``store.facts``), worked out after each change of
# files like the statuses, and used only while current (``meta`` key ``facts``, deleted by ``STATUSES_INVALIDATE``).
FACTS_CREATE_9 = [
    "CREATE TABLE IF NOT EXISTS delivery_facts (delivery_id VARCHAR NOT NULL, t0 TIMESTAMP NOT NULL, t1 TIMESTAMP NOT NULL, "
    "first_direct TIMESTAMP NOT NULL, status VARCHAR NOT NULL, first_code VARCHAR)",
    "CREATE TABLE IF NOT EXISTS delivery_values (delivery_id VARCHAR NOT NULL, dim VARCHAR NOT NULL, val VARCHAR NOT NULL)",
    "CREATE TABLE IF NOT EXISTS delivery_steps (delivery_id VARCHAR NOT NULL, a VARCHAR NOT NULL, b VARCHAR NOT NULL, dur DOUBLE NOT NULL)",
]
# Schema 10: the facts keyed by an integer per delivery and per transition, and what they were worked out from
# (``store.facts.BOOK``), so an upkeep works out only the deliveries whose facts the changed files can change.
SCHEMA += "".join(s + ";\n" for s in (*_facts.CREATE, *_facts.CREATE_BOOK))
# 9 -> 10: the kept facts dropped (derived rows: the next load, sync or removal works them all out once) and made
# again keyed by integers, with an empty record of what they came from.
FACTS_10 = (
    "DROP TABLE IF EXISTS delivery_facts;\nDROP TABLE IF EXISTS delivery_values;\nDROP TABLE IF EXISTS delivery_steps;\n"
    + "".join(s + ";\n" for s in (*_facts.CREATE, *_facts.CREATE_BOOK))
    + "DELETE FROM meta WHERE key IN ('facts', 'facts_pending', 'facts_basis');\n"
)


def stored_errors() -> str:
    """``SELECT epoch_us(ts), record`` of the error rows of a store before schema 8 (read as it is, without the
    index), between ``$since`` and ``$until``: every record of the range read again."""
    rows = stored_attributes("(SELECT * FROM events WHERE ts BETWEEN $since AND $until AND event IS NOT NULL)", "record, ")
    return f"SELECT epoch_us(ts), record FROM ({rows}) WHERE is_error"


# A file's rows leave every table that holds them (a changed file replaced, ``coco store remove``), and the
# kept statuses are out of date until ``store.statuses.rebuild`` (``STATUSES_INVALIDATE``, in the same transaction).
FILES_DELETE = [
    "DELETE FROM keys WHERE seq IN (SELECT seq FROM events WHERE file_id IN (SELECT unnest($ids::BIGINT[])))",
    "DELETE FROM links WHERE file_id IN (SELECT unnest($ids::BIGINT[]))",
    "DELETE FROM outcomes WHERE file_id IN (SELECT unnest($ids::BIGINT[]))",
    "DELETE FROM attributes WHERE file_id IN (SELECT unnest($ids::BIGINT[]))",
    "DELETE FROM errors WHERE file_id IN (SELECT unnest($ids::BIGINT[]))",
    "DELETE FROM events WHERE file_id IN (SELECT unnest($ids::BIGINT[]))",
    "DELETE FROM files WHERE file_id IN (SELECT unnest($ids::BIGINT[]))",
]
# The end of a load of several batches: its keys copied again, one id range at a time, in id order, so they end
# up one sorted run (``store.local.Loader._merge_keys``); the copies' originals (rowid up to $top) then go.
_PIECE = "seq > $after AND id >= $lo AND ($hi IS NULL OR id < $hi)"
KEYS_MERGE = [
    f"INSERT INTO keys SELECT id, kind, seq FROM keys WHERE {_PIECE} ORDER BY id",
    f"DELETE FROM keys WHERE {_PIECE} AND rowid <= $top",
]

# The tables a store of this version has (created or migrated; ``fleet_baseline`` comes with the first rebuild).
TABLES = frozenset(
    {"meta", "files", "events", "s3_objects", "keys", "links", "outcomes", "statuses", "attributes", "errors", *_facts.TABLES, *_facts.BOOK}
)
# Every table any coco version created in a store (``fleet_baseline``: ``store.baseline``); anything else in a store
# file is foreign and the store is refused (``connection.foreign_objects``).
KNOWN_TABLES = TABLES | {"fleet_baseline"}
KNOWN_SEQUENCES = frozenset({"file_ids", "event_seq"})

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
INSERT INTO keys SELECT id, kind, seq FROM ("""
    + " UNION ALL ".join(
        f"SELECT {k}_id AS id, '{k}' AS kind, seq FROM events WHERE {k}_id IS NOT NULL"
        for k in ("delivery", "robot", "pilot", "demand", "offer")
    )
    + """) ORDER BY id, kind, seq;
""",
    # 4 -> 5: the loader numbers the rows itself (``STAGED_SEQ``): a sequence default made DuckDB insert a
    # batch on one thread.
    4: """
ALTER TABLE events ALTER COLUMN seq DROP DEFAULT;
DROP SEQUENCE IF EXISTS event_seq;
"""
    + "".join(s + ";\n" for s in (*STATUS_TABLES, *status_inserts("events WHERE true", "file_id"))),
    # 5 -> 6: the kept statuses (``store.statuses``), empty and unused until the next load rebuilds them; the
    # assignment keys of the rows there.
    5: STATUSES_CREATE
    + ";\n"
    + "INSERT INTO keys SELECT id, kind, seq FROM ("
    + assignment_keys("events WHERE true")
    + ") ORDER BY id, kind, seq;\n",
    # 6 -> 7: the attribute rows (``ATTRIBUTES_CREATE``), read once from the records already stored.
    6: ATTRIBUTES_CREATE + ";\n" + attributes_insert(f"({STORED_ATTRIBUTES}) AS s WHERE true", "file_id") + ";\n",
    # 7 -> 8: the error index (``ERRORS_CREATE``), read once from the records already stored.
    7: "DROP TABLE IF EXISTS errors;\n"
    + ERRORS_CREATE
    + ";\n"
    + errors_insert(f"({stored_attributes('events', 'record, seq, ')}) AS s WHERE event IS NOT NULL", "file_id", "seq")
    + ";\n",
    # 8 -> 9: the kept facts (``store.facts``), empty and unused until the next load, sync or removal works them out.
    8: "".join(s + ";\n" for s in FACTS_CREATE_9),
    9: FACTS_10,
}
