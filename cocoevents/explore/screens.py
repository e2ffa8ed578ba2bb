"""The list screens of ``coco explore``: the range's overview (errors by code, the newest deliveries), one error
code's events, and a delivery beside its nearest normal twin (``v``). A timeline's screen is ``timeline_screen``;
what screens share is ``base``.

Each screen asks the resident source (``model.Resident``) from a worker thread and draws the answer when it
comes; keys keep working meanwhile. Opening a subject pushes a screen, ``esc`` pops it (the history). Every text
from data is a ``Text`` made by ``explore.view`` (never markup), notifications are plain (``markup=False``).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Optional

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import Static

from ..textsafe import for_terminal
from . import model, view
from .base import PREFETCH_AFTER, Base, FilterBar, app_of, error_text, export_path, write_export
from .widgets import KeysFooter, LineList, ListLines

PAINT_WAIT = 1.0  # seconds a page of deliveries waits at most for the one before it to be painted


def _nothing_active(overview: model.Overview) -> str:
    """The empty deliveries list's lines: nothing active, and where the nearest events are when the range has none
    (the demo day is not today)."""
    return "\n".join(("no deliveries active in this range" + overview.elsewhere).split("; "))


# -- the overview ---------------------------------------------------------------------------------------------


class OverviewScreen(Base):
    """Errors by code and the newest deliveries of the range; ``enter`` opens the selected one."""

    BINDINGS = [
        Binding("enter", "open", "open"),
        Binding("question_mark", "app.help", "help"),
        Binding("slash", "filter", "filter"),
        Binding("tab", "app.focus_next", "other list", show=False),
        Binding("o", "export", "export"),
        Binding("escape", "back", "back", show=False),
        Binding("f", "follow_hint", "follow", show=False),
    ]

    def __init__(self, since: int, until: int, limit: int, covered: bool = False) -> None:
        super().__init__()
        self.overview = model.Overview(since, until)
        self.limit = limit
        self.loaded = False
        self.covered = covered
        self._prefetch: Optional[Timer] = None

    def compose(self) -> ComposeResult:
        app = app_of(self)
        yield Static(self._title(), id="title")
        with Vertical(id="errors-box"):
            yield Static(view.header_line(view.ERROR_HEADER, [len(h) for h in view.ERROR_HEADER]), id="errors-head", classes="head")
            yield LineList(empty="loading errors…", id="errors")
        with Vertical(id="deliveries-box"):
            yield Static(
                view.header_line(view.DELIVERY_HEADER, [len(h) for h in view.DELIVERY_HEADER]), id="deliveries-head", classes="head"
            )
            yield LineList(empty="loading deliveries…", id="deliveries")
        yield FilterBar(placeholder="filter (enter: open the match, or an id)")
        yield KeysFooter(compact=True)
        del app

    def _title(self) -> Text:
        app = app_of(self)
        o = self.overview
        when = lambda us: view.local_time(us, app.tz).strftime("%Y-%m-%d %H:%M")  # noqa: E731
        out = view.cells(("coco explore", "bold"), ("  ", ""), (f"{when(o.since)} → {when(o.until)} {view.tz_name(app.tz, o.until)}", ""))
        out.append(f"  {for_terminal(app.where)}", style="dim")
        if self.filter_text:
            out.append(f"  filter: {for_terminal(self.filter_text)}", style="bold yellow")
        return out

    def on_mount(self) -> None:
        self.query_one("#errors", LineList).focus()
        self.query_one("#errors-box").border_title = "Errors by code"
        self.query_one("#deliveries-box").border_title = "Deliveries, newest first"

    def on_screen_resume(self) -> None:
        """Load when first seen: an id on the command line covers the overview at once (``covered``), and it is not
        asked for until ``esc`` shows it, so the first timeline does not share the source with it."""
        if self.covered:
            self.covered = False
        elif not self.loaded:
            self.loaded = True
            self.load()

    def load(self) -> None:
        """The errors and the deliveries asked at the same time (the errors on the side reader), each pane drawn
        as its answer comes: the screen is up before either."""
        self.load_errors()
        self.load_deliveries()

    @work(thread=True, exclusive=True, group="overview-errors")
    def load_errors(self) -> None:
        app = app_of(self)
        try:
            app.resident.errors(self.overview, aside=True)
            app.call_from_thread(self.draw_errors)
        except Exception as e:  # the source went away: said, and the app stays usable
            app.call_from_thread(self.notify, f"coco: {error_text(e)}", severity="error", markup=False)
        finally:
            app.call_from_thread(app.loaded)

    @work(thread=True, exclusive=True, group="overview")
    def load_deliveries(self) -> None:
        """A page at a time, each on the screen before the next is built: building holds the interpreter most of
        the time, and the paint, waiting its turn, came only with the next page (at 10M, ~1 s later)."""
        app = app_of(self)
        try:
            for _ in app.resident.deliveries(self.overview, self.limit):
                painted = threading.Event()
                app.call_from_thread(self._draw_page, painted)
                painted.wait(PAINT_WAIT)
            app.call_from_thread(self.draw_deliveries)
        except Exception as e:  # the source went away: said, and the app stays usable
            app.call_from_thread(self.notify, f"coco: {error_text(e)}", severity="error", markup=False)
        finally:
            app.call_from_thread(app.loaded)

    # -- drawing ------------------------------------------------------------------------------------

    def _draw_page(self, painted: threading.Event) -> None:
        """The deliveries drawn; ``painted`` set once they are on the screen (at once when the screen is not in
        front: nothing is painted then)."""
        self.draw_deliveries()
        if self.is_current:
            self.call_after_refresh(painted.set)
        else:
            painted.set()

    def _error_groups(self) -> list[Any]:
        report = self.overview.errors
        groups = list(report.groups) if report else []
        if self.filter_text:
            groups = [g for g in groups if model.matches(self.filter_text, [c for c, _ in view.error_cells(g, app_of(self).tz)])]
        return groups

    def _delivery_rows(self) -> list[Any]:
        rows = list(self.overview.deliveries)
        if self.filter_text:
            rows = [r for r in rows if model.matches(self.filter_text, [c for c, _ in view.delivery_cells(r, app_of(self).tz)])]
        return rows

    def draw_errors(self) -> None:
        tz = app_of(self).tz
        report = self.overview.errors
        groups = self._error_groups()
        header = view.error_header(report)
        right = tuple(range(1, len(header) - 2))
        rows = [view.error_cells(g, tz) for g in groups]
        widths = view.column_widths(header, rows, limit=40)
        self.query_one("#errors-head", Static).update(view.header_line(header, widths, right))
        texts = [view.aligned(r, widths, right) for r in rows]
        listed = self.query_one("#errors", LineList)
        keep = listed.item
        all_groups = list(report.groups) if report else []
        listed.show(
            ListLines(texts, [all_groups.index(g) for g in groups]),
            keep,
            empty="no error events in this range" if report is not None else "loading errors…",
        )
        events = report.events if report else 0
        before = report.previous if report else None
        prev = "" if before is None else f" · {before.events:,} in the window before"
        self.query_one("#errors-box").border_title = f"Errors by code · {events:,} error events{prev}"

    def draw_deliveries(self) -> None:
        tz = app_of(self).tz
        rows = self._delivery_rows()
        cells = [view.delivery_cells(r, tz) for r in rows]
        widths = view.column_widths(view.DELIVERY_HEADER, cells)
        self.query_one("#deliveries-head", Static).update(view.header_line(view.DELIVERY_HEADER, widths, (5,)))
        listed = self.query_one("#deliveries", LineList)
        keep = listed.item
        every = self.overview.deliveries
        index = {id(r): n for n, r in enumerate(every)}
        listed.show(
            ListLines([view.aligned(c, widths, (5,)) for c in cells], [index[id(r)] for r in rows]),
            keep,
            empty=_nothing_active(self.overview) if self.overview.deliveries_done else "loading deliveries…",
        )
        o = self.overview
        more = "" if o.deliveries_done else " · loading…"
        of = f" of {o.active:,} active" if o.active is not None else ""
        self.query_one("#deliveries-box").border_title = f"Deliveries, newest first · {len(o.deliveries):,}{of}{more}"

    def apply_filter(self) -> None:
        self.query_one("#title", Static).update(self._title())
        self.draw_errors()
        self.draw_deliveries()

    # -- keys ----------------------------------------------------------------------------------------

    def action_open(self) -> None:
        focused = self.focused
        if isinstance(focused, LineList):
            self._open(focused, focused.item)

    @on(LineList.Selected)
    def _selected(self, event: LineList.Selected) -> None:
        event.stop()
        self._open(event.widget, event.item)

    def _open(self, listed: LineList, item: Optional[int]) -> None:
        if item is None:
            return
        if listed.id == "errors":
            report = self.overview.errors
            if report is None:
                return
            group = report.groups[item]
            self.app.push_screen(ErrorEventsScreen(group, self.overview))
        else:
            row = self.overview.deliveries[item]
            app_of(self).open(model.Subject("delivery", row.delivery_id))

    @on(LineList.Highlighted, "#deliveries")
    def _rested(self, event: LineList.Highlighted) -> None:
        if self._prefetch is not None:
            self._prefetch.stop()
        rows = self.overview.deliveries
        if event.item is not None and event.item < len(rows):
            near = [k for k in (event.item, event.item + 1, event.item - 1) if 0 <= k < len(rows)]  # the next ones a cursor reaches
            ahead = [model.Subject("delivery", rows[k].delivery_id) for k in near]
            self._prefetch = self.set_timer(PREFETCH_AFTER, lambda: app_of(self).prefetch(ahead))

    def filter_submitted(self, text: str) -> None:
        """Enter in the filter: the one delivery that matches, else the id typed (a delivery, robot, pilot, demand
        or offer id, resolved as ``coco timeline`` resolves it)."""
        rows = self._delivery_rows()
        if len(rows) == 1:
            app_of(self).open(model.Subject("delivery", rows[0].delivery_id))
        elif text and " " not in text:
            self.filter_text = ""
            self.apply_filter()
            app_of(self).open(model.Subject(None, text))
        self.focus_list()

    def action_follow_hint(self) -> None:
        self.notify("f follows a timeline: open one first", markup=False)

    def export_formats(self) -> tuple[str, ...]:
        return ("csv", "json", "jsonl")

    def export(self, fmt: str) -> tuple[Path, str]:
        from ..render import RenderOptions
        from ..render.listings import write_errors, write_listing

        app = app_of(self)
        options = RenderOptions(tz=app.tz_name)
        if self.focused is not None and self.focused.id == "errors":
            report = self.overview.errors
            if report is None:
                raise ValueError("the errors are still loading")
            path = export_path("errors", fmt)
            write_export(path, lambda fh: write_errors(report, fmt, fh, options))
            return path, f"{len(report.groups):,} error codes"
        from ..core.listings import Filters, Listing

        shown = self._delivery_rows()
        listing = Listing(self.overview.since, self.overview.until, Filters(), 0, rows=shown, matched=len(shown))
        path = export_path("deliveries", fmt)
        write_export(path, lambda fh: write_listing(listing, fmt, fh, options))
        return path, f"{len(shown):,} deliveries"


# -- one error code's events ----------------------------------------------------------------------------------


class ErrorEventsScreen(Base):
    """The events of one error code, the latest first; ``enter`` opens the event's delivery, or (none) its robot's
    day around it, or its pilot's shift."""

    BINDINGS = [
        Binding("enter", "open", "open"),
        Binding("slash", "filter", "filter"),
        Binding("o", "export", "export", show=False),
        Binding("escape", "back", "back"),
    ]
    HEADER = ("TIME", "EVENT", "DELIVERY", "ROBOT", "PILOT", "MESSAGE")

    def __init__(self, group: Any, overview: model.Overview) -> None:
        super().__init__()
        self.group = group
        self.overview = overview
        known = overview.error_events
        self.events: Optional[list[Any]] = None if known is None else known.get(group.key, [])
        self._waiting = False  # enter pressed while the events are read

    def compose(self) -> ComposeResult:
        key = self.group.key if self.group.key is not None else "(no code)"
        yield Static(view.cells(("Error ", "bold"), (key, "bold red"), (f"  {self.group.count:,} events", "dim")), id="title")
        with Vertical(id="events-box"):
            yield Static(id="events-head", classes="head")
            yield LineList(empty="loading…" if self.events is None else "no events", id="events")
        yield FilterBar(placeholder="filter")
        yield KeysFooter(compact=True)

    def _cells(self, e: Any) -> list[tuple[str, str]]:
        from ..render.describe import error_text

        tz = app_of(self).tz
        return [
            (view.local_time(e.ts, tz).strftime("%H:%M:%S"), "dim"),
            (view.safe(e.name), "bold red"),
            (view.safe(e.delivery_id or ""), "bold"),
            (view.safe(e.robot_id or ""), ""),
            (view.safe(e.pilot_id or ""), ""),
            (view.safe(error_text(e.record.get("error"))), "red"),
        ]

    def on_mount(self) -> None:
        self.query_one("#events-box").border_title = "Error events, latest first"
        self.apply_filter()
        self.focus_list()
        if self.events is None:
            self.load()

    @work(thread=True, exclusive=True, group="error-events")
    def load(self) -> None:
        """The code's events, when the overview counted them from the store's error index (not read yet)."""
        app = app_of(self)
        try:
            events = app.resident.error_events(self.overview).get(self.group.key, [])
        except Exception as e:
            app.call_from_thread(self.notify, f"coco: {error_text(e)}", severity="error", markup=False)
        else:
            app.call_from_thread(self.read, events)
        finally:
            app.call_from_thread(app.loaded)

    def read(self, events: list[Any]) -> None:
        self.events = events
        self.apply_filter()
        if self._waiting:  # enter was pressed before they came
            self._waiting = False
            self.action_open()

    def apply_filter(self) -> None:
        if self.events is None:
            return
        shown = [(n, self._cells(e)) for n, e in enumerate(self.events)]
        if self.filter_text:
            shown = [(n, c) for n, c in shown if model.matches(self.filter_text, [x for x, _ in c])]
        widths = view.column_widths(self.HEADER, [c for _, c in shown], limit=40)
        self.query_one("#events-head", Static).update(view.header_line(self.HEADER, widths))
        listed = self.query_one("#events", LineList)
        listed.show(ListLines([view.aligned(c, widths) for _, c in shown], [n for n, _ in shown]), listed.item)

    def action_open(self) -> None:
        self._open(self.query_one("#events", LineList).item)

    @on(LineList.Selected)
    def _selected(self, event: LineList.Selected) -> None:
        event.stop()
        self._open(event.item)

    def _open(self, item: Optional[int]) -> None:
        if self.events is None:
            self._waiting = True
            return
        if item is None:
            return
        e = self.events[item]
        focus = dict(focus=e.ts, focus_text=e.text)
        if e.delivery_id:
            app_of(self).open(model.Subject("delivery", e.delivery_id, **focus))
        elif e.robot_id:
            app_of(self).open(model.Subject("robot", e.robot_id, e.ts - model.DAY_AROUND, e.ts + model.DAY_AROUND, **focus))
        elif e.pilot_id:
            app_of(self).open_shift(e.pilot_id, e.ts, e.text)

    def export_formats(self) -> tuple[str, ...]:
        return ("csv", "json", "jsonl")

    def export(self, fmt: str) -> tuple[Path, str]:
        from ..core.listings import ErrorReport
        from ..render import RenderOptions
        from ..render.listings import write_errors

        app = app_of(self)
        report = ErrorReport(self.group.first or 0, self.group.last or 0, "code", [self.group])
        path = export_path(f"error-{self.group.key or 'none'}", fmt)
        write_export(path, lambda fh: write_errors(report, fmt, fh, RenderOptions(tz=app.tz_name)))
        return path, f"error code {self.group.key or '-'}"


