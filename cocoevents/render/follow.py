"""A followed timeline on a stream (``coco timeline ID --follow``): the first build as its format writes it, then
what each poll added (``core.follow.Update``), in the same format, flushed as it comes.

- ``table``: the timeline's table, then each new row under it in the same columns. A row that arrived out of order
  is marked ``↶ late``, saying the row it belongs after; findings that appeared (``+``) or went away (``-``) and a
  change of status get a line each. Every string from data is escaped for the terminal (``render.table``).
- ``jsonl``: one row a line (timeline rules §7), as the rows arrive; a late row comes when it arrives (its ``ts``
  says where it belongs) and ``note`` (stderr) says so - stdout stays data only.
- ``csv``: the header and the rows, then each new row (fields from data neutralised unless ``csv_raw``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, TextIO

from ..core.follow import Update
from ..core.model import Timeline
from ..textsafe import for_terminal
from . import RenderOptions

FOLLOW_FORMATS = ("table", "jsonl", "csv")


class FollowWriter:
    """Writes a followed timeline to ``out``: ``start`` with the first ``Update``, ``update`` with each later one.
    ``note``: where announcements go when ``out`` carries data only (``jsonl``, ``csv``)."""

    def __init__(self, fmt: str, out: TextIO, options: RenderOptions, note: Callable[[str], None]) -> None:
        if fmt not in FOLLOW_FORMATS:
            from ..errors import UsageError

            raise UsageError(f"--follow writes {', '.join(FOLLOW_FORMATS)}; not {fmt}")
        self.fmt = fmt
        self.out = out
        self.options = options
        self.note = note
        self._layout: Any = None
        self._first: int | None = None

    def start(self, update: Update, following: bool = True) -> None:
        """The first build; ``following``: more may come (the table says how to stop)."""
        t = update.timeline
        self._first = t.start
        if self.fmt == "table":
            from .table import LineWriter, resolve_tz, shown_rows, table_width, time_format, write_table

            write_table(t, self.out, self.options)
            if t.rows:  # the columns of the first table, kept for the rows to come
                when = time_format(t, resolve_tz(self.options.tz))
                shown = shown_rows(t.rows, self.options.max_rows)[0]
                self._layout = _layout_of(t, shown, when, table_width(self.out, self.options))
            if following:
                w = LineWriter(self.out, self.options.color, self.options.width)
                w.line()
                w.line(("following: new rows appear below as they arrive (Ctrl-C stops)", "dim"))
        elif self.fmt == "jsonl":
            from .json_writer import write_jsonl

            write_jsonl(t, self.out)
        else:
            from .csv_writer import write_csv

            write_csv(t, self.out, raw=self.options.csv_raw)
        self.out.flush()

    def update(self, update: Update) -> None:
        if not update.changed:
            return
        t = update.timeline
        rows = update.rows
        late = set(update.late)
        if self.fmt == "table":
            self._table(update, late)
        elif self.fmt == "jsonl":
            from .json_writer import write_jsonl

            write_jsonl(_with_rows(t, rows), self.out)
        else:
            from .csv_writer import csv_line, csv_record

            first = self._first if self._first is not None else (t.start or 0)
            for row in rows:
                self.out.write(csv_line(csv_record(row, first, self.options.csv_raw)))
        if self.fmt != "table":
            for n in update.late:
                self.note(f"coco: late: {for_terminal(late_text(update, n))}")
            if update.status_changed:
                self.note(f"coco: status: {_status(update.status_before)} -> {_status(t.status)}")
        self.out.flush()

    def _table(self, update: Update, late: set[int]) -> None:
        from .table import FINDING_MARK, FINDING_STYLE, LineWriter, resolve_tz, table_width, time_format, write_rows

        t = update.timeline
        w = LineWriter(self.out, self.options.color, self.options.width)
        when = time_format(t, resolve_tz(self.options.tz))
        room = table_width(self.out, self.options)
        for n in update.added:
            if n in late:
                w.line(("↶ late: ", "bold magenta"), (for_terminal(late_text(update, n, when)), "magenta"))
            self._layout = write_rows(w, t, [t.rows[n]], when, room, layout=self._layout)
        for f in update.findings_added:
            w.line(
                ("+ ", FINDING_STYLE[f.severity]),
                (f"{FINDING_MARK[f.severity]} {when(f.ts)}  {f.kind}  ", FINDING_STYLE[f.severity]),
                (for_terminal(f.message), ""),
            )
        for f in update.findings_gone:
            w.line(("- ", "dim"), (f"{when(f.ts)}  {f.kind}  ", "dim"), (for_terminal(f.message), "dim"))
        if update.status_changed:
            w.line(("status: ", "bold"), (f"{_status(update.status_before)} → {_status(t.status)}", "bold"))


def _layout_of(t: Timeline, rows: list[Any], when: Any, room: int | None) -> Any:
    """The columns ``write_table`` gave the rows it showed (worked out again, writing nothing)."""
    import io

    from .table import LineWriter, write_rows

    return write_rows(LineWriter(io.StringIO(), False, None), t, rows, when, room)


def _with_rows(t: Timeline, rows: list[Any]) -> Timeline:
    return replace(t, rows=rows)


def _status(status: str | None) -> str:
    return (status or "none").replace("_", " ")


def late_text(update: Update, n: int, when: Callable[[int], str] | None = None) -> str:
    """``robot.grounded at 10:16:30.000 arrived late: it belongs after 10:15:00.000 robot.state_changed``."""
    from ..timestamps import format_ts

    show = when or (lambda us: format_ts(us) or "")
    row = update.timeline.rows[n]
    before = update.after(n)
    where = f"after {show(before.ts)} {before.event.name}" if before is not None else "first"
    return f"{row.event.name} at {show(row.ts)} arrived out of order: it belongs {where}"
