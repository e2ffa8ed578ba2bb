"""Every table fits the terminal it is printed on (80, 120 and 200 columns, set on a real pseudo-terminal): no row
wraps, detail columns give way before the id, the time, the event and the error code, and an error code is never
cut. On a pipe nothing is fitted (the golden files keep every column whole)."""

from __future__ import annotations

import re

import pytest

from cocoevents.producers.registry import BY_NAME

from ..support.golden import golden
from ..support.terminal import on_a_terminal

pytestmark = pytest.mark.slow

DAY = ["--since", "2026-11-25T00:00Z", "--until", "2026-11-26T00:00Z"]
RANGE = ["--since", "2026-11-25T09:00Z", "--until", "2026-11-25T12:00Z"]
WIDTHS = [80, 120, 200]
CODES = {"LID_STUCK", "MOTOR_OVERCURRENT", "CUSTOMER_UNREACHABLE", "BLOCKED_PATH", "HARDWARE_FAILURE", "BATTERY_FAULT"}


def _plain(args: list[str], columns: int) -> list[str]:
    r = on_a_terminal(args, columns, NO_COLOR="1")
    assert r.code == 0, r.err
    assert "\x1b[" not in r.out
    return r.out.splitlines()


def _fits(lines: list[str], columns: int) -> None:
    over = [line for line in lines if len(line) > columns]
    assert not over, f"{len(over)} line(s) wider than {columns}: {over[:3]}"


def _header(lines: list[str], first: str) -> list[str]:
    return next(line for line in lines if line.startswith(first)).split()


@pytest.mark.parametrize("columns", WIDTHS)
def test_coco_errors_fits_keeping_the_code_its_count_and_whole_codes(story, columns):
    for by, group in (("code", "CODE"), ("event", "EVENT"), ("robot", "ROBOT")):
        lines = _plain(["errors", "--store", str(story), "--by", by, *DAY], columns)
        _fits(lines, columns)
        header = _header(lines, group)
        assert header[0] == group and "COUNT" in header and "LAST" in header
        cut = [w for line in lines for w in re.findall(r"[A-Z_]{4,}…", line)]
        assert not cut, cut  # an error code is shown whole or not at all
    lines = _plain(["errors", "--store", str(story), *DAY], columns)
    assert CODES <= {line.split()[0] for line in lines if line}
    if columns == 80:  # the detail columns went, the group and its numbers stayed
        assert _header(lines, "CODE") == ["CODE", "COUNT", "DELIVERIES", "LAST", "EXAMPLE"]
    if columns == 200:
        assert "FIRST SEEN" in lines[2] and "EXAMPLE DELIVERY" in lines[2] and "2026-11-25 08:24:00" in "".join(lines)


def test_coco_errors_by_robot_at_80_columns_shows_the_first_codes_whole_and_how_many_more(story):
    lines = _plain(["errors", "--store", str(story), "--by", "robot", *DAY], 80)
    r118 = next(line for line in lines if line.startswith("R-118"))
    assert re.match(r"R-118  -, CUSTOMER_UNREACHABLE \+2\s+6\s+3\s+11-25 20:04:30\s+D200293$", r118), r118


@pytest.mark.parametrize("columns", WIDTHS)
def test_coco_deliveries_fits_keeping_start_delivery_status_and_first_error(story, columns):
    lines = _plain(["deliveries", "--store", str(story), "--error", "LID_STUCK", *DAY], columns)
    _fits(lines, columns)
    header = _header(lines, "START")
    assert header[:3] == ["START", "DELIVERY", "STATUS"] and "FIRST" in header
    d12345 = next(line for line in lines if " D12345 " in line)
    assert "MOTOR_OVERCURRENT" in d12345 and "FAILED" in d12345
    if columns == 80:
        assert d12345 == "11-25 09:58:00  D12345    FAILED  R-7 → R-12  MOTOR_OVERCURRENT  3E 5I"
    else:
        assert d12345.startswith("2026-11-25 09:58:00  D12345") and "P-4, P-3, P-5" in d12345


@pytest.mark.parametrize("columns", WIDTHS)
def test_a_timeline_with_errors_fits_with_every_event_name_and_error_code_whole(story, columns):
    lines = _plain(["timeline", "D12345", "--store", str(story)], columns)
    _fits(lines, columns)
    rows = [line for line in lines if re.match(r"\d\d:\d\d:\d\d\.\d{3}  ", line)]
    assert len(rows) == 31
    names = {name for line in rows for name in line.split() if name in BY_NAME}
    assert len(names) == 24  # every row's event name is whole
    text = "\n".join(lines)
    assert text.count("LID_STUCK: Lid stuck closed at") == 2 + 2  # two rows and two findings (wrapped at words)
    assert "MOTOR_OVERCURRENT" in text
    assert not re.search(r"[A-Z_]{4,}…", text)
    if columns == 80:
        assert "              ↳ LID_STUCK: Lid stuck closed at dropoff  attempt=1" in lines  # beside the row it won't fit
        assert any(re.match(r"10:00:00\.000  delivery +demand\.assigned +R-7 \+1$", line) for line in lines)  # ids whole


def test_the_timeline_at_80_columns_matches_its_golden_file(story):
    golden("D12345.80-columns.txt", "\n".join(_plain(["timeline", "D12345", "--store", str(story)], 80)) + "\n")


@pytest.mark.parametrize("columns", WIDTHS)
def test_a_robot_day_fits(story, columns):
    lines = _plain(["timeline", "R-12", "--store", str(story), *RANGE], columns)
    _fits(lines, columns)
    assert lines[0] == "Robot R-12"
    assert any(re.match(r"10:18:00\.000  +(\+\S+  +)?robot:R-12 +robot\.state_changed ", line) for line in lines)


@pytest.mark.parametrize("columns", WIDTHS)
def test_coco_baseline_and_store_files_fit(story, columns):
    lines = _plain(["baseline", "--store", str(story)], columns)
    _fits(lines, columns)
    assert lines[0].split()[:4] == ["from", "to", "n", "p50"]
    assert any(line.split()[:3] == ["demand.active", "delivery.pickup_arrival", "269"] for line in lines)
    lines = _plain(["store", "files", "--store", str(story)], columns)
    _fits(lines, columns)
    assert lines[0].split()[0] == "sha256" and lines[0].endswith("path")
    assert lines[1].endswith("a.log.gz")  # a path clipped keeps its end, the file's name


@pytest.mark.parametrize("columns", WIDTHS)
def test_coco_compare_fits(story, columns):
    lines = _plain(["compare", "--store", str(story), *DAY], columns)
    _fits(lines, columns)
    assert _header(lines, "SCORE") == ["SCORE", "DIMENSION", "VALUE", "GROUP", "OTHERS"]


def test_a_coloured_table_is_fitted_the_same(story):
    coloured = on_a_terminal(["deliveries", "--store", str(story), *DAY], 80)
    assert "\x1b[" in coloured.out
    _fits([re.sub(r"\x1b\[[0-9;]*m", "", line) for line in coloured.out.splitlines()], 80)
