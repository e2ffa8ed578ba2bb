"""What ``coco explore`` shows and where each key leads, without a terminal: subjects, the resident source, the
overview's data, and the moves between timelines. The screens (``explore.screens``, ``explore.timeline_screen``)
only draw what this gives.

One source for the whole session (``Resident``): opened once, held open between questions (one connection),
asked from one worker thread at a time (a lock: DuckDB's connection is not shared between threads at once), and
remembered answers (the last ``CACHE`` timelines), so going back, or to a subject the cursor rested on
(``ahead``), costs no question. Beside it, when the source can make one (the local store: a cursor of the same
connection), a side reader with its own lock: what is built ahead, and the overview's errors, are asked there at
the same time as the question in front. A load that asks for the store (``<store>.waiting``) gets it:
``yield_to_writer`` lets go of both, and the next question opens it again.

Every timeline is built by ``core.lookup.build`` - the rules and the id resolution of ``coco timeline`` - and the
overview by ``core.listings`` (``coco errors`` and ``coco deliveries``), so what the app shows is what the commands
print.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterator, Optional, Sequence

from ..core.listings import DeliveryRow, ErrorReport, error_report, error_rows, group_key, timelines
from ..core.lookup import build, elsewhere
from ..core.model import Event, Row, Timeline
from ..core.options import HOUR, Options

DAY_AROUND = 12 * HOUR  # ``r``: the robot's day around the selected row is 12 hours either side of its hour
SHIFT_AROUND = 12 * HOUR  # ``p``: where a pilot's shift is looked for, either side of the selected row
CACHE = 32  # timelines remembered
PAGE = 10  # deliveries built at a time for the overview (the list fills as they come)
FIRST_PAGE = 5  # ... but the first page is smaller: the first screen waits for it
SHIFT_START, SHIFT_END = "pilot.shift_started", "pilot.shift_ended"


@dataclass(frozen=True)
class Subject:
    """A timeline to show: a delivery, robot or pilot id (``kind`` ``None``: resolved as ``coco timeline``
    resolves it, demand and offer ids too), its range, and the row to select when it opens (``focus_text``: that
    event, else the first row at or after ``focus``)."""

    kind: Optional[str]
    id: str
    since: Optional[int] = None
    until: Optional[int] = None
    focus: Optional[int] = None
    focus_text: Optional[str] = None

    @property
    def key(self) -> tuple[Optional[str], str, Optional[int], Optional[int]]:
        return (self.kind, self.id, self.since, self.until)

    def options(self, base: Options) -> Options:
        return replace(base, since=self.since, until=self.until)

    def at(self, row: Optional[Row]) -> Subject:
        """The same subject, opening on ``row``."""
        if row is None:
            return self
        return replace(self, focus=row.ts, focus_text=row.event.text)


@dataclass
class Overview:
    """The range's overview: errors by code (their events kept, for ``enter``) and the newest deliveries."""

    since: int
    until: int
    errors: Optional[ErrorReport] = None
    error_events: Optional[dict[Optional[str], list[Event]]] = None  # each code's events, once read
    deliveries: list[DeliveryRow] = field(default_factory=list)
    deliveries_done: bool = False
    active: Optional[int] = None  # deliveries active in the range, when known (the windows covered it all)
    elsewhere: str = ""  # a range without events: where the nearest are (``core.lookup.elsewhere``)


