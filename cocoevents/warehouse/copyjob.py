"""The hourly COPY job: load new archive objects into Redshift exactly once.

One run:

1. lists the ``dt=`` prefixes of the window (today UTC and ``days`` before, 14 by default: the horizon for late
   events, see below) in S3;
2. in one database transaction: ``LOCK`` the load log (concurrent runs queue
   here), read the keys of the window already loaded, keep only new keys;
3. writes a manifest naming exactly those keys under the manifest prefix
   (outside the data prefix) - one per compression among them (gzip, zstd),
   since COPY takes one compression parameter per statement;
4. per manifest, COPYs its objects into a session-local staging table of one
   SUPER column (``FORMAT JSON 'noshred'``: each record whole, so no record
   value can make COPY fail, see ``ddl``), inserts the staged rows into the
   events table - typing ``event``, ``event_ts`` and the ids in SQL with SUPER
   navigation, NULL where a value is unusable, never dropping the row - stamped
   with that manifest and the load time, and collects the time bounds of the staged rows' ids; then widens
   the id -> time-bounds table by them (``ddl.merge_bounds_statements``: the Redshift source bounds a
   delivery's statements by it), refreshes the fleet baseline, records every key in the load log with its
   manifest, and commits.

Guarantees: a key is recorded in the load log in the same transaction that
inserts its rows, so a failure anywhere (listing aside) rolls both back and the
next run retries the same keys; a key already recorded is never loaded again.
Every value except COPY's two checked literals (see ``ddl``) is a bound
parameter. Error messages pass through ``redact``. A dry run lists S3 but never
connects to the database nor writes to S3; it cannot read the load log, so its
plan shows every archive object of the window as a candidate.

Late events: Vector files an event under its own timestamp's ``dt=`` folder, so an
event that reaches the archive days late lands in a folder an earlier run already
loaded. Every run lists the whole horizon and takes each key the load log does not
hold, so such an object is loaded by the next run, exactly once, whatever its folder
inside the horizon (an object older than the horizon needs one run with a larger
``days``). Chosen over S3's LastModified relative to the last load: the load log is
already the exactly-once record, and LastModified would add a clock comparison
(an upload's LastModified is its start, which can precede the run that lists it).
The cost is one LIST request per folder (and per 1,000 keys) and reading the load
log's keys of the window, per run.

Left outside the transaction, and harmless: a manifest written by a run that
then rolls back stays in S3, unreferenced.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable, Mapping

from ..errors import CocoError, ExitCode, SourceUnavailable, UsageError
from ..redact import redact
from ..textsafe import visible
from . import ddl
from . import plan as planning
from .ddl import Target
from .plan import Plan

LOG_INSERT_CHUNK = 500
DEFAULT_MANIFEST_PREFIX = "_coco/manifests/"
# The days before today (UTC) each run lists: the horizon within which a late object is still found (module doc).
DEFAULT_DAYS = 14
JSONPATHS_IGNORED = (
    "jsonpaths_url is ignored and can be removed: COPY loads each record whole with "
    "FORMAT JSON 'noshred' and needs no JSONPaths file (deploy/README.md)"
)


class LoadFailed(CocoError):
    """The transaction failed and was rolled back; nothing of this run is recorded."""

    exit_code = ExitCode.UNAVAILABLE


@dataclass(frozen=True)
class Statement:
    sql: str
    params: tuple[Any, ...] = ()
    fetch: bool = False  # the statement returns one row the job reads


@dataclass(frozen=True)
class LoadConfig:
    """Everything a run needs; validated on creation (``UsageError`` on a bad value)."""

    bucket: str
    iam_role: str
    days: int = DEFAULT_DAYS
    target: Target = field(default_factory=Target)
    data_prefix: str = ""
    manifest_prefix: str = DEFAULT_MANIFEST_PREFIX
    max_errors: int = 0
    statement_timeout_ms: int | None = None
    jsonpaths_url: str | None = None  # deprecated and ignored (no JSONPaths file since 'noshred'): a warning

    def __post_init__(self) -> None:
        planning.bucket_name(self.bucket)
        ddl.iam_role(self.iam_role)
        planning.window(self.days)
        planning.check_layout(self.data_prefix, self.manifest_prefix)
        ddl.maxerror(self.max_errors)
        t = self.statement_timeout_ms
        if t is not None and (not isinstance(t, int) or isinstance(t, bool) or t < 0):
            raise UsageError("statement timeout must be a non-negative number of milliseconds")

    @property
    def warnings(self) -> list[str]:
        return [JSONPATHS_IGNORED] if self.jsonpaths_url is not None else []


@dataclass
class LoadResult:
    run_id: str
    dry_run: bool
    window: list[date]
    plan: Plan
    manifests: dict[str, str]  # compression -> manifest URL, one per compression among the new objects
    statements: list[Statement]
    rows_loaded: int | None = None
    committed: bool = False
    warnings: list[str] = field(default_factory=list)

    def late_files(self) -> list[planning.S3Object]:
        """The new objects in a ``dt=`` folder older than yesterday (UTC): events that reached the archive late."""
        yesterday = self.window[-1] - timedelta(days=1)
        return [o for o in self.plan.new if o.dt < yesterday]

    @property
    def manifest_url(self) -> str | None:
        """The run's first manifest (its only one unless it loads gzip and zstd objects)."""
        return next(iter(self.manifests.values()), None)

    def summary(self) -> dict[str, Any]:
        """A JSON-able account of the run (what the CLI prints and the Lambda handler returns)."""
        summary: dict[str, Any] = {
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "bucket": self.plan.bucket,
            "window": [d.isoformat() for d in self.window],
            "files_listed": len(self.plan.listing.objects),
            "files_ignored": len(self.plan.listing.ignored),
        }
        if self.dry_run:  # the load log was not read: every listed file is only a candidate
            summary["files_candidate"] = len(self.plan.new)
        else:
            summary["files_already_loaded"] = len(self.plan.already_loaded)
            summary["files_loaded"] = len(self.plan.new) if self.committed else 0
            summary["files_late"] = len(self.late_files()) if self.committed else 0
        summary.update(
            rows_loaded=self.rows_loaded, manifest=self.manifest_url, manifests=list(self.manifests.values()), committed=self.committed
        )
        if self.warnings:
            summary["warnings"] = list(self.warnings)
        return summary


