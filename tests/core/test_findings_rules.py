"""findings rules §2, rule by rule, on small hand-made timelines (and section 3's judgements).

Each test builds a few records, a fleet baseline by hand (or none), runs the sessionizer and reads
``Timeline.findings``: the rules live in ``core/findings.py`` and never touch a store.
"""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from typing import Any

import pytest

from cocoevents.core.baseline import Baseline, Transition, compute, percentile
from cocoevents.core.model import Event, Lane
from cocoevents.core.options import Options
from cocoevents.core.sessionize import delivery_timeline, pilot_timeline, robot_timeline
from cocoevents.sources.memory import MemorySource
from cocoevents.timestamps import parse_timestamp

D = "D1"


def at(minute: float) -> str:
    """``minute`` minutes after 10:00 (negative: before), as an ISO timestamp."""
    t = datetime(2026, 11, 25, 10, 0) + timedelta(minutes=minute)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def ev(minute: float, name: str, **fields: Any) -> dict[str, Any]:
    fields.setdefault("delivery_id", D)
    if fields["delivery_id"] is None:
        del fields["delivery_id"]
    return {"event": name, "timestamp": at(minute), **fields}


class Source(MemorySource):
    """Records in memory with a baseline given by hand (``None``: the source keeps none)."""

    def __init__(self, records: list[dict[str, Any]], baseline: Baseline | None) -> None:
        super().__init__(records)
        self._given = baseline

    def baseline(self) -> Baseline | None:
        return self._given


def fleet(*transitions: tuple[str, str, int, float, float, float]) -> Baseline:
    return Baseline(Transition(*t) for t in transitions)


def findings(records: list[dict[str, Any]], baseline: Baseline | None = None, **opts: Any) -> list[Any]:
    return delivery_timeline(Source(records, baseline), D, Options(**opts)).findings


def kinds(found: list[Any]) -> list[tuple[str, str]]:
    return [(f.kind, f.severity) for f in found]


# -- rule 1 ---------------------------------------------------------------------------------------------------


def test_rule_1_every_error_row_is_an_error_finding_naming_the_event_its_code_and_message() -> None:
    found = findings(
        [
            ev(0, "delivery.pickup_arrival"),
            ev(1, "robot.grounded", delivery_id=None, robot_id="R-1"),  # not in this timeline: no robot segment
            ev(2, "delivery.failed", error={"code": "LID_STUCK", "message": "Lid stuck"}),
            ev(3, "delivery.note", level="ERROR"),
        ]
    )
    errors = [f for f in found if f.kind == "error"]
    assert [(f.severity, f.message, f.refs) for f in errors] == [
        ("error", "delivery.failed LID_STUCK: Lid stuck", (1,)),
        ("error", "delivery.note", (2,)),
    ]
    assert errors[0].ts == parse_timestamp(at(2)) and errors[0].lane == Lane("delivery")


# -- rule 2 ---------------------------------------------------------------------------------------------------

DRIVE = [ev(0, "delivery.pickup_completed"), ev(12, "delivery.dropoff_arrival")]


def test_rule_2_a_silence_is_a_warning_at_the_gaps_start_naming_both_rows_and_the_duration() -> None:
    (silence,) = findings(DRIVE)
    assert (silence.kind, silence.severity, silence.refs) == ("silence", "warning", (0, 1))
    assert silence.ts == parse_timestamp(at(0)) and silence.seconds == 720.0
    assert silence.message == "no events for 12m between delivery.pickup_completed and delivery.dropoff_arrival"


def test_rule_2_a_silence_the_fleet_calls_usual_is_info_and_says_so() -> None:
    usual = fleet(("delivery.pickup_completed", "delivery.dropoff_arrival", 50, 600, 900, 1000))
    (silence,) = findings(DRIVE, usual)
    assert silence.severity == "info"
    assert silence.message.endswith("usual: fleet p50 for delivery.pickup_completed -> delivery.dropoff_arrival is 10m")
    assert silence.baseline is not None and silence.baseline.n == 50


