"""cocoevents: business events of the delivery platform, and the timelines built from them.

Library entry points (imported lazily, so ``import cocoevents`` stays cheap):

- ``timeline(id, ...)`` -> ``Timeline`` from the local store (or a given source);
- ``timeline_from_records(records, id, ...)`` for records held in memory;
- ``log_event(name, **payload)``, the Python producer of the event format;
- ``registry``: the event names, groups and payload rules.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "timeline": ("cocoevents.api", "timeline"),
    "timeline_from_records": ("cocoevents.api", "timeline_from_records"),
    "Timeline": ("cocoevents.core.model", "Timeline"),
    "Event": ("cocoevents.core.model", "Event"),
    "log_event": ("cocoevents.producers.logger", "log_event"),
    "EventValidationError": ("cocoevents.producers.logger", "EventValidationError"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'cocoevents' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The lazy entry points too, so ``dir(cocoevents)`` and completion in a REPL show what the package offers."""
    return sorted({*globals(), *_LAZY})
