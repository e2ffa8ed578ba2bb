"""An event source over records held in memory: the library's ``timeline_from_records`` and the tests.

It answers every question with a plain scan of its list, so it is the reference
the database sources are compared against.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from .baseline import Baseline, compute
from .model import Event
from .sessionize import ASSIGNMENT_EVENTS, Span


class MemorySource:
    name = "memory"

    def __init__(self, records: Iterable[Mapping[str, Any] | Event]) -> None:
        self.events = [r if isinstance(r, Event) else Event.from_record(dict(r)) for r in records]
        self._baseline: Baseline | None = None

    def kinds(self, subject_id: str, since: int | None = None, until: int | None = None) -> list[str]:
        return [
            kind
            for kind in ("delivery", "robot", "pilot")
            if any(getattr(e, f"{kind}_id") == subject_id for e in self.events)
        ]

    def delivery_events(self, delivery_id: str, since: int | None, until: int | None) -> list[Event]:
        return [e for e in self.events if e.delivery_id == delivery_id or e.delivery_id is None]

    def events_in_spans(self, column: str, spans: Sequence[Span], untimed: bool = False,
                        assignment_spans: Sequence[Span] = ()) -> list[Event]:
        out = []
        for e in self.events:
            value = getattr(e, column)
            if value is None:
                continue
            if e.ts is None:
                if untimed and any(value == s[0] for s in spans):
                    out.append(e)
            elif any(value == ident and start <= e.ts <= end for ident, start, end in spans) or (
                e.name in ASSIGNMENT_EVENTS
                and any(value == ident and start <= e.ts <= end for ident, start, end in assignment_spans)
            ):
                out.append(e)
        return out

    def baseline(self) -> Baseline:
        """The fleet baseline over the records held, computed in Python (the reference for the stores' SQL)."""
        if self._baseline is None:
            self._baseline = compute(self.events)
        return self._baseline