def test_rule_2_a_silence_stays_a_warning_when_the_baseline_has_too_few_samples() -> None:
    thin = fleet(("delivery.pickup_completed", "delivery.dropoff_arrival", 9, 600, 900, 1000))
    (silence,) = findings(DRIVE, thin)
    assert silence.severity == "warning" and "too few fleet samples" in silence.message
    assert kinds(findings(DRIVE, thin, baseline_min=9)) == [("silence", "info")]  # --baseline-min 9


def test_rule_2_a_silence_stays_a_warning_when_the_transition_is_slow() -> None:
    quick = fleet(("delivery.pickup_completed", "delivery.dropoff_arrival", 50, 240, 300, 330))
    found = findings(DRIVE, quick)
    assert kinds(found) == [("silence", "warning"), ("slow_step", "warning")]
    assert "longer than usual" in found[0].message


def test_rule_2_a_silence_across_rows_of_other_lanes_is_judged_by_the_steps_around_it() -> None:
    records = [
        ev(0, "delivery.pickup_completed", robot_id="R-1"),
        ev(6, "robot.state_changed", delivery_id=None, robot_id="R-1"),
        ev(12, "delivery.dropoff_arrival", robot_id="R-1"),
    ]
    usual = fleet(("delivery.pickup_completed", "delivery.dropoff_arrival", 50, 700, 900, 1000))
    found = findings(records, usual)
    assert kinds(found) == [("silence", "info"), ("silence", "info")]
    assert [f.refs for f in found] == [(0, 1), (1, 2)]


def test_rule_2_a_silence_with_no_step_before_it_stays_a_warning() -> None:
    records = [ev(0, "offer.received", delivery_id=None, offer_id="O-1"), ev(10, "demand.assigned", demand_id="DM-1", offer_id="O-1")]
    assert kinds(findings(records, fleet(("offer.received", "demand.assigned", 99, 600, 700, 800)))) == [("silence", "warning")]


def test_rule_2_robot_and_pilot_timelines_get_only_errors_and_silences_in_their_own_lane():
    records = [
        ev(0, "robot.deployed", delivery_id=None, robot_id="R-1"),
        ev(3, "delivery.pickup_completed", robot_id="R-1"),
        ev(4, "delivery.pickup_completed", robot_id="R-1"),  # after completion, out of order...: not judged here
        ev(30, "delivery.dropoff_completed", robot_id="R-1"),
        ev(31, "delivery.failed", robot_id="R-1", error={"code": "X"}),
        ev(0, "pilot.shift_started", delivery_id=None, pilot_id="P-1"),
        ev(20, "pilot.shift_ended", delivery_id=None, pilot_id="P-1"),
    ]
    usual = fleet(("delivery.pickup_completed", "delivery.dropoff_completed", 99, 1600, 1700, 1800))
    robot = robot_timeline(Source(records, usual), "R-1", DAY_OPTS)
    assert {f.kind for f in robot.findings} == {"silence", "error"}
    assert {f.lane for f in robot.findings if f.kind == "silence"} == {Lane("robot", "R-1")}
    pilot = pilot_timeline(Source(records, usual), "P-1", DAY_OPTS)
    assert kinds(pilot.findings) == [("silence", "info")] and pilot.findings[0].lane == Lane("pilot", "P-1")


# -- §2a: silences in robot and pilot timelines ------------------------------------------------------------------

DAY_OPTS = Options(since=parse_timestamp(at(-60)), until=parse_timestamp(at(300)))
PICKUP_TO_DROPOFF = ("delivery.pickup_completed", "delivery.dropoff_arrival", 50, 600, 900, 1000)


def robot_findings(records: list[dict[str, Any]], baseline: Baseline | None, robot: str = "R-1") -> list[Any]:
    return robot_timeline(Source(records, baseline), robot, DAY_OPTS).findings


def silences(found: list[Any]) -> list[tuple[str, str]]:
    return [(f.severity, f.message) for f in found if f.kind == "silence"]


