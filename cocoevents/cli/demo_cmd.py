"""``coco demo``: load the bundled sample day and show its most telling timeline."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from .app import app, err
from .options import ColorOption, store_path, use_color

SHOWCASE = "D12345"
SUGGESTIONS = (
    ("D12346", "a plain failed delivery", ""),
    ("D12347", "a robot breakdown and a clean reassignment", ""),
    ("R-12", "the robot that took over D12345", " --since 2026-11-25T09:00Z --until 2026-11-25T12:00Z"),
    ("P-5", "the pilot who took over R-12", " --since 2026-11-25T09:00Z --until 2026-11-25T12:00Z"),
    ("D12345", "as JSON for a runbook script", " --format json"),
)

DAY = " --since 2026-11-25T00:00Z --until 2026-11-26T00:00Z"
FLEET_SUGGESTIONS = (
    (f"coco errors{DAY}", "what failed that day, by error code"),
    (f"coco deliveries --status failed{DAY}", "the day's failed deliveries, newest first"),
    (f"coco deliveries --error LID_STUCK{DAY}", "the deliveries with a stuck lid"),
)


def sample_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "data" / "demo"


# Not ``StoreOption``: the demo never follows COCO_STORE into a real store; only --store on its own command line.
DemoStoreOption = typer.Option(
    None,
    "--store",
    metavar="PATH",
    help="Load the demo day into this store instead (default: its own, $XDG_DATA_HOME/coco/demo.duckdb; COCO_STORE is not used).",
)


@app.command()
def demo(
    store: Optional[Path] = DemoStoreOption,
    color: Optional[bool] = ColorOption,
) -> None:
    """Load the bundled sample day into a demo store of its own (or --store) and show a delivery that went wrong."""
    from ..core.lookup import build
    from ..core.options import parse_options
    from ..render import RenderOptions, write
    from ..sources import Resolved, local_settings, open_source
    from ..store.config import demo_store_path
    from ..store.loader import load as load_store

    target = store_path(store) if store else demo_store_path()  # its own store: demo ids never mix into real ones
    report = load_store(target, [str(sample_dir())])
    err(f"coco: demo day in {target}: {report.events:,} new events ({report.count('already_loaded')} file(s) were already there)")
    source = open_source(Resolved("local", local_settings(target), None, "coco demo"))
    try:
        result = build(source, SHOWCASE, None, parse_options())
    finally:
        source.close()
    write(result, "table", sys.stdout, RenderOptions(color=use_color(color)))
    store_flag = "" if _read_by_default(target) else f" --store {target}"
    err("\nTry next:")
    for ident, what, extra in SUGGESTIONS:
        err(f"  coco timeline {ident}{extra}{store_flag}    # {what}")
    for command, what in FLEET_SUGGESTIONS:
        err(f"  {command}{store_flag}    # {what}")


def _read_by_default(target: Path) -> bool:
    """Whether commands without --store or --profile read ``target`` (the demo store while there is no other):
    then the suggestions need no --store."""
    from ..errors import CocoError
    from ..sources import resolve

    try:
        plain = resolve()
    except CocoError:  # a config file to fix: the suggestions name the store
        return False
    return plain.kind == "local" and Path(plain.settings.path).resolve() == target.resolve()
