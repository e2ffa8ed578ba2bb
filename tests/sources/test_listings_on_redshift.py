"""The fleet views through the Redshift source: the real redshift_connector against the PostgreSQL fixture.

Same events in both stores (tests/test_redshift_source.py's ``world``); the listing, the error report and
the id lookups must be equal, and the Redshift source must run a bounded, constant number of statements,
each bounded by ``event_ts``, whatever the number of deliveries.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from cocoevents.archive import lines as archive
from cocoevents.core import listings as fleet
from cocoevents.core.lookup import build
from cocoevents.core.options import parse_options
from cocoevents.devtools import generator
from cocoevents.errors import NotFound
from cocoevents.sources.local import LocalSource
from cocoevents.sources.redshift import RedshiftSource
from cocoevents.store import loader as store
from cocoevents.timestamps import parse_time_option
from cocoevents.warehouse.copyjob import refresh_baseline
from cocoevents.warehouse.ddl import Target

from ..support.cli import run_coco
from ..support.pgserver import PgServer, events_ddl, load_events
from ..support.redshift import NOW, no_autocommit, profile_for, redshift_profile_toml, write_config

pytestmark = pytest.mark.postgres

SINCE, UNTIL = parse_time_option("2026-11-25T00:00:00Z"), parse_time_option("2026-11-25T23:59:59Z")


BASELINE_READ = "FROM public.delivery_baseline"
BOUNDS_READ = "FROM public.event_bounds WHERE id = %s"


def bounded(sql: str) -> bool:
    """Bounded by ``event_ts`` - or the one read of the fleet baseline table (a small aggregate, no events), or
    an id's read of the bounds table (keyed by the id; its untimed rows only besides)."""
    return "event_ts >= %s" in sql or "event_ts BETWEEN %s AND %s" in sql or BASELINE_READ in sql or BOUNDS_READ in sql


def counted(remote: RedshiftSource, call: Any) -> tuple[Any, list[str]]:
    remote.statements.clear()
    remote._prefetch = None
    result = call()
    return result, list(remote.statements)


def test_the_listing_through_redshift_equals_the_local_listing(sources) -> None:  # noqa: F811 - a fixture
    local, remote = sources
    for limit in (0, 50, 7):
        assert (
            fleet.list_deliveries(remote, SINCE, UNTIL, limit=limit).to_dict()
            == fleet.list_deliveries(local, SINCE, UNTIL, limit=limit).to_dict()
        )


@pytest.mark.parametrize(
    "filters",
    [
        fleet.Filters(statuses=("failed",)),
        fleet.Filters(error="LID_STUCK"),
        fleet.Filters(robot="R-12"),
        fleet.Filters(pilot="P-5"),
        fleet.Filters(merchant="M-123"),
        fleet.Filters(event="robot.grounded"),
        fleet.Filters(statuses=("fulfilled", "canceled")),
    ],
)
def test_filters_through_redshift_equal_the_local_ones(sources, filters) -> None:  # noqa: F811 - a fixture
    local, remote = sources
    got = fleet.list_deliveries(remote, SINCE, UNTIL, filters, limit=0).to_dict()
    assert got == fleet.list_deliveries(local, SINCE, UNTIL, filters, limit=0).to_dict()
    assert got["deliveries"]


