"""Compiled kernel for temporal cycles (scatter-gather and simple cycles are in
`_sweep`).

The pattern is evaluated at an edge e = (u -> v, time t, position i) over the
window (t - W, t]; the exact definition is in `moneytrail.graph._features`.
Cycle searches are depth-first with an explicit stack (numba has no cheap
recursion), stop at `cycle_len` edges, and give up on an edge after `budget`
steps, leaving a lower bound: on dense windows the number of paths grows
exponentially with the length, and one hub must not stall the whole run.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from moneytrail.graph._arrays import BOOL, I64
from moneytrail.graph._window import after_pos, after_time


@njit(cache=True, nogil=True)
def temporal_cycles(
    ts: I64,
    src: I64,
    dst: I64,
    out_ptr: I64,
    out_edge: I64,
    window: int,
    cycle_len: int,
    budget: int,
    start: int,
    result: I64,
    on_path: BOOL,
) -> None:  # pragma: no cover - numba
    """Time-respecting cycles that e closes: v -> ... -> u by ever later edges."""
    depth_max = cycle_len - 2
    stack_node = np.empty(cycle_len, dtype=np.int64)
    stack_at = np.empty(cycle_len, dtype=np.int64)
    stack_end = np.empty(cycle_len, dtype=np.int64)
    for e in range(start, len(ts)):
        u, v = src[e], dst[e]
        if u < 0 or v < 0 or u == v:
            continue
        a, b = out_ptr[v], out_ptr[v + 1]
        end = after_pos(out_edge, a, b, e - 1)
        d = 0
        stack_node[0] = v
        stack_at[0] = after_time(ts, out_edge, a, end, ts[e] - window)
        stack_end[0] = end
        on_path[v] = True
        found = 0
        steps = 0
        while d >= 0:
            if stack_at[d] == stack_end[d]:
                on_path[stack_node[d]] = False
                d -= 1
                continue
            steps += 1
            if steps > budget:  # give up on this edge: `found` is a lower bound
                for i in range(d + 1):
                    on_path[stack_node[i]] = False
                break
            f = out_edge[stack_at[d]]
            stack_at[d] += 1
            y = dst[f]
            if y < 0 or on_path[y]:
                continue
            if y == u:
                found += 1
            elif d < depth_max:
                a, b = out_ptr[y], out_ptr[y + 1]
                end = after_pos(out_edge, a, b, e - 1)
                d += 1
                stack_node[d] = y
                stack_at[d] = after_pos(out_edge, a, end, f)
                stack_end[d] = end
                on_path[y] = True
        result[e] = found
