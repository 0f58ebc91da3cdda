from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from moneytrail.resolve._cluster import cluster, components


def brute_components(n: int, edges: list[tuple[int, int]]) -> list[int]:
    """Smallest member of each record's component, by repeated relaxation."""
    label = list(range(n))
    changed = True
    while changed:
        changed = False
        for a, b in edges:
            low = min(label[a], label[b])
            if label[a] != low or label[b] != low:
                label[a] = label[b] = low
                changed = True
    return label


def arrays(edges: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    left = np.array([a for a, _ in edges], dtype=np.int64)
    right = np.array([b for _, b in edges], dtype=np.int64)
    return left, right


graphs = st.integers(1, 30).flatmap(
    lambda n: st.tuples(
        st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=60)
    )
)


@settings(max_examples=150, deadline=None)
@given(graphs)
def test_components_match_brute_force(graph: tuple[int, list[tuple[int, int]]]) -> None:
    n, edges = graph
    left, right = arrays(edges)
    assert components(n, left, right).tolist() == brute_components(n, edges)


@settings(max_examples=150, deadline=None)
@given(graphs, st.data())
def test_cannot_links_are_always_honoured(
    graph: tuple[int, list[tuple[int, int]]], data: st.DataObject
) -> None:
    n, edges = graph
    cannot = data.draw(
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=5)
    )
    cannot = [(a, b) for a, b in cannot if a != b]
    left, right = arrays(edges)
    weight = np.arange(len(edges), dtype=np.float64)
    cl, cr = arrays(cannot)
    labels = cluster(n, left, right, weight, cl, cr)
    for a, b in cannot:
        assert labels[a] != labels[b]
    # clusters never join records that no link joins
    plain = components(n, left, right)
    for i in range(n):
        assert plain[labels[i]] == plain[i]


def test_rejected_link_splits_at_the_weakest_link() -> None:
    # 0-1 strong, 1-2 weak, 2-3 strong; 0 and 3 are said to differ
    left, right = arrays([(0, 1), (1, 2), (2, 3)])
    weight = np.array([10.0, 1.0, 10.0])
    labels = cluster(4, left, right, weight, *arrays([(0, 3)]))
    assert labels.tolist() == [0, 0, 2, 2]


def test_empty() -> None:
    empty = np.empty(0, dtype=np.int64)
    assert components(0, empty, empty).size == 0
    assert cluster(3, empty, empty, np.empty(0), empty, empty).tolist() == [0, 1, 2]
