"""The warehouse path: DDL text, COPY-job planning against a local S3 server, and the load transaction.

S3 is moto's standalone server on a loopback port (real HTTP, real boto3). The
database is a real PostgreSQL reached through the real ``redshift_connector``
(``tests/pgserver.py``). PostgreSQL cannot run Redshift's COPY FROM S3, SUPER or
PartiQL: one test lets it reject the COPY and checks the rollback; the others
replace only the COPY statement by an emulation and translate only the SUPER
navigation of the typing insert (both named as such below), and check everything
else the job does in the database.
"""

from __future__ import annotations

import functools
import gzip
import io
import json
import re
import shutil
import subprocess
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from cocoevents.core.baseline import compute
from cocoevents.core.model import Event
from cocoevents.errors import SourceUnavailable, UsageError
from cocoevents.timestamps import parse_timestamp, to_datetime
from cocoevents.warehouse import copyjob, ddl
from cocoevents.warehouse import plan as planning
from cocoevents.warehouse.copyjob import LoadConfig, LoadFailed, run_load
from cocoevents.warehouse.ddl import Target

from ..support.pgserver import DATEDIFF_STANDIN

NOW = datetime(2026, 11, 25, 10, 30, tzinfo=timezone.utc)
ROLE = "arn:aws:iam::123456789012:role/RedshiftS3Access"
_bucket_names = iter(f"coco-event-logs-test-{n}" for n in range(10_000))


# -- fixtures: a local S3 server ----------------------------------------------------------------------------------


@pytest.fixture
def aws_env(monkeypatch, tmp_path, moto_endpoint):
    """Fake credentials only; no profile or config file of the machine is read."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing-key-id")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing-secret-key")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto_endpoint)
    return moto_endpoint


@pytest.fixture
def s3(aws_env):
    import boto3

    return boto3.client("s3", endpoint_url=aws_env)


@pytest.fixture
def bucket(s3):
    name = next(_bucket_names)
    s3.create_bucket(Bucket=name)
    return name


def gz_lines(*records: dict[str, Any]) -> bytes:
    return gzip.compress(b"".join(json.dumps(r).encode() + b"\n" for r in records), mtime=0)


def zst_lines(*records: dict[str, Any]) -> bytes:
    import zstandard

    return zstandard.ZstdCompressor().compress(b"".join(json.dumps(r).encode() + b"\n" for r in records))


def event(name: str, ts: str, **ids: str) -> dict[str, Any]:
    return {"event": name, "timestamp": ts, **ids}


def put(s3, bucket: str, key: str, body: bytes) -> None:
    s3.put_object(Bucket=bucket, Key=key, Body=body)


@pytest.fixture
def archive(s3, bucket):
    """Three days of archive (23-25 Nov) in the window, one day before it, and keys that are not archive files."""
    files = {
        "dt=2026-11-22/1795305600-old.log.gz": [event("robot.parked", "2026-11-22T09:00:00Z", robot_id="R-1")],
        "dt=2026-11-23/1795392000-a.log.gz": [event("demand.created", "2026-11-23T08:00:00Z", demand_id="DM-1")],
        "dt=2026-11-24/1795478400-b.log.gz": [
            event("delivery.pickup_arrival", "2026-11-24T12:00:00Z", delivery_id="D-1", robot_id="R-1"),
            event("delivery.failed", "2026-11-24T12:05:00Z", delivery_id="D-1", error={"code": "LID"}),
        ],
        "dt=2026-11-25/1795564800-d.log.gz": [event("offer.received", "2026-11-25T09:00:00Z", offer_id="O-1")],
    }
    for key, records in files.items():
        put(s3, bucket, key, gz_lines(*records))
    put(s3, bucket, "dt=2026-11-25/README.txt", b"not an archive file")
    put(s3, bucket, "dt=2026-11-25/1795564801-empty.log.gz", b"")
    put(s3, bucket, "dt=2026-11-25/", b"")
    put(s3, bucket, "dt=2026-11-25-backup/1795564800-x.log.gz", gz_lines(event("x.y", "2026-11-25T00:00:00Z")))
    put(s3, bucket, "other/dt=2026-11-25/1795564800-y.log.gz", gz_lines(event("x.y", "2026-11-25T00:00:00Z")))
    return files


def config(bucket: str, **kw: Any) -> LoadConfig:
    """A job configuration whose window is the ``archive`` fixture's (today and two days before), unless given."""
    return LoadConfig(bucket=bucket, iam_role=ROLE, **{"days": 2, **kw})


def manifests(s3, bucket: str) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="_coco/manifests/").get("Contents", [])]


# -- DDL, JSONPaths and COPY text ---------------------------------------------------------------------------------


def test_events_table_keys_on_plain_columns_and_keeps_the_record_in_super():
    sql = ddl.create_table_sql(Target())
    assert "event_data    SUPER" in sql
    assert "DISTSTYLE AUTO" in sql and "COMPOUND SORTKEY (event_ts);" in sql
    assert "DISTKEY" not in sql and "event_data." not in sql
    for column in ("event ", "event_ts ", *ddl.ID_COLUMNS):
        assert f"    {column.strip()}" in sql
    assert re.search(r"event\s+VARCHAR\(128\)", sql) and re.search(r"event_ts\s+TIMESTAMP", sql)
    assert all(re.search(rf"{c}\s+VARCHAR\(64\)", sql) for c in ddl.ID_COLUMNS)


def test_copy_loads_whole_documents_with_noshred_into_a_one_column_super_stage_without_jsonpaths():
    sql = ddl.copy_sql(Target(), "s3://b-1/_coco/manifests/r.manifest", ROLE)
    assert sql == (
        "COPY coco_stage_raw_events\n"
        "FROM 's3://b-1/_coco/manifests/r.manifest'\n"
        f"IAM_ROLE '{ROLE}'\n"
        "MANIFEST\n"
        "FORMAT JSON 'noshred'\n"
        "GZIP\n"
        "MAXERROR 0"
    )
    assert "$" not in sql and "jsonpaths" not in sql.lower() and "JSON 'auto'" not in sql
    assert ddl.create_stage_sql(Target()) == "CREATE TEMP TABLE coco_stage_raw_events (rec SUPER)"
    assert not hasattr(ddl, "jsonpaths_document") and not hasattr(ddl, "JSONPATHS")


def test_copy_names_zstd_or_gzip_and_its_maxerror_and_refuses_anything_else():
    zstd = ddl.copy_sql(Target(), "s3://b-1/m.zstd.manifest", ROLE, "zstd", 7)
    assert zstd.endswith("FORMAT JSON 'noshred'\nZSTD\nMAXERROR 7") and "GZIP" not in zstd
    for bad in ("bzip2", "GZIP", "gzip\nMAXERROR 100", ""):
        with pytest.raises(UsageError, match="compression"):
            ddl.copy_sql(Target(), "s3://b-1/m.manifest", ROLE, bad)
    for bad in (-1, 100001, True, "5"):
        with pytest.raises(UsageError, match="max errors"):
            ddl.copy_sql(Target(), "s3://b-1/m.manifest", ROLE, "gzip", bad)


def test_the_typing_insert_binds_its_two_values_and_has_no_backslash_or_stray_percent():
    sql = ddl.insert_sql(Target())
    assert sql.count("%s") == 2 and sql.count("%") == 2  # the driver's paramstyle: a lone % would break it
    assert "\\" not in sql  # Redshift string literals read backslashes as escapes; PostgreSQL does not
    assert sql.startswith(
        "INSERT INTO analytics.raw_events (event, event_ts, delivery_id, robot_id, pilot_id, "
        "demand_id, offer_id, event_data, load_manifest, loaded_at)\n"
    )
    assert "FROM coco_stage_raw_events staged) s0" in sql


def test_the_typing_insert_reads_the_staged_record_by_superpath_navigation_only():
    sql = ddl.insert_sql(Target())
    paths = re.findall(r'staged\.rec(?:\.("?)(\w+)\1)?', sql)
    navigated = {name for _, name in paths if name}
    assert navigated == {"event", "timestamp", *ddl.ID_COLUMNS}
    assert sql.count("staged.rec AS event_data") == 1  # the record itself, whole
    assert len(paths) == sql.count("staged.rec")  # no other use of the staged column
    for name in ("event", *ddl.ID_COLUMNS):  # a text column only from a JSON string
        path = f'staged.rec."{name}"'
        assert f"CASE WHEN JSON_TYPEOF({path}) = 'string' THEN CAST({path} AS VARCHAR(65535)) END AS {name}" in sql
    ts = 'staged.rec."timestamp"'
    assert f"CASE WHEN JSON_TYPEOF({ts}) = 'string' THEN CAST({ts} AS VARCHAR(65535))" in sql
    assert f"WHEN JSON_TYPEOF({ts}) = 'number' THEN JSON_SERIALIZE({ts}) END AS ts_raw" in sql
    assert sql.count("JSON_SERIALIZE(") == 1


