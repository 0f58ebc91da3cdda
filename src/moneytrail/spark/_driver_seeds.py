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
  - transactions whose txn_id is one of the file's ids or entry references
    (id clashes; a statement entry absorbed into the ledger row it repeats),
  - transactions of the same minute, amount and currency as one of the file's
    (repeated movements across files; the same movement in a statement),
  - transactions whose id starts with the file's name and ':' (the prefix an id
    clash gives, when another file of that name took it first),
  - statement entries linked to those transactions, or whose entry reference is
    one of the file's ids (a ledger row adopting a statement's movement), with
    the transactions those entries are linked to and the entries linked to them.

Each query keeps the row sets a cross-file step compares whole (all rows of one
minute, amount and currency), so a step sees in the scratch what it would see
in the whole warehouse.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

from moneytrail.model.tables import arrow_schema
from moneytrail.spark._tables import table_dir
from moneytrail.spark._warehouse import SparkWarehouse, row_key

if TYPE_CHECKING:
    import pyarrow as pa

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

    Each table is scanned once per step, its rows kept by sets of values written
    into the query (a statement's few hundred ids hash-matched on every executor):
    no join, no shuffle."""
    from pyspark.sql import functions as f  # noqa: PLC0415

    txns, entries = wh.table("transactions"), wh.table("statement_entries")
    local = duckdb.connect()
    try:
        local.register("own_txns", own["transactions"])
        local.register("own_entries", own["statement_entries"])
        ids = _values(local, _IDS)
        moves = _values(local, _MOVES)
        move = f.concat_ws(
            "|", f.date_format("ts", "yyyy-MM-dd HH:mm"), f.col("amount").cast("string"), "currency"
        )
        met = txns.where(
            f.col("txn_id").isin(ids)
            | move.isin(moves)
            | f.col("txn_id").startswith(f"{file_name}:")
        ).toArrow()
        local.register("met", met)
        linked = entries.where(
            row_key("txn_source_id", "txn_source_row").isin(_values(local, _ROWS.format("met")))
            | f.col("entry_ref").isin(ids)
        ).toArrow()
        # The transactions those entries are linked to, and the entries linked to them.
        local.register("linked", linked)
        further = _values(
            local,
            "SELECT DISTINCT e.txn_source_id || ':' || e.txn_source_row FROM linked e"
            " ANTI JOIN met t ON e.txn_source_id = t.source_id AND e.txn_source_row = t.source_row",
        )
        if not further:
            return {"transactions": met, "statement_entries": linked}
        local.register(
            "more", txns.where(row_key("source_id", "source_row").isin(further)).toArrow()
        )
        local.register(
            "more_linked",
            entries.where(row_key("txn_source_id", "txn_source_row").isin(further)).toArrow(),
        )
        return {
            "transactions": local.sql("FROM met UNION ALL FROM more").to_arrow_table(),
            "statement_entries": local.sql("FROM linked UNION FROM more_linked").to_arrow_table(),
        }
    finally:
        local.close()


# The file's ids and entry references; its movements as minute|amount|currency (amount
# with the column's eight decimals, as both engines write a DECIMAL(38,8) as text).
_IDS = "SELECT txn_id FROM own_txns UNION SELECT entry_ref FROM own_entries"
_MOVES = (
    "SELECT DISTINCT concat_ws('|', strftime(ts, '%Y-%m-%d %H:%M'), CAST(amount AS VARCHAR),"
    " currency) FROM own_txns"
)
_ROWS = "SELECT DISTINCT source_id || ':' || source_row FROM {}"


def _values(local: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    return [str(v) for (v,) in local.sql(sql).fetchall() if v is not None]


__all__ = ["base_seeds", "stored_rows_met"]
