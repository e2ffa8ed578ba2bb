"""What ``coco explore``'s screens share: the key list the help shows, the ``/`` filter prompt, the base screen
(filter, export, back), the export file's name and writer, and the two dialogs (help, export format).

The screens themselves: ``screens`` (the overview, an error code's events), ``timeline_screen`` (a timeline).
"""

from __future__ import annotations

import time
from datetime import tzinfo
from pathlib import Path
from typing import Any, Optional, Sequence

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Static

from ..textsafe import for_terminal
from . import model
from .widgets import LineList

PREFETCH_AFTER = 0.1  # seconds the cursor rests on a subject before its timeline (and its neighbours') is built ahead

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


class Session(App[int]):
    """What the screens ask of the application: the resident source, the range and time zone, and moving between
    timelines. ``app.ExploreApp`` is the one session; the screens know it by this class, so they need not import
    the module that imports them."""

    resident: model.Resident
    since: int
    until: int
    tz: tzinfo
    tz_name: str
    where: str
    interval: float

    def open(self, subject: model.Subject) -> None:
        """Push ``subject``'s timeline."""
        raise NotImplementedError

    def open_shift(self, pilot: str, ts: int, text: Optional[str] = None) -> Any:
        """The pilot's shift around ``ts``, then its timeline (built in a worker)."""
        raise NotImplementedError

    def back(self, quiet: bool = False) -> None:
        """The screen before (the history)."""
        raise NotImplementedError

    def prefetch(self, subjects: Sequence[model.Subject]) -> Any:
        """Build the timelines of ``subjects`` in the background."""
        raise NotImplementedError

    def loaded(self) -> None:
        """An answer was drawn (tests and the benchmark wait on the count)."""
        raise NotImplementedError


def app_of(screen: Screen[Any]) -> Session:
    return screen.app  # type: ignore[return-value]


def error_text(e: BaseException) -> str:
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
        app_of(self).back()

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
            self.notify(f"export failed: {error_text(e)}", severity="error", markup=False)
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


# -- help and export ----------------------------------------------------------------------------------------------


class HelpScreen(ModalScreen[None]):
    """Every key, and what it does."""

    BINDINGS = [Binding("escape,q,question_mark", "app.pop_screen", "close")]

    def compose(self) -> ComposeResult:
        out = Text()
        out.append("coco explore: keys\n\n", style="bold")
        for key, what in KEYS:
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
