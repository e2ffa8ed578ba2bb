"""Spec section 1: the timestamp grammar, and the SQL loader agreeing with the Python parser."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cocoevents.store import connection as store_connection
from cocoevents.store import loader as local
from cocoevents.timestamps import format_ts, parse_duration, parse_time_option, parse_timestamp

from ..support.timestamps import timestamps


def us(*args: int) -> int:
    return int(datetime(*args, tzinfo=timezone.utc).timestamp()) * 1_000_000


TEN = us(2026, 11, 25, 10, 0, 0)

FORMS = [
    ("2026-11-25T10:00:00Z", TEN),
    ("2026-11-25T10:00:00z", TEN),
    ("2026-11-25t10:00:00Z", TEN),
    ("2026-11-25 10:00:00Z", TEN),
    ("2026-11-25T10:00:00", TEN),
    ("2026-11-25 10:00:00", TEN),
    ("2026-11-25T10:00Z", TEN),
    ("2026-11-25T12:00:00+02:00", TEN),
    ("2026-11-25T12:00:00+0200", TEN),
    ("2026-11-25T12:00:00+02", TEN),
    ("2026-11-25T08:30:00-01:30", TEN),
    ("2026-11-25T10:00:00-00:00", TEN),
    ("2026-11-25T10:00:00.5Z", TEN + 500_000),
    ("2026-11-25T10:00:00,5Z", TEN + 500_000),
    ("2026-11-25T10:00:00.123Z", TEN + 123_000),
    ("2026-11-25T10:00:00.123456Z", TEN + 123_456),
    ("2026-11-25T10:00:00.123456789Z", TEN + 123_456),
    ("2026-11-25T10:00:00.1234567890123Z", TEN + 123_456),
    (TEN // 1_000_000, TEN),
    (TEN // 1_000, TEN),
    (TEN / 1_000_000 + 0.25, TEN + 250_000),
    (TEN / 1_000 + 0.5, TEN + 500),
]

UNUSABLE = [
    None,
    True,
    False,
    "",
    "garbage",
    "2026-02-30T10:00:00Z",
    "0000-01-01T00:00:00Z",
    "2026-11-25T24:00:00Z",
    "2026-11-25T10:00:60Z",
    "2026-13-01T00:00:00Z",
    "2026-11-25",
    "10:00:00",
    "9999-12-31T23:59:59-01:00",
    "0001-01-01T00:30:00+01:00",
    1e300,
    -1e300,
    float("nan"),
    float("inf"),
    [1],
    {"a": 1},
    "2026-11-25T10:00:00" + "0" * 80 + "Z",
    "2026-11-25T10:00:00\u2009Z",
    "\u00a02026-11-25T10:00:00Z",
    "2026-11-25T10:00:00Z\u3000",
    "2026-11-25\u200910:00:00Z",
    "2026-11-25T12:00:00\u202f+02:00",
    "2026-11-25T10:00:00\x1cZ",
    "\x852026-11-25T10:00:00Z",
]


@pytest.mark.parametrize("value,expected", FORMS, ids=[repr(v) for v, _ in FORMS])
def test_every_timestamp_form_of_section_1_parses_to_utc(value, expected):
    assert parse_timestamp(value) == expected


@pytest.mark.parametrize("value", UNUSABLE, ids=repr)
def test_unusable_timestamps_are_none_never_an_exception(value):
    assert parse_timestamp(value) is None


def test_numbers_below_1e11_are_seconds_and_above_are_milliseconds():
    assert parse_timestamp(99_999_999_999) == 99_999_999_999 * 1_000_000
    assert parse_timestamp(100_000_000_000) == 100_000_000_000 * 1_000


def test_output_timestamps_are_iso_utc_with_milliseconds_and_z():
    assert format_ts(TEN + 123_456) == "2026-11-25T10:00:00.123Z"
    assert format_ts(None) is None


def test_time_options_accept_iso_and_durations_ago_and_reject_the_rest():
    assert parse_time_option("2026-11-25T10:00:00Z") == TEN
    assert parse_time_option("2h", now=TEN) == TEN - 2 * 3_600_000_000
    assert parse_duration("5m") == 300_000_000
    for bad in ("", "soon", "-5m", "5y", "1e9999d", "2026-02-30"):
        with pytest.raises(ValueError):
            parse_time_option(bad, now=TEN)


# -- the SQL loader and the Python parser agree -------------------------------------------


def load_timestamps(folder: Path, values: list) -> list[int | None]:
    """Load one record per value through the real store; the stored epoch_us(ts) of each."""
    folder.mkdir(parents=True, exist_ok=True)
    archive = folder / "ts.log"
    archive.write_text("".join(json.dumps({"event": "x", "timestamp": v, "offer_id": str(i)}) + "\n" for i, v in enumerate(values)))
    store = folder / "s.duckdb"
    local.load(store, [str(archive)])
    con = store_connection.connect(store, read_only=True)
    try:
        got = dict(con.execute("SELECT offer_id, epoch_us(ts) FROM events").fetchall())
    finally:
        con.close()
    assert len(got) == len(values), "a record with any timestamp is kept"
    return [got[str(i)] for i in range(len(values))]


EDGES = (
    [v for v, _ in FORMS]
    + [v for v in UNUSABLE if not (isinstance(v, float) and v != v) and v not in (float("inf"),)]
    + [
        "  2026-11-25T10:00:00Z ",
        "2026-11-25T10:00:00 Z",
        "2026-11-25T10:00:00.5 +02:00",
        "2026-11-25T10:00:00.",
        "2026-11-25T10:00:00.Z",
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:00:00+01:00",
        "0001-01-01T00:00:00-00:01",
        "9999-12-31T23:59:59.9999999Z",
        "2026-11-25T10:00:00+23:59",
        "2026-11-25\t10:00:00",
        "\v2026-11-25T10:00:00\vZ\f",
        "\r\n2026-11-25T12:00:00\t+02:00\r\n",
        "٢٠٢٦-11-25T10:00:00Z",
        0,
        -1,
        -1.5,
        1.0,
        1e-7,
        2**63,
        2**64,
        -(2**63),
        1e11 - 0.1,
        99_999_999_999.5,
        1e11,
        1.5e11,
        253402300799,
        253402300800,
        -62135596800,
        -62135596801,
        253402300799999,
        253402300800000,
        -62135596800000,
        -62135596800001,
    ]
)


def test_the_sql_loader_and_the_python_parser_agree_on_every_form_and_edge(tmp_path):
    assert load_timestamps(tmp_path, EDGES) == [parse_timestamp(v) for v in EDGES]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(timestamps, min_size=1, max_size=40))
def test_the_sql_loader_agrees_with_the_python_parser_on_generated_timestamps(tmp_path_factory, values):
    folder = tmp_path_factory.mktemp("ts")
    assert load_timestamps(folder, values) == [parse_timestamp(v) for v in values]


@given(st.one_of(st.text(), st.integers(), st.floats(), st.booleans(), st.none(), st.lists(st.integers()), st.binary()))
def test_the_parser_never_raises(value):
    result = parse_timestamp(value)
    assert result is None or isinstance(result, int)


def test_output_times_have_four_digit_years():
    from datetime import datetime, timedelta

    from cocoevents.timestamps import format_ts, parse_timestamp

    assert format_ts(parse_timestamp("0999-05-01T00:00:00Z")) == "0999-05-01T00:00:00.000Z"
    early = datetime(1970, 1, 1) + timedelta(seconds=-40_000_000_000)  # proleptic Gregorian, year 702
    assert format_ts(parse_timestamp(-40_000_000_000)) == early.isoformat().rjust(19, "0") + ".000Z"


# -- time ranges: one parser (core.options.parse_options) for every command and the library --------------------

T14 = parse_timestamp("2026-12-07T14:00:00Z")
NOW = parse_timestamp("2026-12-07T20:30:00Z")


def test_a_relative_since_counts_back_from_until_when_both_are_given():
    from cocoevents.core.options import parse_options

    opts = parse_options(since="1h", until="2026-12-07T14:00Z", now=NOW)
    assert (format_ts(opts.since), format_ts(opts.until)) == ("2026-12-07T13:00:00.000Z", "2026-12-07T14:00:00.000Z")
    both = parse_options(since="3h", until="1h", now=NOW)  # until 1h ago, since 3h before that
    assert (format_ts(both.since), format_ts(both.until)) == ("2026-12-07T16:30:00.000Z", "2026-12-07T19:30:00.000Z")


def test_a_since_without_until_ends_now_so_both_ends_are_known():
    from cocoevents.core.options import parse_options

    opts = parse_options(since="2h", now=NOW)
    assert (format_ts(opts.since), format_ts(opts.until)) == ("2026-12-07T18:30:00.000Z", "2026-12-07T20:30:00.000Z")
    absolute = parse_options(since="2026-12-07T10:00Z", now=NOW)
    assert absolute.until == NOW
    assert parse_options(now=NOW).since is None and parse_options(now=NOW).until is None  # no range: none is made up
    assert parse_options(until="2026-12-07T14:00Z", now=NOW).since is None
