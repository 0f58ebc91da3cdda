"""GFP-style binned fan/degree histograms agree with a brute-force rebuild."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moneytrail.graph import FeatureParams, Graph, gfp_histograms, mine_txn_features
from tests.graph.strategies import graphs


def _brute(g: Graph, window: int, bins: tuple[int, ...]) -> dict[str, np.ndarray]:
    result = {}
    for name, node_of, other_of in (
        ("fan_out", g.src, g.dst),
        ("deg_out", g.src, g.dst),
        ("fan_in", g.dst, g.src),
        ("deg_in", g.dst, g.src),
    ):
        hist = np.zeros((g.n_edges, len(bins)), dtype=np.int32)
        for p in range(g.n_edges):  # the pattern at edge p
            v = node_of[p]
            if v < 0:
                continue
            members = [
                e
                for e in range(g.n_edges)
                if node_of[e] == v
                and other_of[e] >= 0
                and other_of[e] != v
                and g.ts[p] - window < g.ts[e] <= g.ts[p]
            ]
            size = (
                len({int(other_of[e]) for e in members}) if name.startswith("fan") else len(members)
            )
            if size < bins[0]:
                continue
            k = max(i for i, b in enumerate(bins) if b <= size)
            for e in members:
                hist[e, k] += 1
        result[name] = hist
    return result


@settings(max_examples=60, deadline=None)
@given(graphs(), st.integers(1, 40), st.sampled_from([(2, 3, 4), (2, 5), (3,)]))
def test_histograms_match_brute_force(graph: Graph, window: int, bins: tuple[int, ...]) -> None:
    counts = mine_txn_features(
        graph, FeatureParams(windows=(window,), patterns=frozenset({"fan", "degree"}))
    )
    got = gfp_histograms(graph, counts[window], window, bins)
    want = _brute(graph, window, bins)
    for name in want:
        assert np.array_equal(got[name], want[name]), name


def test_bins_must_ascend_from_two() -> None:
    g = Graph.__new__(Graph)
    with pytest.raises(ValueError, match="bins must be ascending"):
        gfp_histograms(g, {}, 10, (1, 2))
