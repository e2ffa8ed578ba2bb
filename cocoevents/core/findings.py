"""Findings: what an on-call engineer should notice in a timeline (the findings rules (docs/reference/findings-rules.md)).

Pure: rows, windows, gaps and a fleet baseline (possibly ``None``) in, a list of ``Finding`` out - no
database, terminal or clock. ``find()`` applies the eight rules of section 2 for a delivery, the first two for
a robot or pilot timeline (its silences judged by section 2a), and orders the result by time, then kind (in the
order below), then ``refs``.

Choices where the rules are silent (docs/reference/findings-rules.md says them too):

- a finding's ``lane`` is the subject's own lane (``delivery``, ``robot:R-7``, ``pilot:P-3``) for silences,
  ``delivery`` for the chain rules, reassignments and slow steps, the erroring row's lane for errors and the new
  pilot's lane for a handoff;
- a reassignment's ``refs`` is the first row of the new robot segment; its ``cause`` the erroring row, as
  ``{"ref", "event", "ts", "lane", "code"}``;
- a handoff's ``refs`` are the rows at the window's start that carry the new pilot's id (often none: a window
  through the robot starts with the robot's segment).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from itertools import compress, islice, repeat
from operator import and_, attrgetter, eq, is_, itemgetter, lt, ne, not_, sub
from typing import Any, Mapping, Optional, Sequence

from ..timestamps import duration_text, format_ts
from .baseline import Baseline, Transition
from .model import DELIVERY_LANE, Gap, Lane, Row, Window

KINDS = ("error", "silence", "out_of_order", "missing_step", "after_completion", "reassignment", "handoff", "slow_step")
KIND_RANK = {k: n for n, k in enumerate(KINDS)}
SEVERITIES = ("error", "warning", "info")
SEVERITY_RANK = {s: n for n, s in enumerate(SEVERITIES)}

CHAINS: dict[str, tuple[str, ...]] = {
    "offer": ("offer.received", "offer.accepted"),
    "demand": ("demand.created", "demand.assigned", "demand.active", "demand.fulfilled"),
    "trip": ("trip.created", "trip.assigned", "trip.started", "trip.completed"),
    "delivery": (
        "delivery.pickup_arrival",
        "delivery.pickup_started",
        "delivery.pickup_completed",
        "delivery.dropoff_arrival",
        "delivery.dropoff_started",
        "delivery.dropoff_completed",
    ),
}
COMPLETED = "delivery.dropoff_completed"


@dataclass(frozen=True)
class Finding:
    kind: str
    severity: str
    ts: int
    lane: Lane
    message: str
    refs: tuple[int, ...]
    seconds: Optional[float] = None  # silence, slow_step: the duration judged
    baseline: Optional[Transition] = None  # silence, slow_step: the fleet's record of the transition
    cause: Optional[dict[str, Any]] = None  # reassignment only
    has_cause: bool = False

    def sort_key(self) -> tuple[int, int, tuple[int, ...]]:
        return (self.ts, KIND_RANK[self.kind], self.refs)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "severity": self.severity,
            "ts": format_ts(self.ts),
            "lane": str(self.lane),
            "message": self.message,
            "refs": list(self.refs),
        }
        if self.seconds is not None:
            out["seconds"] = self.seconds
        if self.kind in ("silence", "slow_step"):
            out["baseline"] = self.baseline.to_dict() if self.baseline else None
        if self.has_cause:
            out["cause"] = self.cause
        return out


def summary(findings: Sequence[Finding]) -> dict[str, int]:
    """``summary.findings``: the count by severity (every severity present, zeros included)."""
    return {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES}


def duration(seconds: float) -> str:
    """A duration in a finding's message: the short form of ``timestamps.duration_text``."""
    return duration_text(seconds, short=True)


def _fleet(t: Transition) -> str:
    return f"fleet p50 {duration(t.p50)}, p99 {duration(t.p99)}, n={t.n}"


StepTimes = Sequence[tuple[int, str]]  # a delivery's steps (findings rules §3) as (time, name), in timeline order


