"""Writing a tracing schedule as CSV or JSON, every line naming its transactions.

The CSV is one table an expert witness can sort and filter, one line per fact:

* ``source``   a transaction named as tainted;
* ``movement`` a movement that changed a traced account's tainted balance,
  with the balance and the tainted balance after it (the tainted balance over
  time is the step function these lines draw);
* ``transfer`` a payment that carried tainted money, and how much;
* ``asset``    an asset, the payment that bought it, its tainted part, and the
  chain of transactions that carried the taint (``;``-separated, oldest first);
* ``total``    the conservation check: named = absorbed + held + dissipated + left.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from moneytrail._sql import scalar
from moneytrail.errors import TraceError
from moneytrail.trace._report import TraceReport
from moneytrail.warehouse import Warehouse

COLUMNS = (
    "section", "rule", "txn_id", "ts", "account", "counterparty", "amount",
    "tainted_amount", "balance", "tainted_balance", "asset_id", "note",
)  # fmt: skip


def schedule_rows(report: TraceReport) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []

    def add(section: str, **values: object) -> None:
        row = dict.fromkeys(COLUMNS, "")
        row.update({k: "" if v is None else str(v) for k, v in values.items()})
        row["section"], row["rule"] = section, report.rule
        rows.append(row)

    for t in report.transfers:
        if t.named:
            add("source", txn_id=t.txn_id, ts=t.ts.isoformat(), account=t.to_account,
                counterparty=t.from_account, amount=t.amount, tainted_amount=t.amount)  # fmt: skip
    for a in report.accounts:
        label = f"{a.masked} ({a.account_key})"
        note = f"hop {a.hop}; balance {a.balance_at_entry} when the taint arrived"
        if not a.opening_known:
            note += "; opening balance unknown, assumed the least that never goes overdrawn"
        add("account", account=label, balance=a.balance, tainted_balance=a.tainted_balance,
            tainted_amount=a.dissipated, note=note + "; tainted_amount = dissipated")  # fmt: skip
        for s in a.steps:
            add("movement", txn_id=s.txn_id, ts=s.ts.isoformat(), account=label,
                amount=s.amount, balance=s.balance, tainted_balance=s.tainted_balance)  # fmt: skip
    for t in report.transfers:
        if not t.named:
            add("transfer", txn_id=t.txn_id, ts=t.ts.isoformat(), account=t.from_account,
                counterparty=t.to_account, amount=t.amount, tainted_amount=t.tainted_amount,
                note="left the trace" if t.left_trace else "")  # fmt: skip
    for x in report.assets:
        add("asset", txn_id=x.txn_id, asset_id=x.asset_id, amount=x.amount,
            tainted_amount=x.tainted_amount,
            note=f"{x.kind}: {x.description or ''}; purchase {x.how}; chain {';'.join(x.chain)}")  # fmt: skip
    for name, value in report.totals.items():
        add("total", amount=value, note=name)
    return rows


def write_schedule(report: TraceReport, path: Path) -> Path:
    """Write the schedule; the suffix chooses the format (.csv or .json)."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise TraceError(f"{path}: a schedule is written as .csv or .json, not {suffix!r}")
    try:
        if suffix == ".json":
            path.write_text(json.dumps(report.as_json(), indent=2) + "\n", encoding="utf-8")
        else:
            with path.open("w", encoding="utf-8", newline="") as fh:
                writer = csv.DictWriter(fh, fieldnames=COLUMNS)
                writer.writeheader()
                writer.writerows(schedule_rows(report))
    except OSError as exc:
        raise TraceError(f"cannot write the schedule to {path}: {exc}") from exc
    return path


def save_report(wh: Warehouse, report: TraceReport, tainted: list[str]) -> int:
    """Store the run and its schedule (tables trace_runs, trace_schedule); return its id.

    One transaction: a failure stores nothing."""
    rows = schedule_rows(report)
    columns = {c: pa.array([r[c] or None for r in rows], pa.string()) for c in COLUMNS}
    columns["line"] = pa.array(range(1, len(rows) + 1), pa.int64())
    wh.con.register("_trace_lines", pa.table(columns))
    try:
        with wh.transaction() as con:
            run_id = int(scalar(con, "SELECT coalesce(max(run_id), 0) + 1 FROM trace_runs"))
            con.execute(
                "INSERT INTO trace_runs VALUES (?, ?, ?, ?, ?, ?)",
                [
                    run_id,
                    datetime.now(UTC).replace(tzinfo=None),
                    report.rule,
                    json.dumps(tainted),
                    report.max_hops,
                    json.dumps({k: str(v) for k, v in report.totals.items()}),
                ],
            )
            con.execute(
                "INSERT INTO trace_schedule (run_id, line, section, txn_id, ts, account,"
                " counterparty, amount, tainted_amount, balance, tainted_balance, asset_id, note)"
                " SELECT ?, line, section, txn_id, CAST(ts AS TIMESTAMP),"
                " account, counterparty, CAST(amount AS DECIMAL(38,2)),"
                " CAST(tainted_amount AS DECIMAL(38,2)), CAST(balance AS DECIMAL(38,2)),"
                " CAST(tainted_balance AS DECIMAL(38,2)), asset_id, note FROM _trace_lines",
                [run_id],
            )
    except duckdb.Error as exc:
        raise TraceError(f"cannot save the trace in the warehouse: {exc}") from exc
    finally:
        wh.con.unregister("_trace_lines")
    return run_id