@pytest.fixture(scope="module")
def big(pg: PgServer, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A fleet day of 120 deliveries in both stores (the shared fixture has fewer than 50)."""
    root = tmp_path_factory.mktemp("big")
    records = generator.fleet_day(generator.Fleet(deliveries=120, robots=10, pilots=3, seed=21))
    generator.write_archive(records, root, seed=21, per_file=1000)
    db = tmp_path_factory.mktemp("bigstore") / "events.duckdb"
    store.load(db, [root])
    files, _ = archive.find_files([root])
    loaded = [rec for f in files for _, rec in archive.scan(f).records]
    database = pg.create_database("big")
    pg.run(database, events_ddl())
    load_events(pg, database, loaded)
    connect = lambda: pg.connect(database)  # noqa: E731 - autocommit off below: the refresh owns its transaction
    refresh_baseline(
        Target(schema="public", table="events"), lambda: no_autocommit(connect()), now=datetime(2026, 11, 26, tzinfo=timezone.utc)
    )
    local = LocalSource(db)
    remote = RedshiftSource(profile_for(pg, database), now=NOW)
    yield local, remote, sorted({r["delivery_id"] for r in loaded if r.get("delivery_id")})
    local.close()
    remote.close()


def test_a_listing_of_50_takes_at_most_5_statements_each_bounded_by_event_ts(big) -> None:
    local, remote, deliveries = big
    listing, statements = counted(remote, lambda: fleet.list_deliveries(remote, SINCE, UNTIL, limit=50))
    assert len(listing.rows) == 50 and listing.more > 50
    assert listing.to_dict() == fleet.list_deliveries(local, SINCE, UNTIL, limit=50).to_dict()
    assert len(statements) <= 5, statements
    assert sum(BASELINE_READ in sql for sql in statements) == 1  # the fleet baseline, once for the listing
    for sql in statements:
        assert bounded(sql), sql
        for d in deliveries:
            assert d not in sql  # ids are parameters


def test_the_statement_count_does_not_grow_with_the_number_of_deliveries(big) -> None:
    local, remote, _ = big
    counts = {}
    for limit in (1, 5, 20, 50, 0):
        listing, statements = counted(remote, lambda limit=limit: fleet.list_deliveries(remote, SINCE, UNTIL, limit=limit))
        assert listing.to_dict() == fleet.list_deliveries(local, SINCE, UNTIL, limit=limit).to_dict()
        counts[len(listing.rows)] = len(statements)
    assert max(counts) > 100 and set(counts.values()) <= {4, 5}, counts


def test_errors_through_redshift_equal_the_local_report_in_one_statement(sources) -> None:  # noqa: F811 - a fixture
    local, remote = sources
    for by in fleet.ERROR_GROUPS:
        report, statements = counted(remote, lambda by=by: fleet.error_report(remote, SINCE, UNTIL, by))
        assert report.to_dict() == fleet.error_report(local, SINCE, UNTIL, by).to_dict()
        assert report.groups
        assert len(statements) == 1 and "event_ts >= %s AND event_ts <= %s" in statements[0]


@pytest.mark.parametrize("linked", ["DM-12345", "O-12345"])
def test_a_demand_or_offer_id_opens_its_delivery_through_redshift(sources, linked) -> None:  # noqa: F811 - a fixture
    local, remote = sources
    via_remote, statements = counted(remote, lambda: build(remote, linked, None, parse_options()))
    assert via_remote.to_dict() == build(local, "D12345", None, parse_options()).to_dict()
    assert all(bounded(sql) for sql in statements) and len(statements) <= 8


@pytest.mark.parametrize(("typed", "meant"), [("d12345", "D12345"), ("r7", "R-7"), ("R7", "R-7")])
def test_did_you_mean_through_redshift(sources, typed, meant) -> None:  # noqa: F811 - a fixture
    _, remote = sources
    with pytest.raises(NotFound, match=rf"; did you mean {meant}\?$"):
        build(remote, typed, None, parse_options())
    assert all(bounded(sql) for sql in remote.statements)


def test_statuses_through_redshift_in_one_statement(sources, world) -> None:  # noqa: F811 - a fixture
    local, remote = sources
    ids = [d for d in world["deliveries"] if d.startswith("D2")][:30] + ["D12345", "D12347"]
    got, statements = counted(remote, lambda: fleet.statuses(remote, ids))
    assert got == fleet.statuses(local, ids) and got["D12345"] == "failed" and len(statements) == 1


def test_coco_deliveries_and_errors_with_a_redshift_profile_print_what_the_local_store_prints(
    pg,
    world,  # noqa: F811 - a fixture
    isolated_env,
) -> None:
    write_config(isolated_env, redshift_profile_toml(pg, world["database"]))
    day = ("--since", "2026-11-25T00:00:00Z", "--until", "2026-11-25T23:59:59Z")
    for args in (
        ("deliveries", *day, "--limit", "0"),
        ("deliveries", *day, "--status", "failed"),
        ("errors", *day),
        ("errors", *day, "--by", "robot"),
    ):
        remote = run_coco(*args, "--profile", "wh", "-f", "json")
        local = run_coco(*args, "--store", str(world["store"]), "-f", "json")
        assert (remote.code, remote.err) == (0, ""), remote.err
        assert remote.json() == local.json()


def test_a_status_filtered_listing_is_narrowed_in_sql_before_timelines_are_built(big) -> None:
    local, remote, _ = big
    filters = fleet.Filters(statuses=("failed",))
    listing, statements = counted(remote, lambda: fleet.list_deliveries(remote, SINCE, UNTIL, filters, limit=0))
    assert listing.to_dict() == fleet.list_deliveries(local, SINCE, UNTIL, filters, limit=0).to_dict()
    assert 0 < len(listing.rows) < 20 and len(statements) <= 6, statements  # + the narrowing statement
    assert all(bounded(sql) for sql in statements)
