"""``coco config show`` and ``coco doctor`` (profiles and connection checks).

``config show`` prints the resolved profile - the one ``coco timeline`` would use
with the same options - on stdout, the password only as set or not set. ``doctor``
connects with it, checks the table (or store) and prints one ``ok`` line; any
problem is one line on stderr and exit 4 (a configuration error: exit 2).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from .app import app
from .options import ProfileOption, StoreOption

config_app = typer.Typer(
    name="config",
    help="Show the configuration profiles (see 'coco config show --help').",
    no_args_is_help=True,
)
app.add_typer(config_app, name="config")


@config_app.command("show")
def show(
    profile: Optional[str] = ProfileOption,
    store: Optional[Path] = StoreOption,
    as_json: bool = typer.Option(False, "--json", help="One JSON object instead of text."),
) -> int:
    """Print the resolved configuration (secrets redacted)."""
    from ..sources import resolve
    from ..sources.configfile import load_config

    chosen = resolve(profile, store)
    config = chosen.config or load_config()
    rows = chosen.settings.describe()
    name = chosen.profile
    head = [
        ("config", f"{config.path}{'' if config.exists else ' (not found)'}"),
        ("profiles", ", ".join(sorted(config.profiles)) or "(none)"),
        ("profile", f"{name} ({chosen.why})" if name else "(none: the local store)"),
    ]
    if as_json:
        doc = {
            "config": str(config.path),
            "config_exists": config.exists,
            "profiles": sorted(config.profiles),
            "default": config.default,
            "profile": name,
            "chosen_by": chosen.why,
            "settings": dict(rows),
        }
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
    from ..sources import check, resolve

    typer.echo(check(resolve(profile, store)))
    return 0
