"""Checks that follow the employer's money: CASH_PAYROLL and WAGE_SWEEP.

The employer's accounts are found through the parties that hold them: a
company or organisation party whose tax number token is the employer's EIN (as
a tax number), or, for a party with no tax number, whose name matches the name
filed on the W-2s or 941s (letters and digits, case-folded). Where entity
resolution has run, parties resolved into the same entity as such a party count
too. Transactions are then read by account key.

WAGE_SWEEP needs resolution (entity_members with rows): it is what tells a
worker moving pay to their own savings account, which is normal, from many
workers' pay going to one account of someone else. Without it the check is
skipped, not failed.
"""

from __future__ import annotations

from decimal import Decimal

from moneytrail.employers._flag import Context, Flag, dollars, listed

_NAME = "regexp_replace(upper({}), '[^A-Z0-9]', '', 'g')"


def _employer_accounts(ctx: Context) -> None:
    """Fill TEMP table _emp_accounts(ein_token, account_key)."""
    resolved = ctx.has_rows("entity_members")
    via_entity = (
        """
        UNION
        SELECT d.ein_token, o.member_id FROM direct d
        JOIN entity_members m ON m.member_id = d.party_id AND m.kind IN ('company', 'organization')
        JOIN entity_members o ON o.entity_id = m.entity_id AND o.kind = m.kind
        """
        if resolved
        else ""
    )
    ctx.con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _emp_accounts AS
        WITH employers AS (
            SELECT DISTINCT ein_token, tax_token, {_NAME.format("name")} AS key FROM w2_employers
            UNION
            SELECT DISTINCT ein_token, tax_token, {_NAME.format("employer_name")}
            FROM form941_filings
        ), direct AS (
            SELECT DISTINCT e.ein_token, p.party_id
            FROM employers e JOIN parties p
              ON p.kind <> 'person'
             AND (p.tax_token = e.tax_token
                  OR (p.tax_token IS NULL AND {_NAME.format("p.name")} = e.key AND e.key <> ''))
        ), linked AS (
            SELECT ein_token, party_id FROM direct {via_entity}
        )
        SELECT DISTINCT l.ein_token, h.account_key
        FROM linked l JOIN account_holders h ON h.party_id = l.party_id
        """
    )


def cash_payroll(ctx: Context) -> list[Flag]:
    if not ctx.has_rows("transactions"):
        return []
    _employer_accounts(ctx)
    rows = ctx.con.execute(
        """
        WITH cash AS (
            SELECT a.ein_token, year(t.ts) AS tax_year, t.txn_id, t.ts, t.amount
            FROM transactions t JOIN _emp_accounts a ON a.account_key = t.from_account
            WHERE t.channel = 'cash' AND t.currency = 'USD' AND t.amount >= $min_amount
        ), w2 AS (
            SELECT ein_token, tax_year, sum(wages) AS wages FROM w2_wages GROUP BY ALL
        )
        SELECT c.ein_token, c.tax_year, count(*), count(DISTINCT date_trunc('week', c.ts)),
               sum(c.amount), coalesce(any_value(w2.wages), 0),
               list('txn:' || c.txn_id ORDER BY c.ts, c.txn_id)
        FROM cash c LEFT JOIN w2 USING (ein_token, tax_year)
        WHERE c.tax_year IN (SELECT tax_year FROM w2_employers UNION SELECT tax_year FROM form941_filings)
        GROUP BY c.ein_token, c.tax_year
        HAVING count(DISTINCT date_trunc('week', c.ts)) >= $min_weeks
           AND sum(c.amount) * 100 >= $share * coalesce(any_value(w2.wages), 0)
        ORDER BY ALL
        """,
        {
            "min_amount": Decimal(ctx.integer("min_withdrawal_cents")).scaleb(-2),
            "min_weeks": ctx.integer("min_weeks"),
            "share": ctx.integer("min_share_percent"),
        },
    ).fetchall()
    flags = []
    for ein, year, n, weeks, total, wages, refs in rows:
        against = (
            f"against {dollars(wages)} of W-2 wages ({total * 100 / wages:.0f}%)"
            if wages
            else "and no W-2 wages reported"
        )
        flags.append(
            Flag(
                ein,
                year,
                "CASH_PAYROLL",
                n,
                tuple(refs),
                f"{n} cash withdrawals in {weeks} different weeks of {year}, {dollars(total)} in "
                f"all, {against}: cash that looks like an off-the-books payroll.",
            )
        )
    return flags


_OWNER = """
    SELECT a.account_key,
           coalesce(min(coalesce(pm.entity_id, h.party_id)), min(am.entity_id),
                    'account:' || a.account_key) AS owner,
           any_value(a.masked) AS masked
    FROM accounts a
    LEFT JOIN account_holders h ON h.account_key = a.account_key
    LEFT JOIN entity_members pm ON pm.member_id = h.party_id AND pm.kind = 'person'
    LEFT JOIN resolve_records rr ON rr.kind = 'account' AND rr.id_token = a.account_token
    LEFT JOIN entity_members am ON am.kind = 'account' AND am.member_id = rr.record_id
    GROUP BY a.account_key
