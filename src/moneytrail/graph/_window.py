"""Compiled kernels for the per-node window counts structuring and pass-through
(fan, degree and the patterns are in `_sweep`), and the binary searches.

Every kernel takes the graph's arrays, a window W in seconds and `start`, the
first edge position to compute: edges before it are read as history but their
features are not (re)computed, which is what makes mining a new batch
incremental. For an edge e at time t the window is every edge with a
timestamp in (t - W, t]; definitions are in `moneytrail.graph._features`.

Counterparties equal to the node itself (self-transfers) and unknown ones (-1)
never count.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from moneytrail.graph._arrays import BOOL, F64, I32, I64
from moneytrail.graph._jit import leaf


@leaf
def after_time(ts: I64, edges: I64, a: int, b: int, t: int) -> int:  # pragma: no cover - numba
    """First p in [a, b) whose edge is later than t (b if none)."""
    lo, hi = a, b
    while lo < hi:
        mid = (lo + hi) >> 1
        if ts[edges[mid]] > t:
            hi = mid
        else:
            lo = mid + 1
    return lo


@leaf
def after_pos(edges: I64, a: int, b: int, pos: int) -> int:  # pragma: no cover - numba
    """First p in [a, b) whose edge position is greater than pos (b if none)."""
    lo, hi = a, b
    while lo < hi:
        mid = (lo + hi) >> 1
        if edges[mid] > pos:
            hi = mid
        else:
            lo = mid + 1
    return lo


@njit(cache=True, nogil=True)
def structuring(
    ts: I64,
    dst: I64,
    near: BOOL,
    in_ptr: I64,
    in_edge: I64,
    near_prefix: I64,
    window: int,
    start: int,
    result: I32,
) -> None:  # pragma: no cover - numba
    """Near-threshold cash deposits into the payee in the window, for such deposits.

    near_prefix[p] counts the near-threshold deposits among in_edge[:p], so
    each window is two binary searches and a subtraction.
    """
    for e in range(start, len(ts)):
        v = dst[e]
        if v < 0 or not near[e]:
            continue
        a, b = in_ptr[v], in_ptr[v + 1]
        hi = after_time(ts, in_edge, a, b, ts[e])
        lo = after_time(ts, in_edge, a, hi, ts[e] - window)
        result[e] = near_prefix[hi] - near_prefix[lo]


@njit(cache=True, nogil=True)
def pass_through(
    ts: I64,
    src: I64,
    amount: F64,
    currency: I32,
    in_ptr: I64,
    in_edge: I64,
    window: int,
    tolerance: float,
    start: int,
    result: I32,
) -> None:  # pragma: no cover - numba
    """Earlier incoming payments that an outgoing payment passes on (see _features)."""
    for e in range(start, len(ts)):
        u = src[e]
        if u < 0:
            continue
        a, b = in_ptr[u], in_ptr[u + 1]
        hi = after_pos(in_edge, a, b, e - 1)
        n = 0
        for p in range(after_time(ts, in_edge, a, hi, ts[e] - window), hi):
            f = in_edge[p]
            if src[f] == u or currency[f] != currency[e]:
                continue
            if abs(amount[e] - amount[f]) <= tolerance * abs(amount[f]):
                n += 1
        result[e] = n


def near_threshold_prefix(near: BOOL, in_edge: I64) -> I64:
    prefix = np.zeros(len(in_edge) + 1, dtype=np.int64)
    np.cumsum(near[in_edge], out=prefix[1:])
    return prefix
