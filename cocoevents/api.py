"""The library API: ``timeline()`` for a stored subject, ``timeline_from_records()`` for a list.

Both parse the same option strings the CLI takes (``since="2h"``, ``gap="5m"``)
and raise ``UsageError``/``NotFound``/``SourceUnavailable`` on bad options,
unknown ids or an unreachable source.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable, Mapping

from .core.baseline import DEFAULT_MIN_SAMPLES
from .core.model import KINDS, Timeline
from .core.sessionize import EventSource, Options, delivery_timeline, pilot_timeline, robot_timeline
from .errors import NotFound, UsageError
from .sources.memory import MemorySource
from .timestamps import MIN_US, now_us, parse_duration, parse_time_option, resolve_tz

DEFAULT_ACTOR_RANGE = "24h"
MAX_ID_LENGTH = 4096


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


def resolve_kind(source: EventSource, subject_id: str, kind: str | None, opts: Options = Options()) -> str:
    """The subject's kind: ``kind`` when given, else the one kind of id that holds it."""
    if kind is not None:
        if kind not in KINDS:
            raise UsageError(f"--kind must be one of {', '.join(KINDS)}, not {kind!r}")
        return kind
    kinds = source.kinds(subject_id, opts.since, opts.until)
    if not kinds:
        raise NotFound(f"no delivery, robot or pilot has the id {subject_id!r}")
    if len(kinds) > 1:
        raise UsageError(
            f"{subject_id!r} is ambiguous: it is a {' and a '.join(kinds)} id; add --kind {'|'.join(kinds)}"
        )
    return kinds[0]


def check_id(subject_id: str) -> None:
    if not subject_id or not subject_id.strip():
        raise UsageError("the id is empty")
    if len(subject_id) > MAX_ID_LENGTH:
        raise UsageError(f"the id is {len(subject_id)} characters long; ids are at most {MAX_ID_LENGTH}")
    if "\x00" in subject_id:
        raise UsageError("the id contains a NUL character")


def build(source: EventSource, subject_id: str, kind: str | None, opts: Options, now: int | None = None) -> Timeline:
    """The timeline of ``subject_id``. An id that is no delivery, robot or pilot id may be a demand or offer
    id: then the timeline of the one delivery it links to (several: a usage error listing them); an id not
    found at all says which known ids it is close to ("did you mean D12345?")."""
    check_id(subject_id)
    try:
        kind = resolve_kind(source, subject_id, kind, opts)
    except NotFound as missing:
        if kind is not None:
            raise
        subject_id = _through_link(source, subject_id, opts, missing)
        kind = "delivery"
    if kind == "delivery":
        return delivery_timeline(source, subject_id, opts)
    if opts.since is None or opts.until is None:
        current = now_us() if now is None else now
        until = opts.until if opts.until is not None else current
        since = opts.since if opts.since is not None else max(until - parse_duration(DEFAULT_ACTOR_RANGE), MIN_US)
        if since > until:
            raise UsageError("--since is after --until")
        opts = replace(opts, since=since, until=until)
    return robot_timeline(source, subject_id, opts) if kind == "robot" else pilot_timeline(source, subject_id, opts)


def _through_link(source: EventSource, subject_id: str, opts: Options, missing: NotFound) -> str:
    """The delivery a demand or offer id links to (spec rule 2 in reverse), else ``missing`` with a hint."""
    from .core import listings as fleet

    linked = fleet.linked_deliveries(source, subject_id, opts.since, opts.until)
    if len(linked) == 1:
        return linked[0]
    if linked:
        status = fleet.statuses(source, linked)
        listed = ", ".join(f"{d} ({status.get(d, 'unknown').replace('_', ' ')})" for d in linked[:20])
        more = f" and {len(linked) - 20} more" if len(linked) > 20 else ""
        raise AmbiguousId(f"{subject_id!r} links to {len(linked)} deliveries: {listed}{more}; "
                          "run 'coco timeline' with one of them", linked)
    hint = fleet.did_you_mean(fleet.suggestions(source, subject_id, opts.since))
    if hint:
        raise NotFound(f"{missing}; {hint}") from None
    raise missing


class AmbiguousId(UsageError):
    """A demand or offer id linked to several deliveries (exit 2); ``deliveries`` lists them."""

    def __init__(self, message: str, deliveries: list[str]) -> None:
        super().__init__(message)
        self.deliveries = deliveries


def timeline(
    subject_id: str,
    *,
    kind: str | None = None,
    since: str | int | None = None,
    until: str | int | None = None,
    gap: str = "5m",
    pad: str = "0s",
    assignment_lookback: str = "12h",
    tz: str = "UTC",
    baseline_min: int = DEFAULT_MIN_SAMPLES,
    store: str | Path | None = None,
    profile: str | None = None,
    source: EventSource | None = None,
) -> Timeline:
    """The timeline of a delivery, robot or pilot from ``source``, else from the source ``coco timeline``
    reads with the same ``profile``/``store`` (``sources.resolve``: ``COCO_PROFILE``, ``COCO_STORE`` and the
    config file's default profile included)."""
    opts = parse_options(since=since, until=until, gap=gap, pad=pad, assignment_lookback=assignment_lookback, tz=tz,
                         baseline_min=baseline_min)
    if source is not None:
        return build(source, subject_id, kind, opts)
    from .sources import open_source

    opened = open_source(profile=profile, store=store)
    try:
        return build(opened, subject_id, kind, opts)
    finally:
        opened.close()


def timeline_from_records(
    records: Iterable[Mapping[str, Any]], subject_id: str, *, kind: str | None = None, **options: Any
) -> Timeline:
    """The timeline of ``subject_id`` over records held in memory (no store needed)."""
    return build(MemorySource(records), subject_id, kind, parse_options(**options))
