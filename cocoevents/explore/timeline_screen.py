"""A timeline in ``coco explore``: the header, the lanes, the rows coloured by severity with the gaps between them,
"What stands out", and the keys that move from a row to another subject (its robot's day, its pilot's shift, its
delivery, the nearest normal twin), follow and export. What screens share is ``base``.

Moving from a timeline to another (``enter``, ``r``, ``p``, ``d``) does not push a new screen: the screen keeps the
timeline it leaves (a ``Visit``: the subject, the row, the finding, the filter, a follow under way) in its own
history and draws the next one in the widgets it has, so a move costs drawing the new lines, not composing and
styling a whole screen; ``esc`` comes back to the last visit, and from the first one to the screen below.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Optional

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widgets import Static

from ..core.model import Timeline
from ..textsafe import for_terminal
from . import model, view
from .base import PREFETCH_AFTER, Base, FilterBar, app_of, error_text, export_path, write_export
from .screens import TwinScreen
from .widgets import KeysFooter, LineList, ListLines, ViewLines


@dataclass
class Visit:
    """A timeline the screen left for another, as it was: ``esc`` draws it again."""

    subject: model.Subject
    timeline: Optional[Timeline]
    row: Optional[int]
    finding: Optional[int]
    filter_text: str
    late: set[str] = field(default_factory=set)
    follower: Any = None
    follow_timer: Optional[Timer] = None
    scrolled: int = 0  # the rows' first line on screen


class TimelineScreen(Base):
    """A delivery's, robot's or pilot's timeline: the header, the lanes, the rows coloured by severity with the
    gaps between them, and "What stands out". The two lists carry their boxes themselves: a container around each
    (as the overview has) is laid out a second time whenever its height changes, which a move between timelines
    with more or fewer findings does."""

    DEFAULT_CSS = """
    TimelineScreen #rows, TimelineScreen #findings {
        border: round $primary-darken-1; border-title-color: $text; height: 1fr; padding: 0 0 0 1;
    }
    TimelineScreen #rows:focus, TimelineScreen #findings:focus { border: round $accent; }
    """

    BINDINGS = [
        Binding("enter", "open", "open", show=False),
        Binding("question_mark", "app.help", "help"),
        Binding("escape", "back", "back"),
        Binding("n", "finding(1)", "finding"),
        Binding("N", "finding(-1)", "prev finding", show=False),
        Binding("e", "error(1)", "error"),
        Binding("E", "error(-1)", "prev error", show=False),
        Binding("r", "robot", "robot"),
        Binding("p", "pilot", "pilot"),
        Binding("d", "delivery", "delivery"),
        Binding("v", "twin", "twin"),
        Binding("slash", "filter", "filter"),
        Binding("o", "export", "export"),
        Binding("f", "follow", "follow"),
    ]

    def __init__(self, subject: model.Subject, timeline: Optional[Timeline] = None) -> None:
        super().__init__()
        self.subject = subject
        self.timeline = timeline
        self.view: Optional[view.TimelineView] = None
        self.finding: Optional[int] = None  # the finding selected (position in ordered_findings)
        self.follower: Any = None
        self.follow_timer: Optional[Timer] = None
        self.late: set[str] = set()
        self._prefetch: Optional[Timer] = None
        self.history: list[Visit] = []  # the timelines left on this screen, the last one last

    def compose(self) -> ComposeResult:
        yield Static(self._loading_title(), id="title")
        yield Static(id="lanes")
        yield LineList(empty="loading…", id="rows")
        yield LineList(empty="", id="findings")
        yield FilterBar(placeholder="filter rows")
        yield KeysFooter(compact=True)

    def _loading_title(self) -> Any:
        return view.cells((f"{self.subject.kind or ''} {self.subject.id}".strip(), "bold"), ("  loading…", "dim"))

    def on_mount(self) -> None:
        self.query_one("#rows").border_title = "Rows"
        self.query_one("#findings").border_title = "What stands out"
        self._show()

    def _show(self) -> None:
        """Draw the subject: its timeline when known or remembered, else ``loading…`` and a question."""
        rows = self.query_one("#rows", LineList)
        if not rows.has_focus:  # focusing it again repaints it a frame later
            rows.focus()
        if self.timeline is None:
            self.timeline = app_of(self).resident.cached(self.subject)
        if self.timeline is not None:
            self.draw(self.timeline, first=True)
        elif self.is_mounted:  # the screen's widgets as they are composed, empty
            self.query_one("#title", Static).update(self._loading_title())
            self.query_one("#lanes", Static).update("")
            self.query_one("#rows", LineList).show(ListLines([], []), empty="loading…")
            self.query_one("#rows").border_title = "Rows"
            self.query_one("#findings", LineList).show(ListLines([], []), select=False)
            box = self.query_one("#findings")
            box.border_title, box.display, box.styles.height = "What stands out", True, None
            self.load()
        else:
            self.load()

    # -- moving on this screen ------------------------------------------------------------------------

    def go(self, subject: model.Subject, timeline: Optional[Timeline] = None) -> None:
        """Show ``subject`` here, the timeline shown now kept for ``esc`` (``back``)."""
        rows = self.query_one("#rows", LineList)
        if self.follow_timer is not None:
            self.follow_timer.pause()
        self.history.append(
            Visit(
                self.subject,
                self.timeline,
                rows.item,
                self.finding,
                self.filter_text,
                self.late,
                self.follower,
                self.follow_timer,
                rows.scroll_offset.y,
            )
        )
        self._enter(subject, timeline, "", set(), None, None)
        self._show()

    def back(self) -> bool:
        """``esc``: the timeline shown before on this screen, as it was left; whether there was one."""
        if not self.history:
            return False
        self._leave()
        v = self.history.pop()
        self._enter(v.subject, v.timeline, v.filter_text, v.late, v.follower, v.follow_timer)
        self.finding = v.finding
        if v.follow_timer is not None:
            v.follow_timer.resume()
        if self.timeline is None:
            self._show()
            return True
        rows = self.query_one("#rows", LineList)
        rows.focus()
        self.draw(self.timeline, first=True, row=v.row)
        rows.scroll_to_line(v.scrolled)  # where it was
        return True

    def begin(self, subject: model.Subject, timeline: Optional[Timeline] = None) -> None:
        """Start afresh on ``subject`` (the screen shown again from below): no history, no filter, no follow."""
        self.close()
        self._enter(subject, timeline, "", set(), None, None)
        if self.is_mounted:
            self._show()

    def close(self) -> None:
        """The screen leaves the stack: what it follows stops, its history goes."""
        self._leave()
        for v in self.history:
            if v.follow_timer is not None:
                v.follow_timer.stop()
        self.history.clear()
        if self.follow_timer is not None:
            self.follow_timer.stop()
        self.follower = self.follow_timer = None

    def _leave(self) -> None:
        """The timeline shown now is left for good: its follow stops, as it did with the screen that held it."""
        if self._prefetch is not None:
            self._prefetch.stop()
        if self.follow_timer is not None:
            self.follow_timer.stop()
        self.follower = self.follow_timer = None

    def _enter(
        self, subject: model.Subject, timeline: Optional[Timeline], text: str, late: set[str], follower: Any, timer: Optional[Timer]
    ) -> None:
        if self._prefetch is not None:
            self._prefetch.stop()
        self.subject, self.timeline, self.view, self.finding = subject, timeline, None, None
        self.filter_text, self.late, self.follower, self.follow_timer = text, late, follower, timer
        if self.is_mounted:
            bar = self.query_one(FilterBar)
            bar.value, bar.display = text, False
            self.query_one("#rows").border_subtitle = ""
            for listed in self.query(LineList):
                listed.scroll_to(0, 0, animate=False, immediate=True)

    @work(thread=True, exclusive=True, group="timeline")
    def load(self) -> None:
        app = app_of(self)
        subject = self.subject
        try:
            t = app.resident.timeline(subject)
        except Exception as e:
            app.call_from_thread(self.failed, subject, e)
        else:
            app.call_from_thread(self.arrived, subject, t)
        finally:
            app.call_from_thread(app.loaded)

    def arrived(self, subject: model.Subject, t: Timeline) -> None:
        if subject is self.subject:  # not left meanwhile
            self.draw(t, first=True)

    def failed(self, subject: model.Subject, e: BaseException) -> None:
        if subject is not self.subject:
            return
        self.notify(f"coco: {error_text(e)}", severity="error", markup=False, timeout=8)
        app_of(self).back(quiet=True)

    # -- drawing ------------------------------------------------------------------------------------

    def draw(self, t: Timeline, first: bool = False, row: Optional[int] = None) -> None:
        """Show ``t``: ``first``, on the subject's row (``row``: on that one); else keeping the row selected."""
        app = app_of(self)
        rows = self.query_one("#rows", LineList)
        keep = None
        if not first and self.timeline is not None and rows.item is not None and rows.item < len(self.timeline.rows):
            keep = self.timeline.rows[rows.item].event.text
        self.timeline = t
        self.view = view.TimelineView(t, app.tz, self.filter_text, self.late, width=self.size.width or app.size.width)
        following = f"following every {app.interval:g}s" if self.follower is not None else None
        self._update("#title", view.timeline_header(t, app.tz, following, width=self.size.width or app.size.width))
        self._update("#lanes", view.lanes_text(t, app.tz))
        if first:
            target = row if row is not None else model.focus_index(t, self.subject)
        else:
            target = next((n for n, r in enumerate(t.rows) if r.event.text == keep), rows.item or 0) if keep else (rows.item or 0)
        rows.show(
            ViewLines(self.view), target, empty="no rows match the filter" if self.filter_text else "(no events with a usable timestamp)"
        )
        if rows.item is not None and not self.query_one("#findings", LineList).has_focus:
            self.finding = self._finding_at(t, rows.item, self.finding)  # drawn with the rows, not a paint later
        n = len(self.view.lines)
        box = self.query_one("#rows")
        box.border_title = f"Rows · {len(t.rows):,}" + (
            f" · {n:,} lines match '{for_terminal(self.filter_text)}'" if self.filter_text else ""
        )
        self.draw_findings()

    def _update(self, which: str, text: Text) -> None:
        """The title or the lanes shown, laid out again only when their height may change: the lanes have two lines
        whatever they hold; the title is laid out again unless the new text takes the lines the old one took, each
        fitting the width. A layout asked for by either came a frame after the paint that showed the new rows: a
        second layout and paint."""
        static = self.query_one(which, Static)
        height, width = static.size.height, static.size.width
        lines = text.split("\n")
        fixed = static.styles.height is not None and static.styles.height.is_cells
        steady = bool(width) and (fixed or (len(lines) == height and all(line.cell_len <= width for line in lines)))
        static.update(text, layout=not steady)

    def draw_findings(self) -> None:
        t = self.timeline
        if t is None or self.view is None:
            return
        found = model.ordered_findings(t)
        box = self.query_one("#findings")
        box.border_title = view.findings_title(t)
        box.display = bool(found)
        texts = [view.finding_text(f, self.view.when) for f in found]
        listed = self.query_one("#findings", LineList)
        listed.show(ListLines(texts, list(range(len(found)))), self.finding, select=False)
        height = min(len(found), max(2, self.size.height // 5)) + 2 if found else 0
        box.styles.height = height

    def apply_filter(self) -> None:
        if self.timeline is not None:
            self.draw(self.timeline)

    # -- keys ----------------------------------------------------------------------------------------

    def _row(self) -> int:
        item = self.query_one("#rows", LineList).item
        return item if item is not None else 0

    def select_row(self, row: int) -> None:
        rows = self.query_one("#rows", LineList)
        if not rows.select_item(row) and self.filter_text:  # hidden by the filter: the filter goes
            self.filter_text = ""
            self.query_one(FilterBar).value = ""
            self.apply_filter()
            rows.select_item(row)

    def action_finding(self, step: int) -> None:
        t = self.timeline
        if t is None:
            return
        k = model.next_finding(t, self.finding, self._row(), step)
        if k is None:
            self.notify("nothing stands out in this timeline", markup=False)
            return
        self.select_row(model.finding_row(t, model.ordered_findings(t)[k]))
        self.finding = k
        self.query_one("#findings", LineList).select_item(k)

    def action_error(self, step: int) -> None:
        t = self.timeline
        if t is None:
            return
        n = model.next_error(t, self._row(), step)
        if n is None:
            self.notify("no error rows in this timeline", markup=False)
            return
        self.finding = None
        self.select_row(n)

    @on(LineList.Highlighted, "#findings")
    def _finding_highlighted(self, event: LineList.Highlighted) -> None:
        if event.widget.has_focus and event.item is not None and self.timeline is not None:
            self.finding = event.item
            self.select_row(model.finding_row(self.timeline, model.ordered_findings(self.timeline)[event.item]))

    @staticmethod
    def _finding_at(t: Timeline, row: int, current: Optional[int]) -> Optional[int]:
        """The finding to show selected with ``row`` selected: ``current`` when it is one of the row's, else the
        row's first, else none."""
        here = [k for k, f in enumerate(model.ordered_findings(t)) if model.finding_row(t, f) == row]
        return current if current in here else (here[0] if here else None)

    @on(LineList.Highlighted, "#rows")
    def _rested(self, event: LineList.Highlighted) -> None:
        if self._prefetch is not None:
            self._prefetch.stop()
        t = self.timeline
        if t is None or event.item is None:
            return
        findings = self.query_one("#findings", LineList)
        if not findings.has_focus:  # the finding of the row, if it has one, is shown selected
            found = self._finding_at(t, event.item, self.finding)
            if found != self.finding:
                self.finding = found
                findings.select_item(self.finding, center=False)
        ahead = []  # what enter, r and d would open from this row: its other delivery, its robot's day
        d = model.delivery_at(t, event.item)
        if d is not None and not (t.kind == "delivery" and d == t.id):
            ahead.append(model.Subject("delivery", d))
        day = model.robot_day(t, event.item)
        if day is not None and day.key != self.subject.key:
            ahead.append(day)
        if ahead:
            self._prefetch = self.set_timer(PREFETCH_AFTER, lambda: app_of(self).prefetch(ahead))

    def action_open(self) -> None:
        """Enter on a row: its delivery (when it is another one than this timeline's), else its robot's day."""
        t = self.timeline
        if t is None or not t.rows:
            return
        n = self._row()
        d = model.delivery_at(t, n)
        if d is not None and not (t.kind == "delivery" and d == t.id):
            app_of(self).open(model.Subject("delivery", d).at(t.rows[n]))
        else:
            self.action_robot()

    @on(LineList.Selected)
    def _selected(self, event: LineList.Selected) -> None:
        event.stop()
        if event.widget.id == "rows":
            self.action_open()

    def action_robot(self) -> None:
        t = self.timeline
        if t is None:
            return
        subject = model.robot_day(t, self._row())
        if subject is None:
            self.notify("no robot on this row", markup=False)
            return
        app_of(self).open(subject)

    def action_pilot(self) -> None:
        t = self.timeline
        if t is None or not t.rows:
            return
        n = self._row()
        pilot = model.pilot_at(t, n)
        if pilot is None:
            self.notify("no pilot on this row", markup=False)
            return
        row = t.rows[n]
        app_of(self).open_shift(pilot, row.ts, row.event.text)

    def action_delivery(self) -> None:
        t = self.timeline
        if t is None:
            return
        n = self._row()
        d = model.delivery_at(t, n)
        if d is None:
            self.notify("this row belongs to no delivery", markup=False)
            return
        if t.kind == "delivery" and d == t.id:
            self.notify(f"this is delivery {for_terminal(d)}", markup=False)
            return
        app_of(self).open(model.Subject("delivery", d).at(t.rows[n] if t.rows else None))

    def action_twin(self) -> None:
        """``v``: the delivery beside its nearest normal twin (``coco timeline D --vs auto``), on a screen of its own."""
        t = self.timeline
        if t is None:
            return
        if t.kind != "delivery":
            self.notify("v compares a delivery with its nearest normal twin: open a delivery first", markup=False)
            return
        self.query_one("#rows").border_subtitle = "v: finding the nearest normal twin…"
        self.find_twin(t)

    @work(thread=True, exclusive=True, group="twin")
    def find_twin(self, t: Timeline) -> None:
        from ..core.compare import nearest_twin

        app = app_of(self)
        opts = self.subject.options(app.resident.opts)
        try:
            found = app.resident.ask(lambda source: nearest_twin(source, t, opts))
        except Exception as e:  # none near enough (NotFound says why), or the source went away
            app.call_from_thread(self.notify, f"coco: {error_text(e)}", severity="warning", markup=False, timeout=8)
        else:
            app.call_from_thread(app.push_screen, TwinScreen(t, found))
        finally:
            app.call_from_thread(self.twin_done)

    def twin_done(self) -> None:
        self.query_one("#rows").border_subtitle = ""
        app_of(self).loaded()

    # -- follow ---------------------------------------------------------------------------------------

    def action_follow(self) -> None:
        app = app_of(self)
        t = self.timeline
        if t is None:
            return
        if self.follower is not None:
            if self.follow_timer is not None:
                self.follow_timer.stop()
            self.follower = None
            self.notify("stopped following", markup=False)
            self.draw(t)
            return
        from ..core.follow import Follower

        opts = replace(self.subject.options(app.resident.opts), until=None)
        self.follower = Follower(app.resident.source, t.id, t.kind, opts)
        self.follower.resume(t)
        self.follow_timer = self.set_interval(app.interval, self.poll)
        self.draw(t)
        self.notify(f"following {t.kind} {for_terminal(t.id)}: new rows appear as they arrive", markup=False)

    @work(thread=True, exclusive=True, group="follow")
    def poll(self) -> None:
        app = app_of(self)
        follower = self.follower
        if follower is None:
            return
        try:
            update = app.resident.ask(lambda source: follower.poll())
        except Exception as e:
            app.call_from_thread(self.notify, f"coco: follow: {error_text(e)}", severity="error", markup=False)
            return
        if update.changed:
            app.resident.forget()
            app.call_from_thread(self.followed, update, follower)

    def followed(self, update: Any, follower: Any = None) -> None:
        from ..render.follow import late_text

        t = update.timeline
        if follower is not None and follower is not self.follower:  # its timeline was left meanwhile: kept for esc
            for v in self.history:
                if v.follower is follower:
                    v.timeline = t
                    v.late.update(t.rows[n].event.text for n in update.late)
                    app_of(self).resident.remember(v.subject, t)
            return
        app_of(self).resident.remember(self.subject, t)
        for n in update.late:
            self.late.add(t.rows[n].event.text)
        self.draw(t)
        if update.added:
            self.notify(f"{len(update.added)} new row(s)", markup=False, timeout=3)
        for n in update.late:
            self.notify(for_terminal(late_text(update, n, self.view.when if self.view else None)), title="late", markup=False, timeout=8)
        for f in update.findings_added:
            self.notify(
                for_terminal(f.message),
                title=f"new finding: {f.kind}",
                severity="warning" if f.severity != "info" else "information",
                markup=False,
            )
        if update.status_changed:
            self.notify(f"status: {update.status_before} → {t.status}", markup=False, timeout=10)

    # -- export ---------------------------------------------------------------------------------------

    def export_formats(self) -> tuple[str, ...]:
        return ("csv", "json", "html", "markdown") if self.timeline is not None else ()

    def export(self, fmt: str) -> tuple[Path, str]:
        from ..render import RenderOptions, write

        app = app_of(self)
        t = self.timeline
        assert t is not None
        path = export_path(t.id, fmt)
        write_export(path, lambda fh: write(t, fmt, fh, RenderOptions(tz=app.tz_name, max_rows=0 if fmt == "markdown" else 2000)))
        return path, f"{len(t.rows):,} events"
