"""Flow detectors: money moved on between accounts that are strangers to each other.

Bursts (one receipt paid out to many, or many receipts gathered and paid on), chains
of hops, gathering of passed-on money and pass-through hubs. Their thresholds are
relative to each account's own dealings, not counts that grow with the ledger
(busier merchants in a bigger world): `max_repeat` keeps only movements between
accounts that deal with each other at most that often (a shop's regulars and a
payroll's workers come back, layering's counterparties are strangers), and
`max_spread` keeps only splits whose largest part is at most that many times the
smallest (layering cuts money into similar chunks; a business pays its suppliers
very different sums).
"""

from __future__ import annotations

import duckdb

from moneytrail.detect._catalogue import Value
from moneytrail.detect._hits import (
    PAIRS,
    Hit,
    first_ids,
    float_param,
    int_param,
    money_text,
    query_rows,
    span_text,
    strength,
    time_key,
    time_keys,
)
from moneytrail.detect._hops import hop_pairs
from moneytrail.errors import CatalogueError


def _spread_sql(amount: str, spread: float) -> str:
    """HAVING term: the largest of a burst's payments is at most `spread` times the smallest.

    Layering splits money into similar chunks (one sum over several mules); a business
    paying its suppliers after a customer's payment pays very different amounts. 0: off."""
    if spread < 0 or 0 < spread < 1:
        raise CatalogueError("parameters", [f"max_spread {spread} must be 0 (off) or at least 1"])
    return f"AND max({amount}) <= {spread!r} * min({amount})" if spread else ""


def _one_off(repeat: int) -> str:
    """CTEs `pc` (movements per payer and payee) and `one` (the movements of pairs that
    deal at most `repeat` times: strangers to each other)."""
    if repeat < 1:
        raise CatalogueError("parameters", [f"max_repeat {repeat} must be at least 1"])
    return f"""pc AS (
            SELECT * FROM {PAIRS} WHERE from_account <> to_account
        ), one AS (
            SELECT t.txn_id, t.from_account, t.to_account, t.ts, t.amount, t.currency
            FROM transactions t JOIN pc USING (from_account, to_account) WHERE pc.n <= {repeat}
        )"""


def _min_part(p: dict[str, Value]) -> float:
    """Movements smaller than this share of the anchoring one are no part of a burst.

    An account's everyday one-off payments (a card payment at a shop it never used
    before) are not layers of a split; counted in, they broke the similar-sums test
    of a busy account's genuine split (5 M, seed 7: a 50,636 receipt paid on to five
    strangers in 9-12 k parts, then 11.69 at a new shop)."""
    part = float_param(p, "min_part")
    if not 0 <= part < 1:
        raise CatalogueError("parameters", [f"min_part {part} must be in [0, 1)"])
    return part


