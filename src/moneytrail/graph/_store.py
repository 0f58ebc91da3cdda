"""Between the warehouse and the kernels: load the graph, store the features.

A run mines the transactions that have no features yet for some requested
window, plus everything after the earliest of them in time order (a late
arrival changes the windows of the transactions that follow it), and
replaces those rows of `txn_features` in bulk in one transaction;
`account_features` is recomputed and replaced whole. When the parameters other than the windows change, or
`full` is asked for, every transaction is mined again.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from moneytrail.errors import GraphDataError, GraphParamsError
from moneytrail.graph._accounts import ACCOUNT_FEATURES, account_features
from moneytrail.graph._arrays import Graph, build_graph
from moneytrail.graph._arrow import from_numpy, to_numpy
from moneytrail.graph._features import TXN_FEATURES, Columns, mine_windows
from moneytrail.graph._params import FeatureParams
from moneytrail.model._graph import ACCOUNT_FEATURES as ACCOUNT_FEATURES_TABLE
from moneytrail.model._graph import TXN_FEATURES as TXN_FEATURES_TABLE
from moneytrail.warehouse import SCHEMA_VERSION, Warehouse

TXN_FEATURES_DDL = TXN_FEATURES_TABLE.create_ddl(SCHEMA_VERSION).replace(
    "CREATE TABLE", "CREATE OR REPLACE TABLE", 1
)
ACCOUNT_FEATURES_DDL = ACCOUNT_FEATURES_TABLE.create_ddl(SCHEMA_VERSION).replace(
    "CREATE TABLE", "CREATE OR REPLACE TABLE", 1
)

_NODES_SQL = {
    # every account is its own node
    "account": "SELECT NULL::BIGINT AS account_key, NULL::BIGINT AS node_key, "
    "NULL::VARCHAR AS entity_id WHERE false",
    # accounts whose holder resolved to a person or company entity merge into one
    # node per entity, keyed by the entity's smallest account_key
    "entity": """
        WITH holder AS (
            SELECT h.account_key, min(m.entity_id) AS entity_id
            FROM account_holders h
            JOIN entity_members m ON m.member_id = h.party_id AND m.kind IN ('person', 'company')
            GROUP BY h.account_key
        )
        SELECT account_key, min(account_key) OVER (PARTITION BY entity_id) AS node_key, entity_id
        FROM holder
    """,
}

_EDGES_SQL = """
WITH node AS ({nodes})
SELECT t.txn_id, t.txn_key,
       epoch_us(t.ts) // 1000000 AS t,
       coalesce(nf.node_key, t.from_account, 0) AS src, t.from_account IS NOT NULL AS src_known,
       coalesce(nt.node_key, t.to_account, 0) AS dst, t.to_account IS NOT NULL AS dst_known,
       CAST(t.amount AS DOUBLE) AS amount, t.currency, t.channel
