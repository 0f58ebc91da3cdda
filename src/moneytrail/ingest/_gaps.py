"""Gaps between bank statements: what an investigator must subpoena next.

Every stored statement (opening and closing balance of one account, from any
statement format) is put in date order per account. Between two consecutive
statements two things can be missing:

- days: the next statement opens more than a day after the previous one
  closed (`period_gap`; MT940 dates its opening balance on the previous
  closing day, camt.053 on the next day, both count as continuous);
- money: the next opening balance is not the previous closing balance
  (`balance_break`): movements happened that no loaded statement shows,
  whatever the dates say.

A statement with only a closing balance (OFX) bounds the period on one side.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from itertools import pairwise

import duckdb

_STATEMENTS = """
SELECT b.account_key, a.masked, b.source_id, s.name, b.statement_id, b.source_row, b.currency,
       max(b.balance_date) FILTER (WHERE b.kind = 'opening') AS opened,
       max(b.amount) FILTER (WHERE b.kind = 'opening') AS opening,
       max(b.balance_date) FILTER (WHERE b.kind = 'closing') AS closed,
       max(b.amount) FILTER (WHERE b.kind = 'closing') AS closing
FROM balances b
JOIN sources s USING (source_id)
LEFT JOIN accounts a USING (account_key)
WHERE b.kind IN ('opening', 'closing')
GROUP BY ALL
ORDER BY b.account_key, coalesce(opened, closed), closed, b.source_id, b.source_row
"""


@dataclass(frozen=True)
class Gap:
    account: str
    kind: str
    missing_from: date | None
    missing_to: date | None
    days: int | None
    difference: Decimal | None
    currency: str
    after: str
    before: str

    def as_json(self) -> dict[str, object]:
        doc = asdict(self)
        doc["difference"] = None if self.difference is None else f"{self.difference:f}"
        return doc


def statement_gaps(con: duckdb.DuckDBPyConnection, min_days: int = 1) -> list[Gap]:
    """Gaps of more than `min_days` days, and balance breaks, between consecutive statements."""
    rows = con.execute(_STATEMENTS).fetchall()
    gaps: list[Gap] = []
    for prev, nxt in pairwise(rows):
        if prev[0] != nxt[0]:
            continue
        masked, ccy = nxt[1] or str(nxt[0]), nxt[6]
        after = f"{prev[3]} statement {prev[4] or '#' + str(prev[5])} (closing {prev[9]})"
        before = f"{nxt[3]} statement {nxt[4] or '#' + str(nxt[5])} (opening {nxt[7]})"
        closed, opened = prev[9], nxt[7]
        if closed is not None and opened is not None and (opened - closed).days > min_days:
            days = (opened - closed).days - 1
            start = date.fromordinal(closed.toordinal() + 1)
            end = date.fromordinal(opened.toordinal() - 1)
            gaps.append(Gap(masked, "period_gap", start, end, days, None, ccy, after, before))
        if prev[10] is not None and nxt[8] is not None and prev[10] != nxt[8] and prev[6] == ccy:
            diff = Decimal(nxt[8]) - Decimal(prev[10])
            gaps.append(
                Gap(
                    masked,
                    "balance_break",
                    closed,
                    opened,
                    None,
                    diff.normalize(),
                    ccy,
                    after,
                    before,
                )
            )
    return gaps