@pytest.mark.parametrize("name", ["Analytics", "x;drop table y", 'a"b', "a b", "1abc", "", "a" * 64, "raw-events"])
def test_identifiers_outside_the_strict_pattern_are_refused(name):
    with pytest.raises(UsageError):
        Target(schema=name)
    with pytest.raises(UsageError):
        Target(table=name)


@pytest.mark.parametrize("url", ["s3://b-1/x'; drop table t; --", "s3://b-1/a b", "s3://B/x", "http://b-1/x", "s3://b-1/x\\y", "s3://b-1/"])
def test_copy_refuses_urls_that_could_leave_the_literal(url):
    with pytest.raises(UsageError):
        ddl.copy_sql(Target(), url, ROLE)


@pytest.mark.parametrize(
    "role", ["arn:aws:iam::123:role/x", "arn:aws:iam::123456789012:role/x'y", "arn:aws:iam::123456789012:user/x", "role/x"]
)
def test_copy_refuses_anything_but_an_iam_role_arn(role):
    with pytest.raises(UsageError):
        ddl.copy_sql(Target(), "s3://b-1/m.manifest", role)


def test_ddl_command_prints_table_load_log_and_baseline_and_no_jsonpaths(coco):
    r = coco("warehouse", "ddl", "--schema", "events_prod")
    assert (r.code, r.err) == (0, "")
    assert "CREATE SCHEMA IF NOT EXISTS events_prod;" in r.out
    assert "CREATE TABLE IF NOT EXISTS events_prod.raw_events (" in r.out
    assert "CREATE TABLE IF NOT EXISTS events_prod.raw_events_load_log (" in r.out
    assert "CREATE TABLE IF NOT EXISTS events_prod.delivery_baseline (" in r.out
    assert "FORMAT JSON 'noshred'" in r.out and "no\n-- JSONPaths file is needed" in r.out and '"$.event"' not in r.out


def test_ddl_jsonpaths_is_a_usage_error_that_says_why(coco):
    j = coco("warehouse", "ddl", "--jsonpaths")
    assert j.code == 2 and j.out == "" and j.err.count("\n") == 1
    assert "--jsonpaths was removed" in j.err and "noshred" in j.err


def test_ddl_command_with_a_bad_identifier_is_a_usage_error(coco):
    r = coco("warehouse", "ddl", "--table", "events;drop")
    assert r.code == 2 and r.out == "" and r.err.count("\n") == 1 and "invalid table name" in r.err


# -- planning against the local S3 server -------------------------------------------------------------------------


def test_window_is_today_utc_and_the_days_before_oldest_first():
    assert planning.window(2, NOW) == [date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)]
    assert planning.window(0, NOW) == [date(2026, 11, 25)]
    late_evening_elsewhere = datetime(2026, 11, 25, 23, 30, tzinfo=timezone.utc).astimezone()
    assert planning.window(0, late_evening_elsewhere) == [date(2026, 11, 25)]
    for bad in (-1, planning.MAX_DAYS + 1, True):
        with pytest.raises(UsageError):
            planning.window(bad, NOW)


def test_listing_covers_only_the_window_prefixes_and_ignores_non_archive_keys(s3, bucket, archive):
    listing = planning.list_window(s3, bucket, "", planning.window(2, NOW))
    assert listing.prefixes == ["dt=2026-11-23/", "dt=2026-11-24/", "dt=2026-11-25/"]
    assert [o.key for o in listing.objects] == [
        "dt=2026-11-23/1795392000-a.log.gz",
        "dt=2026-11-24/1795478400-b.log.gz",
        "dt=2026-11-25/1795564800-d.log.gz",
    ]
    assert [o.dt for o in listing.objects] == [date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)]
    assert all(o.size > 0 for o in listing.objects)
    assert {(i.key, i.reason) for i in listing.ignored} == {
        ("dt=2026-11-25/", "folder marker"),
        ("dt=2026-11-25/README.txt", "not a gzip or zstd archive file"),
        ("dt=2026-11-25/1795564801-empty.log.gz", "empty object"),
    }


def test_listing_follows_the_paginator_past_one_page(s3, bucket):
    keys = [f"dt=2026-11-25/{n:05d}.log.gz" for n in range(1003)]
    for key in keys:
        put(s3, bucket, key, b"\x1f\x8b")
    listing = planning.list_window(s3, bucket, "", planning.window(0, NOW))
    assert [o.key for o in listing.objects] == keys


def test_zstd_archive_files_are_listed_by_name_with_their_compression_and_plain_files_are_ignored(s3, bucket):
    for key in (
        "dt=2026-11-25/1-a.log.gz",
        "dt=2026-11-25/2-b.log.zst",
        "dt=2026-11-25/3-c.ndjson.zst",
        "dt=2026-11-25/4-d.json.zst",
        "dt=2026-11-25/5-e.jsonl",
        "dt=2026-11-25/6-f.zst",
    ):
        put(s3, bucket, key, b"x")
    listing = planning.list_window(s3, bucket, "", planning.window(0, NOW))
    assert [(o.key, o.compression) for o in listing.objects] == [
        ("dt=2026-11-25/1-a.log.gz", "gzip"),
        ("dt=2026-11-25/2-b.log.zst", "zstd"),
        ("dt=2026-11-25/3-c.ndjson.zst", "zstd"),
        ("dt=2026-11-25/4-d.json.zst", "zstd"),
    ]
    assert [(i.key, i.reason) for i in listing.ignored] == [
        ("dt=2026-11-25/5-e.jsonl", "not a gzip or zstd archive file"),
        ("dt=2026-11-25/6-f.zst", "not a gzip or zstd archive file"),
    ]
    p = planning.plan_load(bucket, listing, [])
    assert p.compressions() == ["gzip", "zstd"]
    assert planning.manifest_document(p, "zstd")["entries"] == [
        {"url": f"s3://{bucket}/{k}", "mandatory": True}
        for k in ("dt=2026-11-25/2-b.log.zst", "dt=2026-11-25/3-c.ndjson.zst", "dt=2026-11-25/4-d.json.zst")
    ]
    assert planning.manifest_key("_coco/manifests/", "r1", "gzip") == "_coco/manifests/r1.manifest"
    assert planning.manifest_key("_coco/manifests/", "r1", "zstd") == "_coco/manifests/r1.zstd.manifest"


def test_a_dry_run_of_gzip_and_zstd_objects_plans_one_manifest_and_one_copy_per_compression(s3, bucket):
    put(s3, bucket, "dt=2026-11-25/1-a.log.gz", gz_lines(event("x.y", "2026-11-25T00:00:00Z")))
    put(s3, bucket, "dt=2026-11-25/2-b.log.zst", zst_lines(event("x.y", "2026-11-25T00:00:00Z")))
    result = run_load(config(bucket, max_errors=3), s3, None, now=NOW, dry_run=True)
    assert list(result.manifests) == ["gzip", "zstd"]
    gz, zs = result.manifests.values()
    assert gz.endswith(".manifest") and zs == gz[: -len(".manifest")] + ".zstd.manifest"
    copies = [st.sql for st in result.statements if st.sql.startswith("COPY")]
    assert [c.splitlines()[1] for c in copies] == [f"FROM '{gz}'", f"FROM '{zs}'"]
    assert [c.splitlines()[-2:] for c in copies] == [["GZIP", "MAXERROR 3"], ["ZSTD", "MAXERROR 3"]]
    heads = [
        st.sql.split()[0] + (" " + str(st.params[0]) if st.sql.startswith("INSERT INTO analytics.raw_events ") else "")
        for st in result.statements
    ]
    i = heads.index("CREATE")
    assert heads[i : i + 3] == ["CREATE"] * 3  # the bounds table (if missing), the stage, the bounds stage
    per_manifest = ["COPY", "SELECT", f"INSERT {gz}", "INSERT", "DELETE", "COPY", "SELECT", f"INSERT {zs}", "INSERT", "DROP"]
    assert heads[i + 3 : i + 13] == per_manifest
    assert heads[i + 13 : i + 17] == ["INSERT", "DELETE", "INSERT", "DROP"]  # the bounds merged
    log = next(st for st in result.statements if st.sql.startswith("INSERT INTO analytics.raw_events_load_log"))
    assert [log.params[k : k + 6][4] for k in range(0, len(log.params), 6)] == [gz, zs]
    text = copyjob.render_dry_run(result)
    assert f"-- manifest to write (gzip objects): {gz}" in text and f"-- manifest to write (zstd objects): {zs}" in text
    assert result.summary()["manifests"] == [gz, zs] and manifests(s3, bucket) == []


def test_listing_under_a_data_prefix_lists_only_that_prefix(s3, bucket, archive):
    listing = planning.list_window(s3, bucket, "other/", planning.window(0, NOW))
    assert [o.key for o in listing.objects] == ["other/dt=2026-11-25/1795564800-y.log.gz"]


