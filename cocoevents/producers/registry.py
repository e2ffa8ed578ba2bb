"""The event registry: every business event name, its group and its payload rules.

This mirrors the TypeScript registry of the event-logging design
(``delivery-platform/lib/common/src/events/registry.ts``) in the same order, so
that "the event's position in the registry" (timeline tie rule 6) means the same
thing everywhere. The seed lists 37 names; see the README for why not 39.

Payload rules: every base field is optional; four events have required fields;
``source`` is one of a fixed set wherever it appears. ``validate`` returns the
list of problems of one record and never raises.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

SOURCES = ("uber", "doordash", "wolt", "direct")

ID_FIELDS = ("delivery_id", "robot_id", "pilot_id", "demand_id", "offer_id")
# Spec section 6: a delivery's status is told by the last of its delivery outcomes, else of its demand outcomes.
DELIVERY_OUTCOMES = {"delivery.dropoff_completed": "fulfilled", "delivery.failed": "failed"}
DEMAND_OUTCOMES = {"demand.fulfilled": "fulfilled", "demand.canceled": "canceled"}
# A delivery's statuses (timeline rules §6: the outcomes above, else in progress), and how ``coco errors`` groups
# errors; here, where the command line finds them without importing the fleet module.
STATUSES = ("failed", "fulfilled", "canceled", "in_progress")
ERROR_GROUPS = ("code", "event", "robot", "hour")  # hour: by code, with counts per UTC hour
# A pilot's assignment to a robot (timeline rules, rule 5): its start and end.
ASSIGN_START = "pilot.assignment_started"
ASSIGN_END = "pilot.assignment_ended"
ASSIGNMENT_EVENTS = (ASSIGN_START, ASSIGN_END)

BASE_FIELDS = (
    "timestamp",
    "source",
    "robot_id",
    "delivery_id",
    "demand_id",
    "offer_id",
    "merchant_id",
    "pilot_id",
    "parking_lot_id",
    "zone_id",
    "error",
)

# The type of every payload field the registry names (for the generated TypeScript, Go and JSON Schema):
# ``string``; ``source`` (one of SOURCES); ``error`` (an object with a string ``code`` and ``message``).
FIELD_TYPES: dict[str, str] = {
    **{f: "string" for f in BASE_FIELDS},
    "source": "source",
    "error": "error",
    "rejection_reason": "string",
}


@dataclass(frozen=True)
class EventType:
    """One registered event name."""

    name: str
    constant: str
    group: str
    required: tuple[str, ...] = field(default=())

    @property
    def payload_type(self) -> str:
        """The TypeScript/Go payload type name: ``OfferRejectedPayload``; ``BaseEventPayload`` without required fields."""
        if not self.required:
            return "BaseEventPayload"
        return "".join(p.capitalize() for p in self.name.replace(".", "_").split("_")) + "Payload"

    @property
    def fields(self) -> tuple[tuple[str, str, bool], ...]:
        """(field, type, required) of every payload field: the base fields, then required fields beyond them."""
        extra = tuple(f for f in self.required if f not in BASE_FIELDS)
        return tuple((f, FIELD_TYPES[f], f in self.required) for f in BASE_FIELDS + extra)

    @property
    def is_error(self) -> bool:
        """Error events by name alone (timeline rules §4): ``*.failed`` and ``robot.grounded``."""
        return is_error_name(self.name)


_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "offer funnel",
        (
            "offer.received",
            "offer.accepted",
            "offer.rejected",
            "offer.expired",
            "quote.requested",
            "quote.provided",
        ),
    ),
    (
        "robot supply",
        ("robot.state_changed", "robot.deployed", "robot.parked", "robot.grounded", "robot.off_duty"),
    ),
    (
        "demand",
        (
            "demand.created",
            "demand.assigned",
            "demand.active",
            "demand.fulfilled",
            "demand.canceled",
            "demand.etas_updated",
        ),
    ),
    ("trip", ("trip.created", "trip.assigned", "trip.started", "trip.completed", "trip.canceled")),
    ("pilot", ("pilot.shift_started", "pilot.shift_ended", "pilot.assignment_started", "pilot.assignment_ended")),
    (
        "delivery",
        (
            "delivery.pickup_arrival",
            "delivery.pickup_started",
            "delivery.pickup_completed",
            "delivery.dropoff_arrival",
            "delivery.dropoff_started",
            "delivery.dropoff_completed",
            "delivery.failed",
        ),
    ),
    ("attempt", ("attempt.started", "attempt.completed", "attempt.failed", "attempt.rescued")),
)

_REQUIRED: dict[str, tuple[str, ...]] = {
    "offer.received": ("offer_id", "source", "merchant_id"),
    "offer.rejected": ("offer_id", "source", "rejection_reason"),
    "offer.accepted": ("offer_id", "source"),
    "delivery.failed": ("delivery_id", "error"),
}

EVENTS: tuple[EventType, ...] = tuple(
    EventType(
        name=name,
        constant=name.upper().replace(".", "_"),
        group=group,
        required=_REQUIRED.get(name, ()),
    )
    for group, names in _GROUPS
    for name in names
)

BY_NAME: dict[str, EventType] = {e.name: e for e in EVENTS}
POSITION: dict[str, int] = {e.name: i for i, e in enumerate(EVENTS)}

WARNING_NAMES = frozenset({"offer.rejected", "offer.expired", "demand.canceled", "trip.canceled", "attempt.rescued"})
# Error events by name alone (timeline rules §4): any name ending in ERROR_SUFFIX, and ERROR_NAMES. Data, so that the
# TypeScript and Go loggers coco generates are emitted from it.
ERROR_SUFFIX = ".failed"
ERROR_NAMES = frozenset({"robot.grounded"})


# ... and by level (timeline rules §4). The store's loader writes the same rule in SQL from these constants
# (``archive.classify.attribute_columns``) to index error rows as it loads.
ERROR_LEVELS = ("error", "fatal", "critical")
WARNING_LEVELS = ("warn", "warning")


def is_error_name(name: str) -> bool:
    return name.endswith(ERROR_SUFFIX) or name in ERROR_NAMES


def severity(name: str, record: Mapping[str, Any]) -> str:
    """A record's severity (timeline rules section 4): ``error`` for an error name, a non-null ``error`` field or
    an error level; else ``warning`` for a warning name or level; else ``info``. Producers log at the same level."""
    level = record.get("level")
    level = level.lower() if isinstance(level, str) else ""
    if is_error_name(name) or record.get("error") is not None or level in ERROR_LEVELS:
        return "error"
    if name in WARNING_NAMES or level in WARNING_LEVELS:
        return "warning"
    return "info"


def registry_sort_key(name: str) -> tuple[int, str]:
    """Known names by registry position, then unknown names alphabetically (rule 6)."""
    pos = POSITION.get(name)
    return (pos, "") if pos is not None else (len(EVENTS), name)


def _present(value: Any) -> bool:
    return value is not None and value != ""


def validate(record: Mapping[str, Any]) -> list[str]:
    """Problems of one record against the registry; empty when it conforms."""
    name = record.get("event")
    if not isinstance(name, str) or not name:
        return ["no event name"]
    etype = BY_NAME.get(name)
    if etype is None:
        return [f"unknown event name {name!r}"]
    problems = [f"{name}: missing required field {f!r}" for f in etype.required if not _present(record.get(f))]
    source = record.get("source")
    if _present(source) and source not in SOURCES:
        problems.append(f"{name}: source {source!r} is not one of {', '.join(SOURCES)}")
    error = record.get("error")
    if "error" in etype.required and _present(error):
        if not isinstance(error, Mapping) or not all(_present(error.get(k)) for k in ("code", "message")):
            problems.append(f"{name}: error must have a code and a message")
    for fid in ID_FIELDS:
        value = record.get(fid)
        if value is not None and not isinstance(value, str):
            problems.append(f"{name}: {fid} must be a string, got {type(value).__name__}")
    return problems


def catalog() -> list[dict[str, Any]]:
    """The Event Catalog as plain data (``coco events --format json``)."""
    return [
        {
            "position": i,
            "name": e.name,
            "constant": e.constant,
            "group": e.group,
            "required": list(e.required),
            "error_event": e.is_error,
        }
        for i, e in enumerate(EVENTS)
    ]
