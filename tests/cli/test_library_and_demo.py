"""The library API and `coco demo`, as a notebook user and a new user meet them."""

from __future__ import annotations

import json
import subprocess
import sys

import jsonschema

import cocoevents
from cocoevents.devtools.generator import scenarios

from ..support.cli import ROOT, run_coco

SCHEMA = json.loads((ROOT / "cocoevents" / "schemas" / "timeline.schema.json").read_text())


def test_demo_loads_the_sample_and_shows_the_failed_delivery_then_suggests_ids(tmp_path):
    store = tmp_path / "demo.duckdb"
    r = run_coco("demo", "--store", str(store))
    assert r.code == 0
    assert r.out.startswith("Delivery D12345   FAILED")
    assert "robots  R-7 → R-12" in r.out
    assert "LID_STUCK: Lid stuck closed at dropoff" in r.out
    assert "Try next:" in r.err and f"coco timeline R-12 --since 2026-11-25T09:00Z --until 2026-11-25T12:00Z --store {store}" in r.err
    again = run_coco("demo", "--store", str(store))
    assert "0 new events" in again.err  # loading the sample twice adds nothing


def test_the_suggested_demo_ids_work_for_a_delivery_a_robot_and_a_pilot(tmp_path):
    store = tmp_path / "demo.duckdb"
    run_coco("demo", "--store", str(store))
    window = ["--since", "2026-11-25T09:00Z", "--until", "2026-11-25T12:00Z", "--store", str(store)]
    delivery = run_coco("timeline", "D12347", "--store", str(store), "-f", "json").json()
    assert (delivery["summary"]["status"], delivery["summary"]["robots"]) == ("fulfilled", ["R-8", "R-9"])
    robot = run_coco("timeline", "R-12", *window, "-f", "json").json()
    assert robot["subject"] == {"kind": "robot", "id": "R-12"}
    assert [w["id"] for w in robot["windows"]] == ["P-3", "P-5"]
    pilot = run_coco("timeline", "P-5", *window, "-f", "json").json()
    assert [w["id"] for w in pilot["windows"]] == ["R-12"]


def test_the_bundled_demo_sample_is_what_the_generator_makes(tmp_path):
    from cocoevents.devtools.generator import demo_records, write_archive

    bundled = sorted((ROOT / "cocoevents" / "data" / "demo").rglob("*.log.gz"))
    out = tmp_path / "regenerated"
    made = sorted(write_archive(demo_records(), out))
    assert [p.relative_to(out) for p in made] == [p.relative_to(ROOT / "cocoevents" / "data" / "demo") for p in bundled]
    assert [p.read_bytes() for p in made] == [p.read_bytes() for p in bundled]


def test_timeline_from_the_library_returns_events_summary_windows_and_the_json_document(tmp_path):
    store = tmp_path / "demo.duckdb"
    run_coco("demo", "--store", str(store))
    t = cocoevents.timeline("D12345", store=store)
    assert t.summary["status"] == "failed" and t.summary["reassignments"] == 1
    assert [(w.kind, w.id) for w in t.windows][:2] == [("robot", "R-7"), ("pilot", "P-4")]
    assert t.events[0]["event"] == "offer.received"
    jsonschema.validate(t.to_dict(), SCHEMA)


def test_to_pandas_gives_one_row_per_event_with_utc_times():
    t = cocoevents.timeline_from_records(scenarios(), "D12345")
    frame = t.to_pandas()
    assert len(frame) == len(t.rows)
    assert str(frame["ts"].dt.tz) == "UTC"
    assert list(frame["event"][:2]) == ["offer.received", "quote.requested"]


def test_to_pandas_payload_leaves_out_the_shippers_fields_and_the_columns_and_windows_are_utc_datetimes():
    records = [dict(r) for r in scenarios()]
    for r in records:  # as a log shipper shipped them: the whole line again in message, and its own labels
        r |= {"message": json.dumps(r), "kubernetes": {"labels": {"app": "dispatch"}}, "host": "node-1"}
    t = cocoevents.timeline_from_records(records, "D12345")
    frame = t.to_pandas()
    for payload in frame["payload"]:
        assert not {"message", "kubernetes", "host", "event", "timestamp", "delivery_id", "robot_id"} & set(payload)
    assert list(frame.columns) == [*(c for c in t.events[0] if c != "payload"), "payload"]
    windows = t.windows_to_pandas()
    assert list(windows.columns) == ["kind", "id", "start", "end"]
    assert str(windows["start"].dt.tz) == "UTC" and str(windows["end"].dt.tz) == "UTC"
    first = t.windows[0]
    assert (windows["kind"][0], windows["id"][0]) == (first.kind, first.id) == ("robot", "R-7")
    import pandas as pd

    assert [windows["start"][0], windows["end"][0]] == [pd.Timestamp(t.to_dict()["windows"][0][k]) for k in ("start", "end")]


def test_importing_cocoevents_loads_no_heavy_library():
    code = "import sys, cocoevents; print(sorted(m for m in ('duckdb','pandas','redshift_connector','boto3','rich') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_dir_of_the_package_lists_its_lazy_entry_points_without_importing_them() -> None:
    import subprocess
    import sys

    code = "import cocoevents, sys; print(sorted(dir(cocoevents))); print('cocoevents.api' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    listed, imported = r.stdout.splitlines()
    for name in ("timeline", "timeline_from_records", "Timeline", "Event", "log_event", "EventValidationError", "__version__"):
        assert repr(name) in listed
    assert imported == "False"
