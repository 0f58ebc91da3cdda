"""One sweep in time order with incremental window state: fan, degree,
scatter-gather, gather-scatter, simple and temporal cycles.

These three features look at the *arcs* of the window (pairs of accounts with
at least one transaction between them in (t - W, t]), not at single edges.
Rather than rescanning every account's window for every transaction, the
sweep keeps the window graph itself up to date as time advances: edges enter
in position order, leave when their timestamp falls to t - W or earlier, and
each arc keeps its multiplicity, so an arc appears when its first edge enters
and disappears when its last edge leaves. Each account keeps its present
payees and payers in a list (swap-remove, O(1) per change), and its out-edges
in the window are the slice [olo, ohi) of its CSR list, two pointers that only
move forward.

Exactness at the borders: expired edges leave before an edge group of one
timestamp enters; simple cycles of edge e see the window graph of the edges up
to and including e (its later ties not yet), scatter-gather and gather-scatter
see the whole group (ties at t are in the window, as in GFP). Definitions are
in `moneytrail.graph._features`.

Work splits by time block: a block [b0, b1) rebuilds its state from the edges
of the window before b0 (the halo) and then sweeps alone, so blocks run side
by side on threads and give exactly the values of one sweep.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from numba import njit

from moneytrail.graph._arrays import I32, I64, Graph, _csr
from moneytrail.graph._jit import leaf
from moneytrail.graph._window import after_pos


@dataclass(frozen=True)
class Arcs:
    """The distinct (payer, payee) pairs of the whole graph, self-transfers and
    unknown accounts left out.

    arc_of[e] is edge e's arc or -1; arcs are numbered by (payer, payee), so the
    arcs of payer x are ptr[x]:ptr[x + 1] with ascending payees `dst`, and
    `in_ptr` gives each payee room for all its payers. out_dst[p] is the payee
    of out_edge[p], laid out like out_edge so that a walk over an account's
    payments reads memory in order. next_same[p] is the next position of the
    same payer's list with the same payee (-1 if none): when an edge leaves the
    window, the next edge of its arc becomes the arc's first in the window.
    pos[pos_ptr[a]:pos_ptr[a + 1]] are the positions in out_edge of arc a's
    edges, ascending: how many edges of one payer go to one payee in a slice
    of its list is two binary searches.
    """

    arc_of: I64
    out_dst: I64
    next_same: I64
    pos_ptr: I64
    pos: I64
    src: I64
    dst: I64
    ptr: I64
    in_ptr: I64

    @classmethod
    def of(cls, g: Graph) -> Arcs:
        n = g.n_nodes
        # per payer from its CSR list, no sort of all edges: payers come in
        # order, so the arcs are numbered by (payer, payee) as one sort would
        out_dst = g.dst[g.out_edge]
        arc_at = np.full(len(out_dst), -1, dtype=np.int64)
        ptr = np.zeros(n + 1, dtype=np.int64)
        dst = _number_arcs(g.out_ptr, out_dst, arc_at, ptr)
        arc_of = np.full(g.n_edges, -1, dtype=np.int64)
        arc_of[g.out_edge] = arc_at
        src = np.repeat(np.arange(n, dtype=np.int64), np.diff(ptr))
        in_ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(dst, minlength=n), out=in_ptr[1:])
        next_same = np.full(len(out_dst), -1, dtype=np.int64)
        _same_payee(g.out_ptr, out_dst, next_same)
        # each arc's out-edge positions, ascending: the counting sort graph's CSR lists use
        pos_ptr, pos = _csr(arc_at, len(dst))
        return cls(
            arc_of=arc_of,
            out_dst=out_dst,
            next_same=next_same,
            pos_ptr=pos_ptr,
            pos=pos,
            src=src,
            dst=dst,
            ptr=ptr,
            in_ptr=in_ptr,
        )


@njit(cache=True, nogil=True)
def _number_arcs(out_ptr: I64, out_dst: I64, arc_at: I64, ptr: I64) -> I64:  # pragma: no cover
    """Number the arcs of each payer x by ascending payee: arc_at[p] for each
    out-edge position p (-1: unknown payee or x itself), ptr[x + 1] the end of
    x's arcs; returns the payee of each arc."""
    n = len(out_ptr) - 1
    slot = np.full(n, -1, dtype=np.int64)  # payee -> its arc, for the payer at hand
    seen = np.full(n, -1, dtype=np.int64)  # payee -> the last payer that paid it
    payees = np.empty(len(out_dst), dtype=np.int64)
    k = 0
    for x in range(n):
        base = k
        for p in range(out_ptr[x], out_ptr[x + 1]):
            y = out_dst[p]
            if y >= 0 and y != x and seen[y] != x:
                seen[y] = x
                payees[k] = y
                k += 1
        payees[base:k].sort()
        for i in range(base, k):
            slot[payees[i]] = i
        for p in range(out_ptr[x], out_ptr[x + 1]):
            y = out_dst[p]
            if y >= 0 and y != x:
                arc_at[p] = slot[y]
        ptr[x + 1] = k
    return payees[:k].copy()