def fan_burst(con: duckdb.DuckDBPyConnection, p: dict[str, Value]) -> list[Hit]:
    """Money received and at once paid to many (out), or gathered from many and paid on (in)."""
    direction = str(p["direction"])
    if direction not in ("in", "out"):
        raise CatalogueError("parameters", [f"direction {direction!r} must be in or out"])
    window, k, cover = (
        int_param(p, "window"),
        int_param(p, "min_parties"),
        float_param(p, "min_cover"),
    )
    # Counterparties the account deals with over and over (a payroll's workers, a
    # shop's regulars) do not make a burst: only pairs with few movements count.
    repeat = int_param(p, "max_repeat")
    # For 'out' the anchor is one inflow and the burst the payments after it; for
    # 'in' the anchor is one outflow and the burst the receipts before it.
    anchor_side, burst_side, party = (
        ("to_account", "from_account", "to_account")
        if direction == "out"
        else ("from_account", "to_account", "from_account")
    )
    after = "b.ts >= x.ts AND b.ts <= x.ts + to_seconds(?)"
    before = "b.ts <= x.ts AND b.ts > x.ts - to_seconds(?)"
    spread_sql = _spread_sql("b.amount", float_param(p, "max_spread"))
    part = _min_part(p)
    sql = f"""
        WITH pc AS (
            SELECT * FROM {PAIRS} WHERE from_account <> to_account
        ), cand AS (
            -- a burst needs k one-off counterparties, so only accounts with as many qualify;
            -- no mined feature is needed, so any window works (weeks as well as a day)
            SELECT {burst_side} AS acct FROM pc WHERE n <= {repeat}
            GROUP BY 1 HAVING count(DISTINCT {party}) >= ?
        ), pairs AS (
            SELECT * FROM pc
            WHERE from_account IN (SELECT acct FROM cand) OR to_account IN (SELECT acct FROM cand)
        ), x AS (
            -- the anchor too must be a one-off movement: money from (or to) a stranger
            SELECT t.txn_id, t.{anchor_side} AS acct, t.ts, t.amount, t.currency,
                   {time_keys("t.ts", window, before=direction == "in")} AS tk
            FROM transactions t JOIN cand c ON c.acct = t.{anchor_side}
            LEFT JOIN pairs ap ON ap.from_account = t.from_account AND ap.to_account = t.to_account
            WHERE t.from_account IS DISTINCT FROM t.to_account AND coalesce(ap.n, 0) <= {repeat}
        ), b AS MATERIALIZED (
            -- the movements a burst is made of: one-off ones, out of (into) a candidate.
            -- Picked before the windowed join: joined there with all the ledger, they made
            -- it the detector's whole cost
            SELECT t.txn_id, t.from_account, t.to_account, t.ts, t.amount, t.currency,
                   {time_key("t.ts", window)} AS tk
            FROM transactions t
            JOIN pairs pr ON pr.from_account = t.from_account AND pr.to_account = t.to_account
            WHERE pr.n <= {repeat} AND t.{burst_side} IN (SELECT acct FROM cand)
        ), burst AS (
            SELECT x.txn_id AS anchor, x.acct, x.amount AS anchor_amount,
                   count(DISTINCT b.{party}) AS parties, sum(b.amount) AS total,
                   list(b.txn_id) AS ids
            FROM x JOIN b ON b.{burst_side} = x.acct AND b.currency = x.currency AND b.tk = x.tk
             AND {after if direction == "out" else before}
             AND b.txn_id <> x.txn_id AND b.{party} IS DISTINCT FROM x.acct
             AND b.amount >= {part!r} * x.amount
            GROUP BY ALL
            HAVING count(DISTINCT b.{party}) >= ?
               AND sum(b.amount) BETWEEN ? * x.amount AND x.amount / ? {spread_sql}
        )
        SELECT b.acct, a.masked, count(*), max(parties), sum(total),
               {first_ids("list_distinct(flatten(list(list_prepend(anchor, ids))))")}
        FROM burst b JOIN accounts_once a ON a.account_key = b.acct
        GROUP BY ALL
    """
    hits = []
    for acct, masked, bursts, parties, total, ids in query_rows(
        con, sql, [k, window, k, cover, cover]
    ):
        verb = (
            f"paid {parties} distinct accounts {money_text(total)} within {span_text(window)} of receiving it"
            if direction == "out"
            else f"gathered {money_text(total)} from {parties} distinct accounts within {span_text(window)} "
            "and paid it on"
        )
        hits.append(
            Hit(
                acct,
                f"account:{masked}",
                strength(parties, k),
                ids,
                f"Account {masked} {verb} ({bursts} time(s)).",
            )
        )
    return hits