def trip(delivery: str, start: float, robot: str = "R-1", drive: float = 12) -> list[dict[str, Any]]:
    """A delivery the robot carries: pickup completed, a drive of ``drive`` minutes, dropoff."""
    return [
        ev(start, "delivery.pickup_completed", delivery_id=delivery, robot_id=robot),
        ev(start + drive, "delivery.dropoff_arrival", delivery_id=delivery, robot_id=robot),
    ]


def test_section_2a_a_robot_idle_between_deliveries_is_info_not_a_warning() -> None:
    records = trip("D1", 0) + trip("D2", 74)  # 12 -> 74: idle for 1h02m
    found = robot_findings(records, fleet(PICKUP_TO_DROPOFF))
    assert ("info", "idle: no events for 1h02m between deliveries D1 and D2") in silences(found)
    idle = [f for f in found if f.message.startswith("idle:")][0]
    assert (idle.lane, idle.refs, idle.seconds, idle.baseline) == (Lane("robot", "R-1"), (1, 2), 3720.0, None)


def test_section_2a_idle_before_the_first_and_after_the_last_delivery_and_with_none_is_info() -> None:
    records = [
        ev(-30, "robot.deployed", delivery_id=None, robot_id="R-1"),
        *trip("D1", 0),
        ev(40, "robot.parked", delivery_id=None, robot_id="R-1"),
    ]
    assert silences(robot_findings(records, fleet(PICKUP_TO_DROPOFF))) == [
        ("info", "idle: no events for 30m before delivery D1"),
        (
            "info",
            "no events for 12m between delivery.pickup_completed and delivery.dropoff_arrival; "
            "usual: fleet p50 for delivery.pickup_completed -> delivery.dropoff_arrival of D1 is 10m",
        ),
        ("info", "idle: no events for 28m after delivery D1"),
    ]
    alone = [ev(0, "robot.deployed", delivery_id=None, robot_id="R-1"), ev(50, "robot.parked", delivery_id=None, robot_id="R-1")]
    assert silences(robot_findings(alone, None)) == [("info", "idle: no events for 50m with no delivery")]


def test_section_2a_a_silence_on_a_usual_transition_of_the_delivery_is_info_and_names_it() -> None:
    (silence,) = robot_findings(trip("D1", 0), fleet(PICKUP_TO_DROPOFF))
    assert (silence.kind, silence.severity, silence.refs, silence.lane) == ("silence", "info", (0, 1), Lane("robot", "R-1"))
    assert silence.baseline is not None and silence.baseline.n == 50


def test_section_2a_the_robots_own_rows_inside_a_delivery_do_not_change_the_delivery_rows_judged() -> None:
    records = [*trip("D1", 0, drive=14), ev(7, "robot.state_changed", delivery_id=None, robot_id="R-1")]
    found = robot_findings(records, fleet(PICKUP_TO_DROPOFF))
    assert [s for s, _ in silences(found)] == ["info", "info"]
    assert all("usual: fleet p50 for delivery.pickup_completed -> delivery.dropoff_arrival of D1" in m for _, m in silences(found))


@pytest.mark.parametrize(
    "baseline,said",
    [
        (fleet(("delivery.pickup_completed", "delivery.dropoff_arrival", 50, 240, 300, 330)), "of D1 took 12m, longer than usual"),
        (fleet(("delivery.pickup_completed", "delivery.dropoff_arrival", 9, 600, 900, 1000)), "too few fleet samples to judge"),
        (None, "no fleet baseline to judge D1"),
    ],
)
def test_section_2a_a_silence_on_the_job_the_fleet_does_not_call_usual_is_a_warning(baseline: Baseline | None, said: str) -> None:
    ((severity, message),) = silences(robot_findings(trip("D1", 0), baseline))
    assert severity == "warning" and said in message
    assert message.startswith("no events for 12m between delivery.pickup_completed and delivery.dropoff_arrival; ")