def test_keys_in_the_load_log_are_skipped_and_a_late_file_in_an_older_folder_is_new(s3, bucket, archive):
    days = planning.window(2, NOW)
    first = planning.plan_load(bucket, planning.list_window(s3, bucket, "", days), [])
    loaded = [o.key for o in first.new]
    put(s3, bucket, "dt=2026-11-23/1795400000-late.log.gz", gz_lines(event("demand.active", "2026-11-23T23:59:00Z")))
    second = planning.plan_load(bucket, planning.list_window(s3, bucket, "", days), loaded)
    assert [o.key for o in second.new] == ["dt=2026-11-23/1795400000-late.log.gz"]
    assert [o.key for o in second.already_loaded] == loaded
    assert second.new[0].dt == date(2026, 11, 23)


def test_manifest_names_each_new_object_by_full_url_as_mandatory(s3, bucket, archive):
    listing = planning.list_window(s3, bucket, "", planning.window(2, NOW))
    p = planning.plan_load(bucket, listing, ["dt=2026-11-24/1795478400-b.log.gz"])
    assert planning.manifest_document(p) == {
        "entries": [
            {"url": f"s3://{bucket}/dt=2026-11-23/1795392000-a.log.gz", "mandatory": True},
            {"url": f"s3://{bucket}/dt=2026-11-25/1795564800-d.log.gz", "mandatory": True},
        ]
    }
    assert json.loads(planning.manifest_json(p)) == planning.manifest_document(p)


@pytest.mark.parametrize("data_prefix,manifest_prefix", [("", "dt=2026-11-25/m/"), ("logs/", "logs/dt=x/"), ("", "")])
def test_manifests_may_not_be_written_inside_the_data_prefix(data_prefix, manifest_prefix):
    with pytest.raises(UsageError):
        config("b-1", data_prefix=data_prefix, manifest_prefix=manifest_prefix)


@pytest.mark.parametrize("value", ["no-slash", "../", "a/./", "/abs/", "a b/", "it's/"])
def test_prefixes_are_folders_of_safe_characters_ending_in_a_slash(value):
    with pytest.raises(UsageError):
        config("b-1", data_prefix=value)
    with pytest.raises(UsageError):
        config("b-1", manifest_prefix=value)


def test_dry_run_plans_from_s3_without_connecting_or_writing(s3, bucket, archive):
    def no_db():
        raise AssertionError("a dry run must not connect")

    result = run_load(config(bucket), s3, no_db, now=NOW, dry_run=True)
    assert [o.key for o in result.plan.new] == [o.key for o in result.plan.listing.objects]
    assert len(result.plan.new) == 3 and manifests(s3, bucket) == []
    assert result.manifest_url.startswith(f"s3://{bucket}/_coco/manifests/20261125T103000Z-")
    text = copyjob.render_dry_run(result)
    assert "load log is not read in a dry run" in text
    assert f"s3://{bucket}/dt=2026-11-24/1795478400-b.log.gz" in text
    assert "README.txt  (not a gzip or zstd archive file)" in text
    assert "BEGIN;\nLOCK analytics.raw_events_load_log;\nSELECT s3_key FROM" in text
    assert "COPY coco_stage_raw_events" in text and text.rstrip().endswith("COMMIT;")
    assert summary_keys(result) >= {"files_candidate", "window"}


def summary_keys(result) -> set[str]:
    return set(result.summary())


def test_every_value_of_the_load_statements_is_a_bound_parameter(s3, bucket):
    key = "dt=2026-11-25/1795564800-o'neil.log.gz"
    put(s3, bucket, key, gz_lines(event("x.y", "2026-11-25T00:00:00Z")))
    result = run_load(config(bucket), s3, None, now=NOW, dry_run=True)
    for st in result.statements:
        if st.sql.startswith("COPY"):
            continue
        assert "o'neil" not in st.sql and bucket not in st.sql
        assert st.sql.count("%s") == len(st.params)
    log_insert = [st for st in result.statements if st.sql.startswith("INSERT INTO analytics.raw_events_load_log")]
    assert log_insert and key in log_insert[0].params
    copy = next(st for st in result.statements if st.sql.startswith("COPY"))
    assert "o'neil" not in copy.sql  # the key reaches COPY only inside the manifest file


def test_load_log_inserts_are_chunked(s3, bucket, monkeypatch):
    monkeypatch.setattr(copyjob, "LOG_INSERT_CHUNK", 2)
    for n in range(5):
        put(s3, bucket, f"dt=2026-11-25/{n}.log.gz", b"\x1f\x8b")
    result = run_load(config(bucket), s3, None, now=NOW, dry_run=True)
    inserts = [st for st in result.statements if st.sql.startswith("INSERT INTO analytics.raw_events_load_log")]
    assert [len(st.params) // 6 for st in inserts] == [2, 2, 1]


def test_listing_a_missing_bucket_is_unavailable(s3):
    with pytest.raises(SourceUnavailable, match="cannot list s3://no-such-bucket-here/"):
        run_load(config("no-such-bucket-here"), s3, None, now=NOW, dry_run=True)


def test_load_command_dry_run_prints_plan_and_sql_and_needs_no_database(coco, s3, bucket, aws_env):
    today = datetime.now(timezone.utc).date().isoformat()
    put(s3, bucket, f"dt={today}/1-a.log.gz", gz_lines(event("x.y", f"{today}T00:00:00Z")))
    r = coco("warehouse", "load", "--bucket", bucket, "--days", "1", "--iam-role", ROLE, "--dry-run", "--s3-endpoint-url", aws_env)
    assert (r.code, r.err) == (0, ""), r.err
    assert f"--   s3://{bucket}/dt={today}/1-a.log.gz" in r.out and "COPY coco_stage_raw_events" in r.out
    assert "testing-secret-key" not in r.out and manifests(s3, bucket) == []


def test_load_command_without_an_iam_role_is_a_usage_error(coco, bucket):
    r = coco("warehouse", "load", "--bucket", bucket, "--dry-run")
    assert r.code == 2 and r.out == "" and "--iam-role" in r.err


def test_handler_reads_its_configuration_from_the_event_then_the_environment(s3, bucket, archive, monkeypatch):
    monkeypatch.setenv("COCO_WAREHOUSE_IAM_ROLE", ROLE)
    monkeypatch.setenv("COCO_WAREHOUSE_DAYS", "7")
    out = copyjob.handler({"bucket": bucket, "days": 1, "dry_run": True}, None)
    assert out["dry_run"] is True and out["bucket"] == bucket and len(out["window"]) == 2
    assert out["files_candidate"] == 0 and not any(s.startswith("COPY") for s in out["sql"])  # nothing: no COPY
    today = datetime.now(timezone.utc).date().isoformat()
    put(s3, bucket, f"dt={today}/1-a.log.gz", gz_lines(event("x.y", f"{today}T00:00:00Z")))
    out = copyjob.handler({"bucket": bucket, "days": 1, "dry_run": True}, None)
    assert out["files_candidate"] == 1 and any(s.startswith("COPY") for s in out["sql"])
    with pytest.raises(UsageError, match="missing bucket"):
        copyjob.config_from({}, {"COCO_WAREHOUSE_IAM_ROLE": ROLE})
    assert copyjob.config_from({"bucket": bucket}, {"COCO_WAREHOUSE_IAM_ROLE": ROLE}).days == copyjob.DEFAULT_DAYS == 14


def test_the_handler_prints_its_summary_as_one_json_line_for_the_log_group(s3, bucket, monkeypatch, capsys):
    monkeypatch.setenv("COCO_WAREHOUSE_IAM_ROLE", ROLE)
    out = copyjob.handler({"bucket": bucket, "days": 0, "dry_run": True}, None)
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line) == out and out["bucket"] == bucket


def test_the_load_command_says_its_default_horizon(coco):
    help_text = " ".join(re.sub("[│╭╮╰╯─]", " ", coco("warehouse", "load", "--help").out).split())
    assert f"Default {copyjob.DEFAULT_DAYS}." in help_text and "how late an event may land" in help_text


def test_a_jsonpaths_url_left_in_the_configuration_is_ignored_with_a_warning_everywhere(coco, s3, bucket, aws_env, monkeypatch):
    today = datetime.now(timezone.utc).date().isoformat()
    put(s3, bucket, f"dt={today}/1-a.log.gz", gz_lines(event("x.y", f"{today}T00:00:00Z")))
    monkeypatch.setenv("COCO_WAREHOUSE_IAM_ROLE", ROLE)
    out = copyjob.handler({"bucket": bucket, "days": 0, "dry_run": True, "jsonpaths_url": "s3://b-1/_coco/jsonpaths.json"}, None)
    assert out["warnings"] == [copyjob.JSONPATHS_IGNORED] and "jsonpaths" not in " ".join(out["sql"]).lower()
    assert "warnings" not in copyjob.handler({"bucket": bucket, "days": 0, "dry_run": True}, None)
    r = coco(
        "warehouse",
        "load",
        "--bucket",
        bucket,
        "--days",
        "0",
        "--iam-role",
        ROLE,
        "--dry-run",
        "--s3-endpoint-url",
        aws_env,
        "--jsonpaths-url",
        "s3://b-1/anything.json",
    )
    assert r.code == 0 and r.err == f"coco: warning: {copyjob.JSONPATHS_IGNORED}\n"
    assert "COPY coco_stage_raw_events\n" in r.out and "anything.json" not in r.out
    assert "--jsonpaths-url" not in coco("warehouse", "load", "--help").out  # hidden: kept only to warn


