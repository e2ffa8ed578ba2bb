"""Following a timeline (``core.follow``): the pure diff and the poller, on the in-memory source (the reference)."""

from __future__ import annotations

from cocoevents.core.follow import Follower, Shown, diff, follow_loop, watch_of
from cocoevents.core.lookup import build
from cocoevents.core.model import Event
from cocoevents.core.options import Options, parse_options
from cocoevents.devtools.generator import scenarios
from cocoevents.sources.memory import MemorySource

from ..support.follow import DELIVERY, SINCE, arrivals, check_story


def test_twenty_polls_of_out_of_order_arrivals_show_every_row_once_and_announce_the_late_ones():
    head, parts = arrivals(polls=20)
    source = MemorySource(head)
    follower = Follower(source, DELIVERY)
    updates = [follower.start()]
    for part in parts:
        source.events += [Event.from_record(r) for r in part]
        updates.append(follower.poll())
    final = build(MemorySource(head + [r for p in parts for r in p]), DELIVERY, None, Options())
    counts = check_story(updates, final)
    assert counts["late"] > 0, "the arrivals were meant to be out of order"
    assert follower.timeline is not None and [r.event.text for r in follower.timeline.rows] == [r.event.text for r in final.rows]
    assert follower.done and follower.timeline.status == "failed"


def test_a_poll_with_nothing_new_rebuilds_nothing_and_adds_nothing():
    head, parts = arrivals(polls=3)
    source = MemorySource(head + parts[0])
    follower = Follower(source, DELIVERY)
    follower.start()
    follower.poll()  # the first poll builds once more and learns the fingerprint
    calls = []
    follower._build = lambda *a, **k: calls.append(a)  # type: ignore[assignment]
    quiet = follower.poll()
    assert not quiet.changed and quiet.added == [] and calls == []


def test_a_late_row_is_placed_before_the_rows_already_shown_that_come_after_it():
    head, parts = arrivals(polls=2)
    records = head + parts[0] + parts[1]
    everything = build(MemorySource(records), DELIVERY, None, Options())
    middle = everything.rows[len(everything.rows) // 2].event
    shown = Shown()
    diff(shown, build(MemorySource([r for r in records if Event.from_record(r).text != middle.text]), DELIVERY, None, Options()))
    update = diff(shown, everything)
    assert [everything.rows[n].event.text for n in update.added] == [middle.text]
    assert update.late == update.added  # rows shown before come after it
    assert update.after(update.added[0]) is everything.rows[update.added[0] - 1]


def test_findings_that_appear_and_go_away_are_both_reported():
    records = [r for r in scenarios() if r["timestamp"] < "2026-11-25T10:42"]
    missing = next(r for r in records if r["event"] == "delivery.pickup_arrival" and r.get("robot_id") == "R-7")
    shown = Shown()
    first = build(MemorySource([r for r in records if r is not missing]), DELIVERY, None, Options())
    diff(shown, first)
    second = build(MemorySource(scenarios()), DELIVERY, None, Options())
    update = diff(shown, second)
    added = {(f.kind, f.message.split(" between")[0]) for f in update.findings_added}
    gone = {(f.kind, f.message.split(" between")[0]) for f in update.findings_gone}
    assert ("error", "delivery.failed LID_STUCK: Lid stuck closed at dropoff") in added  # the failed dropoff arrived
    assert ("silence", "no events for 9m42s") in gone  # the late pickup arrival filled the silence
    assert ("silence", "no events for 8m42s") in added
    assert update.status_before == "in_progress" and second.status == "failed" and update.status_changed


def test_the_watch_covers_the_delivery_its_links_robots_and_pilots_from_before_its_story():
    head, parts = arrivals(polls=1)
    t = build(MemorySource(head + parts[0]), DELIVERY, None, Options())
    since, ids = watch_of(t, Options())
    assert since == t.start - Options().assignment_lookback_us
    assert ids["delivery_id"] == [DELIVERY] and ids["robot_id"] == ["R-12", "R-7"]
    assert "DM-12345" in ids["demand_id"] and "O-12345" in ids["offer_id"] and "P-5" in ids["pilot_id"]
    assert watch_of(t, parse_options(since=SINCE))[0] == parse_options(since=SINCE).since


def test_a_robot_is_followed_with_its_range_start_fixed_and_its_end_at_the_clock():
    head, parts = arrivals(polls=1)
    source = MemorySource(head + parts[0])
    clock = iter([parse_options(since="2026-11-25T10:20:00Z").since, parse_options(since="2026-11-25T12:00:00Z").since])
    follower = Follower(source, "R-12", clock=lambda: next(clock))
    first = follower.start()
    assert first.timeline.until == parse_options(since="2026-11-25T10:20:00Z").since
    update = follower.poll()
    assert update.timeline.since == first.timeline.since and update.timeline.until > first.timeline.until
    assert update.added, "the robot's later rows came with the clock"
    assert not follower.done  # only a delivery is ever done


def test_the_loop_stops_when_the_delivery_is_done_and_not_before():
    head, parts = arrivals(polls=4)
    source = MemorySource(head)
    follower = Follower(source, DELIVERY)
    follower.start()
    pending = list(parts)
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        source.events += [Event.from_record(r) for r in pending.pop(0)]

    seen = []
    follow_loop(follower, 0.25, seen.append, until_done=True, sleep=sleep)
    assert follower.done and slept == [0.25] * len(seen)
    statuses = [u.timeline.status for u in seen]
    assert statuses[-1] == "failed" and "failed" not in statuses[:-1]  # stopped at the poll that saw the outcome
    assert pending, "the other stories' events were still to come"
