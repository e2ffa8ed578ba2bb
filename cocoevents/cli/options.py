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
        return open_resolved(replace(resolved, settings=replace(resolved.settings, fresh=True)), wait=wait)
    from ..sources import resolve
    from .open_ahead import opened_ahead

    resolved = resolve(profile, store)
    ahead = opened_ahead(str(resolved.settings.path)) if resolved.kind == "local" else None
    return open_resolved(resolved, wait=wait, connection=ahead)


def use_color(no_color: bool, stream: Any = None) -> bool:
    stream = stream or sys.stdout
    if no_color or os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def choices(name: str, values: Iterable[str]) -> type[Enum]:
    """An option type listing a registry's names (``--help`` shows them; anything else is a usage error)."""
    return Enum(name, {v: v for v in values}, type=str)  # type: ignore[return-value]