# -- the transaction, against a real PostgreSQL through redshift_connector ----------------------------------------

PG_EVENTS_TABLE = """
CREATE TABLE analytics.raw_events (
    event VARCHAR(128), event_ts TIMESTAMP, delivery_id VARCHAR(64), robot_id VARCHAR(64), pilot_id VARCHAR(64),
    demand_id VARCHAR(64), offer_id VARCHAR(64), event_data JSONB, load_manifest VARCHAR(1024), loaded_at TIMESTAMP
)"""  # the Redshift DDL minus what PostgreSQL lacks: SUPER -> JSONB, no DISTSTYLE / SORTKEY


# Stand-ins for the Redshift names the load SQL uses that PostgreSQL lacks: the SUPER type (the staging table's one
# column) and JSON_TYPEOF / JSON_SERIALIZE over it. SUPER is PostgreSQL's `json` here, not `jsonb`: `json` keeps a
# document's text as written, so JSON_SERIALIZE of a number gives its spelling (1.7640576e9, 1E+400) and the typing
# SQL meets every spelling a producer may send. `json -> 'k'` follows the last of duplicate keys, like Python.
# Redshift's own functions are not exercised; see deploy/README.md.
PG_REDSHIFT_STANDINS = [
    "CREATE DOMAIN super AS json",
    "CREATE FUNCTION JSON_TYPEOF(json) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT json_typeof($1)'",
    "CREATE FUNCTION JSON_SERIALIZE(json) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT $1::text'",
    DATEDIFF_STANDIN,
]

_CAST_NAVIGATION = re.compile(r'CAST\(staged\.rec\."([a-z_][a-z0-9_]*)" AS (VARCHAR\(\d+\))\)')
_NAVIGATION = re.compile(r'staged\.rec\."([a-z_][a-z0-9_]*)"(?![.\[])')  # top level only


def partiql_to_postgres(sql: str) -> str:
    """The one rewrite of the job's SQL the PostgreSQL tests make: SUPER navigation to a top-level attribute.

    ``CAST(staged.rec."a" AS VARCHAR(n))`` (Redshift: a SUPER string's characters) becomes
    ``CAST(staged.rec ->> 'a' AS VARCHAR(n))``; any other ``staged.rec."a"`` (lax: NULL when missing) becomes
    ``(staged.rec -> 'a')``. Anything else is run as written; a navigation this rewrite does not know fails."""
    sql = _CAST_NAVIGATION.sub(r"CAST(staged.rec ->> '\1' AS \2)", sql)
    sql = _NAVIGATION.sub(r"(staged.rec -> '\1')", sql)
    assert "staged.rec." not in sql and "rec[" not in sql, "a SUPER navigation the emulation does not translate"
    return sql


@pytest.fixture
def db(pg):  # noqa: F811
    name = pg.create_database("warehouse")
    pg.run(name, [*PG_REDSHIFT_STANDINS, "CREATE SCHEMA analytics", PG_EVENTS_TABLE, ddl.create_load_log_sql(Target())])
    return name


def connector(pg, database):  # noqa: F811
    def connect():
        con = pg.connect(database)
        con.autocommit = False  # what connect_from_env returns: the job owns the transaction
        return con

    return connect


def query(pg, database, sql):  # noqa: F811
    con = pg.connect(database)
    try:
        cur = con.cursor()
        cur.execute(sql)
        return [tuple(r) for r in cur.fetchall()]
    finally:
        con.close()


class CopyEmulatingConnection:
    """A real connection whose cursor runs every statement on PostgreSQL, except COPY, which it emulates.

    PostgreSQL has no COPY FROM S3. This emulation understands exactly the job's COPY form (``MANIFEST``,
    ``FORMAT JSON 'noshred'``, ``GZIP`` or ``ZSTD``, ``MAXERROR n``) and nothing else: it reads the manifest
    named in the COPY text from the local S3 server, decompresses each object with the compression the COPY
    names (a mismatch fails the COPY), and INSERTs each JSON document's text, as written, into the staging
    table's one column with a bound parameter - inside the job's transaction. A line that is not a JSON object
    or array is a load error; more than MAXERROR of them fail the COPY (Redshift's documented MAXERROR). Other
    statements run as written but for ``partiql_to_postgres``. It shows nothing about Redshift's COPY itself;
    it lets the rest of the job run for real.
    """

    def __init__(self, con, s3):
        self.con, self.s3 = con, s3
        self.copies: list[str] = []  # the COPY statements seen, for assertions

    def cursor(self):
        return _EmulatingCursor(self.con.cursor(), self.s3, self.copies)

    def commit(self):
        self.con.commit()

    def rollback(self):
        self.con.rollback()

    def close(self):
        self.con.close()


COPY_FORM = re.compile(
    r"COPY (\w+)\nFROM '(s3://[^']+)'\nIAM_ROLE 'arn:aws:iam::\d{12}:role/[^']+'\nMANIFEST\n"
    r"FORMAT JSON 'noshred'\n(GZIP|ZSTD)\nMAXERROR (\d+)"
)


class _EmulatingCursor:
    def __init__(self, cur, s3, copies):
        self.cur, self.s3, self.copies = cur, s3, copies

    def execute(self, sql, params=None):
        if not sql.startswith("COPY "):
            sql = partiql_to_postgres(sql)
            return self.cur.execute(sql, params) if params else self.cur.execute(sql)
        self.copies.append(sql)
        m = COPY_FORM.fullmatch(sql)
        assert m, f"the emulation knows only the job's COPY form, not:\n{sql}"
        table, manifest_url, compression, max_errors = m.group(1), m.group(2), m.group(3), int(m.group(4))
        errors = 0
        for entry in json.loads(self._get(manifest_url))["entries"]:
            for line in decompress(self._get(entry["url"]), compression).split(b"\n"):
                if not line.strip():
                    continue
                document = json_document(line)
                if document is None:
                    errors += 1
                    if errors > max_errors:
                        raise RuntimeError(f"Load into table '{table}' failed: {errors} error(s), MAXERROR {max_errors} (emulated COPY)")
                    continue
                self.cur.execute(f"INSERT INTO {table} (rec) VALUES (CAST(%s AS json))", (document,))

    def _get(self, url):
        bucket, key = url[5:].split("/", 1)
        return self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    def fetchall(self):
        return self.cur.fetchall()

    def fetchone(self):
        return self.cur.fetchone()


def decompress(body: bytes, compression: str) -> bytes:
    """The object's bytes as COPY with GZIP or ZSTD reads them; a stream that is not whole fails the COPY."""
    if compression == "GZIP":
        return gzip.decompress(body)  # raises on a wrong format or a cut stream
    import zstandard

    out, reader = io.BytesIO(), zstandard.ZstdDecompressor().decompressobj()
    out.write(reader.decompress(body))  # raises ZstdError on a wrong format
    if not reader.eof:
        raise RuntimeError("truncated zstd stream (emulated COPY)")
    return out.getvalue()


