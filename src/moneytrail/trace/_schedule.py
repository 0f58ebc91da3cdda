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

Accounts are named ``BANK ****1234 #tag (key)``. A court schedule made under a
case that grants the reveal (`revealed`: account key -> the reveal's answer)
names each revealed account by its bank and real number instead, followed by
its display and key; such a schedule is written to the file asked for and
never stored in the warehouse.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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


Revealed = Mapping[int, Mapping[str, Any]]


def _shown(label: str | None, key: int | None, revealed: Revealed) -> str | None:
    """A "display (key)" label, or the revealed bank and number followed by it."""
    found = revealed.get(key) if key is not None else None
    if found is None or label is None:
        return label
    bank = f"{found['bank']} " if found.get("bank") else ""
    return f"{bank}{found['value']} [{label}]"


def schedule_rows(report: TraceReport, revealed: Revealed | None = None) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    shown = revealed or {}

    def add(section: str, **values: object) -> None:
        row = dict.fromkeys(COLUMNS, "")
        row.update({k: "" if v is None else str(v) for k, v in values.items()})
        row["section"], row["rule"] = section, report.rule
        rows.append(row)

    for t in report.transfers:
        if t.named:
            add("source", txn_id=t.txn_id, ts=t.ts.isoformat(),
                account=_shown(t.to_account, t.to_key, shown),
                counterparty=_shown(t.from_account, t.from_key, shown),
                amount=t.amount, tainted_amount=t.amount)  # fmt: skip
    for a in report.accounts:
        label = _shown(f"{a.display} ({a.account_key})", a.account_key, shown)
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
            add("transfer", txn_id=t.txn_id, ts=t.ts.isoformat(),
                account=_shown(t.from_account, t.from_key, shown),
                counterparty=_shown(t.to_account, t.to_key, shown),
                amount=t.amount, tainted_amount=t.tainted_amount,
                note="left the trace" if t.left_trace else "")  # fmt: skip
    for x in report.assets:
        add("asset", txn_id=x.txn_id, asset_id=x.asset_id, amount=x.amount,
            tainted_amount=x.tainted_amount,
            note=f"{x.kind}: {x.description or ''}; purchase {x.how}; chain {';'.join(x.chain)}")  # fmt: skip
    for name, value in report.totals.items():
        add("total", amount=value, note=name)
    return rows


def schedule_json(
    report: TraceReport, revealed: Revealed | None = None, revealed_under: str | None = None
) -> dict[str, Any]:
    """The schedule as JSON; revealed accounts carry "account_number" and "bank"."""
    doc = report.as_json()
    if not revealed:
        return doc
    accounts: dict[str, dict[str, Any]] = doc["accounts"]  # type: ignore[assignment]
    for key, found in revealed.items():
        if str(key) in accounts:
            accounts[str(key)] |= {"account_number": found["value"], "bank": found.get("bank")}
    by_label = {t.txn_id: t for t in report.transfers}
    for item in doc["transfers"]:  # type: ignore[attr-defined]
        t = by_label[item["txn_id"]]
        item["from_account"] = _shown(t.from_account, t.from_key, revealed)
        item["to_account"] = _shown(t.to_account, t.to_key, revealed)
    doc["revealed_under"] = revealed_under
    return doc


def write_schedule(
    report: TraceReport,
    path: Path,
    revealed: Revealed | None = None,
    revealed_under: str | None = None,
) -> Path:
    """Write the schedule; the suffix chooses the format (.csv or .json).

    `revealed` (account key -> the reveal's answer) makes it a court schedule with
    the real account numbers and banks; `revealed_under` says under what (JSON)."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise TraceError(f"{path}: a schedule is written as .csv or .json, not {suffix!r}")
    try:
        if suffix == ".json":
            doc = schedule_json(report, revealed, revealed_under)
            path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        else:
            with path.open("w", encoding="utf-8", newline="") as fh:
                writer = csv.DictWriter(fh, fieldnames=COLUMNS)
                writer.writeheader()
                writer.writerows(schedule_rows(report, revealed))
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
