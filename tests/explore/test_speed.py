"""What makes ``coco explore`` fast must not change what it shows: the overview's errors counted from the store's
error index are ``coco errors --vs previous``'s groups; a timeline built ahead (prefetch) is the one built when
asked; the remembered timelines are bounded; the overview is on screen before its slow answers and fills in."""

from __future__ import annotations

import io
import json
import threading
from datetime import timezone
from pathlib import Path
from typing import Any

import pytest

from cocoevents.core.listings import error_report
from cocoevents.core.options import HOUR, parse_options
from cocoevents.explore.model import CACHE, Resident, Subject, robot_day
from cocoevents.explore.screens import ErrorEventsScreen, OverviewScreen
from cocoevents.sources.local import LocalSource
from cocoevents.store.loader import load

from ..support.cli import write_lines
from .conftest import make_app, overview_ready, until
from .test_follow_and_safety import CONTROL, screen_text

UTC = timezone.utc
DAY = parse_options(since="2026-11-25T00:00:00Z", until="2026-11-26T00:00:00Z")


def errors_store(tmp_path: Path) -> Path:
    """Error events of several codes (one without a code, one whose code is hostile text), the same record in two
    files, once with its keys in another order (one event), two different records of the same instant and ids,
    and one in the window before."""

    def failed(ts: str, delivery: str, code: object, robot: str = "R-1", **more: object) -> dict:
        return {
            "event": "delivery.failed",
            "timestamp": ts,
            "level": "error",
            "delivery_id": delivery,
            "robot_id": robot,
            "error": code,
            **more,
        }

    twice = failed("2026-11-25T08:00:00Z", "D1", {"code": "LID_STUCK"})
    day = [
        twice,
        failed("2026-11-25T09:00:00Z", "D2", {"code": "LID_STUCK"}, "R-2"),
        failed("2026-11-25T09:30:00Z", "D3", {"code": "LID_STUCK"}, "R-2", note="a"),
        failed("2026-11-25T09:30:00Z", "D3", {"code": "LID_STUCK"}, "R-2", note="b"),
        failed("2026-11-25T10:00:00Z", "D4", "no object, so no code"),
        failed("2026-11-25T11:00:00Z", "D5", {"code": "\x1b[31m[red]BAD[/red]"}),
        {"event": "robot.fault", "timestamp": "2026-11-25T12:00:00Z", "level": "error", "robot_id": "R-9", "error": {"code": "MOTOR"}},
    ]
    reordered = "{" + ", ".join(f'"{k}": {json.dumps(v)}' for k, v in sorted(twice.items())) + "}"  # keys in another order
    archive = tmp_path / "archive"
    files = [
        write_lines(archive / "dt=2026-11-25" / "a.log", day),
        write_lines(archive / "dt=2026-11-25" / "b.log", [twice, reordered]),
        write_lines(archive / "dt=2026-11-24" / "c.log", [failed("2026-11-24T08:00:00Z", "D0", {"code": "LID_STUCK"})]),
    ]
    store = tmp_path / "errors.duckdb"
    load(store, [str(f) for f in files])
    return store


class WithoutIndex(LocalSource):
    """The local store read as a source without an error index: ``error_report`` groups its events."""

    def error_groups(self, since: int, until: int, by: str) -> None:
        return None


def test_errors_counted_from_the_error_index_are_the_groups_of_the_events_with_the_window_before(tmp_path: Path) -> None:
    from cocoevents.explore.view import error_cells

    store = errors_store(tmp_path)
    source, events = LocalSource(store), WithoutIndex(store)
    try:
        assert source.error_groups(DAY.since, DAY.until, "code") is not None  # counted by the store, no event made
        from_index = error_report(source, DAY.since, DAY.until, "code", vs="previous")
        expected = error_report(events, DAY.since, DAY.until, "code", vs="previous")
        by = {b: [error_report(s, DAY.since, DAY.until, b).to_dict() for s in (source, events)] for b in ("robot", "event", "hour")}
    finally:
        source.close()
        events.close()
    assert from_index.to_dict() == expected.to_dict()
    for b, (counted, grouped) in by.items():
        assert counted == grouped, b
    # as the overview draws them: the events' names in the order they first came, within equal counts
    assert [error_cells(g, UTC) for g in from_index.groups] == [error_cells(g, UTC) for g in expected.groups]
    groups = [(g.key, g.count, g.previous_count, g.delivery_count, g.robot_count) for g in from_index.groups]
    # the record stored twice (once with its keys in another order) is one event; the two records of one instant two
    assert groups == [("LID_STUCK", 4, 1, 3, 2), ("\x1b[31m[red]BAD[/red]", 1, 0, 1, 1), ("MOTOR", 1, 0, 0, 1), (None, 1, 0, 1, 1)]