def json_document(line: bytes) -> str | None:
    """A line's text when it is one JSON object or array (what COPY FORMAT JSON loads), else None."""
    try:
        text = line.decode("utf-8")
        value = json.loads(text, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    except ValueError:
        return None
    return text if isinstance(value, (dict, list)) else None


def insert_staged(cur, table: str, document: dict[str, Any] | str) -> None:
    """Stage one JSON document (a dict, or its exact text) as the emulated COPY does."""
    text = document if isinstance(document, str) else json.dumps(document)
    cur.execute(f"INSERT INTO {table} (rec) VALUES (CAST(%s AS json))", (text,))


@pytest.mark.postgres
def test_when_the_database_rejects_copy_the_run_rolls_back_and_the_load_log_is_unchanged(pg, db, s3, bucket, archive):  # noqa: F811
    pg.run(
        db,
        "INSERT INTO analytics.raw_events_load_log VALUES (%s, %s, %s, %s, %s, %s)",
        [bucket, "dt=2026-11-23/1795392000-a.log.gz", date(2026, 11, 23), 10, "s3://x/m", NOW.replace(tzinfo=None)],
    )
    before = query(pg, db, "SELECT bucket, s3_key, load_manifest FROM analytics.raw_events_load_log")
    with pytest.raises(LoadFailed, match="rolled back at COPY") as err:
        run_load(config(bucket), s3, connector(pg, db), now=NOW)
    assert query(pg, db, "SELECT bucket, s3_key, load_manifest FROM analytics.raw_events_load_log") == before
    assert query(pg, db, "SELECT COUNT(*) FROM analytics.raw_events") == [(0,)]
    assert "syntax error" in str(err.value)  # PostgreSQL's answer to IAM_ROLE; nothing pretends COPY worked
    # the manifest was written before COPY and stays, unreferenced; it names only the keys not in the log
    (key,) = manifests(s3, bucket)
    body = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    assert [e["url"].split("/", 3)[3] for e in body["entries"]] == [
        "dt=2026-11-24/1795478400-b.log.gz",
        "dt=2026-11-25/1795564800-d.log.gz",
    ]


@pytest.mark.postgres
def test_with_copy_emulated_a_run_loads_and_records_each_key_once_in_one_transaction(pg, db, s3, bucket, archive):  # noqa: F811
    def connect():
        return CopyEmulatingConnection(connector(pg, db)(), s3)

    first = run_load(config(bucket), s3, connect, now=NOW)
    assert first.committed and first.rows_loaded == 4 and len(first.plan.new) == 3
    log = query(pg, db, "SELECT s3_key, dt, size_bytes, load_manifest FROM analytics.raw_events_load_log ORDER BY s3_key")
    assert [(k, d) for k, d, _, _ in log] == [
        ("dt=2026-11-23/1795392000-a.log.gz", date(2026, 11, 23)),
        ("dt=2026-11-24/1795478400-b.log.gz", date(2026, 11, 24)),
        ("dt=2026-11-25/1795564800-d.log.gz", date(2026, 11, 25)),
    ]
    assert {m for _, _, _, m in log} == {first.manifest_url} and all(size > 0 for _, _, size, _ in log)
    rows = query(
        pg,
        db,
        "SELECT event, event_ts, delivery_id, robot_id, event_data->>'error', load_manifest FROM analytics.raw_events ORDER BY event_ts",
    )
    assert rows[1][:4] == ("delivery.pickup_arrival", datetime(2026, 11, 24, 12, 0), "D-1", "R-1")
    assert json.loads(rows[2][4]) == {"code": "LID"} and {r[5] for r in rows} == {first.manifest_url}

    again = run_load(config(bucket), s3, connect, now=NOW)
    assert again.committed and again.rows_loaded == 0 and again.plan.new == []
    assert {k: first.summary()[k] for k in ("files_loaded", "files_already_loaded", "rows_loaded")} == {
        "files_loaded": 3,
        "files_already_loaded": 0,
        "rows_loaded": 4,
    }
    assert {k: again.summary()[k] for k in ("files_loaded", "files_already_loaded", "manifest")} == {
        "files_loaded": 0,
        "files_already_loaded": 3,
        "manifest": None,
    }
    assert len(manifests(s3, bucket)) == 1  # nothing new: no manifest, no COPY
    assert query(pg, db, "SELECT COUNT(*) FROM analytics.raw_events") == [(4,)]

    late = "dt=2026-11-23/1795400000-o'neil-late.log.gz"
    put(s3, bucket, late, gz_lines(event("demand.active", "2026-11-23T23:59:00Z", demand_id="DM-1")))
    third = run_load(config(bucket), s3, connect, now=NOW)
    assert [o.key for o in third.plan.new] == [late] and third.rows_loaded == 1
    assert query(pg, db, "SELECT COUNT(*) FROM analytics.raw_events_load_log WHERE dt = '2026-11-23'") == [(2,)]
    assert query(pg, db, "SELECT COUNT(*) FROM analytics.raw_events") == [(5,)]
    assert (late,) in query(pg, db, "SELECT s3_key FROM analytics.raw_events_load_log")


@pytest.mark.postgres
def test_an_object_landing_a_week_late_in_a_folder_already_loaded_is_loaded_exactly_once_by_the_next_run(pg, db, s3, bucket):  # noqa: F811
    def connect():
        return CopyEmulatingConnection(connector(pg, db)(), s3)

    def job() -> LoadConfig:  # the job as deployed: the default horizon
        return LoadConfig(bucket=bucket, iam_role=ROLE)

    def rows(event_name: str) -> int:
        return query(pg, db, f"SELECT COUNT(*) FROM analytics.raw_events WHERE event = '{event_name}'")[0][0]

    week_ago = NOW - timedelta(days=7)  # 2026-11-18
    put(s3, bucket, "dt=2026-11-18/1794990000-a.log.gz", gz_lines(event("robot.parked", "2026-11-18T09:00:00Z", robot_id="R-1")))
    that_day = run_load(job(), s3, connect, now=week_ago)
    assert [o.key for o in that_day.plan.new] == ["dt=2026-11-18/1794990000-a.log.gz"] and that_day.summary()["files_late"] == 0

    # a week later: today's object, and one that lands now in the week-old folder (Vector files an event under its
    # own timestamp) - and one 15 days old, beyond the horizon
    put(s3, bucket, "dt=2026-11-25/1795600000-b.log.gz", gz_lines(event("trip.started", "2026-11-25T10:00:00Z", delivery_id="D-1")))
    late = "dt=2026-11-18/1795600500-late.log.gz"
    put(s3, bucket, late, gz_lines(event("robot.grounded", "2026-11-18T23:50:00Z", robot_id="R-1")))
    too_late = "dt=2026-11-10/1795600600-too-late.log.gz"
    put(s3, bucket, too_late, gz_lines(event("robot.off_duty", "2026-11-10T23:00:00Z", robot_id="R-2")))

    next_run = run_load(job(), s3, connect, now=NOW)
    assert [o.key for o in next_run.plan.new] == [late, "dt=2026-11-25/1795600000-b.log.gz"]
    assert [o.key for o in next_run.plan.already_loaded] == ["dt=2026-11-18/1794990000-a.log.gz"]
    assert next_run.window[0] == date(2026, 11, 11) and len(next_run.window) == copyjob.DEFAULT_DAYS + 1
    assert {k: next_run.summary()[k] for k in ("files_loaded", "files_late", "rows_loaded")} == {
        "files_loaded": 2,
        "files_late": 1,
        "rows_loaded": 2,
    }
    assert rows("robot.grounded") == 1

    third = run_load(job(), s3, connect, now=NOW + timedelta(hours=1))
    assert third.committed and third.plan.new == [] and third.rows_loaded == 0 and third.summary()["files_late"] == 0
    assert rows("robot.grounded") == 1 and rows("robot.parked") == 1
    assert query(pg, db, f"SELECT COUNT(*) FROM analytics.raw_events_load_log WHERE s3_key = '{late}'") == [(1,)]

    # beyond the horizon: never listed by the hourly run; one run with a larger --days backfills it, once
    assert rows("robot.off_duty") == 0
    backfill = run_load(LoadConfig(bucket=bucket, iam_role=ROLE, days=30), s3, connect, now=NOW + timedelta(hours=2))
    assert [o.key for o in backfill.plan.new] == [too_late] and rows("robot.off_duty") == 1
    assert run_load(LoadConfig(bucket=bucket, iam_role=ROLE, days=30), s3, connect, now=NOW + timedelta(hours=3)).plan.new == []


def bounds_of_the_rows(pg, database) -> list[tuple]:  # noqa: F811
    """The bounds table as it must be: per id column and id, the first and last time of the rows carrying it."""
    parts = " UNION ALL ".join(
        f"SELECT '{c.removesuffix('_id')}' AS kind, {c} AS id, event_ts FROM analytics.raw_events WHERE {c} IS NOT NULL"
        for c in ddl.ID_COLUMNS
    )
    return query(
        pg,
        database,
        f"SELECT kind, id, MIN(event_ts), MAX(event_ts) FROM ({parts}) x WHERE event_ts IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2",
    )


@pytest.mark.postgres
def test_the_job_keeps_the_id_bounds_table_and_a_late_event_widens_its_ids_bounds(pg, db, s3, bucket, archive):  # noqa: F811
    def connect():
        return CopyEmulatingConnection(connector(pg, db)(), s3)

    table = "SELECT kind, id, first_ts, last_ts FROM analytics.event_bounds ORDER BY 1, 2"
    put(s3, bucket, "dt=2026-11-24/1795478500-e.log.zst", zst_lines(event("robot.parked", "2026-11-24T18:00:00Z", robot_id="R-1")))
    first = run_load(config(bucket), s3, connect, now=NOW)  # a gzip and a zstd manifest: both runs' rows counted
    assert first.committed and len(first.manifests) == 2
    assert query(pg, db, table) == bounds_of_the_rows(pg, db)
    assert ("robot", "R-1", datetime(2026, 11, 24, 12, 0), datetime(2026, 11, 24, 18, 0)) in query(pg, db, table)
    assert ("delivery", "D-1", datetime(2026, 11, 24, 12, 0), datetime(2026, 11, 24, 12, 5)) in query(pg, db, table)

    # a late object in a folder already loaded, for ids the table holds: their bounds widen, the others stay
    late = "dt=2026-11-23/1795400000-late.log.gz"
    put(
        s3,
        bucket,
        late,
        gz_lines(
            event("delivery.note", "2026-11-23T07:00:00Z", delivery_id="D-1", robot_id="R-1"),
            event("delivery.note", "not a time", delivery_id="D-2"),  # untimed: no bounds
        ),
    )
    before = query(pg, db, table)
    run_load(config(bucket), s3, connect, now=NOW)
    after = query(pg, db, table)
    assert after == bounds_of_the_rows(pg, db)
    assert ("delivery", "D-1", datetime(2026, 11, 23, 7, 0), datetime(2026, 11, 24, 12, 5)) in after
    assert ("robot", "R-1", datetime(2026, 11, 23, 7, 0), datetime(2026, 11, 24, 18, 0)) in after
    assert [r for r in after if r[1] not in ("D-1", "R-1")] == [r for r in before if r[1] not in ("D-1", "R-1")]
    assert not [r for r in after if r[1] == "D-2"]

    # the migration's rebuild from every row gives the same table
    con = connector(pg, db)()
    cur = con.cursor()
    for sql in ddl.rebuild_bounds_statements(Target()):
        cur.execute(sql)
    con.commit()
    con.close()
    assert query(pg, db, table) == after


@pytest.mark.postgres
def test_a_failure_after_copy_rolls_back_the_rows_as_well_as_the_log(pg, db, s3, bucket, archive):  # noqa: F811
    pg.run(db, "ALTER TABLE analytics.raw_events_load_log ADD CONSTRAINT no_b CHECK (s3_key NOT LIKE '%-b.log.gz')")

    def connect():
        return CopyEmulatingConnection(connector(pg, db)(), s3)

    with pytest.raises(LoadFailed, match="rolled back at INSERT"):
        run_load(config(bucket), s3, connect, now=NOW)
    assert query(pg, db, "SELECT COUNT(*) FROM analytics.raw_events") == [(0,)]
    assert query(pg, db, "SELECT COUNT(*) FROM analytics.raw_events_load_log") == [(0,)]


@pytest.mark.postgres
def test_handler_connects_from_the_environment_and_never_reports_the_password(pg, db, s3, bucket, archive, monkeypatch):  # noqa: F811
    for k, v in {
        "HOST": pg.host,
        "PORT": str(pg.port),
        "DATABASE": db,
        "USER": pg.password_role,
        "PASSWORD": pg.password,
        "SSL": "0",
    }.items():
        monkeypatch.setenv(f"COCO_REDSHIFT_{k}", v)
    pg.run(
        db, [f"GRANT ALL ON SCHEMA analytics TO {pg.password_role}", f"GRANT ALL ON ALL TABLES IN SCHEMA analytics TO {pg.password_role}"]
    )
    # a window reaching back to the archive's last day, whatever today is (the default window, today and two days
    # before, held no file once the clock passed 2026-11-27, and the test then never reached COPY)
    days = (datetime.now(timezone.utc).date() - date(2026, 11, 25)).days
    with pytest.raises(LoadFailed) as err:
        copyjob.handler({"bucket": bucket, "iam_role": ROLE, "days": days}, None)
    assert "rolled back at COPY" in str(err.value) and pg.password not in str(err.value)

    monkeypatch.setenv("COCO_REDSHIFT_PASSWORD", "wrong-" + pg.password)
    with pytest.raises(SourceUnavailable) as err:
        copyjob.handler({"bucket": bucket, "iam_role": ROLE, "days": days}, None)
    assert "cannot connect to redshift" in str(err.value).lower() and pg.password not in str(err.value)


@pytest.mark.postgres
def test_load_command_failure_is_one_line_on_stderr_with_exit_4(coco, pg, db, s3, bucket, aws_env, monkeypatch):  # noqa: F811
    for k, v in {"HOST": pg.host, "PORT": str(pg.port), "DATABASE": db, "USER": "coco_admin", "PASSWORD": "x-unused", "SSL": "0"}.items():
        monkeypatch.setenv(f"COCO_REDSHIFT_{k}", v)
    today = datetime.now(timezone.utc).date().isoformat()
    put(s3, bucket, f"dt={today}/1-a.log.gz", gz_lines(event("x.y", f"{today}T00:00:00Z")))
    r = coco("warehouse", "load", "--bucket", bucket, "--days", "1", "--iam-role", ROLE)
    assert r.code == 4 and r.out == "" and r.err.count("\n") == 1
    assert r.err.startswith("coco: error: load rolled back at COPY")
    assert query(pg, db, "SELECT COUNT(*) FROM analytics.raw_events_load_log") == [(0,)]


@pytest.mark.postgres
def test_load_command_connects_with_the_chosen_redshift_profile(coco, pg, db, s3, bucket, aws_env, isolated_env):  # noqa: F811
    config = isolated_env / "config" / "coco" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        f'[profiles.wh]\nsource = "redshift"\nhost = "{pg.host}"\nport = {pg.port}\ndatabase = "{db}"\nuser = "coco_admin"\nssl = false\n'
    )
    today = datetime.now(timezone.utc).date().isoformat()
    put(s3, bucket, f"dt={today}/1-a.log.gz", gz_lines(event("x.y", f"{today}T00:00:00Z")))
    r = coco("warehouse", "load", "--profile", "wh", "--bucket", bucket, "--days", "1", "--iam-role", ROLE)
    # it reached the profile's database: PostgreSQL cannot COPY from S3, so the run rolls back there
    assert r.code == 4 and r.err.startswith("coco: error: load rolled back at COPY")
    assert query(pg, db, "SELECT COUNT(*) FROM analytics.raw_events_load_log") == [(0,)]