def test_section_2a_steps_of_the_delivery_the_robot_did_not_log_are_judged_with_it() -> None:
    """The delivery logs demand.active without the robot's id a minute into the robot's silence: the silence is
    judged on the delivery's own transitions across it (the Choice of findings rules §2a)."""
    records = [
        ev(0, "trip.started", robot_id="R-1"),
        ev(3, "demand.active", demand_id="DM-1"),  # D1's step, not the robot's
        ev(10, "delivery.pickup_arrival", robot_id="R-1"),
    ]
    both = fleet(("trip.started", "demand.active", 50, 150, 170, 190), ("demand.active", "delivery.pickup_arrival", 50, 400, 450, 500))
    assert silences(robot_findings(records, both)) == [
        (
            "info",
            "no events for 10m between trip.started and delivery.pickup_arrival; "
            "usual: fleet p50 for demand.active -> delivery.pickup_arrival of D1 is 6m40s",
        ),
    ]
    slow_first = fleet(("trip.started", "demand.active", 50, 5, 8, 10), ("demand.active", "delivery.pickup_arrival", 50, 400, 450, 500))
    ((severity, message),) = silences(robot_findings(records, slow_first))
    assert severity == "warning" and "trip.started -> demand.active of D1 took 3m, longer than usual" in message
    unjudged = fleet(("demand.active", "delivery.pickup_arrival", 50, 400, 450, 500))  # trip.started -> demand.active: no samples
    assert silences(robot_findings(records, unjudged))[0][0] == "warning"


def test_section_2a_a_silence_inside_two_deliveries_is_info_only_when_usual_for_both() -> None:
    records = [
        ev(0, "delivery.pickup_completed", delivery_id="D1", robot_id="R-1"),
        ev(1, "delivery.pickup_completed", delivery_id="D2", robot_id="R-1"),
        ev(13, "delivery.dropoff_arrival", delivery_id="D1", robot_id="R-1"),
        ev(14, "delivery.dropoff_arrival", delivery_id="D2", robot_id="R-1"),
    ]
    ((severity, message),) = silences(robot_findings(records, fleet(PICKUP_TO_DROPOFF)))
    assert severity == "info" and "of D1 is 10m" in message and "of D2 is 10m" in message
    slow_second = [*trip("D1", 0), *trip("D2", 1, drive=40)]  # D2's drive of 40m is slow (over 2 x p50)
    first, second = silences(robot_findings(slow_second, fleet(PICKUP_TO_DROPOFF)))
    assert first[0] == "warning" and "of D1 is 10m" in first[1] and "of D2 took 40m, longer than usual" in first[1]
    assert second[0] == "warning"


def test_section_2a_a_pilots_silence_inside_its_robots_delivery_is_judged_the_same() -> None:
    records = [
        ev(-1, "pilot.assignment_started", delivery_id=None, robot_id="R-1", pilot_id="P-1"),
        *trip("D1", 0),
        ev(20, "pilot.assignment_ended", delivery_id=None, robot_id="R-1", pilot_id="P-1"),
    ]
    pilot = pilot_timeline(Source(records, fleet(PICKUP_TO_DROPOFF)), "P-1", DAY_OPTS)
    assert [(f.severity, f.message.split(";")[-1].strip()) for f in pilot.findings] == [
        ("info", "usual: fleet p50 for delivery.pickup_completed -> delivery.dropoff_arrival of D1 is 10m"),
        ("info", "idle: no events for 8m after delivery D1"),
    ]


class Counting(Source):
    def __init__(self, *a: Any) -> None:
        super().__init__(*a)
        self.asked: list[str] = []

    def deliveries_events(self, *a: Any) -> list[Event]:
        self.asked.append("deliveries_events")
        return super().deliveries_events(*a)

    def baseline(self) -> Baseline | None:
        self.asked.append("baseline")
        return super().baseline()


