"""Brute-force reference of every per-transaction feature, for small graphs.

Written straight from the definitions in `moneytrail.graph._features`, with
sets and exhaustive path enumeration and no shared code with the kernels, so
that property tests can check the kernels against it exactly. Quadratic or
worse: use it on graphs of tens of edges.
"""

from __future__ import annotations

from dataclasses import dataclass

from moneytrail.graph._arrays import Graph
from moneytrail.graph._features import TXN_FEATURES, near_threshold
from moneytrail.graph._params import FeatureParams


@dataclass(frozen=True)
class _Edge:
    pos: int
    u: int
    v: int
    t: int
    amount: float
    currency: int


def reference_txn_features(
    graph: Graph, params: FeatureParams | None = None, *, start: int = 0
) -> dict[int, dict[str, list[int]]]:
    params = params or FeatureParams()
    edges = [
        _Edge(i, int(graph.src[i]), int(graph.dst[i]), int(graph.ts[i]), float(a), int(c))
        for i, (a, c) in enumerate(zip(graph.amount, graph.currency, strict=True))
    ]
    near = [bool(x) for x in near_threshold(graph, params)]
    result: dict[int, dict[str, list[int]]] = {}
    for w in params.windows:
        cols: dict[str, list[int]] = {name: [] for name in TXN_FEATURES}
        for e in edges[start:]:
            feats = _features_of(e, edges, near, w, params)
            for name in TXN_FEATURES:
                family = _FAMILY[name]
                cols[name].append(feats[name] if params.wants(family) else 0)
        result[w] = cols
    return result


_FAMILY = {
    "fan_in": "fan",
    "fan_out": "fan",
    "deg_in": "degree",
    "deg_out": "degree",
    **{n: n for n in TXN_FEATURES if n not in ("fan_in", "fan_out", "deg_in", "deg_out")},
}


def _features_of(
    e: _Edge, edges: list[_Edge], near: list[bool], w: int, params: FeatureParams
) -> dict[str, int]:
    win = [f for f in edges if e.t - w < f.t <= e.t]
    arcs = {(f.u, f.v) for f in win if f.u >= 0 and f.v >= 0 and f.u != f.v}
    feats = dict.fromkeys(TXN_FEATURES, 0)
    if e.v >= 0:
        payers = {f.u for f in win if f.v == e.v and f.u >= 0 and f.u != e.v}
        feats["fan_in"] = len(payers)
        feats["deg_in"] = sum(1 for f in win if f.v == e.v and f.u >= 0 and f.u != e.v)
        if near[e.pos]:
            feats["structuring"] = sum(1 for f in win if f.v == e.v and near[f.pos])
    if e.u >= 0:
        feats["fan_out"] = len({f.v for f in win if f.u == e.u and f.v >= 0 and f.v != e.u})
        feats["deg_out"] = sum(1 for f in win if f.u == e.u and f.v >= 0 and f.v != e.u)
        tol = float(params.pass_through_tolerance)
        feats["pass_through"] = sum(
            1
            for f in win
            if f.pos < e.pos
            and f.v == e.u
            and f.u != e.u
            and f.currency == e.currency
            and abs(e.amount - f.amount) <= tol * abs(f.amount)
        )
    if e.u >= 0 and e.v >= 0 and e.u != e.v:
        feats["scatter_gather"] = _scatter_gather(e, arcs)
        feats["gather_scatter"] = _gather_scatter(e, arcs)
        if params.wants("temporal_cycle"):  # exponential in the edges: only when asked
            feats["temporal_cycle"] = _temporal_cycles(e, edges, w, params.cycle_len)
        before = {(f.u, f.v) for f in win if f.pos <= e.pos and f.u >= 0 and f.v >= 0}
        feats["simple_cycle"] = _simple_cycles(e, {a for a in before if a[0] != a[1]}, params)
    return feats


def _scatter_gather(e: _Edge, arcs: set[tuple[int, int]]) -> int:
    nodes = {a for arc in arcs for a in arc}
    patterns = set()
    for s in nodes:
        for d in nodes:
            if s == d:
                continue
            mids = {x for x in nodes if x not in (s, d) and (s, x) in arcs and (x, d) in arcs}
            if len(mids) >= 2 and ((s == e.u and e.v in mids) or (d == e.v and e.u in mids)):
                patterns.add((s, d))
    return len(patterns)


def _gather_scatter(e: _Edge, arcs: set[tuple[int, int]]) -> int:
    def hub(h: int) -> tuple[set[int], set[int]]:
        return {a for a, b in arcs if b == h}, {b for a, b in arcs if a == h}

    pairs = set()
    for h in (e.u, e.v):
        ins, outs = hub(h)
        if len(ins) < 2 or len(outs) < 2:
            continue
        for x in ins:
            for y in outs:
                if x != y and ((h == e.u and y == e.v) or (h == e.v and x == e.u)):
                    pairs.add((h, x, y))
    return len(pairs)


