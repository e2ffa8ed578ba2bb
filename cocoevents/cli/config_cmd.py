"""``coco config show`` and ``coco doctor`` (profiles and connection checks).

``config show`` prints the resolved profile - the one ``coco timeline`` would use
with the same options - on stdout, the password only as set or not set. ``doctor``
connects with it, checks the table (or store) and prints one ``ok`` line; any
problem is one line on stderr and exit 4 (a configuration error: exit 2).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer

from . import app
from .common import ProfileOption, StoreOption

config_app = typer.Typer(
    name="config", help="Show the configuration profiles (see 'coco config show --help').", no_args_is_help=True,
)
app.add_typer(config_app, name="config")


def _resolve(profile: Optional[str], store: Optional[Path]) -> tuple[Any, Any, str]:
    """(config, profile or None, why it was chosen)."""
    from ..config import load_config, select_profile

    config = load_config()
    chosen = select_profile(profile, store_given=store is not None, config=config)
    if chosen is None:
        why = "--store" if store is not None else "no profile chosen and no default"
    elif profile:
        why = "--profile / COCO_PROFILE"
    else:
        why = f"the default in {config.path.name}"
    return config, chosen, why


@config_app.command("show")
def show(
    profile: Optional[str] = ProfileOption,
    store: Optional[Path] = StoreOption,
    as_json: bool = typer.Option(False, "--json", help="One JSON object instead of text."),
) -> int:
    """Print the resolved configuration (secrets redacted)."""
    from ..store.local import default_store_path

    config, chosen, why = _resolve(profile, store)
    if chosen is None:
        rows = [("source", "local"), ("store", str(store.expanduser() if store else default_store_path()))]
        name = None
    else:
        rows = chosen.describe()
        if chosen.source == "local" and store is not None:
            rows = [("source", "local"), ("store", str(store.expanduser()))]
        name = chosen.name
    head = [
        ("config", f"{config.path}{'' if config.exists else ' (not found)'}"),
        ("profiles", ", ".join(sorted(config.profiles)) or "(none)"),
        ("profile", f"{name or '(none: the local store)'} ({why})" if name else "(none: the local store)"),
    ]
    if as_json:
        doc = {"config": str(config.path), "config_exists": config.exists, "profiles": sorted(config.profiles),
               "default": config.default, "profile": name, "chosen_by": why, "settings": dict(rows)}
        typer.echo(json.dumps(doc, indent=2))
        return 0
    width = max(len(k) for k, _ in head + rows)
    for key, value in head + rows:
        typer.echo(f"{key + ':':<{width + 1}} {value}")
    return 0


@app.command()
def doctor(
    profile: Optional[str] = ProfileOption,
    store: Optional[Path] = StoreOption,
) -> int:
    """Check that the event source answers: connection, credentials and the events table."""
    from ..timestamps import format_ts

    _, chosen, _ = _resolve(profile, store)
    if chosen is None or chosen.source == "local":
        from ..sources.local import LocalSource
        from .common import store_path

        path = store.expanduser() if store is not None else (chosen.store if chosen else None) or store_path(None)
        local = LocalSource(path)
        try:
            from ..store.local import verify

            count, latest = verify(local.con, path)  # reads every block: a damaged store is not "ok"
        finally:
            local.close()
        typer.echo(f"coco: ok: local store {path}: {count} events, latest {format_ts(latest) or 'none'}")
        return 0
    from ..config import password_from_env
    from ..sources.redshift import RedshiftSource

    source = RedshiftSource(chosen, password=password_from_env())
    try:
        latest, count = source.check()
    finally:
        source.close()
    recent = (f"{count} events in the {_fmt(chosen.lookback_us)} lookback, latest {format_ts(latest)}"
              if latest is not None else f"no events in the {_fmt(chosen.lookback_us)} lookback")
    typer.echo(f"coco: ok: {chosen.where()}: table {chosen.qualified_table} readable; {recent}")
    return 0


def _fmt(us: int) -> str:
    from ..config import format_duration

    return format_duration(us)
