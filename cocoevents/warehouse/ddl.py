"""The warehouse schema as text: table, load log, staging table, COPY statement and the typing insert.

Guarantees:

- Identifiers (schema, table, load-log table) pass ``identifier`` - lower-case
  letters, digits and ``_``, at most 63 characters - before they reach any SQL.
- Sort and distribution keys name plain scalar columns only (Redshift rejects a
  SUPER path there); the whole record is kept in ``event_data SUPER``.
- Only documented COPY forms: ``FORMAT JSON 'noshred'`` into a one-column SUPER
  staging table (each JSON document whole in ``rec``), ``GZIP`` or ``ZSTD``, and
  ``MANIFEST``. No JSONPaths file (Redshift documents a JSONPath expression as the
  path to a single name element; ``$`` for the whole record is not documented).
- Ordinary statements carry values as driver parameters (``%s``). COPY is the one
  exception: Redshift does not accept bind parameters in COPY (the server answers
  ``syntax error at or near "$1"``), so its values - the manifest URL and the IAM
  role ARN - are checked against strict patterns that admit no quote, backslash or
  whitespace, and only then written as literals; the compression is one of two
  keywords.
- No value of a record can fail the typing. ``insert_sql`` reads each staged
  record with PartiQL navigation (``staged.rec.event``, ``staged.rec."timestamp"``,
  the ids; lax: a missing attribute is NULL), takes a text column only from a JSON
  string (``JSON_TYPEOF(...) = 'string'``, then ``CAST(... AS VARCHAR(65535))``),
  and the timestamp's raw text from a string (the cast) or a number
  (``JSON_SERIALIZE``, its JSON spelling). Then, in SQL:

  * ``event_ts`` follows ``cocoevents.timestamps.parse_timestamp`` (timeline rules
    §1), in the SQL of the same module (``warehouse_ts_sql``). Anything else is
    NULL: the row is kept, its time unknown, the record whole in ``event_data``.
  * an id that is not a JSON string, is empty or is longer than its
    ``VARCHAR(64)`` (in bytes) is NULL in its column; an event name that is not a
    string or is longer than 128 bytes is NULL (not truncated: a cut name is a
    name no producer sent). The record keeps both in ``event_data``.

  The SQL uses only what Redshift and PostgreSQL share (``~`` with POSIX
  classes, ``REGEXP_SUBSTR``, ``SUBSTRING``, ``OCTET_LENGTH``, ``CASE``,
  ``TIMESTAMP 'epoch' + n * INTERVAL``) plus SUPER navigation, ``JSON_TYPEOF``
  and ``JSON_SERIALIZE``, which the PostgreSQL tests emulate over ``json``
  (tests/integration/test_warehouse.py compares the result with
  ``parse_timestamp``). It has not run on Redshift.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import UsageError
from ..producers.registry import ID_FIELDS
from ..timestamps import warehouse_ts_sql

IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
S3_URL = re.compile(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/[A-Za-z0-9_./=-]+$")
IAM_ROLE = re.compile(r"^arn:aws(?:-[a-z]+)*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$")

ID_COLUMNS = ID_FIELDS
ID_WIDTH = 64  # bytes, as Redshift counts VARCHAR
EVENT_WIDTH = 128
TEXT = "VARCHAR(65535)"  # Redshift's widest VARCHAR, and the longest string a SUPER value holds
STAGE_COLUMN = "rec"  # the staging table's one SUPER column: each JSON document whole (COPY ... 'noshred')
STAGE_ALIAS = "staged"
# Redshift COPY compression parameters by the archive's compression (plan.COMPRESSIONS).
COMPRESSION_PARAMETERS = {"gzip": "GZIP", "zstd": "ZSTD"}
# The events table's columns the insert fills from the staging table, in order.
EVENT_COLUMNS = ("event", "event_ts", *ID_COLUMNS, "event_data")


def identifier(name: str, what: str = "identifier") -> str:
    """``name`` unchanged when it is a plain lower-case SQL identifier, else ``UsageError``."""
    if not isinstance(name, str) or not IDENTIFIER.match(name):
        raise UsageError(f"invalid {what} {name!r}: use lower-case letters, digits and _ (at most 63)")
    return name


def s3_url(url: str, what: str = "S3 URL") -> str:
    if not isinstance(url, str) or not S3_URL.match(url):
        raise UsageError(f"invalid {what} {url!r}: expected s3://bucket/key with letters, digits and _ . / = -")
    return url


def iam_role(arn: str) -> str:
    if not isinstance(arn, str) or not IAM_ROLE.match(arn):
        raise UsageError("invalid IAM role: expected arn:aws:iam::<12 digits>:role/<name>")
    return arn


def literal(value: str) -> str:
    """A SQL string literal; only for values already checked by ``s3_url``/``iam_role``."""
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class Target:
    """Where events and the load log live; every name validated on creation."""

    schema: str = "analytics"
    table: str = "raw_events"
    load_log: str = "raw_events_load_log"
    baseline: str = "delivery_baseline"
    bounds: str = "event_bounds"

    def __post_init__(self) -> None:
        identifier(self.schema, "schema name")
        identifier(self.table, "table name")
        identifier(self.load_log, "load-log table name")
        identifier(self.baseline, "baseline table name")
        if self.table == self.load_log:
            raise UsageError("the load-log table must differ from the events table")
        if self.baseline in (self.table, self.load_log):
            raise UsageError("the baseline table must differ from the events and load-log tables")
        identifier(self.bounds, "bounds table name")
        if self.bounds in (self.table, self.load_log, self.baseline):
            raise UsageError("the bounds table must differ from the events, load-log and baseline tables")

    @property
    def events(self) -> str:
        return f"{self.schema}.{self.table}"

    @property
    def log(self) -> str:
        return f"{self.schema}.{self.load_log}"

    @property
    def fleet_baseline(self) -> str:
        return f"{self.schema}.{self.baseline}"

    @property
    def id_bounds(self) -> str:
        return f"{self.schema}.{self.bounds}"

    @property
    def bounds_stage(self) -> str:
        """The session-local table a run collects the bounds of its new rows in before merging them."""
        return f"coco_bounds_{self.table}"[:63]

    @property
    def stage(self) -> str:
        """The session-local staging table a run COPYs into before the final insert."""
        return f"coco_stage_{self.table}"[:63]


def create_schema_sql(target: Target) -> str:
    return f"CREATE SCHEMA IF NOT EXISTS {target.schema};"


def create_table_sql(target: Target) -> str:
    """The events table: scalar columns extracted at load time, the whole record in SUPER."""
    ids = "".join(f"    {c:<13} VARCHAR(64),\n" for c in ID_COLUMNS)
    return (
        f"CREATE TABLE IF NOT EXISTS {target.events} (\n"
        "    event         VARCHAR(128),\n"
        "    event_ts      TIMESTAMP,            -- UTC, from $.timestamp\n"
        f"{ids}"
        "    event_data    SUPER,                -- the whole record\n"
        "    load_manifest VARCHAR(1024),        -- manifest of the run that loaded the row\n"
        "    loaded_at     TIMESTAMP\n"
        ")\n"
        "DISTSTYLE AUTO\n"
        "COMPOUND SORTKEY (event_ts);"
    )


def create_load_log_sql(target: Target) -> str:
    """One row per S3 object loaded. Plain SQL (also valid PostgreSQL); Redshift does not enforce the key."""
    return (
        f"CREATE TABLE IF NOT EXISTS {target.log} (\n"
        "    bucket        VARCHAR(63)   NOT NULL,\n"
        "    s3_key        VARCHAR(1024) NOT NULL,\n"
        "    dt            DATE          NOT NULL,  -- the dt= folder the object was found in\n"
        "    size_bytes    BIGINT,\n"
        "    load_manifest VARCHAR(1024) NOT NULL,\n"
        "    loaded_at     TIMESTAMP     NOT NULL,  -- UTC\n"
        "    PRIMARY KEY (bucket, s3_key)\n"
        ");"
    )


def maxerror(value: int) -> int:
    """COPY's MAXERROR: ``value`` when it is an integer from 0 to 100000, else ``UsageError``."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100000:
        raise UsageError("max errors must be an integer from 0 to 100000")
    return value


