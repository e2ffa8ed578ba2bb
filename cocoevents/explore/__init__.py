"""``coco explore``: the investigation as one interactive flow (a Textual application), over one resident source.

Layout: ``model`` (the subjects, the resident source, the moves between timelines - no terminal), ``view`` (the
lines drawn, as rich ``Text`` built from data), ``widgets`` (the one list widget), ``base`` (what
the screens share), ``screens`` (the overview, an error code's events), ``timeline_screen`` and ``app``.
Only the ``explore`` command imports this package (an import-linter contract says so), and only there does
Textual load: ``coco --help`` and ``coco timeline`` never import it.

``start`` is the command's whole path, shared by the benchmark: it opens the source and asks the first screen's
questions (an id's timeline; else the overview's errors by code and first page of deliveries) in threads while
Textual imports, so the first screen waits for the longer of the two, not their sum, and is painted with its
answers; a wrong id or an unreachable source is the command's one-line error, before any screen.
``resident_gc`` is for the process the app lives in (the command's, the benchmark's).
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any, Callable, Optional

GC_YOUNG = 50_000  # allocations between the collector's young passes (Python's default: 700)
FIRST_WAIT = 2.0  # seconds the overview's first answers are waited for before its screen shows without them (a slow source)


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
    """The ``ExploreApp``, ready to run: the source opened, the first timeline built (errors raised here) - or,
    without an id, the overview's first questions asked (``model.Asked``: their errors are the overview's to say,
    and the app stays usable) and waited for up to ``FIRST_WAIT``. The errors by code and the newest deliveries'
    order are asked while Textual imports; the first page of deliveries is built once it is imported (building
    holds the interpreter, and the import waited for it)."""
    from ..timestamps import resolve_tz
    from .model import Asked, Overview, Resident, Subject

    resident = Resident(opening, opts)
    subject = Subject(kind, subject_id, opts.since, opts.until) if subject_id is not None else None
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="coco-explore-open")
    imported = threading.Event()

    def first() -> Any:
        resident.open()
        resident.open_side()
        if subject is not None:
            return resident.timeline(subject)
        overview = Overview(since, until)
        errors = pool.submit(resident.errors, overview, aside=True)  # on the side reader, beside the deliveries
        return Asked(overview, errors, pool.submit(resident.first_deliveries, overview, limit, imported))

    try:
        pending = pool.submit(first)
        try:
            from .app import ExploreApp  # Textual imports here, while the source opens and answers
        finally:
            imported.set()
        try:
            answer = pending.result()
        except BaseException:
            resident.close()
            raise
    finally:
        pool.shutdown(wait=False)  # the overview's questions go on in its threads, waited for below
    if isinstance(answer, Asked):
        asked: list[Future[Any]] = [answer.errors, answer.deliveries]
        wait(asked, timeout=FIRST_WAIT)
    return ExploreApp(
        resident,
        since=since,
        until=until,
        tz=resolve_tz(tz),
        tz_name=tz,
        where=where,
        first=subject,
        first_timeline=answer if subject is not None else None,
        asked=answer if isinstance(answer, Asked) else None,
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