class Resident:
    """The session's source (see the module docstring). ``opening`` opens it; every question goes through
    ``ask`` (one at a time)."""

    def __init__(self, opening: Callable[[], Any], opts: Options = Options()) -> None:
        self._opening = opening
        self.opts = opts
        self.source: Any = None
        self.lock = threading.RLock()
        self._side: Any = None  # the prefetch's own reader (``ahead``), when the source can make one
        self._side_lock = threading.Lock()
        self._memory = threading.Lock()  # the remembered timelines and those being built ahead
        self._cache: OrderedDict[Any, Timeline] = OrderedDict()
        self._building: dict[Any, threading.Event] = {}
        self.questions = 0  # timelines built (the benchmark and the tests count them)

    def open(self) -> None:
        with self.lock:
            if self.source is None:
                self.source = self._opening()

    def close(self) -> None:
        with self._side_lock:
            self._close_side()
        with self.lock:
            if self.source is not None:
                self.source.close()
                self.source = None

    def _close_side(self) -> None:
        if self._side is not None:
            self._side.close()
            self._side = None

    def ask(self, question: Callable[[Any], Any]) -> Any:
        """``question(source)``, alone on the source."""
        with self.lock:
            self.open()
            return question(self.source)

    def ask_aside(self, question: Callable[[Any], Any]) -> Any:
        """``question`` on the side reader (``ahead``'s), so it runs at the same time as one on the source; on the
        source when it cannot make one."""
        with self._side_lock:
            side = self._side_source()
            if side is not None:
                return question(side)
        return self.ask(question)

    # -- timelines ------------------------------------------------------------------------------------

    def cached(self, subject: Subject) -> Optional[Timeline]:
        with self._memory:
            found = self._cache.get(subject.key)
            if found is not None:
                self._cache.move_to_end(subject.key)
            return found

    def timeline(self, subject: Subject) -> Timeline:
        """``subject``'s timeline, remembered (``coco timeline``'s ``build``; its errors are the command's). One being
        built ahead (``ahead``) is waited for rather than built a second time."""
        with self._memory:
            building = self._building.get(subject.key)
        if building is not None:
            building.wait()
        found = self.cached(subject)
        if found is not None:
            return found

        def question(source: Any) -> Timeline:
            self.questions += 1
            return build(source, subject.id, subject.kind, subject.options(self.opts))

        t = self.ask(question)
        self.remember(subject, t)
        return t

    def ahead(self, subject: Subject) -> None:
        """Build ``subject``'s timeline in advance (the cursor rests on it or near it), on a reader of its own when
        the source can make one (``side``: a cursor of the local store's connection), so a question asked meanwhile
        does not wait for it; else on the source, between questions. Its errors are left for opening it to say."""
        if self.cached(subject) is not None:
            return
        with self._side_lock:
            with self._memory:
                if subject.key in self._cache or subject.key in self._building:
                    return
                done = self._building[subject.key] = threading.Event()

            def question(source: Any) -> Timeline:
                self.questions += 1
                return build(source, subject.id, subject.kind, subject.options(self.opts))

            try:
                side = self._side_source()
                self.remember(subject, question(side) if side is not None else self.ask(question))
            except Exception:
                pass
            finally:
                with self._memory:
                    self._building.pop(subject.key, None)
                done.set()

    def open_side(self) -> None:
        """The side reader made now (``coco explore`` opens it with the source, while Textual imports)."""
        with self._side_lock:
            self._side_source()

    def _side_source(self) -> Any:
        if self._side is None:
            with self.lock:
                self.open()
                make = getattr(self.source, "side", None)
                self._side = make() if make is not None else None
        return self._side

    def remember(self, subject: Subject, t: Timeline) -> None:
        with self._memory:
            self._cache[subject.key] = t
            self._cache[(t.kind, t.id, subject.since, subject.until)] = t  # by the resolved id too
            while len(self._cache) > CACHE:
                self._cache.popitem(last=False)

    def forget(self) -> None:
        """New events arrived (a follow poll refreshed the source): what was remembered may be out of date."""
        with self._memory:
            self._cache.clear()

    def pilot_shift(self, pilot: str, ts: int) -> Subject:
        """``p``: the pilot's shift around ``ts`` - from the last ``pilot.shift_started`` at or before it to the next
        ``pilot.shift_ended`` - looked for within ``SHIFT_AROUND`` either side; without shift events, that range."""
        wide = Subject("pilot", pilot, ts - SHIFT_AROUND, ts + SHIFT_AROUND)
        t = self.timeline(wide)
        start, end = shift_bounds(t, ts)
        return Subject("pilot", pilot, start if start is not None else wide.since, end if end is not None else wide.until)

    # -- the overview -----------------------------------------------------------------------------------

    def errors(self, overview: Overview, aside: bool = False) -> None:
        """Errors by code with the window before's counts (``coco errors --vs previous``). Counted by the store
        from its error index when it has one (``error_groups``: no record read, the same groups), the events of
        each code then read apart (``error_events``); else from the events, which are kept for the error screen.
        ``aside``: on the side reader (``ask_aside``), while the deliveries are asked of the source."""

        def question(source: Any) -> None:
            remembering = _Remembering(source, overview.since, overview.until)
            overview.errors = error_report(
                remembering,  # type: ignore[arg-type]  # answers the questions error_report asks
                overview.since,
                overview.until,
                "code",
                vs="previous",
            )
            if remembering.events is not None:  # read for want of an index: kept for the error screen
                overview.error_events = _by_code(remembering.events, overview)

        (self.ask_aside if aside else self.ask)(question)

    def error_events(self, overview: Overview) -> dict[Optional[str], list[Event]]:
        """Each code's error events, the latest first (the error screen), read once."""
        if overview.error_events is None:
            events = self.ask(lambda source: source.error_events(overview.since, overview.until))
            overview.error_events = _by_code(events, overview)
        return overview.error_events

    def deliveries(self, overview: Overview, limit: int) -> Iterator[list[DeliveryRow]]:
        """The newest ``limit`` deliveries active in the range (``coco deliveries``' order and rows), a page at a
        time as they are built (the first of ``FIRST_PAGE``, drawn sooner, then of ``PAGE``). The newest are found
        from the end of the range backwards (``newest``), so the first page does not wait for every delivery of the
        range."""
        order = self.ask(lambda source: newest(source, overview, limit))
        if not order:  # nothing active: where the events are, as the listings say it
            overview.elsewhere = self.ask(lambda source: elsewhere(source, overview.since, overview.until))
        starts = [0, *range(FIRST_PAGE, len(order), PAGE)] if order else []
        for start, end in zip(starts, [*starts[1:], len(order)]):
            ids = order[start:end]
            page: list[DeliveryRow] = self.ask(functools.partial(self._rows, ids))
            overview.deliveries.extend(page)
            yield page
        overview.deliveries_done = True

    def _rows(self, ids: list[str], source: Any) -> list[DeliveryRow]:
        return [DeliveryRow.from_timeline(t) for t in timelines(source, ids, self.opts)]

    # -- a resident reader lets loads in ----------------------------------------------------------------

    def yield_to_writer(self) -> bool:
        """When a load waits for the store, let go of it (the next question opens it again); whether it did.
        Never waits: a question under way keeps the source and the next check lets go."""
        if not self._side_lock.acquire(blocking=False):
            return False
        try:
            if not self.lock.acquire(blocking=False):
                return False
            try:
                if self.source is not None and self.source.writer_waiting():
                    self._close_side()
                    self.source.release()
                    return True
                return False
            finally:
                self.lock.release()
        finally:
            self._side_lock.release()


