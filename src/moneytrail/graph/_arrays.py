"""Money-flow graph arrays: accounts as nodes, transactions as time-stamped edges.

Edges are numbered 0..E-1 in time order (timestamp, then the order the caller
gives, which for the warehouse is source file and row); that number is the
edge's *position*, and "before" and "after" between two edges always mean
position order, so ties at the same second are broken the same way
everywhere. Two CSR indexes point into that order:

    out_ptr / out_edge   the edges leaving each node, ascending position
    in_ptr  / in_edge    the edges entering each node, ascending position

so the edges of one node are also sorted by time and a window is one binary
search away. Memory is a few arrays of length E plus two of length N + 1.

An edge whose paying or receiving account is unknown keeps node -1 on that
side: it counts for the account that is known (a cash deposit still counts
for the account it was paid into) and never joins a pattern through the
unknown side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from numba import njit

from moneytrail.errors import GraphDataError
from moneytrail.graph._arrow import from_numpy, to_numpy, valid

I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
F64 = npt.NDArray[np.float64]
BOOL = npt.NDArray[np.bool_]

CASH = "cash"


@dataclass(frozen=True)
class Graph:
    """Time-sorted edge arrays plus CSR indexes by source and by target."""

    ts: I64
    """Seconds since the epoch, ascending."""
    src: I64
    """Paying node per edge, or -1."""
    dst: I64
    """Receiving node per edge, or -1."""
    amount: F64
    """Amount in the edge's own currency, as a float: features, not reports."""
    currency: I32
    """Index into `currencies` per edge."""
    cash: BOOL
    """Whether the edge moved cash (channel 'cash')."""
    node_keys: I64
    """accounts.account_key of each node, ascending."""
    order: I64
    """Input row of each edge (the stable time sort's permutation)."""
    currencies: tuple[str, ...]
    out_ptr: I64
    out_edge: I64
    in_ptr: I64
    in_edge: I64
    txn_ids: pa.Array | None
    """Transaction id of each edge, in edge order; None: the edge's input row number."""
    node_entity: pa.Array | None = None
    """Resolved entity of each node when nodes are entities (see load_graph)."""
    txn_keys: I64 | None = None
    """transactions.txn_key of each edge, in edge order, when loaded from the warehouse."""

    @property
    def n_edges(self) -> int:
        return len(self.ts)

    @property
    def n_nodes(self) -> int:
        return len(self.node_keys)

    @property
    def nbytes(self) -> int:
        arrays = (self.ts, self.src, self.dst, self.amount, self.currency, self.cash)
        index = (self.node_keys, self.out_ptr, self.out_edge, self.in_ptr, self.in_edge)
        ids = self.txn_ids.nbytes if self.txn_ids is not None else 0
        return sum(a.nbytes for a in (*arrays, *index)) + ids

    def ids(self) -> pa.Array:
        """Transaction ids, made from input row numbers when none were given."""
        if self.txn_ids is not None:
            return self.txn_ids
        return pa.array(self.order).cast(pa.string())


