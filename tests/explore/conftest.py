"""The explore app's tests: the app made as ``coco explore`` makes it (``explore.start``) over the demo store, and
a way to wait for the answers the worker threads draw."""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path
from typing import Any, Callable, Optional

import pytest

from cocoevents.core.options import parse_options
from cocoevents.sources.local import LocalSource


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Optional[bool]:
    """``async def`` tests run in a fresh event loop of their own (Textual's pilot is asynchronous)."""
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        names = pyfuncitem._fixtureinfo.argnames
        asyncio.run(pyfuncitem.obj(**{n: pyfuncitem.funcargs[n] for n in names}))
        return True
    return None


DAY = {"since": "2026-11-25T00:00:00Z", "until": "2026-11-26T00:00:00Z"}
WHERE = "local store demo.duckdb"  # a fixed name: the snapshots must not show a temporary path


def make_app(store: Optional[Path], subject: Optional[str] = None, *, source: Any = None, **kwargs: Any) -> Any:
    from cocoevents.explore import start

    day = parse_options(**kwargs.pop("range", DAY))  # the range the overview covers
    opening = (lambda: source) if source is not None else (lambda: LocalSource(store))
    return start(
        opening,
        subject_id=subject,
        kind=kwargs.pop("kind", None),
        opts=kwargs.pop("opts", parse_options()),
        since=day.since,
        until=day.until,
        tz="UTC",
        where=WHERE,
        **kwargs,
    )


@pytest.fixture
def explore_app(demo_store: Path) -> Callable[..., Any]:
    """``explore_app(subject=None, **start_options)``: a new app over the demo store."""
    made: list[Any] = []

    def make(subject: Optional[str] = None, **kwargs: Any) -> Any:
        app = make_app(demo_store, subject, **kwargs)
        made.append(app)
        return app

    yield make
    for app in made:
        app.resident.close()


async def until(pilot: Any, condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Let the app run until ``condition`` holds (worker threads answer, the screen draws)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("the app did not get there in time")
        await pilot.pause(0.02)
    await pilot.pause()


def overview_ready(app: Any) -> bool:
    from cocoevents.explore.screens import OverviewScreen

    screen = app.screen
    return isinstance(screen, OverviewScreen) and screen.overview.errors is not None and screen.overview.deliveries_done


def timeline_of(app: Any, ident: str) -> Callable[[], bool]:
    from cocoevents.explore.timeline_screen import TimelineScreen

    def shown() -> bool:
        screen = app.screen
        return isinstance(screen, TimelineScreen) and screen.timeline is not None and screen.timeline.id == ident

    return shown
