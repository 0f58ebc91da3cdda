"""The feature frame of the supervised scorer: one row per transaction.

Only information known at the transaction's time goes in: its own columns, the
windowed graph features of moneytrail.graph (windows look back, never ahead), the
per-account statistics over the time scales of moneytrail.detect._features_windows
and, when asked for, the causal features of moneytrail.detect._causal (relative to
each account's own earlier dealings). Account statistics (account_features) cover the
whole period, so they would leak the future into a time-split evaluation and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from moneytrail.detect import _features_windows as fw
from moneytrail.detect._causal import SCORED, build_causal
from moneytrail.errors import ScorerError
from moneytrail.model._graph import TXN_FEATURES

GRAPH = [n for n in TXN_FEATURES.column_names() if n not in ("txn_key", "window_s", "run_id")]
CHANNELS = ("ach", "cheque", "card", "wire", "cash", "reinvestment", "crypto", "transfer", "other")
BASE = ["log_amount", "hour", "weekday", "channel", "cross_currency", "whole_amount", "cents"]
CATEGORICAL = ["channel"]


@dataclass
class Frame:
    txn_ids: list[str]
    ts: npt.NDArray[np.int64]  # epoch seconds
    x: npt.NDArray[np.float32]
    y: npt.NDArray[np.int8]
    names: list[str]


def feature_names(
    windows: list[int], causal: bool = False, scales: list[str] | None = None
) -> list[str]:
    return (
        BASE
        + [f"{f}_{w}" for w in windows for f in GRAPH]
        + (fw.feature_names(scales) if scales else [])
        + (SCORED if causal else [])
    )


def read_local_csv(path: Path, query: str) -> pa.Table:
    """`query` over the CSV file `path` (every column text, read as view `f`) by a DuckDB
    of this process: the file is on this machine, whichever engine holds the warehouse."""
    local = duckdb.connect()
    try:
        quoted = "'" + str(path).replace("'", "''") + "'"  # a view's SQL takes no parameter
        local.execute(
            f"CREATE VIEW f AS SELECT * FROM read_csv({quoted}, all_varchar = true, header = true)"
        )
        table: pa.Table = local.sql(query).to_arrow_table()
    except duckdb.Error as exc:
        raise ScorerError(f"{path}: not a readable CSV ({exc})") from None
    finally:
        local.close()
    return table


def mined_windows(con: duckdb.DuckDBPyConnection) -> list[int]:
    return [
        int(r[0])
        for r in con.execute("SELECT DISTINCT window_s FROM txn_features ORDER BY 1").fetchall()
    ]


def load_frame(
    con: duckdb.DuckDBPyConnection,
    windows: list[int],
    where: str,
    params: list[object],
    truth: Path | None = None,
    causal: bool = False,
    scales: list[str] | None = None,
) -> Frame:
    """Rows of transactions matching `where` (on t.ts), with labels from the data or truth.

    `causal` adds moneytrail.detect._causal's SCORED features and `scales` the account
    statistics at those time scales (both computed over the whole transactions table, so
    history before `where` counts).
    """
    if truth is not None:
        path = truth / "transactions.csv"
        if not path.is_file():
            raise ScorerError(f"{truth}: no transactions.csv with planted transaction ids")
        con.register("scorer_truth", read_local_csv(path, "SELECT DISTINCT txn_id FROM f"))
        label = "(t.txn_id IN (SELECT txn_id FROM scorer_truth))::TINYINT"
    else:
        label = "coalesce(t.label_laundering, false)::TINYINT"
    channel = (
        "CASE t.channel "
        + " ".join(f"WHEN '{c}' THEN {i}" for i, c in enumerate(CHANNELS))
        + " END"
    )
    pivot = ", ".join(
        f"max(f.{f}) FILTER (WHERE f.window_s = {int(w)})::FLOAT AS {f}_{int(w)}"
        for w in windows
        for f in GRAPH
    )
    relative, join = "", ""
    if causal:
        relative = ", " + ", ".join(f"max(c.{f}) AS {f}" for f in SCORED)
        join = f"LEFT JOIN {build_causal(con)} c USING (txn_id)"
    if scales:
        names = fw.feature_names(scales)
        edges = fw.load_edges(con)
        values = fw.window_features(edges, scales)
        columns = {"txn_id": pa.array(edges.txn_ids, pa.string())}
        columns.update({n: pa.array(values[:, j]) for j, n in enumerate(names)})
        con.register("scorer_windows", pa.table(columns))
        relative += ", " + ", ".join(f"any_value(sw.{f}) AS {f}" for f in names)
        join += " LEFT JOIN scorer_windows sw USING (txn_id)"
    sql = f"""
        SELECT t.txn_id, epoch(t.ts)::BIGINT AS e, {label} AS y,
               ln(1 + t.amount::DOUBLE)::FLOAT AS log_amount, hour(t.ts)::FLOAT AS hour,
               dayofweek(t.ts)::FLOAT AS weekday, ({channel})::FLOAT AS channel,
               (t.currency_received IS NOT NULL AND t.currency_received <> t.currency)::FLOAT
                   AS cross_currency,
               (t.amount = round(t.amount))::FLOAT AS whole_amount,
               (t.amount - floor(t.amount))::FLOAT AS cents
               {", " + pivot if pivot else ""}{relative}
        FROM transactions t LEFT JOIN txn_features f USING (txn_key)
            {join}
        WHERE {where}
        GROUP BY t.txn_id, t.ts, t.amount, t.channel, t.currency, t.currency_received,
                 t.source_id, t.source_row, t.label_laundering
        ORDER BY e, t.source_id, t.source_row
    """
    try:
        table = con.sql(sql, params=params).to_arrow_table()
    finally:
        if scales:
            con.unregister("scorer_windows")
        if truth is not None:
            con.unregister("scorer_truth")
    if table is None:
        raise ScorerError("the feature query returned no result")
    names = feature_names(windows, causal, scales)
    x = np.empty((table.num_rows, len(names)), dtype=np.float32)
    for j, name in enumerate(names):
        x[:, j] = table.column(name).to_numpy(zero_copy_only=False).astype(np.float32, copy=False)
    return Frame(
        table.column("txn_id").to_pylist(),
        table.column("e").to_numpy(zero_copy_only=False).astype(np.int64),
        x,
        table.column("y").to_numpy(zero_copy_only=False).astype(np.int8),
        names,
    )
