"""Movements repeated across files: kept once, reported, and the repeat's place recorded.

Productions overlap: a bank sends an extract of 150 rows that repeats the 100
sent before, an MT940 and a CSV export cover the same days of one account. After
a file's rows are stored (inside its load's transaction), each of its
transactions is compared with the transactions of every other file, in two
passes:

1. exact: the paying and receiving account, the minute, the amount and
   currency (paid and received), the channel, the reference and the
   counterparty names are all equal (absent values compare equal). This is how
   two extracts of one ledger, or two copies of one statement, repeat.
2. across formats, for what is left: the minute, amount and currency are equal,
   at least one account is the same, and every other field (the other account,
   the reference, each party's name, case aside) is equal or absent from one
   of the two files. This is how an MT940 line, a camt.053 entry and a CSV row
   of one movement of one account meet: each format knows different parts.

Matching is one-to-one in order: the k-th such row of the new file repeats the
k-th of the earlier files, so two equal payments in one file stay two, and a
third in a later file is new. Where both files give the movement an id of
their own (FtM ids, OFX FITIDs, bank references), the ids must be equal too.

A repeat is removed from `transactions`; `repeated_movements` keeps where it
was, which transaction records the movement and how they were matched, and
statement entries of the file are relinked to that transaction. When neither
file gives a reference the match rests on the other fields alone, and the
report says so.
"""

from __future__ import annotations

import duckdb

from moneytrail._sql import scalar

_EXACT = (
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
_HARD = ("ts", "amount", "currency")
_SOFT = ("from_account", "to_account", "reference", "amount_received", "currency_received")
_NAMES = ("from_party", "to_party")
EXACT = "paying and receiving account, minute, amount and currency, channel, counterparty names"
LOOSE = (
    "minute, amount and currency, one account; the other account, reference and names "
    "equal where both files give them"
)


def _given_id(name: str) -> str:
    """SQL for a row's own id, or NULL when the reader made it up (a row number, 'file:row')."""
    return (
        f"CASE WHEN regexp_full_match(txn_id, '[0-9]+') OR starts_with(txn_id, {name} || ':')"
        f" OR starts_with(txn_id, {name} || '#') THEN NULL"
        " ELSE regexp_replace(txn_id, '#[0-9]+$', '') END"
    )


def _pass(con: duckdb.DuckDBPyConnection, source_id: int, name: str, exact: bool) -> None:
    """Pair this file's rows not yet paired with other files' rows; add them to _rep_pairs."""
    key = _EXACT if exact else _HARD
    partition = ", ".join(key)
    order = "" if exact else "from_account, to_account, reference, "
    on = " AND ".join(f"n.{c} IS NOT DISTINCT FROM o.{c}" for c in key)
    if not exact:
        on += "".join(
            f" AND (n.{c} IS NULL OR o.{c} IS NULL OR n.{c} = o.{c})" for c in _SOFT
        ) + "".join(
            f" AND (n.{c} IS NULL OR o.{c} IS NULL OR upper(trim(n.{c})) = upper(trim(o.{c})))"
            for c in _NAMES
        )
        on += " AND (n.from_account = o.from_account OR n.to_account = o.to_account)"
    # Only rows whose partition key occurs on both sides can pair, and a partition is
    # kept or dropped whole, so each kept row's k is what it would be among all rows:
    # the windows then sort the few candidates, not every row of a large file.
    same = " AND ".join(f"x.{c} IS NOT DISTINCT FROM y.{c}" for c in key)
    con.execute(
        "INSERT INTO _rep_pairs "
        "WITH n0 AS ("
        " SELECT * FROM transactions WHERE source_id = $sid"
        "  AND source_row NOT IN (SELECT new_row FROM _rep_pairs)"
        "), o0 AS ("
        " SELECT t.*, s.name AS o_file FROM transactions t JOIN sources s USING (source_id)"
        " WHERE t.source_id <> $sid"
        "  AND t.ts BETWEEN (SELECT min(ts) FROM n0) AND (SELECT max(ts) FROM n0)"
        "  AND NOT EXISTS (SELECT 1 FROM _rep_pairs p"
        "   WHERE p.kept_sid = t.source_id AND p.kept_row = t.source_row)"
        "), n AS ("
        f" SELECT x.*, row_number() OVER (PARTITION BY {partition} ORDER BY {order}source_row)"
        f" AS k, {_given_id('$name')} AS given FROM n0 x SEMI JOIN o0 y ON {same}"
        "), o AS ("
        f" SELECT x.*, row_number() OVER (PARTITION BY {partition} ORDER BY {order}"
        f"source_id, source_row) AS k, {_given_id('o_file')} AS given"
        f" FROM o0 x SEMI JOIN n0 y ON {same}"
        ") "
        "SELECT n.source_row, o.source_id, o.source_row,"
        " CASE WHEN n.reference IS NULL OR o.reference IS NULL THEN $plain ELSE $ref END"
        f" FROM n JOIN o ON n.k = o.k AND {on}"
        # Two rows whose files each give the movement an id of its own are the same
        # only if the ids are (two FtM payments with equal fields and different ids are two).
        " WHERE n.given IS NULL OR o.given IS NULL OR n.given = o.given",
        {
            "sid": source_id,
            "name": name,
            "plain": (EXACT if exact else LOOSE) + " (no reference in one of the files)",
            "ref": (EXACT if exact else LOOSE) + ", reference",
        },
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
        "CREATE OR REPLACE TEMP TABLE _rep_pairs (new_row BIGINT, kept_sid INTEGER,"
        " kept_row BIGINT, matched_on VARCHAR)"
    )
    _pass(con, source_id, name, exact=True)
    _pass(con, source_id, name, exact=False)
    pairs = int(scalar(con, "SELECT count(*) FROM _rep_pairs"))
    if not pairs:
        con.execute("DROP TABLE _rep_pairs")
        return 0, 0
    no_ref = int(
        scalar(
            con, "SELECT count(*) FILTER (WHERE matched_on LIKE '%no reference%') FROM _rep_pairs"
        )
    )
    con.execute(
        "INSERT INTO repeated_movements (kept_source_id, kept_source_row, matched_on, source_id,"
        " source_row) SELECT kept_sid, kept_row, matched_on, $sid, new_row FROM _rep_pairs",
        {"sid": source_id},
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
