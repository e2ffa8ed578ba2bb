"""Rendering the fleet views (``coco deliveries``, ``coco errors``): a registry of formats as for timelines.

``write_listing(listing, fmt, out, options)`` and ``write_errors(report, fmt, out, options)``: ``table`` (the
human view: a header, one line per row, a footer saying what was left out), ``csv`` (a header row; fields
from data neutralised against formulas unless ``csv_raw``), ``json`` (one document) and ``jsonl`` (one row a
line). Every string from data reaching the table goes through ``textsafe.for_terminal``.
"""

from __future__ import annotations

import json
from datetime import timezone
from typing import Any, Callable, Optional, TextIO

from ..core.listings import ErrorReport, Listing
from ..textsafe import for_terminal
from . import LISTING_FORMAT_NAMES, RenderOptions
from .csv_writer import csv_line, neutralise, number
from .json_writer import dumps
from .table import STATUS_STYLE, LineWriter, duration_text, local_time, plural, resolve_tz

LISTING_CSV = (
    "delivery_id",
    "status",
    "start",
    "end",
    "duration_s",
    "robots",
    "pilots",
    "events",
    "errors",
    "warnings",
    "gaps",
    "first_error_code",
)
FINDING_COLUMNS = ("findings_error", "findings_warning", "findings_info")


def _when(us: Optional[int], tz: Any) -> str:
    return "" if us is None else local_time(us, tz).strftime("%Y-%m-%d %H:%M:%S")


def _tz_name(tz: Any) -> str:
    return "UTC" if tz is timezone.utc else str(getattr(tz, "key", None) or tz)


def _columns(w: LineWriter, header: list[str], rows: list[list[tuple[str, str]]], right: set[int]) -> None:
    """Aligned columns: the header dim, then each row's cells with their styles."""
    widths = [max([len(h)] + [len(r[i][0]) for r in rows]) for i, h in enumerate(header)]

    def cell(i: int, text: str) -> str:
        return text.rjust(widths[i]) if i in right else text.ljust(widths[i])

    w.line(*[(cell(i, h) + "  ", "dim") for i, h in enumerate(header)])
    for r in rows:
        w.line(*[(cell(i, text) + "  ", style) for i, (text, style) in enumerate(r)])


# -- coco deliveries ------------------------------------------------------------------------------------------


def _findings_text(found: Optional[dict[str, int]]) -> str:
    if found is None:
        return ""
    parts = [f"{found.get(k, 0)}{k[0].upper()}" for k in ("error", "warning", "info") if found.get(k)]
    return " ".join(parts) or "0"


def _listing_table(listing: Listing, out: TextIO, o: RenderOptions) -> None:
    tz = resolve_tz(o.tz)
    w = LineWriter(out, o.color, o.width)
    filters = [
        f"{k}={','.join(v) if isinstance(v, list) else v}" for k, v in listing.filters.to_dict().items() if v not in (None, False, [])
    ]
    w.line(
        (f"Deliveries active {_when(listing.since, tz)} → {_when(listing.until, tz)} {_tz_name(tz)}", "bold"),
        (("  " + for_terminal(" ".join(filters))) if filters else "", "dim"),
    )
    with_findings = any(r.findings is not None for r in listing.rows)
    header = ["START", "DELIVERY", "STATUS", "DURATION", "ROBOTS", "PILOTS", "EVENTS", "ERRORS", "FIRST ERROR"]
    if with_findings:
        header.append("FINDINGS")
    rows = []
    for r in listing.rows:
        cells = [
            (_when(r.start, tz), "dim"),
            (for_terminal(r.delivery_id), "bold"),
            (r.status.upper().replace("_", " "), STATUS_STYLE.get(r.status, "")),
            (duration_text(r.duration_s) if r.duration_s is not None else "", ""),
            (for_terminal(" → ".join(r.robots)), ""),
            (for_terminal(", ".join(r.pilots)), ""),
            (str(r.events), ""),
            (str(r.errors), "bold red" if r.errors else ""),
            (for_terminal(r.first_error_code or ""), "red"),
        ]
        if with_findings:
            cells.append(
                (_findings_text(r.findings), "yellow" if r.findings and (r.findings.get("error") or r.findings.get("warning")) else "")
            )
        rows.append(cells)
    w.line()
    _columns(w, header, rows, right={6, 7})
    w.line()
    n = len(listing.rows)
    shown = f"{n:,} {'delivery' if n == 1 else 'deliveries'} shown"
    if listing.more:
        w.line((f"{shown}; {listing.more:,} more match (--limit N, or --limit 0 for all)", "yellow"))
    else:
        w.line((f"{shown}", "dim"))


def _listing_csv(listing: Listing, out: TextIO, o: RenderOptions) -> None:
    with_findings = any(r.findings is not None for r in listing.rows)
    out.write(csv_line(LISTING_CSV + (FINDING_COLUMNS if with_findings else ())))
    for r in listing.rows:
        data = [r.delivery_id, r.status]
        ids = [" ".join(r.robots), " ".join(r.pilots), r.first_error_code or ""]
        if not o.csv_raw:
            data = [neutralise(x) for x in data]
            ids = [neutralise(x) for x in ids]
        fields = [
            *data,
            _iso(r.start),
            _iso(r.end),
            number(r.duration_s),
            ids[0],
            ids[1],
            str(r.events),
            str(r.errors),
            str(r.warnings),
            str(r.gaps),
            ids[2],
        ]
        if with_findings:
            fields += [str((r.findings or {}).get(k, 0)) for k in ("error", "warning", "info")]
        out.write(csv_line(fields))


def _iso(us: Optional[int]) -> str:
    from ..timestamps import format_ts

    return format_ts(us) or ""