# -- event_ts and the ids, typed in SQL: the staging -> events insert on PostgreSQL, against parse_timestamp ------

TIMESTAMP_VALUES: list[Any] = [
    "2026-11-25T10:00:00Z",
    "2026-11-25T10:00:00.123Z",
    "2026-11-25T10:00:00.123456789Z",
    "2026-11-25T10:00:00.1234565Z",
    "2026-11-25t10:00:00z",
    "2026-11-25T10:00:00,5Z",
    "2026-11-25T10:00Z",
    "2026-11-25T10:00:00+02:00",
    "2026-11-25T10:00:00+0200",
    "2026-11-25T10:00:00+02",
    "2026-11-25T10:00:00-05:30",
    "2026-11-25T10:00+01",
    "2026-11-25T10:00:00.25-0130",
    "2026-11-25T10:00:00",
    "2026-11-25T10:00",
    "2026-11-25 10:00:00",
    "2026-11-25 10:00:00.5 +02:00",
    " 2026-11-25T10:00:00Z ",
    "\t2026-11-25T10:00:00Z\n",
    "2024-02-29T00:00:00Z",
    "2000-02-29T12:00:00Z",
    "1900-02-29T00:00:00Z",
    "2026-02-29T00:00:00Z",
    "2026-04-31T00:00:00Z",
    "2026-13-01T00:00:00Z",
    "2026-00-10T00:00:00Z",
    "2026-11-00T00:00:00Z",
    "2026-11-25T24:00:00Z",
    "2026-11-25T10:60:00Z",
    "2026-11-25T10:00:60Z",
    "2026-11-25T10:00:00+24:00",
    "0000-01-01T00:00:00Z",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:30:00+01:00",
    "9999-12-31T23:59:59.999999Z",
    "9999-12-31T23:00:00-01:00",
    "1969-12-31T23:59:59.999999Z",
    "2026-11-25",
    "2026-11-25T10",
    "2026-11-25T10:00:00ZZ",
    "2026-11-25T10:00:00 UTC",
    "2026-11-25T10:00:00.Z",
    "1764057600",
    "garbage",
    "",
    " ",
    "2026-11-25T10:00:00Z" + " " * 60,
    1764057600,
    1764057600123,
    1764057600.5,
    1764057600123.4,
    1764057600.123456,
    0,
    -1,
    -1.5,
    99999999999,
    100000000000,
    1e-05,
    253402300799,
    253402300800,
    253402300799999,
    253402300800000,
    -62135596800,
    -62135596801,
    12345678901234567890,
    1e300,
    None,
    True,
    False,
    {"t": 1},
    ["2026-11-25T10:00:00Z"],
]
MISSING = object()


def expected_ts(value: Any) -> datetime | None:
    us = parse_timestamp(value)
    return None if us is None else to_datetime(us).replace(tzinfo=None)


def staged_and_inserted(pg, database, rows: list[dict[str, Any]]) -> dict[int, tuple]:  # noqa: F811
    """Stage ``rows`` as the emulated COPY would, run the job's typing insert, return columns by ``seq``."""
    con = pg.connect(database)
    try:
        cur = con.cursor()
        cur.execute(ddl.create_stage_sql(Target()))
        for record in rows:
            insert_staged(cur, Target().stage, record)
        cur.execute(partiql_to_postgres(ddl.insert_sql(Target())), ("s3://b-1/m.manifest", datetime(2026, 11, 25, 11, 0)))
        cur.execute(
            "SELECT (event_data->>'seq')::int, event, event_ts, delivery_id, robot_id, pilot_id, demand_id, "
            "offer_id, event_data::text FROM analytics.raw_events"
        )
        return {r[0]: tuple(r[1:]) for r in cur.fetchall()}
    finally:
        con.close()