def _temporal_cycles(e: _Edge, edges: list[_Edge], w: int, cycle_len: int) -> int:
    found = 0

    def walk(node: int, after: int, visited: tuple[int, ...]) -> None:
        nonlocal found
        for f in edges:
            if not (after < f.pos < e.pos) or f.u != node or f.v < 0:
                continue
            if len(visited) == 1 and f.t <= e.t - w:
                continue
            if f.v == e.u:
                found += 1
            elif f.v not in visited and len(visited) + 1 <= cycle_len - 1:
                walk(f.v, f.pos, (*visited, f.v))

    walk(e.v, -1, (e.v,))
    return found


def _simple_cycles(e: _Edge, arcs: set[tuple[int, int]], params: FeatureParams) -> int:
    found = 0

    def walk(node: int, visited: tuple[int, ...]) -> None:
        nonlocal found
        for a, b in arcs:
            if a != node:
                continue
            if b == e.u:
                found += 1
            elif b not in visited and len(visited) + 1 <= params.cycle_len - 1:
                walk(b, (*visited, b))

    walk(e.v, (e.v,))
    return found


def reference_budgeted_simple_cycles(
    graph: Graph, window: int, cycle_len: int, budget: int
) -> list[int]:
    """simple_cycle of every edge as the budgeted search defines it.

    Past the budget the feature is a lower bound whose value depends on the
    order of the search, so that order is part of the definition: depth first
    from v, each account's edges in the window (up to e) looked at in position
    order, one step per edge looked at, a payee taken at its first edge of the
    visit, and the search stops before the step that would pass `budget`.
    """
    ts, src, dst = graph.ts.tolist(), graph.src.tolist(), graph.dst.tolist()
    outgoing: dict[int, list[int]] = {}
    for f, x in enumerate(src):
        outgoing.setdefault(x, []).append(f)
    counts = []
    for e, (u, v, t) in enumerate(zip(src, dst, ts, strict=True)):
        if u < 0 or v < 0 or u == v:
            counts.append(0)
            continue

        def payees(x: int, e: int = e, t: int = t) -> list[int]:
            return [dst[f] for f in outgoing.get(x, []) if f <= e and t - window < ts[f]]

        stack: list[tuple[int, list[int], int, set[int]]] = [(v, payees(v), 0, set())]
        on_path = {v}
        found = steps = 0
        while stack:
            node, ys, at, seen = stack[-1]
            if at == len(ys):
                on_path.discard(node)
                stack.pop()
                continue
            steps += 1
            if steps > budget:
                break
            stack[-1] = (node, ys, at + 1, seen)
            y = ys[at]
            if y < 0 or y in on_path or y in seen:
                continue
            seen.add(y)
            if y == u:
                found += 1
            elif len(stack) < cycle_len - 1:
                stack.append((y, payees(y), 0, set()))
                on_path.add(y)
        counts.append(found)
    return counts


def reference_budgeted_temporal_cycles(
    graph: Graph, window: int, cycle_len: int, budget: int
) -> list[int]:
    """temporal_cycle of every edge as the budgeted search defines it: depth
    first from v, the first leg among v's window edges before e and each next
    leg among the payee's edges after the previous leg and before e, edges in
    position order, one step per edge looked at, stopping before the step that
    would pass `budget` (see `reference_budgeted_simple_cycles`)."""
    ts, src, dst = graph.ts.tolist(), graph.src.tolist(), graph.dst.tolist()
    outgoing: dict[int, list[int]] = {}
    for f, x in enumerate(src):
        outgoing.setdefault(x, []).append(f)
    counts = []
    for e, (u, v, t) in enumerate(zip(src, dst, ts, strict=True)):
        if u < 0 or v < 0 or u == v:
            counts.append(0)
            continue
        first = [f for f in outgoing.get(v, []) if f < e and t - window < ts[f]]
        stack: list[tuple[int, list[int], int]] = [(v, first, 0)]
        on_path = {v}
        found = steps = 0
        while stack:
            node, legs, at = stack[-1]
            if at == len(legs):
                on_path.discard(node)
                stack.pop()
                continue
            steps += 1
            if steps > budget:
                break
            stack[-1] = (node, legs, at + 1)
            f = legs[at]
            y = dst[f]
            if y < 0 or y in on_path:
                continue
            if y == u:
                found += 1
            elif len(stack) < cycle_len - 1:
                stack.append((y, [g for g in outgoing.get(y, []) if f < g < e], 0))
                on_path.add(y)
        counts.append(found)
    return counts
