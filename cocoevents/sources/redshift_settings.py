"""A redshift profile: its keys (``SETTINGS``: name, type, default, help) and ``Settings``, validated once.

Password logins need TLS except to a loopback host; the password itself is never a setting (it comes from
the environment, ``COCO_REDSHIFT_PASSWORD``) and ``describe`` shows it only as set or not set.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import ip_address
from typing import Any, Optional

from ..errors import UsageError
from ..timestamps import format_duration
from .configfile import PASSWORD_ENV, password_from_env
from .settings import Setting, validate

SSLMODES = ("verify-full", "verify-ca", "require", "disable")
# What a weaker mode leaves open, for the warning at each connection (``weak_tls_warning``).
WEAK_SSLMODES = ("verify-ca", "require")
SETTINGS = (
    Setting("host", "host", None, "Cluster endpoint (password login; optional with IAM)."),
    Setting("port", "port", 5439, "Port."),
    Setting("database", "str", None, "Database (required)."),
    Setting("user", "str", None, f"User of a password login (the password from {PASSWORD_ENV})."),
    Setting("iam", "bool", False, "Log in with IAM temporary credentials."),
    Setting("cluster_identifier", "str", None, "Cluster of an IAM login."),
    Setting("db_user", "str", None, "Database user of an IAM login."),
    Setting("region", "str", None, "AWS region (IAM, serverless)."),
    Setting("aws_profile", "str", None, "AWS credentials profile (IAM; default: the AWS chain)."),
    Setting("workgroup", "str", None, "Redshift Serverless workgroup (IAM credentials)."),
    Setting("schema", "identifier", "analytics", "Schema of the events table (as 'coco warehouse ddl')."),
    Setting("table", "identifier", "raw_events", "Events table (as 'coco warehouse ddl')."),
    Setting(
        "baseline_table", "identifier", "delivery_baseline", "Fleet baseline table in the same schema (kept by 'coco warehouse baseline')."
    ),
    Setting("statement_timeout", "duration", 60_000_000, "SET statement_timeout for every session."),
    Setting("lookback", "duration", 14 * 86_400_000_000, "How far back a delivery is searched without --since."),
    Setting("ssl", "bool", True, "TLS (a password login without TLS only to a loopback host)."),
    Setting(
        "sslmode",
        "choice",
        "verify-full",
        "TLS verification: verify-full checks the certificate chain and the host name; verify-ca and require skip the "
        "host name (warned at each connection); disable is no TLS (as ssl = false).",
        SSLMODES,
    ),
    Setting("connect_timeout", "duration", 10_000_000, "Connect timeout."),
    Setting(
        "load_log",
        "identifier",
        "raw_events_load_log",
        "The COPY job's load log in the same schema (which archive objects the table holds; for --fresh).",
    ),
    Setting(
        "bounds_table",
        "identifier",
        "event_bounds",
        "The COPY job's id -> time-bounds table in the same schema (bounds a delivery's statements; optional).",
    ),
    Setting("fresh_from", "str", None, "An s3 profile: every timeline adds the archive objects not yet COPYed (as --fresh does)."),
)
_DEFAULT = {s.name: s.default for s in SETTINGS}
_RENAMED = {"statement_timeout": "statement_timeout_us", "lookback": "lookback_us", "connect_timeout": "connect_timeout_us"}


@dataclass(frozen=True)
class Settings:
    """A redshift profile, validated; durations in microseconds. Defaults: ``SETTINGS``."""

    name: Optional[str]
    host: Optional[str] = _DEFAULT["host"]
    port: int = _DEFAULT["port"]
    database: Optional[str] = _DEFAULT["database"]
    user: Optional[str] = _DEFAULT["user"]
    iam: bool = _DEFAULT["iam"]
    cluster_identifier: Optional[str] = _DEFAULT["cluster_identifier"]
    db_user: Optional[str] = _DEFAULT["db_user"]
    region: Optional[str] = _DEFAULT["region"]
    aws_profile: Optional[str] = _DEFAULT["aws_profile"]
    workgroup: Optional[str] = _DEFAULT["workgroup"]
    schema: str = _DEFAULT["schema"]
    table: str = _DEFAULT["table"]
    baseline_table: str = _DEFAULT["baseline_table"]
    statement_timeout_us: int = _DEFAULT["statement_timeout"]
    lookback_us: int = _DEFAULT["lookback"]
    ssl: bool = _DEFAULT["ssl"]
    sslmode: str = _DEFAULT["sslmode"]
    connect_timeout_us: int = _DEFAULT["connect_timeout"]
    load_log: str = _DEFAULT["load_log"]
    bounds_table: str = _DEFAULT["bounds_table"]
    fresh_from: Optional[str] = _DEFAULT["fresh_from"]
    fresh: bool = False  # --fresh (not a profile key: fresh_from is)

    @classmethod
    def from_values(cls, where: str, name: Optional[str], values: dict[str, Any]) -> Settings:
        checked = validate(where, "redshift", SETTINGS, values)
        s = cls(name, **{_RENAMED.get(k, k): v for k, v in checked.items()})
        if s.database is None:
            raise UsageError(f"{where}: 'database' is required")
        if s.auth == "password":
            for key in ("host", "user"):
                if getattr(s, key) is None:
                    raise UsageError(
                        f"{where}: {key!r} is required for a password login "
                        "(or set iam = true with cluster_identifier, db_user and region, or a workgroup)"
                    )
            if not s.tls and not is_loopback(s.host):
                said = "ssl = false" if not s.ssl else 'sslmode = "disable"'
                raise UsageError(
                    f"{where}: {said} would send the password in clear to {s.host}; "
                    "a password login without TLS is allowed only to a loopback host"
                )
        elif s.auth == "iam":
            if not (s.cluster_identifier or s.host):
                raise UsageError(f"{where}: 'cluster_identifier' (or 'host') is required with iam = true")
            if s.db_user is None:
                raise UsageError(f"{where}: 'db_user' is required with iam = true")
            if s.region is None and s.host is None:
                raise UsageError(f"{where}: 'region' is required with iam = true")
        return s

    @property
    def auth(self) -> str:
        """``password``, ``iam`` or ``serverless``."""
        if self.workgroup:
            return "serverless"
        return "iam" if self.iam else "password"

    @property
    def tls(self) -> bool:
        """Whether the connection uses TLS: ``ssl = true`` and an sslmode other than ``disable``."""
        return self.ssl and self.sslmode != "disable"

    def weak_tls_warning(self) -> Optional[str]:
        """The risk of an sslmode that skips the host name check, said once per connection; None for verify-full."""
        if not self.tls or self.sslmode not in WEAK_SSLMODES:
            return None
        host = self.host or "the cluster's endpoint"
        who = "receive the password" if self.auth == "password" else "receive the temporary IAM password"
        return (
            f'profile {self.name or "?"}: sslmode = "{self.sslmode}" does not check that the server\'s certificate names {host}: '
            f'any server holding a certificate from a trusted CA can pose as it and {who}; use sslmode = "verify-full"'
        )

    @property
    def qualified_table(self) -> str:
        return f"{self.schema}.{self.table}"

    def where(self) -> str:
        """Where the events are, for messages: never contains a secret."""
        place = self.host or self.workgroup or self.cluster_identifier or "?"
        who = self.db_user if self.auth != "password" else self.user
        return f"redshift {place}{':' + str(self.port) if self.host else ''}/{self.database} as {who}"

    def describe(self) -> list[tuple[str, str]]:
        """The resolved settings, in a stable order, the password only as set / not set."""
        rows: list[tuple[str, str]] = [("source", "redshift"), ("auth", self.auth)]
        for key in ("host", "port", "database", "user", "cluster_identifier", "db_user", "region", "aws_profile", "workgroup"):
            value = getattr(self, key)
            if value not in (None, ""):
                rows.append((key, str(value)))
        rows += [
            ("table", self.qualified_table),
            ("statement_timeout", format_duration(self.statement_timeout_us)),
            ("lookback", format_duration(self.lookback_us)),
            ("ssl", f"on ({self.sslmode})" if self.tls else "off"),
            ("connect_timeout", format_duration(self.connect_timeout_us)),
        ]
        if self.fresh_from:
            rows.append(("fresh_from", self.fresh_from))
        if self.auth == "password":
            rows.append(("password", f"*** (from {PASSWORD_ENV})" if password_from_env() else f"(not set: {PASSWORD_ENV})"))
        else:
            rows.append(("password", "(not used: IAM credentials)"))
        return rows


def is_loopback(host: Optional[str]) -> bool:
    if host is None:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
