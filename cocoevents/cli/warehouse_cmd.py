"""``coco warehouse ddl|load|baseline``: the Redshift table, its load log and the hourly COPY job.

``ddl`` prints SQL only. ``load`` lists S3 and, unless ``--dry-run``, runs the
load in one Redshift transaction; the run summary (JSON) goes to stdout. A dry
run prints the plan and the SQL and never connects to Redshift. The Redshift
password is read from ``COCO_REDSHIFT_PASSWORD`` only; boto3 and
redshift_connector are imported inside the commands.
"""

from __future__ import annotations

import json
import sys
from typing import Optional

import typer

from .app import app
from .options import ProfileOption

warehouse_app = typer.Typer(
    name="warehouse",
    help="Redshift DDL and the hourly S3 -> Redshift COPY job.",
    no_args_is_help=True,
)
app.add_typer(warehouse_app, name="warehouse")

SchemaOption = typer.Option("analytics", "--schema", envvar="COCO_WAREHOUSE_SCHEMA", help="Redshift schema.")
TableOption = typer.Option("raw_events", "--table", envvar="COCO_WAREHOUSE_TABLE", help="Events table.")
LogOption = typer.Option(
    "raw_events_load_log", "--load-log", envvar="COCO_WAREHOUSE_LOAD_LOG", help="Load-log table (S3 keys already loaded)."
)
BaselineOption = typer.Option(
    "delivery_baseline",
    "--baseline-table",
    envvar="COCO_WAREHOUSE_BASELINE",
    help="Fleet baseline table (findings rules §3), in the same schema.",
)


@warehouse_app.command("ddl")
def ddl(
    schema: str = SchemaOption,
    table: str = TableOption,
    load_log: str = LogOption,
    baseline_table: str = BaselineOption,
    jsonpaths: bool = typer.Option(
        False, "--jsonpaths", hidden=True, help="Removed: COPY needs no JSONPaths file since FORMAT JSON 'noshred'."
    ),
) -> None:
    """Print the corrected CREATE TABLE, the load-log table and the baseline table."""
    from ..errors import UsageError
    from ..warehouse import ddl as ddl_mod

    if jsonpaths:
        raise UsageError(
            "--jsonpaths was removed: COPY loads each record whole with FORMAT JSON 'noshred' "
            "and needs no JSONPaths file (deploy/README.md)"
        )
    target = ddl_mod.Target(schema=schema, table=table, load_log=load_log, baseline=baseline_table)
    sys.stdout.write(ddl_mod.ddl_script(target))


@warehouse_app.command("load")
def load(
    bucket: str = typer.Option(..., "--bucket", envvar="COCO_WAREHOUSE_BUCKET", help="Archive bucket."),
    days: Optional[int] = typer.Option(
        None,
        "--days",
        envvar="COCO_WAREHOUSE_DAYS",
        help="Also list the dt= prefixes of this many days before today (UTC): how late an event may land and still "
        "be loaded by the next run. Default 14.",
    ),
    iam_role: str = typer.Option(..., "--iam-role", envvar="COCO_WAREHOUSE_IAM_ROLE", help="IAM role ARN Redshift assumes to read S3."),
    schema: str = SchemaOption,
    table: str = TableOption,
    load_log: str = LogOption,
    baseline_table: str = BaselineOption,
    data_prefix: str = typer.Option(
        "", "--data-prefix", envvar="COCO_WAREHOUSE_DATA_PREFIX", help="Prefix above the dt= folders ('' or ending in /)."
    ),
    manifest_prefix: str = typer.Option(
        "_coco/manifests/",
        "--manifest-prefix",
        envvar="COCO_WAREHOUSE_MANIFEST_PREFIX",
        help="Where manifests are written (outside the data prefix).",
    ),
    jsonpaths_url: Optional[str] = typer.Option(
        None,
        "--jsonpaths-url",
        envvar="COCO_WAREHOUSE_JSONPATHS_URL",
        hidden=True,
        help="Deprecated and ignored (a warning): COPY needs no JSONPaths file since FORMAT JSON 'noshred'.",
    ),
    max_errors: int = typer.Option(
        0, "--max-errors", help="COPY MAXERROR, per COPY statement (one per compression; 0: any bad record fails the run)."
    ),
    endpoint_url: Optional[str] = typer.Option(
        None, "--s3-endpoint-url", envvar="COCO_S3_ENDPOINT_URL", help="S3-compatible endpoint (tests, MinIO)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan and the SQL; do not connect to Redshift."),
    profile: Optional[str] = ProfileOption,
) -> None:
    """Load new archive objects of the recent dt= prefixes into Redshift, once each."""
    from ..warehouse import copyjob
    from ..warehouse.ddl import Target

    config = copyjob.LoadConfig(
        bucket=bucket,
        iam_role=iam_role,
        days=copyjob.DEFAULT_DAYS if days is None else days,
        target=Target(schema=schema, table=table, load_log=load_log, baseline=baseline_table),
        data_prefix=data_prefix,
        manifest_prefix=manifest_prefix,
        jsonpaths_url=jsonpaths_url,
        max_errors=max_errors,
    )
    for warning in config.warnings:
        sys.stderr.write(f"coco: warning: {warning}\n")
    s3 = _s3_client(endpoint_url)
    if dry_run:
        result = copyjob.run_load(config, s3, None, dry_run=True)
        sys.stdout.write(copyjob.render_dry_run(result))
        return
    result = copyjob.run_load(config, s3, _connector(profile))
    sys.stdout.write(json.dumps(result.summary(), indent=2) + "\n")


@warehouse_app.command("baseline")
def baseline(
    schema: str = SchemaOption,
    table: str = TableOption,
    baseline_table: str = BaselineOption,
    profile: Optional[str] = ProfileOption,
) -> None:
    """Refresh the fleet baseline table over the last 28 days (the hourly load does it after each COPY)."""
    from ..warehouse import copyjob
    from ..warehouse.ddl import BASELINE_DAYS, Target

    target = Target(schema=schema, table=table, baseline=baseline_table)
    count = copyjob.refresh_baseline(target, _connector(profile))
    sys.stdout.write(json.dumps({"table": target.fleet_baseline, "transitions": count, "days": BASELINE_DAYS}, indent=2) + "\n")


def _connector(profile: Optional[str]):  # noqa: ANN202 - returns a connection factory
    """The Redshift profile's connection when a redshift profile is chosen, else ``COCO_REDSHIFT_*``."""
    from ..sources import select

    chosen = select(profile)
    if chosen is None or chosen.kind != "redshift":
        from ..warehouse.connect import connect_from_env

        return connect_from_env

    from ..warehouse.connect import connect_profile

    return lambda: connect_profile(chosen.settings)


def _s3_client(endpoint_url: Optional[str]):  # noqa: ANN202 - a boto3 client
    from ..errors import UsageError

    try:
        import boto3
    except ImportError:  # pragma: no cover - boto3 is the 'aws' extra
        raise UsageError("coco warehouse load needs boto3: pip install 'cocoevents[aws]'") from None
    return boto3.client("s3", endpoint_url=endpoint_url) if endpoint_url else boto3.client("s3")
