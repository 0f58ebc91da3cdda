"""The incremental window sweep at its borders, against the brute-force reference.

The sweep (`moneytrail.graph._sweep`) keeps the window graph up to date as
edges enter and leave instead of rescanning each account's window, so what
needs checking is where an edge enters or leaves: ties at one second, edges
exactly W before or after another, busy accounts whose window holds thousands
of edges, cycles whose legs straddle the window's left end, the budgeted cycle
search, and the time blocks that threads mine side by side.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moneytrail.graph import (
    PATTERNS,
    TXN_FEATURES,
    FeatureParams,
    Graph,
    build_graph,
    mine_txn_features,
    reference_txn_features,
)
from moneytrail.graph._reference import (
    reference_budgeted_simple_cycles,
    reference_budgeted_temporal_cycles,
)
from moneytrail.graph._sweep import blocks
from tests.graph.strategies import graphs

NO_CUT = 10**9
"""A cycle budget no test graph reaches: counts are exact."""


def _graph(edges: list[tuple[int, int, int]]) -> Graph:
    ts, src, dst = zip(*edges, strict=True)
    return build_graph(
        ts=ts,
        src_key=src,
        dst_key=dst,
        amount=[100.0 + (i % 3) for i in range(len(edges))],
        channel=["cash" if i % 4 == 0 else "wire" for i in range(len(edges))],
    )


def _assert_reference(graph: Graph, params: FeatureParams, *, start: int = 0) -> None:
    got = mine_txn_features(graph, params, start=start)
    want = reference_txn_features(graph, params, start=start)
    for w in params.windows:
        for name in TXN_FEATURES:
            assert got[w][name].tolist() == want[w][name], (w, name)


@settings(max_examples=200, deadline=None)
@given(graphs(max_nodes=5, max_edges=30), st.integers(1, 3), st.integers(2, 6))
def test_ties_and_window_edges(graph: Graph, window: int, cycle_len: int) -> None:
    # timestamps 0..30 with windows of 1-3 seconds: most edges tie with others
    # or sit exactly W away from one, the two cases where an edge enters or leaves
    params = FeatureParams(windows=(window, 2 * window), cycle_len=cycle_len, cycle_budget=NO_CUT)
    _assert_reference(graph, params)


def test_an_edge_exactly_w_earlier_is_out_and_one_second_later_is_in() -> None:
    w = 10
    # 1 -> 2 at 0 leaves the window of time 10; the same at 1 is still in it
    for first, cycles, fan in ((0, 0, 1), (1, 1, 2)):
        edges = [(first, 1, 2), (5, 2, 3), (w, 3, 1), (w, 4, 2)]
        graph = _graph(edges)
        mined = mine_txn_features(graph, FeatureParams(windows=(w,), cycle_len=4))[w]
        assert mined["simple_cycle"].tolist()[2] == cycles  # 3 -> 1 closes 1 -> 2 -> 3
        assert mined["fan_in"].tolist()[3] == fan  # payers of 2 at time 10
        _assert_reference(graph, FeatureParams(windows=(w,), cycle_len=4))


def test_ties_see_each_other_but_cycles_see_only_earlier_ties() -> None:
    # all at one second: scatter-gather sees the whole tie group (as GFP does),
    # a simple cycle only the edges up to the one that closes it
    edges = [(7, 1, 2), (7, 1, 3), (7, 2, 9), (7, 3, 9), (7, 9, 1), (7, 2, 1)]
    graph = _graph(edges)
    mined = mine_txn_features(graph, FeatureParams(windows=(5,), cycle_len=4))[5]
    assert mined["scatter_gather"].tolist()[:4] == [1, 1, 1, 1]
    assert mined["simple_cycle"].tolist() == [0, 0, 0, 0, 2, 1]
    _assert_reference(graph, FeatureParams(windows=(5,), cycle_len=4))


def test_cycles_whose_legs_straddle_the_left_end() -> None:
    # a ring 1 -> 2 -> 3 -> 4 -> 1 laid down every 3 seconds, window 10: each
    # closing edge sees the ring only while its oldest leg is inside (t - 10, t]
    edges = []
    for lap in range(6):
        for k, (a, b) in enumerate(((1, 2), (2, 3), (3, 4), (4, 1))):
            edges.append((lap * 12 + k * 3, a, b))
    edges += [(40, 2, 5), (41, 5, 3), (43, 3, 1)]
    graph = _graph(edges)
    params = FeatureParams(windows=(9, 10, 11), cycle_len=5, cycle_budget=NO_CUT)
    _assert_reference(graph, params)
    mined = mine_txn_features(graph, params)
    # at 4 -> 1 (time 9): legs at 0, 3, 6; in the 10 s window, not in the 9 s one
    assert mined[10]["simple_cycle"].tolist()[3] == 1
    assert mined[9]["simple_cycle"].tolist()[3] == 0
    assert mined[10]["temporal_cycle"].tolist()[3] == 1


def test_an_account_with_thousands_of_edges_in_one_window() -> None:
    # hub 0 pays and is paid by 5 accounts 2,400 times within 600 seconds,
    # among them runs of ties and of parallel edges
    rng = np.random.default_rng(5)
    n = 2_400
    ts = np.sort(rng.integers(0, 600, n))
    peer = rng.integers(1, 6, n)
    out = rng.random(n) < 0.5
    src = np.where(out, 0, peer)
    dst = np.where(out, peer, np.where(rng.random(n) < 0.3, (peer % 5) + 1, 0))
    edges = list(zip(ts.tolist(), src.tolist(), dst.tolist(), strict=True))
    graph = _graph(edges)
    # temporal cycles are left out: their reference enumerates every time-respecting
    # path edge by edge, which 2,400 edges in one window make astronomically many
    params = FeatureParams(
        windows=(900,),
        patterns=frozenset(PATTERNS) - {"temporal_cycle"},
        cycle_len=4,
        cycle_budget=NO_CUT,
    )
    _assert_reference(graph, params, start=n - 300)
    mined = mine_txn_features(graph, params)[900]
    assert int(mined["deg_out"].max()) > 1_000
    assert int(mined["scatter_gather"].sum()) > 0
    assert int(mined["simple_cycle"].max()) > 0


@settings(max_examples=300, deadline=None)
@given(graphs(max_nodes=5, max_edges=30), st.integers(1, 40), st.integers(1, 60), st.data())
def test_budget_cut_equals_the_ordered_search(
    graph: Graph, window: int, budget: int, data: st.DataObject
) -> None:
    # past the budget a count depends on the search order: the sweep's window
    # pointers and its shortcut (distinct arcs when the budget cannot be
    # reached) must keep it
    cycle_len = data.draw(st.integers(2, 7))
    params = FeatureParams(windows=(window,), cycle_len=cycle_len, cycle_budget=budget)
    got = mine_txn_features(graph, params)[window]
    want = reference_budgeted_simple_cycles(graph, window, cycle_len, budget)
    assert got["simple_cycle"].tolist() == want
    want = reference_budgeted_temporal_cycles(graph, window, cycle_len, budget)
    assert got["temporal_cycle"].tolist() == want


@pytest.mark.parametrize("cycle_len", [2, 3, 5])
def test_budget_cut_on_a_dense_window(cycle_len: int) -> None:
    # 12 accounts paying each other at random 1,500 times in one window: lists
    # of about 125 edges, long enough for the deepest level's binary searches;
    # most searches pass small budgets, some inside such a list
    rng = np.random.default_rng(9)
    n = 1_500
    ts = np.sort(rng.integers(0, 300, n))
    src = rng.integers(0, 12, n)
    dst = rng.integers(0, 12, n)
    graph = _graph(list(zip(ts.tolist(), src.tolist(), dst.tolist(), strict=True)))
    for budget in (7, 60, 130, 500):
        params = FeatureParams(windows=(400,), cycle_len=cycle_len, cycle_budget=budget)
        got = mine_txn_features(graph, params)[400]
        want = reference_budgeted_simple_cycles(graph, 400, cycle_len, budget)
        assert got["simple_cycle"].tolist() == want
        want = reference_budgeted_temporal_cycles(graph, 400, cycle_len, budget)
        assert got["temporal_cycle"].tolist() == want


@settings(max_examples=150, deadline=None)
@given(graphs(max_nodes=6, max_edges=40), st.integers(1, 30), st.integers(2, 5), st.data())
def test_time_blocks_on_threads_give_one_sweeps_values(
    graph: Graph, window: int, threads: int, data: st.DataObject
) -> None:
    start = data.draw(st.integers(0, graph.n_edges))
    params = FeatureParams(
        windows=(window,), cycle_len=5, cycle_budget=data.draw(st.integers(1, 50))
    )
    one = mine_txn_features(graph, params, start=start)
    many = mine_txn_features(graph, params, start=start, threads=threads)
    for name in TXN_FEATURES:
        assert np.array_equal(one[window][name], many[window][name]), name


@given(st.lists(st.integers(0, 8), max_size=60).map(sorted), st.integers(1, 6), st.data())
def test_blocks_cover_the_edges_and_never_split_a_tie(
    ts: list[int], parts: int, data: st.DataObject
) -> None:
    times = np.array(ts, dtype=np.int64)
    start = data.draw(st.integers(0, len(ts)))
    cut = blocks(times, start, parts)
    covered = [p for a, b in cut for p in range(a, b)]
    assert covered == list(range(start, len(ts)))
    assert len(cut) <= parts
    for a, _ in cut[1:]:
        assert times[a - 1] != times[a]