def _by_code(events: list[Event], overview: Overview) -> dict[Optional[str], list[Event]]:
    grouped: dict[Optional[str], list[Event]] = {}
    for e, code in error_rows(events, overview.since, overview.until):
        grouped.setdefault(group_key(e, code, "code"), []).append(e)
    for found in grouped.values():
        found.sort(key=lambda e: (e.ts, e.text), reverse=True)  # the latest first
    return grouped


class _Remembering:
    """The source, remembering its ``error_events`` answer for the range when ``error_report`` asks it (a source
    without an error index): the error screen then keeps the events that were grouped, read once."""

    def __init__(self, source: Any, since: int, until: int) -> None:
        self._source, self._range = source, (since, until)
        self.events: Optional[list[Event]] = None

    def error_groups(self, since: int, until: int, by: str) -> Optional[list[Any]]:
        return self._source.error_groups(since, until, by)

    def error_events(self, since: int, until: int) -> list[Event]:
        events: list[Event] = self._source.error_events(since, until)
        if (since, until) == self._range:
            self.events = events
        return events


WINDOW = HOUR  # ``newest`` looks at the last hour of the range first, then four times more each round


def newest(source: Any, overview: Overview, limit: int) -> list[str]:
    """The ids of the newest ``limit`` deliveries active in the range, newest first by their first own event (the
    order of ``coco deliveries``). A delivery that started in the last ``w`` of the range has an event there, so
    once ``limit`` of them are found, no delivery that started earlier can rank before them: only that window is
    asked, growing from ``WINDOW`` until it holds enough or covers the range (then ``overview.active`` is known). A
    source that keeps when each delivery started (``started_deliveries``: the local store's facts) gives a window's
    newest without going through its rows."""
    since, until = overview.since, overview.until
    width = WINDOW
    started_in = getattr(source, "started_deliveries", None)  # the same answer for a window, kept (the local store)
    while True:
        low = max(since, until - width)
        kept = started_in(low, until, limit) if started_in is not None and limit and low != since else None
        if kept is not None:
            if len(kept) >= limit:
                chosen = kept
                break
            width *= 4
            continue
        active = source.active_deliveries(low, until)
        started = [(d, first) for d, first in active if first >= low]
        if low == since:
            overview.active = len(active)
            chosen = active
            break
        if limit and len(started) >= limit:
            chosen = started
            break
        width *= 4
    order = [d for d, _ in sorted(chosen, key=lambda p: (p[1], p[0]), reverse=True)]
    return order if not limit else order[:limit]


