"""The archive in S3: ``coco load s3://…``, the ``s3`` source with ``coco sync``.

S3 is moto's server on a loopback port, started by these tests (real HTTP, real boto3); the archive is the
generator's fleet day. Every S3 load is compared with ``coco load`` of the same files from disk.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest

from cocoevents.archive import s3 as s3_s3
from cocoevents.devtools import generator
from cocoevents.store import loader as store
from cocoevents.store import s3_sync as s3_s3_sync
from cocoevents.store.scratch import scratch_root

from ..support.cli import run_coco
from ..support.pgserver import free_port
from ..support.s3 import SECRET, aws_credentials

# -- fixtures ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fleet_archive(tmp_path_factory) -> Path:
    """The generator's fleet day (2026-11-25) as the shipper's dt= folders of .log.gz files."""
    root = tmp_path_factory.mktemp("archive")
    records = generator.fleet_day(generator.Fleet(deliveries=30, robots=6, pilots=3, seed=5)) + generator.scenarios()
    records.sort(key=lambda r: json.dumps(r.get("timestamp")))
    generator.write_archive(records, root, seed=4, per_file=60)
    return root


@pytest.fixture(scope="module")
def disk_store(fleet_archive, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("disk") / "disk.duckdb"
    store.load(path, [fleet_archive])
    return path


def upload(s3, bucket: str, root: Path, prefix: str = "") -> dict[str, Path]:
    keys = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            key = prefix + path.relative_to(root).as_posix()
            s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())
            keys[key] = path
    return keys


def rows(path: Path) -> list[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT record FROM events ORDER BY record").fetchall()]
    finally:
        con.close()


def files(path: Path) -> list[tuple[str, str]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT path, sha256 FROM files ORDER BY path").fetchall()
    finally:
        con.close()


def gets(client) -> list[str]:
    """Keys fetched with GetObject through ``client`` (counted by a boto3 event hook)."""
    seen: list[str] = []
    client.meta.events.register("provide-client-params.s3.GetObject", lambda params, **kw: seen.append(params["Key"]))
    return seen


def deliveries(path: Path) -> list[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT DISTINCT delivery_id FROM events WHERE delivery_id IS NOT NULL ORDER BY 1").fetchall()]
    finally:
        con.close()


# -- coco load s3:// --------------------------------------------------------------------------------------------


def test_coco_load_of_an_s3_prefix_stores_what_coco_load_of_the_same_files_on_disk_stores(
    endpoint, s3, bucket, fleet_archive, disk_store, tmp_path
) -> None:
    keys = upload(s3, bucket, fleet_archive, "events/")
    s3.put_object(Bucket=bucket, Key="events/dt=2026-11-25/README.txt", Body=b"not an archive file")
    target = tmp_path / "s3.duckdb"
    r = run_coco("load", f"s3://{bucket}/events/", "--endpoint-url", endpoint, "--store", str(target), "--json")
    assert r.code == 0, r.err
    summary = r.json()
    assert summary["files_loaded"] == len(keys) and summary["objects_downloaded"] == len(keys)
    assert summary["skipped"] == [
        {
            "path": f"s3://{bucket}/events/dt=2026-11-25/README.txt",
            "reason": "not an archive file name (.log, .json, .jsonl or .ndjson, optionally .gz or .zst)",
        }
    ]
    assert rows(target) == rows(disk_store)
    # recorded under their S3 names, with the same SHA-256 as the files on disk
    assert files(target) == sorted((f"s3://{bucket}/{k}", sha) for k, (_, sha) in zip(keys, [(p, store_sha(p)) for p in keys.values()]))
    for d in ("D12345", deliveries(disk_store)[3]):
        assert (
            run_coco("timeline", d, "--store", str(target), "-f", "json").json()
            == run_coco("timeline", d, "--store", str(disk_store), "-f", "json").json()
        )
    assert SECRET not in r.out + r.err


def store_sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_second_load_skips_every_object_by_key_etag_and_size_before_downloading(endpoint, s3, bucket, fleet_archive, tmp_path) -> None:
    keys = upload(s3, bucket, fleet_archive)
    target = tmp_path / "s3.duckdb"
    first = run_coco("load", f"s3://{bucket}/", "--endpoint-url", endpoint, "--store", str(target))
    assert first.code == 0, first.err
    client = s3_s3.client(endpoint_url=endpoint)
    fetched = gets(client)
    objects, _ = s3_s3.list_objects(client, bucket, "")
    again = s3_s3_sync.sync_objects(target, client, bucket, objects)
    assert fetched == [] and again.unchanged == len(keys) and again.downloaded == 0
    assert {f.status for f in again.report.files} == {"already_loaded"}
    r = run_coco("load", f"s3://{bucket}/", "--endpoint-url", endpoint, "--store", str(target), "--json")
    assert r.code == 0 and r.json()["objects_downloaded"] == 0 and r.json()["files_already_loaded"] == len(keys)
    assert f"{len(keys)} unchanged (not downloaded)" in r.err


def test_an_object_rewritten_in_s3_is_downloaded_again_and_replaces_its_old_events(endpoint, s3, bucket, tmp_path) -> None:
    key = "dt=2026-11-25/1-a.log.gz"
    one = {"event": "delivery.created", "timestamp": "2026-11-25T10:00:00Z", "delivery_id": "D-1"}
    two = {"event": "delivery.failed", "timestamp": "2026-11-25T10:05:00Z", "delivery_id": "D-1"}
    s3.put_object(Bucket=bucket, Key=key, Body=gzip.compress(json.dumps(one).encode() + b"\n"))
    target = tmp_path / "s3.duckdb"
    assert run_coco("load", f"s3://{bucket}/", "--endpoint-url", endpoint, "--store", str(target)).code == 0
    s3.put_object(Bucket=bucket, Key=key, Body=gzip.compress((json.dumps(one) + "\n" + json.dumps(two) + "\n").encode()))
    r = run_coco("load", f"s3://{bucket}/", "--endpoint-url", endpoint, "--store", str(target), "--json")
    assert r.code == 0, r.err
    assert r.json()["objects_downloaded"] == 1 and r.json()["files_replaced"] == 1
    assert len(rows(target)) == 2 and [p for p, _ in files(target)] == [f"s3://{bucket}/{key}"]


def test_since_and_until_pick_the_dt_days_of_the_archive(endpoint, s3, bucket, tmp_path) -> None:
    for day in ("2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26"):
        rec = {"event": "robot.parked", "timestamp": f"{day}T09:00:00Z", "robot_id": "R-1"}
        s3.put_object(Bucket=bucket, Key=f"dt={day}/1-{day}.log.gz", Body=gzip.compress(json.dumps(rec).encode()))
    target = tmp_path / "s3.duckdb"
    r = run_coco(
        "load",
        f"s3://{bucket}/",
        "--since",
        "2026-11-24",
        "--until",
        "2026-11-25T23:00Z",
        "--endpoint-url",
        endpoint,
        "--store",
        str(target),
    )
    assert r.code == 0, r.err
    assert [p for p, _ in files(target)] == [
        f"s3://{bucket}/dt=2026-11-24/1-2026-11-24.log.gz",
        f"s3://{bucket}/dt=2026-11-25/1-2026-11-25.log.gz",
    ]
    nothing = run_coco(
        "load", f"s3://{bucket}/", "--since", "2026-11-20", "--until", "2026-11-21", "--endpoint-url", endpoint, "--store", str(target)
    )
    assert nothing.code == 3 and nothing.err.count("\n") == 1 and "no archive object" in nothing.err


def test_a_damaged_object_loads_its_complete_lines_is_reported_and_is_not_downloaded_again(endpoint, s3, bucket, tmp_path) -> None:
    lines = b"".join(
        json.dumps({"event": "robot.parked", "timestamp": f"2026-11-25T09:{m:02d}:00Z", "robot_id": "R-1", "pad": "x" * 200}).encode()
        + b"\n"
        for m in range(60)
    )
    whole = gzip.compress(lines)
    s3.put_object(Bucket=bucket, Key="dt=2026-11-25/1-cut.log.gz", Body=whole[: len(whole) * 2 // 3])
    s3.put_object(Bucket=bucket, Key="dt=2026-11-25/2-ok.log.gz", Body=gzip.compress(lines[:1000].rsplit(b"\n", 1)[0]))
    local = tmp_path / "local" / "dt=2026-11-25"
    local.mkdir(parents=True)
    (local / "1-cut.log.gz").write_bytes(whole[: len(whole) * 2 // 3])
    disk = tmp_path / "disk.duckdb"
    store.load(disk, [local])
    target = tmp_path / "s3.duckdb"
    r = run_coco("load", f"s3://{bucket}/", "--endpoint-url", endpoint, "--store", str(target), "--json")
    assert r.code == 0, r.err
    summary = r.json()
    assert summary["files_damaged"] == 1
    assert summary["damaged"][0]["path"] == f"s3://{bucket}/dt=2026-11-25/1-cut.log.gz"
    assert f"coco: warning: s3://{bucket}/dt=2026-11-25/1-cut.log.gz: " in r.err
    cut_events = [f for f in summary["files"] if f["path"].endswith("1-cut.log.gz")][0]["events"]
    assert 0 < cut_events < 60 and cut_events == len(rows(disk))
    again = run_coco("load", f"s3://{bucket}/", "--endpoint-url", endpoint, "--store", str(target), "--json")
    assert again.json()["objects_downloaded"] == 0


def test_an_interrupted_load_completes_on_the_next_run_without_duplicates(
    endpoint, s3, bucket, fleet_archive, disk_store, tmp_path, monkeypatch
) -> None:
    keys = upload(s3, bucket, fleet_archive)
    monkeypatch.setenv("COCO_BATCH_MB", "0.01")  # a commit per object or two
    target = tmp_path / "s3.duckdb"
    client = s3_s3.client(endpoint_url=endpoint)
    objects, _ = s3_s3.list_objects(client, bucket, "")
    seen: list[str] = []

    def interrupt(fetched: Any) -> None:
        seen.append(fetched.name)
        if len(seen) == len(keys) // 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        s3_s3_sync.sync_objects(target, client, bucket, objects, concurrency=2, on_fetched=interrupt)
    committed = files(target)
    assert 0 < len(committed) < len(keys)
    fetched = gets(client)
    rest = s3_s3_sync.sync_objects(target, client, bucket, objects)
    assert rest.unchanged == len(committed) and len(fetched) == len(keys) - len(committed)
    assert rows(target) == rows(disk_store)
    assert len(files(target)) == len(keys) == len({p for p, _ in files(target)})
    assert not list(scratch_root().glob("coco-s3-*/*-" + next(iter(keys)).rsplit("/", 1)[-1]))


def test_a_load_killed_midway_and_run_again_equals_an_uninterrupted_load(endpoint, s3, bucket, fleet_archive, disk_store, tmp_path) -> None:
    upload(s3, bucket, fleet_archive)
    target = tmp_path / "s3.duckdb"
    env = {**os.environ, "COCO_BATCH_MB": "0.01"}
    args = [sys.executable, "-c", "import sys; from cocoevents.cli.main import main; sys.exit(main(sys.argv[1:]))"]
    cmd = [*args, "load", f"s3://{bucket}/", "--endpoint-url", endpoint, "--store", str(target)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        wal = target.with_name(target.name + ".wal")
        if wal.exists() and wal.stat().st_size > 200_000:
            break
        time.sleep(0.02)
    proc.kill()
    proc.wait()
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert rows(target) == rows(disk_store)
    assert len(files(target)) == len({p for p, _ in files(target)})


def test_a_load_killed_while_downloading_leaves_no_temporary_folder_once_run_again(endpoint, s3, bucket, fleet_archive, tmp_path) -> None:
    """SIGKILL gives coco no chance to clean up: the next run removes what the killed one left (``store.scratch``),
    in the system's temporary folder and coco's own alike."""
    upload(s3, bucket, fleet_archive)
    target = tmp_path / "s3.duckdb"
    system_tmp = tmp_path / "system-tmp"
    system_tmp.mkdir()
    env = {**os.environ, "COCO_BATCH_MB": "0.01", "TMPDIR": str(system_tmp)}
    args = [sys.executable, "-c", "import sys; from cocoevents.cli.main import main; sys.exit(main(sys.argv[1:]))"]
    cmd = [*args, "load", f"s3://{bucket}/", "--endpoint-url", endpoint, "--store", str(target)]

    def left() -> list[str]:
        """Files and folders under both temporary places (relative names); ``os.walk`` passes over a folder the
        running coco removes while it is read (``rglob`` raised)."""
        found = []
        for root in (system_tmp, scratch_root()):
            for folder, dirs, files in os.walk(root):
                found += [os.path.relpath(os.path.join(folder, n), root) for n in dirs + files]
        return sorted(found)

    downloads = 0
    for _ in range(3):  # three kills, each while a download of its own is on disk
        before = set(left())
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None and not any(".log.gz" in n for n in set(left()) - before):
            time.sleep(0.01)
        proc.kill()
        proc.wait()
        downloads += any(".log.gz" in n for n in set(left()) - before)
    assert downloads == 3, left()
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert left() == []


def test_an_object_that_appears_or_changes_during_a_sync_is_taken_as_fetched_and_the_next_sync_completes(
    endpoint, s3, bucket, tmp_path
) -> None:
    def body(n: int) -> bytes:
        return gzip.compress(
            json.dumps({"event": "robot.parked", "timestamp": "2026-11-25T09:00:00Z", "robot_id": f"R-{n}"}).encode() + b"\n"
        )

    for n in range(4):
        s3.put_object(Bucket=bucket, Key=f"dt=2026-11-25/{n}.log.gz", Body=body(n))
    target = tmp_path / "s3.duckdb"
    client = s3_s3.client(endpoint_url=endpoint)
    objects, _ = s3_s3.list_objects(client, bucket, "")

    changed: list[bool] = []

    def meanwhile(done: int, total: int) -> None:  # called as the first object's bytes arrive (one at a time)
        if done and not changed:
            changed.append(True)
            s3.put_object(Bucket=bucket, Key="dt=2026-11-25/9-late.log.gz", Body=body(9))  # appears after listing
            s3.put_object(Bucket=bucket, Key="dt=2026-11-25/3.log.gz", Body=body(33))  # changes before its download

    first = s3_s3_sync.sync_objects(target, client, bucket, objects, concurrency=1, progress=meanwhile)
    assert first.downloaded == 4
    assert sorted(json.loads(r)["robot_id"] for r in rows(target)) == ["R-0", "R-1", "R-2", "R-33"]
    fetched = gets(client)
    objects, _ = s3_s3.list_objects(client, bucket, "")
    second = s3_s3_sync.sync_objects(target, client, bucket, objects)
    assert fetched == ["dt=2026-11-25/9-late.log.gz"] and second.unchanged == 4
    assert sorted(json.loads(r)["robot_id"] for r in rows(target)) == ["R-0", "R-1", "R-2", "R-33", "R-9"]


def test_an_object_deleted_after_listing_is_reported_and_the_rest_loads(endpoint, s3, bucket, tmp_path) -> None:
    for n in range(3):
        s3.put_object(
            Bucket=bucket,
            Key=f"dt=2026-11-25/{n}.log.gz",
            Body=gzip.compress(json.dumps({"event": "robot.parked", "timestamp": "2026-11-25T09:00:00Z", "robot_id": f"R-{n}"}).encode()),
        )
    client = s3_s3.client(endpoint_url=endpoint)
    objects, _ = s3_s3.list_objects(client, bucket, "")
    s3.delete_object(Bucket=bucket, Key="dt=2026-11-25/1.log.gz")
    result = s3_s3_sync.sync_objects(tmp_path / "s.duckdb", client, bucket, objects)
    assert result.vanished == [f"s3://{bucket}/dt=2026-11-25/1.log.gz"]
    assert len(rows(tmp_path / "s.duckdb")) == 2


# -- failures: exit 4, one line -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def moto_with_auth(tmp_path_factory):
    """A second moto server that checks IAM: a bucket, an object and a user without any policy are made
    with the few unauthenticated actions it allows; that user's key is then denied."""
    port = free_port()
    env = {
        **os.environ,
        "INITIAL_NO_AUTH_ACTION_COUNT": "4",
        "AWS_ACCESS_KEY_ID": "admin",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    env.pop("AWS_ENDPOINT_URL_S3", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        import socket

        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("moto server with IAM checks did not start")
                time.sleep(0.1)
        import boto3

        kw = dict(aws_access_key_id="admin", aws_secret_access_key="x", region_name="us-east-1")
        s3 = boto3.client("s3", endpoint_url=url, **kw)
        s3.create_bucket(Bucket="locked")
        s3.put_object(Bucket="locked", Key="dt=2026-11-25/1.log.gz", Body=gzip.compress(b'{"event":"a.b"}\n'))
        iam = boto3.client("iam", endpoint_url=url, **kw)
        iam.create_user(UserName="oncall")
        key = iam.create_access_key(UserName="oncall")["AccessKey"]
        yield url, key["AccessKeyId"], key["SecretAccessKey"]
    finally:
        proc.kill()
        proc.wait()


def one_line_exit_4(r: Any, *must: str) -> None:
    assert r.code == 4, (r.code, r.err)
    assert r.out == "" and r.err.count("\n") == 1 and r.err.startswith("coco: error: "), r.err
    assert "Traceback" not in r.err and SECRET not in r.err
    for text in must:
        assert text in r.err, r.err


def test_access_denied_is_exit_4_with_one_line_and_no_secret(moto_with_auth, monkeypatch, tmp_path) -> None:
    url, key_id, secret = moto_with_auth
    aws_credentials(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    r = run_coco("load", "s3://locked/", "--endpoint-url", url, "--store", str(tmp_path / "s.duckdb"))
    one_line_exit_4(r, "s3://locked/", "access denied")
    assert secret not in r.err and not (tmp_path / "s.duckdb").exists()


def test_a_missing_bucket_an_unreachable_endpoint_and_missing_credentials_are_exit_4_with_one_line(endpoint, monkeypatch, tmp_path) -> None:
    target = str(tmp_path / "s.duckdb")
    one_line_exit_4(run_coco("load", "s3://no-such-bucket-here/", "--endpoint-url", endpoint, "--store", target), "no such bucket")
    one_line_exit_4(
        run_coco("load", "s3://some-bucket/", "--endpoint-url", f"http://127.0.0.1:{free_port()}", "--store", target),
        "cannot reach the S3 endpoint",
    )
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    one_line_exit_4(run_coco("load", "s3://some-bucket/", "--endpoint-url", endpoint, "--store", target), "no AWS credentials")


def test_bad_s3_urls_and_options_are_usage_errors(endpoint, tmp_path) -> None:
    target = str(tmp_path / "s.duckdb")
    for args in (
        ["s3://Bad_Bucket/"],
        ["s3://ok-bucket/", "--endpoint-url", "http://user:pw@host"],
        ["s3://ok-bucket/", "--since", "yesterday-ish"],
        [str(tmp_path), "--since", "2d"],
        ["s3://ok-bucket/", str(tmp_path)],
    ):
        r = run_coco("load", *args, "--store", target)
        assert r.code == 2 and r.err.count("\n") == 1, (args, r.err)
        assert "pw" not in r.err


# -- the s3 source and coco sync --------------------------------------------------------------------------------


def archive_profile(home: Path, bucket: str, endpoint: str, cache: Path, name: str = "archive", **extra: str) -> None:
    path = home / "config" / "coco" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text() if path.exists() else ""
    lines = [
        f"[profiles.{name}]",
        'source = "s3"',
        f'bucket = "{bucket}"',
        'prefix = "events"',
        f'endpoint_url = "{endpoint}"',
        f'cache = "{cache}"',
        *(f"{k} = {v}" for k, v in extra.items()),
    ]
    path.write_text(text + "\n".join(lines) + "\n")


def test_a_timeline_of_an_s3_profile_syncs_the_days_it_needs_then_answers_as_the_local_store(
    endpoint, s3, bucket, fleet_archive, disk_store, isolated_env, tmp_path
) -> None:
    upload(s3, bucket, fleet_archive, "events/")
    s3.put_object(
        Bucket=bucket,
        Key="events/dt=2026-11-10/1-old.log.gz",
        Body=gzip.compress(json.dumps({"event": "robot.parked", "timestamp": "2026-11-10T09:00:00Z", "robot_id": "R-old"}).encode()),
    )
    cache = tmp_path / "cache.duckdb"
    archive_profile(isolated_env, bucket, endpoint, cache)
    span = ["--since", "2026-11-25T00:00Z", "--until", "2026-11-25T23:59Z"]
    for args in (["D12345", *span], ["R-12", *span], [deliveries(disk_store)[5], *span]):
        remote = run_coco("timeline", *args, "--profile", "archive", "-f", "json")
        local = run_coco("timeline", *args, "--store", str(disk_store), "-f", "json")
        assert remote.code == 0, remote.err
        assert remote.json() == local.json()
    assert rows(cache) == rows(disk_store)  # the days asked (and one either side), not 2026-11-10
    # a delivery asked without --since: the profile's lookback, counted back from now
    days_ago = (datetime.now(timezone.utc).date() - date(2026, 11, 25)).days
    archive_profile(isolated_env, bucket, endpoint, tmp_path / "cache2.duckdb", name="recent", lookback=f'"{days_ago + 1}d"')
    r = run_coco("timeline", "D12345", "--profile", "recent", "-f", "json")
    assert r.code == 0, r.err
    assert r.json() == run_coco("timeline", "D12345", "--store", str(disk_store), "-f", "json").json()
    assert "coco: synced s3://" in r.err


def test_coco_sync_since_2d_brings_the_last_days_into_the_cache_and_only_them(endpoint, s3, bucket, isolated_env, tmp_path) -> None:
    today = datetime.now(timezone.utc).date()
    for back in (0, 1, 2, 5):
        day = today - timedelta(days=back)
        rec = {"event": "robot.parked", "timestamp": f"{day}T00:00:01Z", "robot_id": f"R-{back}"}
        s3.put_object(Bucket=bucket, Key=f"events/dt={day}/1-{back}.log.gz", Body=gzip.compress(json.dumps(rec).encode()))
    cache = tmp_path / "cache.duckdb"
    archive_profile(isolated_env, bucket, endpoint, cache)
    r = run_coco("sync", "--profile", "archive", "--since", "2d", "--json")
    assert r.code == 0, r.err
    assert sorted(p for p, _ in files(cache)) == [f"s3://{bucket}/events/dt={today - timedelta(days=b)}/1-{b}.log.gz" for b in (2, 1, 0)]
    assert r.json()["objects_downloaded"] == 3 and "coco: synced s3://" in r.err
    again = run_coco("sync", "--profile", "archive", "--since", "2d", "--json")
    assert again.json()["objects_downloaded"] == 0 and again.json()["objects_unchanged"] == 3
    listed = run_coco("store", "files", "--store", str(cache))
    assert listed.code == 0 and f"s3://{bucket}/events/dt={today}/1-0.log.gz" in listed.out
    not_s3 = run_coco("sync", "--store", str(cache))
    assert not_s3.code == 2


def test_an_s3_profile_answers_from_its_cache_with_a_warning_when_s3_cannot_be_reached(
    endpoint, s3, bucket, fleet_archive, disk_store, isolated_env, tmp_path
) -> None:
    upload(s3, bucket, fleet_archive, "events/")
    cache = tmp_path / "cache.duckdb"
    archive_profile(isolated_env, bucket, endpoint, cache)
    assert run_coco("sync", "--profile", "archive", "--since", "2026-11-25", "--until", "2026-11-25").code == 0
    archive_profile(isolated_env, bucket, f"http://127.0.0.1:{free_port()}", cache, name="offline")
    r = run_coco("timeline", "D12345", "--since", "2026-11-25T00:00Z", "--until", "2026-11-25T23:00Z", "--profile", "offline", "-f", "json")
    assert r.code == 0, r.err
    assert "cannot reach the S3 endpoint" in r.err and "answering from the cache" in r.err
    assert (
        r.json()
        == run_coco(
            "timeline", "D12345", "--since", "2026-11-25T00:00Z", "--until", "2026-11-25T23:00Z", "--store", str(disk_store), "-f", "json"
        ).json()
    )
    archive_profile(isolated_env, bucket, f"http://127.0.0.1:{free_port()}", tmp_path / "none.duckdb", name="empty")
    one_line_exit_4(run_coco("timeline", "D12345", "--profile", "empty"), "cannot reach the S3 endpoint")


def test_an_s3_profile_is_validated_and_shown_without_secrets(endpoint, isolated_env, tmp_path) -> None:
    archive_profile(isolated_env, "ok-bucket", endpoint, tmp_path / "c.duckdb", name="bad", lookback='"soon"')
    r = run_coco("config", "show", "--profile", "bad")
    assert r.code == 2 and "'lookback'" in r.err
    path = isolated_env / "config" / "coco" / "config.toml"
    path.unlink()
    archive_profile(isolated_env, "ok-bucket", endpoint, tmp_path / "c.duckdb")
    shown = run_coco("config", "show", "--profile", "archive")
    assert shown.code == 0, shown.err
    assert "s3://ok-bucket/events/" in shown.out and SECRET not in shown.out


def test_doctor_deliveries_and_errors_read_an_s3_profile_as_they_read_the_local_store(
    endpoint, s3, bucket, fleet_archive, disk_store, isolated_env, tmp_path
) -> None:
    upload(s3, bucket, fleet_archive, "events/")
    cache = tmp_path / "cache.duckdb"
    archive_profile(isolated_env, bucket, endpoint, cache)
    before = run_coco("doctor", "--profile", "archive")
    assert before.code == 0 and f"s3://{bucket}/events/ readable" in before.err + before.out
    span = ["--since", "2026-11-25T00:00Z", "--until", "2026-11-26T00:00Z"]
    for cmd in (["deliveries", "--limit", "0"], ["errors"]):
        remote = run_coco(*cmd, *span, "--profile", "archive", "-f", "json")
        local = run_coco(*cmd, *span, "--store", str(disk_store), "-f", "json")
        assert remote.code == 0, remote.err
        assert remote.json() == local.json()
    after = run_coco("doctor", "--profile", "archive")
    assert after.code == 0 and "events" in after.err + after.out and str(cache) in after.err + after.out


def test_an_object_whose_file_was_removed_from_the_store_is_downloaded_again(endpoint, s3, bucket, tmp_path) -> None:
    for n in range(3):
        s3.put_object(
            Bucket=bucket,
            Key=f"dt=2026-11-25/{n}.log.gz",
            Body=gzip.compress(json.dumps({"event": "robot.parked", "timestamp": "2026-11-25T09:00:00Z", "robot_id": f"R-{n}"}).encode()),
        )
    target = tmp_path / "s3.duckdb"
    load = ["load", f"s3://{bucket}/", "--endpoint-url", endpoint, "--store", str(target), "--json"]
    assert run_coco(*load).code == 0
    removed = run_coco("store", "remove", f"s3://{bucket}/dt=2026-11-25/1.log.gz", "--store", str(target))
    assert removed.code == 0, removed.err
    assert len(rows(target)) == 2
    again = run_coco(*load)
    assert again.json()["objects_downloaded"] == 1 and again.json()["objects_unchanged"] == 2
    assert len(rows(target)) == 3


# -- an S3 endpoint's own text reaches the terminal escaped ------------------------------------------------------

HOSTILE_CODE = "Evil\u009b2J\u202eCode"  # a C1 CSI (clear screen) and a bidi override: both allowed in XML 1.0
LISTING = (
    '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>b</Name><Prefix></Prefix><KeyCount>1</KeyCount>'
    "<MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated><Contents><Key>dt=2026-11-25/a.log.gz</Key><Size>10</Size>"
    '<ETag>"abc"</ETag></Contents></ListBucketResult>'
)


@pytest.fixture
def crafted_s3(monkeypatch, tmp_path):
    """A tiny HTTP server in a thread posing as S3: ``answers[kind]`` (``list`` or ``get``) is the status and
    body it sends for that request."""
    import http.server
    import threading

    answers: dict[str, tuple[int, bytes]] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = answers["list" if "list-type=2" in self.path else "get"]
            self.send_response(status)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    aws_credentials(monkeypatch, tmp_path)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", answers
    finally:
        server.shutdown()
        server.server_close()


def error_xml(code: str) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>said {code}</Message></Error>'.encode()


@pytest.mark.parametrize(
    "answers,said",
    [
        ({"list": (400, error_xml(HOSTILE_CODE))}, "S3 error Evil\\x9b2J\\u202eCode"),
        ({"list": (200, LISTING.encode()), "get": (403, error_xml(HOSTILE_CODE))}, "access denied (S3 Evil\\x9b2J\\u202eCode)"),
        ({"list": (200, LISTING.encode()), "get": (400, error_xml(HOSTILE_CODE))}, "S3 error Evil\\x9b2J\\u202eCode"),
        ({"list": (200, LISTING.replace("<Name>b", "<Name>\x1b]0;owned\x07b").encode())}, "S3 error 500"),  # not XML
    ],
    ids=["list-error", "get-denied", "get-error", "listing-not-xml"],
)
def test_an_s3_endpoints_error_code_with_control_characters_reaches_stderr_escaped(crafted_s3, tmp_path, answers, said) -> None:
    """The whole process's stderr (a real ``coco load``: warnings, logging and threads included), not one writer's."""
    url, served = crafted_s3
    served.update(answers)
    args = [sys.executable, "-c", "import sys; from cocoevents.cli.main import main; sys.exit(main(sys.argv[1:]))"]
    r = subprocess.run(
        [*args, "load", "s3://bucket-x/", "--endpoint-url", url, "--store", str(tmp_path / "s.duckdb")],
        capture_output=True,
        timeout=120,
    )
    err = r.stderr.decode("utf-8")
    assert r.returncode == 4 and r.stdout == b"", err
    assert err.count("\n") == 1 and err.startswith("coco: error: s3://bucket-x/") and said in err, err
    for raw in ("\x1b", "\x07", "\u009b", "\u202e"):
        assert raw not in err
