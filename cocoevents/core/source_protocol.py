"""What the core asks of an event source: the ``EventSource`` protocol, ``Source`` (the base class every source
derives from, with the defaults of the optional capabilities), and the one helper sources share.

The sessionizer asks a few coarse questions ("the events of delivery D and everything linked to it", "the events
of these robots within these spans"); a source may answer with a superset, never a subset - every rule is
applied in the core on what it returned, so all sources give the same timeline for the same events.

Optional capabilities are declared, never probed: a source says what it can do with a class attribute
(``KEEPS_STATUSES``, ``READ_ONLY_STORE``, ``HAS_TAIL``) and ``Source`` gives the method behind each one a default
that does nothing, so a caller asks the declaration (``if source.KEEPS_STATUSES``) or calls the method.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Hashable, Iterable, Mapping, Protocol, Sequence

from ..producers.registry import ASSIGNMENT_EVENTS
from .baseline import Baseline, step_times
from .model import Event

if TYPE_CHECKING:
    from .options import Options
    from .questions import Counts, Filters

Span = tuple[str, int, int]  # (id, start, end), both ends included


class EventSource(Protocol):
    """What the sessionizer needs from a store. Results may be a superset; never a subset."""

    # -- optional capabilities (``Source`` declares them all False and gives each method a default)

    KEEPS_STATUSES: ClassVar[bool]
    """Every delivery's status (timeline rules §6) is kept beside the events: ``delivery_statuses`` answers
    without reading the deliveries' rows."""
    READ_ONLY_STORE: ClassVar[bool]
    """The source holds a store open for reading only: a process that ends right after its answer may leave it
    open (``close`` frees nothing the end of the process does not)."""
    HAS_TAIL: ClassVar[bool]
    """Some events come from a second place (the archive's tail beside the warehouse, ``--fresh``):
    ``tail_note`` says how many of a timeline's did."""

    def delivery_statuses(self, delivery_ids: Sequence[str]) -> dict[str, str] | None:
        """The kept status of each of ``delivery_ids`` that has a timed direct event; ``None`` when none are kept
        (or not up to date): then the caller works them out from the events."""
        ...

    def tail_note(self, timeline: Any) -> str | None:
        """One line for stderr: how many of ``timeline``'s events came from the tail (``None`` without one)."""
        ...

    def error_groups(self, since: int, until: int, by: str) -> list[Any] | None:
        """The ``core.listings.ErrorGroup`` of each key of ``coco errors --by BY`` over the range's error events -
        each once (rule 7), as ``group_errors`` makes them from ``error_rows`` - counted by the source from an
        index kept at load time, without making any event; in no order. ``None`` without such an index: then the
        caller reads ``error_events`` and groups them."""
        ...

    def close(self) -> None:
        """Let go of what the source holds (connections, temporary files)."""
        ...

    def forget(self) -> None:
        """Let go of the events made for the answers so far (a streamed listing calls it after each batch, so it
        holds a batch's events, not the range's); nothing for a source that keeps none."""
        ...

    # -- the questions

    def kinds(self, subject_id: str, since: int | None = None, until: int | None = None) -> list[str]:
        """Which of ``delivery``, ``robot``, ``pilot`` hold ``subject_id`` (in that order). A source
        may search all time or only around ``since``/``until`` (a warehouse bounds every query)."""
        ...

    def delivery_events(self, delivery_id: str, since: int | None, until: int | None) -> list[Event]:
        """Events with ``delivery_id``, plus the closure of events linked by demand/offer ids."""
        ...

    def events_in_spans(
        self,
        column: str,
        spans: Sequence[Span],
        untimed: bool = False,
        assignment_spans: Sequence[Span] = (),
        without_delivery: bool = False,
    ) -> list[Event]:
        """Events whose ``column`` (``robot_id``/``pilot_id``) is a span's id and time is in it;
        with ``untimed``, also those events of the ids without a usable time; plus the
        ``pilot.assignment_*`` events within ``assignment_spans`` (the lookback reads only those).
        ``without_delivery``: events within ``spans`` that carry a delivery id may be left out (a delivery's
        robot and pilot lanes take none of them; it has its own already). A stored row is returned once per call."""
        ...

    def baseline(self) -> Baseline | None:
        """The fleet baseline (findings rules §3), or ``None`` when the source keeps none."""
        ...

    # -- batch questions, for fleet views (``cocoevents.fleet``): a bounded number of queries for many deliveries

    def active_deliveries(self, since: int, until: int) -> list[tuple[str, int]]:
        """``(delivery_id, first_ts)`` of every delivery with a direct event in ``[since, until]``;
        ``first_ts`` is the time of its earliest direct event (any time)."""
        ...

    def deliveries_events(self, delivery_ids: Sequence[str], since: int | None, until: int | None) -> list[Event]:
        """``delivery_events`` for many deliveries at once (each stored row once)."""
        ...

    def step_times(self, delivery_ids: Sequence[str], since: int | None, until: int | None) -> dict[str, list[tuple[int, str]]]:
        """The steps (findings rules §3) of each of ``delivery_ids`` within ``[since, until]``, as ``(time, name)``
        in timeline order; a delivery without one is left out (``Source`` answers from ``deliveries_events``)."""
        ...

    def linked_events(self, demands: Sequence[str], offers: Sequence[str], since: int | None, until: int | None) -> list[Event]:
        """Events carrying one of these demand or offer ids (with or without a delivery id)."""
        ...

    def narrow_deliveries(self, since: int, until: int, column: str, values: Sequence[str], linked_only: bool) -> set[str] | None:
        """Of the deliveries active in ``[since, until]``, those with a direct event whose ``column`` (``event``
        or ``robot_id``) is one of ``values``; ``None`` when that says nothing, because some event with such
        a value has no delivery id (``linked_only``: and a demand or offer id, so it may be linked)."""
        ...

    def error_events(self, since: int, until: int) -> list[Event]:
        """Events in ``[since, until]`` that may be of severity error (a superset; the caller decides)."""
        ...

    def similar_ids(self, key: str, since: int | None = None) -> list[tuple[str, str]]:
        """``(kind, id)`` of delivery/robot/pilot/demand/offer ids whose ``fold_id`` equals ``key``."""
        ...

    def extent(self, column: str | None, ident: str | None, lo: int | None, hi: int | None) -> tuple[int, int] | None:
        """The first and last time of the events whose ``column`` (an id column) is ``ident`` - of all events
        when ``column`` is ``None`` - within ``[lo, hi]`` (``None``: unbounded; a warehouse may bound it by its
        lookback); ``None`` when there are none. For "nothing found" messages: where the events are
        (``lookup.nearest_range``)."""
        ...

    def compare_counts(self, since: int, until: int, filters: Filters, opts: Options) -> Counts:
        """``coco compare``'s counts (``core.compare.Counts``) of the deliveries with a direct event in ``[since,
        until]``: the group ``filters`` choose against the fulfilled others, per dimension value and transition.
        A warehouse answers with a few aggregate statements, never a row per delivery; ``core.compare.reference_counts``
        is the answer from the deliveries' exact timelines, which every source must equal."""
        ...

    # -- following a timeline as events arrive (``core.follow``: ``coco timeline --follow``, ``coco explore``)

    def refresh(self) -> None:
        """From now on, answer with what arrived since the source was opened or last refreshed (a local store
        is opened again after other loads commit, an archive syncs its new objects, a warehouse starts a new
        snapshot)."""
        ...

    def release(self) -> None:
        """Let go of what a writer needs until the next question (a local store's connection, so a load can
        commit while the caller waits); the next question takes it again. Nothing for the other sources."""
        ...

    def writer_waiting(self) -> bool:
        """Whether a writer waits for this reader to ``release`` (a resident reader checks now and then)."""
        ...

    def arrivals(self, since: int, ids: Mapping[str, Sequence[str]]) -> Hashable:
        """A value that changes whenever a row arrives whose ``column`` is one of ``ids[column]`` (for any of the
        columns) and whose time is ``since`` or later, or unusable: one bounded question a follower asks each
        poll before it rebuilds anything. A source may answer for more rows (it then changes more often, and
        the follower rebuilds for nothing), never for fewer."""
        ...


