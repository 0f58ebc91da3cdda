"""Dates no bank record can carry: quarantined after a file's rows are stored.

A year 0000 or 1850 booking, or one years ahead, is a typo, a placeholder or a
parsing slip, and it would stretch every timeline and window built on the
data. The default range is 1900-01-01 to a year after today; the user widens it
(`ingest --earliest/--latest`) when old or scheduled records are real.
"""

from __future__ import annotations

from datetime import date, timedelta

from moneytrail._sql import scalar
from moneytrail.ingest._context import LoadContext

EARLIEST = date(1900, 1, 1)


def date_range(ctx: LoadContext) -> tuple[date, date]:
    latest = ctx.options.latest or date.today() + timedelta(days=366)
    return ctx.options.earliest or EARLIEST, latest


def quarantine_implausible(ctx: LoadContext, field: str) -> int:
    """Move this file's transactions dated outside the range into quarantine; return how many."""
    lo, hi = date_range(ctx)
    con, sid = ctx.con, ctx.source_id
    outside = "source_id = $sid AND (ts < $lo OR ts >= $hi)"
    params = {"sid": sid, "lo": lo, "hi": hi + timedelta(days=1)}
    n = int(scalar(con, f"SELECT count(*) FROM transactions WHERE {outside}", params))
    if not n:
        return 0
    reason = (
        f"date is implausible for a bank record (outside {lo} to {hi}); if it is right, "
        "load the file again with --earliest/--latest widened"
    )
    con.execute(
        "INSERT INTO quarantine SELECT source_id, source_row, $file, $field, $reason,"
        f" strftime(ts, '%Y-%m-%d %H:%M') FROM transactions WHERE {outside}",
        {**params, "file": ctx.name, "field": field, "reason": reason},
    )
    con.execute(
        "DELETE FROM statement_entries WHERE txn_source_id = $sid AND source_id = $sid"
        " AND txn_source_row IN (SELECT source_row FROM transactions"
        f" WHERE {outside})",
        params,
    )
    con.execute(f"DELETE FROM transactions WHERE {outside}", params)
    ctx.rows_quarantined += n
    return n
