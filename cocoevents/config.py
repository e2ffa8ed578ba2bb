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
    schema = "analytics"                 # default "public"
    table = "raw_events"                 # default "events"
    statement_timeout = "30s"            # default 60s; SET statement_timeout per session
    lookback = "14d"                     # default 14d; bound of a delivery lookup without --since
    # ssl = true, sslmode = "verify-ca", connect_timeout = "10s" are the defaults

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

Choosing a profile: ``--profile NAME`` (or ``COCO_PROFILE``) first; otherwise an
explicit ``--store``/``COCO_STORE`` means the local store; otherwise the file's
``default``; otherwise the local store.

Secrets: passwords come only from ``COCO_REDSHIFT_PASSWORD`` (or IAM). A
``password`` key in the file is refused - config files get copied, committed
and pasted - and there is no command-line flag for one. Nothing here ever
formats the password into a message; ``describe()`` shows only whether it is set.

Errors in the file (bad TOML, unknown keys, missing fields, bad identifiers or
durations) are ``UsageError`` (exit 2) naming the file, the profile and the key.
Importing this module imports neither ``redshift_connector`` nor ``boto3``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from .errors import UsageError
from .timestamps import parse_duration

PASSWORD_ENV = "COCO_REDSHIFT_PASSWORD"
SOURCES = ("local", "redshift")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,126}$")
_HOST = re.compile(r"^[A-Za-z0-9._:\-\[\]]{1,253}$")

_LOCAL_KEYS = {"source", "store"}
_REDSHIFT_KEYS = {
    "source", "host", "port", "database", "user", "iam", "cluster_identifier", "db_user", "region",
    "aws_profile", "workgroup", "schema", "table", "statement_timeout", "lookback", "ssl", "sslmode",
    "connect_timeout",
}
_SECRET_KEYS = {"password", "passwd", "pwd", "secret_access_key", "aws_secret_access_key", "session_token"}
_SSLMODES = ("verify-ca", "verify-full", "require", "disable")


