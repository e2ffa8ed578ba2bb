"""``coco explore``'s keys, each driven through Textual's pilot (``App.run_test``) over the demo store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cocoevents.core.options import parse_options
from cocoevents.explore.base import HelpScreen
from cocoevents.explore.model import ordered_findings
from cocoevents.explore.screens import ErrorEventsScreen, OverviewScreen
from cocoevents.explore.timeline_screen import TimelineScreen
from cocoevents.explore.widgets import LineList

from .conftest import make_app, overview_ready, timeline_of, until


def rows_of(app) -> LineList:  # type: ignore[no-untyped-def]
    return app.screen.query_one("#rows", LineList)


def selected(app):  # type: ignore[no-untyped-def]
    """The row under the cursor of the timeline on screen."""
    screen = app.screen
    return screen.timeline.rows[rows_of(app).item]


async def test_the_overview_lists_errors_by_code_and_the_newest_deliveries(explore_app) -> None:
    app = explore_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await until(pilot, lambda: overview_ready(app))
        screen = app.screen
        codes = [g.key for g in screen.overview.errors.groups]
        assert codes[:2] == [None, "CUSTOMER_UNREACHABLE"] and "MOTOR_OVERCURRENT" in codes
        assert len(screen.overview.deliveries) == 50 and screen.overview.deliveries[0].delivery_id == "D200299"
        starts = [r.start for r in screen.overview.deliveries]
        assert starts == sorted(starts, reverse=True)  # newest first
        assert screen.focused.id == "errors"
        await pilot.press("tab")
        assert screen.focused.id == "deliveries"


async def test_five_keys_lead_from_the_overview_to_the_grounded_robot_and_the_swap_of_d12345(explore_app) -> None:
    """The demo incident: D12345 failed; its root cause is R-7 grounded (MOTOR_OVERCURRENT) and the swap to R-12."""
    app = explore_app()
    keys: list[str] = []

    async def press(key: str) -> None:
        keys.append(key)
        await pilot.press(key)

    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: overview_ready(app))
        await press("end")  # the rarest code, last: MOTOR_OVERCURRENT
        await press("enter")  # its events
        assert isinstance(app.screen, ErrorEventsScreen) and app.screen.group.key == "MOTOR_OVERCURRENT"
        await press("enter")  # the event's subject: no delivery id, so R-7's day around it
        await until(pilot, timeline_of(app, "R-7"))
        assert selected(app).event.name == "robot.grounded"
        await press("d")  # the delivery R-7 was on then
        await until(pilot, timeline_of(app, "D12345"))
        t = app.screen.timeline
        assert selected(app).event.name == "robot.grounded" and selected(app).lane.id == "R-7"
        assert t.robots == ["R-7", "R-12"] and t.status == "failed"
        await press("n")  # the next finding: the swap
        shown = list(ordered_findings(t))[app.screen.finding]
        assert shown.kind == "reassignment" and shown.message.startswith("R-7 -> R-12 after robot.grounded MOTOR_OVERCURRENT")
        assert selected(app).event.name == "demand.assigned" and selected(app).event.robot_id == "R-12"
    assert keys == ["end", "enter", "enter", "d", "n"] and len(keys) <= 5


async def test_enter_opens_a_delivery_and_esc_goes_back_to_the_overview_where_it_was(explore_app) -> None:
    app = explore_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: overview_ready(app))
        overview = app.screen
        await pilot.press("tab", "down", "down")
        wanted = overview.overview.deliveries[2].delivery_id
        await pilot.press("enter")
        await until(pilot, timeline_of(app, wanted))
        assert app.screen.timeline.kind == "delivery"
        await pilot.press("escape")
        assert app.screen is overview and overview.focused.id == "deliveries"
        assert overview.query_one("#deliveries", LineList).item == 2
        await pilot.press("escape")  # the overview is the bottom of the history: esc stays
        assert app.screen is overview and app.is_running


async def test_n_and_shift_n_walk_the_findings_and_e_the_error_rows(explore_app) -> None:
    app = explore_app("D12345")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, timeline_of(app, "D12345"))
        screen = app.screen
        from cocoevents.explore.model import ordered_findings

        found = ordered_findings(screen.timeline)
        await pilot.press("n")
        assert screen.finding == 0 and found[0].kind == "silence"
        await pilot.press("n", "n")
        assert found[screen.finding].kind == "reassignment"
        await pilot.press("N")
        assert found[screen.finding].kind == "error" and selected(app).event.name == "robot.grounded"
        await pilot.press("home")
        errors = []
        for _ in range(4):
            await pilot.press("e")
            errors.append(selected(app).event.name)
        assert errors == ["robot.grounded", "attempt.failed", "delivery.failed", "robot.grounded"]  # wraps around
        await pilot.press("E")
        assert selected(app).event.name == "delivery.failed"


async def test_r_opens_the_robots_day_around_the_selected_rows_hour_on_that_row(explore_app) -> None:
    app = explore_app("D12345")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, timeline_of(app, "D12345"))
        await pilot.press("e")  # robot.grounded, R-7's
        await pilot.press("r")
        await until(pilot, timeline_of(app, "R-7"))
        t = app.screen.timeline
        assert t.kind == "robot" and selected(app).event.name == "robot.grounded"
        hour = 3600 * 10**6
        grounded = selected(app).ts  # 10:16:30: the day from 22:00 the day before to 11:00 the day after
        assert t.since == grounded - grounded % hour - 12 * hour and t.until == grounded - grounded % hour + 13 * hour


async def test_p_opens_the_pilots_shift_bounded_by_its_shift_events(explore_app) -> None:
    app = explore_app("D12345")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, timeline_of(app, "D12345"))
        for _ in range(3):
            await pilot.press("e")  # the third error: delivery.failed, with P-5 supervising R-12
        assert selected(app).event.name == "delivery.failed"
        await pilot.press("p")
        await until(pilot, timeline_of(app, "P-5"))
        t = app.screen.timeline
        assert t.rows[0].event.name == "pilot.shift_started" and t.since == t.rows[0].ts
        assert selected(app).ts == app.screen.subject.focus


async def test_d_from_a_robots_row_opens_the_delivery_it_was_on_and_says_so_when_there_is_none(explore_app) -> None:
    app = explore_app(
        "R-7",
        opts=parse_options(**{"since": "2026-11-25T00:00:00Z", "until": "2026-11-26T00:00:00Z"}),
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, timeline_of(app, "R-7"))
        await pilot.press("home")  # pilot.assignment_started at 07:10: no delivery then
        await pilot.press("d")
        await pilot.pause()
        assert app.screen.timeline.id == "R-7"
        assert any("belongs to no delivery" in str(n.message) for n in app._notifications)
        await pilot.press("e", "d")
        await until(pilot, timeline_of(app, "D12345"))


async def test_slash_filters_the_rows_and_esc_clears_the_filter_before_going_back(explore_app) -> None:
    app = explore_app("D12345")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, timeline_of(app, "D12345"))
        screen = app.screen
        await pilot.press("slash", *"lid_stuck", "enter")
        names = [screen.timeline.rows[screen.view.item(k)].event.name for k in range(len(screen.view.lines))]
        assert names == ["attempt.failed", "delivery.failed"]
        await pilot.press("escape")
        assert screen.filter_text == "" and len(screen.view.lines) > 31 and app.screen is screen
        await pilot.press("escape")
        assert isinstance(app.screen, OverviewScreen)


async def test_slash_then_an_id_in_the_overview_opens_it_as_coco_timeline_would(explore_app) -> None:
    app = explore_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: overview_ready(app))
        await pilot.press("slash", *"DM-12345", "enter")  # a demand id: its delivery
        await until(pilot, timeline_of(app, "D12345"))
        await pilot.press("escape", "slash", *"R-404", "enter")
        await until(pilot, lambda: any("no delivery, robot or pilot has the id" in str(n.message) for n in app._notifications))
        assert isinstance(app.screen, OverviewScreen)


async def test_o_exports_the_timeline_in_each_format_and_says_where(explore_app, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = explore_app("D12345")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, timeline_of(app, "D12345"))
        for letter in "cjhm":
            await pilot.press("o", letter)
            await pilot.pause()
    written = {p.suffix: p for p in tmp_path.glob("coco-D12345-*")}
    assert set(written) == {".csv", ".json", ".html", ".md"}
    assert json.loads(written[".json"].read_text())["summary"]["events"] == 31
    assert written[".csv"].read_text().count("\n") == 32
    said = [str(n.message) for n in app._notifications]
    assert any(m == f"wrote 31 events to {written['.html']}" for m in said), said


async def test_o_on_the_overview_exports_the_list_in_focus(explore_app, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = explore_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: overview_ready(app))
        await pilot.press("o", "j")
        await pilot.press("tab", "o", "c")
        await pilot.pause()
    errors = next(tmp_path.glob("coco-errors-*.json"))
    assert json.loads(errors.read_text())["schema"] == "coco.errors/1"
    deliveries = next(tmp_path.glob("coco-deliveries-*.csv"))
    assert deliveries.read_text().splitlines()[0].startswith("delivery_id,status") and len(deliveries.read_text().splitlines()) == 51


async def test_question_mark_lists_every_key_and_q_quits_with_0(explore_app) -> None:
    app = explore_app("D12345")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, timeline_of(app, "D12345"))
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("Static").render())
        for key in ("enter", "esc", "n / N", "e / E", "r", "p", "d", "v", "/", "o", "f", "q"):
            assert f"  {key} " in text, key
        assert "nearest normal twin" in text
        await pilot.press("escape")
        assert isinstance(app.screen, TimelineScreen)
        await pilot.press("q")
    assert app.return_code == 0


async def test_an_unknown_id_is_the_commands_error_before_any_screen(demo_store: Path) -> None:
    from cocoevents.errors import NotFound

    with pytest.raises(NotFound, match="did you mean D12345"):
        make_app(demo_store, "d-12345")


def test_coco_explore_without_a_terminal_is_a_usage_error(demo_store: Path) -> None:
    from ..support.cli import run_coco

    r = run_coco("explore", "--store", str(demo_store))
    assert (r.code, r.out) == (2, "")
    assert r.err == (
        "coco: error: coco explore is interactive and needs a terminal; in a script use coco timeline, coco deliveries or coco errors\n"
    )


async def test_esc_walks_back_through_the_timelines_opened_on_one_screen_each_as_it_was_left(explore_app) -> None:
    app = explore_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: overview_ready(app))
        overview = app.screen
        await pilot.press("slash", *"D12345", "enter")
        await until(pilot, timeline_of(app, "D12345"))
        screen = app.screen
        await pilot.press("slash", *"grounded", "enter")  # a filter on the delivery: kept for esc
        grounded = selected(app)
        assert grounded.event.name == "robot.grounded"
        await pilot.press("r")
        await until(pilot, timeline_of(app, "R-7"))
        assert app.screen is screen and screen.filter_text == "" and len(screen.history) == 1  # the same screen, no filter
        await pilot.press("home", "d")
        await until(pilot, lambda: any("belongs to no delivery" in str(n.message) for n in app._notifications))
        await pilot.press("e", "d")
        await until(pilot, timeline_of(app, "D12345"))
        assert len(screen.history) == 2
        await pilot.press("escape")
        assert screen.timeline.id == "R-7" and selected(app).event.name == "robot.grounded"  # where it was left
        await pilot.press("escape")
        assert screen.timeline.id == "D12345" and screen.filter_text == "grounded" and selected(app) is grounded
        await pilot.press("escape")  # the filter goes first, then the screen
        assert screen.filter_text == "" and app.screen is screen
        await pilot.press("escape")
        assert app.screen is overview and screen.history == []


async def test_a_delivery_opened_again_from_the_overview_starts_afresh_without_the_last_ones_history(explore_app) -> None:
    app = explore_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: overview_ready(app))
        overview = app.screen
        await pilot.press("slash", *"D12345", "enter")
        await until(pilot, timeline_of(app, "D12345"))
        first = app.screen
        await pilot.press("e", "r", "slash", *"deployed", "enter")
        await until(pilot, timeline_of(app, "R-7"))
        await pilot.press("escape", "escape", "escape")  # the filter, R-7, D12345
        assert app.screen is overview
        await pilot.press("tab", "enter")
        wanted = overview.overview.deliveries[0].delivery_id
        await until(pilot, timeline_of(app, wanted))
        assert app.screen is first  # the screen kept, shown again
        assert first.history == [] and first.filter_text == "" and rows_of(app).item == 0
        await pilot.press("escape")
        assert app.screen is overview


async def test_an_overview_of_a_range_without_events_says_where_the_nearest_are_a_line_each(explore_app) -> None:
    app = explore_app(range={"since": "2026-11-27T00:00:00Z", "until": "2026-11-28T00:00:00Z"})  # the demo day is the 25th
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: overview_ready(app))
        deliveries = app.screen.query_one("#deliveries", LineList)
        said = ["".join(seg.text for seg in deliveries.render_line(y)).rstrip() for y in range(4)]
        assert said == [
            "no deliveries active in this range",
            "the nearest events are from 2026-11-25T06:30Z to 2026-11-25T21:30Z",
            "try --since 2026-11-25T06:00Z --until 2026-11-25T22:00Z",
            "",
        ]