def find(
    kind: str,
    subject_id: str,
    rows: Sequence[Row],
    windows: Sequence[Window],
    gaps: Sequence[Gap],
    baseline: Optional[Baseline],
    delivery_steps: Optional[Mapping[str, StepTimes]] = None,
) -> list[Finding]:
    """Every finding of the timeline of ``kind``/``subject_id`` (findings rules §2), in order. A robot's or
    pilot's silences are judged by §2a: ``delivery_steps`` holds the steps of each delivery a gap lies inside
    (``deliveries_around_gaps``), all of them, also those that are not rows of this timeline."""
    out = _errors(rows)
    if kind == "delivery":
        cols = _Columns(rows)
        steps = _steps(rows, subject_id, cols)
        out += _silences(rows, gaps, DELIVERY_LANE, steps, baseline)
        first = _first_occurrences(rows, cols)
        out += _out_of_order(rows, first)
        out += _missing(rows, first, baseline)
        out += _after_completion(rows, cols)
        out += _reassignments(rows, cols)
        out += _handoffs(rows, windows)
        out += _slow_steps(rows, steps, baseline, cols)
    else:
        out += _actor_silences(rows, gaps, Lane(kind, subject_id), delivery_steps or {}, baseline)
    return sorted(out, key=Finding.sort_key)


# -- rules -------------------------------------------------------------------------------------------------------


def _error_text(row: Row) -> str:
    error = row.event.record.get("error")
    code = message = None
    if isinstance(error, dict):
        code, message = error.get("code"), error.get("message")
    elif isinstance(error, str):
        message = error
    parts = [row.event.name or "?"]
    if code is not None and code != "":
        parts.append(f"{code}:" if message else str(code))
    if message is not None and message != "":
        parts.append(str(message))
    return " ".join(str(p) for p in parts)


def _error_rows(rows: Sequence[Row]) -> list[int]:
    return list(compress(range(len(rows)), map(eq, map(_SEVERITY, rows), repeat("error"))))


def _errors(rows: Sequence[Row]) -> list[Finding]:
    """Rule 1: one per error row."""
    return [Finding("error", "error", rows[i].ts, rows[i].lane, _error_text(rows[i]), (i,)) for i in _error_rows(rows)]


_EVENT = attrgetter("event")
_TS = attrgetter("ts")
_SHAPE = attrgetter("_shape")  # (name, severity, delivery_id, robot_id, ...): ``Event``'s shared tuple
_SEVERITY = attrgetter("severity")
_LANE = attrgetter("lane")
_NAME, _ROBOT = itemgetter(0), itemgetter(3)  # in a shape


class _Columns:
    """What the delivery rules look at in every row, read once by C loops (``map``): each row's event, time and
    ``Event._shape``, and whether it is in the delivery lane. A big delivery has a million rows and a handful of
    distinct shapes and lanes (shared objects, told apart by ``id``), so a rule asks its question of each
    distinct shape once (``where``)."""

    def __init__(self, rows: Sequence[Row]) -> None:
        events = list(map(_EVENT, rows))
        self.times = list(map(_TS, events))
        self.shapes = list(map(_SHAPE, events))
        del events
        self.ids = array("Q", map(id, self.shapes))  # 8 bytes a row, where a list of ints takes 40
        self.distinct = dict(zip(self.ids, self.shapes))
        flags = self.in_delivery_lane = bytearray(map(is_, map(_LANE, rows), repeat(DELIVERY_LANE)))  # usually that one
        for i in compress(range(len(flags)), map(not_, flags)):
            flags[i] = rows[i].lane == DELIVERY_LANE

    def where(self, wanted: Any) -> array[int]:
        """Indexes, in order, of the delivery-lane rows whose shape ``wanted(shape)`` is true of (an array: a
        list of a million ints would take 40 MB)."""
        chosen = {k for k, shape in self.distinct.items() if wanted(shape)}
        return array("q", compress(range(len(self.ids)), map(and_, map(chosen.__contains__, self.ids), self.in_delivery_lane)))


def _steps(rows: Sequence[Row], delivery_id: str, cols: _Columns) -> Sequence[int]:
    """Section 3: indexes of the delivery's steps (direct rows, one per name and time), as a compact array
    (a big delivery has a step in nearly every row)."""
    direct = cols.where(lambda shape: shape[2] == delivery_id)
    times = list(map(cols.times.__getitem__, direct))
    if all(map(lt, times, islice(times, 1, None))):  # no two at one time (rows are in time order): all steps
        return direct
    seen: set[str] = set()  # names at the current time (rows are in time order)
    at = None
    out = array("q")
    for i, ts in zip(direct, times):
        if ts != at:
            at = ts
            seen.clear()
        name = cols.shapes[i][0]
        if name not in seen:
            seen.add(name)
            out.append(i)
    return out


