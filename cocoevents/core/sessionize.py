"""Sessionization: the rules of timeline rules §2-6, from events to a ``Timeline``.

Pure: no database, terminal or pandas imports. A source (``EventSource``)
answers a few coarse questions - "the events of delivery D and everything
linked to it", "the events of these robots (or pilots) within these spans" -
and may return more than needed; every rule is applied here, on the events it
returned, so all sources give the same timeline for the same events.

For a delivery the source is asked three times: the delivery and its linked
events, then the robots' events over their segments (widened back by the
assignment lookback, to see pilot assignments), then the pilots' events over
their windows.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import compress, islice, repeat
from operator import attrgetter, is_not, le, ne
from typing import Any, Generator, Iterable, Optional, Sequence

from ..errors import NotFound
from ..producers.registry import ASSIGN_END, ASSIGN_START, registry_sort_key
from . import fast_rules
from .fast_rules import delivery_lane_names
from .findings import deliveries_around_gaps, find
from .model import DELIVERY_LANE, Event, Gap, Lane, Row, Timeline, Window, lane
from .options import Options
from .source_protocol import EventSource, Span
from .status import OUTCOME_NAMES, status_of

_TS = attrgetter("ts")


def fold_id(text: str) -> str:
    """An id's loose form for "did you mean": upper case, without dashes, underscores and blanks."""
    return "".join(ch for ch in text.upper() if ch not in "-_ ")


def order_key(ts: int, lane: Lane, event: Event) -> tuple[int, int, tuple[int, str], str]:
    """Rule 6: time, then lane (delivery, robot, pilot), then registry position, then JSON text."""
    return (ts, lane.rank, registry_sort_key(event.name), event.text)


# Rules 6 and 7 compare whole records, but only events at the same instant can be equal (equal records have
# equal times) or tie on time. So the events are sorted by time alone, and the canonical text (``Event.text``,
# worked out on demand) is asked for only within runs of equal times: a big timeline with distinct times never
# makes one, a timeline whose events all share a time costs what comparing texts always cost.

_NO_TS = -(1 << 80)  # sorts events without a usable time before every other (they are compared among themselves)


def _tied_runs(keys: Sequence[Any]) -> list[tuple[int, int]]:
    """``(start, end)`` of every run of two or more equal neighbours in the sorted ``keys``."""
    if all(map(ne, keys, islice(keys, 1, None))):  # the usual case: no two equal (a C loop)
        return []
    ties = [k for k, (a, b) in enumerate(zip(keys, islice(keys, 1, None))) if a == b]
    runs: list[tuple[int, int]] = []
    for k in ties:
        if runs and runs[-1][1] == k + 1:
            runs[-1] = (runs[-1][0], k + 2)
        else:
            runs.append((k, k + 2))
    return runs


def _by_time(keys: list[int]) -> Sequence[int]:
    """Positions in ``keys`` ordered by key, equal keys in their order (stable)."""
    if all(map(le, keys, islice(keys, 1, None))):  # the usual case: read in time order
        return range(len(keys))
    return sorted(range(len(keys)), key=keys.__getitem__)


Copies = dict[tuple[Optional[int], str], int]  # (time, canonical text) -> copies removed


def dedupe(events: Iterable[Event]) -> tuple[list[Event], Copies]:
    """Rule 7: one event per distinct JSON object (the first met); returns the events, in the order given,
    and the copies removed per ``(time, text)``."""
    events = list(events)
    keys = list(map(_TS, events))
    if None in keys:
        keys = [_NO_TS if k is None else k for k in keys]
    order = _by_time(keys)
    copies: Copies = {}
    dropped: set[int] = set()
    for start, end in _tied_runs(keys if isinstance(order, range) else [keys[i] for i in order]):
        first: set[str] = set()
        for i in order[start:end]:
            e = events[i]
            text = e.text
            if text in first:
                key = (e.ts, text)
                copies[key] = copies.get(key, 0) + 1
                dropped.add(i)
            else:
                first.add(text)
    if not dropped:
        return events, copies
    return [e for i, e in enumerate(events) if i not in dropped], copies


