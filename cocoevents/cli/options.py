"""Pieces shared by commands: the store/profile options, output streams, colour decisions."""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Any, Iterable, Optional

import typer

StoreOption = typer.Option(
    None,
    "--store",
    envvar="COCO_STORE",
    metavar="PATH",
    show_envvar=True,
    help="Local store file (default: $XDG_DATA_HOME/coco/events.duckdb).",
)
ProfileOption = typer.Option(
    None,
    "--profile",
    envvar="COCO_PROFILE",
    metavar="NAME",
    show_envvar=True,
    help="Configuration profile naming the event source (see 'coco config show').",
)


def store_path(store: Optional[Path]) -> Path:
    """The local store a command writes (``coco load``, ``coco demo --store``): ``--store`` or the default."""
    from ..sources import local_settings

    return local_settings(store).path


def read_store_path(store: Optional[Path]) -> Path:
    """The local store a command that only reads it lists (``coco store files``): ``--store``, else the store
    every reading command reads without one (``sources.default_local``: the demo store while there is no
    other), saying so once."""
    if store is not None:
        return store_path(store)
    from ..sources import default_local

    resolved = default_local()
    reading(resolved)
    return resolved.settings.path


def reading(resolved: Any) -> None:
    """A command reads the ``sources.Resolved`` source: its note (the demo store in place of none) goes to
    stderr once per run, and a "nothing found" error will name where it searched (``main.main``)."""
    from .app import STATE, err

    said = STATE.setdefault("said", set())
    if resolved.note and resolved.note not in said:  # type: ignore[operator]
        said.add(resolved.note)  # type: ignore[attr-defined]
        err(resolved.note)
    STATE["searched"] = resolved.settings.where()


WaitOption = typer.Option(
    None,
    "--wait",
    metavar="SECONDS",
    show_default=False,
    help="How long to wait for a running 'coco load' to let the store go (default: COCO_WAIT or 10).",
)


def open_source(store: Optional[Path], profile: Optional[str], wait: Optional[float] = None, fresh: bool = False) -> Any:
    """The event source the options name (``sources.resolve``: the same choice the library makes); ``fresh``:
    a Redshift profile's answer plus the archive tail (``--fresh``)."""
    from ..sources import open_source as open_resolved

    if wait is not None and wait < 0:
        from ..errors import UsageError

        raise UsageError("--wait must be 0 or more seconds")
    if fresh:
        from dataclasses import replace

        from ..errors import UsageError
        from ..sources import resolve

        resolved = resolve(profile, store)
        if resolved.kind != "redshift":
            raise UsageError(f"--fresh adds the archive tail to a Redshift profile's answer; this source is {resolved.kind}")
        reading(resolved)
        return open_resolved(replace(resolved, settings=replace(resolved.settings, fresh=True)), wait=wait)
    from ..sources import resolve
    from .open_ahead import opened_ahead

    resolved = resolve(profile, store)
    reading(resolved)
    ahead = opened_ahead(str(resolved.settings.path)) if resolved.kind == "local" else None
    return open_resolved(resolved, wait=wait, connection=ahead)


ColorOption = typer.Option(
    None,
    "--color/--no-color",
    show_default=False,
    help="Colour on (also into a pipe, for 'less -R') or off. Default: on a terminal, unless NO_COLOR is set.",
)


def use_color(color: Optional[bool], stream: Any = None, to_file: bool = False) -> bool:
    """``--color``/``--no-color`` when given (a flag wins over ``NO_COLOR``, as no-color.org asks); else colour
    on a terminal only, never into a file (``-o``), and not with ``NO_COLOR`` set or ``TERM=dumb``."""
    if color is not None:
        return color
    if to_file or os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return bool(getattr(stream or sys.stdout, "isatty", lambda: False)())


def choices(name: str, values: Iterable[str]) -> type[Enum]:
    """An option type listing a registry's names (``--help`` shows them; anything else is a usage error)."""
    return Enum(name, {v: v for v in values}, type=str)  # type: ignore[return-value]
