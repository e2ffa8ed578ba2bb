"""``coco compare``, ``coco timeline --vs`` and ``coco errors --vs previous`` / ``--by hour`` on the demo day."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import jsonschema
import pytest

from cocoevents.core.compare import Facts, normal
from cocoevents.core.listings import timelines
from cocoevents.core.options import Options
from cocoevents.sources.local import LocalSource

from ..support.cli import run_coco

ROOT = Path(__file__).resolve().parents[2]
COMPARE_SCHEMA = json.loads((ROOT / "cocoevents" / "schemas" / "compare.schema.json").read_text())
TIMELINE_SCHEMA = json.loads((ROOT / "cocoevents" / "schemas" / "timeline.schema.json").read_text())
DAY = ["--since", "2026-11-25T00:00Z", "--until", "2026-11-26T00:00Z"]


def coco(store: Path, *args: str):  # type: ignore[no-untyped-def]
    return run_coco(*args, "--store", str(store))


# -- coco compare -------------------------------------------------------------------------------------------------


def test_compare_without_a_filter_sets_the_failed_deliveries_against_the_fulfilled_ones(demo_store) -> None:
    shown = coco(demo_store, "compare", *DAY, "--no-color")
    assert shown.code == 0, shown.err
    assert shown.err == ""
    head = shown.out.splitlines()[:4]
    assert head[0].startswith("Compare 2026-11-25 00:00:00 → 2026-11-26 00:00:00 UTC")
    assert "status=failed" in head[1] and "25 deliveries" in head[1]
    assert "fulfilled, not in the group" in head[2]
    assert "noise" in head[3]
    assert "Restating the filter" in shown.out  # the error codes of failed deliveries
    failed = coco(demo_store, "deliveries", *DAY, "--status", "failed", "--limit", "0", "-f", "json").json()
    fulfilled = coco(demo_store, "deliveries", *DAY, "--status", "fulfilled", "--limit", "0", "-f", "json").json()
    doc = coco(demo_store, "compare", *DAY, "-f", "json").json()
    assert doc["group"]["n"] == failed["matched"] == 25
    assert doc["others"]["n"] == fulfilled["matched"]


def test_the_json_follows_its_schema_and_ranks_explaining_rows_before_defining_ones(demo_store) -> None:
    shown = coco(demo_store, "compare", *DAY, "-f", "json", "--limit", "0")
    assert shown.code == 0, shown.err
    doc = shown.json()
    jsonschema.validate(doc, COMPARE_SCHEMA)
    assert doc["schema"] == "coco.compare/1" and doc["more"] == 0
    rows = doc["rows"]
    flags = [r["defining"] for r in rows]
    assert flags == sorted(flags)  # every explaining row before every defining one
    for part in (True, False):
        scores = [r["score"] for r in rows if r["defining"] is part]
        assert scores == sorted(scores, reverse=True)
    assert {r["dimension"] for r in rows} == {"robot", "pilot", "merchant", "source", "hour", "error", "step"}
    assert all(r["defining"] for r in rows if r["dimension"] == "error")  # the group is the failed deliveries
    threshold = doc["noise"]["threshold"]
    assert doc["noise"]["rows_scored"] == len(rows) and threshold == pytest.approx(__import__("math").log10(len(rows) / 0.05), abs=1e-3)
    assert all(r["above_noise"] == (r["score"] > threshold) for r in rows)
    for r in rows:
        if r["dimension"] != "step":
            assert r["group_share"] == round(r["group_n"] / doc["group"]["n"], 4)
            assert r["others_share"] == round(r["others_n"] / doc["others"]["n"], 4)
        else:
            assert r["group_n"] >= 1 and r["others_n"] >= 1


def test_the_demo_day_has_no_cause_above_the_noise(demo_store) -> None:
    """What fails together on 2026-11-25 (docs/compare.md): nothing that explains beats the noise threshold."""
    doc = coco(demo_store, "compare", *DAY, "-f", "json", "--limit", "0").json()
    explaining = [r for r in doc["rows"] if not r["defining"]]
    assert not any(r["above_noise"] for r in explaining)
    assert explaining[0]["dimension"] == "merchant" and explaining[0]["value"] == "M-162"


def test_csv_and_markdown_carry_the_same_rows(demo_store) -> None:
    doc = coco(demo_store, "compare", *DAY, "-f", "json", "--limit", "10").json()
    table = coco(demo_store, "compare", *DAY, "-f", "csv", "--limit", "10")
    assert table.code == 0 and "rows shown" in table.err  # rows left out are said on stderr
    lines = list(csv.DictReader(io.StringIO(table.out)))
    assert [(r["dimension"], r["value"], float(r["score"])) for r in lines] == [
        (r["dimension"], r["value"], r["score"]) for r in doc["rows"]
    ]
    assert lines[0]["above_noise"] in ("true", "false") and lines[-1]["defining"] == "true"
    md = coco(demo_store, "compare", *DAY, "-f", "markdown", "--limit", "10")
    assert md.code == 0
    assert "| score | dimension | value | group | others | |" in md.out
    assert md.out.count("restates the filter") == sum(r["defining"] for r in doc["rows"])


def test_a_group_of_one_robot_lists_that_robot_as_defining(demo_store) -> None:
    doc = coco(demo_store, "compare", *DAY, "--robot", "R-12", "-f", "json", "--limit", "0").json()
    assert doc["group"]["filter"]["robot"] == "R-12" and doc["group"]["filter"]["status"] == []
    assert doc["group"]["n"] == 1
    mine = [r for r in doc["rows"] if r["dimension"] == "robot" and r["value"] == "R-12"]
    assert len(mine) == 1 and mine[0]["defining"] is True and mine[0]["group_share"] == 1.0
    assert not any(r["defining"] for r in doc["rows"] if r["dimension"] == "error")  # not a status group


def test_a_value_written_in_the_data_stays_text_in_the_table(tmp_path) -> None:
    from cocoevents.store.loader import load

    from ..support.cli import write_lines

    evil = "M-\x1b[31mRED"
    records = []
    for n, (status, merchant) in enumerate([("failed", evil), ("failed", evil), ("fulfilled", "M-1"), ("fulfilled", "M-1")]):
        d = f"D{n}"
        records += [
            {
                "event": "demand.assigned",
                "timestamp": f"2026-11-25T10:0{n}:00Z",
                "delivery_id": d,
                "robot_id": "R-1",
                "merchant_id": merchant,
            },
            {"event": "delivery.pickup_arrival", "timestamp": f"2026-11-25T10:0{n}:30Z", "delivery_id": d, "robot_id": "R-1"},
            {
                "event": "delivery.failed" if status == "failed" else "delivery.dropoff_completed",
                "timestamp": f"2026-11-25T10:0{n}:50Z",
                "delivery_id": d,
                **({"error": {"code": "=HYPERLINK(1)", "message": "x"}} if status == "failed" else {}),
            },
        ]
    store = tmp_path / "s.duckdb"
    load(store, [write_lines(tmp_path / "a" / "dt=2026-11-25" / "a.log.gz", records)])
    shown = coco(store, "compare", *DAY, "--limit", "0")
    assert shown.code == 0, shown.err
    assert "\x1b" not in shown.out and "M-\\x1b[31mRED" in shown.out
    sheet = coco(store, "compare", *DAY, "--limit", "0", "-f", "csv")
    assert ",'=HYPERLINK(1)," in sheet.out
    raw = coco(store, "compare", *DAY, "--limit", "0", "-f", "csv", "--csv-raw")
    assert ",=HYPERLINK(1)," in raw.out


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["--merchant", "M-NOPE"], 3, "no delivery between 2026-11-25T00:00:00.000Z and 2026-11-26T00:00:00.000Z is in the group"),
        (["--status", "fulfilled"], 3, "no fulfilled delivery outside the group"),
        (["--limit", "-1"], 2, "--limit must be 0 (all) or more"),
        (["--status", "lost"], 2, "Invalid value for '--status'"),
    ],
)
def test_an_empty_side_is_nothing_found_and_a_bad_option_a_usage_error(demo_store, args, code, message) -> None:
    shown = coco(demo_store, "compare", *DAY, *args)
    assert shown.code == code and shown.out == ""
    assert message in shown.err and len(shown.err.strip().splitlines()) <= 2


# -- coco timeline --vs -------------------------------------------------------------------------------------------


def test_timeline_vs_auto_shows_each_transition_beside_the_nearest_normal_twin(demo_store) -> None:
    shown = coco(demo_store, "timeline", "D12346", "--vs", "auto", "-f", "json")
    assert shown.code == 0, shown.err
    doc = shown.json()
    jsonschema.validate(doc, TIMELINE_SCHEMA)
    c = doc["comparison"]
    assert f"coco: twin {c['twin']} ({c['chosen']})" in shown.err
    deltas = [s["delta_s"] for s in c["steps"] if s["delta_s"] is not None]
    assert deltas == sorted(deltas, reverse=True) and deltas
    assert all(s["delta_s"] is None for s in c["steps"][len(deltas) :])  # the transitions the twin lacks, last
    for s in c["steps"]:
        if s["twin_s"] is not None:
            assert s["delta_s"] == pytest.approx(s["this_s"] - s["twin_s"])
    source = LocalSource(demo_store)
    try:
        mine = Facts.from_timeline(next(timelines(source, ["D12346"])))
        twin = next(timelines(source, [c["twin"]]))
        assert normal(twin)
        theirs = Facts.from_timeline(twin)
        shared = set(mine.merchants) & set(theirs.merchants)
        assert c["chosen"] == (f"same merchant {min(shared)}" if shared else f"same source {min(set(mine.sources) & set(theirs.sources))}")
        # no normal delivery sharing the merchant started nearer in time
        near = [d for d, t in source.active_deliveries(mine.start - 7_200_000_000, mine.start + 7_200_000_000) if d != "D12346"]
        rivals = [
            t for t in timelines(source, near, Options()) if normal(t) and set(Facts.from_timeline(t).merchants) & set(mine.merchants)
        ]
    finally:
        source.close()
    if shared:
        assert all(abs(r.start - mine.start) >= abs(theirs.start - mine.start) - 60_000_000 for r in rivals)


@pytest.mark.parametrize(
    "fmt, marker",
    [("table", "Beside its twin D12347  (given)"), ("markdown", "**Beside its twin D12347** (given)"), ("html", 'class="twin"')],
)
def test_timeline_vs_a_named_delivery_in_every_format(demo_store, fmt, marker) -> None:
    shown = (
        coco(demo_store, "timeline", "D12346", "--vs", "D12347", "-f", fmt, "--no-color")
        if fmt == "table"
        else coco(demo_store, "timeline", "D12346", "--vs", "D12347", "-f", fmt)
    )
    assert shown.code == 0, shown.err
    assert marker in shown.out
    if fmt == "table":
        after = shown.out.split("What stands out", 1)[1]
        assert "Beside its twin" in after  # the section follows the findings
        assert "attempt.started -> delivery.dropoff_arrival" in after and "+3m00s" in after


@pytest.mark.parametrize(
    "subject, vs, code, message",
    [
        ("R-12", "auto", 2, "--vs compares deliveries"),
        ("D12346", "D12346", 2, "--vs names the delivery itself"),
        ("D12346", "D-NOPE", 3, "nothing found for delivery 'D-NOPE'"),
    ],
)
def test_timeline_vs_refuses_what_it_cannot_compare(demo_store, subject, vs, code, message) -> None:
    shown = coco(demo_store, "timeline", subject, "--vs", vs, *(DAY if subject.startswith("R") else []))
    assert shown.code == code and shown.out == ""
    assert message in shown.err


def test_a_timeline_without_vs_has_no_comparison(demo_store) -> None:
    doc = coco(demo_store, "timeline", "D12346", "-f", "json").json()
    assert "comparison" not in doc


# -- coco errors --vs previous, --by hour -------------------------------------------------------------------------


def test_errors_vs_previous_counts_each_group_in_the_window_just_before(demo_store) -> None:
    span = ["--since", "2026-11-25T12:00Z", "--until", "2026-11-25T18:00Z"]
    shown = coco(demo_store, "errors", *span, "--vs", "previous", "-f", "json")
    assert shown.code == 0, shown.err
    doc = shown.json()
    assert doc["previous"]["since"] == "2026-11-25T05:59:59.999Z" and doc["previous"]["until"] == "2026-11-25T11:59:59.999Z"
    before = coco(demo_store, "errors", "--since", "2026-11-25T05:59:59.999999Z", "--until", "2026-11-25T11:59:59.999999Z", "-f", "json")
    counts = {g["code"]: g["count"] for g in before.json()["groups"]}
    assert doc["previous"]["events"] == sum(counts.values())
    for g in doc["groups"]:
        assert g["previous_count"] == counts.get(g["code"], 0)
        assert g["new"] is (g["previous_count"] == 0)
    assert any(g["new"] for g in doc["groups"]) and any(not g["new"] for g in doc["groups"])
    table = coco(demo_store, "errors", *span, "--vs", "previous", "--no-color")
    assert "vs previous 2026-11-25 05:59:59 → 2026-11-25 11:59:59" in table.out and "NEW" in table.out and "BEFORE" in table.out
    plain = coco(demo_store, "errors", *span, "-f", "json").json()
    assert "previous" not in plain and all("new" not in g for g in plain["groups"])  # additive: only when asked


def test_errors_by_hour_counts_each_code_per_utc_hour_with_a_sparkline(demo_store) -> None:
    span = ["--since", "2026-11-25T08:00Z", "--until", "2026-11-25T20:00Z"]
    doc = coco(demo_store, "errors", *span, "--by", "hour", "-f", "json").json()
    assert doc["by"] == "hour" and len(doc["hours"]) == 13 and doc["hours"][0] == "2026-11-25T08:00:00.000Z"
    by_code = coco(demo_store, "errors", *span, "-f", "json").json()
    assert [(g["code"], g["count"]) for g in doc["groups"]] == [(g["code"], g["count"]) for g in by_code["groups"]]
    for g in doc["groups"]:
        assert sum(g["by_hour"]) == g["count"] and len(g["by_hour"]) == 13
    table = coco(demo_store, "errors", *span, "--by", "hour", "--no-color")
    assert "BY HOUR" in table.out and "█" in table.out
    sheet = list(csv.reader(io.StringIO(coco(demo_store, "errors", *span, "--by", "hour", "-f", "csv").out)))
    assert sheet[0][-13] == "2026-11-25T08:00:00.000Z" and all(len(r) == len(sheet[0]) for r in sheet)
