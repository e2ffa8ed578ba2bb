"""The overview's first screen: its first questions (errors by code, the newest deliveries' first page) are asked
by ``explore.start`` while Textual imports, so the screen's first paint holds their answers; what those questions
raise stays the overview's to say (a notification, the app usable), never the command's error."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from cocoevents.core.options import parse_options
from cocoevents.explore import start
from cocoevents.explore.screens import OverviewScreen
from cocoevents.sources.local import LocalSource

from .conftest import make_app, overview_ready, until
from .test_follow_and_safety import screen_text


class Gated(LocalSource):
    """A reader of the local store whose overview questions (errors by code, the active deliveries) are answered
    only while ``gate`` is open: closed once the app is made, they could not be answered after it."""

    def __init__(self, path: Path, gate: threading.Event, connection: Any = None) -> None:
        super().__init__(path, connection=connection)
        self.gate = gate

    def error_groups(self, since: int, until: int, by: str) -> Any:
        self.gate.wait(30)
        return super().error_groups(since, until, by)

    def active_deliveries(self, since: int, until: int) -> Any:
        self.gate.wait(30)
        return super().active_deliveries(since, until)

    def side(self) -> LocalSource:
        return Gated(self.path, self.gate, connection=self.con.cursor())


class Failing(LocalSource):
    """A reader of the local store whose error index goes away once the store is open."""

    def error_groups(self, since: int, until: int, by: str) -> Any:
        raise OSError("the error index went away\nsecond line")

    def side(self) -> LocalSource:
        return Failing(self.path, connection=self.con.cursor())


async def test_the_overviews_first_paint_holds_the_errors_and_the_first_deliveries_asked_before_it(demo_store: Path) -> None:
    gate = threading.Event()
    gate.set()
    app = make_app(None, source=Gated(demo_store, gate))
    gate.clear()  # from now on, an overview question would wait: the first paint shows what was asked before
    first: list[str] = []
    display = app._display

    def painting(screen: Any, renderable: Any) -> None:
        if not first and isinstance(screen, OverviewScreen) and renderable is not None and not app._batch_count:
            first.append(screen_text(app))
        display(screen, renderable)

    app._display = painting
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await until(pilot, lambda: bool(first))
            painted = first[0]
            assert "MOTOR_OVERCURRENT" in painted and "FULFILLED" in painted
            assert "loading errors…" not in painted and "loading deliveries…" not in painted
            gate.set()
            await until(pilot, lambda: overview_ready(app))
            assert len(app.screen.overview.deliveries) > 5  # the pages after the first, built by the screen's worker
    finally:
        gate.set()
        app.resident.close()


async def test_an_error_of_the_overviews_first_questions_is_said_on_the_overview_which_stays_usable(demo_store: Path) -> None:
    app = make_app(None, source=Failing(demo_store))  # no error here: the overview says it
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, OverviewScreen) and app.screen.overview.deliveries_done)
            await until(pilot, lambda: any("the error index went away" in str(n.message) for n in app._notifications))
            said = [str(n.message) for n in app._notifications]
            assert said == ["coco: the error index went away"]
            text = screen_text(app)
            assert "loading errors…" in text and "FULFILLED" in text
            await pilot.press("tab", "enter")  # the deliveries still open
            await until(pilot, lambda: not isinstance(app.screen, OverviewScreen))
            assert app.is_running
    finally:
        app.resident.close()


def test_a_source_that_cannot_open_is_still_the_commands_error_before_any_screen() -> None:
    def opening() -> LocalSource:
        raise OSError("no such store")

    day = parse_options(since="2026-11-25T00:00:00Z", until="2026-11-26T00:00:00Z")
    with pytest.raises(OSError, match="^no such store$"):
        start(opening, subject_id=None, kind=None, opts=day, since=day.since, until=day.until, tz="UTC")
