"""The Redshift delivery statement's link hops, each a lookup of one id column, against a real PostgreSQL.

A row carrying both a demand id and an offer id of the delivery is found by both lookups of a hop and must come
back once; a row without a time is found as the timed ones are; and a delivery the bounds table does not hold
(loaded after the table was filled) still finds its links days before it. Every answer equals the local store's.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest

from cocoevents.sources.local import LocalSource
from cocoevents.sources.redshift import RedshiftSource
from cocoevents.timestamps import to_datetime

from ..support.pgserver import PgServer
from ..support.redshift import NOW, bounded_world, profile_for
from .test_redshift_source import counted, outcome

pytestmark = pytest.mark.postgres

T = datetime(2026, 11, 20, 12, 0)


def at(delta: timedelta) -> str:
    return (T + delta).strftime("%Y-%m-%dT%H:%M:%S.000Z")


H = timedelta(hours=1)

# D-BOTH: its direct row carries its demand and its offer, so rows carrying both are found by both lookups of a hop
BOTH = [
    {"event": "offer.received", "timestamp": at(-3 * H), "offer_id": "O-B2"},  # hop 2, by offer only
    {"event": "offer.received", "timestamp": at(-2 * H), "offer_id": "O-B"},  # hop 1, by offer only
    {"event": "demand.created", "timestamp": at(-H), "demand_id": "DM-B", "offer_id": "O-B"},  # hop 1, by both
    {"event": "offer.accepted", "timestamp": at(-H / 2), "demand_id": "DM-B", "offer_id": "O-B2"},  # hop 1 by demand; names O-B2
    {"event": "demand.note", "timestamp": at(-H / 3), "demand_id": "DM-B", "offer_id": "O-B2"},  # the same, twice stored
    {"event": "demand.note", "timestamp": at(-H / 3), "demand_id": "DM-B", "offer_id": "O-B2"},
    {"event": "demand.note", "timestamp": "not a time", "demand_id": "DM-B", "offer_id": "O-B"},  # untimed, by both
    {"event": "demand.assigned", "timestamp": at(0 * H), "demand_id": "DM-B", "offer_id": "O-B", "delivery_id": "D-BOTH"},
    {"event": "delivery.dropoff_completed", "timestamp": at(H), "delivery_id": "D-BOTH"},
    # another delivery's row naming the same demand is not a link (it has a delivery id)
    {"event": "demand.assigned", "timestamp": at(2 * H), "demand_id": "DM-B", "delivery_id": "D-OTHER"},
]

# D-LATE: loaded after the bounds table was filled, so the table holds none of its ids; its offer days before it
LATE = [
    {"event": "offer.received", "timestamp": at(timedelta(days=-5)), "offer_id": "O-L"},
    {"event": "demand.created", "timestamp": at(timedelta(days=-4)), "demand_id": "DM-L", "offer_id": "O-L"},
    {"event": "demand.assigned", "timestamp": at(0 * H), "demand_id": "DM-L", "delivery_id": "D-LATE"},
    {"event": "delivery.dropoff_completed", "timestamp": at(H), "delivery_id": "D-LATE"},
]


@pytest.fixture(scope="module")
def hops(pg: PgServer, tmp_path_factory: pytest.TempPathFactory):
    db_path, database = bounded_world(pg, tmp_path_factory, "hops", BOTH, LATE)
    local = LocalSource(db_path)
    remote = RedshiftSource(profile_for(pg, database), now=NOW)
    unbounded = RedshiftSource(profile_for(pg, database, bounds_table="no_bounds_here"), now=NOW)
    yield {"local": local, "remote": remote, "unbounded": unbounded}
    local.close()
    remote.close()
    unbounded.close()


def story(source: Any, subject: str) -> Any:
    """The timeline but its findings (the local store keeps a fleet baseline of these few rows, the warehouse none)."""
    got = outcome(source, subject)
    return {k: v for k, v in got.items() if k != "findings"}


def linked_texts(records: list[dict[str, Any]], other: str) -> Counter[str]:
    return Counter(json.dumps(r, sort_keys=True) for r in records if r.get("delivery_id") != other)


def test_a_row_linked_by_both_its_demand_and_its_offer_comes_back_once_timed_or_untimed(hops) -> None:
    for source in (hops["remote"], hops["unbounded"]):
        texts = Counter(json.dumps(json.loads(e.text), sort_keys=True) for e in source.delivery_events("D-BOTH", None, None))
        # every record of the chain, the stored duplicate twice, nothing else twice, the other delivery's row not at all
        assert texts == linked_texts(BOTH, "D-OTHER")
    assert story(hops["remote"], "D-BOTH") == story(hops["local"], "D-BOTH") == story(hops["unbounded"], "D-BOTH")


def test_each_hop_of_the_delivery_statement_looks_up_one_id_column_at_a_time(hops) -> None:
    remote = hops["remote"]
    statements = [s for s in counted(remote, "D-BOTH", "delivery") if "WITH direct AS" in s]
    assert statements
    for sql in statements:
        assert "OR offer_id IN" not in sql and "OR demand_id IN" not in sql, sql
        assert sql.count("offer_id IN (SELECT") == sql.count("demand_id IN (SELECT") == 4, sql  # two hops, timed and untimed


def test_a_hop_far_outside_the_deliverys_hours_is_found_when_the_bounds_table_does_not_hold_the_delivery(hops) -> None:
    local, remote = hops["local"], hops["remote"]
    got = story(remote, "D-LATE")
    assert got == story(local, "D-LATE")
    assert {e["event"] for e in got["events"]} >= {"offer.received", "demand.created"}
    statements = counted(remote, "D-LATE")
    delivery = [p for s, p in zip(statements, remote.parameters) if "WITH direct AS" in s]
    lookback = (to_datetime(NOW) - timedelta(days=14)).replace(tzinfo=None)
    assert delivery and [p for p in delivery[0] if isinstance(p, datetime)][0] == lookback


def test_a_batch_of_deliveries_gets_each_ones_rows_as_asked_one_by_one(hops) -> None:
    remote = hops["remote"]
    batch = Counter(e.text for e in remote.deliveries_events(["D-BOTH", "D-LATE"], None, None))
    alone = Counter(e.text for d in ("D-BOTH", "D-LATE") for e in remote.delivery_events(d, None, None))
    assert batch == alone and sum(batch.values()) == len(BOTH) - 1 + len(LATE)