def create_stage_sql(target: Target) -> str:
    """The session-local staging table COPY writes into: one SUPER column, as ``'noshred'`` requires."""
    return f"CREATE TEMP TABLE {target.stage} ({STAGE_COLUMN} SUPER)"


def copy_sql(target: Target, manifest_url: str, role_arn: str, compression: str = "gzip", max_errors: int = 0) -> str:
    """COPY of one manifest's objects (all of one compression) into the staging table, each JSON document whole.
    Values validated, see the module docstring."""
    maxerror(max_errors)
    if compression not in COMPRESSION_PARAMETERS:
        raise UsageError(f"unknown compression {compression!r}: expected gzip or zstd")
    return (
        f"COPY {target.stage}\n"
        f"FROM {literal(s3_url(manifest_url, 'manifest URL'))}\n"
        f"IAM_ROLE {literal(iam_role(role_arn))}\n"
        "MANIFEST\n"
        "FORMAT JSON 'noshred'\n"
        f"{COMPRESSION_PARAMETERS[compression]}\n"
        f"MAXERROR {max_errors}"
    )


def navigate(attribute: str) -> str:
    """PartiQL navigation to a top-level attribute of the staged record (quoted: ``timestamp`` is a keyword)."""
    if not IDENTIFIER.match(attribute):
        raise ValueError(f"not a plain attribute name: {attribute!r}")
    return f'{STAGE_ALIAS}.{STAGE_COLUMN}."{attribute}"'