def config_path() -> Path:
    """``$XDG_CONFIG_HOME/coco/config.toml``, default ``~/.config/coco/config.toml``."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "coco" / "config.toml"


def password_from_env() -> Optional[str]:
    value = os.environ.get(PASSWORD_ENV)
    return value if value else None


@dataclass(frozen=True)
class Profile:
    """One resolved profile; durations in microseconds, paths expanded."""

    name: str
    source: str
    store: Optional[Path] = None
    host: Optional[str] = None
    port: int = 5439
    database: Optional[str] = None
    user: Optional[str] = None
    iam: bool = False
    cluster_identifier: Optional[str] = None
    db_user: Optional[str] = None
    region: Optional[str] = None
    aws_profile: Optional[str] = None
    workgroup: Optional[str] = None
    schema: str = "public"
    table: str = "events"
    statement_timeout_us: int = 60_000_000
    lookback_us: int = 14 * 86_400_000_000
    ssl: bool = True
    sslmode: str = "verify-ca"
    connect_timeout_us: int = 10_000_000
    raw: tuple[tuple[str, Any], ...] = ()

    @property
    def auth(self) -> str:
        """``password``, ``iam`` or ``serverless``."""
        if self.workgroup:
            return "serverless"
        return "iam" if self.iam else "password"

    @property
    def qualified_table(self) -> str:
        return f"{self.schema}.{self.table}"

    def where(self) -> str:
        """Where the events are, for messages: never contains a secret."""
        if self.source == "local":
            return f"local store {self.store or '(default path)'}"
        place = self.host or self.workgroup or self.cluster_identifier or "?"
        who = self.db_user if self.auth != "password" else self.user
        return f"redshift {place}{':' + str(self.port) if self.host else ''}/{self.database} as {who}"

    def describe(self) -> list[tuple[str, str]]:
        """The resolved settings, in a stable order, the password only as set / not set."""
        rows: list[tuple[str, str]] = [("source", self.source)]
        if self.source == "local":
            from .store.local import default_store_path

            rows.append(("store", str(self.store or default_store_path())))
            return rows
        rows.append(("auth", self.auth))
        for key in ("host", "port", "database", "user", "cluster_identifier", "db_user", "region", "aws_profile",
                    "workgroup"):
            value = getattr(self, key)
            if value not in (None, ""):
                rows.append((key, str(value)))
        rows += [
            ("table", self.qualified_table),
            ("statement_timeout", format_duration(self.statement_timeout_us)),
            ("lookback", format_duration(self.lookback_us)),
            ("ssl", f"{'on' if self.ssl else 'off'}{' (' + self.sslmode + ')' if self.ssl else ''}"),
            ("connect_timeout", format_duration(self.connect_timeout_us)),
        ]
        if self.auth == "password":
            rows.append(("password", f"*** (from {PASSWORD_ENV})" if password_from_env() else f"(not set: {PASSWORD_ENV})"))
        else:
            rows.append(("password", "(not used: IAM credentials)"))
        return rows


@dataclass(frozen=True)
class Config:
    path: Path
    exists: bool
    default: Optional[str]
    profiles: dict[str, Profile]


def load_config(path: Optional[Path] = None) -> Config:
    """Read and validate the config file; a missing file is an empty config."""
    import tomllib

    path = path or config_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Config(path, False, None, {})
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"cannot read config {path}: {getattr(e, 'strerror', None) or e}") from None
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
    profiles = {name: _profile(path, name, body) for name, body in tables.items()}
    if default is not None and default not in profiles:
        raise UsageError(f"config {path}: default profile {default!r} is not defined{_known(profiles)}")
    return Config(path, True, default, profiles)


def select_profile(name: Optional[str], *, store_given: bool = False, config: Optional[Config] = None
                   ) -> Optional[Profile]:
    """The profile named, else (without an explicit store) the default one, else ``None`` (local store)."""
    config = config or load_config()
    if name:
        if name not in config.profiles:
            where = f"in {config.path}" if config.exists else f"(no config file at {config.path})"
            raise UsageError(f"no profile {name!r} {where}{_known(config.profiles)}")
        return config.profiles[name]
    if store_given or config.default is None:
        return None
    return config.profiles[config.default]


def open_profile_source(profile: Optional[str], store: Optional[Path]) -> Any:
    """The event source of the chosen profile, or ``None`` for the plain local store."""
    chosen = select_profile(profile, store_given=store is not None)
    if chosen is None:
        return None
    if chosen.source == "local":
        from .sources.local import LocalSource

        path = store.expanduser() if store is not None else chosen.store
        return LocalSource(path)
    from .sources.redshift import RedshiftSource

    return RedshiftSource(chosen, password=password_from_env())


# -- validation ----------------------------------------------------------------------------------


def _known(profiles: dict[str, Profile]) -> str:
    return f" (profiles: {', '.join(sorted(profiles))})" if profiles else ""


def format_duration(us: int) -> str:
    for unit, size in (("d", 86_400_000_000), ("h", 3_600_000_000), ("m", 60_000_000), ("s", 1_000_000)):
        if us % size == 0 and us >= size:
            return f"{us // size}{unit}"
    return f"{us // 1000}ms"


def _profile(path: Path, name: str, body: Any) -> Profile:
    where = f"config {path}: profile {name!r}"
    if not isinstance(body, dict):
        raise UsageError(f"{where}: must be a table ([profiles.{name}])")
    secret = sorted(k for k in body if k.lower() in _SECRET_KEYS)
    if secret:
        raise UsageError(
            f"{where}: has a {secret[0]!r} key; secrets never go in the config file - "
            f"set {PASSWORD_ENV} in the environment or use IAM (iam = true), and remove the key"
        )
    source = body.get("source")
    if source not in SOURCES:
        raise UsageError(f"{where}: 'source' must be one of {', '.join(SOURCES)}")
    allowed = _LOCAL_KEYS if source == "local" else _REDSHIFT_KEYS
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise UsageError(f"{where}: unknown key {unknown[0]!r} for a {source} profile "
                         f"(known: {', '.join(sorted(allowed))})")

    def text(key: str, required: bool = False) -> Optional[str]:
        value = body.get(key)
        if value is None:
            if required:
                raise UsageError(f"{where}: {key!r} is required")
            return None
        if not isinstance(value, str) or not value.strip():
            raise UsageError(f"{where}: {key!r} must be a non-empty string")
        return value

    def flag(key: str, default: bool) -> bool:
        value = body.get(key, default)
        if not isinstance(value, bool):
            raise UsageError(f"{where}: {key!r} must be true or false")
        return value

    def duration(key: str, default: int) -> int:
        value = body.get(key)
        if value is None:
            return default
        try:
            us = parse_duration(str(value)) if isinstance(value, (str, int)) and not isinstance(value, bool) else -1
        except ValueError as e:
            raise UsageError(f"{where}: {key!r}: {e}") from None
        if us <= 0:
            raise UsageError(f"{where}: {key!r} must be a positive duration like 30s, 5m, 14d")
        return us

    raw = tuple(sorted(body.items()))
    if source == "local":
        store = text("store")
        return Profile(name, "local", store=Path(store).expanduser() if store else None, raw=raw)

    port = body.get("port", 5439)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise UsageError(f"{where}: 'port' must be a number from 1 to 65535")
    for key in ("schema", "table"):
        value = body.get(key)
        if value is not None and (not isinstance(value, str) or not IDENTIFIER.match(value)):
            raise UsageError(f"{where}: {key!r} must be a plain identifier (letters, digits, _; "
                             "not starting with a digit)")
    host = text("host")
    if host is not None and not _HOST.match(host):
        raise UsageError(f"{where}: 'host' is not a host name")
    sslmode = body.get("sslmode", "verify-ca")
    if sslmode not in _SSLMODES:
        raise UsageError(f"{where}: 'sslmode' must be one of {', '.join(_SSLMODES)}")
    profile = Profile(
        name, "redshift",
        host=host, port=port, database=text("database", required=True), user=text("user"),
        iam=flag("iam", False), cluster_identifier=text("cluster_identifier"), db_user=text("db_user"),
        region=text("region"), aws_profile=text("aws_profile"), workgroup=text("workgroup"),
        schema=body.get("schema", "public"), table=body.get("table", "events"),
        statement_timeout_us=duration("statement_timeout", 60_000_000),
        lookback_us=duration("lookback", 14 * 86_400_000_000),
        ssl=flag("ssl", True), sslmode=sslmode,
        connect_timeout_us=duration("connect_timeout", 10_000_000), raw=raw,
    )
    if profile.auth == "password":
        for key in ("host", "user"):
            if getattr(profile, key) is None:
                raise UsageError(f"{where}: {key!r} is required for a password login "
                                 "(or set iam = true with cluster_identifier, db_user and region, or a workgroup)")
    elif profile.auth == "iam":
        if not (profile.cluster_identifier or profile.host):
            raise UsageError(f"{where}: 'cluster_identifier' (or 'host') is required with iam = true")
        if profile.db_user is None:
            raise UsageError(f"{where}: 'db_user' is required with iam = true")
        if profile.region is None and profile.host is None:
            raise UsageError(f"{where}: 'region' is required with iam = true")
    return profile
