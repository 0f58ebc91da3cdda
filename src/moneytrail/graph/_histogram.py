"""Fan and degree features in the binned form of IBM's Graph Feature Preprocessor.

GFP does not report an edge's own fan or degree. For every edge e' whose
pattern has size F >= 2 (F = fan_out(e'), say), it adds one to bin(F) of every
edge in e''s window on the same node, e' included; an edge's output is that
histogram. Bins are lower bounds: bin i holds sizes in [bins[i], bins[i+1]),
the last one everything from bins[-1] up (GFP's default: 2, 3, ..., 30).

`gfp_histograms` rebuilds exactly that from our per-edge counts, with one
difference array per bin along each node's time-sorted edges, so detection can
use GFP-style features and the benchmark can compare the two engines value
for value.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

from moneytrail.graph._arrays import I32, I64, Graph
from moneytrail.graph._window import after_time

DEFAULT_BINS: tuple[int, ...] = tuple(range(2, 31))

_SIDES = {
    "fan_in": "in",
    "deg_in": "in",
    "fan_out": "out",
    "deg_out": "out",
}


@njit(cache=True, nogil=True)
def _histogram(
    ts: I64,
    ptr: I64,
    edges: I64,
    other: I64,
    size: I64,
    window: int,
    bins: I64,
    out: I32,
) -> None:  # pragma: no cover - numba
    diff = np.zeros((len(edges) + 1, len(bins)), dtype=np.int32)
    for v in range(len(ptr) - 1):
        a, b = ptr[v], ptr[v + 1]
        for p in range(a, b):
            f = size[edges[p]]
            if f < bins[0]:
                continue
            k = np.searchsorted(bins, f, side="right") - 1
            t = ts[edges[p]]
            diff[after_time(ts, edges, a, b, t - window), k] += 1
            diff[after_time(ts, edges, p, b, t), k] -= 1
    running = np.zeros(len(bins), dtype=np.int32)
    node = 0
    for p in range(len(edges)):
        running += diff[p]
        while ptr[node + 1] <= p:
            node += 1
        o = other[edges[p]]
        # self-transfers and unknown counterparties are in no pattern, as in GFP
        if o >= 0 and o != node:
            out[edges[p]] = running


def gfp_histograms(
    graph: Graph,
    counts: dict[str, npt.NDArray[np.integer]],
    window: int,
    bins: tuple[int, ...] = DEFAULT_BINS,
) -> dict[str, I32]:
    """Per feature (fan_in, fan_out, deg_in, deg_out): an E x len(bins) histogram.

    counts are one window's output of `mine_txn_features` over all edges
    (start=0), mined with the same window.
    """
    if not bins or list(bins) != sorted(set(bins)) or bins[0] < 2:
        raise ValueError(f"bins must be ascending, distinct and start at 2 or more, got {bins}")
    edges_bins = np.asarray(bins, dtype=np.int64)
    result: dict[str, I32] = {}
    for name, side in _SIDES.items():
        ptr, edges, other = (
            (graph.in_ptr, graph.in_edge, graph.src)
            if side == "in"
            else (graph.out_ptr, graph.out_edge, graph.dst)
        )
        out = np.zeros((graph.n_edges, len(bins)), dtype=np.int32)
        size = np.asarray(counts[name], dtype=np.int64)
        _histogram(graph.ts, ptr, edges, other, size, window, edges_bins, out)
        result[name] = out
    return result
