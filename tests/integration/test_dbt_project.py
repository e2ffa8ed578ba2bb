"""The dbt project (``dbt/``) gives the sessions coco gives, for every delivery.

A store is loaded by coco from a generated fleet day, the three demo stories and the stories of the
timeline rules tests (``tests/dbt_fixtures.py``); ``dbt build`` runs over it with dbt-duckdb, and over
the same records in the warehouse layout on the test PostgreSQL server with dbt-postgres. For every
delivery, ``fct_delivery_timeline`` must equal the rows of ``coco timeline <id> -f json`` (ts, event,
lane, severity, gap) and ``dim_delivery_sessions`` its summary, exactly; the two documented
differences (README, "The dbt project") are asserted as what they are.

dbt runs as a subprocess (its own logging and adapter registry stay out of this process); its
target, logs and profiles live in temporary folders, and usage statistics are off.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cocoevents.archive import lines as archive
from cocoevents.core.lookup import build
from cocoevents.core.options import parse_options
from cocoevents.devtools import generator
from cocoevents.sources.local import LocalSource
from cocoevents.store import loader as store
from cocoevents.timestamps import format_ts

from ..support import dbt_fixtures
from ..support.cli import ROOT, run_coco

DBT_PROJECT = ROOT / "dbt"
HAVE_DBT = importlib.util.find_spec("dbt") is not None and importlib.util.find_spec("dbt.cli") is not None
pytestmark = pytest.mark.skipif(not HAVE_DBT, reason="dbt is not installed: pip install 'cocoevents[dbt]'")

ROW_SQL = (
    "SELECT delivery_id, ts_us, event_name, lane, severity, gap_before_s FROM {schema}fct_delivery_timeline ORDER BY delivery_id, position"
)
DIM_SQL = (
    "SELECT delivery_id, status, start_us, end_us, duration_s, events, errors, warnings, gaps, "
    "duplicates_removed, unplaced, robots, pilots, reassignments, first_error_code "
    "FROM {schema}dim_delivery_sessions"
)


def has_adapter(name: str) -> bool:
    return importlib.util.find_spec(f"dbt.adapters.{name}") is not None


def run_dbt(args: list[str], profiles: Path, work: Path) -> str:
    """``dbt <args>`` on the project; fails the test with dbt's output when dbt fails."""
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"}
    cmd = [
        sys.executable,
        "-c",
        "from dbt.cli.main import cli; cli()",
        *args,
        "--project-dir",
        str(DBT_PROJECT),
        "--profiles-dir",
        str(profiles),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
    ]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=work, timeout=900)
    assert r.returncode == 0, f"dbt {' '.join(args)} failed:\n{r.stdout[-6000:]}\n{r.stderr[-3000:]}"
    return r.stdout


def duckdb_profile(folder: Path, store_path: Path, output: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "profiles.yml").write_text(
        json.dumps(
            {
                "coco": {
                    "target": "local",
                    "outputs": {
                        "local": {
                            "type": "duckdb",
                            "path": str(output),
                            "schema": "main",
                            "threads": 2,
                            "settings": {"TimeZone": "UTC"},
                            "attach": [{"path": str(store_path), "alias": "coco", "read_only": True}],
                        }
                    },
                }
            }
        )
    )
    return folder


