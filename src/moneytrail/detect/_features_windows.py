"""Per-account statistics over several time scales and cycle spans, for the supervised scorer.

Laundering patterns of other simulators and of real cases unfold over hours to weeks
(AMLSim spreads one over 2 to 16 days), so each transaction e (payer u, payee v, time t)
gets, for every time scale W, statistics of four edge lists over the window (t - W, t]:
u's payments, u's receipts, v's receipts and v's payments (count, sum, mean, spread,
distinct counterparties, counterparties new to the account, time span; GFP's vertex
statistics and fan degrees), plus scale-free values: how often u paid v and v paid u
before, the gaps since each side last paid or received, and the spans of the shortest
temporal and the tightest simple cycle that e closes (v back to u), so a tree can pick
its own window for cycles.

Causality: "the past and the transaction's own batch" is everything at or before t
(ties at t included); nothing later reaches a value, so scoring the same transactions
after more data arrived gives the same numbers. Edges are in (time, source, row) order;
all loops are numba kernels over CSR arrays (one pass with Fenwick trees for distinct
counts), not per-row Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import numpy.typing as npt
from numba import njit

from moneytrail.errors import ScorerError

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]

HOUR, DAY = 3_600, 86_400
SCALES: dict[str, int] = {
    "6h": 6 * HOUR,
    "1d": DAY,
    "3d": 3 * DAY,
    "7d": 7 * DAY,
    "14d": 14 * DAY,
    "30d": 30 * DAY,
}
"""Every time scale the scorer may use; `model train` picks a few on the validation slice."""

SIDES = ("payer_out", "payer_in", "payee_in", "payee_out")
STATS = ("n", "sum", "mean", "std", "distinct", "first", "span")
PER_SCALE = [f"{side}_{stat}" for side in SIDES for stat in STATS]
"""Per side over (t - W, t]: count, amount sum, mean and standard deviation, distinct
counterparties, edges that were the first between their two accounts, and the seconds
between the side's first edge in the window and t."""
SCALE_FREE = [
    "pair_prior",  # earlier u -> v transactions (0: first contact)
    "reverse_prior",  # v -> u transactions at or before t (money coming back)
    "payer_out_gap",  # seconds since u last paid anyone
    "payer_in_gap",  # seconds since u last received (pass-through when small)
    "payee_in_gap",
    "payee_out_gap",
    "amount_vs_payer_last_in",  # amount / u's last receipt
    "temporal_cycle_span",  # t - start of the latest time-respecting path v ~> u
    "temporal_cycle_hops",
    "simple_cycle_span",  # t - oldest edge on the tightest path v ~> u in any time order
]
CYCLE_SPAN = SCALES["30d"]
"""Cycles are searched over the longest scale whatever scales a model uses, so a cycle
value means the same in training (all scales) and in scoring (the chosen ones)."""
MAX_HOPS = 10  # GFP's longest simple cycle
SEARCH_BUDGET = 4_000  # edges looked at per cycle search: hubs make the search unbounded


@dataclass
class Edges:
    """Transactions in (time, source, row) order with dense account numbers (-1: unknown)."""

    txn_ids: list[str]
    ts: I64
    src: I64
    dst: I64
    amount: F64
    accounts: int


def load_edges(con: duckdb.DuckDBPyConnection) -> Edges:
    """All transactions of the warehouse: features need the whole history before a row."""
    table = con.sql(
        """
        WITH t AS (
            SELECT txn_id, epoch(ts)::BIGINT AS e, from_account, to_account,
                   amount::DOUBLE AS a, source_id, source_row
            FROM transactions
        ), k AS (
            SELECT acct, (row_number() OVER (ORDER BY acct) - 1)::BIGINT AS k FROM (
                SELECT from_account AS acct FROM t WHERE from_account IS NOT NULL
                UNION SELECT to_account FROM t WHERE to_account IS NOT NULL
            )
        )
        SELECT t.txn_id, t.e, coalesce(ku.k, -1) AS u, coalesce(kv.k, -1) AS v, t.a
        FROM t LEFT JOIN k ku ON ku.acct = t.from_account LEFT JOIN k kv ON kv.acct = t.to_account
        ORDER BY t.e, t.source_id, t.source_row
        """
    ).to_arrow_table()
    if table is None:
        raise ScorerError("the transactions query returned no result")

    def col(name: str) -> npt.NDArray[np.generic]:
        values: npt.NDArray[np.generic] = np.asarray(
            table.column(name).to_numpy(zero_copy_only=False)
        )
        return values

    src, dst = col("u").astype(np.int64), col("v").astype(np.int64)
    accounts = int(max(src.max(initial=-1), dst.max(initial=-1))) + 1
    return Edges(
        table.column("txn_id").to_pylist(),
        col("e").astype(np.int64),
        src,
        dst,
        col("a").astype(np.float64),
        accounts,
    )


