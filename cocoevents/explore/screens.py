"""The screens of ``coco explore``: the range's overview, one error code's events, a timeline, help and export.

Each screen asks the resident source (``model.Resident``) from a worker thread and draws the answer when it
comes; keys keep working meanwhile. Opening a subject pushes a screen, ``esc`` pops it (the history). Every text
from data is a ``Text`` made by ``explore.view`` (never markup), notifications are plain (``markup=False``).
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Static

from ..core.model import Timeline
from ..textsafe import for_terminal
from . import model, view
from .widgets import LineList, ListLines, ViewLines

if TYPE_CHECKING:
    from .app import ExploreApp

PREFETCH_AFTER = 0.25  # seconds the cursor rests on a subject before its timeline is built in the background

# Every key, as the help lists them (the footer shows those of the screen in front).
KEYS = (
    ("enter", "open the selected error, delivery or row's subject"),
    ("esc", "back (the history); with a filter on, clear it first"),
    ("n / N", "next / previous finding (What stands out)"),
    ("e / E", "next / previous error row"),
    ("r", "the robot's day around the selected row"),
    ("p", "the pilot's shift around the selected row"),
    ("d", "the delivery of the selected row"),
    ("v", "compare with the nearest normal twin"),
    ("/", "filter the rows (enter: open the one match, or an id)"),
    ("o", "export the current view to a file (csv, json, html, markdown)"),
    ("f", "follow: add rows as new events arrive (again: stop)"),
    ("tab", "the other list (overview)"),
    ("↑ ↓ pgup pgdn home end", "move"),
    ("?", "this help"),
    ("q", "quit"),
)


def _app(screen: Screen[Any]) -> ExploreApp:
    return screen.app  # type: ignore[return-value]


def _error_text(e: BaseException) -> str:
    return for_terminal(str(e).splitlines()[0] if str(e) else type(e).__name__)


class FilterBar(Input):
    """The ``/`` prompt: filters as you type; enter opens; esc closes."""

    DEFAULT_CSS = "FilterBar { dock: bottom; height: 1; border: none; padding: 0 1; display: none; }"
    BINDINGS = [Binding("escape", "close", "close", show=False)]

    def action_close(self) -> None:
        self.value = ""
        self.display = False
        self.screen.focus_list()  # type: ignore[attr-defined]


class Base(Screen[None]):
    """What the screens share: the filter prompt, the export key, the app's worker of questions."""

    filter_text = ""

    def focus_list(self) -> None:
        lists = list(self.query(LineList))
        if lists:
            lists[0].focus()

    def action_filter(self) -> None:
        bar = self.query_one(FilterBar)
        bar.display = True
        bar.value = self.filter_text
        bar.focus()

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        self.apply_filter()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.query_one(FilterBar).display = False
        self.filter_submitted(event.value.strip())

    def apply_filter(self) -> None: ...

    def filter_submitted(self, text: str) -> None:
        self.focus_list()

    def action_back(self) -> None:
        if self.filter_text:
            self.filter_text = ""
            self.query_one(FilterBar).value = ""
            self.apply_filter()
            return
        _app(self).back()

    def action_export(self) -> None:
        formats = self.export_formats()
        if not formats:
            self.notify("nothing to export yet", severity="warning", markup=False)
            return
        self.app.push_screen(ExportScreen(formats), self._export)

    def export_formats(self) -> tuple[str, ...]:
        return ()

    def _export(self, fmt: Optional[str]) -> None:
        if fmt is None:
            return
        try:
            path, what = self.export(fmt)
        except Exception as e:  # a folder not writable...: said, never fatal
            self.notify(f"export failed: {_error_text(e)}", severity="error", markup=False)
            return
        self.notify(f"wrote {what} to {for_terminal(str(path))}", title="exported", markup=False, timeout=8)

    def export(self, fmt: str) -> tuple[Path, str]:
        raise NotImplementedError


def export_path(stem: str, fmt: str) -> Path:
    """A new file in the current folder: ``coco-<what>-<local time>.<ext>``."""
    ext = {"markdown": "md", "jsonl": "jsonl"}.get(fmt, fmt)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in stem)[:80]
    path = Path.cwd() / f"coco-{safe}-{time.strftime('%Y%m%dT%H%M%S')}.{ext}"
    n = 1
    while path.exists():
        n += 1
        path = path.with_name(f"coco-{safe}-{time.strftime('%Y%m%dT%H%M%S')}-{n}.{ext}")
    return path


