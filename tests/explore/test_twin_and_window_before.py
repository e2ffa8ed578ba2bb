"""``v`` (a delivery beside its nearest normal twin, as ``coco timeline D --vs auto`` finds it) and the overview's
counts of the window before (as ``coco errors --vs previous`` counts them), through Textual's pilot."""

from __future__ import annotations

import json
from pathlib import Path

from cocoevents.core.options import parse_options
from cocoevents.explore.screens import TwinScreen
from cocoevents.explore.timeline_screen import TimelineScreen
from cocoevents.explore.widgets import LineList

from ..support.cli import run_coco
from .conftest import make_app, overview_ready, timeline_of, until


def twin_shown(app) -> bool:  # type: ignore[no-untyped-def]
    return isinstance(app.screen, TwinScreen)


async def test_v_shows_d12345_beside_the_twin_timeline_vs_auto_finds_and_enter_opens_the_twin(explore_app, demo_store: Path) -> None:
    r = run_coco("timeline", "D12345", "--vs", "auto", "--store", str(demo_store), "-f", "json")
    assert r.code == 0, r.err
    expected = json.loads(r.out)["comparison"]
    app = explore_app("D12345")
    async with app.run_test(size=(160, 48)) as pilot:
        await until(pilot, timeline_of(app, "D12345"))
        await pilot.press("v")
        await until(pilot, lambda: twin_shown(app))
        c = app.screen.comparison
        assert c.to_dict() == expected  # the same twin, reason and transitions as the command line
        assert (c.twin, c.chosen) == ("D200068", "same source doordash")
        listed = app.screen.query_one("#events", LineList)
        first = c.steps[0]
        line = listed.source.text(0).plain
        assert first.transition in line and "+1m15s" in line
        await pilot.press("enter")
        await until(pilot, timeline_of(app, "D200068"))
        assert app.screen.timeline.status == "fulfilled"
        await pilot.press("escape")
        assert twin_shown(app)
        await pilot.press("escape")
        await until(pilot, timeline_of(app, "D12345"))


async def test_v_on_a_robots_day_says_it_compares_deliveries_and_stays(explore_app) -> None:
    app = explore_app("R-7", opts=parse_options(since="2026-11-25T00:00:00Z", until="2026-11-26T00:00:00Z"))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, timeline_of(app, "R-7"))
        depth = len(app.screen_stack)
        await pilot.press("v")
        await pilot.pause(0.2)
        assert isinstance(app.screen, TimelineScreen) and len(app.screen_stack) == depth
        assert any("v compares a delivery with its nearest normal twin" in n.message for n in app._notifications)


async def test_the_overview_counts_each_code_in_the_window_before_as_coco_errors_vs_previous(demo_store: Path) -> None:
    since, until_ = "2026-11-25T12:00:00Z", "2026-11-26T00:00:00Z"
    r = run_coco("errors", "--vs", "previous", "--since", since, "--until", until_, "--store", str(demo_store), "-f", "json")
    assert r.code == 0, r.err
    cli = json.loads(r.out)
    expected = {g["code"]: (g["count"], g["previous_count"]) for g in cli["groups"]}
    assert any(before for _, before in expected.values()) and any(before == 0 for _, before in expected.values())
    app = make_app(demo_store, range={"since": since, "until": until_})
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await until(pilot, lambda: overview_ready(app))
            report = app.screen.overview.errors
            assert {g.key: (g.count, g.previous_count) for g in report.groups} == expected
            assert report.previous.events == cli["previous"]["events"]
            head = str(app.screen.query_one("#errors-head").render())
            assert "COUNT" in head and "BEFORE" in head
            listed = app.screen.query_one("#errors", LineList)
            shown = [listed.source.text(n).plain for n in range(len(report.groups))]
            for g, text in zip(report.groups, shown):
                assert (" NEW " in f"{text} ") == (g.previous_count == 0), text
    finally:
        app.resident.close()