# -- moves between timelines (pure) ------------------------------------------------------------------------------


def delivery_at(t: Timeline, index: int) -> Optional[str]:
    """``d``: the delivery of the row at ``index`` - its own, its lane's, or (a robot's row without one) the
    delivery the robot was working on then: the one whose rows in this timeline surround it."""
    if not 0 <= index < len(t.rows):
        return t.id if t.kind == "delivery" else None
    row = t.rows[index]
    if row.event.delivery_id:
        return row.event.delivery_id
    if row.lane.kind == "delivery" and row.lane.id:
        return row.lane.id
    if t.kind == "delivery":
        return t.id
    spans: dict[str, tuple[int, int]] = {}
    for r in t.rows:
        d = r.event.delivery_id or (r.lane.id if r.lane.kind == "delivery" else None)
        if d:
            first, last = spans.get(d, (r.ts, r.ts))
            spans[d] = (min(first, r.ts), max(last, r.ts))
    around = [d for d, (first, last) in spans.items() if first <= row.ts <= last]
    return around[0] if len(around) == 1 else None


def _actor_at(t: Timeline, index: int, kind: str) -> Optional[str]:
    """The robot (or pilot) of the row at ``index``: its own id, its lane's, the window it falls in, or the
    subject itself."""
    if not 0 <= index < len(t.rows):
        return t.id if t.kind == kind else None
    row = t.rows[index]
    own = getattr(row.event, f"{kind}_id")
    if own:
        return own
    if row.lane.kind == kind and row.lane.id:
        return row.lane.id
    if t.kind == kind:
        return t.id
    inside = [w.id for w in t.windows if w.kind == kind and w.contains(row.ts)]
    return inside[-1] if inside else None


def robot_at(t: Timeline, index: int) -> Optional[str]:
    return _actor_at(t, index, "robot")


def pilot_at(t: Timeline, index: int) -> Optional[str]:
    return _actor_at(t, index, "pilot")


