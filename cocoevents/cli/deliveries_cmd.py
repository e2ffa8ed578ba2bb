"""``coco deliveries`` and ``coco errors``: from an alert to the deliveries, then to a timeline."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, List, Optional

import typer

from ..producers.registry import ERROR_GROUPS, STATUSES
from ..render import LISTING_FORMAT_NAMES
from .app import app, err
from .options import ColorOption, ProfileOption, StoreOption, WaitOption, choices, open_source, use_color

# The option types are Enums built from the registries' names; mypy, which cannot use a built class as a type,
# sees the Enum they are.
if TYPE_CHECKING:
    Format = Enum
    Status = Enum
    By = Enum
    Vs = Enum
else:
    Format = choices("Format", LISTING_FORMAT_NAMES)
    Status = choices("Status", STATUSES)
    By = choices("By", ERROR_GROUPS)
    Vs = choices("Vs", ("previous",))

DEFAULT_RANGE = "24h"
FORMAT_HELP = "Output format. Default: from the -o suffix (.csv .json .jsonl), else table."

SINCE_HELP = "Start (ISO 8601, or 2h / 3d ago). Default: 24h before --until."
UNTIL_HELP = "End (ISO 8601, or 2h / 3d ago). Default: now."
TZ_HELP = "Time zone of the table, and of --since/--until times written without an offset."

# The options both commands take, declared once.
SinceOption = typer.Option(None, "--since", metavar="TIME", help=SINCE_HELP)
UntilOption = typer.Option(None, "--until", metavar="TIME", help=UNTIL_HELP)
FormatOption = typer.Option(None, "--format", "-f", show_default=False, help=FORMAT_HELP)
OutputOption = typer.Option(None, "--output", "-o", metavar="FILE", help="Write to FILE instead of stdout.")
TzOption = typer.Option("UTC", "--tz", metavar="UTC|local|ZONE", help=TZ_HELP)
CsvRawOption = typer.Option(False, "--csv-raw", help="CSV fields exactly as in the data (for scripts).")


def time_range(since: Optional[str], until: Optional[str], tz: str) -> tuple[int, int]:
    """The range of a fleet command (``deliveries``, ``errors``, ``compare``): the last 24 hours by default."""
    from ..core.options import parse_options
    from ..errors import UsageError
    from ..timestamps import MIN_US, now_us, parse_duration

    opts = parse_options(since=since, until=until, tz=tz)
    for note in opts.notes:
        err(f"coco: note: {note}")
    end = opts.until if opts.until is not None else now_us()
    start = opts.since if opts.since is not None else max(end - parse_duration(DEFAULT_RANGE), MIN_US)
    if start > end:
        raise UsageError("--since is after --until")
    return start, end


def _format(fmt: Any, output: Optional[Path]) -> str:
    """``-f``, else the format the ``-o`` suffix names (as ``coco timeline``), else the table."""
    from ..render import format_for_output

    if fmt is not None:
        return str(fmt.value)
    return format_for_output(output, LISTING_FORMAT_NAMES)


def emit(write: Any, output: Optional[Path]) -> None:
    if output is None:
        write(sys.stdout)
        sys.stdout.flush()
    else:
        from .timeline_cmd import write_file

        write_file(output, write)


@app.command()
def deliveries(
    since: Optional[str] = SinceOption,
    until: Optional[str] = UntilOption,
    status: Optional[List[Status]] = typer.Option(
        None, "--status", metavar="STATUS", help=f"Only this status: {', '.join(STATUSES)} (repeatable: any of them)."
    ),
    error: Optional[str] = typer.Option(None, "--error", metavar="CODE", help="Only deliveries with an error row of this code."),
    event: Optional[str] = typer.Option(None, "--event", metavar="NAME", help="Only deliveries with an event of this name."),
    robot: Optional[str] = typer.Option(None, "--robot", metavar="ID", help="Only deliveries this robot worked on."),
    pilot: Optional[str] = typer.Option(None, "--pilot", metavar="ID", help="Only deliveries this pilot supervised."),
    merchant: Optional[str] = typer.Option(None, "--merchant", metavar="ID", help="Only deliveries of this merchant_id."),
    slow: bool = typer.Option(False, "--slow", help="Only deliveries with a slow_step finding."),
    limit: int = typer.Option(50, "--limit", metavar="N", help="Rows shown at most (0: all)."),
    fmt: Optional[Format] = FormatOption,
    output: Optional[Path] = OutputOption,
    tz: str = TzOption,
    color: Optional[bool] = ColorOption,
    csv_raw: bool = CsvRawOption,
    store: Optional[Path] = StoreOption,
    profile: Optional[str] = ProfileOption,
    wait: Optional[float] = WaitOption,
) -> int:
    """The deliveries active in a range, newest first: status, robots, pilots, errors (one row each)."""
    from itertools import chain

    from ..core.listings import Filters, list_deliveries, stream_deliveries
    from ..core.lookup import elsewhere
    from ..errors import NotFound, UsageError
    from ..render import RenderOptions
    from ..render.listings import write_listing, write_listing_stream
    from ..timestamps import format_ts

    fmt_name = _format(fmt, output)
    if limit < 0:
        raise UsageError("--limit must be 0 (all) or more")
    start, end = time_range(since, until, tz)
    filters = Filters(tuple(dict.fromkeys(s.value for s in status or [])), error, event, robot, pilot, merchant, slow)
    options = RenderOptions(color=fmt_name == "table" and use_color(color, to_file=output is not None), tz=tz, csv_raw=csv_raw)

    def none_found(active: int) -> NotFound:
        """Nothing to list: how many deliveries the filters left out, or where the nearest events are."""
        what = "no deliveries active" if not active else f"none of the {active:,} deliveries active"
        more = " match the filters" if active else elsewhere(source, start, end)
        return NotFound(f"{what} between {format_ts(start)} and {format_ts(end)}{more}")

    source = open_source(store, profile, wait)
    try:
        if limit == 0:  # every row, written as its batch is built (memory holds a batch, not the range)
            listing, rows = stream_deliveries(source, start, end, filters)
            first = next(rows, None)
            if first is None:
                raise none_found(listing.active)
            emit(lambda fh: write_listing_stream(listing, chain([first], rows), fmt_name, fh, options), output)
            return 0
        listing = list_deliveries(source, start, end, filters, limit)
        if not listing.rows:
            raise none_found(listing.active)
    finally:
        source.close()
    emit(lambda fh: write_listing(listing, fmt_name, fh, options), output)
    if listing.more and (fmt_name != "table" or output is not None):
        err(f"coco: {len(listing.rows):,} shown; {listing.more:,} more match (--limit N, or --limit 0 for all)")
    return 0


@app.command()
def errors(
    since: Optional[str] = SinceOption,
    until: Optional[str] = UntilOption,
    by: By = typer.Option("code", "--by", help="Group by error code, event name or robot; hour: by code, with counts per UTC hour."),
    vs: Optional[Vs] = typer.Option(None, "--vs", help="Also count each group in the window of equal length just before the range."),
    fmt: Optional[Format] = FormatOption,
    output: Optional[Path] = OutputOption,
    tz: str = TzOption,
    color: Optional[bool] = ColorOption,
    csv_raw: bool = CsvRawOption,
    store: Optional[Path] = StoreOption,
    profile: Optional[str] = ProfileOption,
    wait: Optional[float] = WaitOption,
) -> int:
    """Error events in a range, grouped: what is failing right now, and where to look."""
    from ..core.listings import error_report
    from ..core.lookup import elsewhere
    from ..errors import NotFound
    from ..render import RenderOptions
    from ..render.listings import write_errors
    from ..timestamps import format_ts

    fmt_name = _format(fmt, output)
    start, end = time_range(since, until, tz)
    source = open_source(store, profile, wait)
    try:
        report = error_report(source, start, end, by.value, vs.value if vs is not None else None)
        if not report.groups:
            raise NotFound(f"no error events between {format_ts(start)} and {format_ts(end)}{elsewhere(source, start, end)}")
    finally:
        source.close()
    options = RenderOptions(color=fmt_name == "table" and use_color(color, to_file=output is not None), tz=tz, csv_raw=csv_raw)
    emit(lambda fh: write_errors(report, fmt_name, fh, options), output)
    return 0
