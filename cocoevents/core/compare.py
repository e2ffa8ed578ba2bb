"""``coco compare``: what sets a group of deliveries apart from the fulfilled ones - and a delivery from its twin.

A *group* is chosen as ``coco deliveries`` chooses (``listings.Filters``; without any filter, the failed
deliveries); the *others* are the deliveries of the same range that are fulfilled and not in the group. Each
delivery has *facts* (``Facts``): its robots, pilots, merchants, sources, the UTC hour of its start, its first
error code and its transitions (findings rules §3). ``Counts`` sums them up per side: how many deliveries of each
side have each value, and per transition the durations' count, rank sum and ties on each side - what a source
can compute without sending a row per delivery (``store.compare_sql`` does it in SQL on DuckDB and Redshift;
``reference_counts`` does it here from the deliveries' exact timelines, for the sources without SQL and as the
tests' reference).

``score_rows`` turns the counts into rows, one per dimension and value, each scored ``-log10(p)`` on one scale:
a one-sided Fisher exact test for a value (is it more common in the group than among the others?), a one-sided
Mann-Whitney U test for a transition (does it take longer in the group?). A score is sized by evidence: 1 failure
in 1 delivery scores ~1.3, 15 of 20 against 5 of 500 scores ~20. The noise threshold is Bonferroni's: with ``m``
rows scored, ``log10(m / 0.05)`` - on a day where nothing sets the group apart, no row passes it 19 times in 20.
Rows that restate the filter (``defining``) are ranked after the others. docs/compare.md says all of it.

``nearest_twin`` and ``step_comparison`` answer ``coco timeline D --vs``: a fulfilled delivery like D without
findings above info, and D's transitions beside the twin's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Iterable, Optional

from ..errors import NotFound, UsageError
from ..producers.registry import DELIVERY_OUTCOMES, DEMAND_OUTCOMES
from ..timestamps import format_ts
from .baseline import percentile, steps, transitions_of
from .listings import Filters, error_codes, findings_of, matches, statuses, timelines
from .model import DELIVERY_LANE, Timeline
from .options import Options
from .questions import Counts, StepCount, ValueCount
from .source_protocol import EventSource
from .stats import fisher_greater, mann_whitney_greater, ranks, score

DIMENSIONS = ("robot", "pilot", "merchant", "source", "hour", "error", "step")
CATEGORICAL = DIMENSIONS[:-1]
OUTCOME_EVENTS = frozenset(DELIVERY_OUTCOMES) | frozenset(DEMAND_OUTCOMES)
ALPHA = 0.05  # the noise threshold's family-wise error rate
DEFAULT_GROUP = Filters(statuses=("failed",))


def group_filters(filters: Filters) -> Filters:
    """The group ``filters`` choose: without any filter, the failed deliveries."""
    return filters if filters.any else DEFAULT_GROUP


# -- facts -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """What ``coco compare`` knows of one delivery, read off its timeline (the reference definition)."""

    delivery_id: str
    status: str
    start: int
    robots: tuple[str, ...]
    pilots: tuple[str, ...]
    merchants: tuple[str, ...]
    sources: tuple[str, ...]
    first_error: Optional[str]
    transitions: tuple[tuple[str, str, float], ...]

    @classmethod
    def from_timeline(cls, t: Timeline) -> Facts:
        assert t.start is not None
        lane = [r.event for r in t.rows if r.lane == DELIVERY_LANE]
        codes = error_codes(t)
        return cls(
            t.id,
            str(t.status),
            t.start,
            tuple(t.robots),
            tuple(t.pilots),
            _strings(e.record.get("merchant_id") for e in lane),
            _strings(e.record.get("source") for e in lane),
            codes[0] if codes else None,
            tuple(transitions_of(steps([r.event for r in t.rows], t.id))),
        )

    def values(self, dimension: str) -> tuple[str, ...]:
        if dimension == "robot":
            return self.robots
        if dimension == "pilot":
            return self.pilots
        if dimension == "merchant":
            return self.merchants
        if dimension == "source":
            return self.sources
        if dimension == "hour":
            return (hour_of(self.start),)
        if dimension == "error":
            return (self.first_error,) if self.first_error else ()
        raise ValueError(dimension)


def _strings(values: Iterable[Any]) -> tuple[str, ...]:
    """The distinct non-empty strings among ``values``, sorted (a number or an object is no id)."""
    return tuple(sorted({v for v in values if isinstance(v, str) and v}))


def hour_of(us: int) -> str:
    """The UTC hour of a time, two digits."""
    return f"{us // 3_600_000_000 % 24:02d}"


# -- counts ------------------------------------------------------------------------------------------------------


def counts_of(sided: Iterable[tuple[Facts, int]]) -> Counts:
    """The counts of deliveries' facts, each with its side (1: the group, 0: the others)."""
    sizes = [0, 0]
    by_value: dict[tuple[str, str], list[int]] = {}
    durations: dict[tuple[str, str], list[tuple[float, int]]] = {}
    for facts, side in sided:
        sizes[side] += 1
        for dimension in CATEGORICAL:
            for value in facts.values(dimension):
                by_value.setdefault((dimension, value), [0, 0])[side] += 1
        for a, b, seconds in facts.transitions:
            durations.setdefault((a, b), []).append((seconds, side))
    counts = Counts(sizes[1], sizes[0])
    counts.values = [ValueCount(d, v, n[1], n[0]) for (d, v), n in by_value.items()]
    for (a, b), samples in durations.items():
        rank, ties = ranks([s for s, _ in samples])
        group = sorted(s for s, side in samples if side)
        others = sorted(s for s, side in samples if not side)
        counts.steps.append(
            StepCount(
                a,
                b,
                len(group),
                len(others),
                percentile(group, 0.5) if group else None,
                percentile(others, 0.5) if others else None,
                math.fsum(r for r, (_, side) in zip(rank, samples) if side),
                ties,
            )
        )
    return counts.normalized()


