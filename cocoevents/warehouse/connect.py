"""Opening a Redshift connection for the COPY job from environment variables.

The variables describe a redshift profile (``cocoevents.sources.redshift.Settings``) for
places without a config file, such as the Lambda: ``COCO_REDSHIFT_HOST``,
``_PORT`` (5439), ``_DATABASE`` (dev), ``_USER``; or ``COCO_REDSHIFT_IAM=1``
with ``_CLUSTER``, ``_DB_USER``, ``_REGION`` (and ``AWS_PROFILE``);
``COCO_REDSHIFT_SSL=0`` turns TLS off (local stand-ins only) and
``COCO_REDSHIFT_TIMEOUT`` sets the connect timeout in seconds. The password
comes from ``COCO_REDSHIFT_PASSWORD`` only. Connecting is the profile source's
own ``connect`` (``sources.redshift_driver``: same driver settings, same one-line redacted errors); the
connection is returned with autocommit off: the job owns the transaction.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from ..errors import UsageError
from ..sources.configfile import password_from_env
from ..sources.redshift_driver import connect
from ..sources.redshift_settings import Settings

ENV = "COCO_REDSHIFT_"


def profile_from_env(env: Mapping[str, str] | None = None) -> Settings:
    """A redshift profile from ``COCO_REDSHIFT_*`` variables; ``UsageError`` names what is missing."""
    env = os.environ if env is None else env

    def get(name: str, default: str | None = None) -> str | None:
        value = env.get(ENV + name)
        return value if value not in (None, "") else default

    try:
        port = int(get("PORT") or 0) or None
        timeout = int(get("TIMEOUT") or 0) or None
    except ValueError:
        raise UsageError(f"{ENV}PORT and {ENV}TIMEOUT must be integers") from None
    values: dict[str, Any] = {
        "database": get("DATABASE", "dev"),
        "port": port,
        "host": get("HOST"),
        "ssl": (get("SSL", "1") or "1").lower() not in ("0", "false", "no"),
        "connect_timeout": f"{timeout}s" if timeout else None,
    }
    if (get("IAM", "0") or "0").lower() in ("1", "true", "yes"):
        values.update(
            iam=True,
            cluster_identifier=get("CLUSTER"),
            db_user=get("DB_USER"),
            region=get("REGION"),
            aws_profile=env.get("AWS_PROFILE") or None,
        )
    else:
        missing = [ENV + n for n in ("HOST", "USER", "PASSWORD") if not get(n)]
        if missing:
            raise UsageError(
                "Redshift connection not configured: set "
                + ", ".join(missing)
                + f" (or {ENV}IAM=1 with {ENV}CLUSTER, {ENV}DB_USER, {ENV}REGION)"
            )
        values["user"] = get("USER")
    return Settings.from_values(f"{ENV}* variables", "environment", values)


def connect_profile(profile: Settings) -> Any:
    """A ``redshift_connector`` connection for ``profile``, autocommit off."""
    con = connect(profile, password_from_env())
    con.autocommit = False
    return con


def connect_from_env(env: Mapping[str, str] | None = None) -> Any:
    """A ``redshift_connector`` connection from ``COCO_REDSHIFT_*``, autocommit off."""
    return connect_profile(profile_from_env(env))
