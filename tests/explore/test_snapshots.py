"""Snapshots of ``coco explore``'s main screens at 80x24 and 160x48 (pytest-textual-snapshot; the SVGs live in
``__snapshots__/`` beside this file). Each snapshot waits for the worker threads' answers before the picture is
taken, and the app's range and store name are fixed (``conftest.make_app``), so the pictures do not depend on the
clock, a temporary path or the machine's speed. After a deliberate change of a screen:
``pytest tests/explore/test_snapshots.py --snapshot-update``, then look at the new SVGs."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import make_app, overview_ready, timeline_of, until

SIZES = {"80x24": (80, 24), "160x48": (160, 48)}


def waits_for(condition_of, *keys_then):  # type: ignore[no-untyped-def]
    """A ``run_before``: wait for the overview (or the first timeline), then for each (keys, condition) step."""

    async def run(pilot) -> None:  # type: ignore[no-untyped-def]
        app = pilot.app
        await until(pilot, lambda: condition_of(app))
        for keys, then in keys_then:
            await pilot.press(*keys)
            if then is not None:
                await until(pilot, then(app))
        await pilot.pause(0.3)

    return run


def starting(app):  # type: ignore[no-untyped-def]
    return overview_ready(app) if app.first is None else timeline_of(app, app.first.id)()


@pytest.mark.parametrize("size", SIZES)
def test_the_overview(snap_compare, demo_store: Path, size: str) -> None:
    app = make_app(demo_store)
    try:
        assert snap_compare(app, terminal_size=SIZES[size], run_before=waits_for(starting))
    finally:
        app.resident.close()


@pytest.mark.parametrize("size", SIZES)
def test_an_error_codes_events(snap_compare, demo_store: Path, size: str) -> None:
    app = make_app(demo_store)
    try:
        assert snap_compare(app, terminal_size=SIZES[size], run_before=waits_for(starting, (("end", "enter"), None)))
    finally:
        app.resident.close()


@pytest.mark.parametrize("size", SIZES)
def test_the_root_cause_of_d12345_after_five_keys(snap_compare, demo_store: Path, size: str) -> None:
    app = make_app(demo_store)
    steps = (
        (("end", "enter", "enter"), lambda app: timeline_of(app, "R-7")),
        (("d",), lambda app: timeline_of(app, "D12345")),
        (("n",), None),
    )
    try:
        assert snap_compare(app, terminal_size=SIZES[size], run_before=waits_for(starting, *steps))
    finally:
        app.resident.close()


@pytest.mark.parametrize("size", SIZES)
def test_a_robots_day(snap_compare, demo_store: Path, size: str) -> None:
    app = make_app(demo_store, "D12345")
    try:
        assert snap_compare(
            app, terminal_size=SIZES[size], run_before=waits_for(starting, (("e", "r"), lambda app: timeline_of(app, "R-7")))
        )
    finally:
        app.resident.close()


def test_the_help(snap_compare, demo_store: Path) -> None:
    app = make_app(demo_store, "D12345")
    try:
        assert snap_compare(app, terminal_size=(80, 24), run_before=waits_for(starting, (("question_mark",), None)))
    finally:
        app.resident.close()


@pytest.mark.parametrize("size", SIZES)
def test_d12345_beside_its_twin(snap_compare, demo_store: Path, size: str) -> None:
    from cocoevents.explore.screens import TwinScreen

    app = make_app(demo_store, "D12345")
    try:
        steps = ((("v",), lambda app: lambda: isinstance(app.screen, TwinScreen)),)
        assert snap_compare(app, terminal_size=SIZES[size], run_before=waits_for(starting, *steps))
    finally:
        app.resident.close()
