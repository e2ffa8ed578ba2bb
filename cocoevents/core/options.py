"""The options of a timeline (``Options``) and their one parser from the strings the CLI and the library take.

``parse_options`` reads ``since="2h"``, ``gap="5m"``, ``tz="Europe/Berlin"`` alike for ``coco timeline`` and
``cocoevents.timeline()``; a bad value is a ``UsageError`` naming its option.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UsageError
from ..timestamps import parse_duration, parse_time_option, resolve_tz
from .baseline import DEFAULT_MIN_SAMPLES

MINUTE = 60_000_000
HOUR = 60 * MINUTE


@dataclass(frozen=True)
class Options:
    gap_us: int = 5 * MINUTE
    pad_us: int = 0
    assignment_lookback_us: int = 12 * HOUR
    since: int | None = None
    until: int | None = None
    baseline_min: int = DEFAULT_MIN_SAMPLES  # findings rules §3: samples a transition needs to be judged


def parse_options(
    *,
    since: str | int | None = None,
    until: str | int | None = None,
    gap: str = "5m",
    pad: str = "0s",
    assignment_lookback: str = "12h",
    baseline_min: int = DEFAULT_MIN_SAMPLES,
    now: int | None = None,
    tz: str = "UTC",
) -> Options:
    """CLI-style option values to ``Options``; ``UsageError`` names the bad one. Times without an offset
    are read in ``tz`` (``--tz``)."""
    try:
        zone = resolve_tz(tz)
    except ValueError as e:
        raise UsageError(f"--tz: {e}") from None

    def duration(name: str, text: str) -> int:
        try:
            return parse_duration(text)
        except ValueError as e:
            raise UsageError(f"--{name}: {e}") from None

    def moment(name: str, value: str | int | None) -> int | None:
        if value is None or isinstance(value, int):
            return value
        try:
            return parse_time_option(value, now, zone)
        except ValueError as e:
            raise UsageError(f"--{name}: {e}") from None

    opts = Options(
        gap_us=duration("gap", gap),
        pad_us=duration("pad", pad),
        assignment_lookback_us=duration("assignment-lookback", assignment_lookback),
        since=moment("since", since),
        until=moment("until", until),
        baseline_min=baseline_min,
    )
    if isinstance(baseline_min, bool) or not isinstance(baseline_min, int) or baseline_min < 1:
        raise UsageError(f"--baseline-min must be a whole number of 1 or more, not {baseline_min!r}")
    if opts.since is not None and opts.until is not None and opts.since > opts.until:
        raise UsageError("--since is after --until")
    return opts
