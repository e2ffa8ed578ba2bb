"""The options of a timeline (``Options``) and their one parser from the strings the CLI and the library take.

``parse_options`` reads ``since="2h"``, ``gap="5m"``, ``tz="Europe/Berlin"`` alike for ``coco timeline``,
``coco deliveries``/``coco errors`` and ``cocoevents.timeline()``; a bad value is a ``UsageError`` naming its
option. A relative ``since`` (``1h``) counts back from ``until`` when both are given, else from now; a
``since`` without ``until`` ends now.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import UsageError
from ..timestamps import dst_note, now_us, parse_duration, parse_time_option, resolve_tz
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
    # Which instant a --since/--until the --tz zone skips or passes twice was read as, for the CLI to say.
    notes: tuple[str, ...] = field(default=(), compare=False)


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

    current = now_us() if now is None else now
    notes: list[str] = []

    def moment(name: str, value: str | int | None, base: int) -> int | None:
        if value is None or isinstance(value, int):
            return value
        try:
            us = parse_time_option(value, base, zone)
        except ValueError as e:
            raise UsageError(f"--{name}: {e}") from None
        note = dst_note(value, zone)
        if note is not None:
            notes.append(f"--{name} {note}")
        return us

    end = moment("until", until, current)
    # A relative --since counts back from --until when there is one (--since 1h --until 14:00 is 13:00-14:00);
    # a --since without --until ends now, so both ends are known and shown.
    start = moment("since", since, end if end is not None else current)
    if start is not None and end is None:
        end = current
    opts = Options(
        gap_us=duration("gap", gap),
        pad_us=duration("pad", pad),
        assignment_lookback_us=duration("assignment-lookback", assignment_lookback),
        since=start,
        until=end,
        baseline_min=baseline_min,
        notes=tuple(reversed(notes)),  # --until is read first
    )
    if isinstance(baseline_min, bool) or not isinstance(baseline_min, int) or baseline_min < 1:
        raise UsageError(f"--baseline-min must be a whole number of 1 or more, not {baseline_min!r}")
    if opts.since is not None and opts.until is not None and opts.since > opts.until:
        raise UsageError("--since is after --until")
    return opts
