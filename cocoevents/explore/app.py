"""The ``coco explore`` application: one resident process over one source, screens pushed as the engineer moves.

``ExploreApp`` holds the session: the resident source (``model.Resident``), the range and time zone, and the
history (Textual's screen stack, ``esc`` pops; and on a timeline's screen, the timelines it moved through, which
``esc`` goes back along first). The overview is the bottom of the stack; an id on the command line opens its
timeline above it. One timeline screen is made once and kept (installed): opening a timeline from a list shows it
again with the new subject, and moving from a timeline to another draws the next one in it, rather than
composing a new screen each time. Keys are in each screen's footer and in ``?``.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Optional, Sequence

from textual import work
from textual.binding import Binding
from textual.worker import get_current_worker

from ..core.model import Timeline
from ..textsafe import for_terminal
from . import model
from .base import HelpScreen, Session
from .screens import OverviewScreen
from .timeline_screen import TimelineScreen

CSS = """
Screen { layout: vertical; }
#title { height: auto; padding: 0 1; }
#lanes { height: 2; padding: 0 1; }
.head { height: 1; padding: 0 0 0 1; }
#errors-box, #deliveries-box, #events-box {
    border: round $primary-darken-1; border-title-color: $text; height: 1fr; padding: 0;
}
#errors-box { height: 2fr; }
#deliveries-box { height: 3fr; }
#errors-box:focus-within, #deliveries-box:focus-within, #events-box:focus-within { border: round $accent; }
LineList { padding: 0 0 0 1; }
HelpScreen, ExportScreen { align: center middle; }
#dialog { width: 76; max-width: 100%; height: auto; max-height: 100%; border: thick $accent; background: $surface; padding: 1 2; }
"""


class ExploreApp(Session):
    """See the module docstring. ``first``: the subject the command named (its timeline already built, or
    ``None`` to build it here); without one the overview shows first."""

    CSS = CSS
    TITLE = "coco explore"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("q", "quit", "quit"),
        Binding("question_mark", "help", "help"),
        Binding("ctrl+c", "interrupt", "quit", show=False, priority=True),
    ]

    def __init__(
        self,
        resident: model.Resident,
        *,
        since: int,
        until: int,
        tz: tzinfo,
        tz_name: str = "UTC",
        where: str = "",
        first: Optional[model.Subject] = None,
        first_timeline: Optional[Timeline] = None,
        interval: float = 5.0,
        limit: int = 50,
    ) -> None:
        super().__init__()
        self.resident = resident
        self.since, self.until = since, until
        self.tz = tz
        self.tz_name = tz_name
        self.where = where
        self.first = first
        self.first_timeline = first_timeline
        self.interval = interval
        self.limit = limit
        self.settled = 0  # answers drawn so far (tests and the benchmark wait on it)
        self.timelines: Optional[TimelineScreen] = None  # the timeline screen kept between opens

    def on_mount(self) -> None:
        self.push_screen(OverviewScreen(self.since, self.until, self.limit, covered=self.first is not None))
        if self.first is not None:
            if self.first_timeline is not None:
                self.resident.remember(self.first, self.first_timeline)
            self.open(self.first, self.first_timeline)
        self.set_interval(1.0, self.let_writers_in)

    # -- moving -----------------------------------------------------------------------------------------

    def open(self, subject: model.Subject, timeline: Optional[Timeline] = None) -> None:
        """Show ``subject``'s timeline (drawn at once when it is remembered, else when built): on the timeline's
        screen in front, the next in its history; else the kept timeline screen pushed (a new one when it is
        already in the stack, below a twin's screen say)."""
        timeline = timeline or self.resident.cached(subject)
        if isinstance(self.screen, TimelineScreen):
            self.screen.go(subject, timeline)
        elif self.timelines is None:
            self.timelines = TimelineScreen(subject, timeline)
            self.install_screen(self.timelines, name="timeline")
            self.push_screen(self.timelines)
        elif self.timelines in self.screen_stack:
            self.push_screen(TimelineScreen(subject, timeline))
        else:
            self.timelines.begin(subject, timeline)
            self.push_screen(self.timelines)

    @work(thread=True, group="shift")
    def open_shift(self, pilot: str, ts: int, text: Optional[str] = None) -> None:
        """``p``: the pilot's shift around ``ts`` (found from the shift events), then its timeline."""
        try:
            subject = self.resident.pilot_shift(pilot, ts)
            subject = model.Subject(subject.kind, subject.id, subject.since, subject.until, ts, text)
            t = self.resident.timeline(subject)
        except Exception as e:
            self.call_from_thread(self.notify, f"coco: {for_terminal(str(e))}", severity="error", markup=False)
            self.call_from_thread(self.loaded)
            return
        self.call_from_thread(self.open, subject, t)

    def back(self, quiet: bool = False) -> None:
        """``esc``: the timeline before on a timeline's screen, else the screen before; on the overview, nothing
        (``q`` quits)."""
        screen = self.screen
        if isinstance(screen, TimelineScreen) and screen.back():
            return
        if len(self.screen_stack) > 2:
            if isinstance(screen, TimelineScreen):
                screen.close()
            self.pop_screen()
        elif not quiet:
            self.notify("this is the overview: q quits", markup=False, timeout=3)

    @work(thread=True, exclusive=True, group="prefetch")
    def prefetch(self, subjects: Sequence[model.Subject]) -> None:
        """Build the timelines of ``subjects`` in the background, in order (the cursor rests on the first; the others
        are next to it), so opening them is instant; the cursor moving on stops what is not started yet. A delivery
        the cursor rests on is followed by its robot's days (``model.robot_days``), before its neighbours: ``r``
        is the next key after ``enter`` in most investigations."""
        worker = get_current_worker()
        for n, subject in enumerate(subjects):
            if worker.is_cancelled:
                return
            self.resident.ahead(subject)
            t = self.resident.cached(subject) if n == 0 and subject.kind == "delivery" else None
            for day in model.robot_days(t) if t is not None else []:
                if worker.is_cancelled:
                    return
                self.resident.ahead(day)

    def loaded(self) -> None:
        self.settled += 1

    def let_writers_in(self) -> None:
        if self.resident.yield_to_writer():
            self.resident.forget()

    # -- app keys ---------------------------------------------------------------------------------------

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_quit(self) -> None:  # type: ignore[override]
        self.exit(0, return_code=0)

    def action_interrupt(self) -> None:
        self.exit(130, return_code=130)