def _listing_json(listing: Listing, out: TextIO, o: RenderOptions) -> None:
    out.write(dumps(listing.to_dict(), indent=2) + "\n")


def _listing_jsonl(listing: Listing, out: TextIO, o: RenderOptions) -> None:
    for r in listing.rows:
        out.write(dumps(r.to_dict(), separators=(",", ":")) + "\n")


LISTING_FORMATS: dict[str, Callable[[Listing, TextIO, RenderOptions], None]] = dict(
    zip(LISTING_FORMAT_NAMES, (_listing_table, _listing_csv, _listing_json, _listing_jsonl), strict=True)
)


def write_listing(listing: Listing, fmt: str, out: TextIO, options: RenderOptions = RenderOptions()) -> None:
    LISTING_FORMATS[fmt](listing, out, options)


# -- coco errors ---------------------------------------------------------------------------------------------

ERROR_CSV_TAIL = ("count", "deliveries", "robots", "first_seen", "last_seen", "example_delivery")


def _error_columns(report: ErrorReport) -> tuple[str, ...]:
    by = report.by
    middle = {"code": ("events",), "event": ("codes",), "robot": ("codes", "events"), "hour": ("events",)}[by]
    vs = ("previous_count", "new") if report.previous is not None else ()
    return ("code" if by == "hour" else by, *middle, *ERROR_CSV_TAIL[:1], *vs, *ERROR_CSV_TAIL[1:])


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(counts: list[int]) -> str:
    """One character per count: a space for none, else a bar of eight heights scaled to the largest."""
    top = max(counts, default=0)
    if not top:
        return " " * len(counts)
    return "".join(" " if not n else SPARKS[min(len(SPARKS) - 1, (n * len(SPARKS) - 1) // top)] for n in counts)


def _listed(values: list[Any]) -> str:
    return ", ".join("-" if v is None else str(v) for v in values)


def _errors_table(report: ErrorReport, out: TextIO, o: RenderOptions) -> None:
    tz = resolve_tz(o.tz)
    w = LineWriter(out, o.color, o.width)
    w.line(
        (f"Errors {_when(report.since, tz)} → {_when(report.until, tz)} {_tz_name(tz)}", "bold"),
        (f"  {plural(report.events, 'error event')} · by {report.by}", "dim"),
    )
    if report.previous is not None:
        p = report.previous
        w.line(
            (f"  vs previous {_when(p.since, tz)} → {_when(p.until, tz)}", "dim"),
            (f"  {plural(p.events, 'error event')}", "dim"),
        )
    if report.by == "hour":
        w.line((f"  by hour: one character per hour, {_when(report.hours[0], tz)[:13]}h → {_when(report.hours[-1], tz)[11:13]}h", "dim"))
    w.line()
    columns = _error_columns(report)
    header = [c.upper().replace("_", " ").replace("PREVIOUS COUNT", "BEFORE") for c in columns]
    hours = report.hours if report.by == "hour" else []
    if hours:  # the sparkline after the count: one character per hour of the range
        at = columns.index("count") + 1
        header.insert(at, "BY HOUR")
    rows = []
    for g in report.rows():
        cells = []
        for c in columns:
            v = g[c]
            if c in ("first_seen", "last_seen"):
                text = _when(_us(v), tz)
            elif c == "new":
                text = "NEW" if v else ""
            elif isinstance(v, list):
                text = _listed(v)
            else:
                text = "-" if v is None else str(v)
            style = "bold red" if c == columns[0] else ("bold" if c == "count" else ("bold yellow" if c == "new" else ""))
            cells.append((for_terminal(text), style))
        if hours:
            cells.insert(columns.index("count") + 1, (sparkline(g["by_hour"]), "red"))
        rows.append(cells)
    numeric = [c for c in ("count", "previous_count", "deliveries", "robots") if c in columns]
    right = {columns.index(c) + (1 if hours and columns.index(c) > columns.index("count") else 0) for c in numeric}
    _columns(w, header, rows, right=right)


def _us(text: Optional[str]) -> Optional[int]:
    from ..timestamps import parse_timestamp

    return parse_timestamp(text) if text else None


def _errors_csv(report: ErrorReport, out: TextIO, o: RenderOptions) -> None:
    columns = _error_columns(report)
    hours = [_iso(h) for h in report.hours] if report.by == "hour" else []  # a column per hour: its count
    out.write(csv_line(list(columns) + hours))
    for g in report.rows():
        fields = []
        for c in columns:
            v = g[c]
            if c == "new":
                text = "true" if v else "false"
            else:
                text = " ".join(str(x) for x in v if x is not None) if isinstance(v, list) else ("" if v is None else str(v))
            if c not in ("count", "previous_count", "new", "deliveries", "robots", "first_seen", "last_seen") and not o.csv_raw:
                text = neutralise(text)
            fields.append(text)
        out.write(csv_line(fields + [str(n) for n in g.get("by_hour", [])]))


def _errors_json(report: ErrorReport, out: TextIO, o: RenderOptions) -> None:
    out.write(dumps(report.to_dict(), indent=2) + "\n")


def _errors_jsonl(report: ErrorReport, out: TextIO, o: RenderOptions) -> None:
    for g in report.rows():
        out.write(json.dumps(g, ensure_ascii=False, separators=(",", ":")) + "\n")


ERROR_FORMATS: dict[str, Callable[[ErrorReport, TextIO, RenderOptions], None]] = {
    "table": _errors_table,
    "csv": _errors_csv,
    "json": _errors_json,
    "jsonl": _errors_jsonl,
}


def write_errors(report: ErrorReport, fmt: str, out: TextIO, options: RenderOptions = RenderOptions()) -> None:
    ERROR_FORMATS[fmt](report, out, options)
