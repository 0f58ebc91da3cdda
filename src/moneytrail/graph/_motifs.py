"""Compiled kernels for multi-hop patterns: scatter-gather, temporal and simple cycles.

Each pattern is evaluated at an edge e = (u -> v, time t, position i) over the
window (t - W, t]; exact definitions are in `moneytrail.graph._features`.
Visited-sets are `mark` arrays compared against a fresh integer token, so no
set is ever cleared; callers pass the last token back in and get the next one.
Cycle searches are depth-first with an explicit stack (numba has no cheap
recursion), stop at `cycle_len` edges, and give up on an edge after `budget`
steps, leaving a lower bound: on dense windows the number of paths grows
exponentially with the length, and one hub must not stall the whole run.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from moneytrail.graph._arrays import BOOL, I32, I64
from moneytrail.graph._window import after_pos, after_time


@njit(cache=True, nogil=True)
def _pattern_count(
    ts: I64,
    near_side: I64,
    far_side: I64,
    ptr_a: I64,
    edge_a: I64,
    ptr_b: I64,
    edge_b: I64,
    ptr_c: I64,
    edge_c: I64,
    first: int,
    second: int,
    t: int,
    window: int,
    mark_mid: I64,
    mark_end: I64,
    mark_seen: I64,
    token: int,
) -> tuple[int, int]:  # pragma: no cover - numba
    """Scatter-gather patterns with `first` at one end and edge first->second as a leg.

    Forward (first = source s, second = an intermediate): the far ends d are
    the payees of `second`; a pattern counts when >= 2 distinct payees of s
    pay d. Backward is the same walk on the reversed graph. `near_side` holds
    the counterparty seen from ptr_a/ptr_b (payees for forward), `far_side`
    the one seen from ptr_c (payers of d for forward).
    """
    lo_t = t - window
    mid_token = token
    a, b = ptr_a[first], ptr_a[first + 1]
    hi = after_time(ts, edge_a, a, b, t)
    for p in range(after_time(ts, edge_a, a, hi, lo_t), hi):
        x = near_side[edge_a[p]]
        if x >= 0 and x != first:
            mark_mid[x] = mid_token
    end_token = token + 1
    token += 2
    found = 0
    a, b = ptr_b[second], ptr_b[second + 1]
    hi = after_time(ts, edge_b, a, b, t)
    for p in range(after_time(ts, edge_b, a, hi, lo_t), hi):
        d = near_side[edge_b[p]]
        if d < 0 or d == second or d == first or mark_end[d] == end_token:  # noqa: PLR1714, SIM109 - plain compares compile to less in numba
            continue
        mark_end[d] = end_token
        seen_token = token
        token += 1
        k = 0
        c0, c1 = ptr_c[d], ptr_c[d + 1]
        chi = after_time(ts, edge_c, c0, c1, t)
        for q in range(after_time(ts, edge_c, c0, chi, lo_t), chi):
            x = far_side[edge_c[q]]
            if x >= 0 and x != d and mark_mid[x] == mid_token and mark_seen[x] != seen_token:
                mark_seen[x] = seen_token
                k += 1
        if k >= 2:
            found += 1
    return found, token


@njit(cache=True, nogil=True)
def scatter_gather(
    ts: I64,
    src: I64,
    dst: I64,
    out_ptr: I64,
    out_edge: I64,
    in_ptr: I64,
    in_edge: I64,
    window: int,
    start: int,
    result: I32,
    mark_mid: I64,
    mark_end: I64,
    mark_seen: I64,
    token: int,
) -> int:  # pragma: no cover - numba
    for e in range(start, len(ts)):
        u, v, t = src[e], dst[e], ts[e]
        if u < 0 or v < 0 or u == v:
            continue
        # e as a scatter leg: source u, intermediate v, sinks = payees of v
        fwd, token = _pattern_count(
            ts,
            dst,
            src,
            out_ptr,
            out_edge,
            out_ptr,
            out_edge,
            in_ptr,
            in_edge,
            u,
            v,
            t,
            window,
            mark_mid,
            mark_end,
            mark_seen,
            token,
        )
        # e as a gather leg: sink v, intermediate u, sources = payers of u
        bwd, token = _pattern_count(
            ts,
            src,
            dst,
            in_ptr,
            in_edge,
            in_ptr,
            in_edge,
            out_ptr,
            out_edge,
            v,
            u,
            t,
            window,
            mark_mid,
            mark_end,
            mark_seen,
            token,
        )
        result[e] = fwd + bwd
    return token


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


@njit(cache=True, nogil=True)
def simple_cycles(
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
    seen: I64,
    token: int,
) -> int:  # pragma: no cover - numba
    """Simple cycles through the pair u -> v in the window graph when e happens.

    The window graph has an arc a -> b when some edge a -> b lies in the window
    at or before e; parallel edges make one arc, so `seen[depth]` keeps each
    payee once per visited node.
    """
    depth_max = cycle_len - 2
    stack_node = np.empty(cycle_len, dtype=np.int64)
    stack_at = np.empty(cycle_len, dtype=np.int64)
    stack_end = np.empty(cycle_len, dtype=np.int64)
    stack_token = np.empty(cycle_len, dtype=np.int64)
    for e in range(start, len(ts)):
        u, v = src[e], dst[e]
        if u < 0 or v < 0 or u == v:
            continue
        lo_t = ts[e] - window
        a, b = out_ptr[v], out_ptr[v + 1]
        end = after_pos(out_edge, a, b, e)
        d = 0
        stack_node[0] = v
        stack_at[0] = after_time(ts, out_edge, a, end, lo_t)
        stack_end[0] = end
        stack_token[0] = token
        token += 1
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
            if y < 0 or on_path[y] or seen[d, y] == stack_token[d]:
                continue
            seen[d, y] = stack_token[d]
            if y == u:
                found += 1
            elif d < depth_max:
                a, b = out_ptr[y], out_ptr[y + 1]
                end = after_pos(out_edge, a, b, e)
                d += 1
                stack_node[d] = y
                stack_at[d] = after_time(ts, out_edge, a, end, lo_t)
                stack_end[d] = end
                stack_token[d] = token
                token += 1
                on_path[y] = True
        result[e] = found
    return token