# -- a delivery beside its twin ---------------------------------------------------------------------------------


class TwinScreen(Base):
    """``v``: a delivery beside its nearest normal twin (``core.compare.nearest_twin``, as ``coco timeline D --vs
    auto``): each transition's duration, the twin's and the difference, the biggest difference first; ``enter``
    opens the twin's timeline."""

    BINDINGS = [
        Binding("enter", "open", "twin's timeline"),
        Binding("slash", "filter", "filter"),
        Binding("o", "export", "export"),
        Binding("escape", "back", "back"),
    ]
    HEADER = ("TRANSITION", "THIS", "TWIN", "DELTA")

    def __init__(self, timeline: Any, comparison: Any) -> None:
        super().__init__()
        self.timeline = timeline
        self.comparison = comparison

    def compose(self) -> ComposeResult:
        c = self.comparison
        yield Static(
            view.cells(
                (f"Delivery {self.timeline.id}", "bold"),
                (" beside its twin ", ""),
                (c.twin, "bold"),
                (f"  ({c.chosen})", "dim"),
            ),
            id="title",
        )
        with Vertical(id="events-box"):
            yield Static(id="events-head", classes="head")
            yield LineList(empty="no transitions to compare", id="events")
        yield FilterBar(placeholder="filter")
        yield KeysFooter(compact=True)

    def _cells(self, d: Any) -> list[tuple[str, str]]:
        from ..render.table import twin_cells

        this, twin, delta, big = twin_cells(d)
        return [
            (view.safe(d.transition), "bold" if big else ""),
            (this, ""),
            (twin, "dim"),
            (delta, "bold yellow" if big else "dim"),
        ]

    def on_mount(self) -> None:
        self.query_one("#events-box").border_title = "Transitions, the biggest difference first"
        self.apply_filter()
        self.focus_list()

    def apply_filter(self) -> None:
        shown = [(n, self._cells(d)) for n, d in enumerate(self.comparison.steps)]
        if self.filter_text:
            shown = [(n, c) for n, c in shown if model.matches(self.filter_text, [x for x, _ in c])]
        widths = view.column_widths(self.HEADER, [c for _, c in shown], limit=200)
        room = (self.size.width or self.app.size.width) - 4 - sum(widths[1:]) - 2 * 3  # the box, its padding, a scrollbar
        widths[0] = max(16, min(widths[0], room))  # the transition's name gives way
        right = (1, 2, 3)
        self.query_one("#events-head", Static).update(view.header_line(self.HEADER, widths, right))
        listed = self.query_one("#events", LineList)
        listed.show(ListLines([view.aligned(c, widths, right) for _, c in shown], [n for n, _ in shown]), listed.item)

    def action_open(self) -> None:
        app = app_of(self)
        subject = model.Subject("delivery", self.comparison.twin)
        if self.comparison.twin_timeline is not None:
            app.resident.remember(subject, self.comparison.twin_timeline)
        app.open(subject)

    @on(LineList.Selected)
    def _selected(self, event: LineList.Selected) -> None:
        event.stop()
        self.action_open()

    def export_formats(self) -> tuple[str, ...]:
        return ("csv", "json", "html", "markdown")

    def export(self, fmt: str) -> tuple[Path, str]:
        """The delivery's timeline with its comparison, as ``coco timeline D --vs auto -f FMT`` writes it."""
        from dataclasses import replace

        from ..render import RenderOptions, write

        app = app_of(self)
        t = replace(self.timeline, comparison=self.comparison)
        path = export_path(f"{t.id}-vs-{self.comparison.twin}", fmt)
        write_export(path, lambda fh: write(t, fmt, fh, RenderOptions(tz=app.tz_name, max_rows=0 if fmt == "markdown" else 2000)))
        return path, f"{t.id} beside its twin {self.comparison.twin}"
