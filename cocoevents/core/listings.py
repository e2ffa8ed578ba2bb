"""Fleet views: from an alert to the timelines - ``coco deliveries``, ``coco errors``, and ids that lead to them.

Cost is bounded on every source. A listing asks the source one question for the deliveries active in the
range (SQL over the id columns and the time zone maps / ``event_ts``), then builds the exact timeline of
each delivery it shows through the core's own plan (``sessionize.delivery_plan``): the plans of a batch of
deliveries are driven together, so the batch costs three questions - the deliveries with their linked
events, their robots' spans, their pilots' windows - whatever its size, and every row says exactly what
``coco timeline <id>`` says (the same rules ran on the same events).

Filters that need the timeline (status, errors, events, robots, pilots, merchant, findings) are applied to
the exact timelines; with any of them every active delivery of the range is built (in batches), so the
count of matches is exact. Without them only the shown deliveries are built.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Optional, Sequence

from ..errors import NotFound, UsageError
from ..producers.registry import ERROR_GROUPS
from ..timestamps import format_ts
from .links import linked_closures
from .model import DELIVERY_LANE, Event, Timeline, error_code
from .options import Options
from .questions import Filters
from .sessionize import (
    BaselineRequest,
    DeliveryRequest,
    Plan,
    Request,
    SpansRequest,
    build_rows,
    dedupe,
    delivery_plan,
    delivery_status,
)
from .source_protocol import EventSource, select_in_spans

BATCH = 200  # deliveries whose questions are asked together (memory stays bounded by a batch)


# -- many timelines at once ---------------------------------------------------------------------------------


def timelines(source: EventSource, delivery_ids: Sequence[str], opts: Options = Options(), batch: int = BATCH) -> Iterator[Timeline]:
    """The timelines of ``delivery_ids`` (in that order; ids with nothing found are skipped), each built
    by ``delivery_plan`` - the rules of ``coco timeline`` - with the questions of a batch asked together."""
    baseline: dict[str, Any] = {}  # read once, for every batch
    for start in range(0, len(delivery_ids), batch):
        chunk = list(dict.fromkeys(delivery_ids[start : start + batch]))
        done = _drive(source, chunk, opts, baseline)
        for d in chunk:
            if d in done:
                yield done[d]


def _kind(request: Request) -> str:
    if isinstance(request, DeliveryRequest):
        return "delivery"
    if isinstance(request, BaselineRequest):
        return "baseline"
    return request.column


def _drive(source: EventSource, ids: list[str], opts: Options, baseline: dict[str, Any]) -> dict[str, Timeline]:
    plans: dict[str, Plan] = {}
    pending: dict[str, Request] = {}
    for d in ids:
        plans[d] = delivery_plan(d, opts)
        pending[d] = next(plans[d])
    done: dict[str, Timeline] = {}
    while pending:
        # one kind of question at a time, in the order plans ask them: every plan waiting on robots is
        # answered before any waiting on pilots, so a batch costs one question of each kind
        kind = next(k for k in ("delivery", "robot_id", "pilot_id", "baseline") if any(_kind(r) == k for r in pending.values()))
        group = {d: r for d, r in pending.items() if _kind(r) == kind}
        if kind == "baseline":  # the fleet's, the same for every delivery: asked once per listing
            if "value" not in baseline:
                baseline["value"] = source.baseline()
            answers: dict[str, Any] = {d: baseline["value"] for d in group}
        else:
            answers = _answer(source, kind, group)
        for d in group:
            try:
                pending[d] = plans[d].send(answers[d])
            except StopIteration as stop:
                done[d] = stop.value
                del pending[d]
            except NotFound:
                del pending[d]
    return done


def _answer(source: EventSource, kind: str, group: dict[str, Request]) -> dict[str, list[Event]]:
    if kind == "delivery":
        first = next(iter(group.values()))
        assert isinstance(first, DeliveryRequest)
        pool = source.deliveries_events(list(group), first.since, first.until)
        return linked_closures(group, pool)
    asked = {d: r for d, r in group.items() if isinstance(r, SpansRequest)}
    assert len(asked) == len(group)  # a robot's or pilot's requests are all spans
    spans = [s for r in asked.values() for s in r.spans]
    assign = [s for r in asked.values() for s in r.assignment_spans]
    pool = source.events_in_spans(kind, spans, assignment_spans=assign)
    by_id: dict[str, list[Event]] = {}
    for e in pool:
        by_id.setdefault(getattr(e, kind), []).append(e)
    out = {}
    for d, r in asked.items():
        ids = dict.fromkeys(i for i, _, _ in (*r.spans, *r.assignment_spans))
        mine = [e for i in ids for e in by_id.get(i, ())]
        out[d] = select_in_spans(mine, kind, r.spans, assignment_spans=r.assignment_spans)
    return out


def statuses(source: EventSource, delivery_ids: Sequence[str]) -> dict[str, str]:
    """Each delivery's status (timeline rules §6) from one question: the status depends only on the
    delivery lane, its direct and linked events, which are read for all of them at once."""
    ids = list(dict.fromkeys(delivery_ids))
    if not ids:
        return {}
    if source.KEEPS_STATUSES:  # the local store's small status tables (schema 5 and later)
        found = source.delivery_statuses(ids)
        if found is not None:
            return found
    closures = linked_closures(ids, source.deliveries_events(ids, None, None))
    out = {}
    for d in ids:
        events, _ = dedupe(e for e in closures.get(d, ()) if e.ts is not None)
        if any(e.delivery_id == d for e in events):
            rows, _ = build_rows({e.text: (e, DELIVERY_LANE) for e in events}, Options().gap_us)
            out[d] = delivery_status(rows)
    return out


# -- coco deliveries ------------------------------------------------------------------------------------------


def findings_of(t: Timeline) -> list[Any]:
    """The timeline's findings (the findings rules (docs/reference/findings-rules.md)), or none where this build computes none."""
    return list(getattr(t, "findings", None) or [])


