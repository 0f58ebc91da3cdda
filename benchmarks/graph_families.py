"""Cost per transaction of each graph feature family, to see which one grows with a world.

    .venv/bin/python benchmarks/graph_families.py WORLD/transactions.csv [--days 42]
        [--window 1w] [--families scatter_gather temporal_cycle arcs] [--without-cash]

Reads the first --days days of an aml-csv file (a synthetic world's, e.g. the 5 M
and 50 M worlds of one seed: same days, full windows in both), builds the graph
in memory and mines one window on one thread, each family alone ("arcs": the six
families of the arc sweep together), after one untimed call that compiles the
kernels. --without-cash leaves out every transaction of a branch's cash account
(account numbers starting CASH), the hubs whose lists grow with the population.
Prints microseconds per transaction and appends a record to
benchmarks/results/graph_families.jsonl. docs/spark.md reads the 5 M / 50 M
comparison from it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from moneytrail.graph import FeatureParams, Graph, build_graph, mine_txn_features
from moneytrail.graph.commands import parse_window

HERE = Path(__file__).parent
ARCS = ("fan", "degree", "scatter_gather", "gather_scatter", "simple_cycle", "temporal_cycle")
_COLUMNS = ", ".join(f"'c{i}'" for i in range(11))


def first_days(path: Path, days: int, *, without_cash: bool) -> Graph:
    cash = "AND NOT contains(s, 'CASH') AND NOT contains(d, 'CASH')" if without_cash else ""
    table = duckdb.sql(f"""
        WITH r AS (
            SELECT epoch(strptime(c0, '%Y/%m/%d %H:%M'))::BIGINT AS ts, c1 || c2 AS s,
                   c3 || c4 AS d, c7::DOUBLE AS amount, lower(c9) AS channel
            FROM read_csv('{path}', header = true, all_varchar = true, names = [{_COLUMNS}]))
        SELECT * FROM r WHERE ts < (SELECT min(ts) FROM r) + {days} * 86400 {cash}
        """).to_arrow_table()
    accounts = pc.unique(
        pa.concat_arrays([table["s"].combine_chunks(), table["d"].combine_chunks()])
    )
    return build_graph(
        ts=table["ts"].to_numpy(),
        src_key=pc.index_in(table["s"], accounts).to_numpy(),
        dst_key=pc.index_in(table["d"], accounts).to_numpy(),
        amount=table["amount"].to_numpy(),
        channel=table["channel"].combine_chunks(),
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv", type=Path)
    ap.add_argument("--days", type=int, default=42)
    ap.add_argument("--window", default="1w")
    ap.add_argument("--families", nargs="+", default=["scatter_gather", "temporal_cycle", "arcs"])
    ap.add_argument("--without-cash", action="store_true")
    args = ap.parse_args()
    window = parse_window(args.window)
    graph = first_days(args.csv, args.days, without_cash=args.without_cash)
    print(
        f"{args.csv}, first {args.days} days: {graph.n_edges:,} transactions, {graph.n_nodes:,} accounts"
    )
    mine_txn_features(graph, FeatureParams(windows=(window,)))  # compiles every kernel
    us_per_txn = {}
    for family in args.families:
        patterns = frozenset(ARCS if family == "arcs" else (family,))
        start = time.perf_counter()
        mine_txn_features(graph, FeatureParams(windows=(window,), patterns=patterns))
        seconds = time.perf_counter() - start
        us_per_txn[family] = round(seconds / max(graph.n_edges, 1) * 1e6, 2)
        print(f"{family:16s} {seconds:8.2f} s {us_per_txn[family]:8.2f} us per transaction")
    record = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": platform.node(),
        "load": os.getloadavg()[0],
        "csv": str(args.csv),
        "days": args.days,
        "window_s": window,
        "without_cash": args.without_cash,
        "transactions": graph.n_edges,
        "accounts": graph.n_nodes,
        "us_per_txn": us_per_txn,
    }
    with (HERE / "results" / "graph_families.jsonl").open("a") as fh:
        fh.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
