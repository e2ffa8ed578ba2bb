"""Timestamps: the one definition of a usable event time (timeline rules §1).

A time is carried as an ``int`` of microseconds since the Unix epoch, UTC.
``parse_timestamp`` accepts exactly:

- ISO 8601 strings, ``T`` or a space between date and time, seconds optional,
  fractional seconds of any length (kept to the microsecond, the rest cut),
  then ``Z``, a numeric offset (``+02:00``, ``+0200``, ``+02``) or nothing (UTC);
- JSON numbers (not booleans): epoch seconds when below 1e11, else milliseconds.

Anything else, and any time outside years 1-9999, is unusable: the function
returns ``None`` and never raises. ``SQL_MACROS`` is the same grammar for DuckDB
(the archive's SQL classifier, ``archive.classify``), with the same regular
expression; a test checks that both agree.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

# Shared with the SQL loader: RE2 (DuckDB) and Python's re read it alike.
ISO_PATTERN = (
    r"^\s*([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([01][0-9]|2[0-3]):([0-5][0-9])"
    r"(?::([0-5][0-9])(?:[.,]([0-9]+))?)?"
    r"\s*([Zz]|[+-](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?)?\s*$"
)
_ISO = re.compile(ISO_PATTERN)

EPOCH = datetime(1970, 1, 1)
MIN_US = (datetime(1, 1, 1) - EPOCH) // timedelta(microseconds=1)
MAX_US = (datetime(9999, 12, 31, 23, 59, 59, 999999) - EPOCH) // timedelta(microseconds=1)
SECONDS_LIMIT = 1e11

# The grammar's SQL half (DuckDB macros): an ISO 8601 text's parts and its offset in minutes, for the texts
# DuckDB's own TIMESTAMPTZ cast refuses (the classifier tries that cast first).
ISO_PATTERN_SQL = ISO_PATTERN.replace("'", "''")
SQL_MACROS = f"""
CREATE OR REPLACE TEMP MACRO coco_offset_min(tz) AS
    CASE WHEN tz IN ('', 'Z', 'z') THEN 0
         ELSE (CASE WHEN tz[1] = '-' THEN -1 ELSE 1 END)
              * (CAST(substr(replace(tz, ':', ''), 2, 2) AS INTEGER) * 60
                 + coalesce(TRY_CAST(nullif(substr(replace(tz, ':', ''), 4, 2), '') AS INTEGER), 0))
    END;
CREATE OR REPLACE TEMP MACRO coco_iso_parts(s) AS
    regexp_extract(s, '{ISO_PATTERN_SQL}', ['y', 'mo', 'd', 'h', 'mi', 's', 'f', 'tz']);
CREATE OR REPLACE TEMP MACRO coco_iso_slow(p) AS
    CASE WHEN p.y NOT IN ('', '0000') THEN epoch_us(TRY_CAST(
        p.y || '-' || p.mo || '-' || p.d || ' ' || p.h || ':' || p.mi || ':'
        || coalesce(nullif(p.s, ''), '00') || '.' || rpad(left(p.f, 6), 6, '0') AS TIMESTAMP))
        - coco_offset_min(p.tz) * 60000000::BIGINT END;
"""


def offset_minutes(tz: str | None) -> int:
    """Minutes east of UTC of a ``Z``/``+HH[:MM]`` suffix (0 for none)."""
    if not tz or tz in ("Z", "z"):
        return 0
    sign = -1 if tz[0] == "-" else 1
    digits = tz[1:].replace(":", "")
    return sign * (int(digits[:2]) * 60 + int(digits[2:4] or 0))


def parse_timestamp(value: Any) -> int | None:
    """Epoch microseconds (UTC) of a record's ``timestamp`` value, or ``None``."""
    try:
        if isinstance(value, bool):
            return None
        if isinstance(value, (int, float)):
            return _from_number(value)
        if isinstance(value, str):
            return _from_iso(value)
    except (ValueError, OverflowError, ArithmeticError):
        return None
    return None


def _in_range(us: int) -> int | None:
    return us if MIN_US <= us <= MAX_US else None


def _from_number(value: float) -> int | None:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    scale = 1_000_000 if value < SECONDS_LIMIT else 1_000
    if isinstance(value, int):
        return _in_range(value * scale)
    return _in_range(math.floor(value * scale + 0.5))


def _from_iso(text: str) -> int | None:
    if len(text) > 64:
        return None
    m = _ISO.match(text)
    if m is None:
        return None
    year, month, day, hour, minute, second, frac, tz = m.groups()
    micro = int((frac or "")[:6].ljust(6, "0"))
    dt = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro)
    us = (dt - EPOCH) // timedelta(microseconds=1)
    return _in_range(us - offset_minutes(tz) * 60_000_000)


def to_datetime(us: int) -> datetime:
    """Aware UTC datetime of epoch microseconds."""
    return datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=us)


