"""Hostile ids and options: a usage error (exit 2) or not found (exit 3) with one clear line, never a traceback."""

from __future__ import annotations

import json

import pytest

from ..support.cli import write_lines

HOSTILE_IDS = [
    "D1' OR '1'='1",
    'D1" --',
    "D1; DROP TABLE events; --",
    "/* D1 */",
    "%s",
    "%(id)s",
    "?",
    "$1",
    "D1\\",
    "Dé-ünï-码",
    "D1\n",
    "\t",
    "R-1%",
    "R_1",
    "*",
    "' UNION SELECT record FROM events --",
]


@pytest.fixture
def loaded(coco, tmp_path, store):
    f = write_lines(
        tmp_path / "a.log",
        [
            {"event": "demand.assigned", "delivery_id": "D1", "robot_id": "R-1", "timestamp": "2026-11-25T10:00:00Z"},
            {"event": "robot.parked", "delivery_id": "Dé-ünï-码", "timestamp": "2026-11-25T10:05:00Z"},
        ],
    )
    assert coco("load", "--store", str(store), str(f)).code == 0
    return str(store)


def one_clear_line(r) -> None:
    assert "Traceback" not in r.err and "internal error" not in r.err
    assert r.err.strip() and len(r.err.strip().splitlines()) <= 2  # the message (and a hint to --help)


@pytest.mark.parametrize("ident", HOSTILE_IDS, ids=repr)
def test_a_hostile_id_is_found_only_by_exact_match_or_not_found(coco, loaded, ident):
    r = coco("timeline", ident, "--store", loaded, "--format", "json")
    if ident == "Dé-ünï-码":
        assert r.code == 0 and r.json()["subject"]["id"] == ident
        return
    assert r.code in (2, 3), r.err
    one_clear_line(r)


def test_the_store_is_untouched_after_hostile_ids(coco, loaded):
    for ident in HOSTILE_IDS:
        coco("timeline", ident, "--store", loaded, "--format", "json")
    r = coco("timeline", "D1", "--store", loaded, "--format", "json")
    assert r.code == 0 and r.json()["summary"]["events"] == 1


@pytest.mark.parametrize("ident", ["", "   ", "x" * 10_000, "D1\x00"], ids=["empty", "blank", "10 kB", "NUL"])
def test_empty_blank_huge_or_nul_ids_are_usage_errors(coco, loaded, ident):
    r = coco("timeline", ident, "--store", loaded)
    assert r.code == 2
    one_clear_line(r)


@pytest.mark.parametrize(
    "option,value",
    [
        ("--since", "yesterday-ish"),
        ("--since", "2026-02-30T00:00:00Z"),
        ("--since", "-5m"),
        ("--since", ""),
        ("--since", "99999999999999999999d"),
        ("--since", "' OR 1=1 --"),
        ("--until", "%s"),
        ("--gap", "five minutes"),
        ("--gap", "-1m"),
        ("--gap", ""),
        ("--gap", "1e999h"),
        ("--gap", "5x"),
        ("--pad", "nan"),
        ("--assignment-lookback", "∞"),
        ("--kind", "truck"),
        ("--format", "xml"),
        ("--tz", "Mars/Olympus"),
        ("--max-rows", "-3"),
        ("--max-rows", "many"),
    ],
)
def test_bad_option_values_are_usage_errors_in_one_clear_line(coco, loaded, option, value):
    fmt = [] if option in ("--format", "--tz") else ["--format", "json"]  # --tz only matters for the table
    r = coco("timeline", "R-1", option, value, "--store", loaded, *fmt)
    assert r.code == 2, (r.code, r.err)
    one_clear_line(r)


def test_since_after_until_is_a_usage_error(coco, loaded):
    r = coco("timeline", "R-1", "--since", "2026-11-26T00:00:00Z", "--until", "2026-11-25T00:00:00Z", "--store", loaded)
    assert r.code == 2
    one_clear_line(r)


def test_an_unknown_option_is_a_usage_error(coco, loaded):
    r = coco("timeline", "D1", "--bogus", "--store", loaded)
    assert r.code == 2 and "Traceback" not in r.err


def test_a_missing_store_is_unavailable_not_a_traceback(coco, tmp_path):
    r = coco("timeline", "D1", "--store", str(tmp_path / "none.duckdb"))
    assert r.code == 4
    one_clear_line(r)


def test_a_file_that_is_not_a_store_is_unavailable_not_a_traceback(coco, tmp_path):
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"not a database" * 100)
    r = coco("timeline", "D1", "--store", str(junk))
    assert r.code == 4
    one_clear_line(r)


def test_hostile_ids_in_records_load_and_are_found_exactly(coco, tmp_path, store):
    ids = ["D1' --", "%s", "D\\1", "D" * 4000]
    f = write_lines(tmp_path / "a.log", [{"event": "robot.parked", "delivery_id": i, "timestamp": "2026-11-25T10:00:00Z"} for i in ids])
    assert coco("load", "--store", str(store), str(f)).code == 0
    for i in ids:
        r = coco("timeline", i, "--store", str(store), "--format", "json")
        assert r.code == 0 and [e["delivery_id"] for e in r.json()["events"]] == [i]


def test_a_record_nested_deeper_than_python_reads_does_not_break_the_timeline(coco, tmp_path, store):
    deep = '{"event":"robot.parked","delivery_id":"D9","timestamp":"2026-11-25T10:00:00Z","a":' + "[" * 5000 + "]" * 5000 + "}"
    f = write_lines(
        tmp_path / "a.log", [deep, json.dumps({"event": "demand.assigned", "delivery_id": "D9", "timestamp": "2026-11-25T10:01:00Z"})]
    )
    coco("load", "--store", str(store), str(f))
    r = coco("timeline", "D9", "--store", str(store), "--format", "json")
    assert r.code == 0, r.err
    events = r.json()["events"]
    assert [e["event"] for e in events] == ["robot.parked", "demand.assigned"]
    assert events[0]["payload"]["a"] == "<nested too deeply to read>"
