"""Following a timeline on the remote sources: an s3 profile as objects appear (moto's real S3 server), and the
Redshift source as rows are inserted (a real PostgreSQL behind the Redshift shim). Twenty polls each, the parts
arriving out of order: every row shown once, none lost, the late ones announced (``tests/support/follow.py``).
The local store's case runs real ``coco load`` processes: ``tests/cli/test_follow_command.py``."""

from __future__ import annotations

import gzip
import json

import pytest

from cocoevents.core.follow import Follower, row_key
from cocoevents.core.lookup import build
from cocoevents.core.model import canonical_json
from cocoevents.core.options import Options, parse_options
from cocoevents.sources.memory import MemorySource

from ..support.follow import DELIVERY, SINCE, arrivals, check_story
from ..support.pgserver import events_ddl, load_events
from ..support.redshift import profile_for
from ..support.s3 import aws_credentials


def _final(head, parts):  # type: ignore[no-untyped-def]
    return build(MemorySource(head + [r for p in parts for r in p]), DELIVERY, None, Options())


@pytest.mark.slow
def test_an_s3_profile_followed_over_twenty_polls_shows_each_new_objects_rows_once(moto_endpoint, monkeypatch, tmp_path) -> None:
    import boto3

    from cocoevents.sources.s3 import ArchiveSource, Settings

    aws_credentials(monkeypatch, tmp_path)
    s3 = boto3.client("s3", endpoint_url=moto_endpoint)
    s3.create_bucket(Bucket="coco-follow")

    def put(n: int, records) -> None:  # type: ignore[no-untyped-def]
        body = gzip.compress("".join(json.dumps(r) + "\n" for r in records).encode(), mtime=0)
        s3.put_object(Bucket="coco-follow", Key=f"events/dt=2026-11-25/part-{n:02d}.log.gz", Body=body)

    head, parts = arrivals(polls=20)
    put(0, head)
    settings = Settings(name="archive", bucket="coco-follow", prefix="events/", endpoint_url=moto_endpoint, cache=tmp_path / "cache.duckdb")
    source = ArchiveSource(settings)
    try:
        follower = Follower(source, DELIVERY, opts=parse_options(since=SINCE))
        updates = [follower.start()]
        for n, part in enumerate(parts, 1):
            put(n, part)
            updates.append(follower.poll())
    finally:
        source.close()
    final = _final(head, parts)
    counts = check_story(updates, final)
    assert counts["late"] > 0
    come = {canonical_json(r) for r in head}
    for part, update in zip(parts, updates[1:]):
        come |= {canonical_json(r) for r in part}
        added = {row_key(update.timeline.rows[n]) for n in update.added}
        assert added <= come  # nothing before its object appeared
        # the delivery's own rows at the poll right after their object appeared (a robot's row may wait for the
        # assignment that puts it in the delivery's story)
        assert {canonical_json(r) for r in part if r.get("delivery_id") == DELIVERY} <= added


@pytest.mark.postgres
def test_a_redshift_source_followed_over_twenty_polls_shows_each_inserted_row_once(pg) -> None:
    from cocoevents.sources.redshift import RedshiftSource

    database = pg.create_database("follow")
    pg.run(database, events_ddl())
    head, parts = arrivals(polls=20)
    load_events(pg, database, head)
    source = RedshiftSource(profile_for(pg, database))
    try:
        follower = Follower(source, DELIVERY, opts=parse_options(since=SINCE))
        updates = [follower.start()]
        for part in parts:
            load_events(pg, database, part)
            updates.append(follower.poll())
        quiet = follower.poll()  # nothing inserted: one counting statement, no rebuild
        statements = list(source.statements)
        again = follower.poll()
    finally:
        source.close()
    counts = check_story(updates, _final(head, parts))
    assert counts["late"] > 0
    assert not quiet.changed and not again.changed
    asked = source.statements[len(statements) :]
    assert len(asked) == 1 and asked[0].startswith("SELECT COUNT(*) FROM public.events WHERE event_ts >= %s AND (")