FROM transactions t
LEFT JOIN node nf ON nf.account_key = t.from_account
LEFT JOIN node nt ON nt.account_key = t.to_account
ORDER BY t.ts, t.source_id, t.source_row
"""


def load_graph(wh: Warehouse, *, nodes: str = "account", ids: bool = True) -> Graph:
    """The graph of every stored transaction (DuckDB -> Arrow -> numpy).

    nodes="account": one node per account. nodes="entity": after entity
    resolution, the accounts held by one resolved person or company are one
    node (transfers between them become self-transfers); `Graph.node_entity`
    names the entity of each node (NULL for accounts without one).
    ids=False leaves the transaction ids out (`Graph.txn_ids` is None; the
    integer `txn_keys` are there) and their uniqueness to the caller
    (`check_unique_txn_ids`): 5 M strings cost seconds to read and to hash.
    """
    if nodes not in _NODES_SQL:
        raise GraphParamsError([f"nodes: {nodes!r} is not one of {', '.join(_NODES_SQL)}"])
    sql = _EDGES_SQL.format(nodes=_NODES_SQL[nodes])
    if not ids:
        sql = sql.replace("SELECT t.txn_id, ", "SELECT ", 1)
    try:
        mapping = wh.con.sql(_NODES_SQL[nodes]).to_arrow_table()
        edges = wh.con.sql(sql).to_arrow_table()
    except duckdb.CatalogException as exc:
        raise GraphDataError(f"cannot build a graph of {nodes} nodes: {exc}") from exc
    txn_ids = None
    if ids:
        txn_ids = edges["txn_id"].combine_chunks()
        if len(pc.unique(txn_ids)) != len(txn_ids):
            _raise_duplicate(wh.con)
    graph = build_graph(
        ts=to_numpy(edges["t"], np.int64),
        src_key=to_numpy(edges["src"], np.int64),
        dst_key=to_numpy(edges["dst"], np.int64),
        src_known=to_numpy(edges["src_known"], np.bool_),
        dst_known=to_numpy(edges["dst_known"], np.bool_),
        amount=to_numpy(edges["amount"], np.float64),
        currency=edges["currency"].combine_chunks(),
        channel=edges["channel"].combine_chunks(),
        txn_ids=txn_ids,
    )
    graph = replace(graph, txn_keys=to_numpy(edges["txn_key"], np.int64)[graph.order])
    if nodes == "account":
        return graph
    n = graph.n_nodes
    keys = mapping["node_key"].to_numpy(zero_copy_only=False)
    at = np.searchsorted(graph.node_keys, keys)
    # an account without transactions is in the mapping but not in the graph
    hit = (at < n) & (graph.node_keys[np.minimum(at, max(n - 1, 0))] == keys) if n else at < 0
    row = np.full(n, -1, dtype=np.int64)
    row[at[hit]] = np.flatnonzero(hit)
    entity = mapping["entity_id"].combine_chunks().take(pa.array(row, mask=row < 0))
    return replace(graph, node_entity=entity)


def check_unique_txn_ids(con: duckdb.DuckDBPyConnection) -> None:
    """Raise GraphDataError if a transactions.txn_id occurs more than once."""
    if not con.execute("SELECT count(*) = count(DISTINCT txn_id) FROM transactions").fetchall()[0][
        0
    ]:
        _raise_duplicate(con)


def _raise_duplicate(con: duckdb.DuckDBPyConnection) -> None:
    dup = con.execute(
        "SELECT txn_id FROM transactions GROUP BY txn_id HAVING count(*) > 1 ORDER BY 1 LIMIT 1"
    ).fetchall()[0][0]
    raise GraphDataError(
        f"transactions.txn_id {dup!r} occurs more than once; a feature row names one transaction"
    )


@dataclass(frozen=True)
class MiningReport:
    run_id: int
    mode: str
    edges: int
    edges_mined: int
    accounts: int
    windows: tuple[int, ...]
    txn_rows: int
    seconds: float

    def as_json(self) -> dict[str, object]:
        return asdict(self)


def params_json(params: FeatureParams) -> dict[str, object]:
    doc: dict[str, object] = {}
    for key, value in asdict(params).items():
        if isinstance(value, Decimal):
            doc[key] = str(value)
        elif isinstance(value, frozenset | set):
            doc[key] = sorted(value)
        elif isinstance(value, tuple):
            doc[key] = list(value)
        else:
            doc[key] = value
    return doc


def mine_into_warehouse(
    wh: Warehouse, params: FeatureParams | None = None, *, full: bool = False, threads: int = 1
) -> MiningReport:
    """Mine the transactions that need it and replace their rows, in one transaction.

    Windows are mined one after the other, and each is stored on a second
    thread while the next is mined (DuckDB and the kernels both release the
    GIL); the connection is used by one thread at a time. `seconds` is the
    time to load, mine and compute account features, the stores that overlap
    the mining included.
    """
    params = params or FeatureParams()
    began = time.perf_counter()
    graph = load_graph(wh, ids=False)
    settings = params_json(params)
    if not full and _settings_changed(wh.con, settings):
        full = True
    start = 0 if full else _first_unmined(wh.con, graph, params.windows)
    keys = _keys(graph)[start:]
    rows = 0
    with wh.transaction() as con, ThreadPoolExecutor(1, thread_name_prefix="store") as store:
        run_id = int(
            con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM graph_runs").fetchall()[0][0]
        )
        _clear_txn_features(con, graph, start, params.windows)
        # checked on the store thread while the first window is mined
        pending: Future[None] | None = store.submit(check_unique_txn_ids, con)
        for window, cols in mine_windows(graph, params, start=start, threads=threads):
            table = _window_rows(keys, window, cols, run_id)
            rows += table.num_rows
            if pending is not None:
                pending.result()
            pending = store.submit(_insert_txn_rows, con, table)
        accounts = account_features(graph, params)
        seconds = time.perf_counter() - began
        if pending is not None:
            pending.result()
        con.execute(
            "INSERT INTO graph_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                datetime.now(UTC),
                "full" if start == 0 else "incremental",
                json.dumps(settings),
                graph.n_edges,
                graph.n_edges - start,
                graph.n_nodes,
                seconds,
            ],
        )
        accounts = accounts.append_column(
            "run_id", from_numpy(np.full(accounts.num_rows, run_id, np.int32))
        )
        # account_features is recomputed whole by every run: replace the table
        con.execute(ACCOUNT_FEATURES_DDL)
        con.register("graph_account_rows", accounts)
        names = ", ".join(("account_key", *ACCOUNT_FEATURES, "run_id"))
        con.execute(
            f"INSERT INTO account_features ({names}) SELECT {names} FROM graph_account_rows"
        )
        con.unregister("graph_account_rows")
    return MiningReport(
        run_id=run_id,
        mode="full" if start == 0 else "incremental",
        edges=graph.n_edges,
        edges_mined=graph.n_edges - start,
        accounts=graph.n_nodes,
        windows=params.windows,
        txn_rows=rows,
        seconds=round(seconds, 3),
    )


def _keys(graph: Graph) -> npt.NDArray[np.int64]:
    if graph.txn_keys is None:
        raise GraphDataError("the graph was not loaded from the warehouse: no txn_key")
    return graph.txn_keys


def _window_rows(keys: npt.NDArray[np.int64], window: int, cols: Columns, run_id: int) -> pa.Table:
    """Long form keyed by txn_key: one row per transaction of one window."""
    return pa.table(
        {
            "txn_key": from_numpy(keys),
            "window_s": from_numpy(np.full(len(keys), window, dtype=np.int64)),
            **{name: from_numpy(cols[name]) for name in TXN_FEATURES},
            "run_id": from_numpy(np.full(len(keys), run_id, dtype=np.int32)),
        }
    )


def _clear_txn_features(
    con: duckdb.DuckDBPyConnection, graph: Graph, start: int, windows: tuple[int, ...]
) -> None:
    """Make room for the mined rows of txn_features, inside the caller's transaction.

    A full run replaces the table (CREATE OR REPLACE, then one INSERT ... SELECT
    from Arrow per window); an incremental run deletes the rows of the re-mined
    transactions for the mined windows with one semi-join on the integer txn_key
    before the new rows are appended. The table has no index to maintain (schema
    version 4 dropped its VARCHAR primary key): the rows of one (txn_key,
    window_s) are unique because only this stage writes them, and it always
    removes before it appends.
    """
    if start == 0:
        con.execute(TXN_FEATURES_DDL)
        return
    stale = pa.table({"txn_key": from_numpy(_keys(graph)[start:])})
    con.register("graph_stale_keys", stale)
    con.execute(
        "DELETE FROM txn_features WHERE window_s IN "
        f"({', '.join(str(int(w)) for w in windows)}) "
        "AND txn_key IN (SELECT txn_key FROM graph_stale_keys)"
    )
    con.unregister("graph_stale_keys")


def _insert_txn_rows(con: duckdb.DuckDBPyConnection, rows: pa.Table) -> None:
    con.register("graph_txn_rows", rows)
    cols = ", ".join(("txn_key", "window_s", *TXN_FEATURES, "run_id"))
    con.execute(f"INSERT INTO txn_features ({cols}) SELECT {cols} FROM graph_txn_rows")
    con.unregister("graph_txn_rows")


def _settings_changed(con: duckdb.DuckDBPyConnection, settings: dict[str, object]) -> bool:
    rows = con.execute("SELECT params FROM graph_runs ORDER BY run_id DESC LIMIT 1").fetchall()
    if not rows:
        return True
    last = json.loads(rows[0][0])
    # windows may grow between runs: the missing ones are mined incrementally
    return {k: v for k, v in last.items() if k != "windows"} != {
        k: v for k, v in settings.items() if k != "windows"
    }


def _first_unmined(con: duckdb.DuckDBPyConnection, graph: Graph, windows: tuple[int, ...]) -> int:
    """Edge position from which features must be (re)computed."""
    have = (
        con.sql(
            "SELECT txn_key FROM txn_features WHERE window_s IN ("
            + ", ".join("?" * len(windows))
            + ") GROUP BY txn_key HAVING count(*) = ?",
            params=[*windows, len(windows)],
        )
        .to_arrow_table()["txn_key"]
        .to_numpy()
    )
    missing = np.flatnonzero(~np.isin(_keys(graph), have))
    if len(missing) == 0:
        return graph.n_edges
    # tied edges see each other, so start at the first edge of the earliest tie group
    return int(np.searchsorted(graph.ts, graph.ts[missing[0]], side="left"))