def test_section_2a_the_source_is_asked_for_the_deliveries_steps_and_the_baseline_once_and_only_when_needed() -> None:
    many = [r for k in range(8) for r in trip(f"D{k}", k * 30)]
    source = Counting(many, fleet(PICKUP_TO_DROPOFF))
    robot_timeline(source, "R-1", DAY_OPTS)
    assert source.asked == ["deliveries_events", "baseline"]
    idle_only = Counting(
        [ev(0, "robot.deployed", delivery_id=None, robot_id="R-1"), ev(50, "robot.parked", delivery_id=None, robot_id="R-1")], None
    )
    robot_timeline(idle_only, "R-1", DAY_OPTS)
    assert idle_only.asked == []


# -- rule 3 ---------------------------------------------------------------------------------------------------


def test_rule_3_each_pair_of_chain_steps_in_the_wrong_order_is_out_of_order_once_at_the_later_steps_time():
    found = findings([ev(0, "delivery.pickup_completed"), ev(1, "delivery.pickup_started"), ev(2, "delivery.pickup_arrival")])
    ooo = [f for f in found if f.kind == "out_of_order"]
    assert [(f.message, f.refs, f.ts) for f in ooo] == [
        ("delivery.pickup_completed came 1m before delivery.pickup_started", (0, 1), parse_timestamp(at(0))),
        ("delivery.pickup_completed came 2m before delivery.pickup_arrival", (0, 2), parse_timestamp(at(0))),
        ("delivery.pickup_started came 1m before delivery.pickup_arrival", (1, 2), parse_timestamp(at(1))),
    ]
    assert {f.severity for f in ooo} == {"warning"}


def test_rule_3_a_step_occurs_at_its_first_row_and_equal_times_are_not_out_of_order() -> None:
    found = findings(
        [
            ev(0, "trip.created"),
            ev(1, "trip.started"),
            ev(2, "trip.created"),  # a retry later
            ev(3, "demand.assigned", demand_id="DM-1"),
            ev(3, "demand.created", demand_id="DM-1"),
        ]
    )
    assert [f for f in found if f.kind == "out_of_order"] == []


# -- rule 4 ---------------------------------------------------------------------------------------------------

LOGS_PICKUP_STARTED = fleet(
    ("delivery.pickup_arrival", "delivery.pickup_started", 40, 60, 90, 100),
    ("delivery.pickup_started", "delivery.pickup_completed", 40, 60, 90, 100),
)


def test_rule_4_a_step_the_fleet_logs_that_never_came_is_missing_at_the_earliest_later_step_of_its_chain():
    found = findings(
        [ev(0, "delivery.pickup_arrival"), ev(2, "delivery.pickup_completed"), ev(3, "delivery.dropoff_arrival")], LOGS_PICKUP_STARTED
    )
    (missing,) = [f for f in found if f.kind == "missing_step"]
    assert (missing.severity, missing.refs, missing.ts) == ("warning", (1,), parse_timestamp(at(2)))
    assert missing.message == "delivery.pickup_started never came, though delivery.pickup_completed did"


def test_rule_4_a_step_the_fleet_never_logs_and_a_step_after_the_last_one_are_not_missing() -> None:
    records = [ev(0, "trip.created"), ev(1, "trip.started"), ev(2, "delivery.pickup_arrival")]
    # trip.assigned: the fleet never logs it; delivery.pickup_started: nothing after it occurred
    found = findings(records, LOGS_PICKUP_STARTED)
    assert [f for f in found if f.kind == "missing_step"] == []
    thin = fleet(("trip.created", "trip.assigned", 9, 1, 1, 1))
    assert [f for f in findings(records, thin) if f.kind == "missing_step"] == []


def test_rule_4_without_a_baseline_no_step_is_missing() -> None:
    found = findings([ev(0, "delivery.pickup_arrival"), ev(2, "delivery.pickup_completed")])
    assert [f for f in found if f.kind == "missing_step"] == []


# -- rule 5 ---------------------------------------------------------------------------------------------------


