"""``coco compare`` finds a planted cause: generated days where one robot, pilot, merchant or source fails far more
often than the fleet, or where the failing deliveries took four times as long over one step, several seeds each.
The planted value ranks first and scores above the noise threshold; on days with no cause planted, no row does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cocoevents.core.compare import compare
from cocoevents.core.listings import Filters
from cocoevents.sources.local import LocalSource

from ..support.compare import PLANTS, SINCE, UNTIL, day_store

pytestmark = pytest.mark.slow

SEEDS = (1, 2, 3)
NULL_SEEDS = (1, 2, 3, 4, 5)


@pytest.fixture(scope="module")
def days(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("planted")


def ranked(store: Path):  # type: ignore[no-untyped-def]
    source = LocalSource(store)
    try:
        return compare(source, SINCE, UNTIL, Filters())
    finally:
        source.close()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("dimension", sorted(PLANTS))
def test_the_planted_cause_of_the_failures_ranks_first_above_the_noise(days, dimension, seed) -> None:
    plant = PLANTS[dimension]
    result = ranked(day_store(days, seed, plant))
    first = next(r for r in result.rows if not r.defining)
    assert (first.dimension, first.value) == (dimension, plant.value), [(r.dimension, r.value, r.score) for r in result.rows[:5]]
    assert first.score > result.threshold
    assert result.to_dict()["rows"][0]["above_noise"] is True


@pytest.mark.parametrize("seed", NULL_SEEDS)
def test_a_day_without_a_planted_cause_ranks_nothing_above_the_noise(days, seed) -> None:
    result = ranked(day_store(days, seed, None))
    assert result.group_n > 50 and result.others_n > 1500
    explaining = [r for r in result.rows if not r.defining]
    assert explaining and all(r.score <= result.threshold for r in explaining), [(r.dimension, r.value, r.score) for r in explaining[:3]]
    assert 3.0 < result.threshold < 4.5  # ~180 rows at 5%