def _silences(rows: Sequence[Row], gaps: Sequence[Gap], lane: Lane, steps: Sequence[int], baseline: Optional[Baseline]) -> list[Finding]:
    """Rule 2: one per gap; ``info`` when the fleet says the delivery's transition across it is usual."""
    if not gaps:
        return []
    times = [r.ts for r in rows]
    step_times = array("q", [times[s] for s in steps])  # in order: steps are rows, in time order
    out = []
    for g in gaps:
        i = bisect_left(times, g.before)  # the first row at the gap's end; the row before it ends the silence
        if not 0 < i < len(rows) or times[i] != g.before or times[i - 1] != g.after:
            continue
        before, after = rows[i - 1], rows[i]
        seconds = (after.ts - before.ts) / 1e6
        text = f"no events for {duration(seconds)} between {before.event.name} and {after.event.name}"
        severity, record = "warning", None
        k = bisect_right(step_times, before.ts)
        a = steps[k - 1] if k else None  # the last step at or before the silence
        k = bisect_left(step_times, after.ts)
        b = steps[k] if k < len(steps) else None  # the first step at or after it
        if baseline is not None and a is not None and b is not None:
            pair = (rows[a].event.name, rows[b].event.name)
            step_seconds = (rows[b].ts - rows[a].ts) / 1e6
            record = baseline.get(*pair)
            judged = baseline.judged(*pair)
            if judged is not None and not baseline.is_slow(judged, step_seconds):
                severity = "info"
                text += f"; usual: fleet p50 for {pair[0]} -> {pair[1]} is {duration(judged.p50)}"
            elif judged is not None:
                text += f"; {pair[0]} -> {pair[1]} took {duration(step_seconds)}, longer than usual ({_fleet(judged)})"
            else:
                text += f"; too few fleet samples to judge {pair[0]} -> {pair[1]} (n={record.n if record else 0})"
        out.append(Finding("silence", severity, before.ts, lane, text, (i - 1, i), seconds, record))
    return out


def _spans(rows: Sequence[Row]) -> dict[str, tuple[int, int]]:
    """§2a: each delivery id carried directly by rows, and its span: the indexes of its first and last row."""
    spans: dict[str, tuple[int, int]] = {}
    for i, r in enumerate(rows):
        d = r.event.delivery_id
        if d is not None:
            first = spans.get(d, (i, i))[0]
            spans[d] = (first, i)
    return spans


def _gap_rows(rows: Sequence[Row], gaps: Sequence[Gap]) -> list[int]:
    """For each gap, the index of the row after it (the row before it is the one before that)."""
    times = [r.ts for r in rows]
    out = []
    for g in gaps:
        i = bisect_left(times, g.before)
        if 0 < i < len(rows) and times[i] == g.before and times[i - 1] == g.after:
            out.append(i)
    return out


def deliveries_around_gaps(rows: Sequence[Row], gaps: Sequence[Gap]) -> list[str]:
    """§2a: the deliveries some gap of a robot's or pilot's timeline lies inside - those whose steps the
    source is asked for, once, to judge the silences (``find``'s ``delivery_steps``)."""
    spans = _spans(rows)
    inside = {d for i in _gap_rows(rows, gaps) for d, (first, last) in spans.items() if first <= i - 1 and i <= last}
    return sorted(inside)


def _actor_silences(
    rows: Sequence[Row], gaps: Sequence[Gap], lane: Lane, delivery_steps: Mapping[str, StepTimes], baseline: Optional[Baseline]
) -> list[Finding]:
    """Rule 2 in a robot's or pilot's timeline (§2a): a gap inside no delivery is ``info`` (``idle: ...``); a gap
    inside deliveries is ``info`` when, for each of them, every transition of the delivery's own steps across
    the gap is judged by the fleet and not slow; else a ``warning``."""
    if not gaps:
        return []
    spans = _spans(rows)
    times_of = {d: [ts for ts, _ in steps] for d, steps in delivery_steps.items()}
    out = []
    for i in _gap_rows(rows, gaps):
        before, after = rows[i - 1], rows[i]
        seconds = (after.ts - before.ts) / 1e6
        silence = f"no events for {duration(seconds)}"
        inside = sorted(d for d, (first, last) in spans.items() if first <= i - 1 and i <= last)
        if not inside:
            earlier = sorted((d for d, (first, _) in spans.items() if first <= i - 1), key=lambda d: spans[d][1])
            later = sorted((d for d, (first, _) in spans.items() if first >= i), key=lambda d: spans[d][0])
            if earlier and later:
                where = f"between deliveries {earlier[-1]} and {later[0]}"
            elif later:
                where = f"before delivery {later[0]}"
            elif earlier:
                where = f"after delivery {earlier[-1]}"
            else:
                where = "with no delivery"
            out.append(Finding("silence", "info", before.ts, lane, f"idle: {silence} {where}", (i - 1, i), seconds, None))
            continue
        severity, record, said = "info", None, []
        for d in inside:
            verdict, transition, text = _judge_across(delivery_steps.get(d, ()), times_of.get(d, []), before.ts, after.ts, d, baseline)
            record = record or transition
            if verdict == "warning":
                severity = "warning"
            said.append(text)
        text = f"{silence} between {before.event.name} and {after.event.name}; " + "; ".join(said)
        out.append(Finding("silence", severity, before.ts, lane, text, (i - 1, i), seconds, record))
    return out