@njit(cache=True, nogil=True)
def _same_payee(ptr: I64, out_dst: I64, next_same: I64) -> None:  # pragma: no cover - numba
    last = np.full(len(ptr) - 1, -1, dtype=np.int64)
    for x in range(len(ptr) - 1):
        for p in range(ptr[x], ptr[x + 1]):
            y = out_dst[p]
            if y < 0 or y == x:
                continue
            q = last[y]
            if q >= ptr[x]:
                next_same[q] = p
            last[y] = p


def blocks(ts: I64, start: int, parts: int) -> list[tuple[int, int]]:
    """[start, E) cut into up to `parts` blocks of about equal edge counts,
    each cut at the first edge of a timestamp (a block never splits ties)."""
    n = len(ts)
    cuts = [start]
    for k in range(1, parts):
        at = start + (n - start) * k // parts
        if at >= n:
            break
        at = int(np.searchsorted(ts, ts[at], side="left"))
        if at > cuts[-1]:
            cuts.append(at)
    cuts.append(n)
    return [(a, b) for a, b in pairwise(cuts) if b > a]


@leaf
def _find(ptr: I64, dst: I64, x: int, y: int) -> int:  # pragma: no cover - numba
    """The arc x -> y, or -1 if the graph has none."""
    lo, hi = ptr[x], ptr[x + 1]
    while lo < hi:
        mid = (lo + hi) >> 1
        if dst[mid] < y:
            lo = mid + 1
        else:
            hi = mid
    if lo < ptr[x + 1] and dst[lo] == y:
        return int(lo)
    return -1


@leaf
def _present(ptr: I64, dst: I64, mult: I32, x: int, y: int) -> bool:  # pragma: no cover - numba
    a = _find(ptr, dst, x, y)
    return a >= 0 and mult[a] > 0


@leaf
def _two_paths(
    arc_ptr: I64,
    arc_dst: I64,
    mult: I32,
    out_peer: I64,
    n_out: I64,
    in_peer: I64,
    n_in: I64,
    in_ptr: I64,
    s: int,
    d: int,
) -> bool:  # pragma: no cover - numba
    """Whether >= 2 distinct x have arcs s -> x and x -> d in the window.

    Walks the shorter of s's payees and d's payers and looks the other arc up;
    stops at the second hit.
    """
    if n_out[s] < 2 or n_in[d] < 2:  # two intermediates need two arcs at each end
        return False
    k = 0
    if n_out[s] <= n_in[d]:
        base = arc_ptr[s]
        for i in range(base, base + n_out[s]):
            if _present(arc_ptr, arc_dst, mult, out_peer[i], d):
                k += 1
                if k >= 2:
                    return True
    else:
        base = in_ptr[d]
        for i in range(base, base + n_in[d]):
            if _present(arc_ptr, arc_dst, mult, s, in_peer[i]):
                k += 1
                if k >= 2:
                    return True
    return False


@leaf
def _lower(pos: I64, a: int, b: int, p: int) -> int:  # pragma: no cover - numba
    """First i in [a, b) with pos[i] >= p (b if none)."""
    while a < b:
        mid = (a + b) >> 1
        if pos[mid] < p:
            a = mid + 1
        else:
            b = mid
    return a