def error_codes(t: Timeline) -> list[str]:
    """The codes of the timeline's error rows, in row order (rows without a code left out)."""
    codes = []
    for r in t.rows:
        if r.severity == "error":
            code = error_code(r.event.record.get("error"))
            if code:
                codes.append(code)
    return codes


@dataclass(frozen=True)
class DeliveryRow:
    """One line of ``coco deliveries``: the summary of the delivery's timeline."""

    delivery_id: str
    status: str
    start: Optional[int]
    end: Optional[int]
    robots: tuple[str, ...]
    pilots: tuple[str, ...]
    events: int
    errors: int
    warnings: int
    gaps: int
    first_error_code: Optional[str]
    findings: dict[str, int]  # by severity

    @classmethod
    def from_timeline(cls, t: Timeline) -> DeliveryRow:
        s = t.summary
        codes = error_codes(t)
        return cls(
            t.id,
            str(t.status),
            t.start,
            t.end,
            tuple(s["robots"]),
            tuple(s["pilots"]),
            s["events"],
            s["errors"],
            s["warnings"],
            s["gaps"],
            codes[0] if codes else None,
            dict(s["findings"]),
        )

    @property
    def duration_s(self) -> Optional[float]:
        return None if self.start is None or self.end is None else (self.end - self.start) / 1e6

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "delivery_id": self.delivery_id,
            "status": self.status,
            "start": format_ts(self.start),
            "end": format_ts(self.end),
            "duration_s": self.duration_s,
            "robots": list(self.robots),
            "pilots": list(self.pilots),
            "events": self.events,
            "errors": self.errors,
            "warnings": self.warnings,
            "gaps": self.gaps,
            "first_error_code": self.first_error_code,
        }
        if self.findings is not None:
            out["findings"] = self.findings
        return out


