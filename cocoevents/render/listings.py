"""Rendering the fleet views (``coco deliveries``, ``coco errors``): a registry of formats as for timelines.

``write_listing(listing, fmt, out, options)`` and ``write_errors(report, fmt, out, options)``: ``table`` (the
human view: a header, one line per row, a footer saying what was left out), ``csv`` (a header row; fields
from data neutralised against formulas unless ``csv_raw``), ``json`` (one document) and ``jsonl`` (one row a
line). Every string from data reaching the table goes through ``textsafe.for_terminal``.
"""

from __future__ import annotations

import json
from datetime import timezone
from typing import Any, Callable, Iterator, Optional, TextIO

from ..core.listings import DeliveryRow, ErrorReport, Listing
from ..textsafe import for_terminal
from ..timestamps import duration_text
from . import LISTING_FORMAT_NAMES, RenderOptions
from .columns import Column, Step, fit, terminal_width, wrap
from .csv_writer import csv_line, neutralise, number
from .jsontext import dumps
from .table import STATUS_STYLE, LineWriter, local_time, plural, resolve_tz

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


def _columns(w: LineWriter, columns: list[Column], rows: list[list[tuple[str, str]]], plan: list[Step], width: Optional[int]) -> None:
    """Aligned columns fitted to ``width`` (``render.columns``): the header dim, then each row's cells."""
    layout = fit(columns, rows, width, plan)
    w.line(*[(text + "  ", "dim") for text in layout.header()])
    for r in rows:
        w.line(*[(text + "  ", style) for text, style in layout.cells(r)])


def _title(w: LineWriter, width: Optional[int], title: str, extra: str) -> None:
    """A table's title line, and its dim remark on the next line when both do not fit."""
    if not extra:
        w.line((title, "bold"))
    elif width is None or len(title) + 2 + len(extra) <= width:
        w.line((title, "bold"), ("  " + extra, "dim"))
    else:
        w.line((title, "bold"))
        for line in wrap(extra, width, 2):
            w.line(("  " + line, "dim"))


def _without_year(text: str) -> str:
    """``2026-11-25 09:58:00`` -> ``11-25 09:58:00`` (the title says the range's years)."""
    return text[5:] if len(text) == 19 and text[4] == "-" else text


# -- coco deliveries ------------------------------------------------------------------------------------------


def _findings_text(found: Optional[dict[str, int]]) -> str:
    if found is None:
        return ""
    parts = [f"{found.get(k, 0)}{k[0].upper()}" for k in ("error", "warning", "info") if found.get(k)]
    return " ".join(parts) or "0"


DELIVERY_COLUMNS = [
    Column("START", compact=_without_year),
    Column("DELIVERY"),
    Column("STATUS"),
    Column("DURATION"),
    Column("ROBOTS", clip=10),
    Column("PILOTS", clip=8),
    Column("EVENTS", right=True),
    Column("ERRORS", right=True),
    Column("FIRST ERROR"),
    Column("FINDINGS"),
]
# What a narrow terminal gives up first: the year, then counts and pilots, then duration and findings; the start,
# the delivery id, its status and its first error code stay whole.
DELIVERY_PLAN: list[Step] = [("compact", 0), ("drop", 6), ("drop", 7), ("drop", 5), ("drop", 3), ("drop", 9), ("drop", 4)]


def _listing_table(listing: Listing, out: TextIO, o: RenderOptions) -> None:
    tz = resolve_tz(o.tz)
    w = LineWriter(out, o.color, o.width)
    width = terminal_width(out, o.width)
    title = f"Deliveries active {_when(listing.since, tz)} → {_when(listing.until, tz)} {_tz_name(tz)}"
    _title(w, width, title, for_terminal(listing.filters.text()))
    with_findings = any(r.findings is not None for r in listing.rows)
    columns = DELIVERY_COLUMNS if with_findings else DELIVERY_COLUMNS[:-1]
    rows = []
    for r in listing.rows:
        cells = [
            (_when(r.start, tz), "dim"),
            (for_terminal(r.delivery_id), "bold"),
            (r.status.upper().replace("_", " "), STATUS_STYLE.get(r.status, "")),
            (duration_text(r.duration_s) if r.duration_s is not None else "", ""),
            (for_terminal(" → ".join(r.robots)), ""),
            (for_terminal(", ".join(r.pilots)), ""),
            (f"{r.events:,}", ""),
            (f"{r.errors:,}", "bold red" if r.errors else ""),
            (for_terminal(r.first_error_code or ""), "red"),
        ]
        if with_findings:
            cells.append(
                (_findings_text(r.findings), "yellow" if r.findings and (r.findings.get("error") or r.findings.get("warning")) else "")
            )
        rows.append(cells)
    w.line()
    _columns(w, columns, rows, [s for s in DELIVERY_PLAN if s[1] < len(columns)], width)
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
        out.write(_csv_row(r, o, with_findings))


