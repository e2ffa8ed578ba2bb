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
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any, TextIO

from ..core.model import Lane, Row, Timeline
from ..errors import UsageError
from ..textsafe import for_terminal
from ..timestamps import resolve_tz as _zone
from . import RenderOptions
from .describe import describe

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


def duration_text(seconds: float) -> str:
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m{s % 60:02d}s"


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


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
    robots = robot_path(t)
    if robots:
        w.line(("  robots  ", "dim"), (for_terminal(robots), ""))
    if t.pilots:
        w.line(("  pilots  ", "dim"), (for_terminal(", ".join(t.pilots)), ""))
    _deliveries(w, o.deliveries)
    _windows(w, t, when)
    counts = [
        (plural(s["events"], "event"), ""),
        (" · ", "dim"),
        (plural(s["errors"], "error"), "bold red" if s["errors"] else ""),
        (" · ", "dim"),
        (plural(s["warnings"], "warning"), "yellow" if s["warnings"] else ""),
        (" · ", "dim"),
        (f"{plural(s['gaps'], 'gap')} > {duration_text(t.gap_threshold_us / 1e6)}", "yellow" if s["gaps"] else ""),
    ]
    if s["duplicates_removed"]:
        counts += [(" · ", "dim"), (f"{plural(s['duplicates_removed'], 'duplicate')} removed", "dim")]
    if s["unplaced"]:
        counts += [(" · ", "dim"), (f"{s['unplaced']} unplaced", "yellow")]
    w.line(("  ", ""), *counts)
    w.line()

    shown, cuts = shown_rows(t.rows, o.max_rows)
    write_rows(w, t, shown, when, table_width(out, o), cuts)
    if not t.rows:
        w.line(("  (no events with a usable timestamp)", "yellow"))
    if t.unplaced:
        w.line()
        w.line((f"⚠ {len(t.unplaced)} event(s) without a usable timestamp (not placed in time):", "bold yellow"))
        for e in t.unplaced:
            ts = e.record.get("timestamp", "<missing>")
            w.line(
                ("  ", ""),
                (for_terminal(e.name or "?"), "yellow"),
                (f"  timestamp={for_terminal(json.dumps(ts, default=str, ensure_ascii=False))}", "dim"),
                (f"  {for_terminal(detail(Row(e, Lane('unplaced'), e.severity, None)))}", "dim"),
            )
    _write_findings(t, w, when)
    _write_comparison(t, w, table_width(out, o))


Layout = tuple[list[int], "int | None"]  # the widths of the time, offset, lane, name and ids columns; room for details


def write_rows(
    w: LineWriter,
    t: Timeline,
    rows: list[Row],
    when: Any,
    room: int | None,
    cuts: dict[int, str] | None = None,
    layout: Layout | None = None,
) -> Layout:
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
    if layout is None:
        widths = [max((len(c[i]) for c in cells), default=0) for i in range(1, 6)]
        widths[4] = min(widths[4], 28)
        det_room = None
        if room is not None:  # the details column gives way first, then the ids, then long event names
            base = widths[0] + widths[1] + widths[2] + 3 * 2 + 2  # time, offset and lane with their gaps; the mark
            widths[3] = min(widths[3], max(16, room - base - 2 - widths[4] - 2))
            widths[4] = max(0, min(widths[4], room - base - widths[3] - 2 - 2))
            det_room = room - (base + widths[3] + 2 + widths[4] + 2)
        layout = (widths, det_room)
    widths, det_room = layout
    gap_set = {g.before for g in t.gaps}
    for n, (r, ts, off, lane, name, ids, det) in enumerate(cells):
        if n in cuts:
            w.line(("  ⋮ ", "yellow"), (cuts[n], "yellow"))
        if r.ts in gap_set and r.gap_before_us is not None and r.gap_before_us > t.gap_threshold_us:
            w.line(("  ", ""), (f"·· no events for {duration_text(r.gap_before_us / 1e6)} ··", "bold yellow"))
        sev = SEVERITY_STYLE[r.severity]
        mark = {"error": "✖", "warning": "!", "info": " "}[r.severity]
        name = _clip(name, widths[3])
        if det_room is not None:
            det = _clip(det, det_room) if det_room >= 2 else ""
        w.line(
            (f"{ts.ljust(widths[0])}  ", "dim"),
            (f"{off.rjust(widths[1])}  ", "dim"),
            (f"{lane.ljust(widths[2])}  ", lane_style(r.lane)),
            (f"{mark} ", sev),
            (f"{name.ljust(widths[3])}  ", sev),
            (f"{_clip(ids, widths[4]).ljust(widths[4])}  " if widths[4] else "  ", ""),
            (det, "red" if r.severity == "error" else "dim"),
        )
    return layout


def _deliveries(w: LineWriter, deliveries: tuple[tuple[str, str], ...]) -> None:
    """A robot's deliveries in the range, with their status, a few a line."""
    for n in range(0, min(len(deliveries), MAX_DELIVERIES), 4):
        pieces: list[tuple[str, str]] = [("  deliveries  " if n == 0 else "              ", "dim")]
        for i, (d, status) in enumerate(deliveries[n : n + 4]):
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
    if o.width:
        return o.width
    import os

    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    isatty = getattr(out, "isatty", None)
    if isatty is not None and isatty():
        import shutil

        return shutil.get_terminal_size().columns
    return None


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


def _write_findings(t: Timeline, w: LineWriter, when: Any) -> None:
    """The "What stands out" section (findings rules §4): one line per finding, in time order, the most
    severe first within one instant, coloured by severity; every data string escaped for the terminal."""
    from ..core.findings import SEVERITY_RANK
    from ..textsafe import for_terminal

    if not t.findings:
        return
    w.line()
    counts = ", ".join(f"{n} {sev}" for sev, n in t.summary["findings"].items() if n)
    w.line(("What stands out", "bold"), (f"  ({counts})", "dim"))
    ordered = sorted(enumerate(t.findings), key=lambda p: (p[1].ts, SEVERITY_RANK[p[1].severity], p[0]))
    kind_width = max(len(f.kind) for f in t.findings)
    for _, f in ordered:
        style = FINDING_STYLE[f.severity]
        w.line(
            ("  ", ""),
            (f"{FINDING_MARK[f.severity]} ", style),
            (f"{when(f.ts)}  ", "dim"),
            (f"{f.kind.ljust(kind_width)}  ", style),
            (for_terminal(f.message), style if f.severity != "info" else ""),
        )


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