def write_export(path: Path, emit: Any) -> None:
    from ..cli.timeline_cmd import write_file  # the CLI's atomic -o writer

    write_file(path, emit)


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
        app = _app(self)
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
        yield Footer(compact=True)
        del app

    def _title(self) -> Text:
        app = _app(self)
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

    @work(thread=True, exclusive=True, group="overview")
    def load(self) -> None:
        app = _app(self)
        try:
            app.resident.errors(self.overview)
            app.call_from_thread(self.draw_errors)
            for _ in app.resident.deliveries(self.overview, self.limit):
                app.call_from_thread(self.draw_deliveries)
            app.call_from_thread(self.draw_deliveries)
        except Exception as e:  # the source went away: said, and the app stays usable
            app.call_from_thread(self.notify, f"coco: {_error_text(e)}", severity="error", markup=False)
        finally:
            app.call_from_thread(app.loaded)

    # -- drawing ------------------------------------------------------------------------------------

    def _error_groups(self) -> list[Any]:
        report = self.overview.errors
        groups = list(report.groups) if report else []
        if self.filter_text:
            groups = [g for g in groups if model.matches(self.filter_text, [c for c, _ in view.error_cells(g, _app(self).tz, None)])]
        return groups

    def _delivery_rows(self) -> list[Any]:
        rows = list(self.overview.deliveries)
        if self.filter_text:
            rows = [r for r in rows if model.matches(self.filter_text, [c for c, _ in view.delivery_cells(r, _app(self).tz)])]
        return rows

    def draw_errors(self) -> None:
        tz = _app(self).tz
        report = self.overview.errors
        groups = self._error_groups()
        header = view.error_header(self.overview.previous)
        right = tuple(range(1, len(header) - 2))
        rows = [view.error_cells(g, tz, self.overview.previous) for g in groups]
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
        prev = "" if self.overview.previous is None else " · PREV: the window before"
        self.query_one("#errors-box").border_title = f"Errors by code · {events:,} error events{prev}"

    def draw_deliveries(self) -> None:
        tz = _app(self).tz
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
            empty="no deliveries active in this range" if self.overview.deliveries_done else "loading deliveries…",
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
            self.app.push_screen(ErrorEventsScreen(group, self.overview.error_events.get(group.key, [])))
        else:
            row = self.overview.deliveries[item]
            _app(self).open(model.Subject("delivery", row.delivery_id))

    @on(LineList.Highlighted, "#deliveries")
    def _rested(self, event: LineList.Highlighted) -> None:
        if self._prefetch is not None:
            self._prefetch.stop()
        if event.item is not None and event.item < len(self.overview.deliveries):
            subject = model.Subject("delivery", self.overview.deliveries[event.item].delivery_id)
            self._prefetch = self.set_timer(PREFETCH_AFTER, lambda: _app(self).prefetch(subject))

    def filter_submitted(self, text: str) -> None:
        """Enter in the filter: the one delivery that matches, else the id typed (a delivery, robot, pilot, demand
        or offer id, resolved as ``coco timeline`` resolves it)."""
        rows = self._delivery_rows()
        if len(rows) == 1:
            _app(self).open(model.Subject("delivery", rows[0].delivery_id))
        elif text and " " not in text:
            self.filter_text = ""
            self.apply_filter()
            _app(self).open(model.Subject(None, text))
        self.focus_list()

    def action_follow_hint(self) -> None:
        self.notify("f follows a timeline: open one first", markup=False)

    def export_formats(self) -> tuple[str, ...]:
        return ("csv", "json", "jsonl")

    def export(self, fmt: str) -> tuple[Path, str]:
        from ..render import RenderOptions
        from ..render.listings import write_errors, write_listing

        app = _app(self)
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

    def __init__(self, group: Any, events: list[Any]) -> None:
        super().__init__()
        self.group = group
        self.events = events

    def compose(self) -> ComposeResult:
        key = self.group.key if self.group.key is not None else "(no code)"
        yield Static(view.cells(("Error ", "bold"), (key, "bold red"), (f"  {self.group.count:,} events", "dim")), id="title")
        with Vertical(id="events-box"):
            yield Static(id="events-head", classes="head")
            yield LineList(empty="no events", id="events")
        yield FilterBar(placeholder="filter")
        yield Footer(compact=True)

    def _cells(self, e: Any) -> list[tuple[str, str]]:
        from ..render.describe import error_text

        tz = _app(self).tz
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

    def apply_filter(self) -> None:
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
        if item is None:
            return
        e = self.events[item]
        focus = dict(focus=e.ts, focus_text=e.text)
        if e.delivery_id:
            _app(self).open(model.Subject("delivery", e.delivery_id, **focus))
        elif e.robot_id:
            _app(self).open(model.Subject("robot", e.robot_id, e.ts - model.DAY_AROUND, e.ts + model.DAY_AROUND, **focus))
        elif e.pilot_id:
            _app(self).open_shift(e.pilot_id, e.ts, e.text)

    def export_formats(self) -> tuple[str, ...]:
        return ("csv", "json", "jsonl")

    def export(self, fmt: str) -> tuple[Path, str]:
        from ..core.listings import ErrorReport
        from ..render import RenderOptions
        from ..render.listings import write_errors

        app = _app(self)
        report = ErrorReport(self.group.first or 0, self.group.last or 0, "code", [self.group])
        path = export_path(f"error-{self.group.key or 'none'}", fmt)
        write_export(path, lambda fh: write_errors(report, fmt, fh, RenderOptions(tz=app.tz_name)))
        return path, f"error code {self.group.key or '-'}"