def string_attribute(attribute: str) -> str:
    """The attribute's text when it is a JSON string, else NULL."""
    path = navigate(attribute)
    return f"CASE WHEN JSON_TYPEOF({path}) = 'string' THEN CAST({path} AS {TEXT}) END"


def staged_sql(stage: str) -> str:
    """The staged records read with PartiQL navigation: the text columns, the timestamp's JSON type and raw text
    (a string's characters, a number's JSON spelling), and the record whole."""
    ts = navigate("timestamp")
    ids = "".join(f"               {string_attribute(c)} AS {c},\n" for c in ID_COLUMNS)
    return (
        f"SELECT {string_attribute('event')} AS event,\n"
        f"{ids}"
        f"               JSON_TYPEOF({ts}) AS ts_type,\n"
        f"               CASE WHEN JSON_TYPEOF({ts}) = 'string' THEN CAST({ts} AS {TEXT})\n"
        f"                    WHEN JSON_TYPEOF({ts}) = 'number' THEN JSON_SERIALIZE({ts}) END AS ts_raw,\n"
        f"               {STAGE_ALIAS}.{STAGE_COLUMN} AS event_data\n"
        f"        FROM {stage} {STAGE_ALIAS}"
    )


def typed_rows_sql(stage: str) -> str:
    """A derived table over ``stage`` with the typed columns the insert needs: ``event``, the ids,
    ``event_data`` and ``event_ts`` - the staged records navigated (``staged_sql``), then their timestamp read by
    the grammar of timeline rules §1 in the SQL Redshift and PostgreSQL share (``timestamps.warehouse_ts_sql``)."""
    columns = ", ".join(("event", *ID_COLUMNS, "event_data"))
    return f"({warehouse_ts_sql(staged_sql(stage), columns, 'event_ts')}) typed"


def clean_id(column: str) -> str:
    """An id column as the events table keeps it: NULL when empty or longer than ``ID_WIDTH`` bytes."""
    return f"CASE WHEN OCTET_LENGTH({column}) <= {ID_WIDTH} THEN NULLIF({column}, '') END"


def insert_sql(target: Target) -> str:
    """``INSERT ... SELECT`` from the staging table into the events table, typing the columns (module docstring).

    Two parameters: the manifest URL and the load time.
    """
    ids = ",\n       ".join(clean_id(c) for c in ID_COLUMNS)
    return (
        f"INSERT INTO {target.events} ({', '.join(EVENT_COLUMNS)}, load_manifest, loaded_at)\n"
        f"SELECT CASE WHEN OCTET_LENGTH(event) <= {EVENT_WIDTH} THEN event END,\n"
        "       event_ts,\n"
        f"       {ids},\n"
        "       event_data, CAST(%s AS VARCHAR(1024)), CAST(%s AS TIMESTAMP)\n"
        f"FROM {typed_rows_sql(target.stage)}"
    )