def feature_names(scales: list[str]) -> list[str]:
    return SCALE_FREE + [f"{f}_{s}" for s in scales for f in PER_SCALE]


def window_features(edges: Edges, scales: list[str]) -> F32:
    """One row per edge (edge order), columns as feature_names(scales)."""
    unknown = [s for s in scales if s not in SCALES]
    if unknown:
        raise ScorerError(f"unknown time scales {unknown}; known: {list(SCALES)}")
    widths = np.array([SCALES[s] for s in scales], dtype=np.int64)
    n = len(edges.ts)
    out = np.full((n, len(SCALE_FREE) + len(widths) * len(PER_SCALE)), np.nan, dtype=np.float32)
    if n == 0:
        return out
    nodes = max(edges.accounts, 1)
    out_ptr, out_edge = _csr(edges.src, nodes)
    in_ptr, in_edge = _csr(edges.dst, nodes)
    first = _first_contact(edges.ts, edges.src, edges.dst)
    _pair_history(edges.ts, edges.src, edges.dst, nodes, out)
    _windows(
        edges.ts,
        edges.src,
        edges.dst,
        edges.amount,
        first,
        out_ptr,
        out_edge,
        in_ptr,
        in_edge,
        widths,
        out,
    )
    _cycles(edges.ts, edges.src, edges.dst, out_ptr, out_edge, in_ptr, in_edge, CYCLE_SPAN, out)
    return out


def _csr(node: I64, nodes: int) -> tuple[I64, I64]:
    """Edges of each node in edge order; edges with an unknown node (-1) are left out."""
    known = np.flatnonzero(node >= 0)
    order = known[np.argsort(node[known], kind="stable")]
    ptr = np.zeros(nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(node[known], minlength=nodes), out=ptr[1:])
    return ptr, order.astype(np.int64)


def _first_contact(ts: I64, src: I64, dst: I64) -> npt.NDArray[np.bool_]:
    """True where no earlier (strictly earlier time) edge joins the same payer and payee."""
    order = np.lexsort((ts, dst, src))
    s, d, t = src[order], dst[order], ts[order]
    new_pair = np.r_[True, (s[1:] != s[:-1]) | (d[1:] != d[:-1])]
    # the time of the pair's first edge, carried along the group
    start = np.maximum.accumulate(np.where(new_pair, np.arange(len(s)), 0))
    first = np.empty(len(s), dtype=np.bool_)
    first[order] = t == t[start]
    return first & (src >= 0) & (dst >= 0)


@njit(cache=True)
def _bit_add(tree: I64, i: int, delta: int) -> None:  # pragma: no cover - numba
    i += 1
    while i < len(tree):
        tree[i] += delta
        i += i & -i


@njit(cache=True)
def _bit_sum(tree: I64, i: int) -> int:  # pragma: no cover - numba
    """Sum of entries [0, i)."""
    s = 0
    while i > 0:
        s += tree[i]
        i -= i & -i
    return s


