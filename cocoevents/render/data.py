"""The machine-readable formats of spec section 7: ``json``, ``jsonl`` and ``csv``."""

from __future__ import annotations

import json
import math
import re
from typing import Any, TextIO

from ..core.model import Row, Timeline

CSV_COLUMNS = (
    "ts", "offset", "event", "lane", "severity", "gap_before_s", "delivery_id", "robot_id", "pilot_id",
    "demand_id", "offer_id", "error_code", "error_message", "details",
)
# The log shipper's own fields (spec section 10): the raw line and where it came from. JSON keeps them in
# ``payload``; the CSV ``details`` and the table leave them out (37 KB of Kubernetes labels help no ticket).
SHIPPER_FIELDS = frozenset({"message", "kubernetes", "file", "source_type", "stream", "host"})
# Fields that have their own CSV column, or are the shipper's, and so are left out of ``details``.
_OWN_COLUMNS = frozenset({"event", "timestamp", "delivery_id", "robot_id", "pilot_id", "demand_id", "offer_id",
                          "error"}) | SHIPPER_FIELDS
# What a one-line description (table, html, markdown) leaves out: the CSV's own columns, the level, the end time.
DETAIL_SKIPS = _OWN_COLUMNS | {"level", "timestamp_end"}


def _finite(obj: Any) -> Any:
    """``obj`` with non-finite floats (a lenient source may hold NaN) as strings: output stays valid JSON."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return obj


def _dumps(obj: Any, **kw: Any) -> str:
    try:
        return json.dumps(obj, ensure_ascii=False, default=str, allow_nan=False, **kw)
    except ValueError:
        return json.dumps(_finite(obj), ensure_ascii=False, default=str, allow_nan=False, **kw)


def write_json(t: Timeline, out: TextIO) -> None:
    out.write(_dumps(t.to_dict(), indent=2))
    out.write("\n")


def write_jsonl(t: Timeline, out: TextIO) -> None:
    for row in t.events:
        out.write(_dumps(row, separators=(",", ":")))
        out.write("\n")


def hms_offset(us: int) -> str:
    """``+HH:MM:SS`` from the first row (CSV)."""
    seconds = us // 1_000_000
    return f"+{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def error_parts(error: Any) -> tuple[str, str]:
    """``(code, message)`` of a record's ``error`` field, whatever its shape."""
    if error is None:
        return "", ""
    if isinstance(error, dict):
        code, message = error.get("code"), error.get("message")
        return ("" if code is None else str(code), "" if message is None else str(message))
    return "", error if isinstance(error, str) else _dumps(error)


def number(value: float | None) -> str:
    return "" if value is None else repr(round(value, 6))


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(field: str) -> str:
    """A CSV field a spreadsheet will not run as a formula (OWASP: prefix ``'`` to a leading = + - @ tab CR)."""
    return "'" + field if field.startswith(FORMULA_PREFIXES) else field


def csv_record(row: Row, first_ts: int, raw: bool = False) -> list[str]:
    d = row.to_dict()
    code, message = error_parts(d["error"])
    details = {k: v for k, v in row.event.record.items() if k not in _OWN_COLUMNS}
    data = [
        d["event"], d["lane"],
        *("" if d[k] is None else d[k] for k in ("delivery_id", "robot_id", "pilot_id", "demand_id", "offer_id")),
        code, message, _dumps(details, separators=(",", ":"), sort_keys=True),
    ]
    if not raw:  # every field that comes from event data; ts, offset, severity and gap are coco's own
        data = [neutralise(x) for x in data]
    return [d["ts"], hms_offset(row.ts - first_ts), data[0], data[1], d["severity"], number(d["gap_before_s"]), *data[2:]]


def csv_line(fields: list[str] | tuple[str, ...]) -> str:
    """One CSV line (RFC 4180 quoting, ``\n`` ending). Python's ``csv`` module leaves a lone ``\r`` unquoted
    when the line ending is ``\n``, which splits the row in every reader; here any CR, LF, comma or quote
    quotes the field."""
    return ",".join(f'"{f.replace(chr(34), chr(34) * 2)}"' if _NEEDS_QUOTES.search(f) else f for f in fields) + "\n"


_NEEDS_QUOTES = re.compile(r'[,"\r\n]')


def write_csv(t: Timeline, out: TextIO, raw: bool = False) -> None:
    """Spec section 7's CSV; fields from event data are neutralised against formula injection unless ``raw``."""
    out.write(csv_line(CSV_COLUMNS))
    first = t.start or 0
    for row in t.rows:
        out.write(csv_line(csv_record(row, first, raw)))
