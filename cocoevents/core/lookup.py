"""Finding a subject's timeline from an id: its kind, the delivery a demand or offer id links to, "did you mean".

``build`` is the one entry both ``coco timeline`` and ``cocoevents.timeline()`` call: it checks the id, finds
its kind (``--kind`` forces it), follows a demand or offer id to the delivery it links to (rule 2 of the
timeline rules in reverse; several: a usage error listing them with their status) and says which known ids an
unknown one is close to. A robot or pilot timeline without a range covers the last ``DEFAULT_ACTOR_RANGE``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterable, Optional

from ..errors import NotFound, UsageError
from ..timestamps import MIN_US, now_us, parse_duration
from .links import Pair, walk_links
from .model import KINDS, Timeline
from .options import Options
from .sessionize import delivery_timeline, fold_id, pilot_timeline, robot_timeline
from .source_protocol import EventSource

DEFAULT_ACTOR_RANGE = "24h"
MAX_ID_LENGTH = 4096
LINK_HOPS = 4


def resolve_kind(source: EventSource, subject_id: str, kind: str | None, opts: Options = Options()) -> str:
    """The subject's kind: ``kind`` when given, else the one kind of id that holds it."""
    if kind is not None:
        if kind not in KINDS:
            raise UsageError(f"--kind must be one of {', '.join(KINDS)}, not {kind!r}")
        return kind
    kinds = source.kinds(subject_id, opts.since, opts.until)
    if not kinds:
        raise NotFound(f"no delivery, robot or pilot has the id {subject_id!r}")
    if len(kinds) > 1:
        raise UsageError(f"{subject_id!r} is ambiguous: it is a {' and a '.join(kinds)} id; add --kind {'|'.join(kinds)}")
    return kinds[0]


def check_id(subject_id: str) -> None:
    if not subject_id or not subject_id.strip():
        raise UsageError("the id is empty")
    if len(subject_id) > MAX_ID_LENGTH:
        raise UsageError(f"the id is {len(subject_id)} characters long; ids are at most {MAX_ID_LENGTH}")
    if "\x00" in subject_id:
        raise UsageError("the id contains a NUL character")


def build(source: EventSource, subject_id: str, kind: str | None, opts: Options, now: int | None = None) -> Timeline:
    """The timeline of ``subject_id``. An id that is no delivery, robot or pilot id may be a demand or offer
    id: then the timeline of the one delivery it links to (several: a usage error listing them); an id not
    found at all says which known ids it is close to ("did you mean D12345?")."""
    check_id(subject_id)
    try:
        kind = resolve_kind(source, subject_id, kind, opts)
    except NotFound as missing:
        if kind is not None:
            raise
        subject_id = _through_link(source, subject_id, opts, missing)
        kind = "delivery"
    if kind != "delivery" and (opts.since is None or opts.until is None):
        current = now_us() if now is None else now
        until = opts.until if opts.until is not None else current
        since = opts.since if opts.since is not None else max(until - parse_duration(DEFAULT_ACTOR_RANGE), MIN_US)
        if since > until:
            raise UsageError("--since is after --until")
        opts = replace(opts, since=since, until=until)
    timeline: Any = {"delivery": delivery_timeline, "robot": robot_timeline, "pilot": pilot_timeline}[kind]
    try:
        return timeline(source, subject_id, opts)
    except NotFound as nothing:
        near = nearest_range(source, f"{kind}_id", subject_id, opts.since, opts.until)
        if near is None:
            raise
        # a delivery's offer and demand events (linked, without its id) come before its first own event
        pad = HOUR_US if kind == "delivery" else 0
        raise NotFound(f"{nothing}; {subject_id} has events {range_hint(near, pad)}") from None


NEAR_US = 24 * 3_600_000_000  # a hint's range: the events within a day of the nearest one
HOUR_US = 3_600_000_000


def nearest_range(
    source: EventSource, column: Optional[str], ident: Optional[str], since: Optional[int], until: Optional[int]
) -> Optional[tuple[int, int]]:
    """Where the events are when ``[since, until]`` has none (of the id ``ident`` in ``column``, or any when
    ``column`` is ``None``): the event nearest to the range, before or after it, and the first and last time of
    the events within a day of it on that side. ``None`` without a range or when there is no such event."""
    extent = source.extent
    if since is None and until is None:
        return None
    before = extent(column, ident, None, since - 1) if since is not None else None
    after = extent(column, ident, until + 1, None) if until is not None else None
    if before is not None and since is not None and (after is None or until is None or since - before[1] <= after[0] - until):
        return extent(column, ident, before[1] - NEAR_US, before[1])
    if after is not None:
        return extent(column, ident, after[0], after[0] + NEAR_US)
    return None


