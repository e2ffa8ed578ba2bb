"""The two tests ``coco compare`` scores with, against values published or computed elsewhere.

Reference values: exact rationals worked out by hand from the hypergeometric distribution, the examples of
scipy's documentation, and p-values computed once with scipy 1.17.1 (``fisher_exact(..., alternative="greater")``,
``mannwhitneyu(..., method="asymptotic", alternative="greater")``) - scipy is not a dependency of coco or of its
tests; the figures are written here.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cocoevents.core.stats import fisher_greater, log_normal_sf, mann_whitney_greater, ranks, score

SCIPY_FISHER_GREATER = [
    ([[6, 2], [1, 4]], 0.08624708624708625),  # scipy's documentation example (whales and sharks); 111/1287
    ([[3, 1], [1, 3]], 0.24285714285714283),  # the lady tasting tea; 17/70
    ([[15, 5], [5, 500]], 5.788198656911124e-21),
    ([[1, 0], [50, 500]], 0.0925589836660617),
    ([[0, 10], [5, 5]], 1.0),
    ([[120, 880], [40, 960]], 1.5433307166305678e-11),
    ([[9, 91], [1, 899]], 6.565133528120786e-09),
]


def exact_greater(a: int, b: int, c: int, d: int) -> Fraction:
    """P(X >= a), the hypergeometric tail as a fraction (the definition, term by term)."""
    row, col, total = a + b, a + c, a + b + c + d
    tail = sum(math.comb(col, x) * math.comb(total - col, row - x) for x in range(a, min(row, col) + 1))
    return Fraction(tail, math.comb(total, row))


@pytest.mark.parametrize("table, expected", SCIPY_FISHER_GREATER)
def test_the_one_sided_fisher_test_gives_scipys_p_values(table, expected) -> None:
    (a, b), (c, d) = table
    assert math.exp(fisher_greater(a, b, c, d)) == pytest.approx(expected, rel=1e-9)


def test_the_whales_and_sharks_table_is_111_of_1287_exactly() -> None:
    assert exact_greater(6, 2, 1, 4) == Fraction(111, 1287)
    assert math.exp(fisher_greater(6, 2, 1, 4)) == pytest.approx(111 / 1287, rel=1e-12)


@given(st.integers(0, 60), st.integers(0, 60), st.integers(0, 400), st.integers(0, 400))
def test_the_fisher_tail_equals_the_exact_hypergeometric_sum(a, b, c, d) -> None:
    exact = exact_greater(a, b, c, d)
    got = math.exp(fisher_greater(a, b, c, d))
    assert got == pytest.approx(float(exact), rel=1e-9, abs=1e-300)


def test_the_fisher_tail_of_a_million_deliveries_stays_finite_in_log_space() -> None:
    log_p = fisher_greater(15_000, 5_000, 20_000, 960_000)
    assert math.isfinite(log_p) and log_p < math.log(1e-300)  # far below the smallest float, still a number
    assert score(log_p) > 1000


def test_scipys_mann_whitney_example_one_and_two_sided() -> None:
    males, females = [19, 22, 16, 29, 24], [20, 11, 17, 12]  # scipy.stats.mannwhitneyu's documentation
    r, ties = ranks(males + females)
    log_p = mann_whitney_greater(5, 4, sum(r[:5]), ties)
    assert math.exp(log_p) == pytest.approx(0.055673443266570206, rel=1e-9)
    assert 2 * math.exp(log_p) == pytest.approx(0.11134688653314041, rel=1e-9)  # the two-sided value printed there


def test_mann_whitney_with_ties_in_both_directions() -> None:
    x, y = [1, 2, 2, 3, 3, 3, 4, 9], [2, 3, 3, 5, 5, 6, 7, 8, 8, 9, 10]
    r, ties = ranks(x + y)
    assert ties == sum(t**3 - t for t in (3, 5, 2, 2, 2))  # the 2s, 3s, 5s, 8s and 9s
    assert math.exp(mann_whitney_greater(8, 11, sum(r[:8]), ties)) == pytest.approx(0.9816549487150902, rel=1e-9)
    r, ties = ranks(y + x)
    assert math.exp(mann_whitney_greater(11, 8, sum(r[:11]), ties)) == pytest.approx(0.022447978508983175, rel=1e-9)


def test_mid_ranks_share_the_mean_of_their_places() -> None:
    assert ranks([10, 20, 20, 30]) == ([1.0, 2.5, 2.5, 4.0], 6.0)
    assert ranks([5, 5, 5]) == ([2.0, 2.0, 2.0], 24.0)


def test_all_durations_tied_tell_nothing_apart() -> None:
    r, ties = ranks([7.0] * 12)
    assert mann_whitney_greater(4, 8, sum(r[:4]), ties) == 0.0


def test_a_sample_that_is_all_larger_is_overwhelming_evidence_with_many_values() -> None:
    rng = random.Random(5)
    slow = [600 + rng.random() for _ in range(40)]
    usual = [95 + rng.random() for _ in range(500)]
    r, ties = ranks(slow + usual)
    assert score(mann_whitney_greater(40, 500, sum(r[:40]), ties)) > 20


def test_the_normal_tail_is_continuous_where_it_switches_to_the_asymptotic_series() -> None:
    assert log_normal_sf(29.999) == pytest.approx(log_normal_sf(30.0), rel=1e-3)
    assert log_normal_sf(0.0) == pytest.approx(math.log(0.5))
    assert math.isfinite(log_normal_sf(500.0))


def test_a_score_is_sized_by_evidence_one_of_one_scores_below_fifteen_of_twenty() -> None:
    # 50 failed, 950 fulfilled: a robot with its 1 delivery failed, and one with 15 failed of 20
    lone = score(fisher_greater(1, 49, 0, 950))
    busy = score(fisher_greater(15, 35, 5, 945))
    assert lone < 1.5 < 10 < busy
    assert score(fisher_greater(0, 50, 30, 920)) == 0.0  # rarer in the group than among the others: nothing