def rule6_order(events: Sequence[Event], lanes: Sequence[Lane], unique: bool = False) -> Sequence[int]:
    """Positions of the timed ``events`` (in ``lanes``) in rule 6 order; with ``unique``, an event equal to one
    before it in the given order is left out (rule 7: it keeps the first lane it was given)."""
    keys = list(map(_TS, events))
    order = _by_time(keys)
    runs = _tied_runs(keys if isinstance(order, range) else [keys[i] for i in order])
    if not runs:
        return order
    out: list[int] = []
    done = 0
    for start, end in runs:
        out += order[done:start]
        run = list(order[start:end])  # in the given order
        if unique:
            seen: set[str] = set()
            kept = []
            for i in run:
                text = events[i].text
                if text not in seen:
                    seen.add(text)
                    kept.append(i)
            run = kept
        run.sort(key=lambda i: order_key(keys[i], lanes[i], events[i]))
        out += run
        done = end
    out += order[done:]
    return out


def _sorted_timed(events: Iterable[Event], lane: Lane = DELIVERY_LANE) -> list[Event]:
    events = list(events)
    timed = list(compress(events, map(is_not, map(_TS, events), repeat(None))))
    order = rule6_order(timed, [lane] * len(timed))
    return timed if isinstance(order, range) else [timed[i] for i in order]


def segments(kind: str, events: Sequence[Event], attr: str, last_end: int, ordered: bool = False) -> list[Window]:
    """Rule 3 (and the direct pilot windows of rule 5): runs of the same id in time order.

    A segment ends where the next starts (excluded); the last ends at ``last_end`` (included). ``ordered``:
    ``events`` are the timed events in rule 6 order already (``_sorted_timed``).
    """
    runs: list[tuple[str, int]] = []
    for e in events if ordered else _sorted_timed(events):
        value = getattr(e, attr)
        if value is None:
            continue
        if not runs or runs[-1][0] != value:
            runs.append((value, e.ts))  # type: ignore[arg-type]
    out = []
    for i, (value, start) in enumerate(runs):
        if i + 1 < len(runs):
            out.append(Window(kind, value, start, runs[i + 1][1], end_open=True))
        else:
            out.append(Window(kind, value, start, max(last_end, start)))
    return out


@dataclass(frozen=True)
class Assignment:
    pilot: str
    robot: str
    start: int
    end: int | None  # None: still assigned


def assignments(events: Iterable[Event], not_before: int | None = None) -> list[Assignment]:
    """Rule 5: from each ``pilot.assignment_started`` (P, R) to the next ``pilot.assignment_ended`` (P, R)."""
    timed = sorted(
        (e for e in events if e.ts is not None and e.pilot_id and e.robot_id and e.name in (ASSIGN_START, ASSIGN_END)),
        # at one instant, ends before starts: "ended, then started again" is a handover, not a zero-length stint
        key=lambda e: (e.ts, 0 if e.name == ASSIGN_END else 1, e.text),
    )
    open_starts: dict[tuple[str, str], list[int]] = {}
    found: list[Assignment] = []
    for e in timed:
        assert e.ts is not None and e.pilot_id is not None and e.robot_id is not None  # (chosen so above)
        pair = (e.pilot_id, e.robot_id)
        if e.name == ASSIGN_START:
            if not_before is None or e.ts >= not_before:
                open_starts.setdefault(pair, []).append(e.ts)
        else:
            for start in open_starts.pop(pair, []):
                found.append(Assignment(pair[0], pair[1], start, e.ts))
    for (pilot, robot), starts in open_starts.items():
        found.extend(Assignment(pilot, robot, s, None) for s in starts)
    return sorted(found, key=lambda a: (a.start, a.pilot, a.robot))


def intersect(a: Assignment, w: Window, kind: str, ident: str) -> Window | None:
    """The part of assignment ``a`` inside window ``w`` as a window of ``kind``/``ident``, if any."""
    start = max(a.start, w.start)
    if a.end is None or a.end >= w.end:
        end, end_open = w.end, w.end_open
    else:
        end, end_open = a.end, False
    if start < end or (start == end and not end_open):
        return Window(kind, ident, start, end, end_open)
    return None


def merge_windows(windows: Iterable[Window]) -> list[Window]:
    """Rule 8: merge overlapping or touching windows of the same kind and id; order them."""
    by_key: dict[tuple[str, str], list[Window]] = {}
    for w in windows:
        by_key.setdefault((w.kind, w.id), []).append(w)
    merged: list[Window] = []
    for (kind, ident), ws in by_key.items():
        ws.sort(key=lambda w: (w.start, w.end))
        cur = ws[0]
        for w in ws[1:]:
            if w.start <= cur.end:
                if w.end > cur.end or (w.end == cur.end and not w.end_open):
                    cur = Window(kind, ident, cur.start, w.end, w.end_open)
            else:
                merged.append(cur)
                cur = w
        merged.append(cur)
    merged.sort(key=lambda w: (w.start, 0 if w.kind == "robot" else 1, w.id))
    return merged


