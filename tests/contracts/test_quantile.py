"""Cardinal's quartiles (statrs, Hyndman-Fan type 8) against numpy's same estimator."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from moneytrail.contracts._quantile import lower_fence, percentile, quantile, quartiles, upper_fence

values = st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=50)


@given(values, st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0]))
def test_type_8_matches_numpy_median_unbiased(data: list[float], tau: float) -> None:
    expected = float(np.quantile(np.array(data), tau, method="median_unbiased"))
    assert math.isclose(quantile(data, tau), expected, rel_tol=1e-9, abs_tol=1e-9)


def test_known_values() -> None:
    # statrs documents quantile([1..5]) at 0.25 as 1.6666...; R type 8 gives the same.
    assert math.isclose(quantile([1, 2, 3, 4, 5], 0.25), 5 / 3)
    assert quartiles([1.0]) == (1.0, 1.0)
    assert math.isnan(quantile([], 0.5))
    assert percentile([3, 1, 2], 100) == 3
    assert lower_fence(1.0, 3.0) == -2.0
    assert upper_fence(1.0, 3.0) == 6.0


def test_fence_is_one_rounding_like_mul_add() -> None:
    # (q3 - q1) * 1.5 + q3 rounded once, as Rust's f64::mul_add: exact here.
    q1, q3 = 0.1, 0.7
    assert upper_fence(q1, q3) == float(Fraction(q3 - q1) * Fraction(1.5) + Fraction(q3))