def elsewhere(source: EventSource, since: int, until: int) -> str:
    """For a range without events: ``; the nearest events are from ... to ...; try --since ... --until ...``
    (``nearest_range``, ``range_hint``); empty when the range has events (then filters or severities left nothing
    to show) or the source has none. What ``coco deliveries``, ``coco errors`` and explore's overview add to
    "nothing here"."""
    if source.extent(None, None, since, until) is not None:
        return ""
    near = nearest_range(source, None, None, since, until)
    return f"; the nearest events are {range_hint(near)}" if near else ""


def range_hint(near: tuple[int, int], pad_us: int = 0) -> str:
    """``from 2026-11-25T08:02Z to 2026-11-25T11:40Z; try --since 2026-11-25T08:00Z --until 2026-11-25T12:00Z``:
    a range found by ``nearest_range`` and whole hours around it (widened by ``pad_us`` each side) to ask for."""
    first, last = near
    start = first - pad_us
    end = last + pad_us
    start -= start % HOUR_US
    end += HOUR_US - end % HOUR_US
    return f"from {_minute(first)} to {_minute(last, up=True)}; try --since {_minute(start)} --until {_minute(end)}"


def _minute(us: int, up: bool = False) -> str:
    """``2026-11-25T08:02Z``: a time to the minute (``up``: rounded up, so a range written so holds it)."""
    from ..timestamps import to_datetime

    minute = 60_000_000
    if up and us % minute:
        us += minute - us % minute
    return to_datetime(us).strftime("%Y-%m-%dT%H:%MZ")


def _through_link(source: EventSource, subject_id: str, opts: Options, missing: NotFound) -> str:
    """The delivery a demand or offer id links to (timeline rules, rule 2 in reverse), else ``missing`` with a hint."""
    from .listings import statuses

    linked = linked_deliveries(source, subject_id, opts.since, opts.until)
    if len(linked) == 1:
        return linked[0]
    if linked:
        status = statuses(source, linked)
        listed = ", ".join(f"{d} ({status.get(d, 'unknown').replace('_', ' ')})" for d in linked[:20])
        more = f" and {len(linked) - 20} more" if len(linked) > 20 else ""
        raise AmbiguousId(f"{subject_id!r} links to {len(linked)} deliveries: {listed}{more}; run 'coco timeline' with one of them", linked)
    hint = did_you_mean(suggestions(source, subject_id, opts.since))
    if hint:
        raise NotFound(f"{missing}; {hint}") from None
    raise missing


class AmbiguousId(UsageError):
    """A demand or offer id linked to several deliveries (exit 2); ``deliveries`` lists them."""

    def __init__(self, message: str, deliveries: list[str]) -> None:
        super().__init__(message)
        self.deliveries = deliveries


def linked_deliveries(source: EventSource, ident: str, since: Optional[int] = None, until: Optional[int] = None) -> list[str]:
    """The deliveries whose timelines link ``ident`` as a demand or offer id (timeline rules, rule 2 in reverse):
    those with an event carrying it, or carrying an id reached from it through events without a
    delivery id (offer -> demand -> delivery)."""
    found: set[str] = set()

    def more(new_d: list[str], new_o: list[str], asked_d: set[str], asked_o: set[str]) -> list[Pair]:
        demands, offers = asked_d.union(new_d), asked_o.union(new_o)
        pairs: list[Pair] = []
        for e in source.linked_events(new_d, new_o, since, until):
            if not ((e.demand_id in demands) or (e.offer_id in offers)):
                continue
            if e.delivery_id is not None:
                found.add(e.delivery_id)
            else:
                pairs.append((e.demand_id, e.offer_id))
        return pairs

    walk_links([ident], [ident], more, hops=LINK_HOPS)
    return sorted(found)


def suggestions(source: EventSource, ident: str, since: Optional[int] = None) -> list[str]:
    """Known ids close to ``ident``: equal but for case, dashes, underscores and blanks."""
    key = fold_id(ident)
    if not key:
        return []
    return sorted({i for _, i in source.similar_ids(key, since) if i != ident})


def did_you_mean(ids: Iterable[str]) -> str:
    ids = list(ids)
    if not ids:
        return ""
    return "did you mean " + " or ".join(ids[:5]) + "?"