# --- the id -> time-bounds table ------------------------------------------------------------------------------

# The kinds of id the bounds table keeps, each named after its column (``delivery`` for ``delivery_id``).
BOUNDS_KINDS = tuple(c.removesuffix("_id") for c in ID_COLUMNS)
BOUNDS_COLUMNS = ("kind", "id", "first_ts", "last_ts")


def create_bounds_sql(target: Target) -> str:
    """The id -> time-bounds table: per kind of id and id, the first and last ``event_ts`` of the rows carrying
    it in that column (untimed rows aside). Kept by the COPY job (``merge_bounds_statements``), filled whole by
    ``rebuild_bounds_statements``; the Redshift source reads it to bound a delivery's statements by the
    delivery's own time, so the sort key prunes every other block. Plain SQL (also valid PostgreSQL)."""
    return (
        f"CREATE TABLE IF NOT EXISTS {target.id_bounds} (\n"
        "    kind          VARCHAR(8)  NOT NULL,  -- delivery | robot | pilot | demand | offer: the id's column\n"
        "    id            VARCHAR(64) NOT NULL,\n"
        "    first_ts      TIMESTAMP   NOT NULL,  -- UTC: the earliest event_ts of the rows carrying the id\n"
        "    last_ts       TIMESTAMP   NOT NULL,  -- UTC: the latest\n"
        "    PRIMARY KEY (kind, id)\n"
        ");"
    )


def bounds_rows_sql(relation: str) -> str:
    """``SELECT kind, id, first_ts, last_ts`` over ``relation`` (a table or derived table with ``event_ts`` and
    the id columns, ids already as the events table keeps them): one row per kind and id with a timed row. One
    pass: each row is paired with the five kinds (a cross join with a constant list) and grouped."""
    kinds = " UNION ALL ".join(f"SELECT '{k}' AS kind" for k in BOUNDS_KINDS)
    pick = " ".join(f"WHEN '{k}' THEN r.{c}" for k, c in zip(BOUNDS_KINDS, ID_COLUMNS))
    return (
        "SELECT kind, id, MIN(event_ts) AS first_ts, MAX(event_ts) AS last_ts\n"
        f"FROM (SELECT k.kind, CASE k.kind {pick} END AS id, r.event_ts\n"
        f"      FROM {relation} CROSS JOIN ({kinds}) k\n"
        "      WHERE r.event_ts IS NOT NULL) ids\n"
        "WHERE id IS NOT NULL\n"
        "GROUP BY kind, id"
    )


def staged_bounds_sql(target: Target) -> str:
    """``INSERT`` into the run's bounds stage the bounds of the rows staged for the events table, typed exactly as
    ``insert_sql`` types them (``typed_rows_sql``, ``clean_id``)."""
    ids = ", ".join(f"{clean_id(c)} AS {c}" for c in ID_COLUMNS)
    relation = f"(SELECT event_ts, {ids} FROM {typed_rows_sql(target.stage)}) r"
    return f"INSERT INTO {target.bounds_stage} ({', '.join(BOUNDS_COLUMNS)})\n{bounds_rows_sql(relation)}"


def create_bounds_stage_sql(target: Target) -> str:
    return f"CREATE TEMP TABLE {target.bounds_stage} (kind VARCHAR(8), id VARCHAR(64), first_ts TIMESTAMP, last_ts TIMESTAMP)"