def test_rule_5_delivery_rows_after_the_first_dropoff_completed_are_after_completion() -> None:
    found = findings(
        [
            ev(0, "delivery.dropoff_completed"),
            ev(0.5, "demand.fulfilled", demand_id="DM-1"),
            ev(1, "delivery.dropoff_completed"),
            ev(2, "delivery.failed"),
        ]
    )
    after = [f for f in found if f.kind == "after_completion"]
    assert [(f.severity, f.refs, f.message) for f in after] == [
        ("warning", (2,), "delivery.dropoff_completed 1m after delivery.dropoff_completed"),
        ("warning", (3,), "delivery.failed 2m after delivery.dropoff_completed"),
    ]


# -- rule 6 ---------------------------------------------------------------------------------------------------


def test_rule_6_a_robot_swap_is_a_reassignment_whose_cause_is_the_old_robots_last_error() -> None:
    records = [
        ev(0, "demand.assigned", robot_id="R-7"),
        ev(1, "robot.state_changed", delivery_id=None, robot_id="R-7"),
        ev(2, "robot.grounded", delivery_id=None, robot_id="R-7", error={"code": "MOTOR"}),
        ev(4, "demand.assigned", robot_id="R-12"),
        ev(5, "delivery.pickup_arrival", robot_id="R-12"),
    ]
    (swap,) = [f for f in findings(records) if f.kind == "reassignment"]
    assert (swap.severity, swap.ts, swap.refs, swap.lane) == ("info", parse_timestamp(at(4)), (3,), Lane("delivery"))
    assert swap.cause == {"ref": 2, "event": "robot.grounded", "ts": "2026-11-25T10:02:00.000Z", "lane": "robot:R-7", "code": "MOTOR"}
    assert swap.message.startswith("R-7 -> R-12 after robot.grounded MOTOR")


def test_rule_6_an_error_before_the_old_segment_or_of_another_robot_is_no_cause() -> None:
    records = [
        ev(0, "delivery.failed", error={"code": "EARLY"}),
        ev(1, "demand.assigned", robot_id="R-7"),
        ev(3, "demand.assigned", robot_id="R-12"),
        ev(6, "demand.assigned", robot_id="R-7"),
    ]  # A -> B -> A: two swaps
    swaps = [f for f in findings(records) if f.kind == "reassignment"]
    assert [(f.message, f.cause) for f in swaps] == [
        ("R-7 -> R-12 (no error before the swap)", None),
        ("R-12 -> R-7 (no error before the swap)", None),
    ]
    assert swaps[0].to_dict()["cause"] is None


# -- rule 7 ---------------------------------------------------------------------------------------------------


def test_rule_7_a_later_pilot_window_is_a_handoff_from_the_pilot_whose_window_ended_last() -> None:
    records = [
        ev(-60, "pilot.assignment_started", delivery_id=None, pilot_id="P-3", robot_id="R-1"),
        ev(0, "demand.assigned", robot_id="R-1"),
        ev(5, "pilot.assignment_ended", delivery_id=None, pilot_id="P-3", robot_id="R-1"),
        ev(6, "pilot.assignment_started", delivery_id=None, pilot_id="P-5", robot_id="R-1"),
        ev(9, "attempt.started", robot_id="R-1", pilot_id="P-7"),  # a direct pilot window, P-5 still on
        ev(10, "delivery.dropoff_completed", robot_id="R-1"),
    ]
    handoffs = [f for f in findings(records) if f.kind == "handoff"]
    assert [(f.message, f.ts, f.lane, f.refs) for f in handoffs] == [
        ("P-3 -> P-5", parse_timestamp(at(6)), Lane("pilot", "P-5"), (2,)),
        ("P-3 -> P-7", parse_timestamp(at(9)), Lane("pilot", "P-7"), (3,)),
    ]