# --- the SQL ---------------------------------------------------------------------------------------------------


def lock_statement(target: Target) -> Statement:
    return Statement(f"LOCK {target.log}")


def loaded_keys_statement(target: Target, bucket: str, days: list[date]) -> Statement:
    return Statement(
        f"SELECT s3_key FROM {target.log} WHERE bucket = %s AND dt BETWEEN %s AND %s",
        (bucket, days[0], days[-1]),
    )


def manifest_urls(config: LoadConfig, plan: Plan, run_id: str) -> dict[str, str]:
    """One manifest per compression among the plan's new objects (COPY takes one compression per statement)."""
    return {c: planning.object_url(config.bucket, planning.manifest_key(config.manifest_prefix, run_id, c)) for c in plan.compressions()}


def load_statements(config: LoadConfig, plan: Plan, manifests: Mapping[str, str], loaded_at: datetime) -> list[Statement]:
    """The statements after the plan is known, in order, for one transaction: per compression, COPY its
    manifest into the staging table, count, insert stamped with that manifest, collect the bounds of the staged
    rows' ids, empty the stage (``DELETE``: ``TRUNCATE`` would commit); then widen the id -> time-bounds table
    by what was collected (``ddl.merge_bounds_statements``), refresh the baseline and write the load log."""
    t = config.target
    statements = [
        Statement(ddl.create_bounds_sql(t).rstrip(";")),
        Statement(ddl.create_stage_sql(t)),
        Statement(ddl.create_bounds_stage_sql(t)),
    ]
    for n, (compression, url) in enumerate(manifests.items()):
        if n:
            statements.append(Statement(f"DELETE FROM {t.stage}"))
        statements += [
            Statement(ddl.copy_sql(t, url, config.iam_role, compression, config.max_errors)),
            Statement(f"SELECT COUNT(*) FROM {t.stage}", fetch=True),
            Statement(ddl.insert_sql(t), (url, loaded_at)),
            Statement(ddl.staged_bounds_sql(t)),
        ]
    statements.append(Statement(f"DROP TABLE {t.stage}"))
    statements += [Statement(sql) for sql in ddl.merge_bounds_statements(t)]
    statements += baseline_statements(t, loaded_at)
    for start in range(0, len(plan.new), LOG_INSERT_CHUNK):
        chunk = plan.new[start : start + LOG_INSERT_CHUNK]
        values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(chunk))
        params: list[Any] = []
        for o in chunk:
            params += [plan.bucket, o.key, o.dt, o.size, manifests[o.compression], loaded_at]
        statements.append(
            Statement(
                f"INSERT INTO {t.log} (bucket, s3_key, dt, size_bytes, load_manifest, loaded_at) VALUES {values}",
                tuple(params),
            )
        )
    return statements