def robot_day(t: Timeline, index: int) -> Optional[Subject]:
    """``r``: the robot of the selected row over the day around it - ``DAY_AROUND`` either side of the row's hour, so
    the rows of one hour share one robot's day, built (or built ahead) once - opening on that row."""
    robot = robot_at(t, index)
    if robot is None or not 0 <= index < len(t.rows):
        return None
    row = t.rows[index]
    hour = row.ts - row.ts % HOUR
    return Subject("robot", robot, hour - DAY_AROUND, hour + HOUR + DAY_AROUND).at(row)


def robot_days(t: Timeline, first: int = 0, most: int = 2) -> list[Subject]:
    """The robot's days ``r`` opens from ``t``'s rows, each once, that of the first row at or after ``first`` with a
    robot first: what is built ahead when the cursor rests on a delivery, before ``r`` is pressed on it."""
    found: dict[Any, Subject] = {}
    for n in [*range(first, len(t.rows)), *range(0, min(first, len(t.rows)))]:
        day = robot_day(t, n)
        if day is not None and day.key not in found:
            found[day.key] = day
            if len(found) == most:
                break
    return list(found.values())


def shift_bounds(t: Timeline, ts: int) -> tuple[Optional[int], Optional[int]]:
    """The pilot's shift holding ``ts``: the last ``pilot.shift_started`` at or before it, the first
    ``pilot.shift_ended`` at or after it (``None`` for a side without one)."""
    own = [r for r in t.rows if r.lane.kind == "pilot" and r.lane.id == t.id]
    starts = [r.ts for r in own if r.event.name == SHIFT_START and r.ts <= ts]
    ends = [r.ts for r in own if r.event.name == SHIFT_END and r.ts >= ts]
    return (max(starts) if starts else None, min(ends) if ends else None)


def focus_index(t: Timeline, subject: Subject) -> int:
    """The row to select when ``subject``'s timeline opens."""
    if subject.focus_text is not None:
        for n, r in enumerate(t.rows):
            if r.event.text == subject.focus_text:
                return n
    if subject.focus is not None:
        for n, r in enumerate(t.rows):
            if r.ts >= subject.focus:
                return n
        return max(len(t.rows) - 1, 0)
    return 0


def next_error(t: Timeline, index: int, step: int = 1) -> Optional[int]:
    """``e``: the next error row after ``index`` (``step`` -1: before it), wrapping around; ``None`` without any."""
    n = len(t.rows)
    for k in range(1, n + 1):
        i = (index + step * k) % n
        if t.rows[i].severity == "error":
            return i
    return None


def finding_row(t: Timeline, finding: Any) -> int:
    """The row a finding points at: its first ref, else the first row at or after its time."""
    if finding.refs and 0 <= finding.refs[0] < len(t.rows):
        return int(finding.refs[0])
    for n, r in enumerate(t.rows):
        if r.ts >= finding.ts:
            return n
    return max(len(t.rows) - 1, 0)


def ordered_findings(t: Timeline) -> list[Any]:
    """The findings as "What stands out" lists them: in time order, the most severe first within an instant."""
    from ..core.findings import SEVERITY_RANK

    return [f for _, f in sorted(enumerate(t.findings), key=lambda p: (p[1].ts, SEVERITY_RANK[p[1].severity], p[0]))]


def next_finding(t: Timeline, current: Optional[int], index: int, step: int = 1) -> Optional[int]:
    """``n``/``N``: the position (in ``ordered_findings``) of the next finding after the one selected (``current``),
    or - none selected - the first whose row is after the selected row ``index``; wrapping around."""
    found = ordered_findings(t)
    if not found:
        return None
    if current is not None:
        return (current + step) % len(found)
    rows = [finding_row(t, f) for f in found]
    if step > 0:
        later = [k for k, r in enumerate(rows) if r > index]
        return later[0] if later else 0
    earlier = [k for k, r in enumerate(rows) if r < index]
    return earlier[-1] if earlier else len(found) - 1


def matches(needle: str, cells: Sequence[str]) -> bool:
    """``/``: whether any cell holds ``needle`` (case does not matter)."""
    low = needle.lower()
    return any(low in c.lower() for c in cells)