def fetch_duckdb(path: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(ROW_SQL.format(schema="")).fetchall(), con.execute(DIM_SQL.format(schema="")).fetchall()
    finally:
        con.close()


# -- the world and coco's answers ---------------------------------------------------------------------


def write_world(root: Path) -> None:
    """The fleet day and the demo stories as the shipper writes them; the rule fixtures as plain lines
    (the shipper's metadata would make their exact copies differ)."""
    records = generator.fleet_day(generator.Fleet()) + generator.scenarios()
    records.sort(key=lambda r: json.dumps(r.get("timestamp")))
    generator.write_archive(records, root, seed=3, per_file=1000)
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in dbt_fixtures.fixture_records())
    (root / "dt=2026-11-25" / "rules.jsonl").write_text(lines, encoding="utf-8")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A store loaded by coco, every record it holds, and coco's JSON timeline of every delivery."""
    root = tmp_path_factory.mktemp("archive")
    write_world(root)
    store_path = tmp_path_factory.mktemp("store") / "events.duckdb"
    store.load(store_path, [root])
    files, _ = archive.find_files([root])
    records = [rec for f in files for _, rec in archive.scan(f).records]
    deliveries = sorted({r["delivery_id"] for r in records if isinstance(r.get("delivery_id"), str) and r["delivery_id"]})
    # coco's answers: the library call behind `coco timeline` for every delivery, checked against the CLI's
    # own `-f json` output for the rule fixtures, the demo stories and every 20th delivery of the fleet day
    # (a CLI process per delivery would take minutes here).
    source = LocalSource(store_path)
    try:
        reference = {d: json.loads(json.dumps(build(source, d, "delivery", parse_options()).to_dict())) for d in deliveries}
    finally:
        source.close()
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:  # coco reads no config but the one of this test
        mp.setenv("XDG_CONFIG_HOME", str(home))
        mp.delenv("COCO_PROFILE", raising=False)
        for i, d in enumerate(deliveries):
            if d.startswith("D2") and i % 20:
                continue
            r = run_coco("timeline", d, "--kind", "delivery", "-f", "json", "--store", str(store_path))
            assert r.code == 0, (d, r.err)
            assert r.json() == reference[d], d
    return {"store": store_path, "records": records, "deliveries": deliveries, "reference": reference}


def expected_rows(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(e["ts"], e["event"], e["lane"], e["severity"], e["gap_before_s"]) for e in doc["events"]]


def expected_summary(doc: dict[str, Any]) -> dict[str, Any]:
    s = dict(doc["summary"])
    s.pop("findings", None)  # judged against the fleet by coco (findings rules); not a session fact of the model
    codes = [e["error"]["code"] for e in doc["events"] if isinstance(e["error"], dict) and isinstance(e["error"].get("code"), str)]
    s["first_error_code"] = codes[0] if codes else None
    return s


def as_rows(fct: list[tuple[Any, ...]]) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {}
    for delivery, ts_us, name, lane, severity, gap in fct:
        out.setdefault(delivery, []).append((format_ts(ts_us), name, lane, severity, None if gap is None else float(gap)))
    return out


def as_summaries(dim: list[tuple[Any, ...]]) -> dict[str, dict[str, Any]]:
    out = {}
    for (
        delivery,
        status,
        start_us,
        end_us,
        duration,
        events,
        errors,
        warnings,
        gaps,
        dups,
        unplaced,
        robots,
        pilots,
        reassignments,
        first_code,
    ) in dim:
        out[delivery] = {
            "status": status,
            "start": format_ts(start_us),
            "end": format_ts(end_us),
            "duration_s": None if duration is None else float(duration),
            "events": int(events),
            "errors": int(errors),
            "warnings": int(warnings),
            "gaps": int(gaps),
            "duplicates_removed": int(dups),
            "unplaced": int(unplaced),
            "robots": robots.split(", ") if robots else [],
            "pilots": pilots.split(", ") if pilots else [],
            "reassignments": int(reassignments),
            "first_error_code": first_code,
        }
    return out


def case_delivery(case: str) -> str:
    return f"{case}-D1"