def format_ts(us: int | None) -> str | None:
    """ISO 8601 UTC with milliseconds and ``Z`` (timeline rules §1); ``None`` stays ``None``."""
    if us is None:
        return None
    dt = EPOCH + timedelta(microseconds=us)
    return (
        f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}"
        f".{dt.microsecond // 1000:03d}Z"
    )  # strftime("%Y") does not pad years below 1000


def now_us() -> int:
    return (datetime.now(timezone.utc).replace(tzinfo=None) - EPOCH) // timedelta(microseconds=1)


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_UNIT_US = {"ms": 1_000, "s": 1_000_000, "m": 60_000_000, "h": 3_600_000_000, "d": 86_400_000_000, "w": 604_800_000_000}


def parse_duration(text: str, default_unit: str = "s") -> int:
    """Microseconds of ``90``, ``30s``, ``5m``, ``2h``, ``3d``, ``1w``; ``ValueError`` otherwise."""
    m = _DURATION.match(text or "")
    if m is None:
        raise ValueError(f"not a duration: {text!r} (use e.g. 30s, 5m, 2h, 3d)")
    number, unit = m.groups()
    us = float(number) * _UNIT_US[unit or default_unit]
    if us > MAX_US - MIN_US:
        raise ValueError(f"duration too long: {text!r}")
    return int(us)


def format_duration(us: int) -> str:
    """The shortest exact text of a duration: ``14d``, ``30s``, ``1500ms`` (the inverse of ``parse_duration``): how
    coco writes a setting back (``coco config show``, a lookback in a message), so that it can be typed again.
    ``duration_text`` is the one for durations measured between events."""
    for unit, size in (("d", 86_400_000_000), ("h", 3_600_000_000), ("m", 60_000_000), ("s", 1_000_000)):
        if us % size == 0 and us >= size:
            return f"{us // size}{unit}"
    return f"{us // 1000}ms"


_MINUTE, _HOUR, _DAY = 60, 3600, 86400


def duration_text(seconds: float, *, short: bool = False) -> str:
    """How coco shows a measured duration to a person, in every output (docs/formats.md): rounded to the second,
    ``42s``, ``8m42s``, ``1h05m30s``; from a day on, to the minute: ``2d01h00m``. ``short``, the form of the
    findings' messages (findings rules): whole minutes without their seconds (``5m``) and hours to the minute
    (``1h05m``)."""
    s = int(round(seconds))
    if s < _MINUTE:
        return f"{s}s"
    if s < _HOUR:
        return f"{s // _MINUTE}m" + (f"{s % _MINUTE:02d}s" if s % _MINUTE or not short else "")
    if s < _DAY:
        return f"{s // _HOUR}h{s % _HOUR // _MINUTE:02d}m" + ("" if short else f"{s % _MINUTE:02d}s")
    return f"{s // _DAY}d{s % _DAY // _HOUR:02d}h{s % _HOUR // _MINUTE:02d}m"


def resolve_tz(name: str) -> tzinfo:
    """``UTC``, ``local`` or an IANA zone name (``--tz``); anything else is ``ValueError``."""
    if name.upper() == "UTC":
        return timezone.utc
    if name == "local":
        local = datetime.now().astimezone().tzinfo
        assert local is not None
        return local
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(name)
    except Exception:  # ZoneInfoNotFoundError, ValueError on odd names
        raise ValueError(f"unknown time zone {name!r}: use UTC, local or an IANA name like Europe/Berlin") from None


def parse_time_option(text: str, now: int | None = None, zone: tzinfo | None = None) -> int:
    """A ``--since``/``--until`` value: ISO 8601 (as for records) or a duration ago (``2h``). A time or date
    without an offset is a wall-clock time in ``zone`` (the ``--tz`` zone; UTC when none)."""
    if text is None or not text.strip():
        raise ValueError("empty time")
    if _DURATION.match(text):
        base = now_us() if now is None else now
        us = base - parse_duration(text)
        if us < MIN_US:
            raise ValueError(f"time too far back: {text!r}")
        return us
    if re.match(r"^\s*\d{4}-\d{2}-\d{2}\s*$", text):
        text = text.strip() + "T00:00:00"
    m = _ISO.match(text) if len(text) <= 64 else None
    us = _from_iso(text) if m is not None else None
    if us is not None and m is not None and m.group(8) is None and zone is not None and zone is not timezone.utc:
        wall = EPOCH + timedelta(microseconds=us)
        try:
            us = (wall.replace(tzinfo=zone).astimezone(timezone.utc).replace(tzinfo=None) - EPOCH) // timedelta(microseconds=1)
        except OverflowError:
            us = None
        us = None if us is None else _in_range(us)
    if us is None:
        raise ValueError(f"not a time: {text!r} (use ISO 8601 like 2026-11-25T10:00:00Z, or 2h, 3d ago)")
    return us