def side_of(t: Timeline, filters: Filters) -> Optional[int]:
    """1 in the group, 0 among the others (fulfilled, not in the group), else ``None``."""
    if matches(filters, t):
        return 1
    return 0 if t.status == "fulfilled" else None


def reference_counts(source: EventSource, since: int, until: int, filters: Filters, opts: Options = Options()) -> Counts:
    """``compare_counts`` from the exact timeline of every delivery active in the range (``listings.timelines``,
    as ``coco deliveries`` builds them): the answer of the sources without SQL, and the SQL's reference."""
    filters = group_filters(filters)
    ids = sorted(d for d, _ in source.active_deliveries(since, until))
    sided = []
    for t in timelines(source, ids, replace(opts, since=None, until=None)):
        side = side_of(t, filters)
        if side is not None and t.start is not None:
            sided.append((Facts.from_timeline(t), side))
    return counts_of(sided)


# -- rows and scores ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One line of ``coco compare``."""

    dimension: str
    value: str
    group_n: int
    others_n: int
    score: float
    defining: bool
    group_share: Optional[float] = None
    others_share: Optional[float] = None
    group_p50_s: Optional[float] = None
    others_p50_s: Optional[float] = None

    def to_dict(self, threshold: float) -> dict[str, Any]:
        out: dict[str, Any] = {"dimension": self.dimension, "value": self.value, "group_n": self.group_n}
        if self.dimension == "step":
            out.update({"group_p50_s": self.group_p50_s, "others_n": self.others_n, "others_p50_s": self.others_p50_s})
        else:
            out.update({"group_share": self.group_share, "others_n": self.others_n, "others_share": self.others_share})
        out.update({"score": self.score, "above_noise": self.score > threshold, "defining": self.defining})
        return out


def transition_name(a: str, b: str) -> str:
    return f"{a} -> {b}"


def defining(dimension: str, value: str, filters: Filters) -> bool:
    """Whether a row restates the group's filter instead of explaining it: the filter's own robot, pilot,
    merchant, error code or event; any error code when the group is failed deliveries; a transition into or out
    of an outcome event (timeline rules §6) when the group is chosen by status."""
    if dimension == "robot":
        return value == filters.robot
    if dimension == "pilot":
        return value == filters.pilot
    if dimension == "merchant":
        return value == filters.merchant
    if dimension == "error":
        return value == filters.error or "failed" in filters.statuses
    if dimension == "step":
        a, _, b = value.partition(" -> ")
        ends = {a, b}
        return bool(filters.statuses and ends & OUTCOME_EVENTS) or (filters.event is not None and filters.event in ends)
    return False