def chain(con: duckdb.DuckDBPyConnection, p: dict[str, Value]) -> list[Hit]:
    """Accounts that pass on money to an account that passes it on again, within hours."""
    hours, lo, hi = (
        float_param(p, "max_hours"),
        float_param(p, "ratio_min"),
        float_param(p, "ratio_max"),
    )
    # max_repeat: leave out hops between accounts that deal with each other more often
    # (payroll, regular suppliers): layering moves money between strangers. 0 = off.
    repeat = int_param(p, "max_repeat")
    once_sql = (
        f"""AND (SELECT max(r.n) FROM {PAIRS} r WHERE r.from_account = o.from_account
                  AND r.to_account = o.to_account) <= {repeat}"""
        if repeat
        else ""
    )
    sql = f"""
        WITH hop AS (
            SELECT i.txn_id AS in_id, o.txn_id AS out_id, i.from_account AS a,
                   o.from_account AS b, o.to_account AS c, o.ts
            FROM chain_hops h JOIN transactions i ON i.txn_key = h.in_key
            JOIN transactions o ON o.txn_key = h.out_key
            WHERE i.from_account IS NOT NULL AND o.to_account IS NOT NULL
              AND o.to_account <> i.from_account AND i.from_account <> i.to_account
              AND o.from_account <> o.to_account {once_sql}
        ), link AS (
            -- hop h1 (a -> b -> c) followed by hop h2 (b -> c -> d): b and c both pass money on
            SELECT h1.b, h1.c, h1.in_id, h1.out_id, h2.out_id AS next_id
            FROM hop h1 JOIN hop h2 ON h2.in_id = h1.out_id
        ), s AS (
            SELECT b AS acct, c AS other, in_id, out_id, next_id FROM link
            UNION ALL SELECT c, b, in_id, out_id, next_id FROM link
        )
        SELECT s.acct, a.masked, count(DISTINCT s.out_id), list(DISTINCT s.other),
               {first_ids("list_distinct(flatten(list([s.in_id, s.out_id, s.next_id])))")}
        FROM s JOIN accounts_once a ON a.account_key = s.acct
        GROUP BY ALL HAVING count(DISTINCT s.out_id) >= ?
    """
    min_hops = int_param(p, "min_hops")
    # the payments within max_hours of each receipt, of ratio_min to ratio_max of it
    hops = hop_pairs(
        con,
        hours * 3600,
        (lo, hi),
        strict=False,
        receipts="from_account IS NOT NULL AND from_account <> to_account",
        payments="to_account IS NOT NULL AND from_account <> to_account",
    )
    con.register("chain_hops", hops)
    try:
        rows = query_rows(con, sql, [min_hops])
    finally:
        con.unregister("chain_hops")
    return [
        Hit(
            acct,
            f"account:{masked}",
            strength(n, min_hops),
            ids,
            f"Account {masked} passed on money within {hours:g} hours to accounts that passed it on "
            f"again ({n} hop(s), {len(others)} linked account(s)).",
            linked=others,
        )
        for acct, masked, n, others, ids in rows
    ]


def gather_passed(con: duckdb.DuckDBPyConnection, p: dict[str, Value]) -> list[Hit]:
    """An account that receives, within a window, money several accounts have just passed on."""
    spread_sql = _spread_sql("y.amount", float_param(p, "max_spread"))
    repeat = int_param(p, "max_repeat")
    sql = f"""
        WITH pt0 AS (
            SELECT t.txn_id, t.from_account AS payer, t.to_account AS acct, t.ts, t.amount
            FROM txn_features f JOIN transactions t USING (txn_key)
            WHERE f.window_s = ? AND f.pass_through >= 1 AND t.to_account IS NOT NULL
              AND t.from_account IS NOT NULL AND t.from_account <> t.to_account
        ), pt AS (
            -- max_repeat: a payer that pays the account regularly (a customer, an
            -- employer) is not a layer passing money on (0 = every payer counts)
            SELECT pt0.* FROM pt0 WHERE {repeat} = 0 OR (
                SELECT max(r.n) FROM {PAIRS} r
                WHERE r.from_account = pt0.payer AND r.to_account = pt0.acct) <= {repeat}
        ), g AS (
            SELECT x.acct, x.txn_id AS anchor, count(DISTINCT y.payer) AS payers,
                   list(y.txn_id) AS ids, list(DISTINCT y.payer) AS linked, sum(y.amount) AS total
            FROM pt x JOIN pt y ON y.acct = x.acct AND y.ts <= x.ts AND y.ts > x.ts - to_seconds(?)
            GROUP BY ALL HAVING count(DISTINCT y.payer) >= ? {spread_sql}
        )
        SELECT g.acct, a.masked, max(payers), max(total),
               list_distinct(flatten(list(linked))),
               {first_ids("list_distinct(flatten(list(ids)))")}
        FROM g JOIN accounts_once a ON a.account_key = g.acct GROUP BY ALL
    """
    window, k = int_param(p, "window"), int_param(p, "min_payers")
    return [
        Hit(
            acct,
            f"account:{masked}",
            strength(payers, k),
            ids,
            f"Account {masked} received {money_text(total)} from {payers} accounts that had each just "
            f"received and passed on the money, within {span_text(window)}.",
            linked=linked,
        )
        for acct, masked, payers, total, linked, ids in query_rows(con, sql, [window, window, k])
    ]


