"""The column fitter: a table gives up detail in its plan's order, clips only what may be clipped, and never cuts a
list's items."""

from __future__ import annotations

from cocoevents.render.columns import Column, first_items, fit, wrap

COLUMNS = [Column("ID"), Column("WHEN", compact=lambda t: t[5:]), Column("CODES", items=True), Column("NOTE", clip=6)]
ROWS = [[("D1", ""), ("2026-11-25 10:00", ""), ("LID_STUCK, BLOCKED_PATH, BATTERY_FAULT", ""), ("a long remark here", "")]]
PLAN = [("compact", 1), ("drop", 3), ("drop", 2)]


def _line(width):
    layout = fit(COLUMNS, ROWS, width, PLAN)
    return "  ".join(text for text, _ in layout.cells(ROWS[0])).rstrip()


def test_without_a_width_every_column_is_whole():
    assert _line(None) == "D1  2026-11-25 10:00  LID_STUCK, BLOCKED_PATH, BATTERY_FAULT  a long remark here"


def test_a_narrower_table_first_compacts_then_clips_the_rightmost_first_before_it_drops():
    assert _line(76) == "D1  11-25 10:00  LID_STUCK, BLOCKED_PATH, BATTERY_FAULT  a long remark here"
    assert _line(60) == "D1  11-25 10:00  LID_STUCK, BLOCKED_PATH +1  a lon…"
    assert _line(40) == "D1  11-25 10:00  LID_STUCK +2  a lon…"


def test_columns_go_in_the_plans_order_and_what_a_row_is_about_stays():
    assert _line(30) == "D1  11-25 10:00  LID_STUCK +2"
    assert _line(12) == "D1  11-25 10:00"  # wider than asked: the id and the time are never dropped


def test_a_list_keeps_whole_items_and_says_how_many_more():
    assert first_items("A, B, C", 7) == "A, B, C"
    assert first_items("A, B, C, D", 9) == "A, B +2"
    assert first_items("A, B, C", 4) == "A +2"
    assert first_items("MOTOR_OVERCURRENT, LID_STUCK", 3) == "MOTOR_OVERCURRENT +1"  # the first is never cut
    assert first_items("R-7 DM-12345 O-12345", 11, " ") == "R-7 +2"


def test_long_text_wraps_at_words_under_its_indent():
    assert wrap("one two three four five six seven eight", 30, 4) == ["one two three four five", "six seven eight"]
    assert wrap("one two three", None, 4) == ["one two three"]
