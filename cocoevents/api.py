"""The library API: ``timeline()`` for a stored subject, ``timeline_from_records()`` for a list.

Both parse the same option strings the CLI takes (``since="2h"``, ``gap="5m"``)
and raise ``UsageError``/``NotFound``/``SourceUnavailable`` on bad options,
unknown ids or an unreachable source.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Mapping

from .core import lookup
from .core.baseline import DEFAULT_MIN_SAMPLES
from .core.model import Timeline
from .core.options import parse_options
from .core.source_protocol import EventSource
from .sources.memory import MemorySource


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
    opts = parse_options(
        since=since, until=until, gap=gap, pad=pad, assignment_lookback=assignment_lookback, tz=tz, baseline_min=baseline_min
    )
    if source is not None:
        return lookup.build(source, subject_id, kind, opts)
    from .sources import open_source

    opened = open_source(profile=profile, store=store)
    try:
        return lookup.build(opened, subject_id, kind, opts)
    finally:
        opened.close()


def timeline_from_records(records: Iterable[Mapping[str, Any]], subject_id: str, *, kind: str | None = None, **options: Any) -> Timeline:
    """The timeline of ``subject_id`` over records held in memory (no store needed)."""
    return lookup.build(MemorySource(records), subject_id, kind, parse_options(**options))
