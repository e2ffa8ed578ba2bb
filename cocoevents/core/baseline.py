"""The fleet baseline (findings rules §3): how long each transition between steps usually takes.

Pure: no database. A delivery's **steps** are its rows that carry its ``delivery_id`` directly, with a usable
time, in timeline order (rule 6: time, then registry position, then name); two rows with the same name at the
same instant are one step (a duplicate record is one step; the SQL of the stores applies the same rule, so the
Python and SQL baselines agree). Each pair of consecutive steps is a **transition** ``(A, B)`` with a duration.

``compute(events)`` is the definition (``MemorySource`` uses it); ``transitions_sql`` is the same computation as
one ``SELECT``, the one text the local store (DuckDB) and the warehouse (Redshift) run, which tests hold equal to
``compute`` on random deliveries. ``Baseline`` is what every source returns: the transitions with ``n``, ``p50``,
``p95``, ``p99`` in seconds (continuous percentiles, linear interpolation between closest ranks, as numpy's default,
DuckDB's ``quantile_cont`` and Redshift's ``PERCENTILE_CONT``), rounded to the millisecond so that every source gives
the same numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Container, Iterable, Optional, Sequence

from ..producers.registry import EVENTS, registry_sort_key
from .model import Event

DEFAULT_MIN_SAMPLES = 10
COLUMNS = ("a", "b", "n", "p50", "p95", "p99")  # the columns of ``transitions_sql``, as every store keeps them
PERCENTILES = (0.5, 0.95, 0.99)


@dataclass(frozen=True)
class Transition:
    """The fleet's record of one transition ``a -> b``: ``n`` samples and percentiles in seconds."""

    a: str
    b: str
    n: int
    p50: float
    p95: float
    p99: float

    def to_dict(self) -> dict[str, object]:
        return {"from": self.a, "to": self.b, "n": self.n, "p50_s": self.p50, "p95_s": self.p95, "p99_s": self.p99}


def rounded(seconds: float) -> float:
    """Percentiles as every source reports them: to the millisecond."""
    return round(float(seconds), 3)


class Baseline:
    """The transitions of a fleet, with the two judgements of section 3 (*judged*, *slow*)."""

    def __init__(self, transitions: Iterable[Transition], min_samples: int = DEFAULT_MIN_SAMPLES) -> None:
        self.transitions = sorted(
            (Transition(t.a, t.b, int(t.n), rounded(t.p50), rounded(t.p95), rounded(t.p99)) for t in transitions),
            key=lambda t: (registry_sort_key(t.a), registry_sort_key(t.b)),
        )
        self.min_samples = min_samples
        self._by_pair = {(t.a, t.b): t for t in self.transitions}
        self._into: dict[str, int] = {}
        for t in self.transitions:
            self._into[t.b] = self._into.get(t.b, 0) + t.n
        self._others: dict[int, Baseline] = {min_samples: self}
        self._bounds: Optional[list[tuple[float, str, str]]] = None

    def __len__(self) -> int:
        return len(self.transitions)

    def with_min_samples(self, min_samples: int) -> Baseline:
        """The same transitions judged with ``min_samples``; made once per value and kept (a listing asks it for
        every timeline it builds)."""
        other = self._others.get(min_samples)
        if other is None:
            other = self._others[min_samples] = Baseline(self.transitions, min_samples)
        return other

    def least_slow(self, names: Container[str]) -> Optional[float]:
        """The least duration in seconds (``slow_bound``) that a transition between two of ``names`` judged here
        could be slow from, or ``None`` when none of them is judged: a lower bound on what ``is_slow`` can call slow,
        found in the judged transitions ordered by bound (worked out once), not in every pair of ``names``."""
        if self._bounds is None:
            judged = (t for t in self.transitions if t.n >= self.min_samples)
            self._bounds = sorted((b, t.a, t.b) for t in judged for b in (slow_bound(t),) if b == b)
        return next((b for b, a, c in self._bounds if a in names and c in names), None)

    def get(self, a: str, b: str) -> Transition | None:
        return self._by_pair.get((a, b))

    def judged(self, a: str, b: str) -> Transition | None:
        """The transition's record when it has at least ``min_samples`` samples, else ``None``."""
        t = self._by_pair.get((a, b))
        return t if t is not None and t.n >= self.min_samples else None

    def expected(self, step: str) -> bool:
        """The fleet logs ``step``: at least ``min_samples`` transitions into it."""
        return self._into.get(step, 0) >= self.min_samples

    @staticmethod
    def is_slow(t: Transition, seconds: float) -> bool:
        """Slow: beyond p99, at least twice p50, and at least a minute more than p50."""
        return seconds > t.p99 and seconds >= 2 * t.p50 and seconds - t.p50 >= 60


def slow_bound(t: Transition) -> float:
    """The least duration in seconds ``Baseline.is_slow`` can call slow for ``t`` (NaN when a percentile is)."""
    return max(t.p99, 2 * t.p50, t.p50 + 60)


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Continuous percentile with linear interpolation (numpy's default, SQL's PERCENTILE_CONT)."""
    n = len(sorted_values)
    rank = p * (n - 1)
    lo = math.floor(rank)
    hi = min(lo + 1, n - 1)
    return sorted_values[lo] + (rank - lo) * (sorted_values[hi] - sorted_values[lo])


def steps(events: Iterable[Event], delivery_id: str) -> list[Event]:
    """The delivery's steps: its direct, timed events in timeline order, one per (name, time)."""
    seen: set[tuple[str, int | None]] = set()
    out = []
    for e in sorted(
        (e for e in events if e.delivery_id == delivery_id and e.ts is not None), key=lambda e: (e.ts, registry_sort_key(e.name), e.text)
    ):
        key = (e.name, e.ts)
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


