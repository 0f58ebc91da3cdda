"""Quantiles as Cardinal computes them, so that fences match to the last bit.

Cardinal uses the Rust crate statrs, whose `quantile` is Hyndman and Fan's
type 8 (median-unbiased, R's `quantile(type = 8)`): position
h = (n + 1/3) * tau + 1/3 on the sorted data, interpolated linearly; below the
first position it returns the minimum, past the last the maximum, and NaN for
no data. numpy's "median_unbiased" method is the same estimator, but its
arithmetic differs in the last bits, which matters when a value sits exactly
on a fence; this module repeats statrs' arithmetic instead.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction

NAN = math.nan


def quantile(values: Iterable[float], tau: float) -> float:
    data = sorted(values)
    n = len(data)
    if not 0.0 <= tau <= 1.0 or n == 0:
        return NAN
    h = (n + 1.0 / 3.0) * tau + 1.0 / 3.0
    hf = int(h)  # truncation toward zero, as Rust's `as i64`
    if hf <= 0 or tau == 0.0:
        return data[0]
    if hf >= n or tau == 1.0:
        return data[-1]
    a = data[hf - 1]
    b = data[hf]
    return a + (h - hf) * (b - a)


def percentile(values: Iterable[float], p: int) -> float:
    return quantile(values, p / 100.0)


def quartiles(values: Iterable[float]) -> tuple[float, float]:
    """Lower and upper quartiles (tau 0.25 and 0.75)."""
    data = list(values)
    return quantile(data, 0.25), quantile(data, 0.75)


def _fma(x: float, y: float, z: float) -> float:
    """x * y + z rounded once, as Rust's f64::mul_add (Python 3.11 lacks math.fma)."""
    if not (math.isfinite(x) and math.isfinite(y) and math.isfinite(z)):
        return x * y + z
    return float(Fraction(x) * Fraction(y) + Fraction(z))


def lower_fence(q1: float, q3: float) -> float:
    """q1 - 1.5 IQR, computed as Cardinal does: (q3 - q1).mul_add(-1.5, q1)."""
    return _fma(q3 - q1, -1.5, q1)


def upper_fence(q1: float, q3: float) -> float:
    """q3 + 1.5 IQR, computed as Cardinal does: (q3 - q1).mul_add(1.5, q3)."""
    return _fma(q3 - q1, 1.5, q3)
