"""``coco config init``, ``coco config show`` and ``coco doctor`` (profiles and connection checks).

``config init`` writes a commented config file (``sources.config_template``) readable only by its owner, and
never replaces an existing one without ``--force``.

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
from .options import ProfileOption, StoreOption, reading

config_app = typer.Typer(
    name="config",
    help="Write a commented config file, or show the profile a command would use.",
    no_args_is_help=True,
)
app.add_typer(config_app, name="config")


@config_app.command("init")
def init(
    force: bool = typer.Option(False, "--force", help="Replace an existing config file."),
) -> int:
    """Write a commented config file: the local store, and an s3 and a redshift profile to fill in."""
    import os

    from ..errors import UsageError
    from ..sources.config_template import template
    from ..sources.configfile import config_path
    from .app import err

    path = config_path()
    if path.exists() and not force:
        raise UsageError(f"{path} exists; 'coco config init --force' replaces it ('coco config show' prints what it says)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            os.fchmod(fh.fileno(), 0o600)  # a replaced file keeps no wider mode: others must not write it
            fh.write(template())
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror or e}") from None
    err(f"coco: wrote {path}: a local profile, and an s3 and a redshift profile to uncomment ('coco config show' reads it)")
    return 0


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
    reading(chosen)
    config = chosen.config or load_config()
    rows = chosen.settings.describe()
    name = chosen.profile
    head = [
        ("config", f"{config.path}{'' if config.exists else ' (not found)'}"),
        ("profiles", ", ".join(sorted(config.profiles)) or "(none)"),
        ("profile", f"{name} ({chosen.why})" if name else f"(none: the local store; {chosen.why})"),
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

    chosen = resolve(profile, store)
    reading(chosen)
    typer.echo(check(chosen))
    return 0
