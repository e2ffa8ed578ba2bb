"""The fleet baseline (findings rules §3): how long each transition between steps usually takes.

Pure: no database. A delivery's **steps** are its rows that carry its ``delivery_id`` directly, with a usable
time, in timeline order (rule 6: time, then registry position, then name); two rows with the same name at the
same instant are one step (a duplicate record is one step; the SQL of the stores applies the same rule, so the
Python and SQL baselines agree). Each pair of consecutive steps is a **transition** ``(A, B)`` with a duration.

``compute(events)`` is the reference computation (``MemorySource`` uses it, and tests hold the stores' SQL to
it); ``Baseline`` is what every source returns: the transitions with ``n``, ``p50``, ``p95``, ``p99`` in seconds
(continuous percentiles, linear interpolation between closest ranks, as numpy's default, DuckDB's
``quantile_cont`` and Redshift's ``PERCENTILE_CONT``), rounded to the millisecond so that every source gives
the same numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

from ..producers.registry import registry_sort_key
from .model import Event

DEFAULT_MIN_SAMPLES = 10
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

    def __len__(self) -> int:
        return len(self.transitions)

    def with_min_samples(self, min_samples: int) -> Baseline:
        return Baseline(self.transitions, min_samples)

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


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Continuous percentile with linear interpolation (numpy's default, SQL's PERCENTILE_CONT)."""
    n = len(sorted_values)
    rank = p * (n - 1)
    lo = math.floor(rank)
    hi = min(lo + 1, n - 1)
    return sorted_values[lo] + (rank - lo) * (sorted_values[hi] - sorted_values[lo])


def steps(events: Iterable[Event], delivery_id: str) -> list[Event]:
    """The delivery's steps: its direct, timed events in timeline order, one per (name, time)."""
    seen: set[tuple[str, int]] = set()
    out = []
    for e in sorted(
        (e for e in events if e.delivery_id == delivery_id and e.ts is not None), key=lambda e: (e.ts, registry_sort_key(e.name), e.text)
    ):
        key = (e.name, e.ts)
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


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