@leaf
def _edges_to(
    arc_ptr: I64, arc_dst: I64, pos_ptr: I64, pos: I64, x: int, u: int, lo: int, hi: int
) -> tuple[int, int]:  # pragma: no cover - numba
    """x's edges to u among out-edge positions [lo, hi): how many, and the first (-1)."""
    a = _find(arc_ptr, arc_dst, x, u)
    if a < 0 or lo >= hi:
        return 0, -1
    i = _lower(pos, pos_ptr[a], pos_ptr[a + 1], lo)
    j = _lower(pos, i, pos_ptr[a + 1], hi)
    return j - i, (pos[i] if j > i else -1)


@leaf
def _next_lead(lead: I32, a: int, b: int) -> int:  # pragma: no cover - numba
    """The first position in [a, b) holding a first edge (b if none)."""
    p = a
    while p < b and lead[p] < 0:
        p += 1
    return p


@leaf
def _last_hop(
    x: int,
    u: int,
    steps: int,
    budget: int,
    to_u: np.ndarray,
    arc_ptr: I64,
    arc_dst: I64,
    pos_ptr: I64,
    pos: I64,
    olo: I64,
    ohi: I64,
) -> tuple[int, int]:  # pragma: no cover - numba
    """The deepest level of `_simple_cycles_at` at account x: the cycles it
    closes (0 or 1) and the steps after it, budget + 1 if the search gives up
    in x's list.

    Nothing is entered from the deepest level, so only x's first edge to u
    can count: every edge of x's window list is one step, and u's first edge
    counts if the budget reaches it. The same count and the same point of
    giving up as walking the list.
    """
    at, end = olo[x], ohi[x]
    if steps + end - at <= budget:
        return (1 if to_u[x] else 0), steps + end - at
    _, q = _edges_to(arc_ptr, arc_dst, pos_ptr, pos, x, u, at, end)
    return (1 if q >= 0 and steps + q - at + 1 <= budget else 0), budget + 1


@leaf
def _simple_cycles_at(  # noqa: PLR0912 - one search loop, its give-up points and a pre-check
    u: int,
    v: int,
    lead: I32,
    arc_ptr: I64,
    arc_dst: I64,
    pos_ptr: I64,
    pos: I64,
    olo: I64,
    ohi: I64,
    in_peer: I64,
    in_ptr: I64,
    n_in: I64,
    cycle_len: int,
    budget: int,
    on_path: np.ndarray,
    to_u: np.ndarray,
    stack_node: I64,
    stack_at: I64,
) -> int:  # pragma: no cover - numba
    """Simple cycles through u -> v: a depth-first search over the window's
    out-edges [olo, ohi) of each account, in position order, a payee taken at
    its first edge of the window, giving up after `budget` edges looked at
    (then a lower bound).

    Every edge of a visited account counts one step, but only first edges can
    change the count (the rest are parallel to one, lead to an unknown account
    or to the account itself), so the search jumps from one flagged first edge
    to the next and adds the edges in between to the steps: the same count and
    the same point of giving up as looking at every edge. At the deepest
    level nothing is entered, so only an edge to u counts: u's present payers
    are flagged in `to_u` once per search (when it first gets that deep), and
    a deepest account costs one look-up (`_last_hop`), not a walk of its list.
    """
    if not _closable(u, v, in_peer, in_ptr, n_in):
        return 0
    depth_max = cycle_len - 2
    found = 0
    steps = 0
    flagged = False
    if depth_max == 0:  # v itself is the deepest level
        flagged = _flag_payers(to_u, in_peer, in_ptr, n_in, u, True)
        found, _ = _last_hop(v, u, 0, budget, to_u, arc_ptr, arc_dst, pos_ptr, pos, olo, ohi)
        _flag_payers(to_u, in_peer, in_ptr, n_in, u, False)
        return found
    d = 0
    stack_node[0] = v
    stack_at[0] = olo[v]
    on_path[v] = True
    while d >= 0:
        x = stack_node[d]
        at = stack_at[d]
        end = ohi[x]
        p = _next_lead(lead, at, end)
        steps += p - at + (1 if p < end else 0)
        if steps > budget:  # give up on this edge: `found` is a lower bound
            break
        if p == end:
            on_path[x] = False
            d -= 1
            continue
        stack_at[d] = p + 1
        y = lead[p]
        if on_path[y]:
            continue
        if y == u:
            found += 1
        elif d + 1 < depth_max:
            d += 1
            stack_node[d] = y
            stack_at[d] = olo[y]
            on_path[y] = True
        else:  # y is at the deepest level
            if not flagged:
                flagged = _flag_payers(to_u, in_peer, in_ptr, n_in, u, True)
            closed, steps = _last_hop(
                y, u, steps, budget, to_u, arc_ptr, arc_dst, pos_ptr, pos, olo, ohi
            )
            found += closed
            if steps > budget:
                break
    for i in range(d + 1):  # given up at depth d: leave the path clear
        on_path[stack_node[i]] = False
    if flagged:
        _flag_payers(to_u, in_peer, in_ptr, n_in, u, False)
    return found