def test_rule_7_a_handoff_with_no_window_ended_before_it_comes_from_null() -> None:
    records = [
        ev(0, "demand.assigned", robot_id="R-1", pilot_id="P-1"),
        ev(2, "attempt.started", robot_id="R-1", pilot_id="P-2"),
        ev(3, "delivery.dropoff_completed", robot_id="R-1", pilot_id="P-2"),
    ]
    # P-1's direct window runs until P-2's starts (end excluded), so it ended at that instant
    assert [f.message for f in findings(records) if f.kind == "handoff"] == ["P-1 -> P-2"]
    overlapping = [
        ev(-1, "pilot.assignment_started", delivery_id=None, pilot_id="P-9", robot_id="R-1"),
        ev(0, "demand.assigned", robot_id="R-1"),
        ev(2, "attempt.started", robot_id="R-1", pilot_id="P-2"),
        ev(3, "delivery.dropoff_completed", robot_id="R-1"),
    ]
    assert [f.message for f in findings(overlapping) if f.kind == "handoff"] == ["null -> P-2"]


# -- rule 8 ---------------------------------------------------------------------------------------------------


def test_rule_8_a_transition_beyond_p99_twice_p50_and_a_minute_over_is_a_slow_step() -> None:
    records = [ev(0, "attempt.started"), ev(40, "delivery.dropoff_arrival")]
    drive = fleet(("attempt.started", "delivery.dropoff_arrival", 200, 600, 1000, 1300))
    (slow,) = [f for f in findings(records, drive) if f.kind == "slow_step"]
    assert (slow.severity, slow.ts, slow.refs, slow.seconds) == ("warning", parse_timestamp(at(40)), (0, 1), 2400.0)
    assert slow.message == ("attempt.started -> delivery.dropoff_arrival took 40m (fleet p50 10m, p99 21m40s, n=200)")


@pytest.mark.parametrize(
    "seconds,p50,p99,slow",
    [
        (200, 60, 180, True),  # all three conditions
        (170, 60, 180, False),  # not beyond p99
        (200, 110, 180, False),  # not twice p50
        (50, 10, 40, False),  # beyond p99 and twice p50, but less than a minute over p50
        (70, 10, 40, True),
    ],
)
def test_rule_8_slow_needs_beyond_p99_and_twice_p50_and_a_minute_more_than_p50(seconds, p50, p99, slow) -> None:
    records = [ev(0, "delivery.pickup_arrival"), ev(seconds / 60, "delivery.pickup_started")]
    base = fleet(("delivery.pickup_arrival", "delivery.pickup_started", 10, p50, p99, p99))
    assert any(f.kind == "slow_step" for f in findings(records, base)) is slow


def test_rule_8_an_unjudged_transition_or_no_baseline_gives_no_slow_step() -> None:
    records = [ev(0, "attempt.started"), ev(40, "delivery.dropoff_arrival")]
    thin = fleet(("attempt.started", "delivery.dropoff_arrival", 9, 600, 1000, 1300))
    assert [f for f in findings(records, thin) if f.kind == "slow_step"] == []
    assert [f for f in findings(records, None) if f.kind == "slow_step"] == []


def test_rule_8_a_quick_step_between_names_of_a_slow_judged_pair_is_not_slow_and_an_unjudged_pair_never_is() -> None:
    # the rule looks one by one only at steps at least as long as the least bound of the pairs judged between the
    # names met: here arrival -> started's (90 s), so started -> completed's 3 minutes are looked at, and are unjudged
    records = [ev(0, "delivery.pickup_arrival"), ev(1, "delivery.pickup_started"), ev(4, "delivery.pickup_completed")]
    base = fleet(
        ("delivery.pickup_arrival", "delivery.pickup_started", 10, 30, 60, 60),  # slow from 90 s
        ("delivery.pickup_completed", "delivery.pickup_arrival", 10, 100, 200, 200),  # slow from 200 s
    )
    assert base.least_slow({"delivery.pickup_arrival", "delivery.pickup_started", "delivery.pickup_completed"}) == 90.0
    assert base.least_slow({"delivery.pickup_started", "delivery.pickup_completed"}) is None
    assert [f for f in findings(records, base) if f.kind == "slow_step"] == []
    slow = [*records, ev(7, "delivery.pickup_arrival"), ev(11, "delivery.pickup_started")]  # 3 min: not slow; 4 min: slow
    assert [f.refs for f in findings(slow, base) if f.kind == "slow_step"] == [(3, 4)]