def assert_same_as_coco(
    world: dict[str, Any], rows: dict[str, list], summaries: dict[str, dict], *, jsonb_keys: bool, hops: int = 2
) -> None:
    """Every delivery equal to coco, but for the documented differences, asserted as documented."""
    assert set(summaries) == set(world["deliveries"])
    assert set(rows) <= set(summaries)
    checked = 0
    for delivery, doc in world["reference"].items():
        want_rows, want = expected_rows(doc), expected_summary(doc)
        got_rows, got = rows.get(delivery, []), summaries[delivery]
        if delivery == case_delivery(dbt_fixtures.KEY_ORDER_CASE) and not jsonb_keys:
            # the copy with its keys in another order is a second event here (README: rule 7 in SQL)
            assert want["duplicates_removed"] == 2 and len(want_rows) == 1
            assert got_rows == want_rows + [(want_rows[0][0], "demand.assigned", "delivery", "info", 0.0)]
            assert got == {**want, "events": 2, "duplicates_removed": 1}
            continue
        if delivery == case_delivery(dbt_fixtures.TIE_KEYS_CASE) and not jsonb_keys:
            # the two notes tie; the stored lines order them the other way round (README: rule 6 in SQL)
            notes = [i for i, r in enumerate(want_rows) if r[1] == "pilot.note"]
            assert [want_rows[i][2] for i in notes] == ["pilot:tiekeys-P1", "pilot:tiekeys-P2"] and notes[1] == notes[0] + 1
            swapped = list(want_rows)
            swapped[notes[0]], swapped[notes[1]] = want_rows[notes[1]], want_rows[notes[0]]
            swapped[notes[0]] = (*swapped[notes[0]][:4], want_rows[notes[0]][4])  # the gap stays with the place
            swapped[notes[1]] = (*swapped[notes[1]][:4], want_rows[notes[1]][4])
            assert got_rows == swapped
            assert got == want
            continue
        if delivery == case_delivery(dbt_fixtures.THREE_HOPS_CASE) and hops < 3:
            # the third hop of the chain is beyond coco_link_hops (README: rule 2 in SQL)
            assert "demand.note" in [r[1] for r in want_rows]
            assert [r[:4] for r in got_rows] == [r[:4] for r in want_rows if r[1] != "demand.note"]
            assert got["events"] == want["events"] - 1
            continue
        assert got_rows == want_rows, delivery
        assert got == want, delivery
        checked += 1
    assert checked >= len(world["deliveries"]) - 3


# -- DuckDB ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def duckdb_build(world: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if not has_adapter("duckdb"):
        pytest.skip("dbt-duckdb is not installed: pip install 'cocoevents[dbt]'")
    work = tmp_path_factory.mktemp("dbt-duckdb")
    output = work / "analytics.duckdb"
    profiles = duckdb_profile(work / "profiles", world["store"], output)
    log = run_dbt(["build"], profiles, work)
    run_dbt(["compile", "--select", "path:analyses"], profiles, work)
    return {"work": work, "output": output, "profiles": profiles, "log": log}


def test_dbt_build_on_duckdb_passes_every_model_and_data_test(duckdb_build: dict[str, Any]) -> None:
    log = duckdb_build["log"]
    assert "ERROR=0" in log and "PASS=" in log
    assert "fct_delivery_timeline" in log and "dim_delivery_sessions" in log
    assert int(log.split("PASS=")[1].split()[0]) >= 50  # models, seed and their data tests


def test_every_delivery_has_coco_rows_and_summary_on_duckdb(world: dict[str, Any], duckdb_build: dict[str, Any]) -> None:
    fct, dim = fetch_duckdb(duckdb_build["output"])
    assert len(world["deliveries"]) > 350 and len(fct) > 5000
    assert_same_as_coco(world, as_rows(fct), as_summaries(dim), jsonb_keys=False)