@leaf
def _closable(
    u: int, v: int, in_peer: I64, in_ptr: I64, n_in: I64
) -> bool:  # pragma: no cover - numba
    """Whether a path v -> ... -> w -> x -> u can exist in the window graph,
    from u's payers x and their payers w: x = v, or w = v, or w has a payer
    other than x and u (the account before it on the path). Gives True
    (the search decides) after _CLOSABLE_LOOKS payers w.

    A cycle search for u -> v that cannot find a path finds 0, wherever its
    budget would have stopped it, so it need not run: in a 1-week window on
    the first 1 M transactions of the 5 M world, u had no payer in about 45 %
    of the searches with anything to walk (v paid someone in the window).
    """
    looked = 0
    for i in range(in_ptr[u], in_ptr[u] + n_in[u]):
        x = in_peer[i]
        if x == v:
            return True
        for j in range(in_ptr[x], in_ptr[x] + n_in[x]):
            w = in_peer[j]
            if w == u:
                continue
            if w == v or n_in[w] >= 3:
                return True
            for k in range(in_ptr[w], in_ptr[w] + n_in[w]):
                if in_peer[k] != x and in_peer[k] != u:
                    return True
            looked += 1
            if looked > _CLOSABLE_LOOKS:
                return True
    return False


_CLOSABLE_LOOKS = 64
"""Payers of payers `_closable` looks at before it leaves the answer to the search."""


@leaf
def _flag_payers(
    to_u: np.ndarray, in_peer: I64, in_ptr: I64, n_in: I64, u: int, value: bool
) -> bool:  # pragma: no cover - numba
    """Set (or clear) to_u[x] for the accounts x with an arc x -> u in the window."""
    base = in_ptr[u]
    for i in range(base, base + n_in[u]):
        to_u[in_peer[i]] = value
    return True


@leaf
def _last_legs(
    x: int,
    u: int,
    at: int,
    end: int,
    steps: int,
    budget: int,
    to_u: np.ndarray,
    arc_ptr: I64,
    arc_dst: I64,
    pos_ptr: I64,
    pos: I64,
) -> tuple[int, int]:  # pragma: no cover - numba
    """The deepest level of `_temporal_cycles_at` at account x, whose
    candidates are the out-edge positions [at, end): the cycles they close and
    the steps after them, budget + 1 if the search gives up among them.

    Nothing is entered from the deepest level, so every candidate is one step
    and each edge to u closes a cycle: those within the budget are counted
    with two binary searches, only if x pays u in the window at all (`to_u`).
    The same count and the same point of giving up as walking the list.
    """
    room = min(end - at, budget - steps)
    k = 0
    if to_u[x] and room > 0:
        k, _ = _edges_to(arc_ptr, arc_dst, pos_ptr, pos, x, u, at, at + room)
    if steps + end - at <= budget:
        return k, steps + end - at
    return k, budget + 1


