"""The stored rows a driver-side load consults, fetched from the Spark warehouse.

A file read on the driver (moneytrail.spark._ingest_driver) is loaded by its
DuckDB reader into a scratch warehouse. DuckDB's cross-file steps read other
files' rows there; the scratch holds only the few a given file can meet, which
this module finds on Spark from what the file holds (its own rows, as a first
load into an empty scratch gave them):

- every load's `sources` row (the next source_id, `already_loaded`, file names
  in repeated_movements), the accounts with a record id and the account and
  IBAN identifiers (what FtM resolves a BankAccount id against): `base_seeds`;
- once the warehouse holds transactions, `stored_rows_met`:
  - transactions of the same minute, amount and currency as one of the file's
    (repeated movements across files; a statement entry merged with the ledger
    row of the same movement, which is also a movement of that minute),
  - transactions whose id starts with the file's name and ':' (the prefix an id
    clash gives, when another file of that name took it first),
  - transactions whose id is one of the file's (an id clash), or, when the file
    has more ids than are written into a query, one of them: the clash step asks
    only whether there is one (a second ledger file, numbered by row as the
    first, clashes on every id; its rows are not all needed),
  - statement entries linked to those transactions, or whose entry reference is
    one of the file's ids (a ledger row adopting a statement's movement), with
    the transactions those entries are linked to and the entries linked to them.

Each query keeps the row sets a cross-file step compares whole (all rows of one
minute, amount and currency), so a step sees in the scratch what it would see
in the whole warehouse.
"""

from __future__ import annotations

import operator
from functools import reduce
from typing import TYPE_CHECKING

import duckdb

from moneytrail.model.tables import arrow_schema
from moneytrail.spark._tables import table_dir
from moneytrail.spark._warehouse import SparkWarehouse, row_key

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import Column, DataFrame

_BASE = (
    ("accounts", "record_id IS NOT NULL"),
    ("identifiers", "scheme IN ('account', 'iban')"),
)


def base_seeds(wh: SparkWarehouse) -> dict[str, pa.Table]:
    """What every driver-side load consults, whatever the file holds."""
    import pyarrow.dataset as ds  # noqa: PLC0415

    # One row per file loaded: read on the driver, no Spark job.
    sources = ds.dataset(
        sorted(table_dir(wh.workspace, "sources").glob("*.parquet")), arrow_schema("sources")
    ).to_table()
    return {"sources": sources} | {
        name: wh.table(name).where(where).toArrow() for name, where in _BASE
    }


def stored_rows_met(
    wh: SparkWarehouse, file_name: str, own: dict[str, pa.Table]
) -> dict[str, pa.Table]:
    """Stored transactions and statement entries the file's rows (`own`: its
    transactions and statement entries by table) can meet in the cross-file steps.

    Each table is scanned once per step. A statement's few hundred values are
    written into the query and hash-matched on every executor (no join, no
    shuffle); a ledger file's millions are joined (see `_rows_with`)."""
    from pyspark.sql import functions as f  # noqa: PLC0415

    txns, entries = wh.table("transactions"), wh.table("statement_entries")
    local = duckdb.connect()
    try:
        local.register("own_txns", own["transactions"])
        local.register("own_entries", own["statement_entries"])
        ids = _values(local, _IDS)
        move = f.concat_ws(
            "|", f.date_format("ts", "yyyy-MM-dd HH:mm"), f.col("amount").cast("string"), "currency"
        )
        own_ids = _values(local, _OWN_IDS)
        # A statement's few ids join the one scan; a ledger's are matched by one witness.
        few = len(own_ids) <= LITERALS
        met = _rows_with(
            wh,
            txns,
            [(move, _values(local, _MOVES)), *([(f.col("txn_id"), own_ids)] if few else [])],
            f.col("txn_id").startswith(f"{file_name}:"),
        )
        local.register("met", met)
        clash = None if few else _rows_with(wh, txns, [(f.col("txn_id"), own_ids)], limit=1)
        if clash is not None and clash.num_rows:
            local.register("clash", clash)
            met = local.sql("FROM met UNION FROM clash").to_arrow_table()
            local.register("met", met)
        linked = _rows_with(
            wh,
            entries,
            [
                (row_key("txn_source_id", "txn_source_row"), _values(local, _ROWS.format("met"))),
                (f.col("entry_ref"), ids),
            ],
        )
        # The transactions those entries are linked to, and the entries linked to them.
        local.register("linked", linked)
        further = _values(
            local,
            "SELECT DISTINCT e.txn_source_id || ':' || e.txn_source_row FROM linked e"
            " ANTI JOIN met t ON e.txn_source_id = t.source_id AND e.txn_source_row = t.source_row",
        )
        if not len(further):
            return {"transactions": met, "statement_entries": linked}
        local.register(
            "more", _rows_with(wh, txns, [(row_key("source_id", "source_row"), further)])
        )
        local.register(
            "more_linked",
            _rows_with(wh, entries, [(row_key("txn_source_id", "txn_source_row"), further)]),
        )
        return {
            "transactions": local.sql("FROM met UNION ALL FROM more").to_arrow_table(),
            "statement_entries": local.sql("FROM linked UNION FROM more_linked").to_arrow_table(),
        }
    finally:
        local.close()


# The file's ids and entry references; its movements as minute|amount|currency (amount
# with the column's eight decimals, as both engines write a DECIMAL(38,8) as text).
_OWN_IDS = "SELECT DISTINCT txn_id FROM own_txns"
_IDS = "SELECT txn_id FROM own_txns UNION SELECT entry_ref FROM own_entries"
_MOVES = (
    "SELECT DISTINCT concat_ws('|', strftime(ts, '%Y-%m-%d %H:%M'), CAST(amount AS VARCHAR),"
    " currency) FROM own_txns"
)
_ROWS = "SELECT DISTINCT source_id || ':' || source_row FROM {}"

# Up to this many values a set is written into the query; a larger one is joined.
# Spark plans an IN list of n literals in time growing with n, and 100,000 of them
# already cost seconds before the scan starts.
LITERALS = 20_000


def _rows_with(
    wh: SparkWarehouse,
    frame: DataFrame,
    sets: list[tuple[Column, pa.Array]],
    also: Column | None = None,
    limit: int | None = None,
) -> pa.Table:
    """Rows of `frame` whose value of some column expression is in its set of values, or
    for which `also` holds; at most `limit` of them when given."""
    import pyarrow as pa  # noqa: PLC0415
    from pyspark.sql import functions as f  # noqa: PLC0415

    tests = [expr.isin(values.to_pylist()) for expr, values in sets if 0 < len(values) <= LITERALS]
    if also is not None:
        tests.append(also)
    parts = [frame.where(reduce(operator.or_, tests))] if tests else []
    for expr, values in sets:
        if len(values) > LITERALS:
            wanted = wh.spark.createDataFrame(pa.table({"_wanted": values}))
            parts.append(frame.join(wanted, expr == f.col("_wanted"), "left_semi"))
    if not parts:
        return frame.limit(0).toArrow()
    found = reduce(lambda a, b: a.unionByName(b), parts)
    if len(parts) > 1:
        found = found.dropDuplicates(["source_id", "source_row"])
    return (found.limit(limit) if limit is not None else found).toArrow()


def _values(local: duckdb.DuckDBPyConnection, sql: str) -> pa.Array:
    """The one column of `sql`'s answer, as text, without NULLs."""
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.compute as pc  # noqa: PLC0415

    column = local.sql(sql).to_arrow_table().column(0).combine_chunks()
    return pc.drop_null(column.cast(pa.string()))


__all__ = ["base_seeds", "stored_rows_met"]
