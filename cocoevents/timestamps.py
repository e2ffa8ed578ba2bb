"""Timestamps: the one definition of a usable event time (timeline rules §1).

A time is carried as an ``int`` of microseconds since the Unix epoch, UTC.
``parse_timestamp`` accepts exactly:

- ISO 8601 strings, ``T`` or a space between date and time, seconds optional,
  fractional seconds of any length (kept to the microsecond, the rest cut),
  then ``Z``, a numeric offset (``+02:00``, ``+0200``, ``+02``) or nothing (UTC);
  ASCII blanks (``BLANK``) around the text and before the offset, no other space;
- JSON numbers (not booleans): epoch seconds when below 1e11, else milliseconds.

Anything else, and any time outside years 1-9999, is unusable: the function
returns ``None`` and never raises.

The same grammar in SQL lives here too, built from the same regular expression and constants, and tests hold
each equal to ``parse_timestamp`` on generated values:

- ``SQL_MACROS``, for DuckDB: the archive's line classifier (``archive.classify``) reads a record's
  ``timestamp`` with ``coco_ts_us``;
- ``warehouse_ts_sql``, for Redshift (and PostgreSQL, its test stand-in): the COPY job's typing insert
  (``warehouse.ddl``) reads the staged record's ``timestamp`` with it. It uses only what the two share, with
  the regular expression rewritten for POSIX (``ISO_POSIX_PATTERN``).

``duration_text`` and ``format_duration`` are the two ways coco writes a duration.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any, overload

# The blanks allowed around a time and before its offset: ASCII's six, spelled out. ``\s`` is not the same
# everywhere: Python's takes every Unicode space too (U+00A0, U+2009, U+3000...), RE2's (DuckDB) not even the
# vertical tab - with it, a time with a thin space before its ``Z`` was read by the library and not by the store.
BLANK = r"[ \t\n\v\f\r]"
# Shared with the SQL loader: RE2 (DuckDB) and Python's re read it alike.
ISO_PATTERN = (
    rf"^{BLANK}*([0-9]{{4}})-([0-9]{{2}})-([0-9]{{2}})[Tt ]([01][0-9]|2[0-3]):([0-5][0-9])"
    r"(?::([0-5][0-9])(?:[.,]([0-9]+))?)?"
    rf"{BLANK}*([Zz]|[+-](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?)?{BLANK}*$"
)
_ISO = re.compile(ISO_PATTERN)

EPOCH = datetime(1970, 1, 1)
MIN_US = (datetime(1, 1, 1) - EPOCH) // timedelta(microseconds=1)
MAX_US = (datetime(9999, 12, 31, 23, 59, 59, 999999) - EPOCH) // timedelta(microseconds=1)
SECONDS_LIMIT = 1e11

# -- the grammar in DuckDB's SQL -----------------------------------------------------------------------------------
# ``coco_ts_us(ttype, tj)``: the epoch microseconds of a record's ``timestamp`` given as its JSON type
# (``json_type``) and JSON value, or NULL. It is built in steps, each a macro over the one before (DuckDB inlines
# macros: a caller that selects a step as a column of its own evaluates it once): ``coco_ts_text``/``_int``/
# ``_double`` take a JSON string, integer or float apart; ``coco_ts_any_us`` is its time at any size (an ISO text:
# DuckDB's own TIMESTAMPTZ cast first, ``coco_iso_slow`` for the texts it refuses); ``coco_ts_in_range`` keeps the
# years 1-9999.
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
CREATE OR REPLACE TEMP MACRO coco_ts_text(ttype, tj) AS CASE WHEN ttype = 'VARCHAR' THEN tj ->> '$' END;
CREATE OR REPLACE TEMP MACRO coco_ts_int(ttype, tj) AS CASE WHEN ttype IN ('BIGINT', 'UBIGINT') THEN TRY_CAST(tj AS HUGEINT) END;
CREATE OR REPLACE TEMP MACRO coco_ts_double(ttype, tj) AS CASE WHEN ttype = 'DOUBLE' THEN TRY_CAST(tj AS DOUBLE) END;
CREATE OR REPLACE TEMP MACRO coco_ts_any_us(tstr, tint, tdbl) AS
    CASE WHEN tstr IS NOT NULL THEN
             CASE WHEN length(tstr) <= 64 AND regexp_full_match(tstr, '{ISO_PATTERN_SQL}')
                  THEN coalesce(epoch_us(TRY_CAST(tstr AS TIMESTAMPTZ)), coco_iso_slow(coco_iso_parts(tstr))) END
         WHEN tint IS NOT NULL THEN tint * CASE WHEN tint < {SECONDS_LIMIT:.0f} THEN 1000000 ELSE 1000 END
         WHEN tdbl IS NOT NULL THEN TRY_CAST(floor(tdbl * CASE WHEN tdbl < {SECONDS_LIMIT:.0f} THEN 1000000 ELSE 1000 END
                                                  + 0.5) AS HUGEINT)
    END;
CREATE OR REPLACE TEMP MACRO coco_ts_in_range(us0) AS CASE WHEN us0 BETWEEN {MIN_US} AND {MAX_US} THEN CAST(us0 AS BIGINT) END;
CREATE OR REPLACE TEMP MACRO coco_ts_us(ttype, tj) AS
    coco_ts_in_range(coco_ts_any_us(coco_ts_text(ttype, tj), coco_ts_int(ttype, tj), coco_ts_double(ttype, tj)));
"""


