"""``coco events``: the Event Catalog (the registry) as a table or JSON."""

from __future__ import annotations

import json
import sys

import typer

from . import app
from .common import use_color


@app.command()
def events(
    fmt: str = typer.Option("table", "--format", "-f", help="table or json."),
    no_color: bool = typer.Option(False, "--no-color", help="Plain text, no colour."),
) -> None:
    """List the registered business events, their groups and required fields."""
    from .. import registry
    from ..errors import UsageError

    rows = registry.catalog()
    if fmt == "json":
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    if fmt != "table":
        raise UsageError(f"--format must be table or json, not {fmt!r}")
    if use_color(no_color):
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"Event catalog ({len(rows)} events)", title_justify="left")
        for col in ("#", "event", "group", "required fields"):
            table.add_column(col)
        for r in rows:
            style = "red" if r["error_event"] else None
            table.add_row(str(r["position"]), r["name"], r["group"], ", ".join(r["required"]), style=style)
        Console().print(table)
        return
    width = max(len(r["name"]) for r in rows)
    group_width = max(len(r["group"]) for r in rows)
    sys.stdout.write(f"{'#':>2}  {'event'.ljust(width)}  {'group'.ljust(group_width)}  required fields\n")
    for r in rows:
        sys.stdout.write(
            f"{r['position']:>2}  {r['name'].ljust(width)}  {r['group'].ljust(group_width)}  {', '.join(r['required'])}".rstrip()
            + "\n"
        )
