"""A delivery with very many events (issue 9, item 17): rows are streamed to the writers, events are compact,
and nothing about the timeline changes. Speed and memory are printed by benchmarks/bench_big_timeline.py."""

from __future__ import annotations

import io
import json
import math
import pickle

import pytest

from cocoevents.api import timeline_from_records
from cocoevents.core.model import Event
from cocoevents.render import write
from cocoevents.render.json_fast import style_of
from cocoevents.render.jsontext import dumps

from ..support.cli import run_coco, write_lines

N = 200_000


def _big_delivery(n: int) -> list[dict]:
    """The issue's recipe: small records, one delivery, 10 robots, every time distinct."""
    return [
        {
            "event": "robot.state_changed" if i % 7 else "trip.started",
            "timestamp": f"2026-11-25T{(i // 360000) % 24:02d}:{(i // 6000) % 60:02d}:{(i // 100) % 60:02d}.{(i % 100) * 10:03d}Z",
            "delivery_id": "DBIG",
            "robot_id": "R-%d" % (i * 10 // n),
            "n": i,
            "level": "info",
        }
        for i in range(n)
    ]


def test_a_delivery_of_200000_events_written_as_json_is_complete_and_valid(tmp_path):
    f = write_lines(tmp_path / "big.log.gz", _big_delivery(N))
    store = str(tmp_path / "s.duckdb")
    assert run_coco("load", str(f), "--store", store).code == 0
    out = tmp_path / "out.json"
    r = run_coco("timeline", "DBIG", "--store", store, "-f", "json", "-o", str(out))
    assert r.code == 0, r.err
    doc = json.loads(out.read_text())
    assert doc["summary"]["events"] == len(doc["events"]) == N
    assert [e["payload"]["n"] for e in doc["events"]] == list(range(N))  # every row, in time order
    assert doc["events"][0]["payload"] == _big_delivery(1)[0] | {"robot_id": "R-0"}
    assert len(doc["windows"]) == 10 and doc["summary"]["robots"] == [f"R-{k}" for k in range(10)]
    lines = run_coco("timeline", "DBIG", "--store", store, "-f", "jsonl").out.splitlines()
    assert len(lines) == N and json.loads(lines[-1])["payload"]["n"] == N - 1


HOSTILE = [
    {"timestamp": "2026-11-25T10:00:00Z", "event": "delivery.created", "delivery_id": "D1", "z": 1, "a": 2},
    {
        "event": "robot.state_changed",
        "delivery_id": "D1",
        "robot_id": "R-1",
        "timestamp": "2026-11-25T10:00:01Z",
        "error": {"message": "stuck", "code": "E1", "nested": [{"y": 1, "b": [3, {"q": None, "c": True}]}, []]},
        "empty": {},
        "list": [],
        "ü": "naïve ☃ \u2028",
        "ctl": "a\u0000b\u001b]0;x\u0007",
    },
    {
        "event": "robot.state_changed",
        "delivery_id": "D1",
        "robot_id": "R-1",
        "timestamp": "2026-11-25T10:00:02Z",
        "f": 1.5e-300,
        "g": -0.0,
        "big": 2**80,
        "neg": -3,
        "nan": float("nan"),
        "inf": float("-inf"),
    },
    {"event": "delivery.dropoff_completed", "delivery_id": "D1", "timestamp": "2026-11-25T10:00:03Z", "a": {"b": {"c": {"d": 1, "a": 0}}}},
    {"event": "delivery.note", "delivery_id": "D1", "timestamp": "not a time", "b": 1, "a": 1},
]


def _same(a, b) -> bool:
    """Equal as JSON values, NaN included, and key order the same all the way down."""
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return type(a) is type(b) and a == b and (not isinstance(a, float) or math.copysign(1, a) == math.copysign(1, b))


@pytest.mark.parametrize("record", HOSTILE, ids=range(len(HOSTILE)))
def test_an_event_gives_back_its_record_with_the_keys_in_their_order(record):
    e = Event.from_record(json.loads(json.dumps(record)))
    assert _same(e.record, json.loads(json.dumps(record)))
    assert e.record is not e.record  # a fresh dict: changing it changes no event
    assert _same(pickle.loads(pickle.dumps(e)).record, e.record)


def test_an_event_keeps_a_record_that_is_not_plain_json_as_it_is():
    from datetime import datetime

    record = {"event": "x.y", "when": datetime(2026, 1, 1), "t": (1, 2)}
    e = Event.from_record(record)
    assert e.record is record


def test_an_event_is_immutable():
    e = Event.from_record({"event": "x.y", "delivery_id": "D1"})
    with pytest.raises(AttributeError):
        e.name = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        e.extra = 1  # type: ignore[attr-defined]


def test_the_streamed_json_is_byte_for_byte_the_document_dumped_at_once():
    t = timeline_from_records(HOSTILE, "D1")
    assert len(t.rows) == 4 and len(t.unplaced) == 1
    out = io.StringIO()
    write(t, "json", out)
    assert out.getvalue() == dumps(t.to_dict(), indent=2) + "\n"
    json.loads(out.getvalue())  # NaN and infinities are written as strings: still valid JSON
    lines = io.StringIO()
    write(t, "jsonl", lines)
    assert lines.getvalue() == "".join(dumps(d, separators=(",", ":")) + "\n" for d in t.events)


# Record texts as a store holds them: some exactly what the encoder writes (taken as they are by the writers),
# some nearly so - a separator inside a string, a key twice, numbers written another way, escapes, blanks.
TEXTS = [
    '{{"event": "robot.state_changed", "timestamp": "{ts}", "delivery_id": "D1", "robot_id": "R-1", "n": {i}}}',
    '{{"event":"robot.state_changed","timestamp":"{ts}","delivery_id":"D1","n":{i},"ok":true,"none":null}}',
    '{{"event": "robot.state_changed", "timestamp": "{ts}", "delivery_id": "D1", "s": "a, ", "t": ": x"}}',
    '{{"event":"robot.state_changed","timestamp":"{ts}","delivery_id":"D1","s":"a,","t":":x, \\"y"}}',
    '{{"event": "robot.state_changed", "timestamp": "{ts}", "delivery_id": "D1", "k": 1, "k": {i}}}',
    '{{"event": "robot.state_changed", "timestamp": "{ts}", "delivery_id": "D1", "z": -0, "f": 1.10, "e": 1e5}}',
    '{{"event": "robot.state_changed", "timestamp": "{ts}", "delivery_id": "D1", "big": 1234567890123456789012}}',
    '{{"event": "robot.state_changed", "timestamp": "{ts}", "delivery_id": "D1", "ü": "naïve ☃", "é": "\\u00e9"}}',
    '{{"event": "robot.state_changed", "timestamp": "{ts}", "delivery_id": "D1", "error": null, "": ""}}',
    '{{"event": "robot.failed", "timestamp": "{ts}", "delivery_id": "D1", "error": "boom", "level": "error"}}',
    '{{ "event" : "robot.state_changed", "timestamp": "{ts}", "delivery_id": "D1" }}',
    '{{"event": "robot.state_changed", "timestamp": "{ts}", "delivery_id": "D1", "l": [], "d": {{}}, "m": [1]}}',
    '{{"event":"robot.state_changed","timestamp":"{ts}","delivery_id":"D1","o":{{"a":1}},"p":"}}, {{"}}',
]


def test_records_written_as_they_were_stored_give_the_bytes_of_the_document_dumped_at_once(tmp_path):
    from cocoevents.api import timeline

    lines = [TEXTS[i % len(TEXTS)].format(i=i, ts=f"2026-11-25T10:{i // 60:02d}:{i % 60:02d}Z") for i in range(1300)]
    f = write_lines(tmp_path / "texts.log", lines)  # more than a chunk: the records are kept compressed
    store = str(tmp_path / "s.duckdb")
    assert run_coco("load", str(f), "--store", store).code == 0
    t = timeline("D1", store=store)
    assert len(t.rows) == 1300
    styles = {style_of(r.event) for r in t.rows}
    assert styles == {0, 1, 2}  # both separator styles are taken as they are, the rest parsed
    out = io.StringIO()
    write(t, "json", out)
    assert out.getvalue() == dumps(t.to_dict(), indent=2) + "\n"
    jsonl = io.StringIO()
    write(t, "jsonl", jsonl)
    assert jsonl.getvalue() == "".join(dumps(d, separators=(",", ":")) + "\n" for d in t.events)


def test_the_streamed_json_of_an_empty_timeline_is_the_document_dumped_at_once():
    t = timeline_from_records([{"event": "delivery.created", "delivery_id": "D1", "timestamp": "never"}], "D1")
    assert t.rows == []
    out = io.StringIO()
    write(t, "json", out)
    assert out.getvalue() == dumps(t.to_dict(), indent=2) + "\n"


def _canonical(record: dict) -> str:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _crowded_delivery(n: int, seed: int = 3) -> list[dict]:
    """``n`` records of delivery D1 at a few instants, many of them copies (some with their keys in another
    order), known and unknown names: rules 6 and 7 have to compare whole records."""
    import random

    rnd = random.Random(seed)
    names = ["robot.state_changed", "trip.started", "demand.assigned", "zz.unknown", "aa.unknown"]
    out = []
    for _ in range(n):
        record = {
            "event": rnd.choice(names),
            "timestamp": f"2026-11-25T10:00:{rnd.randrange(12):02d}.000Z",
            "delivery_id": "D1",
            "k": rnd.randrange(40),
            "ü": rnd.choice(["a", "é", "☃"]),
        }
        if rnd.random() < 0.3:
            record = dict(reversed(list(record.items())))  # the same object, keys in another order
        out.append(record)
    return out


def test_a_big_delivery_crowded_into_a_few_instants_is_deduplicated_and_ordered_by_the_records_text(tmp_path):
    from cocoevents.producers.registry import registry_sort_key
    from cocoevents.timestamps import parse_timestamp

    records = _crowded_delivery(6000)
    distinct: dict[str, dict] = {}
    for r in records:
        distinct.setdefault(_canonical(r), r)
    expected = sorted(
        distinct, key=lambda text: (parse_timestamp(distinct[text]["timestamp"]), registry_sort_key(distinct[text]["event"]), text)
    )
    t = timeline_from_records(records, "D1")
    assert [_canonical(r.event.record) for r in t.rows] == expected  # rule 6, ties by the JSON text
    assert t.to_dict()["summary"]["duplicates_removed"] == len(records) - len(expected)  # rule 7
    assert [r.event.record for r in t.rows] == [distinct[text] for text in expected]  # the first copy, its key order
    # read from a store (records kept in compressed chunks), the same rows and bytes
    f = write_lines(tmp_path / "crowded.log", records)
    store = str(tmp_path / "s.duckdb")
    assert run_coco("load", str(f), "--store", store).code == 0
    lines = io.StringIO()
    write(t, "jsonl", lines)
    r = run_coco("timeline", "D1", "--store", store, "-f", "jsonl")
    assert r.code == 0, r.err
    assert r.out == lines.getvalue()


def test_slow_steps_among_thousands_of_quick_ones_are_the_ones_rule_8_names_read_pair_by_pair():
    from datetime import datetime, timedelta, timezone

    from cocoevents.core.baseline import Baseline, Transition
    from cocoevents.core.sessionize import delivery_timeline
    from cocoevents.sources.memory import MemorySource

    fleet = Baseline(
        [
            Transition("trip.started", "trip.completed", 50, 10.0, 40.0, 60.0),  # slow from 70 s
            Transition("trip.completed", "trip.started", 50, 100.0, 110.0, 120.0),
        ]
    )  # slow from 200 s

    class Source(MemorySource):
        def baseline(self):
            return fleet

    # Steps 50 ms apart, started/completed in turn; after these steps (even: started) the next comes later (ms).
    later = {1000: 180_000, 1500: 69_999, 1502: 70_000, 2001: 250_000, 2501: 199_999, 2503: 200_000}
    start = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)
    records, ms = [], 0
    for n in range(3000):
        t = start + timedelta(milliseconds=ms)
        records.append(
            {
                "event": "trip.started" if n % 2 == 0 else "trip.completed",
                "delivery_id": "D1",
                "timestamp": t.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "n": n,
            }
        )
        ms += later.get(n, 50)
    timeline = delivery_timeline(Source(records), "D1")
    rows = timeline.rows
    expected = [
        (i, i + 1)
        for i in range(len(rows) - 1)
        if (j := fleet.judged(rows[i].event.name, rows[i + 1].event.name)) is not None
        and fleet.is_slow(j, (rows[i + 1].ts - rows[i].ts) / 1e6)
    ]
    assert expected == [(1000, 1001), (1502, 1503), (2001, 2002), (2503, 2504)]  # the bounds themselves count
    assert [f.refs for f in timeline.findings if f.kind == "slow_step"] == expected


