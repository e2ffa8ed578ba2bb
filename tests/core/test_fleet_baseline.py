"""The fleet baseline (findings rules §3) in the local store: one SQL statement, equal to the Python
computation over the same rows, kept in the store, rebuilt when a load adds files, printed by ``coco baseline``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from cocoevents.archive import lines as archive
from cocoevents.core.baseline import compute, transitions_sql
from cocoevents.core.model import Event
from cocoevents.devtools import generator
from cocoevents.store import baseline as store_baseline
from cocoevents.store.loader import load

from ..support.cli import run_coco, write_lines


def edge_records() -> list[dict[str, Any]]:
    """What the SQL must treat as the Python does: duplicates, same-instant ties in registry order, unknown
    names, untimed and linked-only rows, an empty delivery id, epoch and offset timestamps."""
    t = "2026-11-25T15:00:"
    return [
        {"event": "delivery.pickup_arrival", "timestamp": t + "00Z", "delivery_id": "DX"},
        {"event": "delivery.pickup_arrival", "timestamp": t + "00Z", "delivery_id": "DX"},  # duplicate
        {"event": "delivery.pickup_arrival", "timestamp": t + "00Z", "delivery_id": "DX", "note": "same instant"},
        {"event": "zzz.custom", "timestamp": t + "30Z", "delivery_id": "DX"},
        {"event": "attempt.started", "timestamp": t + "30Z", "delivery_id": "DX"},
        {"event": "demand.etas_updated", "timestamp": t + "30Z", "delivery_id": "DX"},
        {"event": "delivery.note", "timestamp": "not a time", "delivery_id": "DX"},
        {"event": "delivery.pickup_started", "timestamp": t + "40Z", "demand_id": "DM-X"},  # linked, not direct
        {"event": "delivery.dropoff_arrival", "timestamp": "2026-11-25T16:00:10.123456+01:00", "delivery_id": "DX"},
        {"event": "delivery.dropoff_started", "timestamp": 1795633260500, "delivery_id": "DX"},  # epoch ms
        {"event": "delivery.dropoff_arrival", "timestamp": t + "10Z", "delivery_id": ""},  # no id
    ]


@pytest.fixture(scope="module")
def fleet_store(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("archive")
    records = generator.fleet_day(generator.Fleet(deliveries=120, robots=10, pilots=3, seed=5))
    generator.write_archive(records + generator.scenarios(), root, seed=5, per_file=700)
    write_lines(root / "dt=2026-11-25" / "edge.jsonl", edge_records())
    store = tmp_path_factory.mktemp("store") / "events.duckdb"
    load(store, [root])
    files, _ = archive.find_files([root])
    loaded = [rec for f in files for _, rec in archive.scan(f).records]
    return {"store": store, "records": loaded, "root": root}


def kept(store: Path) -> Any:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return store_baseline.read(con)
    finally:
        con.close()


def test_the_stores_sql_baseline_equals_the_python_computation_over_the_same_rows(fleet_store) -> None:
    expected = compute([Event.from_record(r) for r in fleet_store["records"]])
    got = kept(fleet_store["store"])
    assert got is not None and len(got) > 20
    assert got.transitions == expected.transitions
    edge = {(t.a, t.b): t for t in got.transitions if t.n == 1 and "zzz" in t.a + t.b}
    assert ("demand.etas_updated", "attempt.started") in {(t.a, t.b) for t in got.transitions}
    assert ("attempt.started", "zzz.custom") in edge  # unknown names sort after every known one


def test_the_baseline_is_one_select_with_every_value_bound() -> None:
    sql, params = transitions_sql("events", "ts", "?", since="2026-01-01")
    assert sql.count("SELECT") == 3 and ";" not in sql  # one statement (two nested derived tables)
    assert "PERCENTILE_CONT" in sql and "LAG(" in sql and "'delivery.pickup_arrival'" not in sql
    assert params[-1] == "2026-01-01" and "delivery.pickup_arrival" in params


def test_a_load_that_adds_files_rebuilds_the_baseline_and_one_that_adds_nothing_keeps_it(tmp_path) -> None:
    store = tmp_path / "s.duckdb"
    day = [
        {"event": "delivery.pickup_arrival", "timestamp": "2026-11-25T10:00:00Z", "delivery_id": "D1"},
        {"event": "delivery.pickup_started", "timestamp": "2026-11-25T10:01:00Z", "delivery_id": "D1"},
    ]
    first = write_lines(tmp_path / "a" / "one.jsonl", day)
    load(store, [first])
    assert [(t.a, t.b, t.n, t.p50) for t in kept(store).transitions] == [("delivery.pickup_arrival", "delivery.pickup_started", 1, 60.0)]
    con = duckdb.connect(str(store))
    con.execute("UPDATE fleet_baseline SET n = 999")  # a marker: survives a load that adds nothing
    con.close()
    load(store, [first])
    assert kept(store).transitions[0].n == 999
    more = [{**r, "delivery_id": "D2", "timestamp": r["timestamp"].replace("10:01", "10:03")} for r in day]
    load(store, [write_lines(tmp_path / "a" / "two.jsonl", more)])
    assert [(t.n, t.p50, t.p99) for t in kept(store).transitions] == [(2, 120.0, 178.8)]


def test_coco_baseline_prints_the_fleets_transitions_as_table_csv_and_json(fleet_store) -> None:
    store = str(fleet_store["store"])
    as_json = run_coco("baseline", "--store", store, "-f", "json")
    assert as_json.code == 0 and as_json.err == ""
    rows = as_json.json()["transitions"]
    drive = next(r for r in rows if (r["from"], r["to"]) == ("attempt.started", "delivery.dropoff_arrival"))
    assert drive["n"] > 50 and drive["judged"] and 300 <= drive["p50_s"] <= drive["p95_s"] <= drive["p99_s"] <= 1500
    table = run_coco("baseline", "--store", store)
    assert table.code == 0 and table.out.splitlines()[0].split() == ["from", "to", "n", "p50", "p95", "p99"]
    assert any(line.startswith("attempt.started") and "delivery.dropoff_arrival" in line for line in table.out.splitlines())
    assert "too few to judge" in table.out
    csv_out = run_coco("baseline", "--store", store, "-f", "csv").out.splitlines()
    assert csv_out[0] == "from,to,n,p50_s,p95_s,p99_s,judged" and len(csv_out) == len(rows) + 1


def test_coco_baseline_rebuild_recomputes_it_and_a_store_without_one_says_how_to_get_it(fleet_store, tmp_path):
    import shutil

    store = tmp_path / "copy.duckdb"
    shutil.copyfile(fleet_store["store"], store)
    con = duckdb.connect(str(store))
    con.execute("DROP TABLE fleet_baseline")
    con.close()
    missing = run_coco("baseline", "--store", str(store))
    assert missing.code == 3 and "coco baseline --rebuild" in missing.err and missing.out == ""
    note = run_coco("timeline", "D12345", "--store", str(store))
    assert note.code == 0 and note.err.count("no fleet baseline") == 1 and "slow_step" not in note.out
    rebuilt = run_coco("baseline", "--rebuild", "--store", str(store), "-f", "json")
    assert rebuilt.code == 0 and "rebuilt the fleet baseline" in rebuilt.err
    assert rebuilt.json()["transitions"] == run_coco("baseline", "--store", str(fleet_store["store"]), "-f", "json").json()["transitions"]


def test_coco_baseline_escapes_hostile_event_names_for_the_terminal_and_for_spreadsheets(tmp_path) -> None:
    store = tmp_path / "s.duckdb"
    load(
        store,
        [
            write_lines(
                tmp_path / "h.jsonl",
                [
                    {"event": "\x1b]0;owned\x07x", "timestamp": "2026-11-25T10:00:00Z", "delivery_id": "D1"},
                    {"event": '=HYPERLINK("http://evil")', "timestamp": "2026-11-25T10:01:00Z", "delivery_id": "D1"},
                ],
            )
        ],
    )
    table = run_coco("baseline", "--store", str(store))
    assert "\x1b" not in table.out and "\\x1b]0;owned\\x07x" in table.out
    csv_out = run_coco("baseline", "--store", str(store), "-f", "csv").out
    assert "'=HYPERLINK" in csv_out
    assert json.loads(run_coco("baseline", "--store", str(store), "-f", "json").out)["transitions"][0]["from"] == "\x1b]0;owned\x07x"
