"""The human view: a header that tells the story, then one line per event, gaps between.

Layout is computed here as plain text, so the colourless output (``NO_COLOR``,
``--no-color``, ``TERM=dumb``, a pipe) needs no terminal library; colour is
added with rich only when asked for. Long timelines show their first and last
rows with a note saying how to get all of them.
"""

from __future__ import annotations

import json
import zlib
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any, TextIO

from ..core.model import Lane, Row, Timeline
from ..errors import UsageError
from . import RenderOptions
from .data import error_parts

LANE_COLORS = ("cyan", "magenta", "blue", "green", "bright_cyan", "bright_magenta", "bright_blue", "bright_green")
SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": ""}
STATUS_STYLE = {"failed": "bold white on red", "fulfilled": "bold green", "canceled": "bold yellow",
                "in_progress": "bold cyan"}
SHIPPER_FIELDS = frozenset({"message", "kubernetes", "file", "source_type", "stream", "host", "level", "timestamp",
                            "timestamp_end", "event", "delivery_id", "robot_id", "pilot_id", "demand_id", "offer_id",
                            "error"})


def resolve_tz(name: str) -> tzinfo:
    if name.upper() == "UTC":
        return timezone.utc
    if name == "local":
        local = datetime.now().astimezone().tzinfo
        assert local is not None
        return local
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(name)
    except Exception:  # ZoneInfoNotFoundError, ValueError on odd names
        raise UsageError(f"unknown time zone {name!r}: use UTC, local or an IANA name like Europe/Berlin") from None


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


def _scalar(v: Any) -> str:
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str)


def detail(row: Row) -> str:
    """A compact description: error, state change, reason, then other payload fields."""
    rec = row.event.record
    parts: list[str] = []
    code, message = error_parts(rec.get("error"))
    if code or message:
        parts.append(f"{code}: {message}" if code and message else code or message)
    if "from_state" in rec or "to_state" in rec:
        parts.append(f"{_scalar(rec.get('from_state', '?'))} → {_scalar(rec.get('to_state', '?'))}")
    for key in ("reason", "rejection_reason"):
        if key in rec:
            parts.append(f"{key}={_scalar(rec[key])}")
    for key, value in rec.items():
        if key in SHIPPER_FIELDS or key in ("from_state", "to_state", "reason", "rejection_reason"):
            continue
        if isinstance(value, (dict, list)):
            continue
        parts.append(f"{key}={_scalar(value)}")
    return "  ".join(parts)


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


class _Out:
    """Writes lines, styled with rich when colour is on, as plain text otherwise."""

    def __init__(self, out: TextIO, color: bool, width: int | None) -> None:
        self.out = out
        self.console = None
        if color:
            from rich.console import Console

            self.console = Console(file=out, force_terminal=True, highlight=False, soft_wrap=True, width=width)

    def line(self, *pieces: tuple[str, str]) -> None:
        if self.console is None:
            self.out.write("".join(text for text, _ in pieces).rstrip() + "\n")
            return
        from rich.text import Text

        text = Text()
        for piece, style in pieces:
            text.append(piece, style=style or None)
        text.rstrip()
        self.console.print(text)


