"""The warehouse schema as text: table, load log, JSONPaths document and COPY statement.

Guarantees:

- Identifiers (schema, table, load-log table) pass ``identifier`` - lower-case
  letters, digits and ``_``, at most 63 characters - before they reach any SQL.
- Sort and distribution keys name plain scalar columns only (Redshift rejects a
  SUPER path there); the whole record is kept in ``event_data SUPER``.
- Ordinary statements carry values as driver parameters (``%s``). COPY is the one
  exception: Redshift does not accept bind parameters in COPY (the server answers
  ``syntax error at or near "$1"``), so its three values - the manifest URL, the
  JSONPaths URL and the IAM role ARN - are checked against strict patterns that
  admit no quote, backslash or whitespace, and only then written as literals.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ..errors import UsageError

IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
S3_URL = re.compile(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/[A-Za-z0-9_./=-]+$")
IAM_ROLE = re.compile(r"^arn:aws(?:-[a-z]+)*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$")

ID_COLUMNS = ("delivery_id", "robot_id", "pilot_id", "demand_id", "offer_id")
# Column -> JSONPath, in COPY column-list order. "$" is the whole record (into SUPER).
JSONPATHS: tuple[tuple[str, str], ...] = (
    ("event", "$.event"),
    ("event_ts", "$.timestamp"),
    *((c, f"$.{c}") for c in ID_COLUMNS),
    ("event_data", "$"),
)
COPY_COLUMNS = tuple(column for column, _ in JSONPATHS)


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

    def __post_init__(self) -> None:
        identifier(self.schema, "schema name")
        identifier(self.table, "table name")
        identifier(self.load_log, "load-log table name")
        if self.table == self.load_log:
            raise UsageError("the load-log table must differ from the events table")

    @property
    def events(self) -> str:
        return f"{self.schema}.{self.table}"

    @property
    def log(self) -> str:
        return f"{self.schema}.{self.load_log}"

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


def jsonpaths_document() -> dict[str, Any]:
    """The JSONPaths file: one path per COPY column, in the same order."""
    return {"jsonpaths": [path for _, path in JSONPATHS]}


def jsonpaths_json() -> str:
    return json.dumps(jsonpaths_document(), indent=2) + "\n"


def copy_sql(target: Target, manifest_url: str, jsonpaths_url: str, role_arn: str, max_errors: int = 0) -> str:
    """COPY of one manifest into the staging table. Values validated, see the module docstring."""
    if not isinstance(max_errors, int) or isinstance(max_errors, bool) or not 0 <= max_errors <= 100000:
        raise UsageError("max errors must be an integer from 0 to 100000")
    columns = ", ".join(COPY_COLUMNS)
    return (
        f"COPY {target.stage} ({columns})\n"
        f"FROM {literal(s3_url(manifest_url, 'manifest URL'))}\n"
        f"IAM_ROLE {literal(iam_role(role_arn))}\n"
        "MANIFEST\n"
        f"FORMAT AS JSON {literal(s3_url(jsonpaths_url, 'JSONPaths URL'))}\n"
        "TIMEFORMAT 'auto'\n"
        "GZIP\n"
        f"MAXERROR {max_errors}"
    )


def ddl_script(target: Target) -> str:
    """Everything ``coco warehouse ddl`` prints: schema, table, load log, and the JSONPaths file as a comment."""
    jsonpaths = "".join(f"--   {line}\n" for line in jsonpaths_json().splitlines())
    return (
        f"-- coco warehouse ddl: Redshift objects for {target.events}\n"
        f"{create_schema_sql(target)}\n\n"
        f"{create_table_sql(target)}\n\n"
        f"{create_load_log_sql(target)}\n\n"
        "-- JSONPaths file (upload outside the dt= data prefix; `coco warehouse load` writes it to\n"
        "-- s3://<bucket>/_coco/jsonpaths.json unless --jsonpaths-url names another):\n"
        f"{jsonpaths}"
    )