def _csv_row(r: DeliveryRow, o: RenderOptions, with_findings: bool) -> str:
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
    return csv_line(fields)


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


def write_listing_stream(listing: Listing, rows: Iterator[DeliveryRow], fmt: str, out: TextIO, o: RenderOptions = RenderOptions()) -> None:
    """``core.listings.stream_deliveries``' rows written as they come (``csv``, ``json``, ``jsonl``), none kept: the
    same lines as ``write_listing`` but in the stream's order, and in ``json`` the counts after the rows (known
    at the end only). The ``table`` aligns its columns over every row: it is written once they are all read."""
    if fmt == "table":
        listing.rows = sorted(rows, key=lambda r: (r.start if r.start is not None else -1, r.delivery_id), reverse=True)
        write_listing(listing, fmt, out, o)
        return
    if fmt == "csv":
        out.write(csv_line(LISTING_CSV + FINDING_COLUMNS))  # every row of a timeline has its findings' counts
        for r in rows:
            out.write(_csv_row(r, o, True))
    elif fmt == "jsonl":
        for r in rows:
            out.write(dumps(r.to_dict(), separators=(",", ":")) + "\n")
    else:
        head = {k: v for k, v in listing.to_dict().items() if k not in ("matched", "more", "deliveries")}
        text = dumps(head, indent=2)
        out.write(text[: text.rindex("\n")] + ',\n  "deliveries": [')
        for n, r in enumerate(rows):
            out.write(("," if n else "") + "\n    " + dumps(r.to_dict(), indent=2).replace("\n", "\n    "))
        close = "\n  ]" if listing.matched else "]"
        out.write(f'{close},\n  "matched": {listing.matched},\n  "more": 0\n}}\n')


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
    width = terminal_width(out, o.width)
    title = f"Errors {_when(report.since, tz)} → {_when(report.until, tz)} {_tz_name(tz)}"
    _title(w, width, title, f"{plural(report.events, 'error event')} · by {report.by}")
    if report.previous is not None:
        p = report.previous
        w.line(
            (f"  vs previous {_when(p.since, tz)} → {_when(p.until, tz)}", "dim"),
            (f"  {plural(p.events, 'error event')}", "dim"),
        )
    if report.by == "hour":
        w.line((f"  by hour: one character per hour, {_when(report.hours[0], tz)[:13]}h → {_when(report.hours[-1], tz)[11:13]}h", "dim"))
    w.line()
    names = list(_error_columns(report))
    hours = report.hours if report.by == "hour" else []
    if hours:  # the sparkline after the count: one character per hour of the range
        names.insert(names.index("count") + 1, "by_hour")
    columns = [
        Column(
            c.upper().replace("_", " ").replace("PREVIOUS COUNT", "BEFORE"),
            short={"example_delivery": "EXAMPLE", "first_seen": "FIRST", "last_seen": "LAST"}.get(c, ""),
            right=c in ("count", "previous_count", "deliveries", "robots"),
            compact=_without_year if c in ("first_seen", "last_seen") else None,
            items=c in ("events", "codes"),
        )
        for c in names
    ]
    at = names.index
    # The group (a code, an event, a robot), its count, what --vs and --by hour asked for and the last time stay.
    # The first time goes first, then the count of robots (a robot's own is 1), the list of event names, the
    # example, the count of deliveries and last the list of codes; a list shrinks to its first whole items and how
    # many more ("LID_STUCK +2") before it goes. An error code or event name is never cut.
    plan: list[Step] = [("short", -1), ("compact", at("last_seen")), ("compact", at("first_seen")), ("drop", at("first_seen"))]
    plan += [("drop", at(c)) for c in ("robots", "events", "example_delivery", "deliveries", "codes") if c in names]
    rows = []
    for g in report.rows():
        cells = []
        for c in names:
            v = g.get(c)
            if c == "by_hour":
                text = sparkline(g["by_hour"])
            elif c in ("first_seen", "last_seen"):
                text = _when(_us(v), tz)
            elif c == "new":
                text = "NEW" if v else ""
            elif isinstance(v, list):
                text = _listed(v)
            elif isinstance(v, int):
                text = f"{v:,}"
            else:
                text = "-" if v is None else str(v)
            style = {names[0]: "bold red", "count": "bold", "new": "bold yellow", "by_hour": "red"}.get(c, "")
            cells.append((for_terminal(text), style))
        rows.append(cells)
    _columns(w, columns, rows, plan, width)


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
