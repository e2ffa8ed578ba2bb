"""Following a timeline as its events arrive: ``coco timeline ID --follow`` and ``f`` in ``coco explore``.

Two parts, both pure of any terminal:

- ``diff`` compares a new build of the timeline with the rows already shown and says what is new: the rows not
  shown before in their places, those among them that arrived out of order (a row already shown comes after
  them: they are placed where they belong and announced, never appended at the end), the findings that appeared
  or went away, and the status. A row is known by its event's canonical text (timeline rules §7: one record is
  one event), so no row is shown twice whatever the order in which polls see them.
- ``Follower`` asks the source. Each ``poll`` lets the source see what arrived since the last one
  (``EventSource.refresh``: a local store is opened again after other loads commit, an s3 profile syncs the new
  objects, Redshift starts a new read-only transaction), then asks ``EventSource.arrivals`` - one bounded
  question over the subject's ids since its story began - and rebuilds the timeline by the same rules as
  ``coco timeline`` (``lookup.build``) only when that answer changed. Between polls it lets go of what a
  writer needs (``EventSource.release``), so loads commit while a timeline is followed.

Why a full rebuild instead of appending the events that came: the rules place an event by what surrounds it (a
robot's segment starts at its assignment, a pilot's window through the robot), so an event that arrives late can
move what others mean; the rebuild is the timeline ``coco timeline`` would print at that moment, and ``diff``
makes it an append-only story. Why ``arrivals`` counts from the subject's start and not from the last poll: an
event stamped before the last poll that arrives after it (out of order) would be missed by a cursor over the
event time; counting the subject's rows since its story began sees it, and stays bounded by the event time.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Hashable, Optional, Sequence

from ..timestamps import now_us
from .model import Row, Timeline
from .options import Options
from .source_protocol import EventSource

FINAL_STATUSES = ("failed", "fulfilled", "canceled")  # timeline rules §6: a delivery that will not change status
DEFAULT_INTERVAL = 5.0  # seconds between polls (``--interval``)


def row_key(row: Row) -> str:
    """What makes a row the same row in two builds: its event (rule 7's canonical text)."""
    return row.event.text


def finding_key(finding: Any) -> str:
    """What makes a finding the same finding in two builds: all it says."""
    from .model import canonical_json

    return canonical_json(finding.to_dict())


@dataclass
class Update:
    """What one poll found: ``added`` and ``late`` are positions in ``timeline.rows`` (in order); a late row
    belongs before a row shown earlier. ``changed``: whether the timeline was rebuilt at all."""

    timeline: Timeline
    added: list[int] = field(default_factory=list)
    late: list[int] = field(default_factory=list)
    findings_added: list[Any] = field(default_factory=list)
    findings_gone: list[Any] = field(default_factory=list)
    status_before: Optional[str] = None
    changed: bool = False

    @property
    def status_changed(self) -> bool:
        return self.changed and self.status_before != self.timeline.status

    @property
    def rows(self) -> list[Row]:
        return [self.timeline.rows[i] for i in self.added]

    def after(self, index: int) -> Optional[Row]:
        """The row shown before position ``index`` (a late row is placed right after it), if any."""
        return self.timeline.rows[index - 1] if index > 0 else None


@dataclass
class Shown:
    """What has been shown so far: the rows' keys, the findings' keys, the status."""

    rows: set[str] = field(default_factory=set)
    findings: dict[str, Any] = field(default_factory=dict)
    status: Optional[str] = None


def diff(shown: Shown, timeline: Timeline) -> Update:
    """What ``timeline`` holds that ``shown`` did not, and ``shown`` updated to it (the rows only grow: a row
    shown once stays shown)."""
    update = Update(timeline, status_before=shown.status, changed=True)
    last_shown = -1
    for n, row in enumerate(timeline.rows):
        key = row_key(row)
        if key in shown.rows:
            last_shown = n
        else:
            update.added.append(n)
    update.late = [n for n in update.added if n < last_shown]
    shown.rows.update(row_key(timeline.rows[n]) for n in update.added)
    now = {finding_key(f): f for f in timeline.findings}
    update.findings_added = [f for k, f in now.items() if k not in shown.findings]
    update.findings_gone = [f for k, f in shown.findings.items() if k not in now]
    shown.findings = now
    shown.status = timeline.status
    return update


def watch_of(timeline: Timeline, opts: Options) -> tuple[int, dict[str, list[str]]]:
    """What ``arrivals`` is asked about a timeline: since when (``--since``, else the assignment lookback before
    the story's first row - linked offer and demand events come before the delivery's own), and the ids whose
    rows may change it, by column."""
    first = timeline.start if timeline.start is not None else (timeline.until or now_us())
    since = opts.since if opts.since is not None else first - opts.assignment_lookback_us
    ids: dict[str, set[str]] = {}

    def add(column: str, values: Sequence[Optional[str]]) -> None:
        ids.setdefault(column, set()).update(v for v in values if v)

    add(f"{timeline.kind}_id", [timeline.id])
    add("robot_id", timeline.robots)
    add("pilot_id", timeline.pilots)
    if timeline.kind == "delivery":
        add("demand_id", [r.event.demand_id for r in timeline.rows])
        add("offer_id", [r.event.offer_id for r in timeline.rows])
    return since, {column: sorted(values) for column, values in ids.items() if values}


class Follower:
    """A timeline kept current: ``start`` builds it once, each ``poll`` says what arrived since (``Update``).

    ``build`` is ``lookup.build``'s signature (injected so the explore app can share its source and options);
    ``clock`` gives the time a robot's or pilot's range ends at (its range moves with the clock, its start
    stays where the first build put it)."""

    def __init__(
        self,
        source: EventSource,
        subject_id: str,
        kind: Optional[str] = None,
        opts: Options = Options(),
        *,
        clock: Callable[[], int] = now_us,
        build: Optional[Callable[..., Timeline]] = None,
    ) -> None:
        if build is None:
            from .lookup import build as build_timeline

            build = build_timeline
        self.source = source
        self.subject_id = subject_id
        self.kind = kind
        self.opts = opts
        self.clock = clock
        self._build = build
        self.shown = Shown()
        self.timeline: Optional[Timeline] = None
        self.fingerprint: Optional[Hashable] = None
        self.polls = 0

    def _rebuild(self) -> Timeline:
        timeline = self._build(self.source, self.subject_id, self.kind, self.opts, now=self.clock())
        if self.timeline is None:
            self.kind = timeline.kind
            self.subject_id = timeline.id  # a demand or offer id: the delivery it links to
            if timeline.kind != "delivery" and self.opts.since is None:
                self.opts = replace(self.opts, since=timeline.since)  # the range's start stays; its end moves
        return timeline

    def _arrivals(self, timeline: Timeline) -> Hashable:
        since, ids = watch_of(timeline, self.opts)
        return self.source.arrivals(since, ids)

    def start(self) -> Update:
        """The first build: every row is new, none is late."""
        try:
            self.timeline = self._rebuild()  # no fingerprint yet: it is only kept when asked before a build
            return diff(self.shown, self.timeline)
        finally:
            self.source.release()

    def resume(self, timeline: Timeline) -> None:
        """Follow on from ``timeline``, already shown (the explore app follows the timeline on screen): its rows
        count as shown, and its range start stays."""
        self.timeline = timeline
        self.kind, self.subject_id = timeline.kind, timeline.id
        if timeline.kind != "delivery" and self.opts.since is None:
            self.opts = replace(self.opts, since=timeline.since)
        diff(self.shown, timeline)

    def poll(self) -> Update:
        """What arrived since the last poll (``changed`` is false when the source says nothing did)."""
        assert self.timeline is not None, "start() first"
        self.polls += 1
        try:
            self.source.refresh()
            fingerprint = self._arrivals(self.timeline)
            if fingerprint is not None and fingerprint == self.fingerprint:
                return Update(self.timeline, status_before=self.shown.status)
            timeline = self._rebuild()
            # the ids watched may have grown (a new robot, pilot, demand or offer): the next poll rebuilds once more
            # and asks about them from then on
            grown = watch_of(timeline, self.opts)[1] != watch_of(self.timeline, self.opts)[1]
            self.fingerprint = None if grown else fingerprint
            self.timeline = timeline
            return diff(self.shown, timeline)
        finally:
            self.source.release()

    @property
    def done(self) -> bool:
        """``--until-done``: the delivery reached a final status (timeline rules §6)."""
        return self.timeline is not None and self.timeline.kind == "delivery" and self.timeline.status in FINAL_STATUSES


def follow_loop(
    follower: Follower, interval: float, on_update: Callable[[Update], None], *, until_done: bool = False, sleep: Callable[[float], None]
) -> None:
    """Poll every ``interval`` seconds, handing each ``Update`` to ``on_update``, until the delivery is done
    (``until_done``) or the caller is interrupted (Ctrl-C raises out of ``sleep``)."""
    while not (until_done and follower.done):
        sleep(interval)
        on_update(follower.poll())