def _judge_across(
    steps: StepTimes, times: Sequence[int], start: int, end: int, delivery_id: str, baseline: Optional[Baseline]
) -> tuple[str, Optional[Transition], str]:
    """§2a for one delivery: its transitions across the silence ``start``..``end`` - each pair of its consecutive
    steps (A, B) with A before the silence's end and B after its start; usually one, A at or before the start
    and B at or after the end. ``info`` when every one is judged and not slow, else ``warning``; with the fleet's
    record of the transition named and the sentence for the message."""
    lo = max(bisect_left(times, start) - 1, 0)  # the last step before the start may begin the first transition
    hi = bisect_right(times, end)
    across = [(steps[n], steps[n + 1]) for n in range(lo, min(hi, len(steps) - 1)) if steps[n][0] < end and steps[n + 1][0] > start]
    if not across:
        return "warning", None, f"{delivery_id}'s steps around it were not found"
    if baseline is None:
        return "warning", None, f"no fleet baseline to judge {delivery_id}"
    longest = None
    for (ta, a), (tb, b) in across:
        took = (tb - ta) / 1e6
        judged = baseline.judged(a, b)
        if judged is None:
            record = baseline.get(a, b)
            return "warning", record, f"too few fleet samples to judge {a} -> {b} of {delivery_id} (n={record.n if record else 0})"
        if baseline.is_slow(judged, took):
            return "warning", judged, f"{a} -> {b} of {delivery_id} took {duration(took)}, longer than usual ({_fleet(judged)})"
        if longest is None or took > longest[0]:
            longest = (took, a, b, judged)
    _, a, b, judged = longest  # type: ignore[misc]
    return "info", judged, f"usual: fleet p50 for {a} -> {b} of {delivery_id} is {duration(judged.p50)}"


_CHAIN_STEPS = frozenset(s for chain in CHAINS.values() for s in chain)


def _first_occurrences(rows: Sequence[Row], cols: _Columns) -> dict[str, int]:
    """Section 1: the first delivery-lane row of each chain step."""
    first: dict[str, int] = {}
    for i in cols.where(lambda shape: shape[0] in _CHAIN_STEPS):
        first.setdefault(cols.shapes[i][0], i)
    return first


def _out_of_order(rows: Sequence[Row], first: dict[str, int]) -> list[Finding]:
    """Rule 3: B occurs strictly before A although A < B in its chain."""
    out = []
    for chain in CHAINS.values():
        for x, a in enumerate(chain):
            for b in chain[x + 1 :]:
                if a in first and b in first and rows[first[b]].ts < rows[first[a]].ts:
                    ia, ib = first[a], first[b]
                    early = duration((rows[ia].ts - rows[ib].ts) / 1e6)
                    out.append(
                        Finding(
                            "out_of_order", "warning", rows[ib].ts, DELIVERY_LANE, f"{b} came {early} before {a}", tuple(sorted((ia, ib)))
                        )
                    )
    return out


def _missing(rows: Sequence[Row], first: dict[str, int], baseline: Optional[Baseline]) -> list[Finding]:
    """Rule 4: a step the fleet logs never came, though a later step of its chain did."""
    if baseline is None:
        return []
    out = []
    for chain in CHAINS.values():
        for x, m in enumerate(chain):
            if m in first or not baseline.expected(m):
                continue
            later = [first[s] for s in chain[x + 1 :] if s in first]
            if not later:
                continue
            at = min(later, key=lambda i: (rows[i].ts, i))
            out.append(
                Finding("missing_step", "warning", rows[at].ts, DELIVERY_LANE, f"{m} never came, though {rows[at].event.name} did", (at,))
            )
    return out


def _after_completion(rows: Sequence[Row], cols: _Columns) -> list[Finding]:
    """Rule 5: ``delivery.*`` rows after the first ``delivery.dropoff_completed``."""
    named = cols.where(lambda shape: shape[0].startswith("delivery."))
    done = next((i for i in named if cols.shapes[i][0] == COMPLETED), None)
    if done is None:
        return []
    return [
        Finding(
            "after_completion",
            "warning",
            rows[i].ts,
            DELIVERY_LANE,
            f"{rows[i].event.name} {duration((rows[i].ts - rows[done].ts) / 1e6)} after {COMPLETED}",
            (i,),
        )
        for i in named
        if i > done
    ]


