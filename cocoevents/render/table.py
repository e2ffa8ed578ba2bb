"""The human view: a header that tells the story, then one line per event, gaps between.

Layout is computed here as plain text, so the colourless output (``NO_COLOR``,
``--no-color``, ``TERM=dumb``, a pipe) needs no terminal library; colour is
added with rich only when asked for. Long timelines show their first and last
rows and every error row (errors are never cut), with notes counting what was
cut by severity and saying how to get all of it. Lines fit the terminal's width
(``COLUMNS``, or the terminal's size): the details column is clipped first.

Every string that comes from data (names, ids, errors, payload values) passes
through ``textsafe.for_terminal`` before it is printed: control characters are
shown, never sent to the terminal.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any, Optional, TextIO

from ..core.model import Lane, Row, Timeline
from ..errors import UsageError
from ..textsafe import for_terminal
from ..timestamps import duration_text
from ..timestamps import resolve_tz as _zone
from . import RenderOptions
from .columns import first_items, terminal_width, wrap
from .describe import describe, finding_counts_text, judged, plural

MAX_WINDOWS = 12
MAX_DELIVERIES = 16
LANE_COLORS = ("cyan", "magenta", "blue", "green", "bright_cyan", "bright_magenta", "bright_blue", "bright_green")
SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": ""}
STATUS_STYLE = {"failed": "bold white on red", "fulfilled": "bold green", "canceled": "bold yellow", "in_progress": "bold cyan"}


def resolve_tz(name: str) -> tzinfo:
    try:
        return _zone(name)
    except ValueError as e:
        raise UsageError(f"--tz: {e}") from None


def lane_style(lane: Lane) -> str:
    """A stable colour per lane (same lane, same colour, every run)."""
    if lane.kind == "delivery":
        return "bold"
    return LANE_COLORS[zlib.crc32(str(lane).encode()) % len(LANE_COLORS)]


def offset_text(us: int) -> str:
    """``+MM:SS`` under an hour, ``+H:MM:SS`` beyond."""
    s = us // 1_000_000
    if s < 3600:
        return f"+{s // 60:02d}:{s % 60:02d}"
    return f"+{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def detail(row: Row) -> str:
    """A compact description: error, state change, reason, then other payload fields (``render.text``)."""
    return describe(row.event.record)


def key_ids(row: Row, t: Timeline) -> str:
    e = row.event
    shown = []
    for value, skip in (
        (e.delivery_id, t.kind == "delivery" or row.lane.kind == "delivery"),
        (e.robot_id, row.lane == Lane("robot", e.robot_id)),
        (e.pilot_id, row.lane == Lane("pilot", e.pilot_id)),
        (e.demand_id, False),
        (e.offer_id, False),
    ):
        if value and not skip:
            shown.append(value)
    return " ".join(shown)


class LineWriter:
    """Writes lines, styled with rich when colour is on, as plain text otherwise."""

    def __init__(self, out: TextIO, color: bool, width: int | None) -> None:
        self.out = out
        self.console = None
        if color:
            from rich.console import Console

            self.console = Console(file=out, force_terminal=True, highlight=False, soft_wrap=True, width=width)

    def line(self, *pieces: tuple[str, str]) -> None:
        pieces = tuple((for_terminal(text), style) for text, style in pieces)  # idempotent: a second guard
        if self.console is None:
            self.out.write("".join(text for text, _ in pieces).rstrip() + "\n")
            return
        from rich.text import Text

        text = Text()
        for piece, style in pieces:
            text.append(piece, style=style or None)
        text.rstrip()
        self.console.print(text)


def time_format(t: Timeline, tz: tzinfo) -> Any:
    """``when(us, full=False)``: a row's time in ``tz`` - with the date when the rows span several days - or,
    ``full``, the whole date and time."""
    if tz is timezone.utc:  # rows are in time order: the first and the last tell
        multi_day = bool(t.rows) and t.rows[0].ts // 86_400_000_000 != t.rows[-1].ts // 86_400_000_000
    else:
        multi_day = len({local_time(r.ts, tz).date() for r in t.rows}) > 1

    def when(us: int, full: bool = False) -> str:
        dt = local_time(us, tz)
        if full:
            return dt.strftime("%Y-%m-%d %H:%M:%S")
        return dt.strftime("%m-%d %H:%M:%S" if multi_day else "%H:%M:%S") + f".{dt.microsecond // 1000:03d}"

    return when


def write_table(t: Timeline, out: TextIO, o: RenderOptions) -> None:
    tz = resolve_tz(o.tz)
    w = LineWriter(out, o.color, o.width)
    s = t.summary
    when = time_format(t, tz)

    title = {"delivery": "Delivery", "robot": "Robot", "pilot": "Pilot"}[t.kind]
    head: list[tuple[str, str]] = [(f"{title} {for_terminal(t.id)}", "bold")]
    if t.status:
        head += [("  ", ""), (f" {t.status.upper().replace('_', ' ')} ", STATUS_STYLE.get(t.status, "bold"))]
    w.line(*head)
    tz_name = "UTC" if tz is timezone.utc else str(getattr(tz, "key", None) or local_time(t.start or 0, tz).tzname())
    if t.start is not None and t.end is not None:
        w.line(
            ("  ", ""),
            (f"{when(t.start, True)} → {when(t.end, True)} {tz_name}", ""),
            (f"  ({duration_text((t.end - t.start) / 1e6)})", "dim"),
        )
    if t.since is not None or t.until is not None:
        w.line(
            ("  range ", "dim"),
            (
                f"{when(t.since, True) if t.since is not None else '…'} → {when(t.until, True) if t.until is not None else '…'} {tz_name}",
                "dim",
            ),
        )
    room = table_width(out, o)
    for label, names in (("robots", robot_path(t)), ("pilots", ", ".join(t.pilots))):
        for k, line in enumerate(wrap(for_terminal(names), room, 10) if names else []):
            w.line((f"  {label}  " if k == 0 else " " * 10, "dim"), (line, ""))
    _deliveries(w, o.deliveries, room)
    _windows(w, t, when)
    errors, warnings = judged(s)
    counts = [
        (plural(s["events"], "event"), ""),
        (" · ", "dim"),
        (plural(errors, "error"), "bold red" if errors else ""),
        (" · ", "dim"),
        (plural(warnings, "warning"), "yellow" if warnings else ""),
        (" · ", "dim"),
        (f"{plural(s['gaps'], 'gap')} > {duration_text(t.gap_threshold_us / 1e6)}", "yellow" if s["gaps"] else ""),
    ]
    if s["duplicates_removed"]:
        counts += [(" · ", "dim"), (f"{plural(s['duplicates_removed'], 'duplicate')} removed", "dim")]
    if s["unplaced"]:
        counts += [(" · ", "dim"), (f"{s['unplaced']:,} unplaced", "yellow")]
    w.line(("  ", ""), *counts)
    w.line()

    shown, cuts = shown_rows(t.rows, o.max_rows)
    write_rows(w, t, shown, when, room, cuts)
    if not t.rows:
        w.line(("  (no events with a usable timestamp)", "yellow"))
    if t.unplaced:
        w.line()
        w.line((f"⚠ {len(t.unplaced):,} event(s) without a usable timestamp (not placed in time):", "bold yellow"))
        for e in t.unplaced:
            ts = e.record.get("timestamp", "<missing>")
            w.line(
                ("  ", ""),
                (for_terminal(e.name or "?"), "yellow"),
                (f"  timestamp={for_terminal(json.dumps(ts, default=str, ensure_ascii=False))}", "dim"),
                (f"  {for_terminal(detail(Row(e, Lane('unplaced'), e.severity, None)))}", "dim"),
            )
    _write_findings(t, w, when, room)
    _write_comparison(t, w, room)


def write_rows(
    w: LineWriter,
    t: Timeline,
    rows: list[Row],
    when: Any,
    room: int | None,
    cuts: dict[int, str] | None = None,
    layout: RowLayout | None = None,
) -> RowLayout:
    """The lines of ``rows`` (of ``t``), each gap of ``t`` before the row it ends, and the notes ``cuts`` places
    before rows; ``layout``: the columns of an earlier call (``--follow`` appends rows under the first table), else
    worked out from these rows and ``room`` (the width to fit). Returns the layout used."""
    cuts = cuts or {}
    first = t.start or 0
    cells = [
        (
            r,
            when(r.ts),
            offset_text(r.ts - first),
            for_terminal(str(r.lane)),
            for_terminal(r.event.name),
            for_terminal(key_ids(r, t)),
            for_terminal(detail(r)),
        )
        for r in rows
    ]
    fit = layout or row_layout([c[1:6] for c in cells], room)
    gap_set = {g.before for g in t.gaps}
    for n, (r, ts, off, lane, name, ids, det) in enumerate(cells):
        if n in cuts:
            for k, line in enumerate(wrap(cuts[n], room, 4)):
                w.line(("  ⋮ " if k == 0 else "    ", "yellow"), (line, "yellow"))
        if r.ts in gap_set and r.gap_before_us is not None and r.gap_before_us > t.gap_threshold_us:
            w.line(("  ", ""), (f"·· no events for {duration_text(r.gap_before_us / 1e6)} ··", "bold yellow"))
        sev = SEVERITY_STYLE[r.severity]
        mark = {"error": "✖", "warning": "!", "info": " "}[r.severity]
        ids_cell = f"{_whole_ids(ids, fit.ids).ljust(fit.ids)}  " if fit.ids else ""
        below = ""  # an error's code and message when they do not fit beside the row: on a line of their own
        if fit.details is not None:
            code = _error_code(r) if det.startswith(_error_code(r) or "\0") else ""
            room_here = fit.details
            if code and len(det) > room_here and len(code) + 2 > room_here and fit.ids:  # the ids give way to the code
                room_here, ids_cell = room_here + fit.ids + 2, ""
            if code and len(det) > room_here and len(code) + 2 + MIN_DETAILS > room_here:  # too little of it would show
                det, below = "", det
            else:
                det = _clip(det, room_here) if room_here >= 2 else ""
        w.line(
            (f"{ts.ljust(fit.time)}  ", "dim"),
            (f"{off.rjust(fit.offset)}  " if fit.offset else "", "dim"),
            (f"{lane.ljust(fit.lane)}  ", lane_style(r.lane)),
            (f"{mark} ", sev),
            (f"{_clip(name, fit.name).ljust(fit.name)}  ", sev),
            (ids_cell, ""),
            (det, "red" if r.severity == "error" else "dim"),
        )
        if below:
            indent = fit.time + 2
            w.line((" " * indent + "↳ ", "dim"), (_clip(below, max((room or 0) - indent - 2, len(_error_code(r)) + 1)), "red"))
    return fit


MAX_NAME = 32  # an event name longer than this (none of the registry's) may be clipped to fit
MIN_DETAILS = 12  # the room the details keep before the offset and ids columns give way


@dataclass(frozen=True)
class RowLayout:
    """Column widths of the timeline's rows; ``offset`` or ``ids`` 0 when dropped, ``details`` the room left
    (``None``: no width to fit)."""

    time: int
    offset: int
    lane: int
    name: int
    ids: int
    details: Optional[int]


def row_layout(cells: list[tuple[str, str, str, str, str]], room: Optional[int]) -> RowLayout:
    """Fit the rows to ``room``: the time, lane and event name stay whole (the registry's names are at most 26
    characters; a longer one is clipped, to no less than ``MAX_NAME``, only as far as the ids and details need); the
    details are clipped first, down to ``MIN_DETAILS``; then the offset goes, then the ids shrink and go."""
    time, offset, lane, name, ids = (max((len(c[i]) for c in cells), default=0) for i in range(5))
    ids = min(ids, 28)
    if room is None:
        return RowLayout(time, offset, lane, name, ids, None)
    name = min(name, max(MAX_NAME, room - (time + 2 + lane + 2 + 2) - 2 - (ids + 2 if ids else 0) - MIN_DETAILS))
    fixed = time + 2 + lane + 2 + 2 + name + 2  # time, lane, mark, name with their gaps
    if fixed + offset + 2 + ids + 2 + MIN_DETAILS > room:
        offset = 0
    else:
        fixed += offset + 2
    ids = max(0, min(ids, room - fixed - 2 - MIN_DETAILS))
    if ids < 6:  # too narrow to say anything: the column goes
        ids = 0
    return RowLayout(time, offset, lane, name, ids, room - fixed - (ids + 2 if ids else 0))


def _whole_ids(ids: str, width: int) -> str:
    """The row's ids in ``width``: the first ones whole and how many more (``DM-12345 +1``); clipped with ``…``
    only when not even the first fits."""
    shown = first_items(ids, width, " ")
    return shown if len(shown) <= width else _clip(ids, width)


def _error_code(row: Row) -> str:
    """The row's ``error.code`` as the details show it first ('' when none): the part never cut."""
    error = row.event.record.get("error")
    code = error.get("code") if isinstance(error, dict) else None
    return for_terminal(str(code)) if code not in (None, "") else ""