_BIGGEST = "{'total': total_in, 'anchor': anchor}"
"""arg_max key of stranger_hub's windows: the most gathered; of equal sums, one chosen by
its anchor, not by the order DuckDB's threads deliver them in."""


def stranger_hub(con: duckdb.DuckDBPyConnection, p: dict[str, Value]) -> list[Hit]:
    """An account that, within a window, gathers similar sums from accounts new to it and
    pays nearly all of it out in similar sums to other accounts new to it.

    Relative to the account's own dealings, not to counts that grow with the ledger: a
    merchant's customers and a payroll's workers come back, so their payments are not
    one-off (`max_repeat`); a layering hub's are. The window opens at each one-off
    receipt and holds the one-off receipts and payments that follow it; all its
    receipts come before its payments (a trading business's interleave)."""
    window, k = int_param(p, "window"), int_param(p, "min_parties")
    cover, repeat = float_param(p, "min_cover"), int_param(p, "max_repeat")
    spread_in = _spread_sql("i.amount", float_param(p, "max_spread"))
    spread_out = _spread_sql("o.amount", float_param(p, "max_spread"))
    part = _min_part(p)
    sql = f"""
        WITH {_one_off(repeat)}, cand AS (
            SELECT acct FROM (SELECT to_account AS acct FROM one GROUP BY 1 HAVING count(*) >= ?)
            JOIN (SELECT from_account AS acct FROM one GROUP BY 1 HAVING count(*) >= ?) USING (acct)
        ), x AS (
            SELECT o.txn_id, o.to_account AS acct, o.ts, o.currency, o.amount
            FROM one o JOIN cand c ON c.acct = o.to_account
        ), ins AS (
            SELECT x.txn_id AS anchor, x.acct, count(DISTINCT i.from_account) AS payers,
                   sum(i.amount) AS total_in, max(i.ts) AS last_in, list(i.txn_id) AS ids
            FROM x JOIN one i ON i.to_account = x.acct AND i.currency = x.currency
             AND i.ts >= x.ts AND i.ts <= x.ts + to_seconds(?) AND i.amount >= {part!r} * x.amount
            GROUP BY ALL HAVING count(DISTINCT i.from_account) >= ? {spread_in}
        ), outs AS (
            SELECT x.txn_id AS anchor, count(DISTINCT o.to_account) AS payees,
                   sum(o.amount) AS total_out, min(o.ts) AS first_out, list(o.txn_id) AS ids
            FROM x JOIN one o ON o.from_account = x.acct AND o.currency = x.currency
             AND o.ts >= x.ts AND o.ts <= x.ts + to_seconds(?) AND o.amount >= {part!r} * x.amount
            GROUP BY ALL HAVING count(DISTINCT o.to_account) >= ? {spread_out}
        ), g AS (
            SELECT i.acct, i.anchor, i.payers, o.payees, i.total_in, o.total_out,
                   list_concat(i.ids, o.ids) AS ids
            FROM ins i JOIN outs o USING (anchor)
            -- gathered first, then scattered: a business's receipts and payments interleave
            WHERE o.total_out BETWEEN ? * i.total_in AND i.total_in AND i.last_in <= o.first_out
        )
        SELECT g.acct, a.masked, count(*), arg_max(payers, {_BIGGEST}), arg_max(payees, {_BIGGEST}),
               max(total_in), arg_max(total_out, {_BIGGEST}),
               {first_ids("list_distinct(flatten(list(ids)))")}
        FROM g JOIN accounts_once a ON a.account_key = g.acct GROUP BY ALL
    """
    return [
        Hit(
            acct,
            f"account:{masked}",
            strength(min(payers, payees), k),
            ids,
            f"Account {masked} received {money_text(total_in)} from {payers} accounts new to it and "
            f"paid {money_text(total_out)} on to {payees} other new accounts within {span_text(window)} "
            f"({times} time(s)).",
        )
        for acct, masked, times, payers, payees, total_in, total_out, ids in query_rows(
            con, sql, [k, k, window, k, window, k, cover]
        )
    ]


