"""The Python producer: ``log_event``, the counterpart of the TypeScript ``logEvent``.

It writes exactly one JSON line per call - ``event``, a UTC ISO 8601
``timestamp`` (unless given), ``level`` and the payload - so that Python
services emit what the log shipper keeps and ``coco`` reads. Names and
required fields are checked against the registry: an unknown name or a missing
field raises ``EventValidationError``; with ``strict=False`` the line is
written anyway and a warning goes to stderr.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from typing import Any, TextIO

from ..textsafe import say
from . import registry


class EventValidationError(ValueError):
    """The event does not conform to the registry."""


def level_for(name: str, payload: dict[str, Any]) -> str:
    """``error`` for error events (``*.failed``, ``robot.grounded``, or a payload with ``error``), else ``info``."""
    return "error" if registry.is_error_name(name) or payload.get("error") is not None else "info"


def log_event(name: str, *, stream: TextIO | None = None, strict: bool = True, **payload: Any) -> dict[str, Any]:
    """Write one event line to ``stream`` (stdout by default); returns the record written."""
    record: dict[str, Any] = {"event": name}
    record["timestamp"] = payload.pop("timestamp", None) or (datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z")
    record["level"] = payload.pop("level", None) or level_for(name, payload)
    record.update(payload)
    problems = registry.validate(record)
    if problems:
        message = "; ".join(problems)
        if strict:
            raise EventValidationError(message)
        say(f"cocoevents: warning: {message} (logged anyway)")
    out = stream if stream is not None else sys.stdout
    out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str) + "\n")
    out.flush()
    return record
