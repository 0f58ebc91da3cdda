"""`moneytrail graph features` on Spark: txn_features and account_features in Parquet.

The same rows as the DuckDB stage (moneytrail.graph._store): which
transactions a run mines (every one when `--full` is asked for or the
parameters other than the windows changed, else the first not yet mined for
every requested window and everything from its second on), which rows of
txn_features it replaces, account_features recomputed whole, and one
graph_runs row, written last, as the run's done mark.

The mining runs per partition (moneytrail.spark._graph_blocks): time blocks,
each with the halo of the widest window before it, for txn_features; account
partitions for account_features. Both call the kernels of moneytrail.graph.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np

from moneytrail.errors import EngineUnsupportedError, GraphDataError
from moneytrail.graph import MiningReport
from moneytrail.graph._store import params_json
from moneytrail.spark._graph_blocks import (
    EDGE_COLUMNS,
    account_rows,
    assign_blocks,
    block_cuts,
    mine_block,
)
from moneytrail.spark._tables import row_count, spark_schema
from moneytrail.spark._warehouse import SparkWarehouse, empty_frame

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

    from moneytrail.graph import FeatureParams
    from moneytrail.workspace import Workspace

_EDGES_SQL = """
SELECT txn_key,
       unix_micros(CAST(ts AS TIMESTAMP)) AS us, source_id, source_row,
       CAST(unix_micros(CAST(ts AS TIMESTAMP)) DIV 1000000 AS BIGINT) AS t,
       coalesce(from_account, 0) AS src, from_account IS NOT NULL AS src_known,
       coalesce(to_account, 0) AS dst, to_account IS NOT NULL AS dst_known,
       CAST(amount AS DOUBLE) AS amount, currency, channel
FROM {view}
"""
"""The edges as moneytrail.graph._store loads them with one node per account."""


def refuse_threads(threads: int | None) -> None:
    """`--threads` is one machine's threads; on Spark the blocks are tasks on its cores."""
    if threads is not None:
        raise EngineUnsupportedError(
            "`graph features --threads` sets the threads of one machine and does not run on "
            "engine spark: there each time block is a Spark task on the cluster's cores; set "
            "how many transactions a block holds with graph_block_edges in the [spark] table "
            "of config.toml or $MONEYTRAIL_SPARK_GRAPH_BLOCK_EDGES (see docs/spark.md)"
        )


def mine_on_spark(
    wh: SparkWarehouse, params: FeatureParams, *, full: bool = False, block_edges: int = 250_000
) -> MiningReport:
    """Mine the transactions that need it into the Spark warehouse (see the module)."""
    from pyspark.sql import functions as f  # noqa: PLC0415 - pyspark is an optional extra

    began = time.perf_counter()
    spark = wh.spark
    wh.table("transactions").createOrReplaceTempView("_graph_transactions")
    edges = spark.sql(_EDGES_SQL.format(view="_graph_transactions")).select(*EDGE_COLUMNS)
    edges.persist()
    try:
        n_edges = edges.count()
        _check_unique_txn_ids(wh)
        settings = params_json(params)
        runs = wh.table("graph_runs")
        last = runs.orderBy(f.col("run_id").desc()).limit(1).collect()
        run_id = (int(last[0]["run_id"]) if last else 0) + 1
        if not full and _settings_changed(last[0]["params"] if last else None, settings):
            full = True
        low = edges.agg(f.min("t")).collect()[0][0]
        # the second from which to mine (None: nothing to mine); "full" when that is the first
        first = low if full else _first_unmined(wh, edges, params.windows)
        full = n_edges == 0 or (first is not None and first <= low)
        mode = "full" if full else "incremental"
        key = f"graph{run_id}"
        mined = 0
        if first is not None and n_edges:
            todo = edges.where(f.col("t") >= first)
            mined = todo.count()
            rows = _mine_blocks(edges, todo, first, params, run_id, block_edges)
            if not full:
                rows = _kept_rows(wh, todo, params.windows).unionByName(rows)
            wh.stage(key, "txn_features", rows)
        elif n_edges == 0:
            wh.stage(key, "txn_features", empty_frame(spark, "txn_features"))
        wh.stage(key, "account_features", _account_features(edges, params, run_id))
        seconds = time.perf_counter() - began
        replaced = ["txn_features"] if (wh.staging(key) / "txn_features").is_dir() else []
        wh.replace(key, [*replaced, "account_features"])
        n_accounts = row_count(wh.workspace, "account_features")
        run = spark.createDataFrame(
            [
                (
                    run_id,
                    datetime.now(UTC).replace(tzinfo=None),
                    mode,
                    json.dumps(settings),
                    n_edges,
                    mined,
                    n_accounts,
                    seconds,
                )
            ],
            spark_schema("graph_runs"),
        )
        wh.stage(key, "graph_runs", run.coalesce(1))
        wh.append_staged(key, "graph_runs", f"run{run_id}")
        wh.discard_staged(key)
    finally:
        edges.unpersist()
    return MiningReport(
        run_id=run_id,
        mode=mode,
        edges=n_edges,
        edges_mined=mined,
        accounts=n_accounts,
        windows=params.windows,
        txn_rows=mined * len(params.windows),
        seconds=round(seconds, 3),
    )


