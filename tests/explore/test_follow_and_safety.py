"""``f`` in ``coco explore`` (new rows placed where they belong, the late ones marked and announced), a resident
app letting a load in, and hostile event text staying text on every screen."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from cocoevents.core.model import Event
from cocoevents.explore.timeline_screen import TimelineScreen
from cocoevents.explore.widgets import LineList
from cocoevents.sources.memory import MemorySource

from ..support.cli import write_lines
from ..support.follow import DELIVERY, arrivals
from .conftest import make_app, overview_ready, timeline_of, until

COCO = [sys.executable, "-c", "from cocoevents.cli.launch import run; run()"]
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def screen_text(app) -> str:  # type: ignore[no-untyped-def]
    """What the screen's widgets would send to the terminal, as text (the lists' visible lines and the statics)."""
    from textual.widgets import Static

    out = []
    for widget in app.screen.query(LineList):
        out += ["".join(seg.text for seg in widget.render_line(y)) for y in range(widget.size.height)]
    for widget in app.screen.query(Static):
        out.append(str(widget.render()))
    return "\n".join(out)


async def test_f_adds_rows_as_they_arrive_marking_the_late_ones_and_saying_so() -> None:
    head, parts = arrivals(polls=6)
    source = MemorySource(head)
    app = make_app(None, DELIVERY, source=source, interval=0.05)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, timeline_of(app, DELIVERY))
        screen = app.screen
        await pilot.press("f")
        assert screen.follower is not None and "following every 0.05s" in str(screen.query_one("#title").render())
        for part in parts:
            before = len(screen.timeline.rows)
            source.events += [Event.from_record(r) for r in part]
            await until(pilot, lambda before=before: screen.timeline is not None and len(screen.timeline.rows) >= before)
            await pilot.pause(0.2)
        await until(pilot, lambda: screen.timeline.status == "failed")
        assert screen.late, "some rows arrived out of order"
        late_rows = [n for n, r in enumerate(screen.timeline.rows) if r.event.text in screen.late]
        assert all("↶" in screen.view.row_text(screen.timeline.rows[n]).plain for n in late_rows)
        said = [str(n.message) for n in app._notifications]
        assert any("arrived out of order: it belongs after" in m for m in said)
        changes = [m for m in said if m.startswith("status: ")]
        assert changes and changes[0].startswith("status: in_progress → ") and changes[-1].endswith("→ failed"), changes
        await pilot.press("f")
        assert screen.follower is None


async def test_a_follow_waits_while_another_timeline_is_shown_and_goes_on_after_esc() -> None:
    head, parts = arrivals(polls=2)
    source = MemorySource(head)
    app = make_app(None, DELIVERY, source=source, interval=0.05)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, timeline_of(app, DELIVERY))
        screen = app.screen
        await pilot.press("f")
        follower = screen.follower
        await pilot.press("end", "r")  # the robot's day around its last row (R-7 assigned), on the same screen
        await until(pilot, lambda: screen.timeline is not None and screen.timeline.kind == "robot")
        assert screen.follower is None and "following" not in str(screen.query_one("#title").render())
        await pilot.press("escape")
        await until(pilot, timeline_of(app, DELIVERY))
        assert screen.follower is follower and "following every 0.05s" in str(screen.query_one("#title").render())
        before = len(screen.timeline.rows)
        source.events += [Event.from_record(r) for r in parts[0]]
        await until(pilot, lambda: len(screen.timeline.rows) > before)  # polled again


async def test_a_load_waiting_for_the_store_gets_it_while_the_app_stays_open(story: Path, tmp_path: Path) -> None:
    """The resident app holds the store open; a ``coco load`` that asks for it (``<store>.waiting``) gets it within
    the app's next check, and the app reads the new events after (``f`` on the delivery shows them)."""
    app = make_app(story, DELIVERY, interval=0.3)
    late = {"event": "delivery.note", "timestamp": "2026-11-25T10:05:00.000Z", "delivery_id": DELIVERY, "note": "arrived late"}
    path = write_lines(tmp_path / "late" / "dt=2026-11-25" / "late.log", [late])
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, timeline_of(app, DELIVERY))
        await pilot.press("f")
        load = subprocess.Popen(
            [*COCO, "load", str(path), "--store", str(story)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        await until(pilot, lambda: load.poll() is not None, timeout=60)
        assert load.returncode == 0, load.stderr.read() if load.stderr else ""
        screen = app.screen
        await until(pilot, lambda: any(r.event.name == "delivery.note" for r in screen.timeline.rows), timeout=60)
        assert any("delivery.note" in line and "↶" in line for line in screen_text(app).splitlines())


EVIL = "\x1b]0;pwned\x07\x1b[2J[red]red[/red] [@click=app.quit]quit[/] [b]bold\u202eevil"


def hostile_records() -> list[dict]:
    at = "2026-11-25T10:0{}:00.000Z"
    return [
        {"event": "demand.assigned", "timestamp": at.format(0), "delivery_id": "D-EVIL", "robot_id": "R-[b]x[/b]", "note": EVIL},
        {"event": "delivery.pickup_arrival", "timestamp": at.format(1), "delivery_id": "D-EVIL", "robot_id": "R-[b]x[/b]"},
        {
            "event": "delivery.failed",
            "timestamp": at.format(9),
            "delivery_id": "D-EVIL",
            "robot_id": "R-[b]x[/b]",
            "error": {"code": "[@click=app.quit]CODE[/]", "message": EVIL},
        },
        {"event": "robot.\x1b[31mgrounded", "timestamp": at.format(8), "robot_id": "R-[b]x[/b]", "error": {"code": "X", "message": EVIL}},
    ]


async def test_hostile_event_text_stays_text_on_every_screen() -> None:
    """Control characters are shown escaped (``\\x1b``), never sent; Textual markup in data (``[red]``,
    ``[@click=app.quit]``) is shown as typed, never run."""
    app = make_app(None, source=MemorySource(hostile_records()))
    async with app.run_test(size=(160, 48)) as pilot:
        await until(pilot, lambda: overview_ready(app))
        texts = [screen_text(app)]
        await pilot.press("enter")  # the error code
        texts.append(screen_text(app))
        await pilot.press("escape", "tab", "enter")  # the delivery
        await until(pilot, timeline_of(app, "D-EVIL"))
        await pilot.press("end")
        texts.append(screen_text(app))
        await pilot.press("question_mark")
        texts.append(screen_text(app))
        await pilot.press("escape")
        assert app.is_running and isinstance(app.screen, TimelineScreen)  # no [@click=app.quit] ran
    every = "\n".join(texts)
    assert not CONTROL.search(every.replace("\n", "")), "a control character reached the screen"
    assert "[@click=app.quit]CODE[/]" in every and "[red]red[/red]" in every and "R-[b]x[/b]" in every
    assert "\\x1b]0;pwned\\x07\\x1b[2J" in every and "\\u202e" in every and "robot.\\x1b[31mgrounded" in every


def test_the_explore_command_opens_the_source_once_and_textual_loads_only_for_it() -> None:
    """Importing the CLI does not import Textual (the explore command imports it when it runs)."""
    code = "import sys; import cocoevents.cli.app; print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env={**os.environ}, check=True).stdout
    assert out.strip() == "[]"
