"""``coco explore [ID]``: the investigation as one interactive flow (``cocoevents.explore``), in a terminal."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from ..core.model import KINDS
from .app import app
from .deliveries_cmd import SinceOption, TzOption, UntilOption
from .options import ProfileOption, StoreOption, WaitOption, choices, open_source

# The option type is an Enum built from the kinds' names; mypy, which cannot use a built class as a type, sees the
# Enum it is.
if TYPE_CHECKING:
    Kind = Enum
else:
    Kind = choices("Kind", KINDS)


@app.command()
def explore(
    subject_id: Optional[str] = typer.Argument(
        None, metavar="[ID]", show_default=False, help="Open on this delivery, robot, pilot, demand or offer id (else: the overview)."
    ),
    kind: Optional[Kind] = typer.Option(None, "--kind", help="Force the id's kind."),
    since: Optional[str] = SinceOption,
    until: Optional[str] = UntilOption,
    tz: str = TzOption,
    limit: int = typer.Option(50, "--limit", metavar="N", help="Deliveries the overview lists, newest first (0: all)."),
    interval: str = typer.Option("5s", "--interval", metavar="DURATION", help="How often f (follow) asks the source for new events."),
    store: Optional[Path] = StoreOption,
    profile: Optional[str] = ProfileOption,
    wait: Optional[float] = WaitOption,
) -> int:
    """Investigate in one terminal app: the range's errors and deliveries, then timelines, one key at a time."""
    from ..core.options import parse_options
    from ..errors import UsageError
    from ..timestamps import parse_duration
    from .deliveries_cmd import time_range

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError("coco explore is interactive and needs a terminal; in a script use coco timeline, coco deliveries or coco errors")
    if limit < 0:
        raise UsageError("--limit must be 0 (all) or more")
    try:
        every = parse_duration(interval) / 1e6
    except ValueError as e:
        raise UsageError(f"--interval: {e}") from None
    if every <= 0:
        raise UsageError("--interval must be more than 0")
    opts = parse_options(since=since, until=until, tz=tz)
    start, end = time_range(since, until, tz)
    from ..sources import resolve

    where = resolve(profile, store).settings.where()
    from ..explore import start as prepare

    explorer = prepare(
        lambda: open_source(store, profile, wait),
        subject_id=subject_id,
        kind=kind.value if kind else None,
        opts=opts,
        since=start,
        until=end,
        tz=tz,
        where=where,
        interval=every,
        limit=limit,
    )
    from ..explore import resident_gc

    resident_gc()
    try:
        explorer.run()
    finally:
        explorer.resident.close()
    return int(explorer.return_code or 0)
