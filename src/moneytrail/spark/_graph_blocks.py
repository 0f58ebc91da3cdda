"""Graph features per partition: time blocks with their halo, and account partitions.

Transactions are cut into time blocks [cuts[b], cuts[b + 1]) of about
`block_edges` transactions each, cut only between whole minutes (so a block
never splits the transactions of one second: ties see each other). A block's
partition holds its own transactions and its *halo*: every earlier transaction
less than the widest window before the block's start, the only earlier ones
that any window of the block's transactions reaches. Each partition builds the
graph of its rows and runs the kernels of moneytrail.graph with the halo as
history (`mine_txn_features(..., start=len(halo))`, the path the `--threads`
sweep takes for its blocks), so the features of its own rows are exactly those
of one sweep over every transaction.

Account features need every transaction of an account: each transaction goes
to the partition of its payer and to that of its payee (once when they share
one), and a partition keeps the rows of the accounts it owns.

The functions here run on the executors: they take and return Arrow data.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from moneytrail.graph import ACCOUNT_FEATURES, TXN_FEATURES, build_graph, mine_txn_features
from moneytrail.graph import account_features as graph_account_features

if TYPE_CHECKING:
    from moneytrail.graph import FeatureParams, Graph

EDGE_COLUMNS = (
    "txn_key",
    "us",
    "source_id",
    "source_row",
    "t",
    "src",
    "src_known",
    "dst",
    "dst_known",
    "amount",
    "currency",
    "channel",
)
"""The columns of one transaction that the kernels read, `us` (microseconds) and
`source_id, source_row` giving the edge order (time, then file and row)."""

_EDGE_ORDER = [("us", "ascending"), ("source_id", "ascending"), ("source_row", "ascending")]


def block_cuts(
    minutes: npt.NDArray[np.int64], counts: npt.NDArray[np.int64], first: int, block_edges: int
) -> npt.NDArray[np.int64]:
    """Block starts in seconds: `first`, then whole minutes after every `block_edges`
    transactions. `minutes` (ascending) and `counts` count the transactions to mine
    per minute since the epoch."""
    cuts = [first]
    filled = 0
    for minute, count in zip(minutes.tolist(), counts.tolist(), strict=True):
        if filled >= block_edges and minute * 60 > cuts[-1]:
            cuts.append(minute * 60)
            filled = 0
        filled += count
    return np.asarray(cuts, dtype=np.int64)


def assign_blocks(
    batches: Iterator[pa.RecordBatch], cuts: npt.NDArray[np.int64], widest: int
) -> Iterator[pa.RecordBatch]:
    """Each transaction once per block it belongs to: `block` and whether it is the
    block's own (`own`) or in its halo (it starts less than `widest` seconds before)."""
    for batch in batches:
        t = batch.column("t").to_numpy(zero_copy_only=False)
        own = np.searchsorted(cuts, t, side="right") - 1  # -1: before the first block
        last = np.searchsorted(cuts, t + widest, side="left") - 1
        first = np.maximum(own, 0)
        copies = np.maximum(last - first + 1, 0)
        rows = np.repeat(np.arange(len(t)), copies)
        if not len(rows):
            continue
        offsets = np.arange(len(rows)) - np.repeat(np.cumsum(copies) - copies, copies)
        block = first[rows] + offsets
        out = batch.take(pa.array(rows))
        out = out.append_column("block", pa.array(block, pa.int64()))
        yield out.append_column("own", pa.array(block == own[rows]))


def _graph_of(edges: pa.Table) -> tuple[Graph, pa.Table]:
    """The graph of `edges` in edge order, and the edges in that order."""
    edges = edges.sort_by(_EDGE_ORDER)
    graph = build_graph(
        ts=edges.column("t").to_numpy(),
        src_key=edges.column("src").to_numpy(),
        dst_key=edges.column("dst").to_numpy(),
        src_known=edges.column("src_known").to_numpy(zero_copy_only=False),
        dst_known=edges.column("dst_known").to_numpy(zero_copy_only=False),
        amount=edges.column("amount").to_numpy(),
        currency=edges.column("currency").combine_chunks(),
        channel=edges.column("channel").combine_chunks(),
    )
    return graph, edges.take(pa.array(graph.order))


def mine_block(edges: pa.Table, params: FeatureParams, run_id: int) -> pa.Table:
    """txn_features rows of one block's own transactions (its halo is history)."""
    halo = int(pc.sum(pc.invert(edges.column("own"))).as_py() or 0)
    graph, ordered = _graph_of(edges)
    # the halo is earlier than every own transaction, so it comes first in edge order
    keys = ordered.column("txn_key").to_numpy()[halo:]
    parts = []
    for window, cols in mine_txn_features(graph, params, start=halo).items():
        n = len(keys)
        columns: dict[str, object] = {
            "txn_key": keys,
            "window_s": np.full(n, window, dtype=np.int64),
        }
        columns.update({name: cols[name].astype(np.int64) for name in TXN_FEATURES})
        columns["run_id"] = np.full(n, run_id, dtype=np.int32)
        parts.append(pa.table(columns))
    return pa.concat_tables(parts)


def account_rows(edges: pa.Table, params: FeatureParams, run_id: int) -> pa.Table:
    """account_features rows of the accounts this partition owns (`part`)."""
    part = edges.column("part")[0].as_py()
    graph, _ = _graph_of(edges)
    table = graph_account_features(graph, params)
    mine = pa.concat_arrays(
        [
            pc.filter(
                edges.column("src"), pc.equal(edges.column("src_part"), part)
            ).combine_chunks(),
            pc.filter(
                edges.column("dst"), pc.equal(edges.column("dst_part"), part)
            ).combine_chunks(),
        ]
    )
    table = table.filter(pc.is_in(table.column("account_key"), value_set=pc.unique(mine)))
    table = table.select(["account_key", *ACCOUNT_FEATURES])
    return table.append_column("run_id", pa.array(np.full(table.num_rows, run_id, np.int32)))