@njit(cache=True)
def _windows(  # noqa: PLR0912, PLR0915 - one pass keeps the Fenwick sweeps in step
    ts: I64,
    src: I64,
    dst: I64,
    amount: F64,
    first: npt.NDArray[np.bool_],
    out_ptr: I64,
    out_edge: I64,
    in_ptr: I64,
    in_edge: I64,
    widths: I64,
    out: F32,
) -> None:  # pragma: no cover - numba
    n = len(ts)
    n_free, n_stat = 10, 7
    # Per list (0 out, 1 in): entries in CSR order with their time, amount, counterparty,
    # first-contact flag and the previous entry of the same list with the same counterparty.
    lists_ptr = (out_ptr, in_ptr)
    lists_edge = (out_edge, in_edge)
    m = len(out_edge) + len(in_edge)
    e_ts = np.empty(m, np.int64)
    e_amt = np.empty(m, np.float64)
    e_cp = np.empty(m, np.int64)
    base = (0, len(out_edge))
    for li in range(2):
        edge_of = lists_edge[li]
        for k in range(len(edge_of)):
            e = edge_of[k]
            e_ts[base[li] + k] = ts[e]
            e_amt[base[li] + k] = amount[e]
            e_cp[base[li] + k] = dst[e] if li == 0 else src[e]
    # Running totals restart at each node's first entry, so a node's window sums depend
    # only on its own earlier entries: rounding never changes when later edges arrive.
    nodes = len(out_ptr) - 1
    c_n = np.zeros(m + 1, np.float64)
    c_sum = np.zeros(m + 1, np.float64)
    c_sq = np.zeros(m + 1, np.float64)
    c_new = np.zeros(m + 1, np.float64)
    for li in range(2):
        edge_of = lists_edge[li]
        ptr = lists_ptr[li]
        for a in range(nodes):
            for k in range(ptr[a], ptr[a + 1]):
                j = base[li] + k
                restart = k == ptr[a]
                x = e_amt[j]
                c_n[j + 1] = (0.0 if restart else c_n[j]) + 1.0
                c_sum[j + 1] = (0.0 if restart else c_sum[j]) + x
                c_sq[j + 1] = (0.0 if restart else c_sq[j]) + x * x
                c_new[j + 1] = (0.0 if restart else c_new[j]) + (1.0 if first[edge_of[k]] else 0.0)
    prev_same = np.full(m, -1, np.int64)
    last_seen = np.full(nodes, -1, np.int64)
    for li in range(2):
        ptr = lists_ptr[li]
        for a in range(nodes):
            lo, hi = base[li] + ptr[a], base[li] + ptr[a + 1]
            for j in range(lo, hi):
                c = e_cp[j]
                if c >= 0:
                    prev_same[j] = last_seen[c]
                    last_seen[c] = j
            for j in range(lo, hi):  # reset only what this node touched
                if e_cp[j] >= 0:
                    last_seen[e_cp[j]] = -1
    tree = np.zeros(m + 1, np.int64)
    added = np.empty(2 * nodes, np.int64)  # per (list, node): entries already in the tree
    for li in range(2):
        for a in range(nodes):
            added[li * nodes + a] = base[li] + lists_ptr[li][a]
    for i in range(n):
        t = ts[i]
        u, v = src[i], dst[i]
        row = out[i]
        for side in range(4):
            node = u if side < 2 else v
            li = 0 if side in (0, 3) else 1
            if node < 0:
                continue
            lo0 = base[li] + lists_ptr[li][node]
            hi0 = base[li] + lists_ptr[li][node + 1]
            hi = lo0 + np.searchsorted(e_ts[lo0:hi0], t, side="right")
            slot = li * nodes + node
            while added[slot] < hi:  # move each counterparty's mark to its latest entry
                j = added[slot]
                if prev_same[j] >= 0:
                    _bit_add(tree, prev_same[j], -1)
                if e_cp[j] >= 0:
                    _bit_add(tree, j, 1)
                added[slot] += 1
            # gap since this side's last entry strictly before t
            before = lo0 + np.searchsorted(e_ts[lo0:hi0], t, side="left")
            if before > lo0:
                row[2 + side] = t - e_ts[before - 1]
                if side == 1 and e_amt[before - 1] > 0:
                    row[6] = amount[i] / e_amt[before - 1]
            for w in range(len(widths)):
                lo = lo0 + np.searchsorted(e_ts[lo0:hi], t - widths[w], side="right")
                col = n_free + (w * 4 + side) * n_stat
                at = 0 if lo == lo0 else lo  # c_*[lo0] belongs to the node before
                cnt = c_n[hi] - c_n[at] if hi > lo else 0.0
                row[col] = cnt
                s = c_sum[hi] - c_sum[at] if hi > lo else 0.0
                row[col + 1] = s
                if cnt > 0:
                    mean = s / cnt
                    row[col + 2] = mean
                    var = (c_sq[hi] - c_sq[at] - s * mean) / cnt
                    row[col + 3] = np.sqrt(var) if var > 0 else 0.0
                    row[col + 6] = t - e_ts[lo]
                row[col + 4] = _bit_sum(tree, hi) - _bit_sum(tree, lo)
                row[col + 5] = c_new[hi] - c_new[at] if hi > lo else 0.0


def _pair_history(ts: I64, src: I64, dst: I64, nodes: int, out: F32) -> None:
    """pair_prior (u -> v strictly before t) and reverse_prior (v -> u at or before t)."""
    known = (src >= 0) & (dst >= 0)
    key = np.where(known, src * nodes + dst, -1)
    order = np.lexsort((ts, key))
    k_sorted, t_sorted = key[order], ts[order]
    # rank in the sorted (pair, time) list = position; the pair's block starts where its key does
    start = np.searchsorted(k_sorted, key, side="left")
    before = _searchsorted_pairs(k_sorted, t_sorted, key, ts, 0)
    out[:, 0] = np.where(known, before - start, np.nan)
    rkey = np.where(known, dst * nodes + src, -1)
    rstart = np.searchsorted(k_sorted, rkey, side="left")
    upto = _searchsorted_pairs(k_sorted, t_sorted, rkey, ts, 1)
    out[:, 1] = np.where(known, upto - rstart, np.nan)