def _mine_blocks(
    edges: DataFrame,
    todo: DataFrame,
    first: int,
    params: FeatureParams,
    run_id: int,
    block_edges: int,
) -> DataFrame:
    """txn_features rows of the transactions from second `first` on, block by block."""
    from pyspark.sql import functions as f  # noqa: PLC0415
    from pyspark.sql.types import BooleanType, LongType, StructField, StructType  # noqa: PLC0415

    per_minute = todo.groupBy(f.floor(f.col("t") / 60).alias("m")).count().orderBy("m").collect()
    cuts = block_cuts(
        np.array([r["m"] for r in per_minute], dtype=np.int64),
        np.array([r["count"] for r in per_minute], dtype=np.int64),
        first,
        block_edges,
    )
    widest = max(params.windows)
    schema = StructType(
        [*edges.schema.fields, StructField("block", LongType()), StructField("own", BooleanType())]
    )
    blocks = edges.mapInArrow(lambda batches: assign_blocks(batches, cuts, widest), schema)
    return blocks.groupBy("block").applyInArrow(
        lambda table: mine_block(table, params, run_id), spark_schema("txn_features")
    )


def _account_features(edges: DataFrame, params: FeatureParams, run_id: int) -> DataFrame:
    """account_features, each account on the partition its key hashes to."""
    from pyspark.sql import functions as f  # noqa: PLC0415

    parts = int(edges.sparkSession.conf.get("spark.sql.shuffle.partitions") or "8")

    def part_of(side: str) -> Column:
        return f.when(f.col(f"{side}_known"), f.pmod(f.xxhash64(side), f.lit(parts)))

    tagged = edges.withColumn("src_part", part_of("src")).withColumn("dst_part", part_of("dst"))
    by_payer = tagged.where("src_known").withColumn("part", f.col("src_part"))
    by_payee = tagged.where("dst_known AND (NOT src_known OR dst_part != src_part)").withColumn(
        "part", f.col("dst_part")
    )
    return (
        by_payer.unionByName(by_payee)
        .groupBy("part")
        .applyInArrow(
            lambda table: account_rows(table, params, run_id), spark_schema("account_features")
        )
    )


def _kept_rows(wh: SparkWarehouse, todo: DataFrame, windows: tuple[int, ...]) -> DataFrame:
    """The rows of txn_features an incremental run keeps: every other window, and the
    requested windows of the transactions it does not mine again."""
    from pyspark.sql import functions as f  # noqa: PLC0415

    stored = wh.table("txn_features")
    asked = f.col("window_s").isin(list(windows))
    again = stored.where(asked).join(todo.select("txn_key"), "txn_key", "left_anti")
    return stored.where(~asked).unionByName(again.select(*stored.columns))


def _first_unmined(wh: SparkWarehouse, edges: DataFrame, windows: tuple[int, ...]) -> int | None:
    """The second from which transactions must be (re)mined; None when none must."""
    from pyspark.sql import functions as f  # noqa: PLC0415

    have = (
        wh.table("txn_features")
        .where(f.col("window_s").isin(list(windows)))
        .groupBy("txn_key")
        .count()
        .where(f.col("count") == len(windows))
        .select("txn_key")
    )
    # tied edges see each other, so from the first second of the earliest one missing
    first = edges.join(have, "txn_key", "left_anti").agg(f.min("t")).collect()[0][0]
    return None if first is None else int(first)


def _settings_changed(last: str | None, settings: dict[str, object]) -> bool:
    if last is None:
        return True
    before = json.loads(last)
    # windows may grow between runs: the missing ones are mined incrementally
    return {k: v for k, v in before.items() if k != "windows"} != {
        k: v for k, v in settings.items() if k != "windows"
    }


def _check_unique_txn_ids(wh: SparkWarehouse) -> None:
    from pyspark.sql import functions as f  # noqa: PLC0415

    dup = (
        wh.table("transactions")
        .groupBy("txn_id")
        .count()
        .where(f.col("count") > 1)
        .orderBy("txn_id")
        .limit(1)
        .collect()
    )
    if dup:
        raise GraphDataError(
            f"transactions.txn_id {dup[0]['txn_id']!r} occurs more than once; "
            "a feature row names one transaction"
        )


def features_on_spark(
    workspace: Workspace, params: FeatureParams, *, full: bool, threads: int | None
) -> MiningReport:
    """`moneytrail --engine spark graph features`: the workspace's session and settings."""
    from moneytrail.spark._session import SparkSettings, spark_session  # noqa: PLC0415

    refuse_threads(threads)
    wh = SparkWarehouse(workspace, spark_session(workspace))
    block_edges = SparkSettings.of(workspace).graph_block_edges
    return mine_on_spark(wh, params, full=full, block_edges=block_edges)
