"""Findings as the on-call engineer meets them: the demo's D12345, ``--check``, ``--fail-on``, ``--baseline-min``,
and a delivery whose drive took three times the fleet's p95 (issue 10, "Done when")."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from cocoevents.store.loader import load

from ..support.cli import run_coco, write_lines

DRIVE = ("attempt.started", "delivery.dropoff_arrival")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    assert run_coco("demo", "--store", str(store)).code == 0
    return store


def timeline(store: Path, *args: str):  # noqa: ANN201
    return run_coco("timeline", *args, "--store", str(store))


def test_the_demo_delivery_reads_as_findings_error_swap_with_its_cause_handoff_and_a_usual_drive(demo) -> None:
    r = timeline(demo, "D12345", "--no-color")
    assert r.code == 0 and r.err == ""
    section = r.out.split("What stands out", 1)[1].splitlines()
    text = "\n".join(section)
    assert "error         delivery.failed LID_STUCK: Lid stuck closed at dropoff" in text
    assert "reassignment  R-7 -> R-12 after robot.grounded MOTOR_OVERCURRENT" in text
    assert "handoff       P-3 -> P-5" in text
    assert "silence       no events for 15m03s between attempt.started and delivery.dropoff_arrival; usual: " in text
    assert "warning" not in section[0]  # (3 errors, 5 info): the normal drive raises no alarm
    doc = timeline(demo, "D12345", "-f", "json").json()
    swap = next(f for f in doc["findings"] if f["kind"] == "reassignment")
    assert swap["cause"]["event"] == "robot.grounded" and doc["events"][swap["cause"]["ref"]]["event"] == "robot.grounded"
    assert doc["summary"]["findings"] == {"error": 3, "warning": 0, "info": 5}


def test_check_exits_1_for_the_demo_delivery_because_of_its_error_findings(demo) -> None:
    assert timeline(demo, "D12345", "--check").code == 1
    assert timeline(demo, "D12345", "--fail-on", "warnings").code == 1  # error findings count as warnings too


def test_check_exits_0_for_normal_demo_deliveries_although_their_drive_is_a_gap(demo) -> None:
    doc = timeline(demo, "D200020", "-f", "json").json()
    assert doc["summary"]["status"] == "fulfilled" and doc["summary"]["gaps"] >= 1
    assert timeline(demo, "D200020", "--check").code == 0
    assert timeline(demo, "D200020", "--fail-on", "errors,gaps").code == 1  # the old meaning of --check
    fulfilled = passing = 0
    for n in range(0, 300, 7):
        doc = timeline(demo, f"D{200000 + n}", "-f", "json")
        if doc.code == 0 and doc.json()["summary"]["status"] == "fulfilled":
            fulfilled += 1
            passing += timeline(demo, f"D{200000 + n}", "--check").code == 0
    assert fulfilled >= 30 and passing >= fulfilled - 2  # a normal day: almost no delivery stands out


def test_a_delivery_whose_drive_took_three_times_the_fleets_p95_gets_a_slow_step_and_fails_check(demo, tmp_path):
    store = tmp_path / "slow.duckdb"
    shutil.copyfile(demo, store)
    rows = run_coco("baseline", "--store", str(store), "-f", "json").json()["transitions"]
    p95 = next(r for r in rows if (r["from"], r["to"]) == DRIVE)["p95_s"]
    start = datetime(2026, 11, 25, 13, 0)

    def ev(seconds: float, name: str) -> dict:
        t = start + timedelta(seconds=seconds)
        return {"event": name, "timestamp": t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z", "delivery_id": "D-SLOW", "robot_id": "R-100"}

    drive = 3 * p95
    records = [
        ev(0, "demand.assigned"),
        ev(1, "trip.created"),
        ev(2, "trip.started"),
        ev(3, "demand.active"),
        ev(500, "delivery.pickup_arrival"),
        ev(560, "delivery.pickup_started"),
        ev(620, "delivery.pickup_completed"),
        ev(680, "demand.etas_updated"),
        ev(680, "attempt.started"),
        ev(680 + drive, "delivery.dropoff_arrival"),
        ev(720 + drive, "delivery.dropoff_started"),
        ev(760 + drive, "delivery.dropoff_completed"),
    ]
    load(store, [write_lines(tmp_path / "slow" / "dt=2026-11-25" / "slow.jsonl", records)])
    doc = timeline(store, "D-SLOW", "-f", "json").json()
    slow = [f for f in doc["findings"] if f["kind"] == "slow_step"]
    assert [(f["severity"], [doc["events"][i]["event"] for i in f["refs"]]) for f in slow] == [("warning", list(DRIVE))]
    assert slow[0]["seconds"] == pytest.approx(drive, abs=0.001) and slow[0]["baseline"]["p99_s"] < drive
    assert timeline(store, "D-SLOW", "--check").code == 1
    table = timeline(store, "D-SLOW", "--no-color").out
    assert "slow_step" in table and f"n={slow[0]['baseline']['n']}" in table


def test_baseline_min_decides_which_transitions_are_judged(demo) -> None:
    judged = timeline(demo, "D200020", "-f", "json").json()
    assert {f["severity"] for f in judged["findings"] if f["kind"] == "silence"} == {"info"}
    strict = timeline(demo, "D200020", "-f", "json", "--baseline-min", "100000").json()
    assert {f["severity"] for f in strict["findings"] if f["kind"] == "silence"} == {"warning"}
    assert timeline(demo, "D200020", "--check", "--baseline-min", "100000").code == 1


@pytest.mark.parametrize(
    "args,message",
    [
        (["--fail-on", "errors,nope"], "--fail-on takes a comma list of errors, gaps, warnings, not 'nope'"),
        (["--fail-on", ""], "--fail-on takes a comma list"),
        (["--baseline-min", "0"], "--baseline-min must be a whole number of 1 or more"),
    ],
)
def test_bad_fail_on_or_baseline_min_is_a_usage_error(demo, args, message) -> None:
    r = timeline(demo, "D12345", *args)
    assert r.code == 2 and message in r.err and r.out == ""


def test_the_findings_section_escapes_control_characters_from_the_data(tmp_path) -> None:
    store = tmp_path / "s.duckdb"
    load(
        store,
        [
            write_lines(
                tmp_path / "x.jsonl",
                [
                    {
                        "event": "delivery.failed",
                        "timestamp": "2026-11-25T10:00:00Z",
                        "delivery_id": "DX",
                        "error": {"code": "E\x1b[2J", "message": "stuck\x1b]8;;http://evil.example/\x07click\r\x9bK"},
                    }
                ],
            )
        ],
    )
    out = timeline(store, "DX", "--no-color").out
    section = out.split("What stands out", 1)[1]
    assert "\x1b" not in section and "\r" not in section and "\x9b" not in section and "\x07" not in section
    assert "delivery.failed E\\x1b[2J: stuck\\x1b]8;;http://evil.example/\\x07click\\x0d\\x9bK" in section


def test_robot_timelines_get_error_and_silence_findings_only_and_their_usual_silences_are_info(demo) -> None:
    doc = timeline(demo, "R-12", "--since", "2026-11-25T09:00Z", "--until", "2026-11-25T12:00Z", "-f", "json").json()
    assert {f["kind"] for f in doc["findings"]} == {"error", "silence"}
    assert {f["severity"] for f in doc["findings"] if f["kind"] == "silence"} == {"info"}
    assert json.dumps(doc["findings"])  # plain JSON


ROBOT_DAY = ["R-102", "--since", "2026-11-25T00:00Z", "--until", "2026-11-26T00:00Z"]


def test_check_exits_0_on_a_normal_robot_day_whose_idle_time_and_drives_are_info(demo) -> None:
    r = timeline(demo, *ROBOT_DAY, "--check", "--no-color")
    assert (r.code, r.err) == (0, "")
    assert r.out.startswith("Robot R-102")
    section = r.out.split("What stands out", 1)[1].splitlines()
    assert section[0].strip() == "(31 info)"
    text = "\n".join(section)
    assert "idle: no events for 53m14s between deliveries D200003 and D200033" in text
    assert "usual: fleet p50 for attempt.started -> delivery.dropoff_arrival of D200003 is 11m47s" in text


@pytest.mark.parametrize(
    "fmt,expected",
    [
        ("json", '"message": "idle: no events for 53m14s between deliveries D200003 and D200033"'),
        ("table", "  · 07:33:24.534  silence  idle: no events for 53m14s between deliveries D200003 and D200033"),
        ("markdown", "- info 07:33:24.534 idle: no events for 53m14s between deliveries D200003 and D200033"),
        ("html", "idle: no events for 53m14s between deliveries D200003 and D200033"),
    ],
)
def test_a_robot_days_findings_are_the_same_in_every_format_that_lists_findings(demo, fmt: str, expected: str) -> None:
    r = timeline(demo, *ROBOT_DAY, "-f", fmt, "--no-color")
    assert (r.code, r.err) == (0, "")
    assert expected in r.out
    if fmt == "json":
        assert {f["severity"] for f in r.json()["findings"]} == {"info"}


def test_the_html_page_of_a_robot_day_draws_the_chart_before_its_long_list_of_findings(demo) -> None:
    page = timeline(demo, *ROBOT_DAY, "-f", "html").out
    assert page.index("<svg") < page.index('<h2 id="findings">What stands out</h2>') < page.index("<table")
    assert '<a href="#findings">What stands out</a>: 31 info, listed below the chart' in page
    assert 'class="gap usual"' in page  # idle and usual silences are shaded lightly
    delivery = timeline(demo, "D12345", "-f", "html").out  # a short list stays in the header, above the chart
    assert delivery.index('<h2 id="findings">What stands out</h2>') < delivery.index("<svg")


def test_the_findings_section_is_coloured_by_severity_when_colour_is_on(demo) -> None:
    import io

    from cocoevents.api import timeline as build_timeline
    from cocoevents.render import RenderOptions, write

    t = build_timeline("D12345", store=demo)
    out = io.StringIO()
    write(t, "table", out, RenderOptions(color=True))
    section = out.getvalue().split("What stands out", 1)[1]
    error_line = next(line for line in section.splitlines() if "LID_STUCK" in line)
    info_line = next(line for line in section.splitlines() if "P-3 -> P-5" in line)
    assert "\x1b[1;31m" in error_line  # bold red
    assert "\x1b[36m" in info_line and "\x1b[1;31m" not in info_line  # cyan