def step_times(events: Iterable[Event], delivery_ids: Iterable[str]) -> dict[str, list[tuple[int, str]]]:
    """``steps`` of each of ``delivery_ids`` as ``(time, name)`` (a delivery without a step is left out): what a
    robot's or pilot's silences are judged against (findings rules §2a)."""
    wanted = set(delivery_ids)
    mine: dict[str, set[tuple[int, str]]] = {}
    for e in events:
        if e.delivery_id in wanted and e.ts is not None:
            mine.setdefault(e.delivery_id, set()).add((e.ts, e.name))
    return {d: order_steps(pairs) for d, pairs in mine.items()}


def order_steps(pairs: Iterable[tuple[int, str]]) -> list[tuple[int, str]]:
    """Distinct ``(time, name)`` steps in timeline order (time, then the registry's position): ``steps``' order,
    whose last key (the record's text) never separates two steps of one name and time."""
    return sorted(set(pairs), key=lambda p: (p[0], registry_sort_key(p[1])))


def transitions_of(step_list: Sequence[Event]) -> list[tuple[str, str, float]]:
    """``(A, B, seconds)`` for each pair of consecutive steps."""
    return [(a.name, b.name, (b.ts - a.ts) / 1e6) for a, b in zip(step_list, step_list[1:])]  # type: ignore[operator]


def compute(events: Iterable[Event], min_samples: int = DEFAULT_MIN_SAMPLES) -> Baseline:
    """The baseline over every delivery among ``events`` (the reference for the stores' SQL)."""
    by_delivery: dict[str, list[Event]] = {}
    for e in events:
        if e.delivery_id is not None and e.ts is not None:
            by_delivery.setdefault(e.delivery_id, []).append(e)
    samples: dict[tuple[str, str], list[float]] = {}
    for delivery_id, evs in by_delivery.items():
        for a, b, d in transitions_of(steps(evs, delivery_id)):
            samples.setdefault((a, b), []).append(d)
    out = []
    for (a, b), ds in samples.items():
        ds.sort()
        p50, p95, p99 = (percentile(ds, p) for p in PERCENTILES)
        out.append(Transition(a, b, len(ds), p50, p95, p99))
    return Baseline(out, min_samples)


def transitions_sql(table: str, ts: str, mark: str, since: Optional[Any] = None) -> tuple[str, list[Any]]:
    """``compute`` as one ``SELECT a, b, n, p50, p95, p99`` over ``table`` (time column ``ts``, placeholders ``mark``),
    restricted to events at or after ``since`` when given. ``table`` and ``ts`` are constants of the caller.

    The steps of every delivery (its direct events with a time, one per name and instant), ordered as the
    timeline orders them (time, registry position, name) with ``LAG`` over ``PARTITION BY delivery_id``, each
    consecutive pair a transition ``(a, b)`` with its duration in seconds, then per transition ``n`` and
    ``PERCENTILE_CONT`` 0.5 / 0.95 / 0.99. It uses only what DuckDB, Redshift and PostgreSQL share
    (``DATEDIFF('microsecond', ...)`` is defined over ``timestamp`` in the PostgreSQL test database, as
    ``JSON_SERIALIZE`` is); every value - the registry's names for the ordering, the lower time bound - is a
    bound parameter."""
    names = [e.name for e in EVENTS]
    position = "CASE event " + " ".join(f"WHEN {mark} THEN {n}" for n in range(len(names))) + f" ELSE {len(names)} END"
    params: list[Any] = list(names)
    bound = ""
    if since is not None:
        bound = f" AND {ts} >= {mark}"
        params.append(since)
    order = f"PARTITION BY delivery_id ORDER BY {ts}, pos, event"
    sql = (
        "SELECT a, b, COUNT(*) AS n,"
        " PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY d) AS p50,"
        " PERCENTILE_CONT(0.95) WITHIN GROUP (ORDER BY d) AS p95,"
        " PERCENTILE_CONT(0.99) WITHIN GROUP (ORDER BY d) AS p99"
        " FROM ("
        f"SELECT LAG(event) OVER ({order}) AS a, event AS b,"
        f" CAST(DATEDIFF('microsecond', LAG({ts}) OVER ({order}), {ts}) AS DOUBLE PRECISION) / 1000000 AS d"
        " FROM ("
        f"SELECT DISTINCT delivery_id, event, {ts}, {position} AS pos FROM {table}"
        f" WHERE delivery_id IS NOT NULL AND delivery_id <> '' AND event IS NOT NULL AND {ts} IS NOT NULL{bound}"
        ") steps"
        ") pairs"
        " WHERE a IS NOT NULL"
        " GROUP BY a, b"
    )
    return sql, params


def from_rows(rows: Sequence[Sequence[Any]], min_samples: int = DEFAULT_MIN_SAMPLES) -> Baseline:
    """``(a, b, n, p50, p95, p99)`` rows as a ``Baseline`` (percentiles rounded to the millisecond)."""
    return Baseline(
        (Transition(str(a), str(b), int(n), float(p50), float(p95), float(p99)) for a, b, n, p50, p95, p99 in rows), min_samples
    )