def baseline_statements(target: Target, now: datetime) -> list[Statement]:
    """The fleet baseline refresh (``coco warehouse baseline``; the job runs it after its insert, in the same
    transaction, so the baseline always covers the rows the job committed)."""
    return [Statement(sql, params) for sql, params in ddl.refresh_baseline_statements(target, now)]


def _connected(connect: Callable[[], Any]) -> Any:
    """``connect()``, with any failure but coco's own as one redacted line (exit 4)."""
    try:
        return connect()
    except CocoError:
        raise
    except Exception as e:
        raise SourceUnavailable(redact(f"cannot connect to the database: {_one_line(e)}")) from e


def refresh_baseline(target: Target, connect: Callable[[], Any], now: datetime | None = None) -> int:
    """``coco warehouse baseline``: refresh the baseline table in one transaction; returns its row count."""
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(tzinfo=None)
    conn = _connected(connect)
    executed: list[Statement] = []
    try:
        cursor = conn.cursor()
        for st in baseline_statements(target, now):
            _execute(cursor, st, executed)
        _execute(cursor, Statement(f"SELECT COUNT(*) FROM {target.fleet_baseline}", fetch=True), executed)
        count = int(cursor.fetchone()[0])
        conn.commit()
        return count
    except Exception as e:
        try:
            conn.rollback()
        except Exception:
            pass
        step = executed[-1].sql.split()[0] if executed else "start"
        raise LoadFailed(redact(f"baseline refresh rolled back at {step}: {_one_line(e)}")) from e
    finally:
        try:
            conn.close()
        except Exception:
            pass


def session_statements(config: LoadConfig) -> list[Statement]:
    if config.statement_timeout_ms is None:
        return []
    return [Statement(f"SET statement_timeout TO {int(config.statement_timeout_ms)}")]


# --- the run ---------------------------------------------------------------------------------------------------


def new_run_id(now: datetime) -> str:
    return now.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]


def run_load(
    config: LoadConfig,
    s3: Any,
    connect: Callable[[], Any] | None = None,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
) -> LoadResult:
    """Plan and (unless ``dry_run``) execute one load. ``connect`` returns a DB-API connection (format paramstyle)."""
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    days = planning.window(config.days, now)
    try:
        listing = planning.list_window(s3, config.bucket, config.data_prefix, days)
    except CocoError:
        raise
    except Exception as e:
        raise SourceUnavailable(redact(f"cannot list s3://{config.bucket}/: {_one_line(e)}")) from e
    run_id = new_run_id(now)
    loaded_at = now.replace(tzinfo=None)

    if dry_run:
        plan = planning.plan_load(config.bucket, listing, ())
        manifests = manifest_urls(config, plan, run_id)
        statements = [
            *session_statements(config),
            lock_statement(config.target),
            loaded_keys_statement(config.target, config.bucket, days),
            *(load_statements(config, plan, manifests, loaded_at) if plan.new else []),
        ]
        return LoadResult(run_id, True, days, plan, manifests, statements, warnings=config.warnings)

    if connect is None:
        raise UsageError("a database connection is needed for a load (or use --dry-run)")
    conn = _connected(connect)
    executed: list[Statement] = []
    try:
        cursor = conn.cursor()
        head = [*session_statements(config), lock_statement(config.target)]
        for st in head:
            _execute(cursor, st, executed)
        read = loaded_keys_statement(config.target, config.bucket, days)
        _execute(cursor, read, executed)
        plan = planning.plan_load(config.bucket, listing, (row[0] for row in cursor.fetchall()))
        manifests = manifest_urls(config, plan, run_id)
        result = LoadResult(run_id, False, days, plan, manifests, executed, warnings=config.warnings)
        if not plan.new:
            conn.commit()
            result.committed, result.rows_loaded = True, 0
            return result
        for compression in manifests:
            s3.put_object(
                Bucket=config.bucket,
                Key=planning.manifest_key(config.manifest_prefix, run_id, compression),
                Body=planning.manifest_json(plan, compression).encode(),
                ContentType="application/json",
            )
        result.rows_loaded = 0
        for st in load_statements(config, plan, manifests, loaded_at):
            _execute(cursor, st, executed)
            if st.fetch:
                result.rows_loaded += int(cursor.fetchone()[0])
        conn.commit()
        result.committed = True
        return result
    except Exception as e:
        try:
            conn.rollback()
        except Exception:  # the connection may be gone; the server rolls back an unfinished transaction
            pass
        step = executed[-1].sql.split()[0] if executed else "start"
        raise LoadFailed(redact(f"load rolled back at {step}: {_one_line(e)}")) from e
    finally:
        try:
            conn.close()
        except Exception:
            pass


