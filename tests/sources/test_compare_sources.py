"""``coco compare``'s counts are the same from every source: the local store's SQL (``store.compare_sql``) equals the
reference built from each delivery's exact timeline (the memory source), on hand-made stories and generated days;
an s3 profile answers as the local store does."""

from __future__ import annotations

import pytest

from cocoevents.core.compare import Facts, counts_of, reference_counts
from cocoevents.core.listings import Filters, list_deliveries, timelines
from cocoevents.core.options import Options
from cocoevents.devtools.generator import demo_records
from cocoevents.sources.local import LocalSource
from cocoevents.sources.memory import MemorySource
from cocoevents.store.loader import load

from ..support.cli import run_coco, write_lines
from ..support.compare import PLANTS, SINCE, UNTIL, day_records


def at(second: float) -> str:
    return f"2026-11-25T10:{int(second) // 60:02d}:{int(second) % 60:02d}.{int(second * 1000) % 1000:03d}Z"


STORY = [
    # D-A: the offer and demand linked two hops away; R-1 grounded (its error in the robot lane), then R-2 takes over
    {"event": "pilot.assignment_started", "timestamp": at(0), "pilot_id": "P-1", "robot_id": "R-1"},
    {"event": "pilot.assignment_started", "timestamp": at(1), "pilot_id": "P-2", "robot_id": "R-2"},
    {"event": "offer.received", "timestamp": at(60), "offer_id": "O-A", "source": "wolt", "merchant_id": "M-A"},
    {"event": "demand.created", "timestamp": at(61), "offer_id": "O-A", "demand_id": "DM-A", "merchant_id": "M-A"},
    {"event": "demand.assigned", "timestamp": at(62), "demand_id": "DM-A", "delivery_id": "D-A", "robot_id": "R-1"},
    {"event": "trip.started", "timestamp": at(63), "delivery_id": "D-A", "robot_id": "R-1"},
    {"event": "robot.grounded", "timestamp": at(70), "robot_id": "R-1", "error": {"code": "GROUNDED", "message": "g"}},
    {"event": "demand.assigned", "timestamp": at(72), "demand_id": "DM-A", "delivery_id": "D-A", "robot_id": "R-2"},
    {"event": "delivery.pickup_arrival", "timestamp": at(180), "delivery_id": "D-A", "robot_id": "R-2"},
    {"event": "delivery.pickup_arrival", "timestamp": at(180), "delivery_id": "D-A", "robot_id": "R-2"},  # a copy
    {"event": "delivery.failed", "timestamp": at(300), "delivery_id": "D-A", "robot_id": "R-2", "error": {"code": "LID", "message": "l"}},
    {"event": "pilot.assignment_ended", "timestamp": at(400), "pilot_id": "P-1", "robot_id": "R-1"},
    # D-B and D-C: fulfilled on R-3, which P-1 supervises from 10:02
    {"event": "pilot.assignment_started", "timestamp": at(120), "pilot_id": "P-1", "robot_id": "R-3"},
    {"event": "offer.received", "timestamp": at(130), "offer_id": "O-B", "source": "uber", "merchant_id": "M-B"},
    {"event": "demand.created", "timestamp": at(131), "offer_id": "O-B", "demand_id": "DM-B"},
    {"event": "demand.assigned", "timestamp": at(132), "demand_id": "DM-B", "delivery_id": "D-B", "robot_id": "R-3"},
    {"event": "delivery.pickup_arrival", "timestamp": at(190), "delivery_id": "D-B", "robot_id": "R-3"},
    {"event": "delivery.dropoff_completed", "timestamp": at(250), "delivery_id": "D-B", "robot_id": "R-3"},
    {"event": "offer.received", "timestamp": at(260), "offer_id": "O-C", "source": "wolt", "merchant_id": "M-A"},
    {"event": "demand.created", "timestamp": at(261), "offer_id": "O-C", "demand_id": "DM-C"},
    {"event": "demand.assigned", "timestamp": at(262), "demand_id": "DM-C", "delivery_id": "D-C", "robot_id": "R-3"},
    {"event": "delivery.pickup_arrival", "timestamp": at(500), "delivery_id": "D-C", "robot_id": "R-3"},
    {"event": "demand.fulfilled", "timestamp": at(560), "demand_id": "DM-C", "delivery_id": "D-C"},
]


def store_of(tmp_path, records) -> LocalSource:  # type: ignore[no-untyped-def]
    path = tmp_path / "s.duckdb"
    load(path, [write_lines(tmp_path / "a" / "dt=2026-11-25" / "a.jsonl", records)])
    return LocalSource(path)


def test_a_deliverys_facts_are_what_its_timeline_says(tmp_path) -> None:
    source = MemorySource(STORY)
    facts = {t.id: Facts.from_timeline(t) for t in timelines(source, ["D-A", "D-B", "D-C"])}
    a = facts["D-A"]
    assert (a.status, a.robots, a.pilots, a.merchants, a.sources) == ("failed", ("R-1", "R-2"), ("P-1", "P-2"), ("M-A",), ("wolt",))
    assert a.first_error == "GROUNDED"  # the robot lane's error comes before the delivery's own
    assert a.values("hour") == ("10",)
    assert [t[:2] for t in a.transitions] == [
        ("demand.assigned", "trip.started"),
        ("trip.started", "demand.assigned"),
        ("demand.assigned", "delivery.pickup_arrival"),  # the copy of pickup_arrival is one step
        ("delivery.pickup_arrival", "delivery.failed"),
    ]
    assert facts["D-B"].pilots == ("P-1",) and facts["D-B"].sources == ("uber",) and facts["D-B"].merchants == ("M-B",)
    assert facts["D-C"].status == "fulfilled" and facts["D-C"].merchants == ("M-A",)


