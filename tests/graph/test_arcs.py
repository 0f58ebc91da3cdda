"""The arcs of a graph (`Arcs.of`) against their definition, built with whole-array sorts."""

from __future__ import annotations

import numpy as np
import pytest

from moneytrail.graph import build_graph
from moneytrail.graph._sweep import Arcs


def _by_sorting(
    src: np.ndarray, dst: np.ndarray, out_edge: np.ndarray, n: int
) -> dict[str, list[int]]:
    ok = (src >= 0) & (dst >= 0) & (src != dst)
    keys, inverse = np.unique(src[ok] * n + dst[ok], return_inverse=True)
    arc_of = np.full(len(src), -1)
    arc_of[ok] = inverse.reshape(-1)
    arc_at = arc_of[out_edge]
    known = np.flatnonzero(arc_at >= 0)
    return {
        "arc_of": arc_of.tolist(),
        "src": (keys // n).tolist(),
        "dst": (keys % n).tolist(),
        "ptr": np.searchsorted(keys // n, np.arange(n + 1)).tolist(),
        "pos": known[np.argsort(arc_at[known], kind="stable")].tolist(),
    }


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_arcs_are_numbered_by_payer_then_payee_as_one_sort_numbers_them(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_edges, n_accounts = 400, 25
    g = build_graph(
        ts=rng.integers(0, 50, n_edges),
        src_key=rng.integers(0, n_accounts, n_edges) * 7919,  # keys neither dense nor ordered
        dst_key=rng.integers(0, n_accounts, n_edges) * 7919,
        src_known=rng.random(n_edges) > 0.1,
        dst_known=rng.random(n_edges) > 0.1,
        amount=np.ones(n_edges),
    )
    arcs = Arcs.of(g)
    expected = _by_sorting(g.src, g.dst, g.out_edge, g.n_nodes)
    assert {name: getattr(arcs, name).tolist() for name in expected} == expected
    assert len(set(arcs.arc_of.tolist()) - {-1}) == len(arcs.dst)
