"""``coco events --emit markdown``: the Event Catalog of the event-logging design (phase 3).

Every event by group: its constant, payload fields (required / optional), its
severity in coco's timelines (computed by the core, timeline rules §4)
and an example line written by coco's own producer (``log_event``), so every
example conforms to the registry.
"""

from __future__ import annotations

import io
import json
from typing import Any

from .. import registry
from . import generated_by
from .golang import go_ident

EXAMPLE_TIME = "2026-11-25T10:00:00.000Z"
EXAMPLE_VALUES: dict[str, Any] = {
    "offer_id": "O-123",
    "source": "uber",
    "merchant_id": "M-100",
    "rejection_reason": "no_available_robots",
    "delivery_id": "D-101",
    "robot_id": "R-99",
    "pilot_id": "P-3",
    "demand_id": "DM-1",
    "zone_id": "zone-mission",
    "parking_lot_id": "LOT-1",
    "error": {"code": "HARDWARE_FAILURE", "message": "Lid stuck"},
}
EXAMPLE_ERRORS: dict[str, dict[str, str]] = {
    "robot.grounded": {"code": "MOTOR_OVERCURRENT", "message": "Left drive motor overcurrent"},
    "attempt.failed": {"code": "CUSTOMER_UNREACHABLE", "message": "Customer did not answer after 3 calls"},
}
# Which ids an example of a group carries, beyond the required fields (illustration only, not rules).
GROUP_FIELDS: dict[str, tuple[str, ...]] = {
    "offer funnel": ("offer_id", "source"),
    "robot supply": ("robot_id",),
    "demand": ("demand_id", "delivery_id"),
    "trip": ("delivery_id", "robot_id"),
    "pilot": ("pilot_id",),
    "delivery": ("delivery_id", "robot_id"),
    "attempt": ("delivery_id", "robot_id"),
}


def severity(name: str) -> str:
    """The severity coco's timelines give a record of this name without ``error`` or ``level``."""
    return registry.severity(name, {})


def example_record(etype: registry.EventType) -> dict[str, Any]:
    """One conforming line for the event, as coco's producer writes it."""
    from ..logger import log_event

    fields = list(GROUP_FIELDS.get(etype.group, ()))
    if etype.name.startswith("pilot.assignment"):
        fields.append("robot_id")
    fields += [f for f in etype.required if f not in fields]
    if etype.is_error and "error" not in fields:
        fields.append("error")
    payload = {f: EXAMPLE_VALUES[f] for f in fields}
    if "error" in payload and etype.name in EXAMPLE_ERRORS:
        payload["error"] = EXAMPLE_ERRORS[etype.name]
    return log_event(etype.name, stream=io.StringIO(), timestamp=EXAMPLE_TIME, **payload)


def example_line(etype: registry.EventType) -> str:
    return json.dumps(example_record(etype), ensure_ascii=False, separators=(",", ":"))


def _type_text(kind: str) -> str:
    return {"string": "string", "source": " \\| ".join(f"`{s}`" for s in registry.SOURCES), "error": "`{code, message}`"}[kind]


def emit_markdown() -> str:
    events = registry.EVENTS
    groups = list(dict.fromkeys(e.group for e in events))
    out = [
        "# Event Catalog",
        "",
        f"<!-- {generated_by('markdown')} -->",
        "",
        f"{len(events)} business events in {len(groups)} groups, in registry order (the order that breaks ties in "
        "coco's timelines). Every event may carry the base fields, all optional unless an event requires them: "
        + ", ".join(f"`{f}`" for f in registry.BASE_FIELDS)
        + ". Any other field is allowed. A required field must "
        "be present and not empty. `source` is one of "
        + ", ".join(f"`{s}`" for s in registry.SOURCES)
        + "; `error` is an object with a `code` and a `message`; ids are strings.",
        "",
        "**Severity** is how coco's timelines mark the event by its name (timeline rules §4). Any event "
        "is `error` when its record has a non-null `error` or its `level` is error, fatal or critical, and "
        "`warning` when its `level` is warn or warning.",
        "",
        "| group | events |",
        "| --- | --- |",
    ]
    for g in groups:
        out.append(f"| {g} | " + ", ".join(f"`{e.name}`" for e in events if e.group == g) + " |")
    for g in groups:
        out += ["", f"## {g}"]
        for e in (e for e in events if e.group == g):
            required = [(f, registry.FIELD_TYPES[f]) for f in e.required]
            optional = [f for f, _, req in e.fields if not req]
            out += [
                "",
                f"### `{e.name}`",
                "",
                f"TypeScript `Events.{e.constant}`, Go `{go_ident(e.name)}`; payload `{e.payload_type}`; severity **{severity(e.name)}**.",
                "",
            ]
            if required:
                out += ["| required field | type |", "| --- | --- |"]
                out += [f"| `{f}` | {_type_text(kind)} |" for f, kind in required]
                out.append("")
            else:
                out += ["No required fields.", ""]
            out += ["Optional: " + ", ".join(f"`{f}`" for f in optional) + ".", "", "```json", example_line(e), "```"]
    return "\n".join(out) + "\n"