@dataclass
class Listing:
    """The result of ``coco deliveries``: the rows shown, and how many matched in all."""

    since: int
    until: int
    filters: Filters
    limit: int
    rows: list[DeliveryRow] = field(default_factory=list)
    matched: int = 0
    active: int = 0  # deliveries active in the range, before filters

    @property
    def more(self) -> int:
        return self.matched - len(self.rows)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "coco.deliveries/1",
            "range": {"since": format_ts(self.since), "until": format_ts(self.until)},
            "filters": self.filters.to_dict(),
            "limit": self.limit,
            "matched": self.matched,
            "more": self.more,
            "deliveries": [r.to_dict() for r in self.rows],
        }


def list_deliveries(
    source: EventSource,
    since: int,
    until: int,
    filters: Filters = Filters(),
    limit: int = 50,
    opts: Options = Options(),
    batch: int = BATCH,
) -> Listing:
    """The deliveries with a direct event in ``[since, until]``, newest first, that pass ``filters``; at most
    ``limit`` rows (0: all). Each row is the summary of the delivery's whole timeline (``opts``: the same
    options ``coco timeline`` takes, no range by default), so it equals ``coco timeline <id>``."""
    if limit < 0:
        raise UsageError("--limit must be 0 (all) or more")
    listing, order = _candidates(source, since, until, filters, limit)
    if not filters.any:
        shown = order if limit == 0 else order[:limit]
        listing.rows = [DeliveryRow.from_timeline(t) for t in timelines(source, shown, opts, batch)]
        listing.matched = len(order) - (len(shown) - len(listing.rows))
    else:
        for t in timelines(source, order, opts, batch):
            if matches(filters, t):
                listing.matched += 1
                if limit == 0 or len(listing.rows) < limit:
                    listing.rows.append(DeliveryRow.from_timeline(t))
    listing.rows.sort(key=lambda r: (r.start if r.start is not None else -1, r.delivery_id), reverse=True)
    return listing


def stream_deliveries(
    source: EventSource, since: int, until: int, filters: Filters = Filters(), opts: Options = Options(), batch: int = BATCH
) -> tuple[Listing, Iterator[DeliveryRow]]:
    """Every delivery ``list_deliveries`` lists with ``limit`` 0, each row yielded as soon as its batch is built
    and none kept, so memory holds a batch whatever the range (``coco deliveries --limit 0``). The rows come
    newest first by each delivery's earliest direct event (the order timelines are built in), not re-sorted by
    timeline start; the listing (no rows) counts ``matched`` as they go. The source lets go of the events it
    made after each batch (``forget``)."""
    listing, order = _candidates(source, since, until, filters, 0)

    def rows() -> Iterator[DeliveryRow]:
        for start in range(0, len(order), batch):
            for t in timelines(source, order[start : start + batch], opts, batch):
                if matches(filters, t):
                    listing.matched += 1
                    yield DeliveryRow.from_timeline(t)
            source.forget()

    return listing, rows()


def _candidates(source: EventSource, since: int, until: int, filters: Filters, limit: int) -> tuple[Listing, list[str]]:
    """The listing (no rows yet) and the deliveries active in the range, newest first by their earliest direct
    event, narrowed in SQL by ``filters`` where that is sound."""
    active = source.active_deliveries(since, until)
    # newest first by the delivery's earliest own event; the shown page is then ordered by timeline start
    order = [d for d, _ in sorted(active, key=lambda p: (p[1], p[0]), reverse=True)]
    listing = Listing(since, until, filters, limit, active=len(order))
    if filters.any:
        for column, values, linked_only in filters.pushdowns():
            keep = source.narrow_deliveries(since, until, column, values, linked_only)
            if keep is not None:
                order = [d for d in order if d in keep]
    return listing, order


# -- coco errors -------------------------------------------------------------------------------------------