@pytest.mark.postgres
def test_event_ts_in_sql_equals_parse_timestamp_for_every_timestamp_form(pg, db):  # noqa: F811
    rows = [{"event": "x.y", "seq": n, "timestamp": v} for n, v in enumerate(TIMESTAMP_VALUES)]
    rows.append({"event": "x.y", "seq": len(rows)})  # no timestamp at all
    loaded = staged_and_inserted(pg, db, rows)
    assert len(loaded) == len(rows)  # every row kept, whatever its timestamp
    got = [(repr(r.get("timestamp", MISSING)), loaded[n][1]) for n, r in enumerate(rows)]
    want = [(repr(r.get("timestamp", MISSING)), expected_ts(r.get("timestamp"))) for r in rows]
    assert got == want
    assert sum(1 for _, ts in want if ts is not None) > 30  # the list is not all-NULL by mistake


# Number texts COPY might write (the JSON source's own spelling), typed as numbers; and strings of digits.
NUMBER_TEXTS = [
    "1764057600",
    "1764057600123",
    "1764057600.5",
    "1.7640576e9",
    "1.7640576005E+12",
    "17640576E2",
    "1e-05",
    "-0",
    "-0.0",
    "0.000001",
    "1764057600.1234567890123456789",
    "1E+400",
    "1e99",
    "1e-99",
    "123456789012345678901",
    "1.5e+10",
    "2.53402300799999e14",
    "-6.21355968e10",
    "-6.21355968001e10",
]


@pytest.mark.postgres
def test_number_spellings_are_epoch_times_and_digit_strings_are_not(pg, db):  # noqa: F811
    con = pg.connect(db)
    try:
        cur = con.cursor()
        cur.execute(ddl.create_stage_sql(Target()))
        cases = [(text, text) for text in NUMBER_TEXTS] + [(text, json.dumps(text)) for text in NUMBER_TEXTS[:4]]
        for n, (_raw, as_json) in enumerate(cases):  # the document as the producer wrote it, number spelling kept
            insert_staged(cur, Target().stage, f'{{"event": "x.y", "seq": {n}, "timestamp": {as_json}}}')
        cur.execute(partiql_to_postgres(ddl.insert_sql(Target())), ("s3://b-1/m.manifest", datetime(2026, 11, 25, 11, 0)))
        cur.execute("SELECT (event_data->>'seq')::int, event_ts FROM analytics.raw_events")
        got = dict(cur.fetchall())
    finally:
        con.close()
    for n, (raw, as_json) in enumerate(cases):
        assert got[n] == expected_ts(json.loads(as_json)), (raw, as_json)
    assert got[0] is not None and got[len(NUMBER_TEXTS)] is None  # 1764057600 as a number, then as a string


@pytest.mark.postgres
def test_too_long_ids_and_names_load_as_null_columns_with_the_record_kept_whole(pg, db):  # noqa: F811
    rows = [
        {"event": "delivery.failed", "seq": 0, "timestamp": "2026-11-25T10:00:00Z", "delivery_id": "D" * 100, "robot_id": "R-1"},
        {
            "event": "e" * 200,
            "seq": 1,
            "timestamp": 1764057600,
            "delivery_id": "D" * 64,
            "pilot_id": "é" * 33,
            "demand_id": "",
            "offer_id": "x" * 70000,
        },
    ]
    loaded = staged_and_inserted(pg, db, rows)
    event, ts, delivery, robot, pilot, demand, offer, data = loaded[0]
    assert (event, ts, delivery, robot) == ("delivery.failed", datetime(2026, 11, 25, 10, 0), None, "R-1")
    assert json.loads(data)["delivery_id"] == "D" * 100
    event, ts, delivery, robot, pilot, demand, offer, data = loaded[1]
    assert event is None and ts == datetime(2025, 11, 25, 8, 0) and delivery == "D" * 64
    assert (pilot, demand, offer) == (None, None, None)  # 66 bytes in 33 characters; empty; cut at 65535 then NULL
    assert json.loads(data)["event"] == "e" * 200 and json.loads(data)["pilot_id"] == "é" * 33


@pytest.mark.postgres
def test_an_event_name_or_id_that_is_not_a_json_string_is_null_with_the_record_kept_whole(pg, db):  # noqa: F811
    rows = [
        {
            "event": 5,
            "seq": 0,
            "timestamp": "2026-11-25T10:00:00Z",
            "delivery_id": 12345,
            "robot_id": ["R-1"],
            "pilot_id": {"id": "P-1"},
            "demand_id": True,
            "offer_id": None,
        },
        {"event": "x.y", "seq": 1, "delivery_id": "12345", "robot_id": " R-1 "},
    ]
    loaded = staged_and_inserted(pg, db, rows)
    assert loaded[0][:7] == (None, datetime(2026, 11, 25, 10, 0), None, None, None, None, None)
    assert json.loads(loaded[0][7]) == rows[0]
    assert loaded[1][:4] == ("x.y", None, "12345", " R-1 ")  # strings are ids as written, as in the local store


def test_the_emulation_translates_only_the_navigation_it_knows():
    sql = 'SELECT CAST(staged.rec."a" AS VARCHAR(9)), JSON_TYPEOF(staged.rec."b"), staged.rec FROM t staged'
    assert partiql_to_postgres(sql) == (
        "SELECT CAST(staged.rec ->> 'a' AS VARCHAR(9)), JSON_TYPEOF((staged.rec -> 'b')), staged.rec FROM t staged"
    )
    for unknown in ("SELECT staged.rec.a FROM t staged", 'SELECT staged.rec."a"."b" FROM t staged', 'SELECT staged.rec."A" FROM t staged'):
        with pytest.raises(AssertionError, match="navigation"):
            partiql_to_postgres(unknown)


@pytest.mark.postgres
def test_gzip_and_zstd_objects_load_through_one_copy_each_and_rows_carry_their_manifest(pg, db, s3, bucket):  # noqa: F811
    gz = [
        event("delivery.pickup_arrival", "2026-11-25T09:00:00Z", delivery_id="D-1"),
        event("delivery.failed", "2026-11-25T09:05:00Z", delivery_id="D-1", error={"code": "LID"}),
    ]
    zs = [
        event("delivery.pickup_arrival", "2026-11-25T09:10:00Z", delivery_id="D-2"),
        {"event": "robot.parked", "timestamp": 1795564800.5, "robot_id": "R-2"},
    ]
    put(s3, bucket, "dt=2026-11-25/1-a.log.gz", gz_lines(*gz))
    put(s3, bucket, "dt=2026-11-25/2-b.log.zst", zst_lines(*zs))
    put(s3, bucket, "dt=2026-11-25/3-c.json.zst", zst_lines(gz[0]))  # the same event again: a row, as before
    con = CopyEmulatingConnection(connector(pg, db)(), s3)
    result = run_load(config(bucket, days=0), s3, lambda: con, now=NOW)
    assert result.committed and result.rows_loaded == 5
    assert [c.splitlines()[-2] for c in con.copies] == ["GZIP", "ZSTD"]
    gz_url, zs_url = result.manifests["gzip"], result.manifests["zstd"]
    assert sorted(manifests(s3, bucket)) == sorted(u.split("/", 3)[3] for u in (gz_url, zs_url))
    rows = query(
        pg, db, "SELECT event, event_ts, delivery_id, robot_id, load_manifest FROM analytics.raw_events ORDER BY event_ts, load_manifest"
    )
    assert rows == [
        ("robot.parked", datetime(2026, 11, 25, 0, 0, 0, 500000), None, "R-2", zs_url),
        ("delivery.pickup_arrival", datetime(2026, 11, 25, 9, 0), "D-1", None, gz_url),
        ("delivery.pickup_arrival", datetime(2026, 11, 25, 9, 0), "D-1", None, zs_url),
        ("delivery.failed", datetime(2026, 11, 25, 9, 5), "D-1", None, gz_url),
        ("delivery.pickup_arrival", datetime(2026, 11, 25, 9, 10), "D-2", None, zs_url),
    ]
    assert rows[0][1] == expected_ts(1795564800.5)
    assert query(pg, db, "SELECT s3_key, load_manifest FROM analytics.raw_events_load_log ORDER BY s3_key") == [
        ("dt=2026-11-25/1-a.log.gz", gz_url),
        ("dt=2026-11-25/2-b.log.zst", zs_url),
        ("dt=2026-11-25/3-c.json.zst", zs_url),
    ]
    again = run_load(config(bucket, days=0), s3, lambda: CopyEmulatingConnection(connector(pg, db)(), s3), now=NOW)
    assert again.rows_loaded == 0 and again.manifests == {} and query(pg, db, "SELECT COUNT(*) FROM analytics.raw_events") == [(5,)]