def test_a_baseline_judged_with_another_sample_minimum_is_made_once_and_judges_with_it() -> None:
    base = fleet(("attempt.started", "delivery.dropoff_arrival", 9, 600, 1000, 1300))
    strict, lax = base.with_min_samples(10), base.with_min_samples(5)
    assert base.with_min_samples(5) is lax and base.with_min_samples(base.min_samples) is base
    assert strict.judged("attempt.started", "delivery.dropoff_arrival") is None
    assert lax.judged("attempt.started", "delivery.dropoff_arrival") is not None
    assert strict.least_slow({"attempt.started", "delivery.dropoff_arrival"}) is None
    assert lax.least_slow({"attempt.started", "delivery.dropoff_arrival"}) == 1300.0


# -- order, output, --check --------------------------------------------------------------------------------------


def test_findings_are_ordered_by_time_then_kind_then_refs() -> None:
    records = [
        ev(0, "demand.assigned", robot_id="R-1"),
        ev(10, "delivery.pickup_started", robot_id="R-2", error={"code": "A"}),
        ev(10, "delivery.note", robot_id="R-2", level="error"),
        ev(10.5, "delivery.pickup_arrival", robot_id="R-2"),
    ]
    found = findings(records)
    assert [(f.kind, f.refs) for f in found] == [
        ("silence", (0, 1)),  # at 0
        ("error", (1,)),
        ("error", (2,)),
        ("out_of_order", (1, 3)),
        ("reassignment", (1,)),  # all at 10
    ]


def test_the_summary_counts_findings_by_severity_and_check_fails_on_errors_and_warnings_only() -> None:
    usual = fleet(("delivery.pickup_completed", "delivery.dropoff_arrival", 50, 600, 900, 1000))
    t = delivery_timeline(Source(DRIVE, usual), D, Options())
    assert t.summary["findings"] == {"error": 0, "warning": 0, "info": 1}
    assert t.to_dict()["findings"][0]["kind"] == "silence"
    assert not t.fails(("errors", "warnings"))  # --check: a usual drive is not a problem
    assert t.fails(("errors", "gaps"))  # the old meaning: any gap
    thin = delivery_timeline(Source(DRIVE, None), D, Options())
    assert thin.fails(("warnings",)) and not thin.fails(("errors",))


# -- section 3: the baseline -------------------------------------------------------------------------------------


def test_baseline_percentiles_are_linear_interpolations_between_closest_ranks() -> None:
    values = sorted([3.0, 1.0, 4.0, 1.5, 9.0, 2.6, 5.3, 5.8, 9.7, 9.3, 2.3, 8.4])
    cuts = statistics.quantiles(values, n=100, method="inclusive")  # the same definition, by the standard library
    assert [round(percentile(values, p), 9) for p in (0.5, 0.95, 0.99)] == [round(cuts[i], 9) for i in (49, 94, 98)]
    assert percentile([7.0], 0.99) == 7.0


def test_baseline_steps_are_direct_timed_events_one_per_name_and_instant_in_timeline_order() -> None:
    records = [
        ev(0, "delivery.pickup_arrival"),
        ev(0, "delivery.pickup_arrival", note="copy"),  # one step
        ev(1, "demand.etas_updated"),
        ev(1, "attempt.started"),  # same instant: registry order
        {"event": "delivery.note", "delivery_id": D, "timestamp": "never"},  # no usable time
        ev(2, "delivery.pickup_started", delivery_id=None, demand_id="DM-1"),  # not direct
        ev(5, "delivery.dropoff_arrival"),
    ]
    b = compute([Event.from_record(r) for r in records])
    assert [(t.a, t.b, t.n, t.p50) for t in b.transitions] == [
        ("demand.etas_updated", "attempt.started", 1, 0.0),
        ("delivery.pickup_arrival", "demand.etas_updated", 1, 60.0),
        ("attempt.started", "delivery.dropoff_arrival", 1, 240.0),
    ]
