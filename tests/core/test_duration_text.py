"""Duration text: one function (``timestamps.duration_text``) for every place coco shows a measured duration."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cocoevents.core.model import Event, Row, Timeline, lane
from cocoevents.render import RenderOptions, write
from cocoevents.timestamps import duration_text, parse_timestamp


@pytest.mark.parametrize(
    ("seconds", "full", "short"),
    [
        (0, "0s", "0s"),
        (42.4, "42s", "42s"),
        (59.6, "1m00s", "1m"),
        (300, "5m00s", "5m"),
        (522, "8m42s", "8m42s"),
        (3600, "1h00m00s", "1h00m"),
        (3930, "1h05m30s", "1h05m"),
        (86399, "23h59m59s", "23h59m"),
        (86400, "1d00h00m", "1d00h00m"),
        (49 * 3600, "2d01h00m", "2d01h00m"),
        (49 * 3600 + 59, "2d01h00m", "2d01h00m"),
    ],
)
def test_a_duration_reads_in_seconds_minutes_hours_and_from_a_day_on_in_days(seconds, full, short):
    assert duration_text(seconds) == full
    assert duration_text(seconds, short=True) == short


_FULL = re.compile(r"\d+s|\d+m[0-5]\ds|\d+h[0-5]\dm[0-5]\ds|\d+d([01]\d|2[0-3])h[0-5]\dm")
_SHORT = re.compile(r"\d+s|\d+m(?:[0-5]\ds)?|\d+h[0-5]\dm|\d+d([01]\d|2[0-3])h[0-5]\dm")
_PARTS = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def _read_back(text: str) -> int:
    days, hours, minutes, seconds = (int(p or 0) for p in _PARTS.fullmatch(text).groups())
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


@given(st.floats(min_value=0, max_value=400 * 86400, allow_nan=False))
def test_the_text_reads_back_as_the_duration_to_its_precision_in_both_forms(seconds):
    """Full form: to the second under a day, to the minute beyond; short form: to the minute from an hour on,
    to the second below; never more than that away, every part after the first two digits in its range."""
    s = int(round(seconds))
    full, short = duration_text(seconds), duration_text(seconds, short=True)
    assert _FULL.fullmatch(full) and _SHORT.fullmatch(short), (full, short)
    assert 0 <= s - _read_back(full) < (1 if s < 86400 else 60)
    assert 0 <= s - _read_back(short) < (1 if s < 3600 else 60)


def _long_timeline() -> Timeline:
    """A delivery of two rows 49 hours apart (a gap, a window of the same length)."""
    events = [
        Event.from_record({"event": "demand.assigned", "timestamp": "2026-11-25T10:00:00Z", "delivery_id": "D1"}),
        Event.from_record({"event": "delivery.failed", "timestamp": "2026-11-27T11:00:00Z", "delivery_id": "D1"}),
    ]
    start, end = parse_timestamp("2026-11-25T10:00:00Z"), parse_timestamp("2026-11-27T11:00:00Z")
    rows = [Row(events[0], lane("delivery"), "info", None), Row(events[1], lane("delivery"), "error", end - start)]
    return Timeline("delivery", "D1", None, None, rows, [], [], [], 0, 0, "failed", 300_000_000)


@pytest.mark.parametrize("fmt", ["table", "markdown", "html"])
def test_every_view_for_people_writes_a_49_hour_delivery_as_2d01h00m(fmt, tmp_path):
    """The table used to print ``49h00m00s`` where html and markdown printed ``2d01h00m``: one text now."""
    out = tmp_path / "out"
    with out.open("w") as fh:
        write(_long_timeline(), fmt, fh, RenderOptions(color=False))
    text = out.read_text()
    assert "2d01h00m" in text
    assert "49h" not in text
