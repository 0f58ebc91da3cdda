"""Time blocks with their halo give the features of one sweep (no Spark needed).

The functions that the Spark executors run (moneytrail.spark._graph_blocks) are
called here on Arrow data directly: each transaction tagged with its blocks,
each block mined on its own, and the rows put together must equal
`mine_txn_features` over every transaction, whatever the block size, also
when blocks are much shorter than the widest window and when a run starts
after the first transaction (an incremental run's history).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from moneytrail.graph import TXN_FEATURES, FeatureParams, build_graph, mine_txn_features
from moneytrail.spark._graph_blocks import EDGE_COLUMNS, assign_blocks, block_cuts, mine_block

PARAMS = FeatureParams(windows=(120, 900, 7_200), cycle_len=5)


def random_edges(seed: int, n: int = 600) -> pa.Table:
    """n transactions among 25 accounts over about six hours, many in the same second."""
    rng = np.random.default_rng(seed)
    t = np.sort(rng.integers(1_700_000_000, 1_700_000_000 + 6 * 3_600, n) // 7 * 7)
    src_known = rng.random(n) > 0.05
    dst_known = rng.random(n) > 0.05
    edges = {
        "txn_key": rng.permutation(n).astype(np.int64) + 1,
        "us": t * 1_000_000,
        "source_id": np.ones(n, dtype=np.int64),
        "source_row": np.arange(n, dtype=np.int64),
        "t": t,
        "src": np.where(src_known, rng.integers(0, 25, n) * 11 + 5, 0),
        "src_known": src_known,
        "dst": np.where(dst_known, rng.integers(0, 25, n) * 11 + 5, 0),
        "dst_known": dst_known,
        "amount": rng.choice([100.0, 104.0, 9_500.0, 9_999.0, 250.0], n),
        "currency": rng.choice(["USD", "EUR"], n),
        "channel": rng.choice(["wire", "cash"], n),
    }
    return pa.table(edges).select(list(EDGE_COLUMNS))


def one_sweep(edges: pa.Table, start: int) -> dict[tuple[int, int], tuple[int, ...]]:
    """(txn_key, window) -> features, from the graph of every transaction."""
    graph = build_graph(
        ts=edges["t"].to_numpy(),
        src_key=edges["src"].to_numpy(),
        dst_key=edges["dst"].to_numpy(),
        src_known=edges["src_known"].to_numpy(zero_copy_only=False),
        dst_known=edges["dst_known"].to_numpy(zero_copy_only=False),
        amount=edges["amount"].to_numpy(),
        currency=edges["currency"],
        channel=edges["channel"],
    )
    keys = edges["txn_key"].to_numpy()[graph.order][start:]
    out = {}
    for window, cols in mine_txn_features(graph, PARAMS, start=start).items():
        for i, key in enumerate(keys):
            out[int(key), window] = tuple(int(cols[name][i]) for name in TXN_FEATURES)
    return out


def by_blocks(
    edges: pa.Table, first: int, block_edges: int
) -> dict[tuple[int, int], tuple[int, ...]]:
    todo = edges.filter(pc.greater_equal(edges["t"], first))
    minutes, counts = np.unique(todo["t"].to_numpy() // 60, return_counts=True)
    cuts = block_cuts(minutes, counts, first, block_edges)
    tagged = pa.Table.from_batches(
        assign_blocks(iter(edges.to_batches(max_chunksize=97)), cuts, max(PARAMS.windows))
    )
    out: dict[tuple[int, int], tuple[int, ...]] = {}
    for block in pc.unique(tagged["block"]).to_pylist():
        rows = mine_block(tagged.filter(pc.equal(tagged["block"], block)), PARAMS, run_id=1)
        for row in rows.to_pylist():
            key = (row["txn_key"], row["window_s"])
            assert key not in out, "each transaction is mined in one block"
            out[key] = tuple(row[name] for name in TXN_FEATURES)
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("block_edges", [10**6, 150, 40, 7])
def test_blocks_with_their_halo_give_the_features_of_one_sweep(seed: int, block_edges: int) -> None:
    edges = random_edges(seed)
    want = one_sweep(edges, 0)
    assert by_blocks(edges, int(edges["t"][0].as_py()), block_edges) == want
    assert any(any(v) for v in want.values())


def test_a_run_from_a_later_second_mines_only_from_there_with_the_earlier_as_history() -> None:
    edges = random_edges(4)
    t = edges["t"].to_numpy()
    first = int(t[len(t) // 2])
    start = int(np.searchsorted(t, first, side="left"))
    assert by_blocks(edges, first, 50) == one_sweep(edges, start)


def test_cuts_start_at_the_first_second_then_fall_on_whole_minutes() -> None:
    minutes = np.array([10, 11, 12, 20, 21], dtype=np.int64)
    counts = np.array([5, 5, 5, 5, 5], dtype=np.int64)
    assert block_cuts(minutes, counts, 10 * 60 + 13, 10).tolist() == [613, 720, 1260]
    assert block_cuts(minutes, counts, 613, 10**6).tolist() == [613]