"""


def wage_sweep(ctx: Context) -> list[Flag]:
    if not ctx.has_rows("entity_members") or not ctx.has_rows("transactions"):
        return []
    _employer_accounts(ctx)
    rows = ctx.con.execute(
        f"""
        WITH owners AS ({_OWNER}),
        pay AS (
            SELECT e.ein_token, t.txn_id, t.ts, t.to_account AS worker_account, t.amount
            FROM transactions t JOIN _emp_accounts e ON e.account_key = t.from_account
            WHERE t.to_account IS NOT NULL AND t.channel <> 'cash'
              AND t.to_account NOT IN (SELECT account_key FROM _emp_accounts)
        ), payroll AS (
            SELECT ein_token, worker_account, count(*) AS paydays FROM pay
            GROUP BY ALL HAVING count(*) >= $min_paydays
        ), sweeps AS (
            SELECT p.ein_token, year(p.ts) AS tax_year, p.worker_account, s.to_account AS dest,
                   p.txn_id AS pay_id, s.txn_id, s.amount AS moved, r.paydays
            FROM pay p
            JOIN payroll r USING (ein_token, worker_account)
            JOIN transactions s ON s.from_account = p.worker_account
             AND s.ts >= p.ts AND s.ts <= p.ts + to_hours($window)
             AND s.to_account IS NOT NULL AND s.to_account <> p.worker_account
             AND s.currency = 'USD' AND s.amount * 100 >= $share * p.amount
        ), regular AS (  -- a worker whose pay goes to that holder on most paydays
            SELECT s.ein_token, s.tax_year, w.owner AS worker, d.owner AS dest_owner,
                   list(DISTINCT d.masked) AS masked, count(DISTINCT s.txn_id) AS moves,
                   sum(s.moved) AS moved, list(DISTINCT 'txn:' || s.txn_id) AS refs
            FROM sweeps s
            JOIN owners w ON w.account_key = s.worker_account
            JOIN owners d ON d.account_key = s.dest
            WHERE d.owner <> w.owner
              AND s.dest NOT IN (SELECT account_key FROM _emp_accounts WHERE ein_token = s.ein_token)
            GROUP BY s.ein_token, s.tax_year, w.owner, d.owner
            HAVING count(DISTINCT s.pay_id) >= $min_paydays
               AND count(DISTINCT s.pay_id) * 100 >= $regular * any_value(s.paydays)
        ), incoming AS (  -- all money the destination holder received that year
            SELECT o.owner AS dest_owner, year(t.ts) AS tax_year, sum(t.amount) AS received
            FROM transactions t JOIN owners o ON o.account_key = t.to_account
            WHERE t.currency = 'USD' AND o.owner IN (SELECT dest_owner FROM regular)
            GROUP BY ALL
        )
        SELECT g.ein_token, g.tax_year, g.dest_owner, list_sort(list_distinct(flatten(list(g.masked)))),
               count(*), sum(g.moves), sum(g.moved), any_value(i.received),
               list_sort(flatten(list(g.refs)))
        FROM regular g JOIN incoming i USING (dest_owner, tax_year)
        GROUP BY g.ein_token, g.tax_year, g.dest_owner
        HAVING count(*) >= $min_workers AND sum(g.moved) * 100 >= $dest_share * any_value(i.received)
        ORDER BY ALL
        """,
        {
            "window": ctx.integer("window_hours"),
            "share": ctx.integer("min_share_percent"),
            "min_workers": ctx.integer("min_workers"),
            "min_paydays": ctx.integer("min_paydays"),
            "regular": ctx.integer("regular_percent"),
            "dest_share": ctx.integer("min_collector_share_percent"),
        },
    ).fetchall()
    flags = []
    for ein, year, _, masked, workers, moves, moved, received, refs in rows:
        where = (
            f"one account ({masked[0]})"
            if len(masked) == 1
            else f"{len(masked)} accounts of one holder ({listed(list(masked))})"
        )
        flags.append(
            Flag(
                ein,
                year,
                "WAGE_SWEEP",
                int(workers),
                tuple(refs),
                f"in {year}, {workers} workers paid from the employer's accounts sent "
                f"{dollars(moved)} on to {where} in {moves} transfers, each within "
                f"{ctx.integer('window_hours')} hours of a payday and on most of their paydays; "
                f"that is {moved * 100 / received:.0f}% of all that holder received: wages "
                "taken back.",
            )
        )
    return flags