def merge_bounds_statements(target: Target) -> list[str]:
    """Widen the bounds table by the run's bounds stage, in the run's transaction (a delete and an insert: the
    form Redshift documents for merging a staging table, and valid PostgreSQL): the table's rows of the ids the
    run touched join the stage, those rows are deleted, and one row per id - the earliest first, the latest last -
    is inserted. A late event (one landing in an older ``dt=`` folder) widens its ids' bounds the same way."""
    t, s = target.id_bounds, target.bounds_stage
    cols = ", ".join(BOUNDS_COLUMNS)
    return [
        f"INSERT INTO {s} ({cols}) SELECT b.kind, b.id, b.first_ts, b.last_ts FROM {t} b "
        f"JOIN (SELECT DISTINCT kind, id FROM {s}) n ON b.kind = n.kind AND b.id = n.id",
        f"DELETE FROM {t} USING {s} WHERE {target.bounds}.kind = {s}.kind AND {target.bounds}.id = {s}.id",
        f"INSERT INTO {t} ({cols}) SELECT kind, id, MIN(first_ts), MAX(last_ts) FROM {s} GROUP BY kind, id",
        f"DROP TABLE {s}",
    ]


def rebuild_bounds_statements(target: Target, lock: bool = True) -> list[str]:
    """The bounds table filled from every row of the events table (one full scan): the migration that brings
    it in, safe to run again. With ``lock``, the load log is locked first, so no load commits meanwhile."""
    ids = ", ".join(ID_COLUMNS)
    return [
        *([f"LOCK {target.log}"] if lock else []),
        create_bounds_sql(target).rstrip(";"),
        f"DELETE FROM {target.id_bounds}",
        f"INSERT INTO {target.id_bounds} ({', '.join(BOUNDS_COLUMNS)})\n"
        + bounds_rows_sql(f"(SELECT event_ts, {ids} FROM {target.events}) r"),
    ]


BASELINE_DAYS = 28


def create_baseline_sql(target: Target) -> str:
    """The fleet baseline (findings rules §3): one row per transition, refreshed by ``refresh_baseline_sql``."""
    return (
        f"CREATE TABLE IF NOT EXISTS {target.fleet_baseline} (\n"
        "    a            VARCHAR(128)     NOT NULL,  -- step A (event name)\n"
        "    b            VARCHAR(128)     NOT NULL,  -- the next step B\n"
        "    n            BIGINT           NOT NULL,  -- transitions A -> B seen\n"
        "    p50          DOUBLE PRECISION NOT NULL,  -- seconds\n"
        "    p95          DOUBLE PRECISION NOT NULL,\n"
        "    p99          DOUBLE PRECISION NOT NULL,\n"
        "    since        TIMESTAMP        NOT NULL,  -- UTC: the events counted start here\n"
        "    refreshed_at TIMESTAMP        NOT NULL   -- UTC\n"
        ");"
    )


def refresh_baseline_statements(target: Target, now: Any) -> list[tuple[str, tuple[Any, ...]]]:
    """Replace the baseline with one computed over the last ``BASELINE_DAYS`` days before ``now`` (a naive UTC
    ``datetime``): create the table when missing, empty it, insert the one ``SELECT`` of ``core.baseline``.
    Run inside the caller's transaction (readers see the old or the new baseline, never none)."""
    from datetime import timedelta

    from ..core.baseline import COLUMNS, transitions_sql

    since = now - timedelta(days=BASELINE_DAYS)
    select, params = transitions_sql(target.events, "event_ts", "%s", since)
    return [
        (create_baseline_sql(target).rstrip(";"), ()),
        (f"DELETE FROM {target.fleet_baseline}", ()),
        (
            f"INSERT INTO {target.fleet_baseline} ({', '.join(COLUMNS)}, since, refreshed_at) "
            f"SELECT {', '.join(COLUMNS)}, CAST(%s AS TIMESTAMP), CAST(%s AS TIMESTAMP) FROM ({select}) baseline",
            (since, now, *params),
        ),
    ]


def ddl_script(target: Target) -> str:
    """Everything ``coco warehouse ddl`` prints: schema, table, load log, baseline and bounds tables."""
    return (
        f"-- coco warehouse ddl: Redshift objects for {target.events}\n"
        f"{create_schema_sql(target)}\n\n"
        f"{create_table_sql(target)}\n\n"
        f"{create_load_log_sql(target)}\n\n"
        f"{create_baseline_sql(target)}\n\n"
        f"{create_bounds_sql(target)}\n"
        "-- COPY loads each record whole (FORMAT JSON 'noshred') into a one-column SUPER staging table; no\n"
        "-- JSONPaths file is needed (deploy/README.md).\n"
    )