def as_json(t: Any) -> str:
    from cocoevents.render import RenderOptions, write

    out = io.StringIO()
    write(t, "json", out, RenderOptions(tz="UTC"))
    return out.getvalue()


def test_a_timeline_built_ahead_on_a_reader_of_its_own_is_the_one_built_when_asked(demo_store: Path) -> None:
    ahead, cold = Resident(lambda: LocalSource(demo_store)), Resident(lambda: LocalSource(demo_store))
    try:
        delivery = Subject("delivery", "D12345")
        first = cold.timeline(delivery)
        day = next(robot_day(first, n) for n in range(len(first.rows)) if robot_day(first, n) is not None)
        assert day is not None
        for subject in (delivery, day):
            ahead.ahead(subject)
        assert ahead._side is not None and ahead.questions == 2  # built on the side reader, once each
        for subject in (delivery, day):
            assert as_json(ahead.timeline(subject)) == as_json(cold.timeline(subject))
        assert ahead.questions == 2  # opening them asked nothing more
        ahead.ahead(delivery)
        assert ahead.questions == 2  # nor did a second prefetch of what is remembered
    finally:
        ahead.close()
        cold.close()
    assert ahead._side is None


def test_the_remembered_timelines_are_bounded_the_least_recently_used_going_first(demo_store: Path) -> None:
    resident = Resident(lambda: LocalSource(demo_store))
    try:
        first = resident.timeline(Subject("delivery", "D12345"))
        assert first.id == "D12345"
        listed = LocalSource(demo_store)
        try:
            deliveries = [d for d, _ in listed.active_deliveries(DAY.since, DAY.until)]
        finally:
            listed.close()
        others = [d for d in deliveries if d != "D12345"][: CACHE + 5]
        for n, d in enumerate(others):
            resident.timeline(Subject("delivery", d))
            if n == 3:
                assert resident.cached(Subject("delivery", "D12345")) is not None  # used again: kept longer
        assert len(resident._cache) <= CACHE
        assert resident.cached(Subject("delivery", others[-1])) is not None
        assert resident.cached(Subject("delivery", others[0])) is None
    finally:
        resident.close()


class SlowErrors(LocalSource):
    """A reader of the local store whose error index answers only once ``gate`` opens (a slow question)."""

    def __init__(self, path: Path, gate: threading.Event, connection: Any = None) -> None:
        super().__init__(path, connection=connection)
        self.gate = gate

    def error_groups(self, since: int, until: int, by: str) -> Any:
        self.gate.wait(30)
        return super().error_groups(since, until, by)

    def side(self) -> LocalSource:
        return SlowErrors(self.path, self.gate, connection=self.con.cursor())


async def test_the_overview_is_on_screen_before_its_slow_answers_and_fills_in_as_they_come(demo_store: Path) -> None:
    """The errors are slow: the deliveries, asked at the same time, are drawn meanwhile; then the errors."""
    gate = threading.Event()
    app = make_app(None, source=SlowErrors(demo_store, gate))
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, OverviewScreen) and app.screen.overview.deliveries_done)
            await pilot.pause(0.2)
            text = screen_text(app)
            assert "FULFILLED" in text and "loading errors…" in text and "MOTOR_OVERCURRENT" not in text
            assert app.screen.overview.errors is None
            gate.set()
            await until(pilot, lambda: overview_ready(app))
            text = screen_text(app)
            assert "MOTOR_OVERCURRENT" in text and "FULFILLED" in text
    finally:
        gate.set()
        app.resident.close()


