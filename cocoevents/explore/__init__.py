"""``coco explore``: the investigation as one interactive flow (a Textual application), over one resident source.

Layout: ``model`` (the subjects, the resident source, the moves between timelines - no terminal), ``view`` (the
lines drawn, as rich ``Text`` built from data), ``widgets`` (the one list widget), ``base`` (what
the screens share), ``screens`` (the overview, an error code's events), ``timeline_screen`` and ``app``.
Only the ``explore`` command imports this package (an import-linter contract says so), and only there does
Textual load: ``coco --help`` and ``coco timeline`` never import it.

``start`` is the command's whole path, shared by the benchmark: it opens the source (and builds the first
timeline, for an id) in a thread while Textual imports, so the first screen waits for the longer of the two,
not their sum; a wrong id or an unreachable source is the command's one-line error, before any screen.
``resident_gc`` is for the process the app lives in (the command's, the benchmark's).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Optional

GC_YOUNG = 50_000  # allocations between the collector's young passes (Python's default: 700)


def start(
    opening: Callable[[], Any],
    *,
    subject_id: Optional[str],
    kind: Optional[str],
    opts: Any,
    since: int,
    until: int,
    tz: str,
    where: str = "",
    interval: float = 5.0,
    limit: int = 50,
) -> Any:
    """The ``ExploreApp``, ready to run: the source opened, the first timeline built (errors raised here)."""
    from ..timestamps import resolve_tz
    from .model import Resident, Subject

    resident = Resident(opening, opts)
    subject = Subject(kind, subject_id, opts.since, opts.until) if subject_id is not None else None

    def first() -> Any:
        resident.open()
        resident.open_side()
        return resident.timeline(subject) if subject is not None else None

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="coco-explore-open") as pool:
        pending = pool.submit(first)
        from .app import ExploreApp  # Textual imports here, while the source opens

        try:
            timeline = pending.result()
        except BaseException:
            resident.close()
            raise
    return ExploreApp(
        resident,
        since=since,
        until=until,
        tz=resolve_tz(tz),
        tz_name=tz,
        where=where,
        first=subject,
        first_timeline=timeline,
        interval=interval,
        limit=limit,
    )


def resident_gc() -> None:
    """A resident app builds timelines of many short-lived objects and keeps some (the remembered timelines, the
    events made): the collector's passes over all of them came during navigations. Rarer passes, and none over
    what start-up made (``gc.freeze``)."""
    import gc

    gc.freeze()
    gc.set_threshold(GC_YOUNG, 50, 1000)