@pytest.mark.parametrize(
    "filters",
    [
        Filters(),
        Filters(robot="R-3"),
        Filters(pilot="P-2"),
        Filters(merchant="M-A"),
        Filters(error="GROUNDED"),
        Filters(event="robot.grounded"),
    ],
)
def test_the_stores_sql_counts_what_the_timelines_count_on_a_story(tmp_path, filters) -> None:
    local = store_of(tmp_path, STORY)
    try:
        counts = local.compare_counts(SINCE, UNTIL, filters, Options())
    finally:
        local.close()
    assert counts == MemorySource(STORY).compare_counts(SINCE, UNTIL, filters, Options())
    assert counts.group_n + counts.others_n >= 2


def test_the_counts_of_the_default_group_on_the_story() -> None:
    counts = MemorySource(STORY).compare_counts(SINCE, UNTIL, Filters(), Options())
    assert (counts.group_n, counts.others_n) == (1, 2)
    values = {(v.dimension, v.value): (v.group_n, v.others_n) for v in counts.values}
    assert values[("pilot", "P-1")] == (1, 2) and values[("robot", "R-3")] == (0, 2) and values[("source", "wolt")] == (1, 1)
    assert values[("error", "GROUNDED")] == (1, 0) and ("error", "LID") not in values  # the first code only
    step = next(s for s in counts.steps if (s.a, s.b) == ("demand.assigned", "delivery.pickup_arrival"))
    assert (step.group_n, step.others_n, step.group_p50, step.others_p50) == (1, 2, 108.0, 148.0)
    assert step.group_rank_sum == 2.0 and step.ties == 0.0  # 108 s lies between 58 s and 238 s


def test_the_group_is_the_one_coco_deliveries_lists(tmp_path) -> None:
    records = day_records(4, PLANTS["robot"], deliveries=200)
    source = MemorySource(records)
    for filters in (Filters(statuses=("failed",)), Filters(robot="R-110"), Filters(slow=True), Filters(statuses=("canceled",))):
        listed = list_deliveries(source, SINCE, UNTIL, filters, limit=0)
        assert source.compare_counts(SINCE, UNTIL, filters, Options()).group_n == listed.matched


@pytest.mark.parametrize("seed, plant", [(1, None), (2, "pilot"), (3, "step")])
def test_the_stores_sql_counts_what_the_timelines_count_on_generated_days(tmp_path, seed, plant) -> None:
    records = day_records(seed, PLANTS[plant] if plant else None, deliveries=300)
    local = store_of(tmp_path, records)
    reference = MemorySource(records)
    try:
        for filters in (Filters(), Filters(slow=True), Filters(pilot="P-101"), Filters(statuses=("fulfilled",), merchant="M-150")):
            assert local.compare_counts(SINCE, UNTIL, filters, Options()) == reference.compare_counts(SINCE, UNTIL, filters, Options())
    finally:
        local.close()


def test_counts_of_facts_rank_the_durations_of_both_sides_together() -> None:
    def facts(d: str, seconds: float) -> Facts:
        return Facts(d, "x", 0, (), (), (), (), None, (("a", "b", seconds),))

    counts = counts_of([(facts("1", 10), 1), (facts("2", 10), 0), (facts("3", 30), 1), (facts("4", 5), 0)])
    (step,) = counts.steps
    assert (step.group_n, step.others_n, step.group_p50, step.others_p50) == (2, 2, 20.0, 7.5)
    assert step.group_rank_sum == 2.5 + 4 and step.ties == 6.0


def test_the_demo_days_counts_agree_between_the_store_and_the_timelines(demo_store) -> None:
    local = LocalSource(demo_store)
    try:
        assert local.compare_counts(SINCE, UNTIL, Filters(), Options()) == reference_counts(local, SINCE, UNTIL, Filters())
    finally:
        local.close()
    assert demo_records()  # the fixture's day


def test_compare_and_the_errors_views_read_an_s3_profile_as_they_read_the_local_store(monkeypatch, tmp_path, moto_endpoint) -> None:
    import boto3

    from ..support.s3 import aws_credentials
    from .test_s3 import archive_profile, upload

    aws_credentials(monkeypatch, tmp_path)
    s3 = boto3.client("s3", endpoint_url=moto_endpoint)
    s3.create_bucket(Bucket="compare-archive")
    archive = tmp_path / "archive"
    write_lines(archive / "dt=2026-11-25" / "a.log.gz", demo_records())
    upload(s3, "compare-archive", archive, "events/")
    disk = tmp_path / "disk.duckdb"
    load(disk, [archive])
    archive_profile(tmp_path / "home", "compare-archive", moto_endpoint, tmp_path / "cache.duckdb")
    span = ["--since", "2026-11-25T00:00Z", "--until", "2026-11-26T00:00Z"]
    for cmd in (["compare", "--limit", "0"], ["compare", "--robot", "R-12"], ["errors", "--vs", "previous"], ["errors", "--by", "hour"]):
        remote = run_coco(*cmd, *span, "--profile", "archive", "-f", "json")
        local = run_coco(*cmd, *span, "--store", str(disk), "-f", "json")
        assert remote.code == 0, remote.err
        assert remote.json() == local.json()