@leaf
def _temporal_cycles_at(  # noqa: PLR0912 - one search loop, its give-up points and a pre-check
    e: int,
    u: int,
    v: int,
    out_edge: I64,
    out_dst: I64,
    arc_ptr: I64,
    arc_dst: I64,
    pos_ptr: I64,
    pos: I64,
    olo: I64,
    ohi: I64,
    in_peer: I64,
    in_ptr: I64,
    n_in: I64,
    cycle_len: int,
    budget: int,
    on_path: np.ndarray,
    to_u: np.ndarray,
    stack_node: I64,
    stack_at: I64,
    stack_end: I64,
) -> int:  # pragma: no cover - numba
    """Time-respecting cycles that e closes: v -> ... -> u by ever later edges
    before e, the first in the window; a lower bound past `budget` steps.

    Called before e enters the window, so [olo, ohi) of an account are its
    window edges before e; every later leg follows a window edge, so its
    candidates lie in that slice too, after the previous leg. The deepest
    level is counted at once (`_last_legs`), u's present payers flagged in
    `to_u` when the search first gets that deep.
    """
    if not _closable(u, v, in_peer, in_ptr, n_in):
        return 0
    depth_max = cycle_len - 2
    if depth_max == 0:  # v itself is the deepest level
        _flag_payers(to_u, in_peer, in_ptr, n_in, u, True)
        found, _ = _last_legs(v, u, olo[v], ohi[v], 0, budget, to_u, arc_ptr, arc_dst, pos_ptr, pos)
        _flag_payers(to_u, in_peer, in_ptr, n_in, u, False)
        return found
    d = 0
    stack_node[0] = v
    stack_at[0] = olo[v]
    stack_end[0] = ohi[v]
    on_path[v] = True
    found = 0
    steps = 0
    flagged = False
    while d >= 0:
        if stack_at[d] == stack_end[d]:
            on_path[stack_node[d]] = False
            d -= 1
            continue
        steps += 1
        if steps > budget:  # give up on this edge: `found` is a lower bound
            break
        p = stack_at[d]
        stack_at[d] += 1
        y = out_dst[p]
        if y < 0 or on_path[y]:
            continue
        if y == u:
            found += 1
        elif d + 1 < depth_max:
            d += 1
            stack_node[d] = y
            stack_at[d] = after_pos(out_edge, olo[y], ohi[y], out_edge[p])
            stack_end[d] = ohi[y]
            on_path[y] = True
        else:  # y is at the deepest level
            if not flagged:
                flagged = _flag_payers(to_u, in_peer, in_ptr, n_in, u, True)
            at = after_pos(out_edge, olo[y], ohi[y], out_edge[p])
            k, steps = _last_legs(
                y, u, at, ohi[y], steps, budget, to_u, arc_ptr, arc_dst, pos_ptr, pos
            )
            found += k
            if steps > budget:
                break
    for i in range(d + 1):  # given up at depth d: leave the path clear
        on_path[stack_node[i]] = False
    if flagged:
        _flag_payers(to_u, in_peer, in_ptr, n_in, u, False)
    return found


@njit(cache=True, nogil=True)
def arc_sweep(
    ts: I64,
    src: I64,
    dst: I64,
    out_ptr: I64,
    out_edge: I64,
    out_dst: I64,
    next_same: I64,
    pos_ptr: I64,
    pos: I64,
    arc_of: I64,
    arc_src: I64,
    arc_dst: I64,
    arc_ptr: I64,
    in_ptr: I64,
    window: int,
    b0: int,
    b1: int,
    cycle_len: int,
    budget: int,
    want_sg: bool,
    want_gs: bool,
    want_sc: bool,
    want_tc: bool,
    want_fd: bool,
    fan_in: I32,
    fan_out: I32,
    deg_in: I32,
    deg_out: I32,
    sg_out: I32,
    gs_out: I32,
    sc_out: I64,
    tc_out: I64,
) -> None:  # pragma: no cover - numba
    """Fan, degree, scatter-gather, gather-scatter, simple and temporal cycles
    of the edges [b0, b1)."""
    n_nodes = len(out_ptr) - 1
    n_arcs = len(arc_src)
    if b0 >= b1:
        return
    mult = np.zeros(n_arcs, dtype=np.int32)
    # present arcs of payer x: slots arc_ptr[x] .. + n_out[x]; of payee y:
    # slots in_ptr[y] .. + n_in[y]; each slot holds the arc and the other end
    out_arc = np.empty(n_arcs, dtype=np.int64)
    out_peer = np.empty(n_arcs, dtype=np.int64)
    out_at = np.empty(n_arcs, dtype=np.int64)  # slot of each present arc
    in_arc = np.empty(n_arcs, dtype=np.int64)
    in_peer = np.empty(n_arcs, dtype=np.int64)
    in_at = np.empty(n_arcs, dtype=np.int64)
    n_out = np.zeros(n_nodes, dtype=np.int64)
    n_in = np.zeros(n_nodes, dtype=np.int64)
    # window edges out of / into each account, self-transfers and unknown ends left out
    d_out = np.zeros(n_nodes, dtype=np.int64)
    d_in = np.zeros(n_nodes, dtype=np.int64)
    olo = np.empty(n_nodes, dtype=np.int64)
    ohi = np.empty(n_nodes, dtype=np.int64)
    on_path = np.zeros(n_nodes, dtype=np.bool_)
    to_u = np.zeros(n_nodes, dtype=np.bool_)  # present payers of u, in a cycle search
    # lead[p]: the payee of out-edge position p if p is the first edge of its
    # payee in its payer's window (a known payee other than the payer), else -1;
    # a search reads one array of 4-byte entries, an account's list in few cache lines
    lead = np.full(len(out_dst) if want_sc else 0, -1, dtype=np.int32)
    stack_node = np.empty(cycle_len, dtype=np.int64)
    stack_at = np.empty(cycle_len, dtype=np.int64)
    stack_end = np.empty(cycle_len, dtype=np.int64)
    _sweep_block(
        ts,
        src,
        dst,
        out_ptr,
        out_edge,
        out_dst,
        next_same,
        pos_ptr,
        pos,
        arc_of,
        arc_src,
        arc_dst,
        arc_ptr,
        in_ptr,
        window,
        b0,
        b1,
        cycle_len,
        budget,
        want_sg,
        want_gs,
        want_sc,
        want_tc,
        want_fd,
        fan_in,
        fan_out,
        deg_in,
        deg_out,
        sg_out,
        gs_out,
        sc_out,
        tc_out,
        mult,
        out_arc,
        out_peer,
        out_at,
        in_arc,
        in_peer,
        in_at,
        n_out,
        n_in,
        d_out,
        d_in,
        olo,
        ohi,
        on_path,
        to_u,
        lead,
        stack_node,
        stack_at,
        stack_end,
    )