# -- a timeline -----------------------------------------------------------------------------------------------


class TimelineScreen(Base):
    """A delivery's, robot's or pilot's timeline: the header, the lanes, the rows coloured by severity with the
    gaps between them, and "What stands out"."""

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

    def check_action(self, action: str, parameters: tuple[object, ...]) -> Optional[bool]:
        if action == "twin":
            return _app(self).twin_available()  # hidden (and off) until a twin can be found
        return True

    def compose(self) -> ComposeResult:
        yield Static(view.cells((f"{self.subject.kind or ''} {self.subject.id}".strip(), "bold"), ("  loading…", "dim")), id="title")
        yield Static(id="lanes")
        with Vertical(id="rows-box"):
            yield LineList(empty="loading…", id="rows")
        with Vertical(id="findings-box"):
            yield LineList(empty="", id="findings")
        yield FilterBar(placeholder="filter rows")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#rows", LineList).focus()
        self.query_one("#rows-box").border_title = "Rows"
        self.query_one("#findings-box").border_title = "What stands out"
        if self.timeline is not None:
            self.draw(self.timeline, first=True)
        else:
            found = _app(self).resident.cached(self.subject)
            if found is not None:
                self.draw(found, first=True)
            else:
                self.load()

    @work(thread=True, exclusive=True, group="timeline")
    def load(self) -> None:
        app = _app(self)
        try:
            t = app.resident.timeline(self.subject)
        except Exception as e:
            app.call_from_thread(self.failed, e)
        else:
            app.call_from_thread(self.draw, t, True)
        finally:
            app.call_from_thread(app.loaded)

    def failed(self, e: BaseException) -> None:
        self.notify(f"coco: {_error_text(e)}", severity="error", markup=False, timeout=8)
        _app(self).back(quiet=True)

    # -- drawing ------------------------------------------------------------------------------------

    def draw(self, t: Timeline, first: bool = False) -> None:
        app = _app(self)
        rows = self.query_one("#rows", LineList)
        keep = None
        if not first and self.timeline is not None and rows.item is not None and rows.item < len(self.timeline.rows):
            keep = self.timeline.rows[rows.item].event.text
        self.timeline = t
        self.view = view.TimelineView(t, app.tz, self.filter_text, self.late, width=self.size.width or app.size.width)
        following = f"following every {app.interval:g}s" if self.follower is not None else None
        self.query_one("#title", Static).update(view.timeline_header(t, app.tz, following, width=self.size.width or app.size.width))
        self.query_one("#lanes", Static).update(view.lanes_text(t, app.tz))
        if first:
            target = model.focus_index(t, self.subject)
        else:
            target = next((n for n, r in enumerate(t.rows) if r.event.text == keep), rows.item or 0) if keep else (rows.item or 0)
        rows.show(
            ViewLines(self.view), target, empty="no rows match the filter" if self.filter_text else "(no events with a usable timestamp)"
        )
        n = len(self.view.lines)
        box = self.query_one("#rows-box")
        box.border_title = f"Rows · {len(t.rows):,}" + (
            f" · {n:,} lines match '{for_terminal(self.filter_text)}'" if self.filter_text else ""
        )
        self.draw_findings()

    def draw_findings(self) -> None:
        t = self.timeline
        if t is None or self.view is None:
            return
        found = model.ordered_findings(t)
        box = self.query_one("#findings-box")
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

    def _select_row(self, row: int) -> None:
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
        self._select_row(model.finding_row(t, model.ordered_findings(t)[k]))
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
        self._select_row(n)

    @on(LineList.Highlighted, "#findings")
    def _finding_highlighted(self, event: LineList.Highlighted) -> None:
        if event.widget.has_focus and event.item is not None and self.timeline is not None:
            self.finding = event.item
            self._select_row(model.finding_row(self.timeline, model.ordered_findings(self.timeline)[event.item]))

    @on(LineList.Highlighted, "#rows")
    def _rested(self, event: LineList.Highlighted) -> None:
        if self._prefetch is not None:
            self._prefetch.stop()
        t = self.timeline
        if t is None or event.item is None:
            return
        findings = self.query_one("#findings", LineList)
        if not findings.has_focus:  # the finding of the row, if it has one, is shown selected
            here = [k for k, f in enumerate(model.ordered_findings(t)) if model.finding_row(t, f) == event.item]
            if self.finding not in here:
                self.finding = here[0] if here else None
                findings.select_item(self.finding, center=False)
        d = model.delivery_at(t, event.item)
        if d is not None and not (t.kind == "delivery" and d == t.id):
            subject = model.Subject("delivery", d)
            self._prefetch = self.set_timer(PREFETCH_AFTER, lambda: _app(self).prefetch(subject))

    def action_open(self) -> None:
        """Enter on a row: its delivery (when it is another one than this timeline's), else its robot's day."""
        t = self.timeline
        if t is None or not t.rows:
            return
        n = self._row()
        d = model.delivery_at(t, n)
        if d is not None and not (t.kind == "delivery" and d == t.id):
            _app(self).open(model.Subject("delivery", d).at(t.rows[n]))
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
        _app(self).open(subject)

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
        _app(self).open_shift(pilot, row.ts, row.event.text)

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
        _app(self).open(model.Subject("delivery", d).at(t.rows[n] if t.rows else None))

    def action_twin(self) -> None:
        if self.timeline is not None:
            _app(self).open_twin(self.timeline)

    # -- follow ---------------------------------------------------------------------------------------

    def action_follow(self) -> None:
        app = _app(self)
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
        app = _app(self)
        follower = self.follower
        if follower is None:
            return
        try:
            update = app.resident.ask(lambda source: follower.poll())
        except Exception as e:
            app.call_from_thread(self.notify, f"coco: follow: {_error_text(e)}", severity="error", markup=False)
            return
        if update.changed:
            app.resident.forget()
            app.resident.remember(self.subject, update.timeline)
            app.call_from_thread(self.followed, update)

    def followed(self, update: Any) -> None:
        from ..render.follow import late_text

        t = update.timeline
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

        app = _app(self)
        t = self.timeline
        assert t is not None
        path = export_path(t.id, fmt)
        write_export(path, lambda fh: write(t, fmt, fh, RenderOptions(tz=app.tz_name, max_rows=0 if fmt == "markdown" else 2000)))
        return path, f"{len(t.rows):,} events"


