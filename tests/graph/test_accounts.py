"""Per-account statistics agree with a direct computation."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings

from moneytrail.graph import (
    ACCOUNT_FEATURES,
    FeatureParams,
    Graph,
    account_features,
    build_graph,
)
from tests.graph.strategies import graphs


def _stats(values: list[float]) -> list[float | None]:
    if not values:
        return [None] * 8
    n = len(values)
    mean = sum(values) / n
    s = sorted(values)
    median = s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
    m2, m3, m4 = (sum((x - mean) ** k for x in values) / n for k in (2, 3, 4))
    skew = m3 / m2**1.5 if m2 > 0 else 0.0
    kurt = m4 / m2**2 - 3 if m2 > 0 else 0.0
    return [sum(values), mean, s[0], s[-1], median, m2, skew, kurt]


def _expected(g: Graph, params: FeatureParams, v: int) -> dict[str, float | int | None]:
    edges = range(g.n_edges)
    ins = [e for e in edges if g.dst[e] == v and g.src[e] != v]
    outs = [e for e in edges if g.src[e] == v and g.dst[e] != v]
    doc: dict[str, float | int | None] = {"txn_in": len(ins), "txn_out": len(outs)}
    for measure in ("amount", "gap"):
        for direction, group in (("in", ins), ("out", outs)):
            if measure == "amount":
                values = [float(g.amount[e]) for e in group]
            else:
                values = [float(g.ts[b] - g.ts[a]) for a, b in itertools.pairwise(group)]
            for stat, value in zip(
                ("sum", "mean", "min", "max", "median", "var", "skew", "kurt"),
                _stats(values),
                strict=True,
            ):
                doc[f"{measure}_{direction}_{stat}"] = value
    mine = ins + outs
    night = sum(1 for e in mine if (g.ts[e] // 3600) % 24 < params.night_end_hour)
    doc["night_share"] = night / len(mine) if mine else None
    doc["cash_places_in"] = len({int(g.src[e]) for e in ins if g.cash[e] and g.src[e] >= 0})
    doc["payees"] = len({int(g.dst[e]) for e in outs if g.dst[e] >= 0})
    low, high = float(params.near_threshold_low), float(params.threshold)
    doc["near_threshold_deposits"] = sum(1 for e in ins if g.cash[e] and low <= g.amount[e] < high)
    return doc


@settings(max_examples=150, deadline=None)
@given(graphs(max_edges=30))
def test_account_features_match_direct_computation(graph: Graph) -> None:
    params = FeatureParams(night_end_hour=1)  # timestamps are small: hour 0 is "night"
    table = account_features(graph, params).to_pylist()
    assert [row["account_key"] for row in table] == graph.node_keys.tolist()
    for v, row in enumerate(table):
        want = _expected(graph, params, v)
        for name in ACCOUNT_FEATURES:
            got, exp = row[name], want[name]
            if exp is None or got is None:
                assert got is exp is None, (v, name)
            elif isinstance(exp, int):
                assert got == exp, (v, name)
            else:
                assert math.isclose(got, exp, rel_tol=1e-6, abs_tol=1e-6), (v, name, got, exp)


def test_moments_of_a_known_sample() -> None:
    g = build_graph(ts=[0, 10, 20, 60], src_key=[1, 2, 3, 4], dst_key=[9] * 4, amount=[1, 2, 3, 10])
    row = next(r for r in account_features(g).to_pylist() if r["account_key"] == 9)
    values = np.array([1.0, 2.0, 3.0, 10.0])
    z = (values - values.mean()) / values.std()
    assert row["amount_in_median"] == 2.5 and row["amount_in_var"] == pytest.approx(values.var())
    assert row["amount_in_skew"] == pytest.approx((z**3).mean())
    assert row["amount_in_kurt"] == pytest.approx((z**4).mean() - 3)
    assert (row["gap_in_min"], row["gap_in_max"], row["gap_in_sum"]) == (10.0, 40.0, 60.0)
