"""Configuration profiles: which event source ``coco timeline`` reads, and how to reach it.

The file is ``$XDG_CONFIG_HOME/coco/config.toml`` (default
``~/.config/coco/config.toml``). It names profiles and, optionally, a default::

    default = "prod"

    [profiles.laptop]
    source = "local"
    store = "~/coco/events.duckdb"       # optional: the default store path otherwise

    [profiles.prod]                      # password login (the password from the environment)
    source = "redshift"
    host = "analytics.abc123.us-west-2.redshift.amazonaws.com"
    port = 5439                          # default 5439
    database = "analytics"
    user = "oncall"
    schema = "analytics"                 # the default, as 'coco warehouse ddl' creates it
    table = "raw_events"                 # the default
    statement_timeout = "30s"            # default 60s; SET statement_timeout per session
    lookback = "14d"                     # default 14d; bound of a delivery lookup without --since
    # ssl = true, sslmode = "verify-full", connect_timeout = "10s" are the defaults

    [profiles.prod-iam]                  # IAM: temporary credentials from an AWS profile
    source = "redshift"
    iam = true
    cluster_identifier = "analytics"
    db_user = "oncall"
    region = "us-west-2"
    aws_profile = "oncall"               # optional: the default AWS credential chain otherwise
    database = "analytics"

    [profiles.serverless]                # a Redshift Serverless workgroup, IAM credentials
    source = "redshift"
    workgroup = "analytics-wg"
    region = "us-west-2"
    database = "analytics"

This module only reads: TOML and the environment into plain values. What the
keys of a profile mean, their defaults and their validation belong to the kind of
source (``cocoevents.sources``, each kind's ``SETTINGS``); choosing a profile is
``sources.resolve``: ``--profile NAME`` (or ``COCO_PROFILE``) first; otherwise an
explicit ``--store``/``COCO_STORE`` means the local store (and the file is not
read at all); otherwise the file's ``default``; otherwise the local store.

Trust: like ssh, a config file that others can write (group- or world-writable,
or in such a folder without the sticky bit) is refused - whoever can write it
can point a profile at their own host and collect the password.

Secrets: passwords come only from ``COCO_REDSHIFT_PASSWORD`` (or IAM). A
``password`` key in the file is refused - config files get copied, committed
and pasted - and there is no command-line flag for one. Nothing here ever
formats the password into a message; ``describe()`` shows only whether it is set.

Errors in the file (bad TOML, unknown keys, missing fields, bad identifiers or
durations) are ``UsageError`` (exit 2) naming the file, the profile and the key.
Importing this module imports no source, driver or database.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from ..errors import UsageError

PASSWORD_ENV = "COCO_REDSHIFT_PASSWORD"
_SECRET_KEYS = {"password", "passwd", "pwd", "secret_access_key", "aws_secret_access_key", "session_token"}


def config_path() -> Path:
    """``$XDG_CONFIG_HOME/coco/config.toml``, default ``~/.config/coco/config.toml``."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "coco" / "config.toml"


def password_from_env() -> Optional[str]:
    value = os.environ.get(PASSWORD_ENV)
    return value if value else None


@dataclass(frozen=True)
class Config:
    """The file as read: ``profiles`` maps each name to its table of plain values (``source`` included)."""

    path: Path
    exists: bool
    default: Optional[str]
    profiles: dict[str, dict[str, Any]]


def load_config(path: Optional[Path] = None) -> Config:
    """Read the config file; a missing file is an empty config."""
    import tomllib

    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config(path, False, None, {})
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"cannot read config {path}: {getattr(e, 'strerror', None) or e}") from None
    _check_trust(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"config {path}: not valid TOML: {e}") from None
    unknown = sorted(set(data) - {"default", "profiles"})
    if unknown:
        raise UsageError(f"config {path}: unknown top-level key {unknown[0]!r} (known: default, profiles)")
    default = data.get("default")
    if default is not None and not isinstance(default, str):
        raise UsageError(f"config {path}: 'default' must be a profile name")
    tables = data.get("profiles", {})
    if not isinstance(tables, dict):
        raise UsageError(f"config {path}: 'profiles' must be a table of [profiles.NAME] tables")
    for name, body in tables.items():
        where = f"config {path}: profile {name!r}"
        if not isinstance(body, dict):
            raise UsageError(f"{where}: must be a table ([profiles.{name}])")
        secret = sorted(k for k in body if k.lower() in _SECRET_KEYS)
        if secret:
            raise UsageError(
                f"{where}: has a {secret[0]!r} key; secrets never go in the config file - "
                f"set {PASSWORD_ENV} in the environment or use IAM (iam = true), and remove the key"
            )
    if default is not None and default not in tables:
        listed = f" (profiles: {', '.join(sorted(tables))})" if tables else ""
        raise UsageError(f"config {path}: default profile {default!r} is not defined{listed}")
    return Config(path, True, default, dict(tables))


def _check_trust(path: Path) -> None:
    """Refuse a file another user owns (root aside, as ssh does: root could change it anyway) or others can
    write, or one in a folder others can write (unless sticky, as /tmp): its profiles choose where coco connects."""
    try:
        st = path.stat()
        folder = path.parent.stat()
    except OSError as e:
        raise UsageError(f"cannot read config {path}: {e.strerror or e}") from None
    me = os.getuid()
    if st.st_uid not in (me, 0):
        raise UsageError(
            f"config {path} belongs to user {st.st_uid}, not to you ({me}): not used; "
            f"make it yours: 'cp {path} {path}.mine && mv {path}.mine {path}'"
        )
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise UsageError(f"config {path} is writable by others (mode {stat.S_IMODE(st.st_mode):o}): not used; run 'chmod go-w {path}'")
    if folder.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not folder.st_mode & stat.S_ISVTX:
        raise UsageError(
            f"config {path} is in a folder writable by others (mode {stat.S_IMODE(folder.st_mode):o}): "
            f"not used; run 'chmod go-w {path.parent}'"
        )
