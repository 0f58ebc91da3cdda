"""Hypothesis strategies for small random money-flow graphs."""

from __future__ import annotations

from hypothesis import strategies as st

from moneytrail.graph import Graph, build_graph

AMOUNTS = (50.0, 100.0, 104.0, 112.0, 9000.0, 9500.0, 9999.99, 10000.0)


@st.composite
def graphs(draw: st.DrawFn, max_nodes: int = 6, max_edges: int = 24) -> Graph:
    n_nodes = draw(st.integers(1, max_nodes))
    n = draw(st.integers(0, max_edges))
    node = st.integers(-1, n_nodes - 1)
    src = draw(st.lists(node, min_size=n, max_size=n))
    dst = draw(st.lists(node, min_size=n, max_size=n))
    ts = draw(st.lists(st.integers(0, 30), min_size=n, max_size=n))
    amount = draw(st.lists(st.sampled_from(AMOUNTS), min_size=n, max_size=n))
    cash = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    currency = draw(st.lists(st.sampled_from(["USD", "EUR"]), min_size=n, max_size=n))
    return build_graph(
        ts=ts,
        src_key=[max(s, 0) * 7 + 3 for s in src],
        dst_key=[max(d, 0) * 7 + 3 for d in dst],
        src_known=[s >= 0 for s in src],
        dst_known=[d >= 0 for d in dst],
        amount=amount,
        currency=currency,
        channel=["cash" if c else "wire" for c in cash],
        txn_ids=[f"t{i}" for i in range(n)],
    )