def write_table(t: Timeline, out: TextIO, o: RenderOptions) -> None:
    tz = resolve_tz(o.tz)
    w = _Out(out, o.color, o.width)
    s = t.summary
    days = {_local(r.ts, tz).date() for r in t.rows}
    multi_day = len(days) > 1

    def when(us: int, full: bool = False) -> str:
        dt = _local(us, tz)
        if full:
            return dt.strftime("%Y-%m-%d %H:%M:%S")
        return dt.strftime("%m-%d %H:%M:%S" if multi_day else "%H:%M:%S") + f".{dt.microsecond // 1000:03d}"

    title = {"delivery": "Delivery", "robot": "Robot", "pilot": "Pilot"}[t.kind]
    head: list[tuple[str, str]] = [(f"{title} {t.id}", "bold")]
    if t.status:
        head += [("  ", ""), (f" {t.status.upper().replace('_', ' ')} ", STATUS_STYLE.get(t.status, "bold"))]
    w.line(*head)
    tz_name = "UTC" if tz is timezone.utc else str(getattr(tz, "key", None) or _local(t.start or 0, tz).tzname())
    if t.start is not None and t.end is not None:
        w.line(("  ", ""), (f"{when(t.start, True)} → {when(t.end, True)} {tz_name}", ""),
               (f"  ({duration_text((t.end - t.start) / 1e6)})", "dim"))
    if t.since is not None or t.until is not None:
        w.line(("  range ", "dim"), (f"{when(t.since, True) if t.since is not None else '…'} → "
                                     f"{when(t.until, True) if t.until is not None else '…'} {tz_name}", "dim"))
    robots = _robot_path(t)
    if robots:
        w.line(("  robots  ", "dim"), (robots, ""))
    if t.pilots:
        w.line(("  pilots  ", "dim"), (", ".join(t.pilots), ""))
    counts = [
        (plural(s["events"], "event"), ""),
        (" · ", "dim"), (plural(s["errors"], "error"), "bold red" if s["errors"] else ""),
        (" · ", "dim"), (plural(s["warnings"], "warning"), "yellow" if s["warnings"] else ""),
        (" · ", "dim"), (f"{plural(s['gaps'], 'gap')} > {duration_text(t.gap_threshold_us / 1e6)}",
                         "yellow" if s["gaps"] else ""),
    ]
    if s["duplicates_removed"]:
        counts += [(" · ", "dim"), (f"{plural(s['duplicates_removed'], 'duplicate')} removed", "dim")]
    if s["unplaced"]:
        counts += [(" · ", "dim"), (f"{s['unplaced']} unplaced", "yellow")]
    w.line(("  ", ""), *counts)
    w.line()

    rows = t.rows
    hidden = 0
    if o.max_rows and len(rows) > o.max_rows:
        half = o.max_rows // 2
        hidden = len(rows) - 2 * half
        rows = rows[:half] + rows[-half:]
    first = t.start or 0
    cells = [(r, when(r.ts), offset_text(r.ts - first), str(r.lane), r.event.name, key_ids(r, t), detail(r))
             for r in rows]
    widths = [max((len(c[i]) for c in cells), default=0) for i in range(1, 6)]
    widths[4] = min(widths[4], 28)
    gap_set = {g.before for g in t.gaps}
    for n, (r, ts, off, lane, name, ids, det) in enumerate(cells):
        if hidden and n == len(cells) // 2:
            w.line(("  ⋮ ", "yellow"), (f"{hidden} more rows not shown (of {len(t.rows)}); "
                                         "--max-rows 0 shows all, --format json/csv/jsonl gives everything", "yellow"))
        if r.ts in gap_set and r.gap_before_us is not None and r.gap_before_us > t.gap_threshold_us:
            w.line(("  ", ""), (f"·· no events for {duration_text(r.gap_before_us / 1e6)} ··", "bold yellow"))
        sev = SEVERITY_STYLE[r.severity]
        mark = {"error": "✖", "warning": "!", "info": " "}[r.severity]
        w.line(
            (f"{ts.ljust(widths[0])}  ", "dim"),
            (f"{off.rjust(widths[1])}  ", "dim"),
            (f"{lane.ljust(widths[2])}  ", lane_style(r.lane)),
            (f"{mark} ", sev),
            (f"{name.ljust(widths[3])}  ", sev),
            (f"{_clip(ids, widths[4]).ljust(widths[4])}  ", ""),
            (det, "red" if r.severity == "error" else "dim"),
        )
    if not t.rows:
        w.line(("  (no events with a usable timestamp)", "yellow"))
    if t.unplaced:
        w.line()
        w.line((f"⚠ {len(t.unplaced)} event(s) without a usable timestamp (not placed in time):", "bold yellow"))
        for e in t.unplaced:
            ts = e.record.get("timestamp", "<missing>")
            w.line(("  ", ""), (e.name or "?", "yellow"), (f"  timestamp={json.dumps(ts, default=str)}", "dim"),
                   (f"  {detail(Row(e, Lane('unplaced'), e.severity, None))}", "dim"))
    _write_findings(t, w, when)


FINDING_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
FINDING_MARK = {"error": "✖", "warning": "!", "info": "·"}


def _write_findings(t: Timeline, w: _Out, when: Any) -> None:
    """The "What stands out" section (spec/findings.md 4): one line per finding, in time order, the most
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
        w.line(("  ", ""), (f"{FINDING_MARK[f.severity]} ", style), (f"{when(f.ts)}  ", "dim"),
               (f"{f.kind.ljust(kind_width)}  ", style), (for_terminal(f.message), style if f.severity != "info" else ""))


def _robot_path(t: Timeline) -> str:
    if t.kind != "delivery":
        return ", ".join(t.robots)
    path: list[str] = []
    for w in sorted((w for w in t.windows if w.kind == "robot"), key=lambda w: w.start):
        if not path or path[-1] != w.id:
            path.append(w.id)
    return " → ".join(path)


def _local(us: int, tz: tzinfo) -> datetime:
    return (datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=us)).astimezone(tz)
