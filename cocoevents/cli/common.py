"""Pieces shared by commands: the store/profile options, output streams, colour decisions."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Optional

import typer

StoreOption = typer.Option(
    None, "--store", envvar="COCO_STORE", show_envvar=True,
    help="Local store file (default: $XDG_DATA_HOME/coco/events.duckdb).",
)
ProfileOption = typer.Option(
    None, "--profile", envvar="COCO_PROFILE", show_envvar=True,
    help="Configuration profile naming the event source (see 'coco config show').",
)


def store_path(store: Optional[Path]) -> Path:
    from ..store.local import default_store_path

    return store.expanduser() if store else default_store_path()


def open_source(store: Optional[Path], profile: Optional[str]) -> Any:
    """The event source for timelines: a profile's source when one is chosen, else the local store."""
    if profile or _has_config_default():
        from ..config import open_profile_source

        source = open_profile_source(profile, store)
        if source is not None:
            return source
    from ..sources.local import LocalSource

    return LocalSource(store_path(store))


def _has_config_default() -> bool:
    try:
        from ..config import config_path
    except ImportError:  # pragma: no cover
        return False
    return config_path().exists()


def use_color(no_color: bool, stream: Any = None) -> bool:
    stream = stream or sys.stdout
    if no_color or os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return bool(getattr(stream, "isatty", lambda: False)())
