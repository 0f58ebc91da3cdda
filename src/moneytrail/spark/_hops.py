"""detect's hop pairs (moneytrail.detect._hops) per account partition on Spark.

A receipt into an account pairs only with that account's later payments, so the
ledger's rows go each to the partition of the account they concern: a receipt to
its payee's, a payment to its payer's (a transfer between two accounts goes to both).
Each partition numbers its own accounts and currencies and runs the same numba
kernel (`pairs_of`) over them; only the pairs come back to the driver, never the ledger.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from moneytrail.detect._hops import pairs_of, sides_of
from moneytrail.spark._sql import render

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

PAIRS_SCHEMA = "in_key BIGINT, out_key BIGINT"


def hop_pairs_by_account(
    spark: SparkSession, rows_sql: str, window: int, ratio: tuple[float, float], strict: bool
) -> pa.Table:
    """(in_key, out_key) of `rows_sql` (moneytrail.detect._hops.ROWS, DuckDB SQL) on Spark."""
    from pyspark.sql import functions as f  # noqa: PLC0415 - pyspark is an optional extra

    rows = spark.sql(render(rows_sql))
    side = ["us", "amount", "currency", "txn_key"]
    receipts = rows.where("receipt AND to_account IS NOT NULL").select(
        f.col("to_account").alias("acct"), f.lit(True).alias("is_in"), *side
    )
    payments = rows.where("payment AND from_account IS NOT NULL").select(
        f.col("from_account").alias("acct"), f.lit(False).alias("is_in"), *side
    )
    parts = int(spark.conf.get("spark.sql.shuffle.partitions") or "8")
    lo, hi = float(ratio[0]), float(ratio[1])

    def pair(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        found = [b for b in batches if b.num_rows]
        if not found:
            return
        yield _pair_partition(pa.Table.from_batches(found), window, (lo, hi), strict)

    by_account = receipts.unionByName(payments).repartition(parts, "acct")
    return by_account.mapInArrow(pair, PAIRS_SCHEMA).toArrow()


def _pair_partition(
    table: pa.Table, window: int, ratio: tuple[float, float], strict: bool
) -> pa.RecordBatch:
    """The pairs of the accounts one partition holds (all the rows of each)."""
    _, acct = np.unique(np.asarray(table.column("acct").to_numpy()), return_inverse=True)
    _, cur = np.unique(
        np.asarray(table.column("currency").to_numpy(zero_copy_only=False), dtype=object).astype(
            str
        ),
        return_inverse=True,
    )
    is_in = np.asarray(table.column("is_in").to_numpy(zero_copy_only=False), dtype=np.bool_)
    none = np.full(len(acct), -1, dtype=np.int64)
    sides = sides_of(
        np.asarray(table.column("txn_key").to_numpy(), dtype=np.int64),
        np.asarray(table.column("us").to_numpy(), dtype=np.int64),
        np.asarray(table.column("amount").to_numpy(), dtype=np.float64),
        cur.astype(np.int64),
        np.where(is_in, none, acct).astype(np.int64),
        np.where(is_in, acct, none).astype(np.int64),
        ~is_in,
        is_in,
    )
    first, second = pairs_of(sides, window, ratio, strict=strict)
    return pa.RecordBatch.from_arrays(
        [pa.array(first, pa.int64()), pa.array(second, pa.int64())], names=["in_key", "out_key"]
    )