def test_many_rows_read_as_numpy_columns_are_the_rows_read_a_tuple_at_a_time(tmp_path, monkeypatch):
    """``store.local._numpy_chunks`` (a big delivery's rows, by rowid range or by semi-join, as NumPy columns)
    against the tuple path, on runs of rows, every other row (a range with others' rows left out), every third
    row (a semi-join), records with trailing commas or ``nan`` (made readable) and one nested past Python's
    recursion limit; then whole timelines both ways."""
    from cocoevents.store import connection as store_connection
    from cocoevents.store import loader as store
    from cocoevents.store import rows as store_rows

    lines = []
    for i in range(1200):
        owner = "D-A" if i % 2 else "D-B"
        text = json.dumps(
            {
                "event": "robot.state_changed",
                "timestamp": f"2026-11-25T10:{i // 60:02d}:{i % 60:02d}Z",
                "delivery_id": owner,
                "robot_id": "R-1",
                "n": i,
            }
        )
        if i % 97 == 0:
            text = text[:-1] + ', "speed": nan, }'  # DuckDB reads it; Python's json needs it rewritten
        lines.append(text)
    lines.append(
        '{"event": "robot.state_changed", "timestamp": "2026-11-25T10:30:00.5Z", "delivery_id": "D-A", '
        '"deep": ' + "[" * 1500 + "]" * 1500 + "}"
    )
    archive = tmp_path / "a.log"
    archive.write_text("\n".join(lines) + "\n")
    db = tmp_path / "s.duckdb"
    store.load(db, [archive])
    con = store_connection.connect(db, read_only=True)
    try:
        every = [r[0] for r in con.execute("SELECT rowid FROM events").fetchall()]
        assert len(every) == 1201
        monkeypatch.setattr(store_rows, "NUMPY_BLOCK", 128)

        def read(rowids: list[int], numpy: bool) -> list[tuple]:
            monkeypatch.setattr(store_rows, "NUMPY_ROWS", 100 if numpy else 10**9)
            return sorted(row for ids, ts, records in store_rows.rowid_chunks(con, rowids) for row in zip(ids, ts, records))

        for rowids in (every, every[1::2], every[::3], every[:700] + every[900::5]):
            by_tuples = read(rowids, numpy=False)
            assert read(rowids, numpy=True) == by_tuples and len(by_tuples) == len(rowids)
        records = [json.loads(r) for _, _, r in read(every, numpy=True)]  # every text readable by Python's json
        chunks = store_rows.rowid_chunks(con, every)  # left after one chunk, the next block being read ahead
        assert len(next(chunks)[0]) == 128
        chunks.close()
        assert read(every[:300], numpy=True) == read(every[:300], numpy=False)  # the connection is still fine
        assert sum(1 for r in records if "speed" in r) == 13 and any("deep" in r for r in records)
    finally:
        con.close()
    shown = run_coco("timeline", "D-A", "--store", str(db), "-f", "json")
    monkeypatch.setattr(store_rows, "NUMPY_ROWS", 100)
    assert run_coco("timeline", "D-A", "--store", str(db), "-f", "json").out == shown.out
    assert shown.code == 0 and shown.json()["summary"]["events"] == 601
