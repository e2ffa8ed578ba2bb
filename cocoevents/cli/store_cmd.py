"""``coco store files`` and ``coco store remove``: what is in the local store, and taking files out of it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from .app import app, err
from .options import StoreOption, read_store_path, store_path

store_app = typer.Typer(help="The local store's loaded files: list them, remove some.", no_args_is_help=True)
app.add_typer(store_app, name="store")


@store_app.command("files")
def files(
    store: Optional[Path] = StoreOption,
    as_json: bool = typer.Option(False, "--json", help="One JSON array instead of the table."),
) -> int:
    """List the loaded files: path, SHA-256, time range, events, bad lines."""
    from ..store.files import loaded_files
    from ..textsafe import for_terminal as t

    target = read_store_path(store)
    rows = loaded_files(target)
    if as_json:
        sys.stdout.write(json.dumps([r.to_dict() for r in rows], indent=2) + "\n")
        return 0
    if not rows:
        err(f"coco: no files loaded in {t(str(target))}")
        return 0
    from ..render.columns import Column, fit, terminal_width

    out = sys.stdout
    cells = [
        [
            (r.sha256[:12], ""),
            (r.first or "-", ""),
            (r.last or "-", ""),
            (f"{r.events:,}", ""),
            (f"{r.bad_lines:,}", ""),
            (t(r.path) + ("  (damaged: " + t(r.damage) + ")" if r.damage else ""), ""),
        ]
        for r in rows
    ]

    def minute(iso: str) -> str:  # 2026-11-25T06:30:00.000Z -> 11-25 06:30:00
        return f"{iso[5:10]} {iso[11:19]}" if len(iso) >= 19 else iso

    columns = [Column("sha256"), Column("first event", compact=minute), Column("last event", compact=minute)]
    columns += [Column("events", right=True), Column("bad", right=True), Column("path", clip=24, clip_left=True)]
    # The file (its digest, and its path clipped at the start: the name is at the end) stays; the times are
    # shortened, then the first one goes, then the count of bad lines.
    layout = fit(columns, cells, terminal_width(out), [("compact", 1), ("compact", 2), ("drop", 1), ("drop", 4)])
    for line in [layout.header(), *([text for text, _ in layout.cells(c)] for c in cells)]:
        out.write("  ".join(line).rstrip() + "\n")
    err(f"coco: {len(rows)} file(s), {sum(r.events for r in rows):,} events in {t(str(target))}")
    return 0


@store_app.command("remove")
def remove(
    path: Optional[str] = typer.Argument(None, metavar="[PATH]", help="A loaded file (or a folder of them)."),
    sha: Optional[str] = typer.Option(None, "--sha", metavar="SHA256", help="The file with this SHA-256 (or unique prefix)."),
    day: Optional[str] = typer.Option(None, "--day", metavar="YYYY-MM-DD", help="Every file with an event on this UTC day (YYYY-MM-DD)."),
    store: Optional[Path] = StoreOption,
    wait: float = typer.Option(10.0, "--wait", metavar="SECONDS", help="Seconds to wait for a load to finish a commit."),
    yes: bool = typer.Option(False, "--yes", help="Remove --day's files without asking (for scripts)."),
) -> int:
    """Remove loaded files and all their events, in one transaction (a removed file can be loaded again).

    ``--day`` can take many files at once: on a terminal it lists them and asks first; elsewhere it wants ``--yes``.
    """
    from ..errors import UsageError
    from ..store.removal import remove_files
    from ..textsafe import for_terminal as t

    target = store_path(store)
    ask = day is not None and not yes
    if ask and not sys.stdin.isatty():
        raise UsageError("--day removes every file with an event on that day: pass --yes to confirm (no terminal to ask on)")

    def confirm(paths: list[str], events: int) -> bool:
        for p in paths:
            err(f"  {t(p)}")
        err(f"Remove {len(paths)} file(s) and their {events:,} events from {t(str(target))}? [y/N]")
        return sys.stdin.readline().strip().lower() in ("y", "yes")

    removed, events = remove_files(target, file=path, sha=sha, day=day, wait=wait, confirm=confirm if ask else None)
    if ask and not removed:
        err("coco: nothing removed")
        return 0
    for p in removed:
        err(f"  {t(p)}")
    err(f"coco: removed {len(removed)} file(s) and their {events:,} events from {t(str(target))}")
    return 0
