"""Timelines the html and markdown tests share: hostile records and a dense robot day."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Any

T0 = datetime(2026, 11, 25, tzinfo=timezone.utc)

# Text that would run script, break out of an attribute, a table cell or a Markdown construct if it were
# not escaped, with control and bidi characters that would hide or reorder text on the page.
HOSTILE_NAME = '</title></text></svg><script>window.__pwned = "name"</script>'
HOSTILE_ROBOT = 'R"><img src=x onerror="window.__pwned=\'robot\'">'
HOSTILE_PILOT = "P-'onmouseover='window.__pwned=1'|x"
HOSTILE_MESSAGE = "stuck</script><script>window.__pwned='message'</script> | ** [click](javascript:alert(1)) \x00\x1b[31m\u202e"
HOSTILE_DETAIL = "<b>bold</b> & `code` _x_ \n# heading\r\u2028line"


def iso(dt: datetime) -> str:
    return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def hostile_records() -> list[dict[str, Any]]:
    at = lambda minutes: iso(T0 + timedelta(minutes=minutes))  # noqa: E731
    return [
        {"event": "demand.assigned", "timestamp": at(0), "delivery_id": "DX", "robot_id": HOSTILE_ROBOT, "demand_id": "DM-<i>"},
        {"event": HOSTILE_NAME, "timestamp": at(1), "delivery_id": "DX", "robot_id": HOSTILE_ROBOT, "note": HOSTILE_DETAIL},
        {"event": "pilot.assignment_started", "timestamp": at(1), "robot_id": HOSTILE_ROBOT, "pilot_id": HOSTILE_PILOT},
        {
            "event": "delivery.failed",
            "timestamp": at(12),
            "delivery_id": "DX",
            "robot_id": HOSTILE_ROBOT,
            "error": {"code": "E|<x>", "message": HOSTILE_MESSAGE},
        },
    ]


def dense_robot_records(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """``n`` events of robot R-9 over one day, a tenth of them errors, most within one of n/40 deliveries,
    with a pilot handed over every three hours."""
    rnd = random.Random(seed)
    names = ["robot.state_changed", "trip.started", "delivery.pickup_arrival", "trip.canceled", "robot.heartbeat"]
    records: list[dict[str, Any]] = []
    for i in range(n):
        t = T0 + timedelta(seconds=i * 86400 / n + rnd.random() * 30)
        rec: dict[str, Any] = {"event": rnd.choice(names), "timestamp": iso(t), "robot_id": "R-9"}
        if rnd.random() < 0.1:
            rec["event"] = "robot.grounded"
            rec["error"] = {"code": "E_MOTOR", "message": "motor overcurrent on the left drive"}
        if rnd.random() < 0.6:
            rec["delivery_id"] = f"D{i * 12 // n}"
        records.append(rec)
    for k in range(0, 24, 3):
        pilot = f"P-{k // 3 % 3}"
        records.append(
            {
                "event": "pilot.assignment_started",
                "timestamp": iso(T0 + timedelta(hours=k, minutes=1)),
                "robot_id": "R-9",
                "pilot_id": pilot,
            }
        )
        records.append(
            {"event": "pilot.assignment_ended", "timestamp": iso(T0 + timedelta(hours=k + 3)), "robot_id": "R-9", "pilot_id": pilot}
        )
    return records


DAY = {"since": "2026-11-25T00:00:00Z", "until": "2026-11-26T00:00:00Z"}
