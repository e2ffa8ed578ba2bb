"""``--fresh``: the Redshift answer plus the archive objects the COPY job has not loaded yet.

Real parts: moto's S3 server (started here) holds the whole archive; the PostgreSQL fixture holds the part the
"COPY job" loaded (the warehouse layout, ``tests/pgserver.py``) and a load log naming exactly those objects.
The merged timeline must equal the local store's timeline of the whole archive, for every delivery.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import stat
from datetime import date
from typing import Any

import duckdb
import pytest

from cocoevents.archive import lines as archive
from cocoevents.core.baseline import COLUMNS
from cocoevents.core.lookup import build
from cocoevents.core.model import Event
from cocoevents.core.options import parse_options
from cocoevents.devtools import generator
from cocoevents.sources import fresh as s3_fresh
from cocoevents.sources import s3 as s3src
from cocoevents.sources import tail_cache
from cocoevents.sources.local import LocalSource
from cocoevents.sources.redshift import RedshiftSource
from cocoevents.store import loader as store
from cocoevents.timestamps import parse_time_option
from cocoevents.warehouse.ddl import Target, create_baseline_sql, create_load_log_sql

from ..support.cli import run_coco
from ..support.pgserver import events_ddl, load_events
from ..support.redshift import profile_for, redshift_profile_toml, write_config
from ..support.s3 import aws_credentials

pytestmark = pytest.mark.postgres

NOW = parse_time_option("2026-11-26T00:00:00Z")
BUCKET = "coco-fresh-archive"
LOG = "events_load_log"


@pytest.fixture(scope="module")
def world(pg, moto_endpoint, tmp_path_factory):
    """The archive in S3; its first two thirds of objects in PostgreSQL and the load log; the whole in a local store."""
    import boto3

    root = tmp_path_factory.mktemp("fresh-archive")
    records = generator.fleet_day(generator.Fleet(deliveries=40, robots=8, pilots=3, seed=11)) + generator.scenarios()
    records.sort(key=lambda r: json.dumps(r.get("timestamp")))
    paths = sorted(generator.write_archive(records, root, seed=3, per_file=90))
    s3 = boto3.client("s3", endpoint_url=moto_endpoint, aws_access_key_id="k", aws_secret_access_key="s", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    keys = {}
    for p in paths:
        key = "events/" + p.relative_to(root).as_posix()
        s3.put_object(Bucket=BUCKET, Key=key, Body=p.read_bytes())
        keys[key] = p
    copied = sorted(keys)[: len(keys) * 2 // 3]
    tail = sorted(keys)[len(keys) * 2 // 3 :]
    database = pg.create_database("fresh")
    pg.run(database, events_ddl())
    pg.run(database, create_load_log_sql(Target(schema="public", table="events", load_log=LOG)))
    loaded = [rec for k in copied for _, rec in archive.scan(keys[k]).records]
    load_events(pg, database, loaded)
    for k in copied:
        pg.run(
            database,
            f"INSERT INTO public.{LOG} VALUES (%s, %s, %s, %s, %s, now())",
            [BUCKET, k, date(2026, 11, 25), keys[k].stat().st_size, "s3://manifests/run-1"],
        )
    local = tmp_path_factory.mktemp("fresh-store") / "all.duckdb"
    store.load(local, [root])
    # The fleet baseline is the warehouse's own (the job refreshes it); here it is the whole archive's, as the
    # local store has it, so that the findings compare too: this test is about the events.
    target = Target(schema="public", table="events", load_log=LOG)
    pg.run(database, create_baseline_sql(target))
    con = duckdb.connect(str(local), read_only=True)
    baseline = con.execute(f"SELECT {', '.join(COLUMNS)} FROM fleet_baseline").fetchall()
    con.close()
    for row in baseline:
        pg.run(database, f"INSERT INTO {target.fleet_baseline} VALUES (%s, %s, %s, %s, %s, %s, now(), now())", list(row))
    tail_texts = {Event.from_record(rec).text for k in tail for _, rec in archive.scan(keys[k]).records}
    warehouse_texts = {Event.from_record(rec).text for rec in loaded}
    deliveries = sorted({r["delivery_id"] for r in records if isinstance(r.get("delivery_id"), str)})
    return {
        "database": database,
        "store": local,
        "tail": tail,
        "tail_texts": tail_texts - warehouse_texts,
        "deliveries": deliveries,
        "endpoint": moto_endpoint,
    }


@pytest.fixture
def aws(monkeypatch, tmp_path, world):
    aws_credentials(monkeypatch, tmp_path)
    return world["endpoint"]


def archive_settings(endpoint: str) -> s3src.Settings:
    return s3src.Settings.from_values("test", "archive", {"bucket": BUCKET, "prefix": "events/", "endpoint_url": endpoint})


def test_the_fresh_timeline_of_every_delivery_equals_the_local_timeline_of_the_whole_archive(pg, world, aws) -> None:
    opts = parse_options()
    fresh = s3_fresh.fresh(RedshiftSource(profile_for(pg, world["database"], load_log=LOG), now=NOW), archive_settings(aws))
    plain = RedshiftSource(profile_for(pg, world["database"], load_log=LOG), now=NOW)
    local = LocalSource(world["store"])
    differs = 0
    try:
        for d in world["deliveries"]:
            merged = build(fresh, d, None, opts)
            whole = build(local, d, None, opts)
            assert merged.to_dict() == whole.to_dict(), d
            from_tail = sum(1 for r in whole.rows if r.event.text in world["tail_texts"])
            assert fresh.tail_count(merged) == from_tail, d
            try:
                differs += build(plain, d, None, opts).to_dict() != whole.to_dict()
            except Exception:  # a delivery only the tail knows
                differs += 1
        assert fresh.tail_objects == len(world["tail"])
        for robot in ("R-12", "R-7"):
            span = parse_options(since="2026-11-25T00:00:00Z", until="2026-11-25T23:59:59Z")
            assert build(fresh, robot, None, span).to_dict() == build(local, robot, None, span).to_dict()
    finally:
        fresh.close()
        plain.close()
        local.close()
    assert differs > 0  # the tail mattered: without it some timelines are incomplete


def test_coco_timeline_fresh_prints_the_merged_timeline_and_says_how_many_events_came_from_the_tail(pg, world, aws, isolated_env) -> None:
    text = redshift_profile_toml(pg, world["database"], load_log=f'"{LOG}"')
    text += f'[profiles.archive]\nsource = "s3"\nbucket = "{BUCKET}"\nprefix = "events/"\nendpoint_url = "{aws}"\n'
    text += redshift_profile_toml(pg, world["database"], name="always", load_log=f'"{LOG}"', fresh_from='"archive"')
    write_config(isolated_env, text)
    d = world["deliveries"][-1]
    local = run_coco("timeline", d, "--store", str(world["store"]), "-f", "json")
    for args in (["--profile", "wh", "--fresh"], ["--profile", "always"]):
        r = run_coco("timeline", d, *args, "-f", "json")
        assert r.code == 0, r.err
        assert r.json() == local.json()
        n = sum(1 for e in local.json()["events"] if Event.from_record(e["payload"]).text in world["tail_texts"])
        assert (
            f"coco: fresh: {n} of {len(local.json()['events'])} events came from the archive tail "
            f"({len(world['tail'])} object(s) of s3://{BUCKET}/events/" in r.err
        )
    table = run_coco("timeline", d, "--profile", "wh", "--fresh", "--no-color")
    assert table.code == 0 and "came from the archive tail" in table.err and "came from" not in table.out


def test_fresh_is_refused_for_a_source_that_is_not_redshift_and_needs_a_load_log(pg, world, aws, isolated_env, tmp_path) -> None:
    r = run_coco("timeline", "D12345", "--store", str(world["store"]), "--fresh")
    assert r.code == 2 and "--fresh" in r.err and r.err.count("\n") == 1
    write_config(isolated_env, redshift_profile_toml(pg, world["database"]))
    r = run_coco("timeline", "D12345", "--profile", "wh", "--fresh")
    assert r.code == 2 and "fresh_from" in r.err and r.err.count("\n") == 1  # no s3 profile to take the tail from
    text = redshift_profile_toml(pg, world["database"])  # load_log: the default name, absent in this database
    text += f'[profiles.archive]\nsource = "s3"\nbucket = "{BUCKET}"\nprefix = "events/"\nendpoint_url = "{aws}"\n'
    write_config(isolated_env, text)
    r = run_coco("timeline", "D12345", "--profile", "wh", "--fresh")
    assert r.code == 4 and "load log" in r.err and "raw_events_load_log" in r.err and r.err.count("\n") == 1, r.err


def archive_profiles(pg, world, aws: str, isolated_env) -> None:
    """Profiles ``wh`` (the warehouse, fresh from ``archive``: the world's bucket) and ``wh-archive``, ``wh-gone`` (fresh
    from a bucket that does not exist), ``wh-down`` (fresh from an endpoint nothing listens on)."""
    from ..support.pgserver import free_port

    text = redshift_profile_toml(pg, world["database"], load_log=f'"{LOG}"', fresh_from='"archive"')
    down = f"http://127.0.0.1:{free_port()}"
    for name, bucket, endpoint in (("archive", BUCKET, aws), ("gone", "coco-no-such-bucket", aws), ("down", BUCKET, down)):
        text += f'[profiles.{name}]\nsource = "s3"\nbucket = "{bucket}"\nprefix = "events/"\nendpoint_url = "{endpoint}"\n'
        text += redshift_profile_toml(pg, world["database"], name=f"wh-{name}", load_log=f'"{LOG}"', fresh_from=f'"{name}"')
    write_config(isolated_env, text)


def test_the_archive_listed_while_the_warehouse_connects_fails_as_one_line_and_other_days_are_listed_again(
    pg, world, aws, isolated_env
) -> None:

    d = world["deliveries"][-1]
    archive_profiles(pg, world, aws, isolated_env)
    for archive_profile, cause in (("gone", "no such bucket"), ("down", "cannot reach the S3 endpoint")):
        r = run_coco("timeline", d, "--profile", f"wh-{archive_profile}")
        assert r.code == 4 and r.out == "" and cause in r.err and r.err.count("\n") == 1, r.err
    # a question with --since and --until is of other days than the ones listed early: they are listed for it
    whole = run_coco("timeline", d, "--store", str(world["store"]), "--since", "2026-11-25", "--until", "2026-11-26", "-f", "json")
    r = run_coco("timeline", d, "--profile", "wh", "--fresh", "--since", "2026-11-25", "--until", "2026-11-26", "-f", "json")
    assert r.code == 0 and r.json() == whole.json(), r.err
    assert f"({len(world['tail'])} object(s) of s3://{BUCKET}/events/ 2026-11-24..2026-11-27 not yet" in r.err


# -- the tail kept on disk between calls (``sources.tail_cache``) ---------------------------------------------------


@pytest.fixture
def gets(monkeypatch):
    """The keys of every GetObject the S3 client coco creates for the tail sends (a botocore event hook on it)."""
    sent: list[str] = []
    make = s3_fresh.settings_client

    def counting(settings):
        client = make(settings)
        client.meta.events.register("before-parameter-build.s3.GetObject", lambda params, **_: sent.append(params["Key"]))
        return client

    monkeypatch.setattr(s3_fresh, "settings_client", counting)
    return sent


def fresh_timeline(pg, world, endpoint: str, delivery: str) -> tuple[dict, int]:
    source = s3_fresh.fresh(RedshiftSource(profile_for(pg, world["database"], load_log=LOG), now=NOW), archive_settings(endpoint))
    try:
        return build(source, delivery, None, parse_options()).to_dict(), source.tail_objects
    finally:
        source.close()


def recompressed(body: bytes) -> bytes:
    """The same records in other gzip bytes (another header time): a new ETag, the same events."""
    return gzip.compress(gzip.decompress(body), mtime=1)


def forget_answers() -> None:
    """Remove the kept answers (the warehouse's and the tail's): the next call asks the tail store again."""
    for kept in tail_cache.cache_folder().glob("*.answers"):
        kept.unlink()


def test_a_second_fresh_call_downloads_nothing_and_a_changed_object_is_downloaded_once(pg, world, aws, gets, isolated_env) -> None:
    import boto3

    text = redshift_profile_toml(pg, world["database"], load_log=f'"{LOG}"')
    text += f'[profiles.archive]\nsource = "s3"\nbucket = "{BUCKET}"\nprefix = "events/"\nendpoint_url = "{aws}"\n'
    write_config(isolated_env, text)

    d = world["deliveries"][-1]
    first, objects = fresh_timeline(pg, world, aws, d)
    assert objects == len(world["tail"]) and sorted(gets) == sorted(world["tail"])
    gets.clear()
    again, _ = fresh_timeline(pg, world, aws, d)
    assert again == first and gets == []
    r = run_coco("timeline", d, "--profile", "wh", "--fresh", "-f", "json")  # the CLI says what came from the disk
    assert r.code == 0 and r.json()["subject"]["id"] == d
    assert "not yet in the warehouse's load log; 0 downloaded, the rest read from the cache)\n" in r.err and gets == []
    folder = tail_cache.cache_folder()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700 and len(list(folder.glob("*.obj"))) == len(world["tail"])

    s3 = boto3.client("s3", endpoint_url=aws)
    key = world["tail"][0]
    original = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    s3.put_object(Bucket=BUCKET, Key=key, Body=recompressed(original))
    try:
        changed, _ = fresh_timeline(pg, world, aws, d)
        assert changed == first and gets == [key]  # the listing's new ETag: fetched once, the rest from the disk
        gets.clear()
        assert fresh_timeline(pg, world, aws, d)[0] == first and gets == []
    finally:
        s3.put_object(Bucket=BUCKET, Key=key, Body=original)


def test_a_cached_object_whose_bytes_do_not_match_its_record_is_downloaded_again(pg, world, aws, gets) -> None:
    d = world["deliveries"][-1]
    first, _ = fresh_timeline(pg, world, aws, d)
    folder = tail_cache.cache_folder()
    damaged = sorted(folder.glob("*.obj"))[:2]
    damaged[0].write_bytes(damaged[0].read_bytes()[:-10])  # cut short
    body = bytearray(damaged[1].read_bytes())
    body[len(body) // 2] ^= 0xFF  # same size, other bytes
    damaged[1].write_bytes(bytes(body))
    tail_cache.TailCache._remove(folder / tail_cache.STORE)  # the tail is loaded again from the cached objects
    forget_answers()
    gets.clear()
    again, _ = fresh_timeline(pg, world, aws, d)
    assert again == first and len(gets) == 2
    gets.clear()
    assert fresh_timeline(pg, world, aws, d)[0] == first and gets == []


def test_a_repeat_answers_from_the_kept_tail_store_and_reads_no_cached_object(pg, world, aws, gets) -> None:
    d = world["deliveries"][-1]
    first, _ = fresh_timeline(pg, world, aws, d)
    folder = tail_cache.cache_folder()
    assert (folder / tail_cache.STORE).exists()
    for entry in [*folder.glob("*.obj"), *folder.glob("*.json")]:
        entry.unlink()  # the objects gone: only the kept store can answer without downloading
    forget_answers()
    gets.clear()
    source = s3_fresh.fresh(RedshiftSource(profile_for(pg, world["database"], load_log=LOG), now=NOW), archive_settings(aws))
    try:
        assert build(source, d, None, parse_options()).to_dict() == first
        assert gets == [] and source.tail_downloaded == 0 and source.tail_objects == len(world["tail"])
    finally:
        source.close()


def test_a_followed_timeline_refreshed_lists_the_tail_again_and_reads_the_kept_store_it_holds(pg, world, aws, gets) -> None:
    d = world["deliveries"][-1]
    source = s3_fresh.fresh(RedshiftSource(profile_for(pg, world["database"], load_log=LOG), now=NOW), archive_settings(aws))
    try:
        first = build(source, d, None, parse_options()).to_dict()
        gets.clear()
        source.refresh()  # what ``timeline --follow`` does between polls: the same process writes the store again
        assert build(source, d, None, parse_options()).to_dict() == first
        assert gets == [] and source.tail.path == tail_cache.cache_folder() / tail_cache.STORE
    finally:
        source.close()


def tail_object_texts(aws: str, key: str, tmp_path) -> set[str]:
    import boto3

    path = tmp_path / key.rsplit("/", 1)[-1]
    path.write_bytes(boto3.client("s3", endpoint_url=aws).get_object(Bucket=BUCKET, Key=key)["Body"].read())
    return {Event.from_record(rec).text for _, rec in archive.scan(path).records}


def tail_object_of(world, aws: str, d: str, tmp_path) -> tuple[str, set[str]]:
    """A tail object holding some of delivery ``d``'s events, and those events' texts (from the whole day's store)."""
    whole = LocalSource(world["store"])
    try:
        from_tail = {r.event.text for r in build(whole, d, None, parse_options()).rows} & world["tail_texts"]
    finally:
        whole.close()
    return next((k, t) for k in world["tail"] if (t := tail_object_texts(aws, k, tmp_path) & from_tail))


def test_an_object_the_copy_job_loads_meanwhile_leaves_the_kept_tail_store_and_comes_back_when_unlogged(
    pg, world, aws, gets, tmp_path
) -> None:
    opts = parse_options()
    d = world["deliveries"][-1]
    key, texts = tail_object_of(world, aws, d, tmp_path)
    first, _ = fresh_timeline(pg, world, aws, d)
    gets.clear()
    # the "COPY job" logs the object but its rows are not in the table: the merged timeline must lack its events,
    # which only a kept store still holding the object would give
    pg.run(world["database"], f"INSERT INTO public.{LOG} VALUES (%s, %s, %s, %s, %s, now())", [BUCKET, key, date(2026, 11, 25), 1, "m"])
    try:
        source = s3_fresh.fresh(RedshiftSource(profile_for(pg, world["database"], load_log=LOG), now=NOW), archive_settings(aws))
        try:
            merged = build(source, d, None, opts)
            assert source.tail_objects == len(world["tail"]) - 1 and gets == []
            assert not {r.event.text for r in merged.rows} & texts
        finally:
            source.close()
    finally:
        pg.run(world["database"], f"DELETE FROM public.{LOG} WHERE s3_key = %s", [key])
    assert fresh_timeline(pg, world, aws, d)[0] == first and gets == []  # back, from the cached object


def test_a_call_while_another_holds_the_kept_tail_store_loads_its_own_and_answers_the_same(pg, world, aws, gets) -> None:
    opts = parse_options()
    d = world["deliveries"][-1]
    profile = profile_for(pg, world["database"], load_log=LOG)
    first = s3_fresh.fresh(RedshiftSource(profile, now=NOW), archive_settings(aws))
    second = s3_fresh.fresh(RedshiftSource(profile, now=NOW), archive_settings(aws))
    try:
        one = build(first, d, None, opts).to_dict()
        assert build(second, d, None, opts).to_dict() == one
        assert first.tail.path == tail_cache.cache_folder() / tail_cache.STORE
        assert second.tail.path.parent == second.tmp  # its own store, from the objects the first one cached
        assert sorted(gets) == sorted(world["tail"])
    finally:
        first.close()
        second.close()


def test_a_damaged_kept_tail_store_is_made_again_from_the_cached_objects(pg, world, aws, gets) -> None:
    d = world["deliveries"][-1]
    first, _ = fresh_timeline(pg, world, aws, d)
    store = tail_cache.cache_folder() / tail_cache.STORE
    store.write_bytes(b"not a store" * 1000)
    forget_answers()
    gets.clear()
    assert fresh_timeline(pg, world, aws, d)[0] == first and gets == []
    assert store.stat().st_size > 11000 and fresh_timeline(pg, world, aws, d)[0] == first and gets == []


def test_a_tail_cache_folder_writable_by_others_is_not_used_and_said(pg, world, aws, gets, capsys) -> None:
    folder = tail_cache.cache_folder()
    folder.mkdir(parents=True)
    folder.chmod(0o777)
    d = world["deliveries"][-1]
    for _ in range(2):
        gets.clear()
        fresh_timeline(pg, world, aws, d)
        assert len(gets) == len(world["tail"])  # downloaded each time, as without a cache
    err = capsys.readouterr().err
    assert f"coco: warning: tail cache {folder} is writable by others (mode 777): not used; run 'chmod 700 {folder}'\n" in err
    assert list(folder.iterdir()) == []


def test_the_tail_cache_keeps_at_most_its_limit_and_the_least_recently_used_go_first(tmp_path, monkeypatch) -> None:
    cache = tail_cache.TailCache.open(tmp_path / "tail", limit=2500)
    assert cache is not None
    for n, name in enumerate(["a", "b", "c"]):
        body = tmp_path / name
        body.write_bytes(name.encode() * 1000)
        sha = hashlib.sha256(body.read_bytes()).hexdigest()
        cache.put(tail_cache.Entry("bkt", f"dt=2026-11-25/{name}.log.gz", "e" + name, 1000, sha), body)
        meta = cache.folder / f"{cache.name('bkt', f'dt=2026-11-25/{name}.log.gz', 'e' + name)}.json"
        os.utime(meta, (1000 + n, 1000 + n))
    hit = cache.get("bkt", "dt=2026-11-25/a.log.gz", "ea")  # used now: the newest
    assert hit is not None and hit[0].read() == b"a" * 1000
    hit[0].close()
    assert cache.trim() == 1
    assert cache.get("bkt", "dt=2026-11-25/b.log.gz", "eb") is None  # the least recently used went
    for name in ("a", "c"):
        kept = cache.get("bkt", f"dt=2026-11-25/{name}.log.gz", "e" + name)
        assert kept is not None
        kept[0].close()
    assert cache.get("bkt", "dt=2026-11-25/c.log.gz", "other-etag") is None  # another ETag: another object
    monkeypatch.setenv("COCO_TAIL_CACHE_MB", "0")
    assert tail_cache.TailCache.open(tmp_path / "off") is None and not (tmp_path / "off").exists()


# -- the warehouse's answers kept between calls (``tail_cache.KeptAnswers``) ------------------------------------------


def fresh_source(pg, world, endpoint: str, now: int = NOW) -> s3_fresh.FreshSource:
    return s3_fresh.fresh(RedshiftSource(profile_for(pg, world["database"], load_log=LOG), now=now), archive_settings(endpoint))


def answered(source: s3_fresh.FreshSource, delivery: str) -> tuple[dict, list[str]]:
    """The delivery's timeline and the statements the warehouse ran for it (the connection's own two aside)."""
    try:
        return build(source, delivery, None, parse_options()).to_dict(), list(source.warehouse.statements)
    finally:
        source.close()


def over_events(statements: list[str]) -> list[str]:
    """The statements over the events table (not the load log's nor the baseline's); this world has no bounds table,
    and its read, failing, is not an answer to keep: it is asked again by every call."""
    return [s for s in statements if LOG not in s and "baseline" not in s and not s.startswith("SELECT kind, first_ts")]


def test_a_repeat_runs_only_the_load_log_and_baseline_statements_and_answers_the_same(pg, world, aws, gets) -> None:
    d = world["deliveries"][-1]
    first, ran = answered(fresh_source(pg, world, aws), d)
    assert len(over_events(ran)) >= 2  # the bounds read and the delivery's statement at least
    gets.clear()
    repeat = fresh_source(pg, world, aws)
    again, ran_again = answered(repeat, d)
    assert again == first and gets == []
    assert over_events(ran_again) == [] and repeat.answers is not None and repeat.answers.hits == len(over_events(ran))
    assert [s.split(" FROM ")[0] for s in ran_again if LOG in s] == ["SELECT COUNT(*), MAX(loaded_at)", "SELECT s3_key"]
    kept = list(tail_cache.cache_folder().glob("*.answers"))
    assert len(kept) == 1 and stat.S_IMODE(kept[0].stat().st_mode) == 0o600
    body = kept[0].read_text()
    assert pg.password not in body and pg.host not in body  # the statements and their rows, not the settings


def late_object(world, aws: str, d: str) -> tuple[Any, str]:
    """An object put in the archive's tail with one more event of delivery ``d`` (its last, noted "written late"):
    the S3 client and the key, for the caller to delete."""
    import boto3

    whole = LocalSource(world["store"])
    try:
        record = dict(build(whole, d, None, parse_options()).rows[-1].event.record, note="written late")
    finally:
        whole.close()
    key = "events/dt=2026-11-25/9999999999-late.log.gz"
    s3 = boto3.client("s3", endpoint_url=aws)
    s3.put_object(Bucket=BUCKET, Key=key, Body=gzip.compress(json.dumps(record).encode() + b"\n"))
    return s3, key


def test_a_repeat_answers_the_tail_from_kept_answers_and_an_object_arriving_meanwhile_is_asked_of_the_tail_store(
    pg, world, aws, gets
) -> None:

    d = world["deliveries"][-1]
    first, _ = answered(fresh_source(pg, world, aws), d)
    gets.clear()
    repeat = fresh_source(pg, world, aws)
    assert answered(repeat, d)[0] == first
    assert isinstance(repeat.tail, s3_fresh.KeptTail) and repeat.tail.source is None and gets == []  # no store opened
    s3, key = late_object(world, aws, d)  # the shipper writes it meanwhile: the tail is another one now
    try:
        for downloads in ([key], []):  # asked of the store once, then kept for the new tail
            gets.clear()
            source = fresh_source(pg, world, aws)
            timeline = build(source, d, None, parse_options())
            source.close()
            assert source.tail_objects == len(world["tail"]) + 1 and gets == downloads
            assert (source.tail.source is None) == (not downloads)
            assert [r.event.record.get("note") for r in timeline.rows].count("written late") == 1
    finally:
        s3.delete_object(Bucket=BUCKET, Key=key)


def test_rows_the_copy_job_loads_between_two_calls_are_answered_by_the_second(pg, world, aws, gets, tmp_path) -> None:
    d = world["deliveries"][-1]
    key, texts = tail_object_of(world, aws, d, tmp_path)
    first, _ = answered(fresh_source(pg, world, aws), d)
    con = pg.connect(world["database"])
    try:
        cur = con.cursor()
        cur.execute("SELECT clock_timestamp()::timestamp")
        mark = cur.fetchone()[0]
    finally:
        con.close()
    path = tmp_path / key.rsplit("/", 1)[-1]
    load_events(pg, world["database"], [rec for _, rec in archive.scan(path).records])  # the COPY job: rows and log
    pg.run(world["database"], f"INSERT INTO public.{LOG} VALUES (%s, %s, %s, %s, %s, now())", [BUCKET, key, date(2026, 11, 25), 1, "m"])
    try:
        source = fresh_source(pg, world, aws)
        again, ran = answered(source, d)
        assert again == first and len(over_events(ran)) >= 2  # run again: the load log's watermark moved
        assert texts <= source.warehouse_texts and not texts & source.tail_texts  # from the warehouse now
        assert source.tail_objects == len(world["tail"]) - 1
        repeat = fresh_source(pg, world, aws)
        assert answered(repeat, d) == (first, [s for s in ran if not over_events([s])])  # kept again, for the new watermark
        assert texts <= repeat.warehouse_texts
    finally:
        pg.run(world["database"], f"DELETE FROM public.{LOG} WHERE s3_key = %s", [key])
        pg.run(world["database"], "DELETE FROM public.events WHERE loaded_at >= %s", [mark])


def test_kept_answers_are_reused_for_a_quarter_of_an_hour_with_the_lookback_of_the_call_that_kept_them(pg, world, aws) -> None:
    d = world["deliveries"][-1]
    first, ran = answered(fresh_source(pg, world, aws), d)
    minute = 60_000_000
    soon = fresh_source(pg, world, aws, now=NOW + 10 * minute)
    assert answered(soon, d) == (first, [s for s in ran if not over_events([s])]) and soon.warehouse.now == NOW
    later = fresh_source(pg, world, aws, now=NOW + 16 * minute)
    again, ran_later = answered(later, d)
    assert again == first and over_events(ran_later) == over_events(ran) and later.warehouse.now == NOW + 16 * minute


def console_script(*args: str) -> tuple[int, str, str]:
    """``coco ARGS`` as the console script runs it (``cli.launch``), a process of its own."""
    import subprocess
    import sys

    cmd = [sys.executable, "-c", "from cocoevents.cli.launch import run; run()", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.slow
def test_the_console_script_answers_a_repeat_sees_an_object_arriving_between_calls_and_fails_as_one_line(
    pg, world, aws, isolated_env
) -> None:
    archive_profiles(pg, world, aws, isolated_env)
    d = world["deliveries"][-1]
    local = run_coco("timeline", d, "--store", str(world["store"]), "-f", "json")
    for _ in range(2):  # the first call and a repeat answered from kept answers
        code, out, err = console_script("timeline", d, "--profile", "wh", "--fresh", "-f", "json")
        assert code == 0 and json.loads(out) == local.json(), err
        assert f"({len(world['tail'])} object(s) of s3://{BUCKET}/events/" in err
    s3, key = late_object(world, aws, d)
    try:  # listed by the next call: one more object, and its event
        code, out, err = console_script("timeline", d, "--profile", "wh", "--fresh", "-f", "json")
        assert code == 0 and f"({len(world['tail']) + 1} object(s) of s3://{BUCKET}/events/" in err, err
        assert [e["payload"].get("note") for e in json.loads(out)["events"]].count("written late") == 1
    finally:
        s3.delete_object(Bucket=BUCKET, Key=key)
    for archive_profile, cause in (("gone", "no such bucket"), ("down", "cannot reach the S3 endpoint")):
        code, out, err = console_script("timeline", d, "--profile", f"wh-{archive_profile}")
        assert code == 4 and out == "" and cause in err and err.count("\n") == 1, err
        assert os.environ["AWS_SECRET_ACCESS_KEY"] not in err and pg.password not in err
