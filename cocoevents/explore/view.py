"""The lines ``coco explore`` draws, as rich ``Text`` built from data - never markup - so a record's ``[red]`` or
``[@click=...]`` stays those characters, and every string from data goes through ``textsafe.for_terminal`` first
(no control character reaches the terminal). Colours and words are the table's (``render.table``): severity,
lanes, status, "What stands out".

A timeline's view is lazy: the display lines (rows, with a line for each gap before the row that ends it) are a
list of numbers; a line's ``Text`` is made when it is drawn, so a timeline of a million rows opens as fast as a
short one.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any, Optional, Sequence

from rich.text import Text

from ..core.listings import DeliveryRow, ErrorGroup, ErrorReport
from ..core.model import Lane, Row, Timeline
from ..render.describe import tz_name
from ..render.table import (
    FINDING_MARK,
    FINDING_STYLE,
    SEVERITY_STYLE,
    STATUS_STYLE,
    detail,
    duration_text,
    key_ids,
    lane_style,
    local_time,
    offset_text,
    plural,
    robot_path,
    time_format,
)
from ..textsafe import for_terminal

MARK = {"error": "✖", "warning": "!", "info": " "}
NARROW = 110  # columns below which a row drops the milliseconds and the offset
SAMPLE = 5000  # rows measured for the column widths (the first and the last), so a huge timeline opens at once
TITLES = {"delivery": "Delivery", "robot": "Robot", "pilot": "Pilot"}


def safe(value: Any) -> str:
    return for_terminal("" if value is None else str(value))


def cells(*pieces: tuple[str, str]) -> Text:
    """A line of ``(text, style)`` pieces; the text is data made safe, never markup."""
    out = Text(no_wrap=True, overflow="ellipsis")
    for text, style in pieces:
        out.append(for_terminal(text), style=style or None)
    return out


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


class TimelineView:
    """A timeline's lines: ``lines[i]`` is a row number, or ``-1 - n`` for the gap note before row ``n``; ``filter``
    keeps the rows holding a text; ``late`` marks rows that arrived out of order (``f``)."""

    def __init__(self, t: Timeline, tz: tzinfo, needle: str = "", late: Optional[set[str]] = None, width: int = 160) -> None:
        self.t = t
        self.tz = tz
        self.when = time_format(t, tz)
        self.narrow = width < NARROW  # times to the second, no offset column: the details keep some room
        self.needle = needle
        self.late = late or set()
        gaps = {g.before for g in t.gaps}
        self.lines: list[int] = []
        for n, r in enumerate(t.rows):
            if needle and not self.row_matches(r):
                continue
            if not needle and r.ts in gaps and r.gap_before_us is not None and r.gap_before_us > t.gap_threshold_us:
                self.lines.append(-1 - n)
            self.lines.append(n)
        sample = t.rows if len(t.rows) <= 2 * SAMPLE else t.rows[:SAMPLE] + t.rows[-SAMPLE:]
        self.lane_width = max((len(safe(r.lane)) for r in sample), default=8)
        self.name_width = min(max((len(safe(r.event.name)) for r in sample), default=10), 24 if self.narrow else 28)
        self.ids_width = min(max((len(safe(key_ids(r, t))) for r in sample), default=0), 12 if self.narrow else 24)
        self.first = t.start or 0
        self.offset_width = max((len(offset_text(r.ts - self.first)) for r in sample[-1:]), default=6)

    def row_matches(self, r: Row) -> bool:
        low = self.needle.lower()
        return any(low in for_terminal(c).lower() for c in (r.event.name, str(r.lane), key_ids(r, self.t), detail(r)))

    def item(self, line: int) -> Optional[int]:
        """The row of a display line (``None`` for a gap note)."""
        n = self.lines[line]
        return n if n >= 0 else None

    def line_of(self, row: int) -> Optional[int]:
        """The display line of row ``row`` (``None`` when the filter hides it)."""
        from bisect import bisect_left

        # rows appear in order; a gap note (negative) sits just before its row
        keys = [n if n >= 0 else -1 - n for n in self.lines]
        k = bisect_left(keys, row)
        while k < len(keys) and keys[k] == row:
            if self.lines[k] >= 0:
                return k
            k += 1
        return None

    def text(self, line: int) -> Text:
        n = self.lines[line]
        if n < 0:
            r = self.t.rows[-1 - n]
            return cells(("  ", ""), (f"·· no events for {duration_text((r.gap_before_us or 0) / 1e6)} ··", "bold yellow"))
        return self.row_text(self.t.rows[n])

    def row_text(self, r: Row) -> Text:
        sev = SEVERITY_STYLE[r.severity]
        late = r.event.text in self.late
        when = self.when(r.ts)
        return cells(
            (f"{when[:-4] if self.narrow else when}  ", "dim"),
            ("" if self.narrow else f"{offset_text(r.ts - self.first).rjust(self.offset_width)}  ", "dim"),
            (f"{_fit(safe(r.lane), self.lane_width).ljust(self.lane_width)} ", lane_style(r.lane)),
            ("↶" if late else " ", "bold magenta"),
            (f"{MARK[r.severity]} ", sev),
            (f"{_fit(safe(r.event.name), self.name_width).ljust(self.name_width)}  ", sev),
            (f"{_fit(safe(key_ids(r, self.t)), self.ids_width).ljust(self.ids_width)}  " if self.ids_width else "", ""),
            (safe(detail(r)), "red" if r.severity == "error" else "dim"),
        )


def timeline_header(t: Timeline, tz: tzinfo, following: Optional[str] = None, width: int = 160) -> Text:
    """The story: subject, status and time span; robots and pilots; the counts (and the follow state) - the last
    two on one line when the screen is wide."""
    when = time_format(t, tz)
    s = t.summary
    out = cells((f"{TITLES.get(t.kind, t.kind)} {safe(t.id)}", "bold"))
    if t.status:
        out.append("  ")
        out.append(f" {t.status.upper().replace('_', ' ')} ", style=STATUS_STYLE.get(t.status, "bold"))
    if t.start is not None and t.end is not None:
        out.append(f"  {when(t.start, True)} → {when(t.end, True)[11:]} {tz_name(tz, t.start)}")
        out.append(f" ({duration_text((t.end - t.start) / 1e6)})", style="dim")
    if following:
        out.append(f"  ● {following}", style="bold magenta")
    out.append("\n")
    robots = robot_path(t)
    if robots:
        out.append("robots ", style="dim")
        out.append(safe(robots))
    if t.pilots:
        out.append("  pilots " if robots else "pilots ", style="dim")
        out.append(safe(", ".join(t.pilots)))
    out.append("  " if width >= NARROW and (robots or t.pilots) else ("\n" if robots or t.pilots else ""))
    out.append(plural(s["events"], "event"))
    out.append(" · ", style="dim")
    out.append(plural(s["errors"], "error"), style="bold red" if s["errors"] else "")
    out.append(" · ", style="dim")
    out.append(plural(s["warnings"], "warning"), style="yellow" if s["warnings"] else "")
    out.append(" · ", style="dim")
    out.append(f"{plural(s['gaps'], 'gap')} > {duration_text(t.gap_threshold_us / 1e6)}", style="yellow" if s["gaps"] else "")
    if s["unplaced"]:
        out.append(" · ", style="dim")
        out.append(f"{s['unplaced']} unplaced", style="yellow")
    return out


def lanes_text(t: Timeline, tz: tzinfo) -> Text:
    """The lanes: each robot and pilot window, coloured as its rows are."""
    when = time_format(t, tz)
    out = cells(("lanes ", "dim"), ("delivery" if t.kind == "delivery" else f"{t.kind}:{safe(t.id)}", "bold"))
    for w in t.windows:
        out.append("  ")
        out.append(f"{w.kind}:{safe(w.id)}", style=lane_style(Lane(w.kind, w.id)))
        out.append(f" {when(w.start)[:8]}–{when(w.end)[:8]}", style="dim")
    return out


def finding_text(f: Any, when: Any) -> Text:
    style = FINDING_STYLE[f.severity]
    return cells(
        (f"{FINDING_MARK[f.severity]} ", style),
        (f"{when(f.ts)}  ", "dim"),
        (f"{f.kind:<12} ", style),
        (safe(f.message), style if f.severity != "info" else ""),
    )


def findings_title(t: Timeline) -> str:
    counts = ", ".join(f"{n} {sev}" for sev, n in t.summary["findings"].items() if n)
    return f"What stands out ({counts})" if counts else "What stands out (nothing)"


# -- the overview ---------------------------------------------------------------------------------------------

ERROR_HEADER = ("CODE", "COUNT", "DELIVERIES", "ROBOTS", "LAST SEEN", "EVENTS")
BEFORE = "BEFORE"  # after COUNT, with ``--vs previous``: the count in the window of equal length before
DELIVERY_HEADER = ("START", "DELIVERY", "STATUS", "DURATION", "ROBOTS", "ERRORS", "FINDINGS", "FIRST ERROR")


def _when(us: Optional[int], tz: tzinfo) -> str:
    return "" if us is None else local_time(us, tz).strftime("%H:%M:%S")


def error_header(report: Optional[ErrorReport]) -> tuple[str, ...]:
    vs = report is not None and report.previous is not None
    return (*ERROR_HEADER[:2], BEFORE, *ERROR_HEADER[2:]) if vs else ERROR_HEADER


def error_cells(g: ErrorGroup, tz: tzinfo) -> list[tuple[str, str]]:
    """A row of the errors table; with the window before's count after the count (``NEW``: none before), as
    ``coco errors --vs previous`` shows it."""
    before: list[tuple[str, str]] = []
    if g.previous_count is not None:
        n = g.previous_count
        before = [(f"{n:,}" if n else "NEW", "dim" if n else "bold yellow")]
    return [
        (safe(g.key) if g.key is not None else "-", "bold red"),
        (f"{g.count:,}", "bold"),
        *before,
        (f"{g.delivery_count:,}", ""),
        (f"{g.robot_count:,}", ""),
        (_when(g.last, tz), "dim"),
        (safe(", ".join(n for n, _ in g.names.most_common())), ""),
    ]


def delivery_cells(r: DeliveryRow, tz: tzinfo) -> list[tuple[str, str]]:
    found = r.findings or {}
    findings = " ".join(f"{found.get(k, 0)}{k[0].upper()}" for k in ("error", "warning", "info") if found.get(k))
    return [
        (_when(r.start, tz), "dim"),
        (safe(r.delivery_id), "bold"),
        (r.status.upper().replace("_", " "), STATUS_STYLE.get(r.status, "")),
        (duration_text(r.duration_s) if r.duration_s is not None else "", ""),
        (safe(" → ".join(r.robots)), ""),
        (str(r.errors), "bold red" if r.errors else ""),
        (findings, "yellow" if found.get("error") or found.get("warning") else "dim"),
        (safe(r.first_error_code or ""), "red"),
    ]


def column_widths(header: Sequence[str], rows: Sequence[Sequence[tuple[str, str]]], limit: int = 24) -> list[int]:
    return [min(max([len(h)] + [len(r[i][0]) for r in rows]), limit) for i, h in enumerate(header)]


def aligned(row: Sequence[tuple[str, str]], widths: Sequence[int], right: Sequence[int] = ()) -> Text:
    """The cells in columns of ``widths`` (``right``: the columns aligned right), two spaces between them."""
    out = Text(no_wrap=True, overflow="ellipsis")
    for i, ((text, style), width) in enumerate(zip(row, widths)):
        shown = _fit(text, width)
        shown = shown.rjust(width) if i in right else shown.ljust(width)
        out.append(("  " if i else "") + for_terminal(shown), style=style or None)
    return out


def header_line(header: Sequence[str], widths: Sequence[int], right: Sequence[int] = ()) -> Text:
    return aligned([(h, "bold dim") for h in header], widths, right)
