"""Movements repeated across files: kept once, reported, and the repeat's place recorded.

Productions overlap: a bank sends an extract of 150 rows that repeats the 100
sent before, an MT940 and a CSV export cover the same days of one account. After
a file's rows are stored (inside its load's transaction), each of its
transactions is compared with the transactions of every other file on the
paying and receiving account, the minute, the amount and currency (paid and
received), the channel, the reference and the counterparty names (absent values
compare equal). Matching is one-to-one in order: the k-th such row of the new
file repeats the k-th of the earlier files, so two equal payments in one file
stay two, and a third in a later file is new.

A repeat is removed from `transactions`; `repeated_movements` keeps where it
was and which transaction records the movement, and statement entries of the
file are relinked to that transaction. When neither file gives a reference the
match rests on the other fields alone, and the report says so. Where both
files give the movement an id of their own (FtM ids, OFX FITIDs, bank
references), the ids must be equal too.
"""

from __future__ import annotations

import duckdb

from moneytrail._sql import scalar

_KEY = (
    "from_account",
    "to_account",
    "ts",
    "amount",
    "currency",
    "amount_received",
    "currency_received",
    "channel",
    "reference",
    "from_party",
    "to_party",
)
_ON = " AND ".join(f"n.{c} IS NOT DISTINCT FROM o.{c}" for c in _KEY)
_PARTITION = ", ".join(_KEY)
MATCHED_ON = (
    "paying and receiving account, minute, amount and currency, channel, counterparty names"
)


def _given_id(name: str) -> str:
    """SQL for a row's own id, or NULL when the reader made it up (a row number, 'file:row')."""
    return (
        f"CASE WHEN regexp_full_match(txn_id, '[0-9]+') OR starts_with(txn_id, {name} || ':')"
        f" OR starts_with(txn_id, {name} || '#') THEN NULL"
        " ELSE regexp_replace(txn_id, '#[0-9]+$', '') END"
    )


def drop_repeats(con: duckdb.DuckDBPyConnection, source_id: int, name: str) -> tuple[int, int]:
    """Remove this file's transactions that repeat stored ones; (repeats, of them without reference)."""
    others = scalar(
        con,
        "SELECT count(*) > 0 FROM (SELECT 1 FROM transactions WHERE source_id <> ? LIMIT 1)",
        [source_id],
    )
    if not others:
        return 0, 0
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _rep_pairs AS "
        "WITH n AS ("
        f" SELECT *, row_number() OVER (PARTITION BY {_PARTITION} ORDER BY source_row) AS k,"
        f" {_given_id('$name')} AS given FROM transactions WHERE source_id = $sid"
        "), o AS ("
        f" SELECT t.*, row_number() OVER (PARTITION BY {_PARTITION} ORDER BY t.source_id,"
        f" t.source_row) AS k, {_given_id('s.name')} AS given"
        " FROM transactions t JOIN sources s USING (source_id) WHERE t.source_id <> $sid"
        "  AND t.ts BETWEEN (SELECT min(ts) FROM n) AND (SELECT max(ts) FROM n)"
        ") "
        "SELECT n.source_row AS new_row, o.source_id AS kept_sid, o.source_row AS kept_row,"
        " n.reference IS NULL AS no_ref"
        f" FROM n JOIN o ON n.k = o.k AND {_ON}"
        # Two rows whose files each give the movement its own id are the same only if
        # the ids are (two FtM payments with equal fields and different ids are two).
        " WHERE n.given IS NULL OR o.given IS NULL OR n.given = o.given",
        {"sid": source_id, "name": name},
    )
    pairs = int(scalar(con, "SELECT count(*) FROM _rep_pairs"))
    if not pairs:
        con.execute("DROP TABLE _rep_pairs")
        return 0, 0
    no_ref = int(scalar(con, "SELECT count(*) FILTER (WHERE no_ref) FROM _rep_pairs"))
    con.execute(
        "INSERT INTO repeated_movements (kept_source_id, kept_source_row, matched_on, source_id,"
        " source_row) SELECT kept_sid, kept_row, CASE WHEN no_ref THEN $plain ELSE $ref END,"
        " $sid, new_row FROM _rep_pairs",
        {
            "sid": source_id,
            "plain": MATCHED_ON + " (no reference in either file)",
            "ref": MATCHED_ON + ", reference",
        },
    )
    con.execute(
        "UPDATE statement_entries SET txn_source_id = p.kept_sid, txn_source_row = p.kept_row"
        " FROM _rep_pairs p WHERE statement_entries.txn_source_id = $sid"
        " AND statement_entries.txn_source_row = p.new_row",
        {"sid": source_id},
    )
    con.execute(
        "DELETE FROM transactions USING _rep_pairs p"
        " WHERE transactions.source_id = $sid AND transactions.source_row = p.new_row",
        {"sid": source_id},
    )
    con.execute("DROP TABLE _rep_pairs")
    return pairs, no_ref
