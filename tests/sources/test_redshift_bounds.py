"""The Redshift source narrowed by the COPY job's id -> time-bounds table, against a real PostgreSQL.

The module's world (tests/support/redshift.py) has the bounds table filled as the migration fills it; a profile
naming a table that does not exist gives the statements as they are without one. Both must answer as the local
store does, and the statements sent (SQL and parameters, as the source records them) must carry the range.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from cocoevents.sources.local import LocalSource
from cocoevents.sources.redshift import RedshiftSource
from cocoevents.sources.redshift_bounds import LINK_MARGIN_US
from cocoevents.timestamps import parse_timestamp, to_datetime

from ..support.pgserver import PgServer
from ..support.redshift import DAY, NOW, bounded_world, profile_for
from .test_redshift_source import BOUNDS_READ, counted, outcome

pytestmark = pytest.mark.postgres

MARGIN = timedelta(microseconds=LINK_MARGIN_US)


def times(params: list[Any]) -> list[datetime]:
    return [p for p in params if isinstance(p, datetime)]


def own_range(records: list[dict[str, Any]], delivery: str) -> tuple[datetime, datetime]:
    stamps = [parse_timestamp(r.get("timestamp")) for r in records if r.get("delivery_id") == delivery]
    us = [s for s in stamps if s is not None]
    return to_datetime(min(us)).replace(tzinfo=None), to_datetime(max(us)).replace(tzinfo=None)


@pytest.fixture(scope="module")
def unbounded(pg: PgServer, world: dict[str, Any]):
    """The same warehouse without a bounds table (a deployment before the migration)."""
    source = RedshiftSource(profile_for(pg, world["database"], bounds_table="no_bounds_here"), now=NOW)
    yield source
    source.close()


def test_a_delivery_statement_covers_the_deliverys_own_time_not_the_lookback(sources, world) -> None:
    _, remote = sources
    first, last = own_range(world["records"], "D12345")
    statements = counted(remote, "D12345")
    assert BOUNDS_READ in statements[0] and remote.parameters[0][0] == "D12345"
    delivery = times(remote.parameters[1])
    assert "WITH direct AS" in statements[1]
    # the lookback is 14 days and asks no upper bound; the statement asks the delivery's hours and the margin
    assert min(delivery) == first - MARGIN and max(delivery) == last + MARGIN
    assert max(delivery) - min(delivery) <= (last - first) + 2 * MARGIN < timedelta(days=2)
    for params in remote.parameters[1:-1]:  # the robot and pilot statements too (their spans lie inside)
        assert times(params) and min(times(params)) >= first - MARGIN and max(times(params)) <= last + MARGIN


def test_without_the_bounds_table_the_statements_are_bounded_by_the_range_asked_and_the_answers_are_the_same(
    sources, world, unbounded
) -> None:
    local, remote = sources
    for delivery in world["deliveries"]:
        expected = outcome(local, delivery)
        assert outcome(remote, delivery) == expected == outcome(unbounded, delivery), delivery
        assert outcome(unbounded, delivery, "delivery", **DAY) == outcome(remote, delivery, "delivery", **DAY), delivery
    for subject in ("R-7", "P-3"):
        assert outcome(unbounded, subject, **DAY) == outcome(remote, subject, **DAY) == outcome(local, subject, **DAY)
    statements = counted(unbounded, "D12345")
    assert not [s for s in statements if "event_bounds" in s]  # the missing table was found once, not asked again
    lookback = (to_datetime(NOW) - timedelta(days=14)).replace(tzinfo=None)
    assert times(unbounded.parameters[0])[0] == lookback  # the delivery statement over the lookback, as before


def test_a_robot_id_is_known_from_the_bounds_without_reading_the_events(sources) -> None:
    _, remote = sources
    statements = counted(remote, "R-12", None, **DAY)
    assert BOUNDS_READ in statements[0]
    # no lookup of the id as a delivery nor as a robot or pilot in the events table (the statuses of the
    # deliveries it worked on are read by their ids)
    assert not [s for s in statements if "robot_hit" in s]
    assert not [p for s, p in zip(statements, remote.parameters) if "WITH direct AS" in s and "R-12" in p]


# -- a delivery whose offer and demand lie days before it ---------------------------------------------------------

T = datetime(2026, 11, 20, 12, 0)


def far_records() -> list[dict[str, Any]]:
    def at(delta: timedelta) -> str:
        return (T + delta).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    return [
        {"event": "offer.received", "timestamp": at(timedelta(days=-3)), "offer_id": "O-F"},
        {"event": "demand.created", "timestamp": at(timedelta(days=-2)), "demand_id": "DM-F", "offer_id": "O-F"},
        {"event": "demand.assigned", "timestamp": at(timedelta(0)), "demand_id": "DM-F", "delivery_id": "D-FAR", "robot_id": "R-F"},
        {"event": "delivery.dropoff_completed", "timestamp": at(timedelta(hours=1)), "delivery_id": "D-FAR", "robot_id": "R-F"},
        {"event": "demand.assigned", "timestamp": at(timedelta(hours=2)), "demand_id": "DM-N", "delivery_id": "D-NEW"},
        {"event": "delivery.dropoff_completed", "timestamp": at(timedelta(hours=3)), "delivery_id": "D-NEW"},
    ]


# loaded after the bounds were filled (not by the job), so the table lacks their demand id: a row of D-NEW inside
# its bounds naming a second demand, and that demand's creation days before
LATE_LINK = [
    {"event": "demand.reassigned", "timestamp": "2026-11-20T14:30:00.000Z", "demand_id": "DM-X", "delivery_id": "D-NEW"},
    {"event": "demand.created", "timestamp": "2026-11-17T12:00:00.000Z", "demand_id": "DM-X"},
]


@pytest.fixture(scope="module")
def far(pg: PgServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    records = far_records()
    db_path, database = bounded_world(pg, tmp_path_factory, "far", records, LATE_LINK)
    local = LocalSource(db_path)
    remote = RedshiftSource(profile_for(pg, database), now=NOW)
    yield {"local": local, "remote": remote}
    local.close()
    remote.close()


def story(source: Any, subject: str) -> Any:
    """The timeline but its findings (the local store keeps a fleet baseline of these few rows, the warehouse none)."""
    got = outcome(source, subject)
    return {k: v for k, v in got.items() if k != "findings"}


def test_a_demand_and_offer_days_before_their_delivery_widen_its_statement_hop_by_hop_and_are_found(far) -> None:
    local, remote = far["local"], far["remote"]
    got = story(remote, "D-FAR")
    assert got == story(local, "D-FAR")
    assert {e["event"] for e in got["events"]} >= {"offer.received", "demand.created"}
    statements = counted(remote, "D-FAR")
    deliveries = [p for s, p in zip(statements, remote.parameters) if "WITH direct AS" in s]
    # the delivery's own time; widened to its demand's rows (2 days before), whose row names the offer; then to the
    # offer's (3 days before), no further
    assert [min(times(p[:2])) for p in deliveries] == [T - MARGIN, T - timedelta(days=2), T - timedelta(days=3)]


def test_a_linked_id_the_bounds_table_lacks_means_the_whole_range_asked(far) -> None:
    local, remote = far["local"], far["remote"]
    got = story(remote, "D-NEW")
    assert got == story(local, "D-NEW")
    assert "demand.created" in {e["event"] for e in got["events"]}
    statements = counted(remote, "D-NEW")
    last = [p for s, p in zip(statements, remote.parameters) if "WITH direct AS" in s][-1]
    assert times(last)[0] == (to_datetime(NOW) - timedelta(days=14)).replace(tzinfo=None)
