"""Per-transaction pattern features, mined at several time scales in one call.

For a transaction e paid by account u to account v at time t, and a window of
W seconds, "in the window" means a transaction with a timestamp in (t - W, t]
(ties at t included, as in IBM's Graph Feature Preprocessor, GFP). Transfers
of an account to itself, and counterparties that are unknown, never count.
"Before e" means earlier in edge order (time, then file and row).

fan_in            distinct accounts that paid v in the window (GFP fan-in
                  pattern size at e).
fan_out           distinct accounts that u paid in the window (GFP fan-out).
deg_in            transactions into v in the window (GFP degree-in).
deg_out           transactions out of u in the window (GFP degree-out).
scatter_gather    scatter-gather patterns of which e is a leg: a pattern is a
                  source s, a sink d and >= 2 distinct intermediates x with
                  s -> x and x -> d in the window (s, d, x all different).
                  Counted over (s, d) pairs where e = s -> x (s = u, x = v) or
                  e = x -> d (x = u, d = v).
gather_scatter    (x, y) pairs, x != y, with x -> h and h -> y in the window
                  through a hub h that received from >= 2 and paid >= 2
                  distinct accounts in the window, where e is one of the legs:
                  h = u with y = v, or h = v with x = u.
temporal_cycle    time-respecting cycles that e closes: sequences of
                  transactions v -> x1 -> ... -> u, each after the previous
                  and before e, the first in the window, with distinct
                  accounts, at most cycle_len transactions including e.
                  A lower bound if the search for e took more than
                  cycle_budget steps (see FeatureParams).
simple_cycle      simple cycles through the pair u -> v in the window graph
                  as e happens: distinct account paths v -> ... -> u of at most
                  cycle_len - 1 hops, over pairs that have a transaction in the
                  window at or before e (parallel transactions are one hop);
                  a lower bound past cycle_budget steps, like temporal_cycle.
structuring       if e is a cash deposit just under the reporting threshold,
                  the number of such deposits into v in the window (e
                  included); 0 otherwise. Repetition (>= 2) is the red flag.
pass_through      earlier transactions into u in the window, in e's currency
                  and not from u, whose amount e passes on: |amount(e) -
                  amount(f)| <= tolerance * |amount(f)|.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from moneytrail.graph import _window
from moneytrail.graph._arrays import BOOL, Graph
from moneytrail.graph._params import FeatureParams
from moneytrail.graph._sweep import Arcs, arc_sweep, blocks

TXN_FEATURES: tuple[str, ...] = (
    "fan_in",
    "fan_out",
    "deg_in",
    "deg_out",
    "scatter_gather",
    "gather_scatter",
    "temporal_cycle",
    "simple_cycle",
    "structuring",
    "pass_through",
)
"""Feature columns of `mine_txn_features`, in order."""

Columns = dict[str, npt.NDArray[Any]]
"""Feature name -> one count per edge."""

_WIDE = frozenset({"temporal_cycle", "simple_cycle"})
"""Counts that can outgrow 32 bits on dense graphs."""


def mine_txn_features(
    graph: Graph, params: FeatureParams | None = None, *, start: int = 0, threads: int = 1
) -> dict[int, Columns]:
    """Features of the edges at positions >= start, per window (seconds).

    Edges before `start` are history: they shape the windows of later edges
    but get no features, so mining a batch appended in time order gives the
    same values as mining everything again. See `mine_windows` for `threads`.
    """
    params = params or FeatureParams()
    mined = dict(mine_windows(graph, params, start=start, threads=threads))
    return {w: mined[w] for w in params.windows}


def mine_windows(
    graph: Graph, params: FeatureParams | None = None, *, start: int = 0, threads: int = 1
) -> Iterator[tuple[int, Columns]]:
    """`mine_txn_features` one window at a time, each yielded when complete,
    so a caller can store one window while the next is mined.

    Within a window each feature family is one task with its own output
    columns, and the sweep of the window graph (`_sweep`, most of the work)
    splits into time blocks; tasks run side by side on `threads`
    threads (the kernels release the GIL) and give exactly the values one
    thread gives. With several threads every task of every window is queued
    at once, the longest window's first (the most work): no thread waits at
    the end of a window while another finishes its last block, and the
    longest window, yielded first, is stored while the shorter ones are mined.
    """
    params = params or FeatureParams()
    if not 0 <= start <= graph.n_edges:
        raise ValueError(f"start {start} is outside the graph's {graph.n_edges} edges")
    families = [f for f in _BY_COST if f == "arcs" or params.wants(f)]
    if not any(params.wants(f) for f in _ARC_FAMILIES):
        families.remove("arcs")
    arcs = Arcs.of(graph) if "arcs" in families else None
    # more blocks than threads: blocks differ in work, and a block's halo (the
    # edges of one window before it) costs only their entry and exit
    parts = blocks(graph.ts, start, 1 if threads <= 1 else 4 * threads)

    tasks = [
        (f, part) for f in families for part in (parts if f == "arcs" else [(start, graph.n_edges)])
    ]

    if threads <= 1:
        for w in params.windows:
            cols = _empty_columns(graph.n_edges)
            for f, part in tasks:
                _run_task(graph, arcs, params, w, f, part, cols)
            yield w, _finish(cols, params, start)
        return
    order = sorted(params.windows, reverse=True)
    with ThreadPoolExecutor(threads, thread_name_prefix="mine") as pool:
        queued = {}
        for w in order:
            cols = _empty_columns(graph.n_edges)
            queued[w] = (
                cols,
                [
                    pool.submit(_run_task, graph, arcs, params, w, f, part, cols)
                    for f, part in tasks
                ],
            )
        for w in order:
            cols, done = queued.pop(w)
            for future in done:
                future.result()
            yield w, _finish(cols, params, start)


def _finish(cols: Columns, params: FeatureParams, start: int) -> Columns:
    for pattern, names in (
        ("fan", ("fan_in", "fan_out")),
        ("degree", ("deg_in", "deg_out")),
    ):
        if not params.wants(pattern):
            for name in names:
                cols[name][:] = 0  # one sweep yields both families
    if start:
        return {name: cols[name][start:].copy() for name in TXN_FEATURES}
    return cols


def _empty_columns(n: int) -> Columns:
    return {
        name: np.zeros(n, dtype=np.int64 if name in _WIDE else np.int32) for name in TXN_FEATURES
    }


_ARC_FAMILIES = (
    "fan",
    "degree",
    "scatter_gather",
    "gather_scatter",
    "simple_cycle",
    "temporal_cycle",
)
"""Families mined by one sweep over the window graph (`_sweep`)."""

_BY_COST = (
    "arcs",  # the longest first
    "pass_through",
    "structuring",
)
"""The tasks of one window, the usually longest first."""


def _run_task(
    g: Graph,
    arcs: Arcs | None,
    params: FeatureParams,
    window: int,
    family: str,
    part: tuple[int, int],
    full: Columns,
) -> None:
    start = part[0]
    if family == "arcs" and arcs is not None:
        _arc_patterns(g, arcs, params, window, part, full)
    elif family == "structuring":
        _structuring(g, params, window, start, full)
    else:
        _window.pass_through(
            g.ts,
            g.src,
            g.amount,
            g.currency,
            g.in_ptr,
            g.in_edge,
            window,
            float(params.pass_through_tolerance),
            start,
            full["pass_through"],
        )


def _arc_patterns(
    g: Graph,
    arcs: Arcs,
    params: FeatureParams,
    window: int,
    part: tuple[int, int],
    full: Columns,
) -> None:
    arc_sweep(
        g.ts,
        g.src,
        g.dst,
        g.out_ptr,
        g.out_edge,
        arcs.out_dst,
        arcs.next_same,
        arcs.pos_ptr,
        arcs.pos,
        arcs.arc_of,
        arcs.src,
        arcs.dst,
        arcs.ptr,
        arcs.in_ptr,
        window,
        part[0],
        part[1],
        params.cycle_len,
        params.cycle_budget,
        params.wants("scatter_gather"),
        params.wants("gather_scatter"),
        params.wants("simple_cycle"),
        params.wants("temporal_cycle"),
        params.wants("fan") or params.wants("degree"),
        full["fan_in"],
        full["fan_out"],
        full["deg_in"],
        full["deg_out"],
        full["scatter_gather"],
        full["gather_scatter"],
        full["simple_cycle"],
        full["temporal_cycle"],
    )


def near_threshold(g: Graph, params: FeatureParams) -> BOOL:
    """Cash deposits with threshold * (1 - margin) <= amount < threshold."""
    low, high = float(params.near_threshold_low), float(params.threshold)
    return g.cash & (g.dst >= 0) & (g.amount >= low) & (g.amount < high)


def _structuring(g: Graph, params: FeatureParams, window: int, start: int, full: Columns) -> None:
    near = near_threshold(g, params)
    prefix = _window.near_threshold_prefix(near, g.in_edge)
    _window.structuring(
        g.ts, g.dst, near, g.in_ptr, g.in_edge, prefix, window, start, full["structuring"]
    )


def features_table(graph: Graph, mined: dict[int, Columns], start: int) -> pa.Table:
    """Long form: one row per transaction and window, ready for txn_features."""
    ids = graph.ids().slice(start)
    parts = []
    for window, cols in mined.items():
        arrays = {"txn_id": ids, "window_s": pa.array(np.full(len(ids), window, dtype=np.int64))}
        arrays.update({name: pa.array(cols[name]) for name in TXN_FEATURES})
        parts.append(pa.table(arrays))
    if not parts:
        return pa.table({"txn_id": pa.array([], pa.string())})
    return pa.concat_tables(parts)
