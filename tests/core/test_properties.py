"""Property tests: the reader and the parser never raise; good lines among junk load;
a timeline depends neither on the order of the input files nor on a file given twice."""

from __future__ import annotations

import itertools
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cocoevents.archive import lines as archive
from cocoevents.store import connection as store_connection
from cocoevents.store import loader as local
from cocoevents.store import rows as store_rows
from cocoevents.timestamps import parse_timestamp

from ..support.cli import run_coco, write_lines

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
records = st.fixed_dictionaries(
    {"event": st.text(min_size=1, max_size=20), "timestamp": json_values | st.just("2026-11-25T10:00:00Z")},
    optional={"delivery_id": st.text(max_size=8), "robot_id": st.text(max_size=8), "x": json_values},
)
junk = st.binary(max_size=60).filter(lambda b: b"\n" not in b and b"\r" not in b)
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@given(st.binary(max_size=300))
def test_classify_never_raises_on_arbitrary_bytes(data):
    got = archive.classify(data)
    assert got is None or isinstance(got, (str, dict))


@given(json_values)
def test_classify_never_raises_on_arbitrary_json(value):
    got = archive.classify(json.dumps(value))
    assert got is None or isinstance(got, (str, dict))
    assert parse_timestamp(value) is None or isinstance(parse_timestamp(value), int)


@FAST
@given(st.binary(max_size=2000), st.booleans())
def test_the_line_reader_never_raises_on_arbitrary_file_bytes(tmp_path_factory, data, gz):
    import gzip

    f = tmp_path_factory.mktemp("r") / "x.log.gz"
    f.write_bytes(gzip.compress(data)[: max(2, len(data))] if gz else data)
    scan = archive.scan(f)
    assert all(isinstance(r, dict) for _, r in scan.records)


@FAST
@given(st.lists(st.one_of(records.map(lambda r: ("good", r)), junk.map(lambda b: ("junk", b))), max_size=25))
def test_every_valid_line_among_junk_loads(tmp_path_factory, items):
    folder = tmp_path_factory.mktemp("j")
    lines = [json.dumps(x).encode() if kind == "good" else x for kind, x in items]
    f = write_lines(folder / "a.log", lines)
    expected = [r for _, r in archive.scan(f).records]
    goods = [x for kind, x in items if kind == "good"]
    assert all(g in expected for g in goods)
    report = local.load(folder / "s.duckdb", [str(f)])
    assert report.events == len(expected)
    con = store_connection.connect(folder / "s.duckdb", read_only=True)
    try:
        got = sorted(json.dumps(json.loads(r[2]), sort_keys=True) for r in store_rows.fetch_rows(con, "TRUE", []))
    finally:
        con.close()
    assert got == sorted(json.dumps(r, sort_keys=True) for r in expected)


def _story(delivery: str) -> list[list[dict]]:
    """A delivery story split over three files."""
    t = lambda m: f"2026-11-25T10:{m:02d}:00Z"  # noqa: E731
    return [
        [
            {"event": "offer.received", "offer_id": "O-1", "source": "uber", "merchant_id": "M", "timestamp": t(0)},
            {"event": "demand.created", "offer_id": "O-1", "demand_id": "DM-1", "timestamp": t(1)},
        ],
        [
            {"event": "demand.assigned", "delivery_id": delivery, "demand_id": "DM-1", "robot_id": "R-1", "timestamp": t(2)},
            {"event": "robot.state_changed", "robot_id": "R-1", "timestamp": t(3)},
        ],
        [
            {
                "event": "delivery.failed",
                "delivery_id": delivery,
                "robot_id": "R-1",
                "timestamp": t(20),
                "error": {"code": "X", "message": "m"},
            },
            {"event": "robot.state_changed", "robot_id": "R-1", "timestamp": t(3)},
        ],
    ]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.permutations([0, 1, 2]), st.sampled_from([None, 0, 1, 2]))
def test_a_timeline_does_not_depend_on_file_order_or_a_file_given_twice(tmp_path_factory, order, twice):
    folder = tmp_path_factory.mktemp("o")
    files = [write_lines(folder / f"f{i}.log", part) for i, part in enumerate(_story("D1"))]
    reference = folder / "ref.duckdb"
    local.load(reference, [str(f) for f in files])
    given_files = [files[i] for i in order] + ([files[twice]] if twice is not None else [])
    if twice is not None:
        copy = folder / "copy.jsonl"
        copy.write_bytes(files[twice].read_bytes())
        given_files.append(copy)
    store = folder / "s.duckdb"
    for f in given_files:  # one load per file, in that order
        assert run_coco("load", "--store", str(store), str(f)).code == 0
    a = run_coco("timeline", "D1", "--store", str(reference), "--format", "json")
    b = run_coco("timeline", "D1", "--store", str(store), "--format", "json")
    assert a.code == b.code == 0
    assert a.json()["events"] == b.json()["events"] and a.json()["summary"] == b.json()["summary"]
    assert a.json()["summary"]["duplicates_removed"] == 1


def test_two_orders_of_one_load_command_give_the_same_store_contents(tmp_path):
    files = [write_lines(tmp_path / f"f{i}.log", part) for i, part in enumerate(_story("D1"))]
    contents = set()
    for n, perm in enumerate(itertools.permutations(files)):
        store = tmp_path / f"s{n}.duckdb"
        local.load(store, [str(f) for f in perm])
        con = store_connection.connect(store, read_only=True)
        contents.add(tuple(sorted(r[2] for r in store_rows.fetch_rows(con, "TRUE", []))))
        con.close()
    assert len(contents) == 1


_ids = st.sampled_from(["D1", "D2", "D3"]) | st.none() | st.just("")
linked_records = st.lists(
    st.fixed_dictionaries(
        {
            "event": st.sampled_from(
                [
                    "delivery.dropoff_completed",
                    "delivery.failed",
                    "demand.fulfilled",
                    "demand.canceled",
                    "demand.assigned",
                    "offer.accepted",
                ]
            ),
            "timestamp": st.sampled_from(["2026-11-25T10:00:00Z", "2026-11-25T10:05:00Z", "2026-11-25T10:09:00Z", "not a time"]),
        },
        optional={
            "delivery_id": _ids,
            "demand_id": st.sampled_from(["DM1", "DM2", "DM3", ""]),
            "offer_id": st.sampled_from(["OF1", "OF2", ""]),
        },
    ),
    min_size=1,
    max_size=14,
)


@FAST
@given(linked_records)
def test_the_stores_status_tables_agree_with_the_records_on_any_links(tmp_path_factory, records):
    """The store's statuses against timeline rules §6 over rules 1-2 applied to the records in memory, on random
    chains of demand and offer ids, ties and untimed rows: the kept table (schema 6, built in SQL by the load)
    and the walk over ``links``/``outcomes`` (schema 5) both."""
    from cocoevents.core import listings as fleet
    from cocoevents.sources.local import LocalSource
    from cocoevents.sources.memory import MemorySource
    from cocoevents.store import statuses

    folder = tmp_path_factory.mktemp("links")
    db = folder / "s.duckdb"
    local.load(db, [write_lines(folder / "a.jsonl", records)])
    ids = ["D1", "D2", "D3"]
    source = LocalSource(db)
    try:
        expected = fleet.statuses(MemorySource(records), ids)
        assert statuses.read(source.con, ids) == expected
        assert source.linked_statuses(ids) == expected
        assert source.delivery_statuses(ids) == expected
    finally:
        source.close()