async def test_a_hostile_error_code_counted_from_the_index_stays_text_on_the_overview(tmp_path: Path) -> None:
    app = make_app(errors_store(tmp_path))
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await until(pilot, lambda: overview_ready(app))
            text = screen_text(app)
            assert "[red]BAD[/red]" in text and "LID_STUCK" in text
            assert not CONTROL.search(text.replace("\n", ""))
            await pilot.press("down", "enter")  # the hostile code's events, read when its screen opens
            await until(pilot, lambda: isinstance(app.screen, ErrorEventsScreen) and app.screen.events is not None)
            text = screen_text(app)
            assert "[red]BAD[/red]" in text and "D5" in text and not CONTROL.search(text.replace("\n", ""))
    finally:
        app.resident.close()


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_a_move_between_timelines_is_laid_out_and_painted_once(explore_app, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    """``r`` from D12345's error to R-7's day and ``esc`` back change the height of both lists (R-7's day has more
    findings) and the lines of the lanes: the screen is laid out once for each move, the lists scrolled within that
    layout (or in none, when nothing changed size), not laid out and painted again a frame or two later (as a
    container around each list, Textual's scrollbar, a list's new length and the lanes' new text each asked for)."""
    from .conftest import timeline_of

    app = explore_app("D12345")
    async with app.run_test(size=size) as pilot:
        await until(pilot, timeline_of(app, "D12345"))
        await pilot.pause(0.3)
        screen = app.screen
        layouts: list[Any] = []
        screen.screen_layout_refresh_signal.subscribe(screen, layouts.append)
        await pilot.press("e")  # D12345's error row
        await pilot.pause(0.3)
        counts = []
        for keys, subject in ((("r",), "R-7"), (("escape",), "D12345"), (("r",), "R-7")):
            layouts.clear()
            await pilot.press(*keys)
            await until(pilot, timeline_of(app, subject))
            await pilot.pause(0.3)  # what a second layout would come in
            counts.append(len(layouts))
        assert max(counts) <= 1, counts  # none when nothing changed size
        rows = screen.query_one("#rows")
        assert screen.timeline.rows[rows.item].event.name == "robot.grounded"
        assert 0 <= rows.cursor - rows.scroll_offset.y < rows.size.height  # in view


async def test_a_delivery_the_cursor_rests_on_is_built_ahead_with_its_robots_days(explore_app) -> None:  # type: ignore[no-untyped-def]
    """Resting on D12345 in the overview builds its timeline and the robot's days ``r`` opens from its rows (R-7's,
    R-12's: the rows of one hour share one day), so ``enter`` then ``r`` on any of R-7's rows asks nothing more."""
    from cocoevents.explore.model import robot_day, robot_days

    from .conftest import timeline_of

    app = explore_app(limit=1000)  # the whole demo day listed
    async with app.run_test(size=(160, 48)) as pilot:
        await until(pilot, lambda: overview_ready(app))
        await pilot.press("tab")  # the deliveries
        ids = [row.delivery_id for row in app.screen.overview.deliveries]
        for _ in range(ids.index("D12345")):
            await pilot.press("down")
        delivery = Subject("delivery", "D12345")
        await until(pilot, lambda: app.resident.cached(delivery) is not None)
        days = robot_days(app.resident.cached(delivery))
        assert [d.id for d in days] == ["R-7", "R-12"]
        await until(pilot, lambda: all(app.resident.cached(d) is not None for d in days))
        asked = app.resident.questions
        await pilot.press("enter")
        await until(pilot, timeline_of(app, "D12345"))
        t = app.screen.timeline
        r7 = [n for n in range(len(t.rows)) if robot_day(t, n) is not None and robot_day(t, n).id == "R-7"]
        assert len({robot_day(t, n).key for n in r7}) == 1 and len(r7) > 3  # one day for all of R-7's rows
        app.screen.select_row(r7[-1])
        await pilot.press("r")
        await until(pilot, timeline_of(app, "R-7"))
        assert app.resident.questions == asked  # nothing built on the way


class RowsOnly(LocalSource):
    """The local store without the kept start of each delivery: the overview's newest found from the rows."""

    def started_deliveries(self, since: int, until: int, limit: int) -> None:
        return None


def test_the_newest_deliveries_from_the_kept_starts_are_those_found_from_the_rows(demo_store: Path, tmp_path: Path) -> None:
    from cocoevents.explore.model import Overview, newest

    kept, rows = LocalSource(demo_store), RowsOnly(demo_store)
    try:
        for limit in (1, 5, 50):
            for width in (HOUR, 4 * HOUR):
                low = DAY.until - width
                assert kept.started_deliveries(low, DAY.until, limit) is not None
            assert newest(kept, Overview(DAY.since, DAY.until), limit) == newest(rows, Overview(DAY.since, DAY.until), limit)
        assert len(newest(kept, Overview(DAY.since, DAY.until), 5)) == 5
    finally:
        kept.close()
        rows.close()
    # a delivery id '' (a load keeps it as no id; a store of an older load may hold it) is left out of the kept
    # facts: a range where one has a row is answered from the rows
    archive = tmp_path / "archive"
    event = {"event": "delivery.created", "timestamp": "2026-11-25T10:00:00Z", "level": "info"}
    files = [write_lines(archive / "dt=2026-11-25" / "a.log", [event, {**event, "delivery_id": "D1"}])]
    store = tmp_path / "empty-id.duckdb"
    load(store, [str(f) for f in files])
    import duckdb

    with duckdb.connect(str(store)) as con:
        con.execute("UPDATE events SET delivery_id = '' WHERE delivery_id IS NULL")
    source = LocalSource(store)
    try:
        assert source.started_deliveries(DAY.since, DAY.until, 5) is None
        assert source.started_deliveries(DAY.since, DAY.since + HOUR, 5) == []  # no row of '' in that hour
    finally:
        source.close()
