"""``coco compare``: what sets a group of deliveries (the failed ones, by default) apart from the fulfilled ones."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ..producers.registry import STATUSES
from ..render import COMPARE_FORMAT_NAMES
from .app import app, err
from .deliveries_cmd import CsvRawOption, NoColorOption, OutputOption, SinceOption, TzOption, UntilOption, emit, time_range
from .options import ProfileOption, StoreOption, WaitOption, choices, open_source, use_color

Format = choices("CompareFormat", COMPARE_FORMAT_NAMES)
Status = choices("CompareStatus", STATUSES)


def _format(fmt: Optional[Format], output: Optional[Path]) -> str:
    """``-f``, else the format the ``-o`` suffix names, else the table."""
    from ..render import SUFFIX_FORMATS

    if fmt is not None:
        return str(fmt.value)
    chosen = SUFFIX_FORMATS.get(output.suffix.lower(), "table") if output is not None else "table"
    return chosen if chosen in COMPARE_FORMAT_NAMES else "table"


@app.command()
def compare(
    since: Optional[str] = SinceOption,
    until: Optional[str] = UntilOption,
    status: Optional[List[Status]] = typer.Option(
        None, "--status", metavar="STATUS", help=f"Group: this status, {', '.join(STATUSES)} (repeatable). Default, with no filter: failed."
    ),
    error: Optional[str] = typer.Option(None, "--error", metavar="CODE", help="Group: deliveries with an error row of this code."),
    event: Optional[str] = typer.Option(None, "--event", metavar="NAME", help="Group: deliveries with an event of this name."),
    robot: Optional[str] = typer.Option(None, "--robot", metavar="ID", help="Group: deliveries this robot worked on."),
    pilot: Optional[str] = typer.Option(None, "--pilot", metavar="ID", help="Group: deliveries this pilot supervised."),
    merchant: Optional[str] = typer.Option(None, "--merchant", metavar="ID", help="Group: deliveries of this merchant_id."),
    slow: bool = typer.Option(False, "--slow", help="Group: deliveries with a slow_step finding."),
    limit: int = typer.Option(25, "--limit", metavar="N", help="Rows shown at most, best first (0: all)."),
    baseline_min: int = typer.Option(10, "--baseline-min", metavar="N", help="Fleet samples a transition needs to be judged (--slow)."),
    fmt: Optional[Format] = typer.Option(
        None, "--format", "-f", show_default=False, help="Output format. Default: from the -o suffix (.csv .json .md), else table."
    ),
    output: Optional[Path] = OutputOption,
    tz: str = TzOption,
    no_color: bool = NoColorOption,
    csv_raw: bool = CsvRawOption,
    store: Optional[Path] = StoreOption,
    profile: Optional[str] = ProfileOption,
    wait: Optional[float] = WaitOption,
) -> int:
    """What the failed (or any chosen) deliveries have in common: robots, pilots, merchants, sources, hours,
    errors and slow steps, ranked by how strongly they set the group apart from the fulfilled deliveries."""
    from ..core.compare import compare as run_compare
    from ..core.listings import Filters
    from ..core.options import parse_options
    from ..render import RenderOptions
    from ..render.compare import write_comparison

    fmt_name = _format(fmt, output)
    start, end = time_range(since, until, tz)
    opts = parse_options(baseline_min=baseline_min)
    filters = Filters(tuple(dict.fromkeys(s.value for s in status or [])), error, event, robot, pilot, merchant, slow)
    source = open_source(store, profile, wait)
    try:
        result = run_compare(source, start, end, filters, limit, opts)
    finally:
        source.close()
    options = RenderOptions(color=output is None and fmt_name == "table" and use_color(no_color), tz=tz, csv_raw=csv_raw)
    emit(lambda fh: write_comparison(result, fmt_name, fh, options), output)
    if result.more and (fmt_name != "table" or output is not None):
        err(f"coco: {len(result.shown):,} of {len(result.rows):,} rows shown (--limit N, or --limit 0 for all)")
    return 0