def _reassignments(rows: Sequence[Row], cols: _Columns) -> list[Finding]:
    """Rule 6: one per change of robot segment, with the error that most likely caused it."""
    runs: list[tuple[str, int]] = []  # (robot, index of the run's first row), as timeline rules, rule 3
    with_robot = cols.where(lambda shape: shape[3] is not None)
    robots = list(map(_ROBOT, map(cols.shapes.__getitem__, with_robot)))
    for k in compress(range(len(robots)), map(ne, robots, [None, *robots])):  # where the robot changes
        runs.append((robots[k], with_robot[k]))
    if len(runs) < 2:
        return []
    errors = _error_rows(rows)
    out = []
    for (old, old_i), (new, new_i) in zip(runs, runs[1:]):
        start, change = rows[old_i].ts, rows[new_i].ts
        lanes = (DELIVERY_LANE, Lane("robot", old))
        cause_i = None
        for i in errors:
            r = rows[i]
            if r.lane in lanes and start <= r.ts <= change:
                cause_i = i
        cause = None
        text = f"{old} -> {new}"
        if cause_i is not None:
            c = rows[cause_i]
            error = c.event.record.get("error")
            code = error.get("code") if isinstance(error, dict) else None
            cause = {
                "ref": cause_i,
                "event": c.event.name,
                "ts": format_ts(c.ts),
                "lane": str(c.lane),
                "code": code if isinstance(code, str) else None,
            }
            text += f" after {_error_text(c)} ({duration((change - c.ts) / 1e6)} before)"
        else:
            text += " (no error before the swap)"
        out.append(Finding("reassignment", "info", change, DELIVERY_LANE, text, (new_i,), cause=cause, has_cause=True))
    return out


def _handoffs(rows: Sequence[Row], windows: Sequence[Window]) -> list[Finding]:
    """Rule 7: one per pilot window starting after the first one: who had it before, who has it now."""
    pilots = sorted((w for w in windows if w.kind == "pilot"), key=lambda w: (w.start, w.id))
    if not pilots:
        return []
    first_start = pilots[0].start
    times = [r.ts for r in rows]
    out = []
    for w in pilots:
        if w.start <= first_start:
            continue
        ended = [p for p in pilots if p is not w and p.end <= w.start]
        previous = max(ended, key=lambda p: (p.end, p.start)).id if ended else None
        refs = tuple(i for i in range(bisect_left(times, w.start), bisect_right(times, w.start)) if rows[i].event.pilot_id == w.id)
        out.append(
            Finding("handoff", "info", w.start, Lane("pilot", w.id), f"{previous if previous is not None else 'null'} -> {w.id}", refs)
        )
    return out


def _slow_steps(rows: Sequence[Row], steps: Sequence[int], baseline: Optional[Baseline], cols: _Columns) -> list[Finding]:
    """Rule 8: consecutive steps whose transition took much longer than it takes across the fleet."""
    if baseline is None:
        return []
    out = []
    names = list(map(_NAME, map(cols.shapes.__getitem__, steps)))
    times = list(map(cols.times.__getitem__, steps))
    # Only steps at least the least "slow" bound (``is_slow``) of the transitions judged between the names met can be
    # slow; the rest are not looked at one by one (a big delivery has a step nearly every row, a few ms apart).
    least = baseline.least_slow(set(names))
    if least is None:
        return []
    least = least * 1e6 - 2 - abs(least) * 1e-3  # microseconds, less a margin for rounding
    for n in compress(range(len(names) - 1), map(least.__le__, map(sub, islice(times, 1, None), times))):
        judged = baseline.judged(names[n], names[n + 1])
        if judged is None:
            continue
        a, b = steps[n], steps[n + 1]
        ra, rb = rows[a], rows[b]
        seconds = (rb.ts - ra.ts) / 1e6
        if baseline.is_slow(judged, seconds):
            out.append(
                Finding(
                    "slow_step",
                    "warning",
                    rb.ts,
                    DELIVERY_LANE,
                    f"{ra.event.name} -> {rb.event.name} took {duration(seconds)} ({_fleet(judged)})",
                    (a, b),
                    seconds,
                    judged,
                )
            )
    return out


__all__ = ["Finding", "find", "deliveries_around_gaps", "summary", "CHAINS", "KINDS", "SEVERITIES"]
