"""Redshift plus the archive's tail (``--fresh``): what the warehouse has not COPYed yet, answered too.

``fresh`` wraps a Redshift source: the events of the archive objects of the days involved that the warehouse's
load log does not list yet (the tail since the last COPY) are loaded into a temporary store and merged with the
warehouse's answers before sessionizing (``FreshSource``). The tail's objects are kept on disk between calls,
keyed by bucket, key and ETag, and so is the last tail loaded, as a store (``sources.tail_cache``): a repeat
downloads and loads only what changed or arrived. The answers of both sides are kept too (``KeptAnswers``,
``KeptTail``): a repeat over the same load log and the same tail asks neither the warehouse's events nor the
tail store. The S3 client is made and the days listed while the warehouse connects (``EarlyListing``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence

from ..archive.s3 import DAY_US, days_for_question, list_objects
from ..core.source_protocol import Source
from ..errors import NotFound
from ..store.s3_sync import sync_objects
from ..timestamps import now_us
from .s3 import TAIL_DAYS, Settings, settings_client
from .tail_cache import CachingClient, KeptAnswers, TailCache


def fresh(source: Any, archive_settings: Settings, early: Optional[EarlyListing] = None) -> FreshSource:
    return FreshSource(source, archive_settings, early)


def fresh_connecting(archive_settings: Settings, lookback_us: int, now: Optional[int], connect: Callable[[int], Any]) -> FreshSource:
    """``fresh`` of the warehouse source ``connect(now)`` makes, the archive's S3 client made and the ``dt=`` folders
    of a question without ``--since``/``--until`` listed meanwhile, in a thread (``EarlyListing``): connecting (the
    driver's import, the log-in) and listing are mostly waits, and a repeat is little more than the two."""
    at = now_us() if now is None else now
    early = EarlyListing(archive_settings, tail_days(at - lookback_us, at))
    return fresh(connect(at), archive_settings, early)


def tail_days(lower: int, upper: int) -> list[date]:
    """The ``dt=`` folders a question from ``lower`` to ``upper`` looks for the tail in: those of its days
    (``days_for_question``), at most the last ``TAIL_DAYS`` - the tail is recent, what the hourly COPY has not done."""
    return days_for_question(max(lower, upper - TAIL_DAYS * DAY_US), upper)


class EarlyListing:
    """The archive's S3 client made, and the ``dt=`` folders of ``days`` listed, in a thread started before the
    warehouse connects (``fresh_connecting``). ``take`` waits for it: the client, and the listing when the question's
    days are these (once: a refreshed question lists again); an error of S3 is raised there, as without it."""

    def __init__(self, settings: Settings, days: list[date]) -> None:
        import threading

        self.settings, self.days = settings, days
        self.s3: Any = None
        self.objects: Optional[list[Any]] = None
        self.error: Optional[BaseException] = None
        self.taken = False
        self.thread = threading.Thread(target=self._run, name="coco-tail-list", daemon=True)  # never waited for at exit
        self.thread.start()

    def _run(self) -> None:
        s = self.settings
        try:
            self.s3 = settings_client(s)
            self.objects = list_objects(self.s3, s.bucket, s.prefix, self.days, s.endpoint_url)[0]
        except BaseException as e:  # raised by ``take`` in the caller's thread
            self.error = e

    def take(self, days: list[date]) -> tuple[Any, Optional[list[Any]]]:
        self.thread.join()
        if self.error is not None and (self.s3 is None or (days == self.days and not self.taken)):
            raise self.error
        if days != self.days or self.taken:
            return self.s3, None
        self.taken = True
        return self.s3, self.objects


class FreshSource(Source):
    """A Redshift source with the archive's tail: on the first question, the ``dt=`` folders of the days
    involved are listed, the warehouse's load log is read (in the Redshift source's read-only transaction, so
    it matches the rows the timeline reads), and the objects it does not list are loaded into a temporary
    store. Every question is then asked of both and the answers joined; a linked event found through the
    other side is followed (the link closure runs over both). A stored row is returned once: within one
    source, rows already returned by an earlier question are not returned again. An event in both (an
    object COPYed meanwhile) counts once by rule 7."""

    HAS_TAIL = True

    def __init__(self, warehouse: Any, settings: Settings, early: Optional[EarlyListing] = None) -> None:
        self.warehouse = warehouse  # a ``RedshiftSource``
        self.settings = settings
        self.early = early
        self.now = warehouse.now or now_us()
        self.tmp = Path(tempfile.mkdtemp(prefix="coco-tail-"))
        self.tail: Any = None
        self.lock: Any = None  # the kept tail store's lock (``TailCache.lock_store``), held until ``close``
        self.tail_objects = 0
        self.tail_downloaded: Optional[int] = None  # of the tail objects, those not read from the cache
        self.tail_texts: set[str] = set()
        self.warehouse_texts: set[str] = set()
        self.days: list[date] = []
        self.answers: Optional[KeptAnswers] = None  # the warehouse's kept answers (``_reuse_answers``)
        self.refreshed = False  # followed: a new snapshot each time, the warehouse's statements always run

    def close(self) -> None:
        try:
            self._save_answers()
            if self.tail is not None:
                self.tail.close()
            self.warehouse.close()
        finally:
            if self.lock is not None:
                self.lock.close()
            shutil.rmtree(self.tmp, ignore_errors=True)

    # -- the tail ---------------------------------------------------------------------------------------

    def _ensure(self, since: Optional[int], until: Optional[int]) -> Any:
        if self.tail is not None:
            return self.tail
        cache = TailCache.open()
        if cache is not None and self.answers is None and not self.refreshed:
            self._reuse_answers(cache)
        upper = until if until is not None else self.now
        self.days = tail_days(since if since is not None else self.warehouse.lookback_lower(until), upper)
        s = self.settings
        logged = self.warehouse.loaded_keys(s.bucket, self.days[0], self.days[-1])  # while the early listing runs
        s3, objects = self.early.take(self.days) if self.early is not None else (settings_client(s), None)
        if objects is None:
            objects = list_objects(s3, s.bucket, s.prefix, self.days, s.endpoint_url)[0]
        tail = [o for o in objects if o.key not in logged]
        self.tail_objects = len(tail)
        if not tail:
            self.tail = _Empty()
        elif cache is not None and self.answers is not None and not self.refreshed:
            self.tail_downloaded = 0  # until a question not kept loads the tail (``_load_tail``)
            self.tail = KeptTail(self.answers, s.bucket, tail, lambda: self._load_tail(cache, s3, tail))
        else:
            self.tail = self._load_tail(cache, s3, tail)
        return self.tail

    def _reuse_answers(self, cache: TailCache) -> None:
        """The warehouse's answers kept by the last call (``tail_cache.KeptAnswers``), reused while the load log's
        watermark is the one they were read with (no COPY since): the warehouse then takes their ``now``, so its
        statements are theirs and are answered without running. Answers run now are kept for the next call."""
        wh = self.warehouse
        self.answers = KeptAnswers.open(cache, wh.identity(), wh.load_watermark(), wh.now)
        wh.now = self.answers.now
        wh.kept = self.answers

    def _save_answers(self) -> None:
        if self.answers is not None:
            self.answers.save()

    def _load_tail(self, cache: Optional[TailCache], s3: Any, tail: Sequence[Any]) -> Source:
        """The tail's objects as a store: downloaded into a temporary one without a cache; else from the cache
        (``_cached_tail``), which is trimmed to its limit after."""
        s = self.settings
        if cache is None:
            store = self.tmp / "tail.duckdb"
            sync_objects(store, s3, s.bucket, tail, wait=0.0, endpoint_url=s.endpoint_url, rebuild_baseline=False)
            return _opened(store)
        if self.lock is None:
            self.lock = cache.lock_store()
        try:
            return self._cached_tail(cache, s3, tail)
        finally:
            cache.trim()

    def _cached_tail(self, cache: TailCache, s3: Any, tail: Sequence[Any]) -> Source:
        """With the kept store's lock: the kept store as it is when it holds exactly ``tail`` (a repeat), else pruned
        and given what it lacks. Without the lock (another process holds it): a temporary store. Objects come from
        the cache when kept there, else from S3 (and are kept)."""
        s = self.settings
        kept = self.lock is not None
        if kept:
            source = cache.kept_source(s.bucket, tail)
            if source is not None:
                self.tail_downloaded = 0
                return source
        store = cache.kept_store if kept else self.tmp / "tail.duckdb"
        cached = CachingClient(s3, cache, s.bucket, {o.key: o.etag for o in tail})
        if not (kept and cache.prune(s.bucket, tail)):
            sync_objects(
                store, cached, s.bucket, tail, wait=0.0, endpoint_url=s.endpoint_url, on_fetched=cached.keep, rebuild_baseline=False
            )
        self.tail_downloaded = cached.downloaded
        return _opened(store)

    def tail_count(self, timeline: Any) -> int:
        """Events of ``timeline`` that only the tail holds (not yet in the warehouse)."""
        only = self.tail_texts - self.warehouse_texts
        return sum(1 for r in timeline.rows if r.event.text in only) + sum(1 for e in timeline.unplaced if e.text in only)

    def tail_note(self, timeline: Any) -> str:
        n = self.tail_count(timeline)
        days = f"{self.days[0]}..{self.days[-1]}" if self.days else "-"
        return (
            f"coco: fresh: {n:,} of {len(timeline.rows) + len(timeline.unplaced):,} events came from the archive tail "
            f"({self.tail_objects} object(s) of {self.settings.url} {days} not yet in the warehouse's load log"
            + (f"; {self.tail_downloaded} downloaded, the rest read from the cache" if self.tail_downloaded is not None else "")
            + ")"
        )

    def _both(self, ask: Callable[[Any], list[Any]], seen: Optional[tuple[set[str], set[str]]] = None) -> list[Any]:
        """``ask`` of the warehouse and the tail; with ``seen`` (per-source texts returned before by this
        question), rows an earlier call returned are left out (identical records match the same questions,
        so true duplicates arrive together and keep their count)."""
        out = []
        for side, texts, mark in (
            (self.warehouse, seen[0] if seen else None, self.warehouse_texts),
            (self.tail, seen[1] if seen else None, self.tail_texts),
        ):
            rows = ask(side)
            if texts is not None:
                rows = [e for e in rows if e.text not in texts]
                texts.update(e.text for e in rows)
            mark.update(e.text for e in rows)
            out += rows
        return out

    def _closure(self, ids: Sequence[str], first: Callable[[Any], list[Any]], since: Optional[int], until: Optional[int]) -> list[Any]:
        """The deliveries' events from both sides, and the events linked to them on either (``walk_links``): a
        link found through one side is followed on both."""
        from ..core.links import linked_closures, walk_links

        seen: tuple[set[str], set[str]] = (set(), set())
        events = self._both(first, seen)
        chosen = [e for group in linked_closures(ids, events).values() for e in group]
        wanted = set(ids)

        def more(new_d: list[str], new_o: list[str], *_: Any) -> list[tuple[Optional[str], Optional[str]]]:
            found = self._both(lambda side: side.linked_events(new_d, new_o, since, until), seen)
            events.extend(found)
            return [(e.demand_id, e.offer_id) for e in found if e.delivery_id is None or e.delivery_id in wanted]

        walk_links([e.demand_id for e in chosen], [e.offer_id for e in chosen], more)
        return events

    # -- following (``core.follow``) -----------------------------------------------------------------------

    def refresh(self) -> None:
        """A new warehouse snapshot, and the tail listed again: objects that appeared (or that the COPY job
        has loaded meanwhile) are reconsidered at the next question."""
        self._save_answers()
        self.refreshed = True
        self.warehouse.refresh()
        self.release()
        if self.tail is not None:
            self.tail.close()  # the kept tail store is written again by the next question
        self.tail = None
        self.now = getattr(self.warehouse, "now", None) or now_us()

    def release(self) -> None:
        self.warehouse.release()
        if self.tail is not None:
            self.tail.release()  # the tail store is opened again by the next question

    def writer_waiting(self) -> bool:
        return False

    def arrivals(self, since: int, ids: Mapping[str, Sequence[str]]) -> Any:
        tail = self._ensure(since, None)
        return (self.warehouse.arrivals(since, ids), tail.arrivals(since, ids), self.tail_objects)

    # -- the EventSource protocol ---------------------------------------------------------------------------

    def kinds(self, subject_id: str, since: Optional[int] = None, until: Optional[int] = None) -> list[str]:
        tail = self._ensure(since, until)
        found = set(tail.kinds(subject_id, since, until))
        try:
            found |= set(self.warehouse.kinds(subject_id, since, until))
        except NotFound:
            if not found:
                raise
        return [k for k in ("delivery", "robot", "pilot") if k in found]

    def delivery_events(self, delivery_id: str, since: Optional[int], until: Optional[int]) -> list[Any]:
        self._ensure(since, until)
        return self._closure([delivery_id], lambda side: side.delivery_events(delivery_id, since, until), since, until)

    def deliveries_events(self, delivery_ids: Sequence[str], since: Optional[int], until: Optional[int]) -> list[Any]:
        self._ensure(since, until)
        ids = list(delivery_ids)
        return self._closure(ids, lambda side: side.deliveries_events(ids, since, until), since, until)

    def events_in_spans(
        self, column: str, spans: Sequence[Any], untimed: bool = False, assignment_spans: Sequence[Any] = (), without_delivery: bool = False
    ) -> list[Any]:
        self._ensure(None, None)
        return self._both(lambda side: side.events_in_spans(column, spans, untimed, assignment_spans, without_delivery=without_delivery))

    def baseline(self) -> Any:
        return self.warehouse.baseline()

    def active_deliveries(self, since: int, until: int) -> list[tuple[str, int]]:
        self._ensure(since, until)
        first: dict[str, int] = {}
        for side in (self.warehouse, self.tail):
            for d, t in side.active_deliveries(since, until):
                first[d] = min(t, first.get(d, t))
        return sorted(first.items())

    def linked_events(self, demands: Sequence[str], offers: Sequence[str], since: Optional[int], until: Optional[int]) -> list[Any]:
        self._ensure(since, until)
        return self._both(lambda side: side.linked_events(demands, offers, since, until))

    def narrow_deliveries(self, since: int, until: int, column: str, values: Sequence[str], linked_only: bool) -> Optional[set[str]]:
        self._ensure(since, until)
        out: set[str] = set()
        for side in (self.warehouse, self.tail):
            got = side.narrow_deliveries(since, until, column, values, linked_only)
            if got is None:
                return None
            out |= got
        return out

    def error_events(self, since: int, until: int) -> list[Any]:
        self._ensure(since, until)
        return self._both(lambda side: side.error_events(since, until))

    def extent(self, column: Optional[str], ident: Optional[str], lo: Optional[int], hi: Optional[int]) -> Optional[tuple[int, int]]:
        """The warehouse's (the tail holds at most the last hours)."""
        return self.warehouse.extent(column, ident, lo, hi)

    def compare_counts(self, since: int, until: int, filters: Any, opts: Any) -> Any:
        """The warehouse's aggregate statement when the tail holds nothing; else the counts of every delivery's
        exact timeline over both (``core.compare.reference_counts``): a delivery may be split between them, and
        the warehouse's sums cannot be merged with the tail's."""
        tail = self._ensure(since, until)
        if isinstance(tail, _Empty):
            return self.warehouse.compare_counts(since, until, filters, opts)
        from ..core.compare import reference_counts

        return reference_counts(self, since, until, filters, opts)

    def similar_ids(self, key: str, since: Optional[int] = None) -> list[tuple[str, str]]:
        self._ensure(since, None)
        return sorted(set(self.warehouse.similar_ids(key, since)) | set(self.tail.similar_ids(key, since)))


class KeptTail:
    """The tail's answers, kept with the warehouse's (``KeptAnswers``, the same file and lifetime) for the tail as
    listed now: its objects' keys, ETags and sizes are part of every question's key, so when the tail changed (an
    object arrived, was rewritten or was COPYed) its store is asked again. The store holds exactly those objects'
    events (``TailCache.kept_source`` trusts the same three), so the same question has the same answer: a repeat
    neither opens the tail store nor reads an object. ``load`` gives the store at the first question not kept;
    ``arrivals`` (following) is always the store's."""

    TAG = "tail-answers-1"
    MAX_ITEMS = 50_000  # an answer bigger than this is not kept (it would crowd the warehouse's out of the file)

    def __init__(self, answers: KeptAnswers, bucket: str, tail: Sequence[Any], load: Callable[[], Any]) -> None:
        self.answers, self.load = answers, load
        listed = json.dumps([self.TAG, bucket, [[o.key, o.etag, o.size] for o in tail]])
        self.tail = hashlib.sha256(listed.encode()).hexdigest()
        self.source: Any = None

    def opened(self) -> Any:
        if self.source is None:
            self.source = self.load()
        return self.source

    def _ask(self, name: str, *args: Any, **kwargs: Any) -> Any:
        question, params = f"tail:{name}", [self.tail, list(args), sorted(kwargs.items())]
        encode, decode = _KEPT[name]
        kept = self.answers.recall(question, params)
        if kept is not None:
            return decode(kept)
        got = getattr(self.opened(), name)(*args, **kwargs)
        value = encode(got)
        if value is not None and len(got or ()) <= self.MAX_ITEMS:
            self.answers.keep(value, question, params)
        return got

    def __getattr__(self, name: str) -> Any:
        if name in _KEPT:
            return lambda *a, **k: self._ask(name, *a, **k)
        return getattr(self.opened(), name)

    def release(self) -> None:
        if self.source is not None:
            self.source.release()

    def close(self) -> None:
        if self.source is not None:
            self.source.close()


def _events_kept(events: Sequence[Any]) -> Optional[list[list[Any]]]:
    """Events as ``[text, time]`` pairs; ``None`` (not kept) when one has no JSON text."""
    out = []
    for e in events:
        raw = e.raw
        if raw is None:
            return None
        out.append([raw, e.ts])
    return out


def _events_back(kept: Sequence[Sequence[Any]]) -> list[Any]:
    from ..core.model import Event

    return [Event.from_text(raw, ts) for raw, ts in kept]


def _pairs_back(kept: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
    return [tuple(pair) for pair in kept]


def _ids_kept(ids: Optional[set[str]]) -> dict[str, Any]:
    return {"ids": None if ids is None else sorted(ids)}


def _ids_back(kept: dict[str, Any]) -> Optional[set[str]]:
    return None if kept["ids"] is None else set(kept["ids"])


_EVENTS = (_events_kept, _events_back)
# each kept question of the tail: how its answer is kept (``None``: not kept) and made again
_KEPT: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "delivery_events": _EVENTS,
    "deliveries_events": _EVENTS,
    "events_in_spans": _EVENTS,
    "linked_events": _EVENTS,
    "error_events": _EVENTS,
    "kinds": (list, list),
    "active_deliveries": (list, _pairs_back),
    "similar_ids": (list, _pairs_back),
    "narrow_deliveries": (_ids_kept, _ids_back),
}


def _opened(store: Path) -> Source:
    """The tail store opened to read; nothing (``_Empty``) when no object was loaded into one."""
    from .local import LocalSource

    return LocalSource(store) if store.exists() else _Empty()


class _Empty(Source):
    """The tail when every object of the days is in the warehouse already: every question answered with
    nothing."""

    def kinds(self, subject_id: str, since: Optional[int] = None, until: Optional[int] = None) -> list[str]:
        return []

    def arrivals(self, *a: Any) -> int:
        return 0

    def release(self) -> None:
        pass

    def delivery_events(self, delivery_id: str, since: Optional[int], until: Optional[int]) -> list[Any]:
        return []

    def deliveries_events(self, delivery_ids: Sequence[str], since: Optional[int], until: Optional[int]) -> list[Any]:
        return []

    def events_in_spans(
        self, column: str, spans: Sequence[Any], untimed: bool = False, assignment_spans: Sequence[Any] = (), without_delivery: bool = False
    ) -> list[Any]:
        return []

    def baseline(self) -> Any:
        return None

    def active_deliveries(self, since: int, until: int) -> list[tuple[str, int]]:
        return []

    def linked_events(self, demands: Sequence[str], offers: Sequence[str], since: Optional[int], until: Optional[int]) -> list[Any]:
        return []

    def narrow_deliveries(self, since: int, until: int, column: str, values: Sequence[str], linked_only: bool) -> set[str]:
        return set()

    def error_events(self, since: int, until: int) -> list[Any]:
        return []

    def similar_ids(self, key: str, since: Optional[int] = None) -> list[tuple[str, str]]:
        return []
