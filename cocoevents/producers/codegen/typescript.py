"""``coco events --emit ts``: the TypeScript registry of the event-logging design, from coco's registry.

The shape follows the seed's ``registry.ts``: the ``Events`` const (``as const``),
``EventType``, ``BaseEventPayload`` (every field optional, an index signature for
the rest), one interface per event with required fields (the ``source`` union
written out, as in the seed), ``EventPayloadMap``, ``PayloadFor<E>`` and the
``EventLogger`` interface; then the logger that implements it (``logEvent``, see ``ts_logger``). Everything a
service uses is exported.
"""

from __future__ import annotations

from .. import registry
from . import generated_by
from .ts_logger import emit_ts_logger

SOURCE_UNION = " | ".join(f"'{s}'" for s in registry.SOURCES)
ERROR_TYPE = "{ code: string; message: string }"


def ts_type(kind: str) -> str:
    return {"string": "string", "source": SOURCE_UNION, "error": ERROR_TYPE}[kind]


def emit_ts() -> str:
    out = [
        f"// {generated_by('ts')}",
        "// Check a hand-edited copy for drift: coco check --registry registry.ts",
        "",
        "export const Events = {",
    ]
    group = None
    for e in registry.EVENTS:
        if e.group != group:
            if group is not None:
                out.append("")
            group = e.group
            out.append(f"  // --- {group} ---")
        out.append(f"  {e.constant}: '{e.name}',")
    out += [
        "} as const;",
        "",
        "export type EventType = typeof Events[keyof typeof Events];",
        "",
        "// Base payload (default - all optional)",
        "export interface BaseEventPayload {",
    ]
    out += [f"  {f}?: {ts_type(registry.FIELD_TYPES[f])};" for f in registry.BASE_FIELDS]
    out += ["  [key: string]: unknown;", "}", "", "// Specific payloads with required fields"]
    specific = [e for e in registry.EVENTS if e.required]
    for e in specific:
        out.append(f"export interface {e.payload_type} extends BaseEventPayload {{")
        out += [f"  {f}: {ts_type(registry.FIELD_TYPES[f])};" for f in e.required]
        out += ["}", ""]
    out.append("// Event -> Payload mapping")
    out.append("export interface EventPayloadMap {")
    out += [f"  '{e.name}': {e.payload_type};" for e in specific]
    out += [
        "  // Events not listed use BaseEventPayload",
        "}",
        "",
        "// Conditional type resolution",
        "export type PayloadFor<E extends EventType> =",
        "  E extends keyof EventPayloadMap",
        "    ? EventPayloadMap[E]",
        "    : BaseEventPayload;",
        "",
        "// Logger interface",
        "export interface EventLogger {",
        "  logEvent<E extends EventType>(event: E, payload: PayloadFor<E>): void;",
        "}",
        "",
    ]
    return "\n".join(out) + "\n" + emit_ts_logger()
