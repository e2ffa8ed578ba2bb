"""Words for people, shared by the html and markdown views: times in a zone, durations, an event's details.

These read the timeline's JSON document (``Timeline.to_dict()``, timeline rules §7) — the stable contract —
never the core's internals. ``visible()`` makes untrusted text safe to *look at*: control characters and
bidirectional overrides become visible escapes, so a record cannot hide or reorder text on the page; the
format's own escaping (HTML, Markdown) comes on top of it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

from ..core.model import OWN_COLUMNS, SHIPPER_FIELDS  # noqa: F401 - defined in the core for to_pandas too
from ..textsafe import visible  # noqa: F401 - the html and markdown views' escaping
from ..timestamps import parse_timestamp

# What a one-line description (table, html, markdown) leaves out: the CSV's own columns, the level, the end time.
DETAIL_SKIPS = OWN_COLUMNS | {"level", "timestamp_end"}
ID_FIELDS = ("delivery_id", "robot_id", "pilot_id", "demand_id", "offer_id")


def scalar(v: Any) -> str:
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str)


def error_text(error: Any) -> str:
    """``CODE: message`` of an ``error`` field of any shape ('' when there is none)."""
    if error is None:
        return ""
    if isinstance(error, dict):
        code, message = error.get("code"), error.get("message")
        code = "" if code is None else scalar(code)
        message = "" if message is None else scalar(message)
        if code or message:
            return f"{code}: {message}" if code and message else code or message
    return scalar(error)


def describe(payload: dict[str, Any], *, with_error: bool = True) -> str:
    """A compact description of a record: error, state change, reason, then its other scalar fields."""
    parts: list[str] = []
    if with_error:
        err = error_text(payload.get("error"))
        if err:
            parts.append(err)
    if "from_state" in payload or "to_state" in payload:
        parts.append(f"{scalar(payload.get('from_state', '?'))} → {scalar(payload.get('to_state', '?'))}")
    for key in ("reason", "rejection_reason"):
        if key in payload:
            parts.append(f"{key}={scalar(payload[key])}")
    for key, value in payload.items():
        if key in DETAIL_SKIPS or key in ("from_state", "to_state", "reason", "rejection_reason"):
            continue
        if isinstance(value, (dict, list)):
            continue
        parts.append(f"{key}={scalar(value)}")
    return "  ".join(parts)


def event_ids(ev: dict[str, Any], subject: dict[str, Any]) -> list[str]:
    """The ids of an event worth showing: all five, less the subject's own and the id its lane already names."""
    lane = ev.get("lane") or ""
    shown = []
    for key in ID_FIELDS:
        value = ev.get(key)
        if not isinstance(value, str) or not value:
            continue
        kind = key[: -len("_id")]
        if subject.get("kind") == kind and subject.get("id") == value:
            continue
        if lane == f"{kind}:{value}":
            continue
        shown.append(value)
    return shown


def micros(ts: str | None) -> int | None:
    """Microseconds since the epoch of an output timestamp (``...Z``), None when absent."""
    return None if ts is None else parse_timestamp(ts)


def local(us: int, tz: tzinfo) -> datetime:
    return (datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=us)).astimezone(tz)


def tz_name(tz: tzinfo, at_us: int) -> str:
    if tz is timezone.utc:
        return "UTC"
    return str(getattr(tz, "key", None) or local(at_us, tz).tzname())


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def judged(summary: dict[str, Any]) -> tuple[int, int]:
    """The errors and warnings a header counts: those of the findings (findings rules §4), so the header, the
    "What stands out" list under it and ``--check`` agree (a cancellation that follows a failure is a warning
    row, but not a warning); a summary without findings counts its error and warning rows."""
    found = summary.get("findings")
    if isinstance(found, dict):
        return int(found.get("error") or 0), int(found.get("warning") or 0)
    return int(summary.get("errors") or 0), int(summary.get("warnings") or 0)


def finding_counts_text(counts: dict[str, int]) -> str:
    """``3 errors, 5 info``: the findings by severity, the absent ones left out."""
    return ", ".join(plural(n, sev) if sev != "info" else f"{n:,} info" for sev, n in counts.items() if n)


def robot_path(doc: dict[str, Any]) -> str:
    """``R-7 → R-12`` for a delivery (robot windows in time order); the robots listed otherwise."""
    summary = doc.get("summary") or {}
    if (doc.get("subject") or {}).get("kind") != "delivery":
        return ", ".join(summary.get("robots") or [])
    path: list[str] = []
    for w in sorted((w for w in doc.get("windows") or [] if w.get("kind") == "robot"), key=lambda w: w["start"]):
        if not path or path[-1] != w["id"]:
            path.append(w["id"])
    return " → ".join(path) or ", ".join(summary.get("robots") or [])


def status_text(status: str | None) -> str:
    return status.upper().replace("_", " ") if status else ""


SUBJECT_TITLE = {"delivery": "Delivery", "robot": "Robot", "pilot": "Pilot"}
