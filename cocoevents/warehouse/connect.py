"""Opening a Redshift connection for the COPY job from environment variables.

Password authentication reads the password from ``COCO_REDSHIFT_PASSWORD`` only
(never a command-line flag). IAM authentication (``COCO_REDSHIFT_IAM=1``) uses
``redshift_connector``'s ``iam=True`` with the cluster identifier, database user,
region and an optional AWS profile. ``COCO_REDSHIFT_SSL=0`` turns TLS off, for local
stand-ins only. The connection is returned with autocommit
off: the job owns the transaction. Failures become ``SourceUnavailable`` with a
redacted one-line message.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from ..errors import SourceUnavailable, UsageError
from ..redact import redact

ENV = "COCO_REDSHIFT_"


def connection_kwargs(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Keyword arguments for ``redshift_connector.connect`` from ``COCO_REDSHIFT_*`` variables."""
    env = os.environ if env is None else env

    def get(name: str, default: str | None = None) -> str | None:
        value = env.get(ENV + name)
        return value if value not in (None, "") else default

    kwargs: dict[str, Any] = {"database": get("DATABASE", "dev")}
    try:
        kwargs["port"] = int(get("PORT", "5439") or "5439")
        if get("TIMEOUT"):
            kwargs["timeout"] = int(get("TIMEOUT") or "0")
    except ValueError:
        raise UsageError(f"{ENV}PORT and {ENV}TIMEOUT must be integers") from None
    if get("HOST"):
        kwargs["host"] = get("HOST")
    if (get("SSL", "1") or "1").lower() in ("0", "false", "no"):
        kwargs["ssl"] = False  # only for local stand-ins (tests); Redshift itself speaks TLS
    if (get("IAM", "0") or "0").lower() in ("1", "true", "yes"):
        kwargs["iam"] = True
        for key, name in (("cluster_identifier", "CLUSTER"), ("db_user", "DB_USER"), ("region", "REGION")):
            if get(name):
                kwargs[key] = get(name)
        if env.get("AWS_PROFILE"):
            kwargs["profile"] = env["AWS_PROFILE"]
    else:
        missing = [ENV + n for n in ("HOST", "USER", "PASSWORD") if not get(n)]
        if missing:
            raise UsageError("Redshift connection not configured: set " + ", ".join(missing)
                             + f" (or {ENV}IAM=1 with {ENV}CLUSTER, {ENV}DB_USER, {ENV}REGION)")
        kwargs["user"] = get("USER")
        kwargs["password"] = get("PASSWORD")
    return kwargs


def connect_from_env(env: Mapping[str, str] | None = None) -> Any:
    """A ``redshift_connector`` connection, autocommit off."""
    kwargs = connection_kwargs(env)
    import redshift_connector

    try:
        conn = redshift_connector.connect(**kwargs)
    except Exception as e:
        where = kwargs.get("host") or kwargs.get("cluster_identifier") or "?"
        raise SourceUnavailable(redact(f"cannot connect to Redshift at {where}: {type(e).__name__}: {e}")) from e
    conn.autocommit = False
    return conn
