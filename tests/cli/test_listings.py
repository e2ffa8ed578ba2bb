"""``coco deliveries``, ``coco errors`` and ids that lead to timelines (issue 11), on the local store.

The fixture is a generator fleet day plus the hand-built scenarios, loaded through ``coco load``'s loader.
Expectations are computed independently: from the records themselves, or from ``coco timeline <id>``.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import duckdb
import pytest

from cocoevents.archive import lines as archive
from cocoevents.core import listings as fleet
from cocoevents.core.lookup import build
from cocoevents.core.model import Event, canonical_json
from cocoevents.core.options import parse_options
from cocoevents.core.sessionize import delivery_timeline
from cocoevents.devtools import generator
from cocoevents.errors import NotFound
from cocoevents.sources.local import LocalSource
from cocoevents.sources.memory import MemorySource
from cocoevents.store import connection as store_connection
from cocoevents.store import loader as store
from cocoevents.store import removal as store_removal
from cocoevents.store import statuses
from cocoevents.timestamps import format_ts, parse_time_option

from ..support.cli import run_coco, write_lines
from ..support.stores import cached_besides_check

DAY = ("--since", "2026-11-25T00:00:00Z", "--until", "2026-11-26T00:00:00Z")
SINCE, UNTIL = parse_time_option(DAY[1]), parse_time_option(DAY[3])


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("fleet")
    records = generator.fleet_day(generator.Fleet(deliveries=150, robots=12, pilots=4, seed=5)) + generator.scenarios()
    records.sort(key=lambda r: json.dumps(r.get("timestamp")))
    generator.write_archive(records, root / "archive", seed=5, per_file=500)
    db = root / "store.duckdb"
    store.load(db, [root / "archive"])
    files, _ = archive.find_files([root / "archive"])
    loaded = [rec for f in files for _, rec in archive.scan(f).records]
    return {"store": db, "records": loaded, "events": [Event.from_record(r) for r in loaded]}


def coco(day: dict[str, Any], *args: str):  # type: ignore[no-untyped-def]
    return run_coco(*args, "--store", str(day["store"]))


def direct_in_range(events: list[Event], since: int, until: int) -> set[str]:
    return {e.delivery_id for e in events if e.delivery_id and e.ts is not None and since <= e.ts <= until}


@pytest.fixture(scope="module")
def listed(day: dict[str, Any]) -> list[dict[str, Any]]:
    result = coco(day, "deliveries", *DAY, "--limit", "0", "-f", "json")
    assert result.code == 0, result.err
    return result.json()["deliveries"]


@pytest.fixture(scope="module")
def timelines(day: dict[str, Any], listed: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out = {}
    for row in listed:
        result = coco(day, "timeline", row["delivery_id"], "-f", "json")
        assert result.code == 0, result.err
        out[row["delivery_id"]] = result.json()
    return out


# -- coco deliveries -----------------------------------------------------------------------------------------


def test_every_delivery_active_in_the_range_is_listed_once(day, listed) -> None:
    ids = [r["delivery_id"] for r in listed]
    assert len(ids) == len(set(ids))
    assert set(ids) == direct_in_range(day["events"], SINCE, UNTIL)
    assert len(ids) > 130 and {"D12345", "D12346", "D12347"} <= set(ids)


def test_every_row_says_what_coco_timeline_says_for_that_delivery(listed, timelines) -> None:
    for row in listed:
        t = timelines[row["delivery_id"]]
        s = t["summary"]
        for key in ("status", "robots", "pilots", "events", "errors", "warnings", "gaps", "start", "end", "duration_s"):
            assert row[key] == s[key], (row["delivery_id"], key)
        codes = [
            e["error"]["code"] for e in t["events"] if e["severity"] == "error" and isinstance(e["error"], dict) and e["error"].get("code")
        ]
        assert row["first_error_code"] == (codes[0] if codes else None)
        if "findings" in s:
            assert row["findings"] == s["findings"]
    statuses = Counter(r["status"] for r in listed)
    assert statuses["failed"] >= 3 and statuses["fulfilled"] > 100  # the day is not trivial


def test_batched_timelines_equal_one_by_one_timelines_in_every_field(day) -> None:
    source = LocalSource(day["store"])
    try:
        ids = sorted(direct_in_range(day["events"], SINCE, UNTIL))
        batched = {t.id: t.to_dict() for t in fleet.timelines(source, ids, batch=37)}
        assert list(batched) == ids
        for d in ids:
            assert batched[d] == delivery_timeline(source, d).to_dict(), d
    finally:
        source.close()


def test_the_memory_source_lists_what_the_local_store_lists(day) -> None:
    source = LocalSource(day["store"])
    try:
        local = fleet.list_deliveries(source, SINCE, UNTIL, limit=0).to_dict()
    finally:
        source.close()
    memory = fleet.list_deliveries(MemorySource(day["records"]), SINCE, UNTIL, limit=0).to_dict()
    assert memory == local


def test_the_listing_is_newest_first_and_says_how_many_more_there_are(day, listed) -> None:
    result = coco(day, "deliveries", *DAY, "--no-color")
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[-1] == f"50 deliveries shown; {len(listed) - 50:,} more match (--limit N, or --limit 0 for all)"
    doc = coco(day, "deliveries", *DAY, "-f", "json").json()
    assert doc["matched"] == len(listed) and doc["more"] == len(listed) - 50
    starts = [r["start"] for r in doc["deliveries"]]
    assert starts == sorted(starts, reverse=True)
    # --limit 0 streams the rows in the order they are built: newest first by each delivery's earliest own
    # event; the page holds the same 50 newest, ordered by timeline start
    assert sorted(doc["deliveries"], key=lambda r: r["delivery_id"]) == sorted(listed[:50], key=lambda r: r["delivery_id"])
    firsts = {d: first for d, first in LocalSource(day["store"]).active_deliveries(SINCE, UNTIL)}
    assert [firsts[r["delivery_id"]] for r in listed] == sorted((firsts[r["delivery_id"]] for r in listed), reverse=True)
    assert [r["start"] for r in listed] != sorted((r["start"] for r in listed), reverse=True)  # the two orders differ here
    few = coco(day, "deliveries", *DAY, "--limit", "3", "-f", "jsonl")
    assert len(few.out.splitlines()) == 3
    assert few.err == f"coco: 3 shown; {len(listed) - 3:,} more match (--limit N, or --limit 0 for all)\n"


def test_every_format_of_a_whole_range_streams_the_same_rows_as_the_listing_computed_at_once(day, listed) -> None:
    computed = fleet.list_deliveries(LocalSource(day["store"]), SINCE, UNTIL, limit=0)
    by_id = {r.delivery_id: r.to_dict() for r in computed.rows}
    doc = coco(day, "deliveries", *DAY, "--limit", "0", "-f", "json")
    assert (doc.code, doc.err) == (0, "")
    assert doc.json()["matched"] == len(by_id) and doc.json()["more"] == 0 and doc.json()["limit"] == 0
    assert {r["delivery_id"]: r for r in listed} == by_id and len(listed) == len(by_id)
    jsonl = coco(day, "deliveries", *DAY, "--limit", "0", "-f", "jsonl")
    assert [json.loads(line) for line in jsonl.out.splitlines()] == listed
    csv = coco(day, "deliveries", *DAY, "--limit", "0", "-f", "csv").out.splitlines()
    page = coco(day, "deliveries", *DAY, "--limit", str(len(by_id)), "-f", "csv").out.splitlines()
    assert csv[0] == page[0] and sorted(csv[1:]) == sorted(page[1:]) and len(csv) == len(by_id) + 1
    table = coco(day, "deliveries", *DAY, "--limit", "0", "--no-color")
    assert table.out == coco(day, "deliveries", *DAY, "--limit", str(len(by_id)), "--no-color").out
    empty = coco(day, "deliveries", "--since", "2026-11-20T00:00Z", "--until", "2026-11-21T00:00Z", "--limit", "0", "-f", "json")
    assert (empty.code, empty.out) == (3, "") and empty.err.startswith("coco: error: no deliveries active between")


def test_a_streamed_listing_yields_its_first_row_after_one_batch_and_forgets_each_batchs_events(day) -> None:
    class Counting:
        def __init__(self, source: LocalSource) -> None:
            self.source, self.asked, self.forgotten = source, 0, 0

        def __getattr__(self, name: str) -> Any:
            return getattr(self.source, name)

        def deliveries_events(self, *args: Any) -> Any:
            self.asked += 1
            return self.source.deliveries_events(*args)

        def forget(self) -> None:
            self.forgotten += 1
            assert self.source._made  # the batch made events...
            self.source.forget()
            assert not self.source._made  # ...and they are gone

    source = Counting(LocalSource(day["store"]))
    try:
        listing, rows = fleet.stream_deliveries(source, SINCE, UNTIL, batch=10)
        assert source.asked == 0
        first = next(rows)
        assert source.asked == 1 and listing.matched == 1 and first.delivery_id
        rest = list(rows)
        assert source.asked == source.forgotten == -(-listing.active // 10) > 2
        assert listing.matched == len(rest) + 1 == listing.active
    finally:
        source.source.close()


def test_a_delivery_is_in_the_range_when_any_of_its_direct_events_is(day) -> None:
    # D12345's delivery.failed at 10:43:06; nothing else of it between 10:43:01 and 10:43:10
    only = coco(day, "deliveries", "--since", "2026-11-25T10:43:01Z", "--until", "2026-11-25T10:43:10Z", "-f", "json")
    got = {r["delivery_id"] for r in only.json()["deliveries"]}
    since, until = parse_time_option("2026-11-25T10:43:01Z"), parse_time_option("2026-11-25T10:43:10Z")
    assert got == direct_in_range(day["events"], since, until) and "D12345" in got
    # its offer.received (09:58:00) is a linked event, not a direct one: it does not make D12345 active
    offer = coco(day, "deliveries", "--since", "2026-11-25T09:57:59Z", "--until", "2026-11-25T09:58:05Z", "-f", "json")
    assert offer.code == 3 or "D12345" not in {r["delivery_id"] for r in offer.json()["deliveries"]}


FILTERS = [
    (("--status", "failed"), lambda t: t["summary"]["status"] == "failed"),
    (("--status", "failed", "--status", "canceled"), lambda t: t["summary"]["status"] in ("failed", "canceled")),
    (("--status", "fulfilled"), lambda t: t["summary"]["status"] == "fulfilled"),
    (
        ("--error", "LID_STUCK"),
        lambda t: any(
            e["severity"] == "error" and isinstance(e["error"], dict) and e["error"].get("code") == "LID_STUCK" for e in t["events"]
        ),
    ),
    (
        ("--error", "MOTOR_OVERCURRENT"),
        lambda t: any(isinstance(e["error"], dict) and e["error"].get("code") == "MOTOR_OVERCURRENT" for e in t["events"]),
    ),
    (("--event", "robot.grounded"), lambda t: any(e["event"] == "robot.grounded" for e in t["events"])),
    (("--robot", "R-12"), lambda t: "R-12" in t["summary"]["robots"]),
    (("--robot", "R-103"), lambda t: "R-103" in t["summary"]["robots"]),
    (("--pilot", "P-5"), lambda t: "P-5" in t["summary"]["pilots"]),
    (("--merchant", "M-123"), lambda t: any(e["lane"] == "delivery" and e["payload"].get("merchant_id") == "M-123" for e in t["events"])),
    (("--status", "failed", "--robot", "R-12"), lambda t: t["summary"]["status"] == "failed" and "R-12" in t["summary"]["robots"]),
]


@pytest.mark.parametrize(("args", "wanted"), FILTERS, ids=[" ".join(a) for a, _ in FILTERS])
def test_filters_keep_exactly_the_deliveries_whose_timeline_matches(day, listed, timelines, args, wanted) -> None:
    expected = [r for r in listed if wanted(timelines[r["delivery_id"]])]
    assert expected, args  # every filter here matches something in the fleet day
    result = coco(day, "deliveries", *DAY, *args, "--limit", "0", "-f", "json")
    assert result.code == 0, result.err
    assert result.json()["deliveries"] == expected
    assert result.json()["matched"] == len(expected)


def test_lid_stuck_finds_d12345_and_the_fleet_failures(day) -> None:
    rows = coco(day, "deliveries", *DAY, "--error", "LID_STUCK", "-f", "json").json()["deliveries"]
    assert "D12345" in [r["delivery_id"] for r in rows]
    assert all(r["status"] == "failed" for r in rows)


def test_nothing_matching_is_exit_3_with_one_line(day) -> None:
    empty = coco(day, "deliveries", "--since", "2026-11-20T00:00Z", "--until", "2026-11-21T00:00Z")
    assert (empty.code, empty.out) == (3, "")
    assert empty.err == (
        "coco: error: no deliveries active between 2026-11-20T00:00:00.000Z and 2026-11-21T00:00:00.000Z;"
        " the nearest events are from 2026-11-25T06:31Z to 2026-11-25T21:26Z; try --since 2026-11-25T06:00Z"
        f" --until 2026-11-25T22:00Z (searched the local store {day['store']})\n"
    )
    none = coco(day, "deliveries", *DAY, "--error", "NO_SUCH_CODE")
    assert none.code == 3 and "match the filters" in none.err and none.out == ""


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--status", "lost"), "'lost' is not one of"),
        (("--limit", "-1"), "--limit must be 0 (all) or more"),
        (("--since", "yesterday-ish"), "--since"),
        (("--since", "2026-11-26T00:00Z", "--until", "2026-11-25T00:00Z"), "--since is after --until"),
        (("--format", "xml"), "'xml' is not one of"),
    ],
)
def test_bad_options_are_usage_errors(day, args, needle) -> None:
    result = coco(day, "deliveries", *args)
    assert result.code == 2 and needle in result.err and result.out == ""


def test_the_default_range_is_the_last_24_hours(day) -> None:
    from cocoevents.timestamps import now_us

    if now_us() - 86_400_000_000 <= UNTIL:
        pytest.skip("the fleet day is within the last 24 hours on this clock")
    result = coco(day, "deliveries")  # the fleet day is long past: nothing in the last 24 h
    assert result.code == 3 and "no deliveries active between" in result.err


def test_csv_has_a_header_and_one_line_per_delivery(day, listed) -> None:
    result = coco(day, "deliveries", *DAY, "--limit", "0", "-f", "csv")
    lines = result.out.splitlines()
    assert lines[0].startswith("delivery_id,status,start,end,duration_s,robots,pilots,events,errors,warnings,gaps,first_error_code")
    assert len(lines) == len(listed) + 1
    import csv as csvmod

    rows = {r[0]: r for r in csvmod.reader(lines[1:])}
    d12345 = rows["D12345"]
    assert d12345[1:3] == ["failed", "2026-11-25T09:58:00.000Z"]
    assert (d12345[5], d12345[6], d12345[11]) == ("R-7 R-12", "P-4 P-3 P-5", "MOTOR_OVERCURRENT")


def test_hostile_ids_stay_text_in_the_table_and_csv(tmp_path) -> None:
    evil = '=HYPERLINK("x")\x1b]0;pwned\x07'
    archive_file = write_lines(
        tmp_path / "evil.jsonl",
        [
            {"event": "demand.assigned", "timestamp": "2026-11-25T10:00:00Z", "delivery_id": evil, "robot_id": "-R\x1b[2J"},
            {
                "event": "delivery.failed",
                "timestamp": "2026-11-25T10:05:00Z",
                "delivery_id": evil,
                "robot_id": "-R\x1b[2J",
                "error": {"code": "@SUM(A1)", "message": "x"},
            },
        ],
    )
    db = tmp_path / "evil.duckdb"
    store.load(db, [archive_file])
    table = run_coco("deliveries", *DAY, "--store", str(db))
    assert table.code == 0 and "\x1b" not in table.out and "\x07" not in table.out
    assert "\\x1b]0;pwned\\x07" in table.out
    csv = run_coco("deliveries", *DAY, "--store", str(db), "-f", "csv")
    import csv as csvmod

    row = csv.out.splitlines()[1]
    assert row.startswith('"\'=HYPERLINK(""x"")')
    fields = next(csvmod.reader([row]))
    assert fields[5] == "'-R\x1b[2J" and fields[11] == "'@SUM(A1)"  # robots, first error code
    raw = run_coco("deliveries", *DAY, "--store", str(db), "-f", "csv", "--csv-raw")
    assert raw.out.splitlines()[1].startswith('"=HYPERLINK(')
    errors = run_coco("errors", *DAY, "--store", str(db))
    assert errors.code == 0 and "\x1b" not in errors.out and "@SUM(A1)" in errors.out


def test_slow_keeps_the_deliveries_with_a_slow_step_finding(day, listed, timelines) -> None:
    expected = [r for r in listed if any(f["kind"] == "slow_step" for f in timelines[r["delivery_id"]]["findings"])]
    result = coco(day, "deliveries", *DAY, "--slow", "--limit", "0", "-f", "json")
    assert result.code == (0 if expected else 3)
    if expected:
        assert result.json()["deliveries"] == expected


# -- coco errors --------------------------------------------------------------------------------------------


def expected_errors(events: list[Event], by: str, since: int = SINCE, until: int = UNTIL) -> dict[Any, dict[str, Any]]:
    seen: set[str] = set()
    groups: dict[Any, dict[str, Any]] = {}
    for e in events:
        if e.ts is None or not since <= e.ts <= until or e.severity != "error":
            continue
        text = canonical_json(e.record)
        if text in seen:
            continue
        seen.add(text)
        error = e.record.get("error")
        code = error.get("code") if isinstance(error, dict) else None
        key = {"code": code, "event": e.name, "robot": e.robot_id}[by]
        g = groups.setdefault(key, {"count": 0, "deliveries": set(), "robots": set(), "ts": []})
        g["count"] += 1
        g["ts"].append(e.ts)
        if e.delivery_id:
            g["deliveries"].add(e.delivery_id)
        if e.robot_id:
            g["robots"].add(e.robot_id)
    return groups


@pytest.mark.parametrize("by", ["code", "event", "robot"])
def test_errors_are_grouped_and_counted_as_the_records_say(day, by) -> None:
    args = ("--by", by) if by != "code" else ()
    doc = coco(day, "errors", *DAY, *args, "-f", "json").json()
    expected = expected_errors(day["events"], by)
    assert {g[by] for g in doc["groups"]} == set(expected)
    for g in doc["groups"]:
        e = expected[g[by]]
        assert (g["count"], g["deliveries"], g["robots"]) == (e["count"], len(e["deliveries"]), len(e["robots"]))
        assert (g["first_seen"], g["last_seen"]) == (format_ts(min(e["ts"])), format_ts(max(e["ts"])))
        assert g["example_delivery"] in e["deliveries"] or (g["example_delivery"] is None and not e["deliveries"])
    counts = [g["count"] for g in doc["groups"]]
    assert counts == sorted(counts, reverse=True) and doc["events"] == sum(counts)


def test_errors_name_the_codes_of_the_day_with_their_events(day) -> None:
    doc = coco(day, "errors", *DAY, "-f", "json").json()
    by_code = {g["code"]: g for g in doc["groups"]}
    assert set(by_code["LID_STUCK"]["events"]) == {"delivery.failed", "attempt.failed"}
    assert by_code["MOTOR_OVERCURRENT"]["events"] == ["robot.grounded"]
    assert by_code["MOTOR_OVERCURRENT"]["deliveries"] == 0 and by_code["MOTOR_OVERCURRENT"]["robots"] == 1
    table = coco(day, "errors", *DAY, "--no-color").out
    assert table.splitlines()[2].split() == [
        "CODE",
        "EVENTS",
        "COUNT",
        "DELIVERIES",
        "ROBOTS",
        "FIRST",
        "SEEN",
        "LAST",
        "SEEN",
        "EXAMPLE",
        "DELIVERY",
    ]
    assert any(line.startswith("LID_STUCK ") for line in table.splitlines())


def test_errors_in_csv_and_jsonl(day) -> None:
    doc = coco(day, "errors", *DAY, "-f", "json").json()
    csv = coco(day, "errors", *DAY, "-f", "csv").out.splitlines()
    assert csv[0] == "code,events,count,deliveries,robots,first_seen,last_seen,example_delivery"
    assert len(csv) == len(doc["groups"]) + 1
    jsonl = [json.loads(line) for line in coco(day, "errors", *DAY, "-f", "jsonl").out.splitlines()]
    assert jsonl == doc["groups"]
    robots = coco(day, "errors", *DAY, "--by", "robot", "-f", "csv").out.splitlines()
    assert robots[0] == "robot,codes,events,count,deliveries,robots,first_seen,last_seen,example_delivery"


def test_errors_in_a_quiet_range_are_exit_3(day) -> None:
    result = coco(day, "errors", "--since", "2026-11-20T00:00Z", "--until", "2026-11-21T00:00Z")
    assert (result.code, result.out) == (3, "")
    assert result.err.startswith("coco: error: no error events between 2026-11-20T00:00:00.000Z")
    assert coco(day, "errors", *DAY, "--by", "pilot").code == 2


def test_the_error_index_holds_exactly_the_timed_rows_of_severity_error_and_coco_errors_writes_no_cache(day, tmp_path, monkeypatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    source = LocalSource(day["store"])
    try:
        stored = source.con.execute("SELECT epoch_us(ts), record FROM events WHERE ts IS NOT NULL").fetchall()
        indexed = Counter(source.con.execute("SELECT epoch_us(ts), record FROM errors").fetchall())
    finally:
        source.close()
    # the rule in Python (producers.registry.severity) over every stored row, against the loader's SQL
    expected = Counter((ts, text) for ts, text in stored if Event.from_text(text, ts).severity == "error")
    assert 0 < len(expected) < len(stored) // 5
    assert indexed == expected
    assert coco(day, "errors", *DAY, "-f", "json").code == 0
    assert cached_besides_check(cache) == []


def test_errors_of_a_store_from_before_the_index_read_as_it_is_equal_the_indexed_ones(day, tmp_path) -> None:
    import shutil

    old = tmp_path / "old.duckdb"
    shutil.copy(day["store"], old)
    con = duckdb.connect(str(old))
    con.execute("DROP TABLE errors")
    con.execute("UPDATE meta SET value = '7' WHERE key = 'schema'")
    con.close()
    source = LocalSource(old)
    try:
        assert not source.kept_errors
    finally:
        source.close()
    indexed = coco(day, "errors", *DAY, "-f", "json")
    unindexed = run_coco("errors", *DAY, "-f", "json", "--store", str(old))
    assert (unindexed.code, unindexed.err) == (0, "") and unindexed.json() == indexed.json()


def test_the_error_cache_follows_loads_and_replaced_files(tmp_path) -> None:
    db = tmp_path / "s.duckdb"
    first = write_lines(
        tmp_path / "a" / "one.jsonl",
        [{"event": "delivery.failed", "timestamp": "2026-11-25T10:00:00Z", "delivery_id": "D1", "error": {"code": "A", "message": "a"}}],
    )
    store.load(db, [first])
    codes = lambda: [g["code"] for g in run_coco("errors", *DAY, "--store", str(db), "-f", "json").json()["groups"]]  # noqa: E731
    assert codes() == ["A"]
    second = write_lines(
        tmp_path / "b" / "two.jsonl",
        [
            {"event": "robot.note", "timestamp": "2026-11-25T11:00:00Z", "robot_id": "R-1", "level": "FATAL"},
            {
                "event": "robot.note",
                "timestamp": "2026-11-25T11:01:00Z",
                "robot_id": "R-1",
                "level": "info",
                "error": {"code": "B", "message": "b"},
            },
            {"event": "robot.note", "timestamp": "2026-11-25T11:02:00Z", "robot_id": "R-1", "note": "error-free"},
        ],
    )
    store.load(db, [second])
    assert codes() == ["A", "B", None]
    # a file loaded damaged is replaced by a later copy under the same path: its old rows leave the cache
    import gzip
    import os

    damaged = tmp_path / "c" / "three.jsonl.gz"
    damaged.parent.mkdir()
    padding = os.urandom(20_000).hex()  # incompressible: cutting the file cuts into this line
    whole = gzip.compress(
        b'{"event":"delivery.failed","timestamp":"2026-11-25T12:00:00Z","error":{"code":"C"}}\n'
        + b'{"event":"x.y","timestamp":"2026-11-25T12:00:00Z","pad":"'
        + padding.encode()
        + b'"}\n'
    )
    damaged.write_bytes(whole[: len(whole) // 2])
    assert store.load(db, [damaged]).files[0].status == "damaged"
    before = codes()
    assert "C" in before
    damaged.write_bytes(gzip.compress(b'{"event":"delivery.failed","timestamp":"2026-11-25T12:00:00Z","error":{"code":"D"}}\n'))
    store.load(db, [damaged])
    after = codes()
    assert sorted(after, key=str) == sorted([c for c in before if c != "C"] + ["D"], key=str)


# -- every id finds its timeline ------------------------------------------------------------------------------


@pytest.mark.parametrize("linked", ["DM-12345", "O-12345"])
def test_a_demand_or_offer_id_opens_its_delivery(day, linked) -> None:
    result = coco(day, "timeline", linked, "-f", "json")
    assert result.code == 0
    assert result.json() == coco(day, "timeline", "D12345", "-f", "json").json()
    assert result.err == f"coco: {linked} is a demand or offer id of delivery D12345\n"


def test_every_demand_and_offer_of_the_fleet_day_opens_its_delivery(day) -> None:
    source = LocalSource(day["store"])
    try:
        for e in day["events"]:
            if e.delivery_id and e.demand_id and e.name == "demand.assigned" and e.delivery_id.startswith("D2"):
                offer = f"O-{100000 + int(e.delivery_id[1:])}"
                for ident in (e.demand_id, offer):
                    assert build(source, ident, None, parse_options()).id == e.delivery_id, ident
    finally:
        source.close()


def test_a_demand_linked_to_several_deliveries_lists_them_with_exit_2(tmp_path) -> None:
    db = tmp_path / "s.duckdb"
    store.load(
        db,
        [
            write_lines(
                tmp_path / "a.jsonl",
                [
                    {"event": "demand.created", "timestamp": "2026-11-25T10:00:00Z", "demand_id": "DM-9", "offer_id": "O-9"},
                    {"event": "demand.assigned", "timestamp": "2026-11-25T10:01:00Z", "demand_id": "DM-9", "delivery_id": "D-1"},
                    {"event": "delivery.failed", "timestamp": "2026-11-25T10:10:00Z", "delivery_id": "D-1"},
                    {"event": "demand.assigned", "timestamp": "2026-11-25T10:11:00Z", "demand_id": "DM-9", "delivery_id": "D-2"},
                ],
            )
        ],
    )
    for ident in ("DM-9", "O-9"):
        result = run_coco("timeline", ident, "--store", str(db))
        assert (result.code, result.out) == (2, "")
        assert result.err == (
            f"coco: error: '{ident}' links to 2 deliveries: D-1 (failed), D-2 (in progress); run 'coco timeline' with one of them\n"
        )


@pytest.mark.parametrize(
    ("typed", "meant"), [("d12345", "D12345"), ("r7", "R-7"), ("R7", "R-7"), ("r-7", "R-7"), ("p_5", "P-5"), ("dm12345", "DM-12345")]
)
def test_an_id_close_to_known_ids_gets_did_you_mean(day, typed, meant) -> None:
    result = coco(day, "timeline", typed)
    assert (result.code, result.out) == (3, "")
    assert result.err == (
        f"coco: error: no delivery, robot or pilot has the id '{typed}'; did you mean {meant}? (searched the local store {day['store']})\n"
    )


def test_an_id_close_to_nothing_gets_no_suggestion(day) -> None:
    result = coco(day, "timeline", "Q-404")
    assert result.code == 3 and "did you mean" not in result.err


def test_a_robot_table_lists_the_deliveries_it_worked_on_with_their_status(day) -> None:
    result = coco(day, "timeline", "R-12", "--since", "2026-11-25T09:00Z", "--until", "2026-11-25T12:00Z", "--no-color")
    assert "  deliveries  D12345 failed\n" in result.out
    r8 = coco(day, "timeline", "R-8", *DAY, "--no-color").out
    assert "  deliveries  D12346 failed, D12347 fulfilled\n" in r8


def test_the_demo_suggests_the_fleet_commands(tmp_path) -> None:
    result = run_coco("demo", "--store", str(tmp_path / "d.duckdb"), "--no-color")
    assert "coco deliveries --status failed --since 2026-11-25T00:00Z --until 2026-11-26T00:00Z" in result.err
    assert "coco errors --since 2026-11-25T00:00Z --until 2026-11-26T00:00Z" in result.err
    failed = run_coco("deliveries", "--status", "failed", *DAY, "--store", str(tmp_path / "d.duckdb"), "-f", "json")
    assert failed.code == 0 and "D12345" in {r["delivery_id"] for r in failed.json()["deliveries"]}


def test_status_and_robot_filters_still_see_outcomes_and_robots_that_only_linked_events_carry(tmp_path) -> None:
    # D-2's failure is logged without a delivery id, linked through its demand: SQL narrowing by direct
    # events would miss it, so the source must say the narrowing does not hold
    records = [
        {"event": "demand.assigned", "timestamp": "2026-11-25T10:00:00Z", "demand_id": "DM-2", "delivery_id": "D-2"},
        {
            "event": "delivery.failed",
            "timestamp": "2026-11-25T10:05:00Z",
            "demand_id": "DM-2",
            "robot_id": "R-9",
            "error": {"code": "X", "message": "x"},
        },
        {"event": "demand.assigned", "timestamp": "2026-11-25T10:00:00Z", "demand_id": "DM-3", "delivery_id": "D-3", "robot_id": "R-1"},
        {"event": "delivery.failed", "timestamp": "2026-11-25T10:06:00Z", "delivery_id": "D-3", "robot_id": "R-1"},
        {"event": "demand.assigned", "timestamp": "2026-11-25T10:00:00Z", "delivery_id": "D-4", "robot_id": "R-1"},
    ]
    db = tmp_path / "s.duckdb"
    store.load(db, [write_lines(tmp_path / "a.jsonl", records)])
    local = LocalSource(db)
    try:
        for source in (local, MemorySource(records)):
            failed = fleet.list_deliveries(source, SINCE, UNTIL, fleet.Filters(statuses=("failed",)), limit=0)
            assert [r.delivery_id for r in failed.rows] == ["D-3", "D-2"]
            assert source.narrow_deliveries(SINCE, UNTIL, "event", ["delivery.failed"], True) is None
            assert source.narrow_deliveries(SINCE, UNTIL, "robot_id", ["R-1"], True) == {"D-3", "D-4"}
            r9 = fleet.list_deliveries(source, SINCE, UNTIL, fleet.Filters(robot="R-9"), limit=0)
            assert [r.delivery_id for r in r9.rows] == ["D-2"] and r9.rows[0].robots == ("R-9",)
            assert source.narrow_deliveries(SINCE, UNTIL, "robot_id", ["R-9"], True) is None
            assert source.narrow_deliveries(SINCE, UNTIL, "event", ["demand.assigned"], False) == {"D-2", "D-3", "D-4"}
    finally:
        local.close()


def test_output_files_take_their_format_from_the_suffix(day, tmp_path) -> None:
    listing = coco(day, "deliveries", *DAY, "--status", "failed", "-o", str(tmp_path / "failed.csv"))
    assert listing.code == 0 and listing.out == ""
    assert (tmp_path / "failed.csv").read_text().startswith("delivery_id,status,start,")
    report = coco(day, "errors", *DAY, "-o", str(tmp_path / "errors.json"))
    assert report.code == 0 and json.loads((tmp_path / "errors.json").read_text())["schema"] == "coco.errors/1"
    forced = coco(day, "errors", *DAY, "-f", "jsonl", "-o", str(tmp_path / "errors.json"))
    assert forced.code == 0 and json.loads((tmp_path / "errors.json").read_text().splitlines()[0])["count"] > 0


STATUS_CASES = [
    # D-A: canceled two hops away (its demand -> an offer row naming a second demand -> that demand's cancel)
    {"event": "demand.assigned", "timestamp": "2026-11-25T10:00:00Z", "delivery_id": "D-A", "demand_id": "DM-A"},
    {"event": "offer.accepted", "timestamp": "2026-11-25T09:59:00Z", "demand_id": "DM-A", "offer_id": "OF-A"},
    {"event": "offer.created", "timestamp": "2026-11-25T09:58:00Z", "offer_id": "OF-A", "demand_id": "DM-B"},
    {"event": "demand.canceled", "timestamp": "2026-11-25T10:30:00Z", "demand_id": "DM-B"},
    # D-B: only untimed direct rows: no status at all
    {"event": "demand.assigned", "timestamp": "not a time", "delivery_id": "D-B", "demand_id": "DM-X"},
    {"event": "delivery.failed", "delivery_id": "D-B"},
    # D-C: failed and completed at the same instant: the registry's order decides (failed comes later)
    {"event": "delivery.failed", "timestamp": "2026-11-25T11:00:00Z", "delivery_id": "D-C"},
    {"event": "delivery.dropoff_completed", "timestamp": "2026-11-25T11:00:00Z", "delivery_id": "D-C"},
    # D-D: a delivery outcome beats a later demand outcome
    {"event": "delivery.failed", "timestamp": "2026-11-25T12:00:00Z", "delivery_id": "D-D", "demand_id": "DM-D"},
    {"event": "demand.fulfilled", "timestamp": "2026-11-25T12:30:00Z", "demand_id": "DM-D"},
    # D-E: nothing decided yet
    {"event": "demand.assigned", "timestamp": "2026-11-25T13:00:00Z", "delivery_id": "D-E"},
    # D-F: a cancel that names another delivery is that delivery's, even with D-F's demand id
    {"event": "demand.assigned", "timestamp": "2026-11-25T14:00:00Z", "delivery_id": "D-F", "demand_id": "DM-F"},
    {"event": "demand.canceled", "timestamp": "2026-11-25T14:10:00Z", "delivery_id": "D-G", "demand_id": "DM-F"},
    # D-H: an untimed outcome does not count; a timed demand outcome linked by offer does
    {"event": "demand.assigned", "timestamp": "2026-11-25T15:00:00Z", "delivery_id": "D-H", "offer_id": "OF-H"},
    {"event": "delivery.failed", "timestamp": "", "delivery_id": "D-H"},
    {"event": "demand.fulfilled", "timestamp": "2026-11-25T15:20:00Z", "offer_id": "OF-H"},
]


def test_the_stores_status_tables_give_each_delivery_the_status_its_linked_events_give(day, tmp_path) -> None:
    """Schema 5: ``delivery_statuses`` reads ``links``/``outcomes``; the answer is timeline rules §6 over rules
    1-2, computed independently from the records in memory (the generic ``fleet.statuses``)."""
    db = tmp_path / "s.duckdb"
    store.load(db, [write_lines(tmp_path / "cases.jsonl", STATUS_CASES)])
    ids = ["D-A", "D-B", "D-C", "D-D", "D-E", "D-F", "D-G", "D-H", "D-nowhere"]
    kept = both_ways(db, ids)
    assert kept == fleet.statuses(MemorySource(STATUS_CASES), ids)
    assert kept == {
        "D-A": "canceled",
        "D-C": "failed",
        "D-D": "failed",
        "D-E": "in_progress",
        "D-F": "in_progress",
        "D-G": "canceled",
        "D-H": "fulfilled",
    }
    # the fleet day and the hand-built scenarios: every delivery, through the tables and through the records
    everyone = sorted({e.delivery_id for e in day["events"] if e.delivery_id})
    assert both_ways(day["store"], everyone) == fleet.statuses(MemorySource(day["records"]), everyone)


def both_ways(db, ids: list[str]) -> dict[str, str]:
    """The statuses of ``ids`` as the store keeps them (schema 6, current) and as the walk over ``links`` and
    ``outcomes`` gives them (schema 5), after checking the two agree and the reader takes the kept ones."""
    local = LocalSource(db)
    try:
        assert local.statused and local.kept_statuses and statuses.is_current(local.con)
        kept = statuses.read(local.con, ids)
        assert kept == local.linked_statuses(list(dict.fromkeys(ids))) == local.delivery_statuses(ids)
        return kept  # type: ignore[return-value]
    finally:
        local.close()


def test_status_tables_follow_a_replaced_file_and_a_removed_one(tmp_path) -> None:
    path = tmp_path / "a.jsonl"
    db = tmp_path / "s.duckdb"
    write_lines(path, STATUS_CASES[6:10])
    store.load(db, [path])

    assert both_ways(db, ["D-C", "D-D"]) == {"D-C": "failed", "D-D": "failed"}
    write_lines(path, [STATUS_CASES[7], STATUS_CASES[9]])  # D-C's failure and D-D's direct row are gone
    store.load(db, [path])
    assert both_ways(db, ["D-C", "D-D"]) == {"D-C": "fulfilled"}
    store_removal.remove_files(db, file=str(path))
    assert both_ways(db, ["D-C", "D-D"]) == {}


def test_kept_statuses_out_of_date_are_not_used_and_the_next_load_brings_them_up_to_date(tmp_path, monkeypatch):
    """Between a batch's commit and the load's end, after a rebuild out of memory, or when the id groups do not
    settle, the kept statuses are not current: a reader walks ``links`` and gets the same answers."""
    db = tmp_path / "s.duckdb"
    ids = ["D-A", "D-C", "D-D", "D-G"]
    expected = fleet.statuses(MemorySource(STATUS_CASES), ids)
    # a chain offer - demand - offer needs two rounds to settle: with one allowed, the rebuild gives up
    monkeypatch.setattr(statuses, "MAX_ROUNDS", 1)
    store.load(db, [write_lines(tmp_path / "cases.jsonl", STATUS_CASES)])
    local = LocalSource(db)
    try:
        assert not statuses.is_current(local.con) and statuses.read(local.con, ids) is None
        assert local.delivery_statuses(ids) == expected
        assert local.con.execute("SELECT count(*) FROM statuses").fetchone() == (0,)
    finally:
        local.close()
    monkeypatch.setattr(statuses, "MAX_ROUNDS", 64)
    assert store.load(db, [tmp_path / "cases.jsonl"]).files[0].status == "already_loaded"
    assert both_ways(db, ids) == expected  # a load that adds nothing still brings them up to date
    # a batch committed: out of date until the load's end
    loader = store.Loader(db)
    try:
        con = loader._attach()
        assert statuses.is_current(con)
        write_lines(tmp_path / "more.jsonl", [{**STATUS_CASES[0], "timestamp": "2026-11-25T23:00:00Z"}])
        loader.load([tmp_path / "more.jsonl"], None)
        assert not statuses.is_current(loader._attach())
    finally:
        loader.close()

    # out of memory at the rebuild: the load is done, the statuses stay unused
    def no_memory(con):
        raise store.duckdb.OutOfMemoryException("Out of Memory Error: could not allocate")

    monkeypatch.setattr(statuses, "compute", no_memory)
    report = store.load(db, [tmp_path / "cases.jsonl"])
    assert report.files[0].status == "already_loaded" and report.baseline_error is None
    local = LocalSource(db)
    try:
        assert statuses.read(local.con, ids) is None
        assert local.delivery_statuses(ids) == fleet.statuses(
            MemorySource([*STATUS_CASES, {**STATUS_CASES[0], "timestamp": "2026-11-25T23:00:00Z"}]), ids
        )
    finally:
        local.close()


def test_a_load_works_the_statuses_out_with_the_store_open_to_readers_and_keeps_none_from_files_changed_meanwhile(tmp_path, monkeypatch):
    """``Loader._rebuild_statuses``: while the statuses are computed the store is attached read-only (another
    process's reader opens it); a file loaded or removed meanwhile deletes the token, so the result is not
    installed and readers walk ``links`` until the next load; otherwise the table is current."""
    import subprocess
    import sys

    db = tmp_path / "s.duckdb"
    ids = ["D-A", "D-C", "D-D", "D-G"]
    monkeypatch.setattr(store, "DETACHED_EVENTS", 0)  # as a big store's load does
    real = statuses.compute
    opened = []

    def compute_while_a_reader_opens_the_store(con):
        reader = subprocess.run(
            [
                sys.executable,
                "-c",
                "import duckdb, sys; c = duckdb.connect(sys.argv[1], "
                "read_only=True); print(c.execute('SELECT count(*) FROM events').fetchone()[0])",
                str(db),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        opened.append((reader.returncode, reader.stdout.strip(), reader.stderr[-300:]))
        return real(con)

    monkeypatch.setattr(statuses, "compute", compute_while_a_reader_opens_the_store)
    store.load(db, [write_lines(tmp_path / "cases.jsonl", STATUS_CASES)])
    assert opened == [(0, str(len(STATUS_CASES)), "")]
    assert both_ways(db, ids) == fleet.statuses(MemorySource(STATUS_CASES), ids)

    extra = {**STATUS_CASES[0], "timestamp": "2026-11-25T23:00:00Z"}

    real_transaction = store.Loader._transaction
    computed = []

    def computed_first(con):
        computed.append(real(con))
        return computed[-1]

    def another_load_commits_before_the_install(self):
        if computed and computed.pop():  # the statuses are worked out and the store let go: a load gets in
            other = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "import sys; from pathlib import Path; from "
                    "cocoevents.store import loader as local; local.Loader(Path(sys.argv[1])).load([sys.argv[2]])",
                    str(db),
                    str(write_lines(tmp_path / "more.jsonl", [extra])),
                ],
                capture_output=True,
                text=True,
                timeout=60,
            )  # commits its file only
            assert other.returncode == 0, other.stderr
        return real_transaction(self)

    (tmp_path / "cases2.jsonl").write_text((tmp_path / "cases.jsonl").read_text() + "\n")  # a new file, same events
    monkeypatch.setattr(statuses, "compute", computed_first)
    monkeypatch.setattr(store.Loader, "_transaction", another_load_commits_before_the_install)
    store.load(db, [tmp_path / "cases2.jsonl"])
    assert (tmp_path / "more.jsonl").exists() and not computed
    local = LocalSource(db)
    try:
        assert statuses.read(local.con, ids) is None  # computed before the other file: not installed
        assert local.delivery_statuses(ids) == fleet.statuses(MemorySource([*STATUS_CASES, extra]), ids)
    finally:
        local.close()
    monkeypatch.setattr(statuses, "compute", real)
    monkeypatch.setattr(store.Loader, "_transaction", real_transaction)
    store.load(db, [tmp_path / "cases.jsonl"])  # adds nothing, brings the statuses up to date
    assert both_ways(db, ids) == fleet.statuses(MemorySource([*STATUS_CASES, extra]), ids)
    con = store_connection.connect(db, read_only=True)
    try:  # no token left behind, and the baseline (worked out the same way) is there
        assert con.execute("SELECT key FROM meta WHERE key LIKE '%pending'").fetchall() == []
        assert con.execute("SELECT count(*) FROM fleet_baseline").fetchone()[0] > 0
    finally:
        con.close()


def test_robot_and_pilot_timelines_through_the_assignment_keys_are_those_of_the_ids_keys_and_of_the_records(day):
    """Schema 6 reads a robot's or pilot's 12-hour assignment lookback through the assignment keys
    (``sources.local._spans_and_assignments``): the same timelines as through the ids' own keys (schema 5's
    reading) and as the records in memory give, for every robot and pilot of the fleet day."""
    events = day["events"]
    subjects = sorted({e.robot_id for e in events if e.robot_id}) + sorted({e.pilot_id for e in events if e.pilot_id})
    # the whole day, and hours whose assignments began before them (only the lookback finds those)
    ranges = [
        ("2026-11-25T00:00:00Z", "2026-11-26T00:00:00Z"),
        ("2026-11-25T10:00:00Z", "2026-11-25T11:00:00Z"),
        ("2026-11-25T14:30:00Z", "2026-11-25T15:00:00Z"),
    ]
    asks = [(s, parse_options(since=a, until=b)) for s in subjects for a, b in ranges]

    def one(source, subject: str, opts) -> list[tuple[str, str, str]]:
        try:
            return [(r.lane.kind, r.lane.id or "", r.event.text) for r in build(source, subject, None, opts).rows]
        except NotFound:  # nothing of it in that hour
            return []

    def shown(source) -> list[list[tuple[str, str, str]]]:
        return [one(source, s, o) for s, o in asks]

    local = LocalSource(day["store"])
    try:
        assert local.assignment_keyed
        keyed = shown(local)
        local.assignment_keyed = False
        assert shown(local) == keyed
    finally:
        local.close()
    assert shown(MemorySource(day["records"])) == keyed
    # the narrow hours show pilots whose assignment started before them
    early = [
        rows
        for (s, o), rows in zip(asks, keyed)
        if o.since and o.since > 1_795_000_000_000_000 and s.startswith("R") and any(lane == "pilot" for lane, _, _ in rows)
    ]
    assert len(early) > 5


@pytest.mark.parametrize("option", ["--robot", "--pilot", "--error", "--event", "--merchant"])
@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_filter_value_is_a_usage_error_not_every_delivery(day, option, value) -> None:
    result = coco(day, "deliveries", *DAY, option, value)
    assert (result.code, result.out) == (2, "")
    assert result.err == (f"coco: error: {option} needs a value, not {value!r} (leave the option out to list every delivery)\n")


@pytest.mark.parametrize("command,title", [("errors", "Errors"), ("deliveries", "Deliveries active")])
def test_a_listings_relative_since_counts_back_from_until_and_its_header_shows_both_ends(story, command, title):
    r = run_coco(command, "--since", "1d", "--until", "2026-11-26T00:00Z", "--store", str(story), "--no-color")
    assert r.code == 0, r.err
    assert r.out.startswith(f"{title} 2026-11-25 00:00:00 → 2026-11-26 00:00:00 UTC")
