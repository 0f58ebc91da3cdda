"""Per-account features over every loaded transaction of the account.

For each account, separately for the transactions it received (in) and paid
(out), self-transfers excluded:

    txn_in, txn_out           how many
    amount_<dir>_<stat>       statistics of the amounts, as recorded in each
                              transaction's currency (features for ranking,
                              not money reports: exact totals are in
                              `transactions`)
    gap_<dir>_<stat>          statistics of the seconds between consecutive
                              transactions (count - 1 gaps)

where <stat> is sum, mean, min, max, median (mean of the middle two for an
even count), var (population variance), skew (third standardised moment) and
kurt (excess kurtosis: fourth standardised moment - 3); skew and kurt are 0
when the variance is 0, and every statistic is NULL when there are no values.

    night_share               share of the account's transactions (in and
                              out) booked in [night_start, night_end) o'clock
    cash_places_in            distinct accounts cash was deposited from
                              (branches, ATMs): deposits in many places...
    payees                    distinct accounts it paid: ...withdrawals in one
                              is a funnel
    near_threshold_deposits   cash deposits into it just under the threshold
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numba import njit

from moneytrail.graph._arrays import BOOL, F64, I64, Graph
from moneytrail.graph._arrow import from_numpy
from moneytrail.graph._features import near_threshold
from moneytrail.graph._params import FeatureParams

STATS: tuple[str, ...] = ("sum", "mean", "min", "max", "median", "var", "skew", "kurt")
STAT_COLUMNS: tuple[str, ...] = tuple(
    f"{measure}_{direction}_{stat}"
    for measure in ("amount", "gap")
    for direction in ("in", "out")
    for stat in STATS
)
ACCOUNT_FEATURES: tuple[str, ...] = (
    "txn_in",
    "txn_out",
    *STAT_COLUMNS,
    "night_share",
    "cash_places_in",
    "payees",
    "near_threshold_deposits",
)


@njit(cache=True, nogil=True)
def _stats(values: F64, out: F64) -> None:  # pragma: no cover - numba
    n = len(values)
    if n == 0:
        out[:] = np.nan
        return
    values.sort()  # in place: callers pass scratch space
    s = values
    total = s.sum()
    mean = total / n
    mid = n // 2
    median = s[mid] if n % 2 == 1 else (s[mid - 1] + s[mid]) / 2.0
    m2 = 0.0
    m3 = 0.0
    m4 = 0.0
    for x in s:
        d = x - mean
        m2 += d * d
        m3 += d * d * d
        m4 += d * d * d * d
    m2 /= n
    m3 /= n
    m4 /= n
    out[0] = total
    out[1] = mean
    out[2] = s[0]
    out[3] = s[n - 1]
    out[4] = median
    out[5] = m2
    out[6] = m3 / m2**1.5 if m2 > 0 else 0.0
    out[7] = m4 / (m2 * m2) - 3.0 if m2 > 0 else 0.0


@njit(cache=True, nogil=True)
def _segment_stats(
    ts: I64, amount: F64, self_side: I64, other: I64, ptr: I64, edges: I64, out: F64
) -> None:  # pragma: no cover - numba
    """out[v] = 8 amount statistics then 8 gap statistics of node v's edges."""
    n_stats = 8
    width = 0
    for v in range(len(ptr) - 1):
        width = max(width, ptr[v + 1] - ptr[v])
    # one scratch buffer for all nodes: allocating per node costs more than the maths
    amounts = np.empty(width, dtype=np.float64)
    times = np.empty(width, dtype=np.int64)
    gaps = np.empty(width, dtype=np.float64)
    for v in range(len(ptr) - 1):
        a, b = ptr[v], ptr[v + 1]
        k = 0
        for p in range(a, b):
            e = edges[p]
            if other[e] != self_side[e]:
                amounts[k] = amount[e]
                times[k] = ts[e]
                k += 1
        _stats(amounts[:k], out[v, :n_stats])
        for i in range(1, k):
            gaps[i - 1] = times[i] - times[i - 1]
        _stats(gaps[: max(k - 1, 0)], out[v, n_stats:])


def account_features(graph: Graph, params: FeatureParams | None = None) -> pa.Table:
    """One row per account (node): account_key then ACCOUNT_FEATURES."""
    params = params or FeatureParams()
    g = graph
    n = g.n_nodes
    not_self = g.src != g.dst
    stats_in = np.empty((n, 16), dtype=np.float64)
    stats_out = np.empty((n, 16), dtype=np.float64)
    _segment_stats(g.ts, g.amount, g.dst, g.src, g.in_ptr, g.in_edge, stats_in)
    _segment_stats(g.ts, g.amount, g.src, g.dst, g.out_ptr, g.out_edge, stats_out)

    recv = not_self & (g.dst >= 0)
    paid = not_self & (g.src >= 0)
    txn_in = np.bincount(g.dst[recv], minlength=n)
    txn_out = np.bincount(g.src[paid], minlength=n)
    hour = (g.ts // 3600) % 24
    night = (hour >= params.night_start_hour) & (hour < params.night_end_hour)
    night_n = np.bincount(g.dst[recv & night], minlength=n) + np.bincount(
        g.src[paid & night], minlength=n
    )
    active = txn_in + txn_out
    share = np.divide(night_n, active, out=np.full(n, np.nan), where=active > 0)
    cash_in = recv & g.cash & (g.src >= 0)
    near = near_threshold(g, params) & not_self

    cols: dict[str, pa.Array] = {
        "account_key": from_numpy(g.node_keys),
        "txn_in": from_numpy(txn_in.astype(np.int64)),
        "txn_out": from_numpy(txn_out.astype(np.int64)),
    }
    blocks = {"in": stats_in, "out": stats_out}
    for name in STAT_COLUMNS:
        measure, direction, stat = name.split("_")
        col = STATS.index(stat) + (0 if measure == "amount" else len(STATS))
        values = blocks[direction][:, col]
        cols[name] = from_numpy(values, mask=np.isnan(values))
    cols["night_share"] = from_numpy(share, mask=np.isnan(share))
    places = np.zeros(n, dtype=np.int64)
    _distinct_counterparts(g.in_ptr, g.in_edge, g.src, cash_in, places)
    payees = np.zeros(n, dtype=np.int64)
    _distinct_counterparts(g.out_ptr, g.out_edge, g.dst, paid, payees)
    cols["cash_places_in"] = from_numpy(places)
    cols["payees"] = from_numpy(payees)
    cols["near_threshold_deposits"] = from_numpy(
        np.bincount(g.dst[near], minlength=n).astype(np.int64)
    )
    return pa.table(cols)


@njit(cache=True, nogil=True)
def _distinct_counterparts(
    ptr: I64, edges: I64, other: I64, use: BOOL, out: I64
) -> None:  # pragma: no cover - numba
    """out[v] = distinct `other` ends among node v's edges with `use` set."""
    mark = np.full(len(ptr) - 1, -1, dtype=np.int64)
    for v in range(len(ptr) - 1):
        n = 0
        for p in range(ptr[v], ptr[v + 1]):
            e = edges[p]
            o = other[e]
            if use[e] and o >= 0 and mark[o] != v:
                mark[o] = v
                n += 1
        out[v] = n