# -- the grammar in the SQL Redshift and PostgreSQL share ---------------------------------------------------------
# ``ISO_PATTERN`` for POSIX regular expressions as Redshift's ``~`` and PostgreSQL's read them alike: groups
# without ``?:``, ``[[:space:]]`` for ``\s``; no backslash is left (Redshift string literals treat backslashes as
# escapes) and no ``%`` (the driver's paramstyle marker).
ISO_POSIX_PATTERN = ISO_PATTERN.replace("(?:", "(").replace(BLANK, "[[:space:]]")
# JSON numbers whose text can be cast without overflow or underflow (|value| between 1e-299 and 1e117, or zero);
# every in-range epoch value is among them. Integers are exact as BIGINT.
INT_POSIX_PATTERN = "^-?[0-9]{1,18}$"
FLOAT_POSIX_PATTERN = "^-?[0-9]{1,18}([.][0-9]+|([.][0-9]{1,200})?[eE][+-]?[0-9]{1,2})$"
MIN_TS = "0001-01-01 00:00:00"
MAX_TS = "9999-12-31 23:59:59.999999"
_DOUBLE = "DOUBLE PRECISION"


def warehouse_ts_sql(rows: str, columns: str, name: str) -> str:
    """A ``SELECT`` of ``columns`` and the time ``name`` (``TIMESTAMP``, UTC, NULL when unusable) over ``rows``, a
    ``SELECT`` of ``columns`` with ``ts_type`` (the timestamp's JSON type, ``JSON_TYPEOF``'s name) and ``ts_raw``
    (a string's characters, a number's JSON spelling): ``parse_timestamp`` in the SQL Redshift and PostgreSQL share
    (``~`` with POSIX classes, ``REGEXP_SUBSTR``, ``SUBSTRING``, ``CASE``, ``TIMESTAMP 'epoch' + n * INTERVAL``).

    Four nested selects: the first classifies the raw timestamp (a usable ISO string, trimmed; a JSON integer; a
    JSON float), the second cuts the ISO string into its parts and scales the numbers to epoch microseconds, the
    third reads the offset and builds the local timestamp when the date is a real one, the outer one converts to
    UTC and keeps what lies in years 1-9999. Every cast sits in the THEN of a CASE whose test proved the text
    castable, so no value raises. Known differences from ``parse_timestamp``: JSON numbers whose spelling has a
    three-digit exponent (``1e-100``) or more than 18 integer digits (NULL here), and non-ASCII whitespace around
    an ISO string (unusable for ``parse_timestamp``; ``[[:space:]]`` may take it, by the database's locale)."""
    float_us = (
        f"FLOOR(ts_float * CASE WHEN ts_float < CAST({SECONDS_LIMIT:.0f} AS {_DOUBLE}) THEN CAST(1000000 AS {_DOUBLE})"
        f" ELSE CAST(1000 AS {_DOUBLE}) END + CAST(0.5 AS {_DOUBLE}))"
    )
    tz = "NULLIF(REGEXP_SUBSTR(iso, '([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)$'), '')"
    frac = "NULLIF(REGEXP_SUBSTR(SUBSTRING(iso, 17, 64), '^:[0-9]{2}[.,][0-9]+'), '')"
    leap = "(MOD(y, 4) = 0 AND (MOD(y, 100) <> 0 OR MOD(y, 400) = 0))"
    days = f"CASE WHEN mo = 2 THEN CASE WHEN {leap} THEN 29 ELSE 28 END WHEN mo IN (4, 6, 9, 11) THEN 30 ELSE 31 END"
    first_s, last_s = -(MIN_US // -1_000_000), MAX_US // 1_000_000  # the epoch seconds within years 1-9999
    s1 = (
        f"SELECT {columns},\n"
        "               CASE WHEN ts_type = 'string' AND LENGTH(ts_raw) <= 64\n"
        f"                         AND ts_raw ~ '{ISO_POSIX_PATTERN}'\n"
        "                    THEN REGEXP_REPLACE(REGEXP_REPLACE(ts_raw, '^[[:space:]]+', ''), '[[:space:]]+$', '')\n"
        "               END AS iso,\n"
        f"               CASE WHEN ts_type = 'number' AND ts_raw ~ '{INT_POSIX_PATTERN}'\n"
        "                    THEN CAST(ts_raw AS BIGINT) END AS ts_int,\n"
        f"               CASE WHEN ts_type = 'number' AND ts_raw ~ '{FLOAT_POSIX_PATTERN}'\n"
        f"                    THEN CAST(ts_raw AS {_DOUBLE}) END AS ts_float\n"
        f"        FROM ({rows}) s0"
    )
    s2 = (
        "SELECT s1.*,\n"
        "               CAST(SUBSTRING(iso, 1, 4) AS INTEGER) AS y,\n"
        "               CAST(SUBSTRING(iso, 6, 2) AS INTEGER) AS mo,\n"
        "               CAST(SUBSTRING(iso, 9, 2) AS INTEGER) AS d,\n"
        "               CASE WHEN SUBSTRING(iso, 17, 1) = ':' THEN SUBSTRING(iso, 18, 2) ELSE '00' END AS secs,\n"
        f"               RPAD(COALESCE(SUBSTRING({frac}, 5, 6), ''), 6, '0') AS frac,\n"
        f"               {tz} AS tz,\n"
        f"               CASE WHEN ts_int < {SECONDS_LIMIT:.0f}\n"
        f"                    THEN CASE WHEN ts_int >= {first_s} THEN ts_int * 1000000 END\n"
        f"                    WHEN ts_int <= {last_s * 1000 + 999} THEN ts_int * 1000\n"
        "                    WHEN ts_float IS NOT NULL THEN CASE\n"
        f"                         WHEN {float_us} BETWEEN CAST({MIN_US} AS {_DOUBLE}) AND CAST({MAX_US + 1} AS {_DOUBLE})\n"
        f"                         THEN CAST({float_us} AS BIGINT) END\n"
        "               END AS us\n"
        f"        FROM ({s1}) s1"
    )
    s3 = (
        "SELECT s2.*,\n"
        "               CASE WHEN tz IS NULL OR tz IN ('Z', 'z') THEN 0\n"
        "                    ELSE CASE WHEN SUBSTRING(tz, 1, 1) = '-' THEN -1 ELSE 1 END\n"
        "                         * (CAST(SUBSTRING(tz, 2, 2) AS INTEGER) * 60\n"
        "                            + CAST(COALESCE(NULLIF(SUBSTRING(REPLACE(tz, ':', ''), 4, 2), ''), '0') AS INTEGER))\n"
        "               END AS off_min,\n"
        "               CASE WHEN iso IS NOT NULL THEN\n"
        f"                   CASE WHEN y >= 1 AND mo BETWEEN 1 AND 12 AND d BETWEEN 1 AND {days}\n"
        "                        THEN CAST(SUBSTRING(iso, 1, 10) || ' ' || SUBSTRING(iso, 12, 5) || ':' || secs"
        " || '.' || frac AS TIMESTAMP) END\n"
        "               END AS local_ts\n"
        f"        FROM ({s2}) s2"
    )
    utc = "local_ts - off_min * INTERVAL '1 minute'"
    return (
        f"SELECT {columns},\n"
        f"        CASE WHEN us BETWEEN {MIN_US} AND {MAX_US}\n"
        "             THEN TIMESTAMP 'epoch' + (us / 1000000) * INTERVAL '1 second'"
        " + MOD(us, 1000000) * INTERVAL '1 microsecond'\n"
        f"             WHEN {utc} BETWEEN TIMESTAMP '{MIN_TS}' AND TIMESTAMP '{MAX_TS}' THEN {utc}\n"
        f"        END AS {name}\n"
        f" FROM ({s3}) s3"
    )


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


@overload
def format_ts(us: int) -> str: ...
@overload
def format_ts(us: None) -> None: ...
@overload
def format_ts(us: int | None) -> str | None: ...


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
        ago = base - parse_duration(text)
        if ago < MIN_US:
            raise ValueError(f"time too far back: {text!r}")
        return ago
    if re.match(r"^\s*\d{4}-\d{2}-\d{2}\s*$", text):
        text = text.strip() + "T00:00:00"
    m = _ISO.match(text) if len(text) <= 64 else None
    us: int | None = _from_iso(text) if m is not None else None
    if us is not None and m is not None and m.group(8) is None and zone is not None and zone is not timezone.utc:
        wall = EPOCH + timedelta(microseconds=us)
        try:
            us = _in_range((wall.replace(tzinfo=zone).astimezone(timezone.utc).replace(tzinfo=None) - EPOCH) // timedelta(microseconds=1))
        except OverflowError:
            us = None
    if us is None:
        raise ValueError(f"not a time: {text!r} (use ISO 8601 like 2026-11-25T10:00:00Z, or 2h, 3d ago)")
    return us


def dst_note(text: str, zone: tzinfo) -> str | None:
    """Which instant a wall-clock ``--since``/``--until`` in ``zone`` was read as, when the zone's clocks skip it
    (a DST gap: read with the offset before the change, as ``parse_time_option`` does) or pass it twice (an
    overlap: the first); ``None`` for any other value. Said so that a time the zone makes odd is never silent."""
    if zone is timezone.utc or _DURATION.match(text):
        return None
    full = text.strip() + "T00:00:00" if re.match(r"^\s*\d{4}-\d{2}-\d{2}\s*$", text) else text
    m = _ISO.match(full) if len(full) <= 64 else None
    us = _from_iso(full) if m is not None and m.group(8) is None else None
    if us is None:
        return None
    wall = EPOCH + timedelta(microseconds=us)
    first, second = wall.replace(tzinfo=zone, fold=0), wall.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return None

    def instant(t: datetime) -> str:
        utc = t.astimezone(timezone.utc)
        return f"{format_ts((utc.replace(tzinfo=None) - EPOCH) // timedelta(microseconds=1))} ({utc.astimezone(zone):%H:%M %Z})"

    if first.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) != wall:
        return f"{text.strip()} does not exist in {zone} (the clocks skip it): read as {instant(first)}"
    return f"{text.strip()} happens twice in {zone}: read as the first, {instant(first)}; the second is {instant(second)}"
