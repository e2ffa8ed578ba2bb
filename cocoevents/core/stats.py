"""The two tests ``coco compare`` scores its rows with, written out so coco needs no statistics library.

- ``fisher_greater(a, b, c, d)``: the one-sided Fisher exact test of a 2x2 table ``[[a, b], [c, d]]`` - the
  probability, with the margins fixed, of a top-left cell of ``a`` or more (hypergeometric, computed in log space
  from ``math.lgamma``, so tables of a million deliveries neither overflow nor underflow).
- ``mann_whitney_greater(n1, n2, rank_sum1, ties)``: the one-sided Mann-Whitney U test that the first sample tends
  to be larger, from the first sample's rank sum (mid-ranks for ties) and the tie term ``sum(t**3 - t)`` over the
  groups of tied values: the normal approximation with the tie correction and a continuity correction of 1/2
  (as ``scipy.stats.mannwhitneyu(..., method="asymptotic")``). A source can compute both inputs in SQL, so the
  durations never leave the database.

Both return the natural logarithm of the p-value (``log_p``): the evidence of a strong effect over thousands
of deliveries is a p-value below the smallest float, and a score is ``-log10(p)``.
"""

from __future__ import annotations

import math
from typing import Sequence

LN10 = math.log(10.0)
_TAIL_EPSILON = 1e-17  # a tail's terms are added until the next one is this small beside the sum


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def _logsumexp(values: Sequence[float]) -> float:
    top = max(values)
    if top == -math.inf:
        return top
    return top + math.log(math.fsum(math.exp(v - top) for v in values))


def fisher_greater(a: int, b: int, c: int, d: int) -> float:
    """ln P(X >= a) for X hypergeometric with the margins of ``[[a, b], [c, d]]``: the one-sided Fisher exact test
    that the first row holds more of the first column than chance would put there."""
    if min(a, b, c, d) < 0:
        raise ValueError("a 2x2 table holds counts of 0 or more")
    row, col, total = a + b, a + c, a + b + c + d
    lo, hi = max(0, row + col - total), min(row, col)
    if a <= lo:
        return 0.0
    norm = _log_comb(total, row)

    def log_pmf(x: int) -> float:
        return _log_comb(col, x) + _log_comb(total - col, row - x) - norm

    mode = math.floor((row + 1) * (col + 1) / (total + 2))
    if a > mode:  # the upper tail decreases from ``a`` on: add terms until they no longer count
        terms = [log_pmf(a)]
        x = a
        while x < hi:
            x += 1
            term = log_pmf(x)
            terms.append(term)
            if term < terms[0] + math.log(_TAIL_EPSILON):
                break
        return min(0.0, _logsumexp(terms))
    # ``a`` at or below the mode: P(X >= a) = 1 - P(X < a), the lower tail decreasing from a - 1 down
    terms = []
    x = a - 1
    while x >= lo:
        term = log_pmf(x)
        terms.append(term)
        if term < terms[0] + math.log(_TAIL_EPSILON):
            break
        x -= 1
    lower = math.exp(_logsumexp(terms)) if terms else 0.0
    return math.log(max(1.0 - lower, 0.0)) if lower < 1.0 else -math.inf


def log_normal_sf(z: float) -> float:
    """ln P(Z > z) for a standard normal Z, accurate far into the tail (where ``erfc`` underflows)."""
    if z < 30.0:
        return math.log(0.5 * math.erfc(z / math.sqrt(2.0)))
    # Mills' ratio, asymptotic series: P(Z > z) = phi(z) / z * (1 - 1/z^2 + 3/z^4 - 15/z^6 + ...)
    z2 = z * z
    series = 1.0 - 1.0 / z2 + 3.0 / z2**2 - 15.0 / z2**3 + 105.0 / z2**4
    return -z2 / 2.0 - math.log(z * math.sqrt(2.0 * math.pi)) + math.log(series)


def mann_whitney_greater(n1: int, n2: int, rank_sum1: float, ties: float = 0.0) -> float:
    """ln p of the one-sided Mann-Whitney U test that sample 1 tends to be larger than sample 2.

    ``rank_sum1``: the sum of sample 1's ranks among both samples (ranks 1..n1+n2, tied values sharing the
    mean of their ranks); ``ties``: ``sum(t**3 - t)`` over the groups of ``t`` tied values of both samples."""
    if n1 < 1 or n2 < 1:
        return 0.0
    n = n1 + n2
    u1 = rank_sum1 - n1 * (n1 + 1) / 2.0
    mean = n1 * n2 / 2.0
    var = n1 * n2 / 12.0 * ((n + 1) - ties / (n * (n - 1)))
    if var <= 0:  # every value tied: nothing tells the samples apart
        return 0.0
    z = (u1 - mean - 0.5) / math.sqrt(var)
    return min(0.0, log_normal_sf(z))


def ranks(values: Sequence[float]) -> tuple[list[float], float]:
    """Mid-ranks (1-based) of ``values`` in their order, and the tie term ``sum(t**3 - t)``."""
    order = sorted(range(len(values)), key=values.__getitem__)
    out = [0.0] * len(values)
    ties = 0.0
    k = 0
    while k < len(order):
        j = k
        while j + 1 < len(order) and values[order[j + 1]] == values[order[k]]:
            j += 1
        mid = (k + j) / 2.0 + 1.0
        for i in order[k : j + 1]:
            out[i] = mid
        t = j - k + 1
        ties += t**3 - t
        k = j + 1
    return out, ties


def score(log_p: float) -> float:
    """``-log10(p)`` from ``ln p``, rounded to a tenth of a hundredth (0 when nothing stands out)."""
    return round(max(0.0, -log_p / LN10), 3) + 0.0
