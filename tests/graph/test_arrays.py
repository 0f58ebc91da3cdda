"""Graph arrays and hand-checked pattern examples."""

from __future__ import annotations

import math

import pytest

from moneytrail.errors import GraphDataError
from moneytrail.graph import FeatureParams, build_graph, mine_into_warehouse, mine_txn_features
from moneytrail.warehouse import Warehouse


def test_columns_of_different_length_are_refused() -> None:
    with pytest.raises(GraphDataError, match="columns differ in length"):
        build_graph(ts=[1, 2], src_key=[1], dst_key=[2, 3], amount=[1.0, 2.0])


def test_non_finite_amount_names_the_edge() -> None:
    with pytest.raises(GraphDataError, match="edge 1: amount is not a finite number"):
        build_graph(ts=[1, 2], src_key=[1, 2], dst_key=[2, 3], amount=[1.0, math.nan])


def test_edges_sort_by_time_keeping_input_order_of_ties() -> None:
    g = build_graph(
        ts=[5, 1, 5, 1], src_key=[10, 20, 30, 40], dst_key=[20, 30, 40, 10], amount=[1, 2, 3, 4]
    )
    assert g.ts.tolist() == [1, 1, 5, 5]
    assert g.ids().to_pylist() == ["1", "3", "0", "2"]
    assert g.node_keys.tolist() == [10, 20, 30, 40]


def _mine(edges: list[tuple[int, int, int]], window: int = 100) -> dict[str, list[int]]:
    ts, src, dst = zip(*edges, strict=True)
    g = build_graph(ts=ts, src_key=src, dst_key=dst, amount=[1.0] * len(edges))
    mined = mine_txn_features(g, FeatureParams(windows=(window,), cycle_len=5))[window]
    return {name: values.tolist() for name, values in mined.items()}


def test_scatter_gather_counts_each_leg_of_the_pattern() -> None:
    # 1 scatters to 2, 3 and 4, which gather into 9
    f = _mine([(1, 1, 2), (2, 1, 3), (3, 1, 4), (4, 2, 9), (5, 3, 9), (6, 4, 9)])
    # a pattern needs both legs in the window: it exists from 3 -> 9 (time 5) on
    assert f["scatter_gather"] == [0, 0, 0, 0, 1, 1]
    # and it is counted on an early leg too when that leg is mined after the gather
    f = _mine([(4, 2, 9), (5, 3, 9), (6, 1, 2), (6, 1, 3)])
    assert f["scatter_gather"] == [0, 0, 1, 1]


def test_gather_scatter_counts_pairs_through_the_hub() -> None:
    # 1 and 2 pay hub 5, which pays 7 and 8
    f = _mine([(1, 1, 5), (2, 2, 5), (3, 5, 7), (4, 5, 8)])
    # at 5 -> 8 the hub has 2 payers and 2 payees: pairs (1, 8) and (2, 8)
    assert f["gather_scatter"] == [0, 0, 0, 2]


def test_window_is_open_on_the_left() -> None:
    f = _mine([(0, 1, 2), (10, 3, 2), (10, 4, 2)], window=10)
    assert f["fan_in"] == [1, 2, 2]  # time 0 is not in (10 - 10, 10]


def test_temporal_cycles_need_ever_later_edges() -> None:
    # 1 -> 2 -> 3 -> 1 in time order closes a cycle; the reverse order does not
    assert _mine([(1, 1, 2), (2, 2, 3), (3, 3, 1)])["temporal_cycle"] == [0, 0, 1]
    assert _mine([(1, 2, 3), (2, 1, 2), (3, 3, 1)])["temporal_cycle"] == [0, 0, 0]
    # ...but the simple cycle exists in the window graph either way
    assert _mine([(1, 2, 3), (2, 1, 2), (3, 3, 1)])["simple_cycle"] == [0, 0, 1]


def test_an_empty_warehouse_mines_nothing(warehouse: Warehouse) -> None:
    report = mine_into_warehouse(warehouse)
    assert (report.edges, report.accounts, report.txn_rows) == (0, 0, 0)
