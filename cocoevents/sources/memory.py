"""An event source over records held in memory: the library's ``timeline_from_records`` and the tests.

It answers every question with a plain scan of its list, so it is the reference
the database sources are compared against.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from ..core.baseline import Baseline, compute
from ..core.model import Event
from ..core.sessionize import fold_id
from ..core.source_protocol import Source, Span
from ..producers.registry import ASSIGNMENT_EVENTS


class MemorySource(Source):
    """``EventSource`` over records held in memory (see the module docstring)."""

    name = "memory"

    def __init__(self, records: Iterable[Mapping[str, Any] | Event]) -> None:
        self.events = [r if isinstance(r, Event) else Event.from_record(dict(r)) for r in records]
        self._baseline: Baseline | None = None

    def kinds(self, subject_id: str, since: int | None = None, until: int | None = None) -> list[str]:
        return [kind for kind in ("delivery", "robot", "pilot") if any(getattr(e, f"{kind}_id") == subject_id for e in self.events)]

    def delivery_events(self, delivery_id: str, since: int | None, until: int | None) -> list[Event]:
        return [e for e in self.events if e.delivery_id == delivery_id or e.delivery_id is None]

    def events_in_spans(
        self,
        column: str,
        spans: Sequence[Span],
        untimed: bool = False,
        assignment_spans: Sequence[Span] = (),
        without_delivery: bool = False,
    ) -> list[Event]:
        # ``without_delivery`` is a permission, not a filter: the events are in memory, returning them costs nothing
        out = []
        for e in self.events:
            value = getattr(e, column)
            if value is None:
                continue
            if e.ts is None:
                if untimed and any(value == s[0] for s in spans):
                    out.append(e)
            elif any(value == ident and start <= e.ts <= end for ident, start, end in spans) or (
                e.name in ASSIGNMENT_EVENTS and any(value == ident and start <= e.ts <= end for ident, start, end in assignment_spans)
            ):
                out.append(e)
        return out

    def baseline(self) -> Baseline:
        """The fleet baseline over the records held, computed in Python (the reference for the stores' SQL)."""
        if self._baseline is None:
            self._baseline = compute(self.events)
        return self._baseline

    def active_deliveries(self, since: int, until: int) -> list[tuple[str, int]]:
        first: dict[str, int] = {}
        active: set[str] = set()
        for e in self.events:
            if e.delivery_id is None or e.ts is None:
                continue
            first[e.delivery_id] = min(first.get(e.delivery_id, e.ts), e.ts)
            if since <= e.ts <= until:
                active.add(e.delivery_id)
        return [(d, first[d]) for d in sorted(active)]

    def deliveries_events(self, delivery_ids: Sequence[str], since: int | None, until: int | None) -> list[Event]:
        wanted = set(delivery_ids)
        return [e for e in self.events if e.delivery_id is None or e.delivery_id in wanted]

    def linked_events(self, demands: Sequence[str], offers: Sequence[str], since: int | None, until: int | None) -> list[Event]:
        d, o = set(demands), set(offers)
        return [e for e in self.events if (e.demand_id is not None and e.demand_id in d) or (e.offer_id is not None and e.offer_id in o)]

    def error_events(self, since: int, until: int) -> list[Event]:
        return [e for e in self.events if e.ts is not None and since <= e.ts <= until]

    def similar_ids(self, key: str, since: int | None = None) -> list[tuple[str, str]]:
        found = {
            (kind, getattr(e, f"{kind}_id"))
            for e in self.events
            for kind in ("delivery", "robot", "pilot", "demand", "offer")
            if getattr(e, f"{kind}_id") is not None and fold_id(getattr(e, f"{kind}_id")) == key
        }
        return sorted(found)

    def extent(self, column: str | None, ident: str | None, lo: int | None, hi: int | None) -> tuple[int, int] | None:
        times = [
            e.ts
            for e in self.events
            if (column is None or getattr(e, column) == ident)
            and e.ts is not None
            and (lo is None or e.ts >= lo)
            and (hi is None or e.ts <= hi)
        ]
        return (min(times), max(times)) if times else None

    def compare_counts(self, since: int, until: int, filters: Any, opts: Any) -> Any:
        """From every active delivery's exact timeline: the reference the SQL of the stores is held to."""
        from ..core.compare import reference_counts

        return reference_counts(self, since, until, filters, opts)

    def narrow_deliveries(self, since: int, until: int, column: str, values: Sequence[str], linked_only: bool) -> set[str] | None:
        wanted = set(values)

        def value(e: Event) -> str | None:
            return e.name if column == "event" else getattr(e, column)

        if any(value(e) in wanted and e.delivery_id is None and (not linked_only or e.demand_id or e.offer_id) for e in self.events):
            return None
        active = {d for d, _ in self.active_deliveries(since, until)}
        return {e.delivery_id for e in self.events if e.delivery_id in active and value(e) in wanted}

    def close(self) -> None:
        pass

    # -- following (``core.follow``): the list is the store; a caller appends to ``events`` to add arrivals

    def refresh(self) -> None:
        pass

    def release(self) -> None:
        pass

    def writer_waiting(self) -> bool:
        return False

    def arrivals(self, since: int, ids: Mapping[str, Sequence[str]]) -> int:
        """Exactly the rows the protocol asks about, counted (the reference for the other sources)."""
        wanted = {column: set(values) for column, values in ids.items()}
        return sum(
            1
            for e in self.events
            if (e.ts is None or e.ts >= since) and any(getattr(e, column) in values for column, values in wanted.items())
        )