class Source:
    """The base class of every event source: the optional capabilities of ``EventSource``, declared absent, with
    their methods' defaults. A source that has one sets its attribute and overrides the method."""

    KEEPS_STATUSES: ClassVar[bool] = False
    READ_ONLY_STORE: ClassVar[bool] = False
    HAS_TAIL: ClassVar[bool] = False

    def delivery_statuses(self, delivery_ids: Sequence[str]) -> dict[str, str] | None:
        return None

    def tail_note(self, timeline: Any) -> str | None:
        return None

    def error_groups(self, since: int, until: int, by: str) -> list[Any] | None:
        return None

    def load_running(self) -> int | None:
        """The process id of a load into this source under way (a local store's), or ``None``."""
        return None

    def close(self) -> None:
        pass

    def forget(self) -> None:
        """Let go of what was kept to answer the questions so far (a store keeps the events it made)."""

    def deliveries_events(self, delivery_ids: Sequence[str], since: int | None, until: int | None) -> list[Event]:
        raise NotImplementedError  # every source answers it (``EventSource``)

    def step_times(self, delivery_ids: Sequence[str], since: int | None, until: int | None) -> dict[str, list[tuple[int, str]]]:
        """The steps (findings rules §3) of each of ``delivery_ids`` within ``[since, until]`` as ``(time, name)`` in
        timeline order (``core.baseline.step_times``), from their events; a store answers from its small columns."""
        return step_times(self.deliveries_events(delivery_ids, since, until), delivery_ids)


def select_in_spans(
    events: Iterable[Event], column: str, spans: Sequence[Span], untimed: bool = False, assignment_spans: Sequence[Span] = ()
) -> list[Event]:
    """The events ``events_in_spans`` answers, picked from a larger pool (a source that read a superset)."""
    by_id: dict[str, list[tuple[int, int]]] = {}
    assign: dict[str, list[tuple[int, int]]] = {}
    for ident, start, end in spans:
        by_id.setdefault(ident, []).append((start, end))
    for ident, start, end in assignment_spans:
        assign.setdefault(ident, []).append((start, end))
    out = []
    for e in events:
        ident = getattr(e, column)
        if ident is None:
            continue
        if e.ts is None:
            if untimed and ident in by_id:
                out.append(e)
        elif any(s <= e.ts <= t for s, t in by_id.get(ident, ())) or (
            e.name in ASSIGNMENT_EVENTS and any(s <= e.ts <= t for s, t in assign.get(ident, ()))
        ):
            out.append(e)
    return out