def analysis(build: dict[str, Any], name: str) -> list[tuple[Any, ...]]:
    import duckdb

    sql = (build["work"] / "target" / "compiled" / "coco" / "analyses" / f"{name}.sql").read_text()
    con = duckdb.connect(str(build["output"]), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_the_readme_queries_answer_the_seed_questions(world: dict[str, Any], duckdb_build: dict[str, Any]) -> None:
    replay = analysis(duckdb_build, "delivery_replay")
    assert [(r[2], r[3], r[4]) for r in replay] == [(e["lane"], e["event"], e["severity"]) for e in world["reference"]["D12345"]["events"]]
    failures = analysis(duckdb_build, "failures_by_robot")
    assert ("R-12", "LID_STUCK", 1) in failures and ("R-8", "CUSTOMER_UNREACHABLE", 1) in failures
    failed = sum(
        1 for doc in world["reference"].values() if any(e["event"] == "delivery.failed" and e["lane"] == "delivery" for e in doc["events"])
    )
    assert sum(r[2] for r in failures) >= failed > 3
    per_day = {str(r[0]): r[1:] for r in analysis(duckdb_build, "reassignments_per_day")}
    reassigned = sum(doc["summary"]["reassignments"] for doc in world["reference"].values())
    assert per_day["2026-11-25"][2] == reassigned >= 4  # D12345, D12347 and the fixtures


def test_the_registry_seed_is_the_event_registry() -> None:
    import csv

    from cocoevents.producers.registry import EVENTS

    with open(DBT_PROJECT / "seeds" / "coco_event_registry.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(int(r["position"]), r["name"], r["event_group"]) for r in rows] == [(i, e.name, e.group) for i, e in enumerate(EVENTS)]


def test_the_dbt_rule_macros_are_the_sql_coco_runs_generated_again() -> None:
    """``macros/coco_rules.sql`` is generated from the core's SQL (``devtools.dbt_rules``): the dbt project's status
    is the text the local store runs, not a copy kept by hand."""
    from cocoevents.core.status import status_sql
    from cocoevents.devtools import dbt_rules

    text = (DBT_PROJECT / "macros" / "coco_rules.sql").read_text()
    assert text == dbt_rules.macros()
    assert status_sql("{{ rows }}", "{{ delivery }}", "{{ event }}", "{{ later }}") in text
    model = (DBT_PROJECT / "models" / "marts" / "dim_delivery_sessions.sql").read_text()
    assert "coco_delivery_status(" in model and "'delivery.failed'" not in model


def test_the_fixtures_reach_every_lane_status_and_window_rule(world: dict[str, Any]) -> None:
    ref = world["reference"]
    lanes = {e["lane"].split(":")[0] for doc in ref.values() for e in doc["events"]}
    statuses = {doc["summary"]["status"] for doc in ref.values()}
    assert lanes == {"delivery", "robot", "pilot"}
    assert statuses == {"fulfilled", "failed", "canceled", "in_progress"}
    assert ref["comeback-D1"]["summary"]["reassignments"] == 2
    assert ref["handover-D1"]["windows"][-1] == {
        "kind": "pilot",
        "id": "handover-P1",
        "start": dbt_fixtures.at(0),
        "end": dbt_fixtures.at(30),
    }
    assert ref["untimedonly-D1"]["summary"]["events"] == 0 and ref["untimedonly-D1"]["summary"]["unplaced"] == 1
    assert ref["duplicates-D1"]["summary"]["duplicates_removed"] == 2
    assert ref["D12345"]["summary"]["pilots"] == ["P-4", "P-3", "P-5"]
    assert any(doc["summary"]["gaps"] for doc in ref.values())


def test_a_link_chain_longer_than_two_hops_needs_coco_link_hops(
    world: dict[str, Any], duckdb_build: dict[str, Any], tmp_path: Path
) -> None:
    output = tmp_path / "hops.duckdb"
    profiles = duckdb_profile(tmp_path / "profiles", world["store"], output)
    run_dbt(
        ["build", "--select", "+dim_delivery_sessions", "--exclude", "resource_type:test", "--vars", "{coco_link_hops: 3}"],
        profiles,
        tmp_path,
    )
    fct, dim = fetch_duckdb(output)
    assert_same_as_coco(world, as_rows(fct), as_summaries(dim), jsonb_keys=False, hops=3)


def test_an_incremental_day_gives_what_a_full_refresh_gives(tmp_path: Path) -> None:
    if not has_adapter("duckdb"):
        pytest.skip("dbt-duckdb is not installed: pip install 'cocoevents[dbt]'")
    from datetime import date

    def day(d: date, seed: int, tag: str) -> list[dict[str, Any]]:
        recs = generator.fleet_day(generator.Fleet(day=d, deliveries=60, robots=8, pilots=3, seed=seed))
        for r in recs:  # robots and pilots work every day; deliveries, demands and offers are new
            for k in ("delivery_id", "demand_id", "offer_id"):
                if isinstance(r.get(k), str):
                    r[k] += tag
        return recs

    store_path = tmp_path / "store.duckdb"
    generator.write_archive(day(date(2026, 11, 25), 5, "-a"), tmp_path / "day1", seed=1)
    store.load(store_path, [tmp_path / "day1"])
    inc = tmp_path / "incremental.duckdb"
    profiles = duckdb_profile(tmp_path / "p-inc", store_path, inc)
    run_dbt(["build", "--exclude", "resource_type:test"], profiles, tmp_path)
    before = fetch_duckdb(inc)

    # day 2 arrives in two loads, as the hourly job sees it: deliveries that span both are recomputed
    files = generator.write_archive(day(date(2026, 11, 26), 6, "-b"), tmp_path / "day2", seed=2, per_file=150)
    assert len(files) >= 4
    for part in (files[: len(files) // 2], files[len(files) // 2 :]):
        store.load(store_path, part)
        log = run_dbt(["build", "--vars", "{coco_day: '2026-11-26', coco_days_back: 0}"], profiles, tmp_path)
        assert "ERROR=0" in log
    ran = (tmp_path / "target" / "run" / "coco" / "models" / "staging" / "stg_events.sql").read_text()
    compiled = (tmp_path / "target" / "compiled" / "coco" / "models" / "staging" / "stg_events.sql").read_text()
    assert "delete from" in ran and "2026-11-26" in compiled  # an incremental run of one day, not a rebuild
    full = tmp_path / "full.duckdb"
    run_dbt(["build", "--exclude", "resource_type:test"], duckdb_profile(tmp_path / "p-full", store_path, full), tmp_path)

    got, want = fetch_duckdb(inc), fetch_duckdb(full)
    assert sorted(got[1]) == sorted(want[1])
    assert got[0] == want[0]
    assert len(want[1]) > len(before[1]) and any(d.endswith("-b") for d, *_ in want[1])


# -- PostgreSQL through dbt-postgres -----------------------------------------------------------------------


@pytest.mark.postgres
def test_every_delivery_has_coco_rows_and_summary_on_postgresql(world: dict[str, Any], pg: Any, tmp_path: Path) -> None:
    if not has_adapter("postgres"):
        pytest.skip("dbt-postgres is not installed: pip install 'cocoevents[dbt]'")
    from ..support.pgserver import events_ddl, load_events

    database = pg.create_database("dbt")
    pg.run(database, events_ddl())
    load_events(pg, database, world["records"])
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "profiles.yml").write_text(
        json.dumps(
            {
                "coco": {
                    "target": "pg",
                    "outputs": {
                        "pg": {
                            "type": "postgres",
                            "host": "127.0.0.1",
                            "port": pg.pg_port,
                            "user": pg.admin,
                            "password": "",
                            "dbname": database,
                            "schema": "coco_sessions",
                            "threads": 2,
                        }
                    },
                }
            }
        )
    )
    log = run_dbt(["build", "--vars", "{coco_source_schema: public, coco_source_table: events}"], profiles, tmp_path)
    assert "ERROR=0" in log

    con = pg.connect(database)
    try:
        cur = con.cursor()
        cur.execute(ROW_SQL.format(schema="coco_sessions."))
        fct = list(cur.fetchall())
        cur.execute(DIM_SQL.format(schema="coco_sessions."))
        dim = list(cur.fetchall())
    finally:
        con.close()
    assert_same_as_coco(world, as_rows(fct), as_summaries(dim), jsonb_keys=True)