def _execute(cursor: Any, st: Statement, executed: list[Statement]) -> None:
    executed.append(st)
    if st.params:
        cursor.execute(st.sql, st.params)
    else:
        cursor.execute(st.sql)


def _one_line(e: BaseException) -> str:
    text = str(e).strip()
    return f"{type(e).__name__}: {text.splitlines()[0] if text else ''}"[:500]


# --- rendering the plan ------------------------------------------------------------------------------------------


def render_sql(statement: Statement) -> str:
    """A statement as printed by ``--dry-run``: the SQL with ``%s`` markers, its parameters as a comment."""
    text = statement.sql.rstrip(";") + ";"
    if statement.params:
        text += "\n-- parameters: " + ", ".join(_param(p) for p in statement.params)
    return text


def _param(value: Any) -> str:
    if isinstance(value, (date, datetime)):
        return repr(value.isoformat())
    return repr(value)


def render_dry_run(result: LoadResult) -> str:
    """The plan and the SQL of a dry run, as SQL comments (each one line, escaped) and statements (values shown
    by ``repr``, escaped too)."""
    p = result.plan
    lines = [
        "-- coco warehouse load --dry-run: nothing is written to S3 or the database",
        f"-- window: {', '.join(p.listing.prefixes)} in s3://{p.bucket}/",
        f"-- candidates: {len(p.new):,} archive file(s); the load log is not read in a dry run,"
        " so keys already in it are listed here but would be skipped",
    ]
    lines += [f"--   {planning.object_url(p.bucket, o.key)}  ({o.size} bytes)" for o in p.new]
    if p.listing.ignored:
        lines.append(f"-- ignored: {len(p.listing.ignored):,} key(s)")
        lines += [f"--   s3://{p.bucket}/{i.key}  ({i.reason})" for i in p.listing.ignored]
    if p.new:
        for compression, url in result.manifests.items():
            lines.append(f"-- manifest to write ({compression} objects): {url}")
            lines += [f"--   {line}" for line in planning.manifest_json(p, compression).splitlines()]
    else:
        lines.append("-- nothing to load: the run would commit after reading the load log")
    # Keys are anyone's text: a CR or LF in one would end its comment for PostgreSQL and psql and run the rest as
    # SQL; escape sequences would reach the terminal. Every comment line is escaped whole (``textsafe.visible``).
    lines = [visible(line) for line in lines]
    lines.append("-- SQL, in one transaction:")
    lines.append("BEGIN;")
    lines += [render_sql(st) for st in result.statements]
    lines.append("COMMIT;")
    return "\n".join(lines) + "\n"


# --- Lambda ------------------------------------------------------------------------------------------------------

ENV_PREFIX = "COCO_WAREHOUSE_"
_FIELDS = {
    "bucket": str,
    "iam_role": str,
    "days": int,
    "schema": str,
    "table": str,
    "load_log": str,
    "data_prefix": str,
    "manifest_prefix": str,
    "jsonpaths_url": str,
    "max_errors": int,
    "statement_timeout_ms": int,
}


def config_from(event: Mapping[str, Any] | None, env: Mapping[str, str] | None = None) -> LoadConfig:
    """A ``LoadConfig`` from an event mapping, falling back to ``COCO_WAREHOUSE_<FIELD>`` variables."""
    event = dict(event or {})
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    for name, kind in _FIELDS.items():
        raw = event.get(name, env.get(ENV_PREFIX + name.upper()))
        if raw is None or raw == "":
            continue
        try:
            values[name] = kind(raw) if not isinstance(raw, bool) else raw
        except (TypeError, ValueError):
            raise UsageError(f"{name} must be {'an integer' if kind is int else 'text'}") from None
    for required in ("bucket", "iam_role"):
        if required not in values:
            raise UsageError(f"missing {required} (event key {required!r} or ${ENV_PREFIX}{required.upper()})")
    target = Target(**{k: values.pop(k) for k in ("schema", "table", "load_log") if k in values})
    return LoadConfig(target=target, **values)


def _connect() -> Any:  # replaced in tests
    from .connect import connect_from_env

    return connect_from_env()


def handler(event: Mapping[str, Any] | None, context: Any = None) -> dict[str, Any]:
    """Lambda entry point: configuration from the event, else the environment; returns the run summary and
    prints it as one JSON line (the log group's record of each run: a scheduled invocation's result goes nowhere)."""
    import boto3

    config = config_from(event)
    dry_run = bool((event or {}).get("dry_run", False))
    result = run_load(config, boto3.client("s3"), _connect, dry_run=dry_run)
    summary = result.summary()
    if dry_run:
        summary["sql"] = [render_sql(st) for st in result.statements]
    print(json.dumps(summary, default=str), flush=True)
    return summary
