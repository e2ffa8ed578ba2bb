"""The machine-readable formats of spec section 7: ``json``, ``jsonl`` and ``csv``."""

from __future__ import annotations

import csv
import json
import math
from typing import Any, TextIO

from ..core.model import Row, Timeline

CSV_COLUMNS = (
    "ts", "offset", "event", "lane", "severity", "gap_before_s", "delivery_id", "robot_id", "pilot_id",
    "demand_id", "offer_id", "error_code", "error_message", "details",
)
# Fields that have their own CSV column and so are left out of ``details``.
_OWN_COLUMNS = frozenset({"event", "timestamp", "delivery_id", "robot_id", "pilot_id", "demand_id", "offer_id", "error"})


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


def csv_record(row: Row, first_ts: int) -> list[str]:
    d = row.to_dict()
    code, message = error_parts(d["error"])
    details = {k: v for k, v in row.event.record.items() if k not in _OWN_COLUMNS}
    return [
        d["ts"], hms_offset(row.ts - first_ts), d["event"], d["lane"], d["severity"], number(d["gap_before_s"]),
        *("" if d[k] is None else d[k] for k in ("delivery_id", "robot_id", "pilot_id", "demand_id", "offer_id")),
        code, message, _dumps(details, separators=(",", ":"), sort_keys=True),
    ]


def write_csv(t: Timeline, out: TextIO) -> None:
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    first = t.start or 0
    for row in t.rows:
        w.writerow(csv_record(row, first))