@dataclass
class ErrorGroup:
    """Error events of one code (or event name, or robot) in a range."""

    key: Optional[str]
    count: int = 0
    codes: Counter = field(default_factory=Counter)
    names: Counter = field(default_factory=Counter)
    deliveries: set = field(default_factory=set)
    robots: set = field(default_factory=set)
    first: Optional[int] = None
    last: Optional[int] = None
    example: Optional[str] = None
    example_ts: Optional[int] = None
    hours: Counter = field(default_factory=Counter)  # events by the UTC hour they fall in (its start, µs)
    previous_count: Optional[int] = None  # ``--vs previous``: events of this key in the window before
    counted: Optional[tuple[int, int]] = None  # the distinct deliveries and robots as a store counted them
    # (``error_groups``, its sets then empty); ``None``: the sets' sizes

    @property
    def delivery_count(self) -> int:
        return len(self.deliveries) if self.counted is None else self.counted[0]

    @property
    def robot_count(self) -> int:
        return len(self.robots) if self.counted is None else self.counted[1]

    def add(self, e: Event, code: Optional[str]) -> None:
        assert e.ts is not None
        self.count += 1
        self.hours[e.ts - e.ts % HOUR_US] += 1
        self.codes[code] += 1
        self.names[e.name] += 1
        if e.delivery_id:
            self.deliveries.add(e.delivery_id)
            if self.example_ts is None or e.ts >= self.example_ts:
                self.example, self.example_ts = e.delivery_id, e.ts
        if e.robot_id:
            self.robots.add(e.robot_id)
        self.first = e.ts if self.first is None else min(self.first, e.ts)
        self.last = e.ts if self.last is None else max(self.last, e.ts)

    def to_dict(self, by: str, hours: Sequence[int] = ()) -> dict[str, Any]:
        key = "code" if by == "hour" else by  # ``--by hour``: the codes, each with its count per hour
        out: dict[str, Any] = {key: self.key}
        if key != "code":
            out["codes"] = _by_count(self.codes)
        if key != "event":
            out["events"] = _by_count(self.names)
        out.update(
            {
                "count": self.count,
                "deliveries": self.delivery_count,
                "robots": self.robot_count,
                "first_seen": format_ts(self.first),
                "last_seen": format_ts(self.last),
                "example_delivery": self.example,
            }
        )
        if by == "hour":
            out["by_hour"] = [self.hours.get(h, 0) for h in hours]
        if self.previous_count is not None:
            out["previous_count"] = self.previous_count
            out["new"] = self.previous_count == 0
        return out


def _by_count(counter: Counter) -> list[Any]:
    return [k for k, _ in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0] is None, kv[0] or ""))]


HOUR_US = 3_600_000_000
VS = ("previous",)  # ``coco errors --vs``: what a range is compared with


@dataclass
class ErrorReport:
    since: int
    until: int
    by: str
    groups: list[ErrorGroup]
    previous: Optional[ErrorReport] = None  # ``--vs previous``: the report of the window before

    @property
    def events(self) -> int:
        return sum(g.count for g in self.groups)

    @property
    def hours(self) -> list[int]:
        """The UTC hours the range touches (their starts, µs), for ``--by hour``."""
        return list(range(self.since - self.since % HOUR_US, self.until + 1, HOUR_US))

    def rows(self) -> list[dict[str, Any]]:
        hours = self.hours if self.by == "hour" else ()
        return [g.to_dict(self.by, hours) for g in self.groups]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schema": "coco.errors/1",
            "range": {"since": format_ts(self.since), "until": format_ts(self.until)},
            "by": self.by,
            "events": self.events,
        }
        if self.by == "hour":
            out["hours"] = [format_ts(h) for h in self.hours]
        if self.previous is not None:
            p = self.previous
            out["previous"] = {"since": format_ts(p.since), "until": format_ts(p.until), "events": p.events}
        out["groups"] = self.rows()
        return out


def previous_window(since: int, until: int) -> tuple[int, int]:
    """The window of equal length just before ``[since, until]`` (both ends included, as the range's)."""
    return since - (until - since) - 1, since - 1


def error_report(source: EventSource, since: int, until: int, by: str = "code", vs: Optional[str] = None) -> ErrorReport:
    """The error events (timeline rules §4) in ``[since, until]``, grouped by code, event name or robot (``hour``:
    by code, with each code's count per UTC hour); most frequent first. One question to the source; with ``vs``
    ``previous``, a second for the window of equal length just before, whose count of each key every group gets
    (``previous_count``; ``new`` when it is 0)."""
    if vs is not None and vs not in VS:
        raise UsageError(f"--vs must be one of {', '.join(VS)}, not {vs!r}")
    report = _error_report(source, since, until, by)
    if vs == "previous":
        before = _error_report(source, *previous_window(since, until), by)
        counts = {g.key: g.count for g in before.groups}
        for g in report.groups:
            g.previous_count = counts.get(g.key, 0)
        report.previous = before
    return report