@leaf
def _sweep_block(  # noqa: PLR0912, PLR0915 - one sweep; the state lives in its arrays
    ts: I64,
    src: I64,
    dst: I64,
    out_ptr: I64,
    out_edge: I64,
    out_dst: I64,
    next_same: I64,
    pos_ptr: I64,
    pos: I64,
    arc_of: I64,
    arc_src: I64,
    arc_dst: I64,
    arc_ptr: I64,
    in_ptr: I64,
    window: int,
    b0: int,
    b1: int,
    cycle_len: int,
    budget: int,
    want_sg: bool,
    want_gs: bool,
    want_sc: bool,
    want_tc: bool,
    want_fd: bool,
    fan_in: I32,
    fan_out: I32,
    deg_in: I32,
    deg_out: I32,
    sg_out: I32,
    gs_out: I32,
    sc_out: I64,
    tc_out: I64,
    mult: I32,
    out_arc: I64,
    out_peer: I64,
    out_at: I64,
    in_arc: I64,
    in_peer: I64,
    in_at: I64,
    n_out: I64,
    n_in: I64,
    d_out: I64,
    d_in: I64,
    olo: I64,
    ohi: I64,
    on_path: np.ndarray,
    to_u: np.ndarray,
    lead: I32,
    stack_node: I64,
    stack_at: I64,
    stack_end: I64,
) -> None:  # pragma: no cover - numba
    """The sweep of `arc_sweep` over its scratch arrays, compiled without
    numba's runtime (see `_jit`): no reference counting per edge."""
    n_edges = len(ts)
    n_nodes = len(out_ptr) - 1
    # the halo: the window of b0's timestamp starts at the first edge after t - W
    lo_t = ts[b0] - window
    lo, hi = 0, b0
    while lo < hi:
        mid = (lo + hi) >> 1
        if ts[mid] > lo_t:
            hi = mid
        else:
            lo = mid + 1
    first = lo
    for x in range(n_nodes):
        olo[x] = after_pos(out_edge, out_ptr[x], out_ptr[x + 1], first - 1)
        ohi[x] = olo[x]
    gone = first  # edges [gone, added) are in the window
    g0 = first
    while g0 < b1:
        t = ts[g0]
        g1 = g0
        while g1 < n_edges and ts[g1] == t:
            g1 += 1
        while ts[gone] <= t - window:
            x = src[gone]
            if x >= 0:
                if want_sc:
                    p = olo[x]
                    if lead[p] >= 0:
                        q = next_same[p]
                        if q >= 0 and q < ohi[x]:  # the arc's next edge, if it is in
                            lead[q] = lead[p]
                        lead[p] = -1
                olo[x] += 1
            a = arc_of[gone]
            if a >= 0:
                p, q = x, dst[gone]
                d_out[p] -= 1
                d_in[q] -= 1
                mult[a] -= 1
                if mult[a] == 0:
                    i = out_at[a]
                    n_out[p] -= 1
                    j = arc_ptr[p] + n_out[p]
                    out_arc[i] = out_arc[j]
                    out_peer[i] = out_peer[j]
                    out_at[out_arc[i]] = i
                    i = in_at[a]
                    n_in[q] -= 1
                    j = in_ptr[q] + n_in[q]
                    in_arc[i] = in_arc[j]
                    in_peer[i] = in_peer[j]
                    in_at[in_arc[i]] = i
            gone += 1
        for e in range(g0, g1):
            a = arc_of[e]
            # temporal cycles see the edges before e
            if want_tc and b0 <= e < b1 and a >= 0:
                tc_out[e] = _temporal_cycles_at(
                    e,
                    src[e],
                    dst[e],
                    out_edge,
                    out_dst,
                    arc_ptr,
                    arc_dst,
                    pos_ptr,
                    pos,
                    olo,
                    ohi,
                    in_peer,
                    in_ptr,
                    n_in,
                    cycle_len,
                    budget,
                    on_path,
                    to_u,
                    stack_node,
                    stack_at,
                    stack_end,
                )
            x = src[e]
            if x >= 0:
                if want_sc and a >= 0 and mult[a] == 0:  # no edge of its arc in the window
                    lead[ohi[x]] = dst[e]
                ohi[x] += 1
            if a >= 0:
                p, q = x, dst[e]
                d_out[p] += 1
                d_in[q] += 1
                mult[a] += 1
                if mult[a] == 1:
                    i = arc_ptr[p] + n_out[p]
                    out_arc[i] = a
                    out_peer[i] = q
                    out_at[a] = i
                    n_out[p] += 1
                    i = in_ptr[q] + n_in[q]
                    in_arc[i] = a
                    in_peer[i] = p
                    in_at[a] = i
                    n_in[q] += 1
            # simple cycles see the edges up to e, not e's later ties
            if want_sc and b0 <= e < b1 and a >= 0:
                sc_out[e] = _simple_cycles_at(
                    src[e],
                    dst[e],
                    lead,
                    arc_ptr,
                    arc_dst,
                    pos_ptr,
                    pos,
                    olo,
                    ohi,
                    in_peer,
                    in_ptr,
                    n_in,
                    cycle_len,
                    budget,
                    on_path,
                    to_u,
                    stack_node,
                    stack_at,
                )
        for e in range(max(g0, b0), min(g1, b1)):
            u, v = src[e], dst[e]
            if want_fd:
                if v >= 0:
                    fan_in[e] = n_in[v]
                    deg_in[e] = d_in[v]
                if u >= 0:
                    fan_out[e] = n_out[u]
                    deg_out[e] = d_out[u]
            if arc_of[e] < 0:
                continue
            if want_gs:
                back = _present(arc_ptr, arc_dst, mult, v, u)
                total = 0
                if n_in[u] >= 2 and n_out[u] >= 2:
                    total += n_in[u] - (1 if back else 0)
                if n_in[v] >= 2 and n_out[v] >= 2:
                    total += n_out[v] - (1 if back else 0)
                gs_out[e] = total
            if want_sg:
                found = 0
                # e as a scatter leg: source u, intermediate v, sinks = payees of v
                # (none without a second payee of u: `_two_paths`)
                for i in range(arc_ptr[v], arc_ptr[v] + (n_out[v] if n_out[u] >= 2 else 0)):
                    d = out_peer[i]
                    if d != u and _two_paths(
                        arc_ptr, arc_dst, mult, out_peer, n_out, in_peer, n_in, in_ptr, u, d
                    ):
                        found += 1
                # e as a gather leg: sink v, intermediate u, sources = payers of u
                # (none without a second payer of v)
                for i in range(in_ptr[u], in_ptr[u] + (n_in[u] if n_in[v] >= 2 else 0)):
                    s = in_peer[i]
                    if s != v and _two_paths(
                        arc_ptr, arc_dst, mult, out_peer, n_out, in_peer, n_in, in_ptr, s, v
                    ):
                        found += 1
                sg_out[e] = found
        g0 = g1
