"""``coco events``: the Event Catalog (the registry) as a table or JSON; ``--emit`` generates the other languages'."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from ..textsafe import say
from .app import app
from .options import ColorOption, use_color


@app.command()
def events(
    fmt: str = typer.Option("table", "--format", "-f", metavar="table|json", help="table or json."),
    color: Optional[bool] = ColorOption,
    emit: Optional[str] = typer.Option(
        None,
        "--emit",
        metavar="ts|go|jsonschema|markdown",
        help="Generate the TypeScript registry, the Go registry, one JSON Schema per event or the Event Catalog.",
    ),
    out: Optional[Path] = typer.Option(
        None, "--out", "-o", metavar="PATH", help="With --emit: write to this file (jsonschema: a folder of <event>.schema.json)."
    ),
    go_package: str = typer.Option("events", "--go-package", metavar="NAME", help="With --emit go: the Go package name."),
) -> None:
    """List the registered business events, their groups and required fields."""
    from ..errors import UsageError
    from ..producers import registry

    if emit is not None:
        _emit(emit, out, go_package)
        return
    if out is not None:
        raise UsageError("--out goes with --emit")
    rows = registry.catalog()
    if fmt == "json":
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    if fmt != "table":
        raise UsageError(f"--format must be table or json, not {fmt!r}")
    if use_color(color):
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"Event catalog ({len(rows)} events)", title_justify="left")
        for col in ("#", "event", "group", "required fields"):
            table.add_column(col)
        for r in rows:
            style = "red" if r["error_event"] else None
            table.add_row(str(r["position"]), r["name"], r["group"], ", ".join(r["required"]), style=style)
        Console(force_terminal=True, highlight=False).print(table)
        return
    width = max(len(r["name"]) for r in rows)
    group_width = max(len(r["group"]) for r in rows)
    sys.stdout.write(f"{'#':>2}  {'event'.ljust(width)}  {'group'.ljust(group_width)}  required fields\n")
    for r in rows:
        sys.stdout.write(
            f"{r['position']:>2}  {r['name'].ljust(width)}  {r['group'].ljust(group_width)}  {', '.join(r['required'])}".rstrip() + "\n"
        )


def _emit(kind: str, out: Optional[Path], go_package: str) -> None:
    from ..errors import UsageError
    from ..producers.codegen import KINDS, emit

    if kind not in KINDS:
        raise UsageError(f"--emit must be one of {', '.join(KINDS)}, not {kind!r}")
    if go_package != "events" and kind != "go":
        raise UsageError("--go-package goes with --emit go")
    try:
        text = emit(kind, go_package=go_package)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if out is None:
        sys.stdout.write(text)
        return
    try:
        if kind == "jsonschema":
            from ..producers.codegen.schema import file_name, schemas

            out.mkdir(parents=True, exist_ok=True)
            docs = schemas()
            for name, doc in docs.items():
                (out / file_name(name)).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
            say(f"coco: wrote {len(docs)} schemas to {out}")
        else:
            out.write_text(text, encoding="utf-8")
            say(f"coco: wrote {out}")
    except OSError as e:
        raise UsageError(f"cannot write {out}: {e.strerror or e}") from None
