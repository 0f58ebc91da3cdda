"""Tables of fund tracing runs and schedules (moneytrail.trace)."""

from __future__ import annotations

from moneytrail.model._schema import Column, Table

TRACE_RUNS = Table(
    "trace_runs",
    "One row per saved fund trace: the rule, the transactions named as tainted, "
    "and the conservation totals (named = absorbed + held + dissipated + left).",
    (
        Column("run_id", "INTEGER", "Surrogate key, increasing.", not_null=True, since=2),
        Column("saved_at", "TIMESTAMP", "When the run was saved (UTC).", not_null=True, since=2),
        Column("rule", "VARCHAR", "libr, fifo, lifo or pro-rata.", not_null=True, since=2),
        Column("tainted", "JSON", "The txn_ids named as tainted.", not_null=True, since=2),
        Column("max_hops", "INTEGER", "Hop limit; NULL when none.", since=2),
        Column("totals", "JSON", "Totals as decimal strings.", not_null=True, since=2),
    ),
    since=2,
    primary_key=("run_id",),
)

TRACE_SCHEDULE = Table(
    "trace_schedule",
    "The tracing schedule of a saved run, one line per fact, as `moneytrail trace "
    "--schedule` writes it: sources, movements that changed a tainted balance, "
    "payments that carried taint, assets with their chain, totals. Amounts are "
    "rounded half-up to the cent; accounts appear masked.",
    (
        Column("run_id", "INTEGER", "trace_runs.run_id.", not_null=True, since=2),
        Column("line", "BIGINT", "1-based line number in the schedule.", not_null=True, since=2),
        Column(
            "section",
            "VARCHAR",
            "source, account, movement, transfer, asset or total.",
            not_null=True,
            since=2,
        ),
        Column("txn_id", "VARCHAR", "The transaction the line is about.", since=2),
        Column("ts", "TIMESTAMP", "Its booking time.", since=2),
        Column("account", "VARCHAR", "Masked account and its account_key.", since=2),
        Column("counterparty", "VARCHAR", "The other account, masked.", since=2),
        Column("amount", "DECIMAL(38,2)", "Amount moved (or the total).", since=2),
        Column("tainted_amount", "DECIMAL(38,2)", "Its tainted part.", since=2),
        Column("balance", "DECIMAL(38,2)", "Account balance after the movement.", since=2),
        Column("tainted_balance", "DECIMAL(38,2)", "Tainted balance after it.", since=2),
        Column("asset_id", "VARCHAR", "assets.asset_id for asset lines.", since=2),
        Column("note", "VARCHAR", "Hop, opening, chain of txn_ids, and the like.", since=2),
    ),
    since=2,
    primary_key=("run_id", "line"),
)
