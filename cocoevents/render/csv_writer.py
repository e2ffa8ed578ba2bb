"""``-f csv``: one row per event, the columns of the timeline rules (section 7), and every CSV coco writes.

Fields from event data that start with ``=``, ``+``, ``-``, ``@``, a tab or a CR get a leading ``'`` so a
spreadsheet shows them instead of running them (``neutralise``); ``--csv-raw`` writes the exact bytes.
"""

from __future__ import annotations

import re
from typing import Any, TextIO

from ..core.model import Row, Timeline, error_code
from ..timestamps import format_ts
from .describe import OWN_COLUMNS
from .json_fast import SORTED_ENCODE
from .jsontext import dumps

CSV_COLUMNS = (
    "ts",
    "offset",
    "event",
    "lane",
    "severity",
    "gap_before_s",
    "delivery_id",
    "robot_id",
    "pilot_id",
    "demand_id",
    "offer_id",
    "error_code",
    "error_message",
    "details",
)


def hms_offset(us: int) -> str:
    """``+HH:MM:SS`` from the first row (CSV)."""
    seconds = us // 1_000_000
    return f"+{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def error_parts(error: Any) -> tuple[str, str]:
    """``(code, message)`` of a record's ``error`` field, whatever its shape."""
    if error is None:
        return "", ""
    if isinstance(error, dict):
        message = error.get("message")
        return error_code(error), "" if message is None else str(message)
    return "", error if isinstance(error, str) else dumps(error)


def number(value: float | None) -> str:
    return "" if value is None else repr(round(value, 6))


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(field: str) -> str:
    """A CSV field a spreadsheet will not run as a formula (OWASP: prefix ``'`` to a leading = + - @ tab CR)."""
    return "'" + field if field.startswith(FORMULA_PREFIXES) else field


def csv_record(row: Row, first_ts: int, raw: bool = False) -> list[str]:
    e = row.event
    record = e.record  # parsed once
    code, message = error_parts(record.get("error"))
    details = {k: v for k, v in record.items() if k not in OWN_COLUMNS}
    try:
        details_text = "".join(SORTED_ENCODE(details, 0))
    except (ValueError, TypeError, RecursionError):  # non-finite numbers, values that are not JSON
        details_text = dumps(details, separators=(",", ":"), sort_keys=True)
    data = [
        e.name,
        str(row.lane),
        *("" if v is None else v for v in (e.delivery_id, e.robot_id, e.pilot_id, e.demand_id, e.offer_id)),
        code,
        message,
        details_text,
    ]
    if not raw:  # every field that comes from event data; ts, offset, severity and gap are coco's own
        data = [neutralise(x) for x in data]
    gap = row.gap_before_us
    ts = row.ts
    return [
        format_ts(ts),
        hms_offset(ts - first_ts),
        data[0],
        data[1],
        row.severity,
        number(None if gap is None else gap / 1e6),
        *data[2:],
    ]


def csv_line(fields: list[str] | tuple[str, ...]) -> str:
    """One CSV line (RFC 4180 quoting, ``\n`` ending). Python's ``csv`` module leaves a lone ``\r`` unquoted
    when the line ending is ``\n``, which splits the row in every reader; here any CR, LF, comma or quote
    quotes the field."""
    line = ",".join(fields)
    if line.count(",") == len(fields) - 1 and not _QUOTE_CHARS.search(line):  # the usual line: no field to quote
        return line + "\n"
    return ",".join(f'"{f.replace(chr(34), chr(34) * 2)}"' if _NEEDS_QUOTES.search(f) else f for f in fields) + "\n"


_QUOTE_CHARS = re.compile(r'["\r\n]')
_NEEDS_QUOTES = re.compile(r'[,"\r\n]')


def write_csv(t: Timeline, out: TextIO, raw: bool = False) -> None:
    """Spec section 7's CSV; fields from event data are neutralised against formula injection unless ``raw``."""
    out.write(csv_line(CSV_COLUMNS))
    first = t.start or 0
    for row in t.rows:
        out.write(csv_line(csv_record(row, first, raw)))