def score_rows(counts: Counts, filters: Filters) -> list[Row]:
    """Every value and every transition seen on both sides, scored and ranked: the explaining rows first, each
    part by score (highest first), then by dimension and value."""
    filters = group_filters(filters)
    rows = []
    g, o = counts.group_n, counts.others_n
    for v in counts.values:
        log_p = fisher_greater(v.group_n, g - v.group_n, v.others_n, o - v.others_n)
        rows.append(
            Row(
                v.dimension,
                v.value,
                v.group_n,
                v.others_n,
                score(log_p),
                defining(v.dimension, v.value, filters),
                group_share=round(v.group_n / g, 4) if g else None,
                others_share=round(v.others_n / o, 4) if o else None,
            )
        )
    for s in counts.steps:
        if not s.group_n or not s.others_n:  # seen on one side only: no durations to compare
            continue
        log_p = mann_whitney_greater(s.group_n, s.others_n, s.group_rank_sum, s.ties)
        name = transition_name(s.a, s.b)
        rows.append(
            Row(
                "step",
                name,
                s.group_n,
                s.others_n,
                score(log_p),
                defining("step", name, filters),
                group_p50_s=s.group_p50,
                others_p50_s=s.others_p50,
            )
        )
    order = {d: n for n, d in enumerate(DIMENSIONS)}
    return sorted(rows, key=lambda r: (r.defining, -r.score, order[r.dimension], r.value))


def noise_threshold(rows: int, alpha: float = ALPHA) -> float:
    """Bonferroni's bound on ``rows`` tests: a score above ``log10(rows / alpha)`` is rare by chance alone."""
    return round(math.log10(max(rows, 1) / alpha), 3)


@dataclass
class Comparison:
    """The result of ``coco compare``."""

    since: int
    until: int
    filters: Filters
    group_n: int
    others_n: int
    rows: list[Row]
    limit: int = 0  # rows that explain shown at most (0: all)

    @property
    def threshold(self) -> float:
        return noise_threshold(len(self.rows))

    @property
    def shown(self) -> list[Row]:
        """The best ``limit`` rows that explain (all with 0), then every row that restates the filter (a few)."""
        explaining = [r for r in self.rows if not r.defining]
        return (explaining[: self.limit] if self.limit else explaining) + [r for r in self.rows if r.defining]

    @property
    def more(self) -> int:
        return len(self.rows) - len(self.shown)

    def to_dict(self) -> dict[str, Any]:
        threshold = self.threshold
        return {
            "schema": "coco.compare/1",
            "range": {"since": format_ts(self.since), "until": format_ts(self.until)},
            "group": {"filter": self.filters.to_dict(), "n": self.group_n},
            "others": {"filter": {"status": ["fulfilled"], "not_in_group": True}, "n": self.others_n},
            "noise": {"threshold": threshold, "rows_scored": len(self.rows), "alpha": ALPHA},
            "limit": self.limit,
            "more": self.more,
            "rows": [r.to_dict(threshold) for r in self.shown],
        }


def compare(
    source: EventSource, since: int, until: int, filters: Filters = Filters(), limit: int = 0, opts: Options = Options()
) -> Comparison:
    """``coco compare``: the group ``filters`` choose in ``[since, until]`` against the fulfilled others. The source
    answers with counts (``compare_counts``), a bounded number of questions whatever the number of deliveries."""
    if limit < 0:
        raise UsageError("--limit must be 0 (all) or more")
    filters = group_filters(filters)
    counts = source.compare_counts(since, until, filters, opts)
    if not counts.group_n:
        raise NotFound(f"no delivery between {format_ts(since)} and {format_ts(until)} is in the group ({_describe(filters)})")
    if not counts.others_n:
        raise NotFound(f"no fulfilled delivery outside the group between {format_ts(since)} and {format_ts(until)} to compare with")
    return Comparison(since, until, filters, counts.group_n, counts.others_n, score_rows(counts, filters), limit)


def _describe(filters: Filters) -> str:
    return " ".join(f"{k}={','.join(v) if isinstance(v, list) else v}" for k, v in filters.to_dict().items() if v not in (None, False, []))


# -- a delivery beside its twin ----------------------------------------------------------------------------------

TWIN_WINDOW_US = 2 * 3_600_000_000  # a twin started at most this long before or after the delivery
TWIN_CANDIDATES = 512  # the nearest this many deliveries in time are looked at, at most
TWIN_BATCH = 64


@dataclass(frozen=True)
class StepDelta:
    transition: str
    this_s: float
    twin_s: Optional[float]

    @property
    def delta_s(self) -> Optional[float]:
        return None if self.twin_s is None else round(self.this_s - self.twin_s, 6)

    def to_dict(self) -> dict[str, Any]:
        return {"transition": self.transition, "this_s": self.this_s, "twin_s": self.twin_s, "delta_s": self.delta_s}


@dataclass
class TwinComparison:
    """``coco timeline D --vs``: the twin, how it was chosen, and D's transitions beside the twin's."""

    twin: str
    chosen: str  # "given", or why ``auto`` took it: "same merchant M-1", "same source wolt"
    steps: list[StepDelta]
    twin_timeline: Optional[Timeline] = None

    def to_dict(self) -> dict[str, Any]:
        return {"twin": self.twin, "chosen": self.chosen, "steps": [s.to_dict() for s in self.steps]}