@njit(cache=True)
def _searchsorted_pairs(
    keys: I64, times: I64, key: I64, t: I64, inclusive: int
) -> I64:  # pragma: no cover - numba
    """Position in the (key, time)-sorted arrays before which (key[i], t[i]) would go:
    after equal times when inclusive, before them otherwise."""
    res = np.empty(len(key), np.int64)
    for i in range(len(key)):
        lo, hi = 0, len(keys)
        k, x = key[i], t[i]
        while lo < hi:
            mid = (lo + hi) // 2
            if keys[mid] < k or (
                keys[mid] == k and (times[mid] < x or (inclusive and times[mid] == x))
            ):
                lo = mid + 1
            else:
                hi = mid
        res[i] = lo
    return res


@njit(cache=True)
def _cycles(  # noqa: PLR0912, PLR0915 - two searches share one frontier
    ts: I64,
    src: I64,
    dst: I64,
    out_ptr: I64,
    out_edge: I64,
    in_ptr: I64,
    in_edge: I64,
    span: int,
    out: F32,
) -> None:  # pragma: no cover - numba
    """Cycle spans of each edge u -> v: searches back from u over edges into it.

    Temporal: latest[x] is the latest time x can start a time-respecting path to u
    (each hop no earlier than the one before, the last by t); the cycle's span is t minus
    latest[v]. Simple: best[x] is the largest, over paths x ~> u in any time order, of the
    path's oldest edge time; the span is t minus best[v]. Both only use edges in
    [t - span, t], at most MAX_HOPS hops and SEARCH_BUDGET edges looked at.
    """
    n = len(ts)
    nodes = len(out_ptr) - 1
    latest = np.full(nodes, -1, np.int64)
    best = np.full(nodes, -1, np.int64)
    hops = np.zeros(nodes, np.int64)
    touched = np.empty(nodes, np.int64)
    frontier = np.empty(nodes, np.int64)
    nxt = np.empty(nodes, np.int64)
    queued = np.full(nodes, -1, np.int64)
    batch_end = 0
    for i in range(n):
        t = ts[i]
        if batch_end <= i:
            batch_end = i
            while batch_end < n and ts[batch_end] == t:
                batch_end += 1
        u, v = src[i], dst[i]
        if u < 0 or v < 0 or u == v:
            continue
        floor = t - span
        for mode in range(2):
            mark = latest if mode == 0 else best
            n_touched = 0
            mark[u] = t if mode == 0 else 1 << 62
            hops[u] = 0
            touched[n_touched] = u
            n_touched += 1
            frontier[0] = u
            n_front = 1
            looked = 0
            for depth in range(1, MAX_HOPS):
                stamp = (i * 2 + mode) * MAX_HOPS + depth
                n_next = 0
                for f in range(n_front):
                    x = frontier[f]
                    lo, hi = in_ptr[x], in_ptr[x + 1]
                    # newest first: the in-list is in time order
                    k = hi - 1
                    while k >= lo and looked < SEARCH_BUDGET:
                        e = in_edge[k]
                        k -= 1
                        if e >= batch_end or e == i:
                            continue
                        s = ts[e]
                        if s < floor:
                            break
                        looked += 1
                        y = src[e]
                        if y < 0 or y == u:
                            continue
                        if mode == 0:
                            if s > mark[x]:
                                continue
                            cand = s
                        else:
                            cand = min(s, mark[x])
                        if mark[y] < 0:
                            touched[n_touched] = y
                            n_touched += 1
                        if cand > mark[y]:
                            mark[y] = cand
                            hops[y] = depth
                            if queued[y] != stamp:  # once per layer, however often improved
                                queued[y] = stamp
                                nxt[n_next] = y
                                n_next += 1
                n_front = n_next
                frontier[:n_front] = nxt[:n_next]
                if n_front == 0 or looked >= SEARCH_BUDGET:
                    break
            if mark[v] >= 0:
                if mode == 0:
                    out[i, 7] = t - mark[v]
                    out[i, 8] = hops[v] + 1
                else:
                    out[i, 9] = t - mark[v]
            for q in range(n_touched):
                mark[touched[q]] = -1