def gather_relayed(con: duckdb.DuckDBPyConnection, p: dict[str, Value]) -> list[Hit]:
    """An account that receives, within a window, similar one-off sums from several accounts
    that had each received at least as much from a stranger of its own, all at about the
    same time.

    gather_passed over weeks: the mined pass-through feature asks for a whole amount
    passed on within its window, but a layer that splits what it received (bipartite)
    or holds it for a fortnight (fan-in over weeks) passes on part of it, later. What
    marks such layers is that they were all funded within `relay_span` of each other
    (money placed in several accounts at once, then brought together); the one-off
    transfers of ordinary accounts that happen to pay one account arrive weeks apart.
    Relative to the account: the relayed payments are at least `min_share` of all the
    one-off payments it received in the window (a tradesman's customers are mostly
    one-off, a person's receipts are not)."""
    window, span = int_param(p, "window"), int_param(p, "relay_span")
    if not 0 < span <= window:
        raise CatalogueError(
            "parameters", [f"relay_span {span} must be more than 0 and at most the window"]
        )
    share = float_param(p, "min_share")
    if not 0 <= share <= 1:
        raise CatalogueError("parameters", [f"min_share {share} must be in [0, 1]"])
    k, repeat = int_param(p, "min_payers"), int_param(p, "max_repeat")
    spread_sql = _spread_sql("y.amount", float_param(p, "max_spread"))
    sql = f"""
        WITH {_one_off(repeat)}, cand AS (
            SELECT to_account AS acct FROM one GROUP BY 1 HAVING count(DISTINCT from_account) >= ?
        ), relayed AS (
            -- a one-off payment into a candidate whose payer had, in the window before it,
            -- exactly one one-off receipt from someone else of at least as much: the money
            -- it relays (a business paid by many one-off customers has many)
            SELECT o.txn_id, o.from_account AS payer, o.to_account AS acct, o.ts, o.amount,
                   o.currency, any_value(r.txn_id) AS relay_id, any_value(r.ts) AS relay_ts
            FROM one o JOIN cand c ON c.acct = o.to_account
            JOIN one r ON r.to_account = o.from_account AND r.from_account <> o.to_account
             AND r.currency = o.currency AND r.ts <= o.ts AND r.ts > o.ts - to_seconds({window})
             AND r.amount >= o.amount
            GROUP BY ALL HAVING count(*) = 1
        ), g AS (
            -- anchored at one relayed receipt: the others funded within relay_span after
            -- it, and paid into the account within the window of it
            SELECT x.acct, x.relay_id AS anchor, x.relay_ts, count(DISTINCT y.payer) AS payers,
                   count(DISTINCT y.txn_id) AS payments, sum(y.amount) AS total,
                   list(DISTINCT y.payer) AS linked, flatten(list([y.txn_id, y.relay_id])) AS ids
            FROM relayed x JOIN relayed y ON y.acct = x.acct AND y.currency = x.currency
             AND y.relay_ts >= x.relay_ts AND y.relay_ts <= x.relay_ts + to_seconds({span})
             AND y.ts <= x.relay_ts + to_seconds({window})
            GROUP BY ALL HAVING count(DISTINCT y.payer) >= ? {spread_sql}
        ), share AS (
            SELECT g.acct, g.anchor, count(*) AS one_off
            FROM g JOIN one i ON i.to_account = g.acct AND i.ts >= g.relay_ts
             AND i.ts <= g.relay_ts + to_seconds({window})
            GROUP BY ALL
        )
        SELECT g.acct, a.masked, max(payers), max(total), list_distinct(flatten(list(linked))),
               {first_ids("list_distinct(flatten(list(ids)))")}
        FROM g JOIN share s USING (acct, anchor) JOIN accounts_once a ON a.account_key = g.acct
        WHERE g.payments >= {share!r} * s.one_off
        GROUP BY ALL
    """
    return [
        Hit(
            acct,
            f"account:{masked}",
            strength(payers, k),
            ids,
            f"Account {masked} received {money_text(total)} from {payers} accounts new to it, each "
            f"paying on part of a larger sum it had received from a stranger within "
            f"{span_text(span)} of the others, within {span_text(window)}.",
            linked=linked,
        )
        for acct, masked, payers, total, linked, ids in query_rows(con, sql, [k, k])
    ]