def build_graph(
    *,
    ts: npt.ArrayLike,
    src_key: npt.ArrayLike,
    dst_key: npt.ArrayLike,
    amount: npt.ArrayLike,
    currency: pa.Array | list[str] | None = None,
    channel: pa.Array | list[str | None] | None = None,
    txn_ids: pa.Array | list[str] | None = None,
    src_known: npt.ArrayLike | None = None,
    dst_known: npt.ArrayLike | None = None,
) -> Graph:
    """Build the graph from parallel columns, in any order.

    ts are integer seconds; src_key/dst_key are account keys (any int64), with
    src_known/dst_known saying which are present (default: all). Edges are
    sorted by time with a stable sort, so callers fix the order of ties.
    """
    t = np.asarray(ts, dtype=np.int64)
    n = len(t)
    skey = np.asarray(src_key, dtype=np.int64)
    dkey = np.asarray(dst_key, dtype=np.int64)
    amt = np.asarray(amount, dtype=np.float64)
    if not (len(skey) == len(dkey) == len(amt) == n):
        raise GraphDataError(
            f"columns differ in length: ts {n}, src {len(skey)}, dst {len(dkey)}, amount {len(amt)}"
        )
    if n and not np.all(np.isfinite(amt)):
        bad = int(np.flatnonzero(~np.isfinite(amt))[0])
        raise GraphDataError(f"edge {bad}: amount is not a finite number")
    sknown = _known(src_known, n)
    dknown = _known(dst_known, n)
    ids = _strings(txn_ids, n, "txn_ids") if txn_ids is not None else None

    order = np.argsort(t, kind="stable")
    # the warehouse hands the rows over in time order: then nothing moves
    moved = bool(n) and not (order[0] == 0 and np.all(np.diff(order) == 1))
    if moved:
        t = t[order]
        skey, dkey, amt = skey[order], dkey[order], amt[order]
        sknown, dknown = sknown[order], dknown[order]
    take = from_numpy(order)
    ids = ids.take(take) if ids is not None and moved else ids
    if currency is None:
        codes = np.zeros(n, dtype=np.int32)
        currencies: tuple[str, ...] = ("XXX",)
    else:
        encoded = _strings(currency, n, "currency")
        encoded = (encoded.take(take) if moved else encoded).dictionary_encode()
        codes = to_numpy(encoded.indices.cast(pa.int32()), np.int32)
        currencies = tuple(str(c) for c in encoded.dictionary.to_pylist())
    if channel is None:
        cash = np.zeros(n, dtype=np.bool_)
    else:
        chan = _strings(channel, n, "channel")
        chan = chan.take(take) if moved else chan
        # compared through the dictionary: a string scalar would import pandas (see _arrow)
        channels = chan.dictionary_encode()
        names = channels.dictionary.to_pylist()
        if CASH in names:
            codes_of = channels.indices
            cash = (to_numpy(codes_of, np.int32, nulls=True) == names.index(CASH)) & valid(codes_of)
        else:
            cash = np.zeros(n, dtype=np.bool_)

    keys, node = _factorize(np.concatenate([skey[sknown], dkey[dknown]]))
    src = np.full(n, -1, dtype=np.int64)
    dst = np.full(n, -1, dtype=np.int64)
    n_src = int(sknown.sum())
    src[sknown] = node[:n_src]
    dst[dknown] = node[n_src:]
    out_ptr, out_edge = _csr(src, len(keys))
    in_ptr, in_edge = _csr(dst, len(keys))
    return Graph(
        ts=t,
        src=src,
        dst=dst,
        amount=amt,
        currency=codes,
        cash=cash,
        node_keys=keys,
        order=order.astype(np.int64),
        currencies=currencies,
        out_ptr=out_ptr,
        out_edge=out_edge,
        in_ptr=in_ptr,
        in_edge=in_edge,
        txn_ids=ids,
    )


def _known(given: npt.ArrayLike | None, n: int) -> BOOL:
    if given is None:
        return np.ones(n, dtype=np.bool_)
    known = np.asarray(given, dtype=np.bool_)
    if len(known) != n:
        raise GraphDataError(f"known-account mask has {len(known)} entries for {n} edges")
    return known


def _strings(values: pa.Array | list[str] | list[str | None], n: int, what: str) -> pa.Array:
    arr = values if isinstance(values, pa.Array) else pa.array(values, pa.string())
    if len(arr) != n:
        raise GraphDataError(f"{what} has {len(arr)} entries for {n} edges")
    return arr.cast(pa.string())


def _factorize(values: I64) -> tuple[I64, I64]:
    """Sorted distinct values and each value's index among them, from one sort."""
    order = np.argsort(values)
    ordered = values[order]
    first = np.empty(len(values), dtype=np.bool_)
    first[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    index = np.empty(len(values), dtype=np.int64)
    index[order] = np.cumsum(first) - 1
    return ordered[first], index


def _csr(node: I64, n_nodes: int) -> tuple[I64, I64]:
    """Edges grouped by node, each group in position order (a counting sort)."""
    counts = np.bincount(node[node >= 0], minlength=n_nodes)
    ptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    edges = np.empty(int(ptr[-1]), dtype=np.int64)
    _place(node, ptr, edges)
    return ptr, edges


@njit(cache=True, nogil=True)
def _place(node: I64, ptr: I64, edges: I64) -> None:  # pragma: no cover - numba
    cursor = ptr[:-1].copy()
    for e in range(len(node)):
        v = node[e]
        if v >= 0:
            edges[cursor[v]] = e
            cursor[v] += 1