def first_seen(windows: Sequence[Window], kind: str) -> list[str]:
    out: list[str] = []
    for w in windows:
        if w.kind == kind and w.id not in out:
            out.append(w.id)
    return out


def delivery_status(rows: Sequence[Row]) -> str:
    """Timeline rules §6 (``status.status_of``) over the delivery lane of ``rows`` (in timeline order)."""
    return status_of(delivery_lane_names(rows, _OUTCOME_NAMES))


_OUTCOME_NAMES = frozenset(OUTCOME_NAMES)


def build_rows(placed: dict[str, tuple[Event, Lane]] | Iterable[tuple[Event, Lane]], gap_us: int) -> tuple[list[Row], list[Gap]]:
    """Rule 6 order, section 5 gaps and section 4 severity over the placed (distinct, timed) events."""
    pairs = list(placed.values() if isinstance(placed, dict) else placed)
    events = [p[0] for p in pairs]
    lanes = [p[1] for p in pairs]
    del pairs
    return fast_rules.rows_in_order(events, lanes, rule6_order(events, lanes), gap_us)


def rows_in_order(events: Sequence[Event], lanes: Sequence[Lane], order: Iterable[int], gap_us: int) -> tuple[list[Row], list[Gap]]:
    """The rows of ``events`` (in ``lanes``) taken in ``order``, each with its severity (timeline rules §4) and the
    time since the row before it, and the gaps longer than ``gap_us`` between them (§5). The sessionizer runs the
    same through ``fast_rules.rows_in_order``."""
    rows: list[Row] = []
    gaps: list[Gap] = []
    prev: int | None = None
    for i in order:
        event = events[i]
        assert event.ts is not None
        gap = None
        if prev is not None:
            gap = event.ts - prev
            if gap > gap_us:
                gaps.append(Gap(prev, event.ts))
        rows.append(Row(event, lanes[i], event.severity, gap))
        prev = event.ts
    return rows, gaps


class _Placer:
    """Collects events into lanes; an event keeps the first lane it is given (rule 6)."""

    def __init__(self, copies: Copies) -> None:
        self.events: list[Event] = []
        self.lanes: list[Lane] = []
        self.unplaced: dict[str, Event] = {}
        self.copies = copies

    def put(self, event: Event, lane: Lane) -> None:
        if event.ts is None:
            self.unplaced.setdefault(event.text, event)
        else:
            self.events.append(event)
            self.lanes.append(lane)

    def put_all(self, events: Iterable[Event], lane: Lane) -> None:
        for e in events:
            if e.ts is None:
                self.unplaced.setdefault(e.text, e)
            else:
                self.events.append(e)
                self.lanes.append(lane)

    def rows(self, gap_us: int) -> tuple[list[Row], list[Gap]]:
        """The placed events as rows (each distinct record once, in the first lane it was given), and gaps."""
        order = rule6_order(self.events, self.lanes, unique=True)
        rows = fast_rules.rows_in_order(self.events, self.lanes, order, gap_us)
        self.events, self.lanes = [r.event for r in rows[0]], []
        return rows

    def duplicates_removed(self) -> int:
        """Copies removed of the records placed (call after ``rows``)."""
        if not self.copies:
            return 0
        times = {ts for ts, _ in self.copies}
        present = {(e.ts, e.text) for e in self.events if e.ts in times}
        present |= {(None, text) for text in self.unplaced}
        return sum(n for key, n in self.copies.items() if key in present)

    def unplaced_list(self) -> list[Event]:
        return sorted(self.unplaced.values(), key=lambda e: (registry_sort_key(e.name), e.text))


@dataclass(frozen=True)
class DeliveryRequest:
    """A plan's question "the events of this delivery and those linked to it" (``delivery_events``)."""

    delivery_id: str
    since: int | None
    until: int | None


@dataclass(frozen=True)
class SpansRequest:
    """A plan's question "these robots' (or pilots') events within these spans" (``events_in_spans``)."""

    column: str
    spans: tuple[Span, ...]
    assignment_spans: tuple[Span, ...] = ()
    without_delivery: bool = False  # ``events_in_spans``'s: only events without a delivery id are placed


@dataclass(frozen=True)
class BaselineRequest:
    """A plan's last question: the fleet baseline (findings rules §3), asked after the events."""


Request = DeliveryRequest | SpansRequest | BaselineRequest
Plan = Generator[Request, Any, Timeline]


