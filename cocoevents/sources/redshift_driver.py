"""Connecting to Redshift with ``redshift_connector``: the driver's arguments and its errors as one line.

Used by the Redshift source and by the warehouse COPY job, so both connect with the
same settings and report failures the same way: one line, passed through
``redact``, the password never in it, driver exceptions never chained (so no
credential can reach a traceback). ``redshift_connector`` (and through it
``boto3``) is imported only when connecting.
"""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING, Any, Optional

from ..errors import SourceUnavailable, chain
from ..redact import redact
from ..textsafe import say
from .configfile import PASSWORD_ENV

if TYPE_CHECKING:  # pragma: no cover
    from .redshift_settings import Settings

# SQLSTATEs worth a specific message (PostgreSQL's, which Redshift reports too).
AUTH = {"28P01", "28000"}
TIMEOUT = {"57014"}
NO_DATABASE = {"3D000"}
NO_TABLE = {"42P01", "3F000"}
NO_COLUMN = {"42703", "42883"}
DENIED = {"42501"}


def db_error(e: BaseException) -> tuple[Optional[str], str]:
    """(SQLSTATE, one-line message) of a driver exception."""
    arg = e.args[0] if e.args else None
    if isinstance(arg, dict):
        return arg.get("C"), str(arg.get("M", "")).splitlines()[0] if arg.get("M") else type(e).__name__
    parts = [str(a) for a in e.args if a not in (None, "")]
    text = ": ".join(parts) if parts else type(e).__name__
    cause = e.__cause__ or e.__context__
    if cause is not None and str(cause) and str(cause) not in text:
        text = f"{text}: {cause}"
    return None, (text.splitlines() or [type(e).__name__])[0]


def one_line(text: str) -> str:
    return redact(" ".join(text.split()))


def is_driver_error(e: BaseException) -> bool:
    from redshift_connector import Error as DriverError

    return isinstance(e, (DriverError, OSError))


def connect_kwargs(profile: Settings, password: Optional[str]) -> dict[str, Any]:
    """The driver's keyword arguments for a profile (the password only for a password login)."""
    p = profile
    kw: dict[str, Any] = {
        "database": p.database,
        "ssl": p.tls,
        "timeout": max(1, round(p.connect_timeout_us / 1e6)),
        "application_name": "coco",
    }
    if p.tls:
        # Always named, so the driver never picks a mode itself: verify-full makes OpenSSL check the host name
        # (the driver checks it itself, and only warns in its log, when the mode was left to it); the driver knows
        # no "require" (it would fall back to its own default), so require is verify-ca: the chain is checked.
        kw["sslmode"] = "verify-full" if p.sslmode == "verify-full" else "verify-ca"
    if p.host:
        kw["host"] = p.host
        kw["port"] = p.port
    if p.auth == "password":
        kw["user"] = p.user
        kw["password"] = password or ""
    else:
        kw["iam"] = True
        kw["db_user"] = p.db_user or p.user
        if p.region:
            kw["region"] = p.region
        if p.aws_profile:
            kw["profile"] = p.aws_profile
        if p.auth == "serverless":
            kw["is_serverless"] = True
            kw["serverless_work_group"] = p.workgroup
        elif p.cluster_identifier:
            kw["cluster_identifier"] = p.cluster_identifier
    return kw


def connect(profile: Settings, password: Optional[str]) -> Any:
    """A driver connection for ``profile``, autocommit on; ``SourceUnavailable`` with one clean line."""
    try:
        import redshift_connector
    except ImportError:  # pragma: no cover - a declared dependency
        raise SourceUnavailable("the Redshift driver is not installed: pip install redshift-connector") from None
    warning = profile.weak_tls_warning()
    if warning:
        say(f"coco: warning: {warning}")
    try:
        con = redshift_connector.connect(**connect_kwargs(profile, password))
    except Exception as e:  # driver, socket, IAM (botocore) errors alike: one line, no chain
        raise SourceUnavailable(_connect_message(profile, e, password)) from None
    try:
        con.autocommit = True
        sock = getattr(con, "_usock", None)  # the driver's timeout= also limits each read: let statement_timeout act
        if sock is not None:
            sock.settimeout(profile.statement_timeout_us / 1e6 + profile.connect_timeout_us / 1e6)
    except Exception:  # pragma: no cover
        pass
    return con


def _certificate_error(e: BaseException) -> Optional[ssl.SSLCertVerificationError]:
    return next((seen for seen in chain(e) if isinstance(seen, ssl.SSLCertVerificationError)), None)


_HOSTNAME_MISMATCH = 62  # X509_V_ERR_HOSTNAME_MISMATCH


def _connect_message(profile: Settings, e: BaseException, password: Optional[str]) -> str:
    code, message = db_error(e)
    where = profile.where()
    lowered = message.lower()
    refused = _certificate_error(e)
    if refused is not None and refused.verify_code == _HOSTNAME_MISMATCH:
        text = (
            f"cannot connect to {where}: the server's TLS certificate is not for host {profile.host} "
            "(sslmode verify-full checks the host name)"
        )
    elif refused is not None:
        text = f"cannot connect to {where}: the server's TLS certificate is not trusted ({refused.verify_message})"
    elif code in AUTH or "password authentication failed" in lowered:
        hint = (
            (f"check {PASSWORD_ENV}" if password else f"{PASSWORD_ENV} is not set")
            if profile.auth == "password"
            else "check the IAM credentials"
        )
        text = f"cannot connect to {where}: authentication failed ({hint})"
    elif code in NO_DATABASE:
        text = f"cannot connect to {where}: {message}"
    elif code in TIMEOUT or "timed out" in lowered or "timeout" in lowered:
        text = f"cannot connect to {where}: timed out after {profile.connect_timeout_us / 1e6:g}s"
    elif "refuses ssl" in lowered:
        text = f"cannot connect to {where}: the server does not offer SSL"
    elif type(e).__module__.startswith(("botocore", "boto3")):
        text = f"cannot connect to {where}: IAM credentials: {message}"
    else:
        text = f"cannot connect to {where}: {message}"
    if password:
        text = text.replace(password, "***")
    return one_line(text)
