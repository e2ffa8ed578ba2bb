"""``coco compare`` through the Redshift source: the real redshift_connector against the PostgreSQL fixture.

The same events in both stores (``support.redshift.build_world``, the demo day's stories among a fleet day): the
counts must equal the local store's and the reference from the exact timelines, in one aggregate statement
bounded by ``event_ts`` (two when the group wants slow steps: the fleet baseline first), whatever the number of
deliveries, with every value a parameter.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from cocoevents.core import compare as cmp
from cocoevents.core.listings import Filters
from cocoevents.core.options import Options
from cocoevents.sources.memory import MemorySource

from .test_listings_on_redshift import BASELINE_READ, SINCE, UNTIL, counted

pytestmark = pytest.mark.postgres

GROUPS = [
    Filters(),
    Filters(statuses=("failed",)),
    Filters(robot="R-12"),
    Filters(pilot="P-5"),
    Filters(merchant="M-123"),
    Filters(error="LID_STUCK"),
    Filters(event="robot.grounded"),
    Filters(slow=True),
    Filters(statuses=("canceled", "failed"), robot="R-8"),
]


def _named(f: Filters) -> str:
    return " ".join(f"{k}={v}" for k, v in f.to_dict().items() if v not in (None, False, [])) or "default"


@pytest.mark.parametrize("filters", GROUPS, ids=_named)
def test_compare_counts_through_redshift_equal_the_local_ones_and_the_timelines(sources, world, filters) -> None:  # noqa: F811
    local, remote = sources
    counts, statements = counted(remote, lambda: remote.compare_counts(SINCE, UNTIL, filters, Options()))
    assert counts == local.compare_counts(SINCE, UNTIL, filters, Options())
    assert counts == MemorySource(world["records"]).compare_counts(SINCE, UNTIL, filters, Options())
    assert counts.group_n >= 1 or filters.slow
    reads = [sql for sql in statements if BASELINE_READ not in sql]
    assert len(reads) == 1 and len(statements) == (2 if filters.slow else 1), statements
    assert "event_ts BETWEEN %s AND %s" in reads[0]
    for value in ("R-12", "P-5", "M-123", "LID_STUCK", "robot.grounded", "D12345"):
        assert value not in reads[0]  # every value is a parameter


def test_a_comparison_through_redshift_equals_the_local_one(sources) -> None:  # noqa: F811
    local, remote = sources
    there = cmp.compare(remote, SINCE, UNTIL, Filters(), limit=0)
    here = cmp.compare(local, SINCE, UNTIL, Filters(), limit=0)
    assert there.to_dict() == here.to_dict()
    assert any(r["dimension"] == "step" for r in there.to_dict()["rows"])


def test_the_statement_count_of_a_compare_does_not_grow_with_the_deliveries(sources) -> None:  # noqa: F811
    local, remote = sources
    for until in (SINCE + 3_600_000_000 * 12, UNTIL):  # half the day, then all of it
        _, statements = counted(remote, lambda until=until: remote.compare_counts(SINCE, until, Filters(), Options()))
        assert len(statements) == 1


def test_the_twin_through_redshift_is_the_local_one(sources) -> None:  # noqa: F811
    from cocoevents.core.sessionize import delivery_timeline

    local, remote = sources
    here = cmp.nearest_twin(local, delivery_timeline(local, "D12346", Options()))
    there = cmp.nearest_twin(remote, delivery_timeline(remote, "D12346", replace(Options())))
    assert there.to_dict() == here.to_dict()
