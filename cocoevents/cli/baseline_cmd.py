"""``coco baseline``: the fleet's normal rhythm - how long each step-to-step transition takes (findings rules §3).

Reads the baseline the source keeps (the local store's table, rebuilt by every ``coco load`` that adds files;
Redshift's table, refreshed by ``coco warehouse baseline``). ``--rebuild`` recomputes the local store's one.
Data (table, csv or json) to stdout; the rebuild's summary to stderr.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer

from .app import app, err
from .options import ColorOption, ProfileOption, StoreOption, choices, open_source, store_path, use_color

# The option types are Enums built from the registries' names; mypy, which cannot use a built class as a type,
# sees the Enum they are.
if TYPE_CHECKING:
    BaselineFormat = Enum
else:
    BaselineFormat = choices("BaselineFormat", ("table", "csv", "json"))


@app.command()
def baseline(
    rebuild: bool = typer.Option(False, "--rebuild", help="Recompute the local store's baseline first."),
    fmt: BaselineFormat = typer.Option("table", "--format", "-f", help="Output format."),
    baseline_min: int = typer.Option(10, "--baseline-min", metavar="N", help="Samples a transition needs to be judged."),
    wait: float = typer.Option(10.0, "--wait", metavar="SECONDS", help="Seconds to wait for another writer (with --rebuild)."),
    color: Optional[bool] = ColorOption,
    store: Optional[Path] = StoreOption,
    profile: Optional[str] = ProfileOption,
) -> None:
    """Print the fleet baseline: per transition A -> B, how often it was seen and its p50/p95/p99."""
    from ..errors import NotFound, UsageError

    if baseline_min < 1:
        raise UsageError("--baseline-min must be 1 or more")
    if rebuild:
        if profile:
            raise UsageError("--rebuild rebuilds the local store's baseline; for Redshift run 'coco warehouse baseline'")
        _rebuild(store_path(store), wait)
    source = open_source(store, None if rebuild else profile)
    try:
        kept = source.baseline()
    finally:
        source.close()
    if kept is None:
        raise NotFound(
            "this source keeps no fleet baseline yet: run 'coco baseline --rebuild' (local store) or 'coco warehouse baseline' (Redshift)"
        )
    rows = [t.to_dict() | {"judged": t.n >= baseline_min} for t in kept.transitions]
    write(rows, fmt.value, sys.stdout, color=fmt.value == "table" and use_color(color))


def _rebuild(path: Path, wait: float) -> None:
    import time

    from ..store.baseline import rebuild
    from ..store.connection import connect

    started = time.monotonic()
    con = connect(path, read_only=False, wait=wait)
    try:
        count = rebuild(con)
    finally:
        con.close()
    err(f"coco: rebuilt the fleet baseline of {path}: {count:,} transitions in {time.monotonic() - started:.2f}s")


def write(rows: list[dict[str, Any]], fmt: str, out: Any, color: bool = False) -> None:
    if fmt == "json":
        out.write(json.dumps({"transitions": rows}, indent=2) + "\n")
        return
    if fmt == "csv":
        from ..render.csv_writer import csv_line, neutralise  # the one CSV writer: a lone CR quoted, formulas neutralised

        out.write(csv_line(["from", "to", "n", "p50_s", "p95_s", "p99_s", "judged"]))
        for r in rows:
            numbers = ["" if r[k] is None else str(r[k]) for k in ("n", "p50_s", "p95_s", "p99_s", "judged")]
            out.write(csv_line([neutralise(r["from"]), neutralise(r["to"]), *numbers]))
        return
    from ..render.columns import Column, fit, terminal_width
    from ..render.table import LineWriter
    from ..textsafe import for_terminal
    from ..timestamps import duration_text

    cells = [
        [
            (for_terminal(r["from"]), ""),
            (for_terminal(r["to"]), ""),
            (f"{r['n']:,}", ""),
            (duration_text(r["p50_s"], short=True), ""),
            (duration_text(r["p95_s"], short=True), "dim"),
            (duration_text(r["p99_s"], short=True), ""),
            ("" if r["judged"] else "too few to judge", "dim"),
        ]
        for r in rows
    ]
    columns = [Column("from"), Column("to"), Column("n", right=True)]
    columns += [Column(p, right=True) for p in ("p50", "p95", "p99")] + [Column("", compact=lambda t: t and "too few")]
    # The transition (two event names, never cut), its count and p50 stay; p95, then the words, then p99 give way.
    layout = fit(columns, cells, terminal_width(out), [("drop", 4), ("compact", 6), ("drop", 5)])
    w = LineWriter(out, color, None)
    w.line(*[(text + "  ", "dim") for text in layout.header()])
    for line in cells:
        w.line(*[(text + "  ", style) for text, style in layout.cells(line)])
    if not rows:
        out.write("(no transitions: the source holds no delivery with two timed steps)\n")