def step_comparison(this: Timeline, twin: Timeline) -> list[StepDelta]:
    """Each transition of ``this`` (findings rules §3), its duration and the twin's for the same transition (the
    k-th occurrence beside the twin's k-th), the biggest difference first; transitions the twin lacks last."""
    theirs: dict[tuple[str, str], list[float]] = {}
    for a, b, s in transitions_of(steps([r.event for r in twin.rows], twin.id)):
        theirs.setdefault((a, b), []).append(s)
    seen: dict[tuple[str, str], int] = {}
    out = []
    for a, b, s in transitions_of(steps([r.event for r in this.rows], this.id)):
        k = seen.get((a, b), 0)
        seen[(a, b)] = k + 1
        match = theirs.get((a, b), [])
        out.append(StepDelta(transition_name(a, b), s, match[k] if k < len(match) else None))
    return sorted(out, key=lambda d: (d.delta_s is None, -(d.delta_s or 0.0)))


def normal(t: Timeline) -> bool:
    """Fulfilled, and no finding above info."""
    return t.status == "fulfilled" and not any(f.severity in ("error", "warning") for f in findings_of(t))


def nearest_twin(source: EventSource, this: Timeline, opts: Options = Options()) -> TwinComparison:
    """The nearest normal twin of the delivery ``this``: among the ``TWIN_CANDIDATES`` deliveries whose first
    event is nearest in time to its own (at most ``TWIN_WINDOW_US`` away), the normal ones (``normal``) that share
    one of its merchants, else one of its sources; of those, the nearest in time. ``NotFound`` when there is none.

    The explore view's ``v`` key asks the same; ``coco timeline D --vs auto`` shows it."""
    if this.kind != "delivery" or this.start is None:
        raise UsageError("--vs compares a delivery's timeline with another delivery's")
    mine = Facts.from_timeline(this)
    around = source.active_deliveries(this.start - TWIN_WINDOW_US, this.start + TWIN_WINDOW_US)
    near = sorted(((abs(t - this.start), d) for d, t in around if d != this.id and abs(t - this.start) <= TWIN_WINDOW_US))
    ids = [d for _, d in near[:TWIN_CANDIDATES]]
    fulfilled = statuses(source, ids)
    ids = [d for d in ids if fulfilled.get(d) == "fulfilled"]
    whole = replace(opts, since=None, until=None)
    by_source: Optional[tuple[Timeline, str]] = None
    for start in range(0, len(ids), TWIN_BATCH):
        for t in timelines(source, ids[start : start + TWIN_BATCH], whole):  # in order of distance
            if not normal(t):
                continue
            theirs = Facts.from_timeline(t)
            merchant = sorted(set(theirs.merchants) & set(mine.merchants))
            if merchant:
                return _twin(this, t, f"same merchant {merchant[0]}")
            shared = sorted(set(theirs.sources) & set(mine.sources))
            if shared and by_source is None:
                by_source = (t, f"same source {shared[0]}")
    if by_source is not None:
        return _twin(this, *by_source)
    raise NotFound(
        f"no fulfilled delivery without warnings that shares a merchant or a source with {this.id} started within "
        f"{TWIN_WINDOW_US // 3_600_000_000}h of it; name one with --vs ID"
    )


def given_twin(source: EventSource, this: Timeline, twin_id: str, opts: Options = Options()) -> TwinComparison:
    """``--vs ID``: the delivery named, whatever it is."""
    from .sessionize import delivery_timeline

    if twin_id == this.id:
        raise UsageError("--vs names the delivery itself; name another one, or --vs auto")
    twin = delivery_timeline(source, twin_id, replace(opts, since=None, until=None))
    return _twin(this, twin, "given")


def twin_for(source: EventSource, this: Timeline, vs: str, opts: Options = Options()) -> TwinComparison:
    """``--vs auto`` (``nearest_twin``) or ``--vs ID`` (``given_twin``) for the delivery ``this``."""
    if this.kind != "delivery":
        raise UsageError("--vs compares deliveries: give a delivery id")
    return nearest_twin(source, this, opts) if vs == "auto" else given_twin(source, this, vs, opts)


def _twin(this: Timeline, twin: Timeline, chosen: str) -> TwinComparison:
    return TwinComparison(twin.id, chosen, step_comparison(this, twin), twin)


__all__ = [
    "Comparison",
    "Counts",
    "Facts",
    "Row",
    "StepCount",
    "TwinComparison",
    "ValueCount",
    "compare",
    "counts_of",
    "nearest_twin",
    "given_twin",
    "reference_counts",
    "score_rows",
    "step_comparison",
]