def _error_report(source: EventSource, since: int, until: int, by: str) -> ErrorReport:
    if by not in ERROR_GROUPS:
        raise UsageError(f"--by must be one of {', '.join(ERROR_GROUPS)}, not {by!r}")
    counted = source.error_groups(since, until, by)
    if counted is not None:
        return ErrorReport(since, until, by, sorted(counted, key=_most_first))
    return group_errors(error_rows(source.error_events(since, until), since, until), since, until, by)


def _most_first(g: ErrorGroup) -> tuple[int, bool, str]:
    return (-g.count, g.key is None, g.key or "")


def group_errors(rows: Iterable[tuple[Event, Optional[str]]], since: int, until: int, by: str = "code") -> ErrorReport:
    """The report of ``rows`` - each error event once with its code, as ``error_rows`` gives them - grouped by
    ``by``, most frequent first."""
    groups: dict[Optional[str], ErrorGroup] = {}
    for e, code in rows:
        key = group_key(e, code, by)
        group = groups.get(key)
        if group is None:  # not ``setdefault``: that makes a group (three counters) for every event
            group = groups[key] = ErrorGroup(key)
        group.add(e, code)
    return ErrorReport(since, until, by, sorted(groups.values(), key=_most_first))


def error_rows(events: Iterable[Event], since: int, until: int) -> Iterator[tuple[Event, Optional[str]]]:
    """The error events (timeline rules §4) among a source's ``error_events`` answer, in ``[since, until]``,
    each once (rule 7: a record stored twice is one event), with its error code (``None`` without one).

    Equal records have the same time, name and ids, so a record's key-order-independent text (rule 7's test, a
    parse and an encoding) is worked out only once another error of the same time, name and ids has come: the
    first of each such key is kept as it is (most are the only one)."""
    firsts: dict[tuple[Any, ...], Event] = {}  # the first error of each (time, name, ids), its text not worked out
    texts: dict[tuple[Any, ...], set[str]] = {}  # the texts of the errors kept for a key that came more than once
    for e in events:
        if e.ts is None or not since <= e.ts <= until or e.severity != "error":
            continue
        key = (e.ts, e.name, e.delivery_id, e.robot_id, e.pilot_id, e.demand_id, e.offer_id)
        known = texts.get(key)
        if known is None:
            first = firsts.setdefault(key, e)
            if first is not e:
                known = texts[key] = {firsts.pop(key).text}
        if known is not None:
            text = e.text
            if text in known:
                continue
            known.add(text)
        yield e, error_code(e.record.get("error")) or None


def group_key(e: Event, code: Optional[str], by: str) -> Optional[str]:
    """The group of ``coco errors --by`` an error event falls in (``hour``: its code, counted per hour)."""
    return {"code": code, "event": e.name, "robot": e.robot_id, "hour": code}[by]


def matches(filters: Filters, t: Timeline) -> bool:
    """Whether the delivery's exact timeline ``t`` passes every filter."""
    if filters.statuses and t.status not in filters.statuses:
        return False
    if filters.robot is not None and filters.robot not in t.robots:
        return False
    if filters.pilot is not None and filters.pilot not in t.pilots:
        return False
    if filters.error is not None and filters.error not in error_codes(t):
        return False
    if filters.event is not None and not any(r.event.name == filters.event for r in t.rows):
        return False
    if filters.merchant is not None and not any(
        r.lane == DELIVERY_LANE and r.event.record.get("merchant_id") == filters.merchant for r in t.rows
    ):
        return False
    if filters.slow and not any(getattr(f, "kind", None) == "slow_step" for f in findings_of(t)):
        return False
    return True