@pytest.mark.postgres
def test_a_damaged_line_fails_the_run_at_copy_unless_max_errors_allows_it(pg, db, s3, bucket):  # noqa: F811
    body = (
        json.dumps(event("x.y", "2026-11-25T09:00:00Z", delivery_id="D-1"))
        + '\n{"event": "x.y", "timest\n'
        + json.dumps(event("x.y", "2026-11-25T09:01:00Z", delivery_id="D-2"))
        + "\n5\n"
    ).encode()
    put(s3, bucket, "dt=2026-11-25/1-a.log.gz", gzip.compress(body))

    def connect():
        return CopyEmulatingConnection(connector(pg, db)(), s3)

    for max_errors in (0, 1):  # a cut line and a bare number: two load errors
        with pytest.raises(LoadFailed, match="rolled back at COPY"):
            run_load(config(bucket, days=0, max_errors=max_errors), s3, connect, now=NOW)
        assert query(pg, db, "SELECT COUNT(*) FROM analytics.raw_events_load_log") == [(0,)]
        assert query(pg, db, "SELECT COUNT(*) FROM analytics.raw_events") == [(0,)]
    result = run_load(config(bucket, days=0, max_errors=2), s3, connect, now=NOW)
    assert result.committed and result.rows_loaded == 2
    assert query(pg, db, "SELECT delivery_id FROM analytics.raw_events ORDER BY 1") == [("D-1",), ("D-2",)]


@pytest.mark.postgres
def test_a_zstd_object_under_a_gzip_name_fails_its_copy_and_the_run_rolls_back(pg, db, s3, bucket):  # noqa: F811
    put(s3, bucket, "dt=2026-11-25/1-a.log.gz", zst_lines(event("x.y", "2026-11-25T09:00:00Z")))

    def connect():
        return CopyEmulatingConnection(connector(pg, db)(), s3)

    with pytest.raises(LoadFailed, match="rolled back at COPY"):  # the job names compression by the key's suffix
        run_load(config(bucket, days=0), s3, connect, now=NOW)
    assert query(pg, db, "SELECT COUNT(*) FROM analytics.raw_events_load_log") == [(0,)]


@pytest.mark.postgres
def test_a_run_with_unusable_timestamps_and_long_ids_commits_every_row(pg, db, s3, bucket):  # noqa: F811
    records = [
        event("x.y", "2026-11-25T09:00:00+01:00", delivery_id="D-1"),
        event("x.y", "garbage"),
        {"event": "x.y", "timestamp": 1764057600123},
        {"event": "x.y"},
        event("x.y", "", robot_id="R" * 100),
    ]
    put(s3, bucket, "dt=2026-11-25/1-a.log.gz", gz_lines(*records))

    def connect():
        return CopyEmulatingConnection(connector(pg, db)(), s3)

    result = run_load(config(bucket, days=0), s3, connect, now=NOW)
    assert result.committed and result.rows_loaded == 5
    rows = query(pg, db, "SELECT event_ts, delivery_id, robot_id FROM analytics.raw_events ORDER BY event_ts")
    assert rows == [
        (datetime(2025, 11, 25, 8, 0, 0, 123000), None, None),
        (datetime(2026, 11, 25, 8, 0), "D-1", None),
        (None, None, None),
        (None, None, None),
        (None, None, None),
    ]


# -- the fleet baseline table (findings rules §3) ------------------------------------------------------------------


def test_ddl_creates_the_baseline_table_and_its_refresh_binds_every_value():
    script = ddl.ddl_script(Target(baseline="fleet_rhythm"))
    assert "CREATE TABLE IF NOT EXISTS analytics.fleet_rhythm (" in script
    statements = copyjob.baseline_statements(Target(), datetime(2026, 11, 25, 12, 0))
    assert [s.sql.split()[0] for s in statements] == ["CREATE", "DELETE", "INSERT"]
    insert = statements[2]
    assert insert.sql.count("%s") == len(insert.params) and "'2026" not in insert.sql
    assert insert.params[:2] == (datetime(2026, 10, 28, 12, 0), datetime(2026, 11, 25, 12, 0))  # the last 28 days
    with pytest.raises(UsageError, match="baseline table"):
        Target(baseline="raw_events")


@pytest.mark.postgres
def test_the_copy_job_refreshes_the_baseline_in_the_same_transaction_as_its_rows(pg, db, s3, bucket, archive):  # noqa: F811
    def connect():
        return CopyEmulatingConnection(connector(pg, db)(), s3)

    run_load(config(bucket), s3, connect, now=NOW)
    stored = query(pg, db, "SELECT event_data::text FROM analytics.raw_events")
    expected = compute([Event.from_record(json.loads(text)) for (text,) in stored])
    got = query(pg, db, "SELECT a, b, n, p50, p95, p99 FROM analytics.delivery_baseline ORDER BY a, b")
    assert len(expected) >= 1 and sorted((t.a, t.b, t.n, t.p50, t.p95, t.p99) for t in expected.transitions) == [
        (a, b, n, round(p50, 3), round(p95, 3), round(p99, 3)) for a, b, n, p50, p95, p99 in got
    ]
    assert query(pg, db, "SELECT DISTINCT since, refreshed_at FROM analytics.delivery_baseline") == [
        (NOW.replace(tzinfo=None) - timedelta(days=28), NOW.replace(tzinfo=None))
    ]


@pytest.mark.postgres
def test_warehouse_baseline_command_keeps_the_last_28_days_equal_to_the_python_computation(coco, pg, db, isolated_env):  # noqa: F811
    from ..support.pgserver import load_events

    config = isolated_env / "config" / "coco" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        f'[profiles.wh]\nsource = "redshift"\nhost = "{pg.host}"\nport = {pg.port}\ndatabase = "{db}"\nuser = "coco_admin"\nssl = false\n'
    )
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    recent, old = [], []
    for n, when in enumerate([now - timedelta(days=d) for d in (1, 2, 3, 40)]):
        steps = [("delivery.pickup_arrival", 0), ("delivery.pickup_started", 61.5 + n), ("delivery.pickup_completed", 200.25 * (n + 1))]
        batch = [{"event": e, "delivery_id": f"D-{n}", "timestamp": (when + timedelta(seconds=s)).isoformat() + "Z"} for e, s in steps]
        (old if n == 3 else recent).extend(batch)
    load_events(pg, db, recent + old, table="analytics.raw_events")
    r = coco("warehouse", "baseline", "--profile", "wh")
    assert r.code == 0, r.err
    assert json.loads(r.out) == {"table": "analytics.delivery_baseline", "transitions": 2, "days": 28}
    got = query(pg, db, "SELECT a, b, n, p50, p95, p99 FROM analytics.delivery_baseline ORDER BY a, b")
    expected = compute([Event.from_record(rec) for rec in recent])  # the 40-day-old delivery is left out
    assert sorted((t.a, t.b, t.n, t.p50, t.p95, t.p99) for t in expected.transitions) == [
        (a, b, n, round(p50, 3), round(p95, 3), round(p99, 3)) for a, b, n, p50, p95, p99 in got
    ]
    assert {row[2] for row in got} == {3}


def test_a_dry_run_escapes_keys_in_its_comments_so_piping_it_to_psql_runs_no_key(s3, bucket, pg):
    """A key with a CR ends a ``--`` comment for PostgreSQL: the dry run's text, run by a real PostgreSQL up to
    its ``BEGIN``, must be comments only and leave the table in place; escape sequences arrive as text."""
    evil = "dt=2026-11-25/1-a\r DROP TABLE dry_victim; --\x1b]0;pwned\x07.log.gz"
    put(s3, bucket, evil, gz_lines(event("x.y", "2026-11-25T00:00:00Z")))
    put(s3, bucket, "dt=2026-11-25/2-\u202eignored\r DROP TABLE dry_victim;.txt", b"x")
    text = copyjob.render_dry_run(run_load(config(bucket), s3, None, now=NOW, dry_run=True))
    head = text[: text.index("\nBEGIN;\n")]
    psql = [shutil.which("psql") or "psql", "-h", pg.host, "-p", str(pg.pg_port), "-U", pg.admin, "-d", "postgres", "-X", "-q", "-At"]
    run = functools.partial(subprocess.run, capture_output=True, text=True, timeout=60)
    assert run([*psql, "-c", "CREATE TABLE dry_victim (x int)"]).returncode == 0
    piped = run([*psql, "-v", "ON_ERROR_STOP=1"], input=head + "\n")  # the dry run piped to psql, up to BEGIN
    assert (piped.returncode, piped.stderr) == (0, "")
    assert run([*psql, "-c", "SELECT count(*) FROM dry_victim"]).stdout == "0\n"
    assert all(line.startswith("--") for line in head.split("\n")), head
    assert not any(c in head for c in "\r\x1b\x07\u202e")
    assert "1-a\\x0d DROP TABLE dry_victim; --\\x1b]0;pwned\\x07.log.gz" in head
