"""Loads under way: what a load that did not end left behind, and deleting it.

A load commits its rows in chunks (so that DuckDB's memory stays bounded; a
transaction's appended rows are held until it ends) and lists its source_id in
`loads_in_progress` until its last transaction writes the `sources` row. A load
that fails, or one a crash cut off, is undone by deleting every row written
under its source_id: its facts, quarantine and issues, the accounts it was
first to store and the vault values it was first to store. Nothing another
file relies on carries that source_id: an account or a vault value already
stored is never stored again, and the next load starts only once the one before
has ended or been undone.
"""

from __future__ import annotations

import duckdb

from moneytrail.model.tables import FACT_TABLES, table

# Every table a load writes under its source_id (the vault's column names the
# load that stored a value first).
LOAD_TABLES: tuple[str, ...] = (*FACT_TABLES, "quarantine", "source_issues", "vault")


def unfinished_loads(con: duckdb.DuckDBPyConnection) -> list[int]:
    """source_ids of loads that began and did not end (none before schema version 5)."""
    try:
        rows = con.execute("SELECT source_id FROM loads_in_progress ORDER BY source_id").fetchall()
    except duckdb.CatalogException:
        return []
    return [int(r[0]) for r in rows]


def discard_load(con: duckdb.DuckDBPyConnection, source_id: int) -> None:
    """Delete every row the load of `source_id` wrote, in one transaction.

    A file that finished loading (it has a `sources` row) is never touched: its
    rows are not a load's leftovers.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        done = con.execute("SELECT 1 FROM sources WHERE source_id = ?", [source_id]).fetchone()
        if done is None:
            for name in LOAD_TABLES:
                if "source_id" in {c.name for c in table(name).columns}:
                    con.execute(f"DELETE FROM {name} WHERE source_id = ?", [source_id])
        con.execute("DELETE FROM loads_in_progress WHERE source_id = ?", [source_id])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def discard_unfinished(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Undo every load a crash cut off; return their source_ids."""
    left = unfinished_loads(con)
    for source_id in left:
        discard_load(con, source_id)
    return left