def answer(source: EventSource, request: Request) -> Any:
    """What ``source`` says to one request of a plan."""
    if isinstance(request, DeliveryRequest):
        return source.delivery_events(request.delivery_id, request.since, request.until)
    if isinstance(request, BaselineRequest):
        return source.baseline()
    if request.without_delivery:
        return source.events_in_spans(request.column, request.spans, assignment_spans=request.assignment_spans, without_delivery=True)
    return source.events_in_spans(request.column, request.spans, assignment_spans=request.assignment_spans)


def run_plan(source: EventSource, plan: Plan) -> Timeline:
    """Drive a plan against one source, one question at a time."""
    try:
        request = next(plan)
        while True:
            request = plan.send(answer(source, request))
    except StopIteration as done:
        return done.value


def delivery_timeline(source: EventSource, delivery_id: str, opts: Options = Options()) -> Timeline:
    """Spec section 2."""
    return run_plan(source, delivery_plan(delivery_id, opts))


def delivery_plan(delivery_id: str, opts: Options = Options()) -> Plan:
    """Spec section 2 as a plan: it yields its questions - at most three for the events, then the fleet
    baseline - and gets the answers sent back, so one caller can answer the questions of many deliveries at once
    (``cocoevents.fleet``) and every delivery still goes through exactly these rules."""
    fetched = yield DeliveryRequest(delivery_id, opts.since, opts.until)
    if opts.since is not None or opts.until is not None:
        fetched = [e for e in fetched if _in_range(e, opts.since, opts.until)]
    events, copies = dedupe(fetched)
    del fetched
    core = fast_rules.linked_closure(delivery_id, events)  # rules 1-2 (``links.linked_closures``)
    del events
    if not any(e.delivery_id == delivery_id for e in core):
        raise NotFound(f"nothing found for delivery {delivery_id!r}{_range_text(opts)}")
    timed_core = _sorted_timed(core)
    place = _Placer(copies)
    place.put_all(core, DELIVERY_LANE)
    last = timed_core[-1].ts if timed_core else 0
    assert last is not None  # (timed)
    robot_segments = segments("robot", timed_core, "robot_id", last, ordered=True)
    robots = {w.id for w in robot_segments}

    robot_events: list[Event] = []
    if robot_segments:
        spans = [(w.id, w.start - opts.pad_us, w.end) for w in robot_segments]
        lookback = [(w.id, w.start - opts.assignment_lookback_us, w.end) for w in robot_segments]
        # Rule 4 places only events without a delivery id; the assignments (rule 5) come from the lookback
        # spans, which return them whatever they carry. The delivery's own rows are not read a second time.
        robot_events, more = dedupe((yield SpansRequest("robot_id", tuple(spans), tuple(lookback), without_delivery=True)))
        _add_copies(copies, more)
    for e in robot_events:
        if (
            e.robot_id in robots
            and e.delivery_id is None
            and e.ts is not None
            and any(w.id == e.robot_id and w.contains(e.ts, opts.pad_us) for w in robot_segments)
        ):
            place.put(e, lane("robot", e.robot_id))

    pilot_windows = segments("pilot", timed_core, "pilot_id", last, ordered=True)
    del timed_core
    earliest = min((w.start for w in robot_segments), default=0) - opts.assignment_lookback_us
    for a in assignments(robot_events, not_before=earliest):
        for w in robot_segments:
            if w.id == a.robot and a.start >= w.start - opts.assignment_lookback_us:
                hit = intersect(a, w, "pilot", a.pilot)
                if hit:
                    pilot_windows.append(hit)
    if pilot_windows:
        spans = [(w.id, w.start, w.end) for w in pilot_windows]
        pilot_events, more = dedupe((yield SpansRequest("pilot_id", tuple(spans), without_delivery=True)))
        _add_copies(copies, more)
        for e in pilot_events:  # distinct records, one lane each: the order of placing them does not matter
            if (
                e.delivery_id is None
                and e.ts is not None
                and (e.robot_id is None or e.robot_id in robots)
                and any(w.id == e.pilot_id and w.start <= e.ts <= w.end for w in pilot_windows)
            ):
                place.put(e, lane("pilot", e.pilot_id))

    rows, gaps = place.rows(opts.gap_us)
    windows = merge_windows(robot_segments + pilot_windows)
    baseline = yield BaselineRequest()
    if baseline is not None:
        baseline = baseline.with_min_samples(opts.baseline_min)
    return Timeline(
        kind="delivery",
        id=delivery_id,
        since=opts.since,
        until=opts.until,
        rows=rows,
        windows=windows,
        gaps=gaps,
        unplaced=place.unplaced_list(),
        duplicates_removed=place.duplicates_removed(),
        reassignments=max(len(robot_segments) - 1, 0),
        status=delivery_status(rows),
        gap_threshold_us=opts.gap_us,
        robots=first_seen(windows, "robot"),
        pilots=first_seen(windows, "pilot"),
        findings=find("delivery", delivery_id, rows, windows, gaps, baseline),
        baseline=baseline,
    )


