"""What the source protocol asks and answers beyond events (``core.source_protocol``): the deliveries' filters
(``coco deliveries``, ``coco compare``'s group) and ``coco compare``'s counts. They live below the protocol so that
the protocol, the listings and the comparison each import them without a circle."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Optional

from ..errors import UsageError
from ..producers.registry import STATUSES
from .status import outcome_events


@dataclass(frozen=True)
class Filters:
    """``coco deliveries`` filters; every one is judged on the delivery's exact timeline."""

    statuses: tuple[str, ...] = ()
    error: Optional[str] = None
    event: Optional[str] = None
    robot: Optional[str] = None
    pilot: Optional[str] = None
    merchant: Optional[str] = None
    slow: bool = False

    def __post_init__(self) -> None:
        for s in self.statuses:
            if s not in STATUSES:
                raise UsageError(f"--status must be one of {', '.join(STATUSES)}, not {s!r}")
        for option in ("error", "event", "robot", "pilot", "merchant"):
            value = getattr(self, option)
            if value is not None and not value.strip():  # an empty value is no filter: every delivery would match
                raise UsageError(f"--{option} needs a value, not {value!r} (leave the option out to list every delivery)")

    @property
    def any(self) -> bool:
        return bool(self.statuses or self.error or self.event or self.robot or self.pilot or self.merchant or self.slow)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": list(self.statuses),
            "error": self.error,
            "event": self.event,
            "robot": self.robot,
            "pilot": self.pilot,
            "merchant": self.merchant,
            "slow": self.slow,
        }

    def text(self) -> str:
        """The filters as a header shows them: ``status=failed error=LID_STUCK slow`` (a flag by its name)."""
        return " ".join(
            k if v is True else f"{k}={','.join(v) if isinstance(v, list) else v}"
            for k, v in self.to_dict().items()
            if v not in (None, False, [])
        )

    def pushdowns(self) -> list[tuple[str, tuple[str, ...], bool]]:
        """Necessary conditions a source can check in SQL before any timeline is built: ``(column, values,
        linked_only)`` for ``EventSource.narrow_deliveries`` (which says when one does not hold)."""
        out: list[tuple[str, tuple[str, ...], bool]] = []
        if self.statuses and "in_progress" not in self.statuses:  # an outcome row in the delivery lane
            out.append(("event", tuple(sorted({n for s in self.statuses for n in outcome_events(s)})), True))
        if self.robot is not None:  # robots come from the delivery lane's rows
            out.append(("robot_id", (self.robot,), True))
        if self.event is not None:  # any lane: only when every such event has a delivery id
            out.append(("event", (self.event,), False))
        return out


@dataclass(frozen=True)
class ValueCount:
    dimension: str
    value: str
    group_n: int
    others_n: int


@dataclass(frozen=True)
class StepCount:
    """A transition's durations on both sides: counts, medians, the group's rank sum among all of them (mid-ranks
    for ties) and the tie term ``sum(t**3 - t)``."""

    a: str
    b: str
    group_n: int
    others_n: int
    group_p50: Optional[float]
    others_p50: Optional[float]
    group_rank_sum: float
    ties: float


@dataclass
class Counts:
    """What a source answers to ``compare_counts``: the group's and the others' sizes and their counts."""

    group_n: int
    others_n: int
    values: list[ValueCount] = field(default_factory=list)
    steps: list[StepCount] = field(default_factory=list)

    def normalized(self) -> Counts:
        """In a fixed order, medians to the millisecond and rank sums to 1e-6: equal answers compare equal."""
        return Counts(
            self.group_n,
            self.others_n,
            sorted(self.values, key=lambda v: (v.dimension, v.value)),
            sorted(
                (
                    replace(
                        s,
                        group_p50=None if s.group_p50 is None else round(s.group_p50, 3),
                        others_p50=None if s.others_p50 is None else round(s.others_p50, 3),
                        group_rank_sum=round(s.group_rank_sum, 6),
                        ties=round(s.ties, 6),
                    )
                    for s in self.steps
                ),
                key=lambda s: (s.a, s.b),
            ),
        )