def _deliveries(w: LineWriter, deliveries: tuple[tuple[str, str], ...], room: Optional[int] = None) -> None:
    """A robot's deliveries in the range, with their status, as many a line as fit (at most 4)."""
    longest = max((len(for_terminal(d)) + len(status) + 3 for d, status in deliveries), default=0)
    per_line = 4 if room is None else max(1, min(4, (room - 14 + 2) // max(longest, 1)))
    for n in range(0, min(len(deliveries), MAX_DELIVERIES), per_line):
        pieces: list[tuple[str, str]] = [("  deliveries  " if n == 0 else "              ", "dim")]
        for i, (d, status) in enumerate(deliveries[n : n + per_line]):
            pieces += [
                (", " if i else "", "dim"),
                (for_terminal(d), "bold"),
                (f" {status.replace('_', ' ')}", STATUS_STYLE.get(status, "").replace("bold white on red", "red")),
            ]
        w.line(*pieces)
    if len(deliveries) > MAX_DELIVERIES:
        w.line(("              ", ""), (f"… {len(deliveries) - MAX_DELIVERIES} more (coco deliveries --robot ID lists all)", "dim"))


def shown_rows(rows: list[Row], max_rows: int) -> tuple[list[Row], dict[int, str]]:
    """The rows the table shows - the first and last ``max_rows / 2``, and every error row between - and,
    by position in the shown rows, the note for each run of rows cut before it (counted by severity)."""
    if not max_rows or len(rows) <= max_rows:
        return rows, {}
    half = max_rows // 2
    n = len(rows)
    # the rows kept: the first and last ``half``, and the errors between (found in one pass, not row by row)
    middle = [i for i in range(half, n - half) if rows[i].severity == "error"]
    kept = [*range(half), *middle, *range(n - half, n)]
    hidden = n - len(kept)
    shown: list[Row] = []
    cuts: dict[int, str] = {}
    run: dict[str, int] = {}
    prev = -1
    for i in kept:
        r = rows[i]
        if i > prev + 1:  # cut rows are never errors
            severities = [cut.severity for cut in rows[prev + 1 : i]]
            for k in ("warning", "info"):
                if severities.count(k):
                    run[k] = run.get(k, 0) + severities.count(k)
        prev = i
        if run:
            by = ", ".join(plural(run[k], k) for k in ("warning", "info") if run.get(k))
            cuts[len(shown)] = (
                f"{sum(run.values()):,} rows not shown ({by}; no errors are cut; {hidden:,} of "
                f"{len(rows):,} hidden in all): --max-rows 0 shows all, "
                "--format json/csv/jsonl gives everything"
            )
            run = {}
        shown.append(r)
    return shown, cuts


def table_width(out: TextIO, o: RenderOptions) -> int | None:
    """The width to fit: ``width`` when given, else ``COLUMNS``, else the terminal's; none on a pipe."""
    return terminal_width(out, o.width)


def _windows(w: LineWriter, t: Timeline, when: Any) -> None:
    """The robot and pilot windows (assignment segments), one line each, at most ``MAX_WINDOWS``."""
    if not t.windows:
        return
    width = max(len(for_terminal(x.id)) for x in t.windows)
    for n, x in enumerate(t.windows[:MAX_WINDOWS]):
        label = "  windows " if n == 0 else "          "
        w.line(
            (label, "dim"),
            (f"{x.kind:<5} ", "dim"),
            (for_terminal(x.id).ljust(width), lane_style(Lane(x.kind, x.id))),
            (f"  {when(x.start)} → {when(x.end)}", ""),
            (f"  ({duration_text((x.end - x.start) / 1e6)})", "dim"),
        )
    if len(t.windows) > MAX_WINDOWS:
        w.line(("          ", ""), (f"… {len(t.windows) - MAX_WINDOWS} more (--format json lists all)", "dim"))


FINDING_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
FINDING_MARK = {"error": "✖", "warning": "!", "info": "·"}


def _write_findings(t: Timeline, w: LineWriter, when: Any, room: Optional[int] = None) -> None:
    """The "What stands out" section (findings rules §4): one line per finding, in time order, the most
    severe first within one instant, coloured by severity; every data string escaped for the terminal."""
    from ..core.findings import SEVERITY_RANK
    from ..textsafe import for_terminal

    if not t.findings:
        return
    w.line()
    w.line(("What stands out", "bold"), (f"  ({finding_counts_text(t.summary['findings'])})", "dim"))
    ordered = sorted(enumerate(t.findings), key=lambda p: (p[1].ts, SEVERITY_RANK[p[1].severity], p[0]))
    kind_width = max(len(f.kind) for f in t.findings)
    for _, f in ordered:
        style = FINDING_STYLE[f.severity]
        lead = [("  ", ""), (f"{FINDING_MARK[f.severity]} ", style), (f"{when(f.ts)}  ", "dim"), (f"{f.kind.ljust(kind_width)}  ", style)]
        indent = sum(len(text) for text, _ in lead)
        for k, line in enumerate(wrap(for_terminal(f.message), room, indent)):  # at words, hanging under the first
            w.line(*(lead if k == 0 else [(" " * indent, "")]), (line, style if f.severity != "info" else ""))


def signed_duration(seconds: float) -> str:
    """A difference of durations: ``+1m15s``, ``-14s``."""
    return ("+" if seconds >= 0 else "-") + duration_text(abs(seconds))


def twin_cells(d: Any) -> tuple[str, str, str, bool]:
    """A transition beside its twin's (``core.compare.StepDelta``): this delivery's duration, the twin's (``-``: the
    twin has no such transition), the difference, and whether it stands out (a minute or more longer, and at least
    twice the twin's)."""
    twin = duration_text(d.twin_s) if d.twin_s is not None else "-"
    delta = signed_duration(d.delta_s) if d.delta_s is not None else ""
    big = d.delta_s is not None and d.delta_s >= 60 and (d.twin_s or 0) * 2 <= d.this_s
    return duration_text(d.this_s), twin, delta, big


def _write_comparison(t: Timeline, w: LineWriter, room: int | None) -> None:
    """``--vs``: "Beside its twin", after "What stands out": each transition's duration, the twin's and the
    difference, the biggest difference first."""
    c = t.comparison
    if c is None:
        return
    w.line()
    w.line(("Beside its twin ", "bold"), (for_terminal(c.twin), "bold"), (f"  ({for_terminal(c.chosen)})", "dim"))
    if not c.steps:
        w.line(("  (no transitions to compare)", "dim"))
        return
    names = [for_terminal(d.transition) for d in c.steps]
    width = max(len(n) for n in names)
    if room is not None:
        width = max(16, min(width, room - 2 - 3 * 11))
    w.line(("  " + "TRANSITION".ljust(width) + "  " + "THIS".rjust(9) + "  " + "TWIN".rjust(9) + "  " + "DELTA".rjust(9), "dim"))
    for name, d in zip(names, c.steps):
        name = _clip(name, width)
        this, twin, delta, big = twin_cells(d)
        w.line(
            ("  " + name.ljust(width) + "  ", "bold" if big else ""),
            (this.rjust(9) + "  ", ""),
            (twin.rjust(9) + "  ", "dim"),
            (delta.rjust(9), "yellow" if big else "dim"),
        )


def robot_path(t: Timeline) -> str:
    """The robots of ``t``: a delivery's in the order they took it (``R-7 → R-12``), else all of them."""
    if t.kind != "delivery":
        return ", ".join(t.robots)
    path: list[str] = []
    for w in sorted((w for w in t.windows if w.kind == "robot"), key=lambda w: w.start):
        if not path or path[-1] != w.id:
            path.append(w.id)
    return " → ".join(path)


def local_time(us: int, tz: tzinfo) -> datetime:
    return (datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=us)).astimezone(tz)