def _add_copies(copies: Copies, more: Copies) -> None:
    for text, n in more.items():
        copies[text] = max(copies.get(text, 0), n)


def _in_range(e: Event, since: int | None, until: int | None) -> bool:
    if e.ts is None:
        return True
    return (since is None or e.ts >= since) and (until is None or e.ts <= until)


def _range_text(opts: Options) -> str:
    from ..timestamps import format_ts

    if opts.since is None and opts.until is None:
        return ""
    return f" between {format_ts(opts.since) or 'the beginning'} and {format_ts(opts.until) or 'now'}"


def robot_timeline(source: EventSource, robot_id: str, opts: Options) -> Timeline:
    """Spec section 3, robot subject."""
    return _actor_timeline(source, "robot", robot_id, opts)


def pilot_timeline(source: EventSource, pilot_id: str, opts: Options) -> Timeline:
    """Spec section 3, pilot subject."""
    return _actor_timeline(source, "pilot", pilot_id, opts)


def _actor_timeline(source: EventSource, kind: str, ident: str, opts: Options) -> Timeline:
    assert opts.since is not None and opts.until is not None
    since, until = opts.since, opts.until
    column = f"{kind}_id"
    fetched, copies = dedupe(
        source.events_in_spans(
            column,
            [(ident, since, until)],
            untimed=True,
            assignment_spans=[(ident, since - opts.assignment_lookback_us, until)],
        )
    )
    mine = [e for e in fetched if getattr(e, column) == ident]
    own = [e for e in mine if e.ts is None or since <= e.ts <= until]
    if not any(e.ts is not None for e in own):  # unplaced events alone do not make a timeline in a range
        raise NotFound(f"nothing found for {kind} {ident!r}{_range_text(opts)}")
    place = _Placer(copies)
    for e in own:
        if kind == "robot":
            place.put(e, lane("delivery", e.delivery_id) if e.delivery_id else lane("robot", ident))
        else:
            place.put(e, lane("pilot", ident))
    span = Window(kind, ident, since, until)
    other = "pilot" if kind == "robot" else "robot"
    windows: list[Window] = []
    for a in assignments(mine, not_before=since - opts.assignment_lookback_us):
        if getattr(a, kind) != ident:
            continue
        hit = intersect(a, span, other, a.pilot if other == "pilot" else a.robot)
        if hit:
            windows.append(hit)
    if windows:
        other_events, more = dedupe(source.events_in_spans(f"{other}_id", [(w.id, w.start, w.end) for w in windows]))
        _add_copies(copies, more)
        for e in other_events:  # distinct records, one lane each: the order of placing them does not matter
            oid = getattr(e, f"{other}_id")
            if e.ts is None or not any(w.id == oid and w.start <= e.ts <= w.end for w in windows):
                continue
            if kind == "robot":  # pilot events: no delivery id, robot absent or this robot
                if e.delivery_id is None and e.robot_id in (None, ident):
                    place.put(e, lane("pilot", oid))
            else:  # every event of the assigned robot in the window
                place.put(e, lane("robot", oid))
    rows, gaps = place.rows(opts.gap_us)
    merged = merge_windows(windows)
    # Findings rules §2a: a silence inside a delivery is judged against all of that delivery's steps and the
    # fleet baseline - two more questions, asked only when some gap lies inside a delivery.
    inside = deliveries_around_gaps(rows, gaps)
    baseline = None
    steps_of: dict[str, list[tuple[int, str]]] = {}
    if inside:
        steps_of = source.step_times(inside, since, until)  # the steps between two rows in range are in range
        baseline = source.baseline()
        if baseline is not None:
            baseline = baseline.with_min_samples(opts.baseline_min)
    return Timeline(
        kind=kind,
        id=ident,
        since=since,
        until=until,
        rows=rows,
        windows=merged,
        gaps=gaps,
        unplaced=place.unplaced_list(),
        duplicates_removed=place.duplicates_removed(),
        reassignments=0,
        status=None,
        gap_threshold_us=opts.gap_us,
        robots=[ident] if kind == "robot" else first_seen(merged, "robot"),
        pilots=[ident] if kind == "pilot" else first_seen(merged, "pilot"),
        findings=find(kind, ident, rows, merged, gaps, baseline, steps_of),
        baseline=baseline,
    )
