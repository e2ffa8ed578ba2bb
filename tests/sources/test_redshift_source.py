"""The Redshift source against a real PostgreSQL server through the real ``redshift_connector``.

The same fixture events go into the local store (through ``coco load``'s loader,
from an archive written by the generator) and into the warehouse-layout table
(the records the archive reader sees, ids and ``event_ts`` extracted as the
loader does); both sources must then give identical timelines.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from typing import Any

import pytest

from cocoevents.core.lookup import build
from cocoevents.core.options import parse_options
from cocoevents.errors import NotFound, SourceUnavailable
from cocoevents.sources.local import LocalSource
from cocoevents.sources.redshift import RedshiftSource
from cocoevents.timestamps import parse_time_option

from ..support.cli import ROOT, run_coco
from ..support.pgserver import PgServer, free_port
from ..support.redshift import (
    DAY,
    NOT_THERE,
    NOW,
    WEIRD_DELIVERY,
    WEIRD_PILOT,
    WEIRD_ROBOT,
    profile_for,
    redshift_profile_toml,
    write_config,
)

pytestmark = pytest.mark.postgres


def outcome(source: Any, subject: str, kind: str | None = None, **options: Any) -> Any:
    try:
        return build(source, subject, kind, parse_options(**options)).to_dict()
    except NotFound:
        return "not found"


def test_both_stores_hold_every_fixture_event(world: dict[str, Any], pg: PgServer) -> None:
    con = pg.connect(world["database"])
    cur = con.cursor()
    cur.execute("SELECT count(*) FROM events")
    assert cur.fetchone()[0] == len(world["records"]) > 500
    con.close()
    local = LocalSource(world["store"])
    assert local.con.execute("SELECT count(*) FROM events").fetchone()[0] == len(world["records"])
    local.close()


def test_redshift_and_local_sources_give_identical_delivery_timelines(sources, world: dict[str, Any]) -> None:
    local, remote = sources
    assert len(world["deliveries"]) > 40
    for delivery in world["deliveries"]:
        expected = outcome(local, delivery)
        assert expected != "not found", delivery
        assert outcome(remote, delivery) == expected, delivery
        assert outcome(remote, delivery, "delivery", **DAY) == outcome(local, delivery, "delivery", **DAY)


@pytest.mark.parametrize(
    "subject", ["R-7", "R-12", "R-8", "R-9", "R-100", "R-103", "P-3", "P-5", "P-6", "P-100", "P-102", WEIRD_ROBOT, WEIRD_PILOT]
)
@pytest.mark.parametrize(
    "window",
    [
        DAY,
        {"since": "2026-11-25T09:30:00Z", "until": "2026-11-25T10:30:00Z"},
        {"since": "2026-11-25T15:03:00Z", "until": "2026-11-25T15:08:00Z"},
    ],
)
def test_redshift_and_local_sources_give_identical_robot_and_pilot_timelines(sources, subject, window) -> None:
    local, remote = sources
    assert outcome(remote, subject, **window) == outcome(local, subject, **window)


def test_findings_are_identical_through_both_sources_and_judged_against_the_same_fleet_baseline(sources, world):
    local, remote = sources
    local_baseline, remote_baseline = local.baseline(), remote.baseline()
    assert len(local_baseline) > 10 and local_baseline.transitions == remote_baseline.transitions
    kinds = set()
    for delivery in world["deliveries"]:
        a = build(local, delivery, None, parse_options()).findings
        b = build(remote, delivery, None, parse_options()).findings
        assert [f.to_dict() for f in a] == [f.to_dict() for f in b], delivery
        kinds |= {(f.kind, f.severity) for f in a}
    # not vacuous: errors, silences judged usual by the fleet, swaps and handoffs all occur
    assert {("error", "error"), ("silence", "info"), ("reassignment", "info"), ("handoff", "info")} <= kinds


def test_a_redshift_source_without_a_baseline_table_has_none_and_keeps_answering(pg, world) -> None:
    remote = RedshiftSource(profile_for(pg, world["database"], baseline_table="no_baseline_here"), now=NOW)
    try:
        assert remote.baseline() is None
        t = build(remote, "D12345", None, parse_options())  # the session still answers after the failed read
        assert t.baseline is None and not [f for f in t.findings if f.kind == "slow_step"]
        assert {f.kind for f in t.findings} >= {"error", "reassignment"}
    finally:
        remote.close()


def test_the_fixture_subjects_are_not_trivial(sources) -> None:
    local, _ = sources
    story = outcome(local, "D12345")
    assert story["summary"]["robots"] == ["R-7", "R-12"] and story["summary"]["pilots"]
    assert outcome(local, "R-7", **DAY)["windows"]
    edge = outcome(local, "D-EDGE")
    assert edge["summary"]["unplaced"] == 1 and edge["summary"]["duplicates_removed"] == 1
    assert {e["event"] for e in edge["events"]} >= {"demand.note", "offer.accepted"}  # the third hop


@pytest.mark.parametrize("subject", NOT_THERE)
def test_ids_full_of_sql_metacharacters_give_not_found_through_both_sources(sources, subject) -> None:
    local, remote = sources
    for kind in (None, "delivery", "robot", "pilot"):
        assert outcome(local, subject, kind, **DAY) == "not found"
        assert outcome(remote, subject, kind, **DAY) == "not found"


@pytest.mark.parametrize("subject", [WEIRD_DELIVERY, WEIRD_ROBOT, WEIRD_PILOT])
def test_ids_full_of_sql_metacharacters_give_exactly_their_rows_through_both_sources(sources, subject) -> None:
    local, remote = sources
    got = outcome(remote, subject, **DAY)
    assert got == outcome(local, subject, **DAY)
    assert got != "not found"
    kind = got["subject"]["kind"]
    own = [e for e in got["events"] if e[f"{kind}_id"] == subject]
    assert own, got
    if kind == "delivery":
        assert {e["event"] for e in got["events"]} == {
            "offer.received",
            "demand.created",
            "demand.assigned",
            "robot.state_changed",
            "pilot.note",
            "delivery.dropoff_completed",
        }
        assert all(e["delivery_id"] in (None, subject) for e in got["events"])


def counted(remote: RedshiftSource, subject: str, kind: str | None = None, **options: Any) -> list[str]:
    remote.statements.clear()
    remote.parameters.clear()
    remote._prefetch = None
    remote._bounds_read.clear()  # each timeline pays its own bounds read
    outcome(remote, subject, kind, **options)
    return list(remote.statements)


BASELINE_READ = "FROM public.delivery_baseline"
BOUNDS_READ = "FROM public.event_bounds WHERE id = %s"


def test_a_delivery_timeline_takes_its_bounds_read_at_most_three_queries_each_bounded_by_event_ts_and_one_baseline_read(
    sources, world
) -> None:
    _, remote = sources
    for delivery in world["deliveries"]:
        if delivery == "D-EDGE":
            continue
        for kind, options in ((None, {}), ("delivery", {}), (None, DAY), ("delivery", DAY)):
            statements = counted(remote, delivery, kind, **options)
            assert BOUNDS_READ in statements[0], statements
            assert BASELINE_READ in statements[-1], statements
            statements = statements[1:-1]
            assert 1 <= len(statements) <= 3, (delivery, kind, options, statements)
            for sql in statements:
                assert "event_ts >= %s" in sql or "event_ts BETWEEN %s AND %s" in sql, sql
                assert delivery not in sql


def test_a_link_chain_longer_than_two_hops_costs_one_more_query_and_repeats_no_row(sources) -> None:
    _, remote = sources
    statements = counted(remote, "D-EDGE", "delivery")
    # the bounds read, the delivery with two hops, the third hop, the robot (no pilot windows), baseline
    assert len(statements) == 5
    assert BOUNDS_READ in statements[0] and BASELINE_READ in statements[4]
    assert "NOT IN" in statements[2]
    events = remote.delivery_events("D-EDGE", None, None)
    texts = [e.text for e in events]
    assert len([t for t in texts if '"delivery.failed"' in t]) == 2  # the stored duplicate, twice
    assert len(texts) - len(set(texts)) == 1  # and nothing else repeated


def test_robot_and_pilot_timelines_take_at_most_three_queries_and_two_more_to_judge_a_silence_inside_a_delivery(sources) -> None:
    """The rows, the assignment lookback, the deliveries' statuses; when a silence lies inside a delivery, its steps
    and the fleet baseline (findings rules §2a) - once for the whole timeline, never a query per row or per gap."""
    _, remote = sources
    for subject in ("R-12", "P-3", WEIRD_ROBOT):
        statements = counted(remote, subject, None, **DAY)
        judged = [s for s in statements if "delivery_baseline" in s]
        assert len(judged) <= 1
        assert len(statements) <= (5 if judged else 3), statements


def test_a_delivery_lookup_without_a_range_is_bounded_by_the_profiles_lookback(pg, world) -> None:
    later = parse_time_option("2026-12-31T00:00:00Z")
    remote = RedshiftSource(profile_for(pg, world["database"]), now=later)
    try:
        with pytest.raises(NotFound, match=r"since 2026-12-17T00:00:00.000Z \(the 14d lookback of profile 'test'\)"):
            build(remote, "D12345", None, parse_options())
        with pytest.raises(NotFound):
            build(remote, "D12345", "delivery", parse_options())
        found = build(remote, "D12345", "delivery", parse_options(since="2026-11-20T00:00:00Z")).to_dict()
        assert found["summary"]["status"] == "failed"
        # without --kind too: the id lookup searches from --since
        found = build(remote, "D12345", None, parse_options(since="2026-11-20T00:00:00Z")).to_dict()
        assert found["subject"] == {"kind": "delivery", "id": "D12345"}
    finally:
        remote.close()
    wide = RedshiftSource(profile_for(pg, world["database"], lookback_us=60 * 86_400_000_000), now=later)
    try:
        assert build(wide, "D12345", None, parse_options()).to_dict()["summary"]["events"] > 20
    finally:
        wide.close()


def test_the_source_reads_in_a_read_only_transaction(sources) -> None:
    _, remote = sources
    fresh = RedshiftSource(remote.profile, now=NOW)
    try:
        with pytest.raises(Exception, match="read-only"):
            fresh.con.cursor().execute("DELETE FROM events")
    finally:
        fresh.close()


def test_a_missing_table_is_source_unavailable_in_one_line(pg, world) -> None:
    remote = RedshiftSource(profile_for(pg, world["database"], table="no_such_table"), now=NOW)
    try:
        with pytest.raises(SourceUnavailable, match=r"^table public.no_such_table does not exist in database source_\d+"):
            build(remote, "D12345", None, parse_options())
    finally:
        remote.close()


def test_a_statement_timeout_is_source_unavailable(pg, world) -> None:
    pg.run(world["database"], "CREATE TABLE IF NOT EXISTS locked_events AS SELECT * FROM events")
    holder = pg.connect(world["database"])
    holder.autocommit = False
    holder.cursor().execute("LOCK TABLE locked_events IN ACCESS EXCLUSIVE MODE")
    remote = RedshiftSource(profile_for(pg, world["database"], table="locked_events", statement_timeout_us=300_000), now=NOW)
    try:
        with pytest.raises(SourceUnavailable, match=r"timed out after 0.3s \(statement_timeout of profile 'test'\)"):
            build(remote, "D12345", None, parse_options())
    finally:
        remote.close()
        holder.rollback()
        holder.close()


def test_an_unreachable_server_is_source_unavailable(pg) -> None:

    with pytest.raises(SourceUnavailable, match=r"^cannot connect to redshift 127.0.0.1:\d+/x as coco_admin: "):
        RedshiftSource(profile_for(pg, "x", port=free_port()))


# -- through the CLI -------------------------------------------------------------------------------


def test_coco_timeline_with_a_redshift_profile_prints_what_the_local_store_prints(pg, world, isolated_env) -> None:
    write_config(isolated_env, redshift_profile_toml(pg, world["database"]))
    for args in (["D12345"], ["R-12", *("--since", DAY["since"], "--until", DAY["until"])]):
        remote = run_coco("timeline", *args, "--profile", "wh", "-f", "json")
        local = run_coco("timeline", *args, "--store", str(world["store"]), "-f", "json")
        assert (remote.code, remote.err) == (0, "")
        assert remote.json() == local.json()


def test_coco_baseline_with_a_redshift_profile_prints_what_the_local_store_prints(pg, world, isolated_env) -> None:
    write_config(isolated_env, redshift_profile_toml(pg, world["database"]))
    remote = run_coco("baseline", "--profile", "wh", "-f", "json")
    local = run_coco("baseline", "--store", str(world["store"]), "-f", "json")
    assert (remote.code, remote.err) == (0, "") and remote.json() == local.json()
    assert len(remote.json()["transitions"]) > 10
    refused = run_coco("baseline", "--profile", "wh", "--rebuild")
    assert refused.code == 2 and "coco warehouse baseline" in refused.err


def test_coco_timeline_uses_the_default_profile_and_store_overrides_it(pg, world, isolated_env, monkeypatch) -> None:
    write_config(isolated_env, 'default = "wh"\n' + redshift_profile_toml(pg, world["database"]))
    assert run_coco("timeline", "D12346", "-f", "json").json()["summary"]["status"] == "failed"
    monkeypatch.setenv("COCO_PROFILE", "wh")
    assert run_coco("timeline", "D12347", "-f", "json").json()["summary"]["status"] == "fulfilled"


def test_coco_timeline_on_a_missing_redshift_table_exits_4_with_one_line(pg, world, isolated_env) -> None:
    write_config(isolated_env, redshift_profile_toml(pg, world["database"], table='"nope"'))
    result = run_coco("timeline", "D12345", "--profile", "wh")
    assert result.code == 4
    assert result.out == ""
    assert result.err == (
        f"coco: error: table public.nope does not exist in database {world['database']} "
        "(schema and table of profile 'wh'); see 'coco warehouse ddl'\n"
    )


def test_coco_timeline_on_the_local_store_imports_neither_redshift_connector_nor_boto3(world, tmp_path) -> None:
    config = tmp_path / "config" / "coco" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        'default = "laptop"\n[profiles.laptop]\nsource = "local"\n'
        f'store = "{world["store"]}"\n[profiles.wh]\nsource = "redshift"\nhost = "h"\n'
        'database = "d"\nuser = "u"\n'
    )
    probe = (
        "import sys\n"
        "from cocoevents.cli.main import main\n"
        "code = main(sys.argv[1:])\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'redshift_connector', 'boto3', 'botocore'})\n"
        "print('HEAVY', heavy, code, file=sys.stderr)\n"
    )
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"), "HOME": str(tmp_path)}
    env.pop("COCO_PROFILE", None)
    for args in (["timeline", "D12345", "-f", "json"], ["timeline", "D12345", "-f", "json", "--store", str(world["store"])]):
        done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
        assert "HEAVY [] 0" in done.stderr, done.stderr
        assert json.loads(done.stdout)["subject"]["id"] == "D12345"


def test_a_redshift_query_in_flight_does_not_block_other_threads(pg, world) -> None:
    """The shim relays concurrently: two sources at once both answer (the fixture is shared)."""
    results: list[Any] = []

    def one() -> None:
        s = RedshiftSource(profile_for(pg, world["database"]), now=NOW)
        try:
            results.append(outcome(s, "D12345")["summary"]["events"])
        finally:
            s.close()

    threads = [threading.Thread(target=one) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 3 and len(set(results)) == 1