# -- help and export ----------------------------------------------------------------------------------------------


class HelpScreen(ModalScreen[None]):
    """Every key, and what it does."""

    BINDINGS = [Binding("escape,q,question_mark", "app.pop_screen", "close")]

    def compose(self) -> ComposeResult:
        out = Text()
        out.append("coco explore: keys\n\n", style="bold")
        for key, what in KEYS:
            if key == "v" and not _app(self).twin_available():
                continue
            out.append(f"  {key:<24}", style="bold cyan")
            out.append(f"{what}\n")
        out.append("\nesc, q or ? closes this help", style="dim")
        with Vertical(id="dialog"):
            yield Static(out)


class ExportScreen(ModalScreen[Optional[str]]):
    """Which format to export the view in: one key each."""

    BINDINGS = [Binding("escape,q", "cancel", "cancel")]
    LETTERS = {"csv": "c", "json": "j", "jsonl": "l", "html": "h", "markdown": "m"}

    def __init__(self, formats: tuple[str, ...]) -> None:
        super().__init__()
        self.formats = formats

    def compose(self) -> ComposeResult:
        out = Text()
        out.append("Export this view to a file in the current folder\n\n", style="bold")
        for fmt in self.formats:
            out.append(f"  {self.LETTERS[fmt]}", style="bold cyan")
            out.append(f"  {fmt}\n")
        out.append("\nesc: cancel", style="dim")
        with Vertical(id="dialog"):
            yield Static(out)

    def on_key(self, event: Any) -> None:
        for fmt in self.formats:
            if event.key == self.LETTERS[fmt]:
                event.stop()
                self.dismiss(fmt)

    def action_cancel(self) -> None:
        self.dismiss(None)
