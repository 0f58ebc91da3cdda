"""One movement, one transaction: statement entries merged with the same movement from other files.

A bank statement (camt.053) often shows a movement another file also carries,
e.g. the aml-csv ledger row with the same id, amount, currency and minute. The
movement is kept once, whichever file is loaded first:

- the kept row is the other file's (a ledger row outranks a statement entry; of
  two statements, the one loaded first);
- its empty fields (counterparty names, text, references, accounts) are filled
  from the entries, in load order (file, then entry), so both loading orders
  end with the same values;
- every entry keeps its own row in `statement_entries`, with what the statement
  said and where (file and entry), linked to the kept transaction by the kept
  row's (source_id, source_row), which no later id prefix changes.

`absorb_entries` runs when a statement is loaded, `adopt_entries` when any other
file is; both inside the load's transaction, so a failed load changes nothing.
"""

from __future__ import annotations

import duckdb

from moneytrail._sql import scalar

# Filled when empty; the statement's values stay in statement_entries as well.
FILLED = (
    "from_account",
    "to_account",
    "channel",
    "reference",
    "description",
    "from_party",
    "to_party",
    "amount_received",
    "currency_received",
)

_SAME_MOVEMENT = (
    "o.amount = n.amount AND o.currency = n.currency"
    " AND date_trunc('minute', o.ts) = date_trunc('minute', n.ts)"
)


def absorb_entries(con: duckdb.DuckDBPyConnection, source_id: int) -> int:
    """Merge this statement's new transactions into ones stored earlier; return how many.

    Call before the file's own ids are made unique ('#2', ...), so that an entry
    is compared by the id it gives.
    """
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _stmt_pairs AS "
        "SELECT n_row AS new_row, o_sid AS kept_sid, o_row AS kept_row FROM ("
        " SELECT n.source_row AS n_row, o.source_id AS o_sid, o.source_row AS o_row,"
        "  row_number() OVER (PARTITION BY n.source_row ORDER BY o.source_id, o.source_row) AS k"
        " FROM statement_entries e"
        " JOIN transactions n ON n.source_id = $sid AND n.source_row = e.txn_source_row"
        " JOIN transactions o ON o.source_id <> $sid AND o.txn_id = e.entry_ref"
        f"  AND {_SAME_MOVEMENT}"
        " WHERE e.source_id = $sid AND e.txn_source_id = $sid"
        ") WHERE k = 1",
        {"sid": source_id},
    )
    return _merge(con, source_id)


def adopt_entries(con: duckdb.DuckDBPyConnection, source_id: int) -> int:
    """Take over, from earlier statements, the movements this file's rows record; return how many.

    The statements' own transactions for them are removed and their entries
    relinked to this file's rows.
    """
    owned = "FROM statement_entries WHERE txn_source_id = source_id AND source_id <> ?"
    if not scalar(con, f"SELECT count(*) > 0 {owned}", [source_id]):
        return 0
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _stmt_pairs AS "
        "SELECT DISTINCT o_sid AS new_sid, o_row AS new_row, n_sid AS kept_sid, n_row AS kept_row"
        " FROM ("
        " SELECT o.source_id AS o_sid, o.source_row AS o_row, n.source_id AS n_sid,"
        "  n.source_row AS n_row,"
        "  row_number() OVER (PARTITION BY o.source_id, o.source_row ORDER BY n.source_row) AS k"
        " FROM statement_entries e"
        " JOIN transactions o ON o.source_id = e.source_id AND o.source_row = e.txn_source_row"
        " JOIN transactions n ON n.source_id = $sid AND n.txn_id = e.entry_ref"
        f"  AND {_SAME_MOVEMENT}"
        " WHERE e.txn_source_id = e.source_id AND e.source_id <> $sid"
        ") WHERE k = 1",
        {"sid": source_id},
    )
    return _merge(con, None)


def _merge(con: duckdb.DuckDBPyConnection, source_id: int | None) -> int:
    """Fill kept rows from the rows paired with them, relink entries, drop the paired rows.

    `_stmt_pairs` holds (new_row, kept_sid, kept_row) and new_sid, or new rows of
    `source_id` when it is given.
    """
    pairs = int(scalar(con, "SELECT count(*) FROM _stmt_pairs"))
    if not pairs:
        return 0
    new_sid = "$sid" if source_id is not None else "p.new_sid"
    params = {"sid": source_id} if source_id is not None else {}
    firsts = ", ".join(
        f"first(n.{c} ORDER BY n.source_id, n.source_row) FILTER (WHERE n.{c} IS NOT NULL) AS {c}"
        for c in FILLED
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _stmt_fill AS "
        f"SELECT p.kept_sid, p.kept_row, {firsts} FROM _stmt_pairs p"
        f" JOIN transactions n ON n.source_id = {new_sid} AND n.source_row = p.new_row"
        " GROUP BY p.kept_sid, p.kept_row",
        params,
    )
    sets = ", ".join(f"{c} = coalesce(transactions.{c}, f.{c})" for c in FILLED)
    con.execute(
        f"UPDATE transactions SET {sets} FROM _stmt_fill f"
        " WHERE transactions.source_id = f.kept_sid AND transactions.source_row = f.kept_row"
    )
    con.execute(
        "UPDATE statement_entries SET txn_source_id = p.kept_sid, txn_source_row = p.kept_row"
        f" FROM _stmt_pairs p WHERE statement_entries.txn_source_id = {new_sid}"
        " AND statement_entries.txn_source_row = p.new_row",
        params,
    )
    con.execute(
        f"DELETE FROM transactions USING _stmt_pairs p WHERE transactions.source_id = {new_sid}"
        " AND transactions.source_row = p.new_row",
        params,
    )
    con.execute("DROP TABLE _stmt_pairs")
    con.execute("DROP TABLE _stmt_fill")
    return pairs
