"""The compiled kernels agree exactly with the brute-force reference."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from moneytrail.graph import (
    PATTERNS,
    TXN_FEATURES,
    FeatureParams,
    Graph,
    mine_txn_features,
    reference_txn_features,
)
from tests.graph.strategies import graphs

params_st = st.builds(
    FeatureParams,
    windows=st.lists(st.integers(1, 40), min_size=1, max_size=3, unique=True).map(tuple),
    cycle_len=st.integers(2, 6),
)


def _assert_same(graph: Graph, params: FeatureParams, start: int) -> None:
    got = mine_txn_features(graph, params, start=start)
    want = reference_txn_features(graph, params, start=start)
    assert set(got) == set(want) == set(params.windows)
    for w in params.windows:
        for name in TXN_FEATURES:
            assert got[w][name].tolist() == want[w][name], (w, name)


@settings(max_examples=300, deadline=None)
@given(graphs(), params_st)
def test_kernels_match_reference(graph: Graph, params: FeatureParams) -> None:
    _assert_same(graph, params, 0)


@settings(max_examples=150, deadline=None)
@given(graphs(), params_st, st.data())
def test_incremental_batch_matches_reference(
    graph: Graph, params: FeatureParams, data: st.DataObject
) -> None:
    start = data.draw(st.integers(0, graph.n_edges))
    _assert_same(graph, params, start)
    full = mine_txn_features(graph, params)
    part = mine_txn_features(graph, params, start=start)
    for w in params.windows:
        for name in TXN_FEATURES:
            assert np.array_equal(full[w][name][start:], part[w][name])


@settings(max_examples=60, deadline=None)
@given(graphs(), st.sets(st.sampled_from(PATTERNS)))
def test_switched_off_families_are_zero(graph: Graph, wanted: set[str]) -> None:
    params = FeatureParams(windows=(10,), patterns=frozenset(wanted), cycle_len=4)
    _assert_same(graph, params, 0)


@settings(max_examples=80, deadline=None)
@given(graphs(), st.integers(1, 6))
def test_cycle_budget_gives_a_lower_bound(graph: Graph, budget: int) -> None:
    params = FeatureParams(windows=(30,), cycle_len=5, cycle_budget=budget)
    got = mine_txn_features(graph, params)[30]
    want = reference_txn_features(graph, params)[30]
    for name in TXN_FEATURES:
        if name in ("temporal_cycle", "simple_cycle"):
            assert all(g <= w for g, w in zip(got[name].tolist(), want[name], strict=True))
        else:
            assert got[name].tolist() == want[name]
