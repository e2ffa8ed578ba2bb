"""``coco events --emit jsonschema``: one JSON Schema (draft 2020-12) per event.

Each schema states the registry's payload rules for one name: ``event`` is that
name; required fields are present and non-empty; ``source`` is one of the four
platforms; ``error`` is an object with a non-empty ``code`` and ``message``; the
other registry fields are strings when present; any other field is allowed (the
TypeScript ``[key: string]: unknown``). One tolerance beyond the TypeScript
types: ``timestamp`` may be a JSON number (epoch milliseconds), which coco reads.
"""

from __future__ import annotations

from typing import Any

from .. import registry
from . import generated_by

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _field_schema(kind: str, required: bool) -> dict[str, Any]:
    if kind == "source":
        return {"enum": list(registry.SOURCES)}
    if kind == "error":
        text = {"type": "string", "minLength": 1}
        return {"type": "object", "properties": {"code": text, "message": text}, "required": ["code", "message"]}
    return {"type": "string", "minLength": 1} if required else {"type": "string"}


def schema_for(etype: registry.EventType) -> dict[str, Any]:
    props: dict[str, Any] = {"event": {"const": etype.name}}
    for f, kind, req in etype.fields:
        props[f] = _field_schema(kind, req)
    props["timestamp"] = {"type": ["string", "number"]}
    return {
        "$schema": DRAFT,
        "$id": f"urn:coco:event:{etype.name}",
        "title": etype.name,
        "description": f"The {etype.name} event ({etype.group}). {generated_by('jsonschema')}",
        "type": "object",
        "properties": props,
        "required": ["event", *etype.required],
        "additionalProperties": True,
    }


def schemas() -> dict[str, dict[str, Any]]:
    """Every event's schema, keyed by event name, in registry order."""
    return {e.name: schema_for(e) for e in registry.EVENTS}


def file_name(name: str) -> str:
    return f"{name}.schema.json"
