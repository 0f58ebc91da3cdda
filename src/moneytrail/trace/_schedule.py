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
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from moneytrail._sql import scalar
from moneytrail.errors import TraceError
from moneytrail.model.tables import arrow_schema
from moneytrail.trace._report import TraceReport
from moneytrail.warehouse import Warehouse

COLUMNS = (
    "section", "rule", "txn_id", "ts", "account", "counterparty", "amount",
    "tainted_amount", "balance", "tainted_balance", "asset_id", "note",
)  # fmt: skip


Revealed = Mapping[int, Mapping[str, Any]]

# The types of trace_runs and trace_schedule (moneytrail.model) as Arrow's, for `--save`
_AMOUNTS = frozenset({"amount", "tainted_amount", "balance", "tainted_balance"})
_CENT = Decimal("0.01")


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


def saved_tables(
    report: TraceReport, tainted: list[str], run_id: int, saved_at: datetime
) -> tuple[pa.Table, pa.Table]:
    """What `trace --save` stores, on either engine: the run's trace_runs row and its
    schedule's trace_schedule lines (`schedule_rows`, accounts masked), typed as
    moneytrail.model declares the tables, amounts rounded half-up to the cent."""
    run: dict[str, list[object]] = {
        "run_id": [run_id],
        "saved_at": [saved_at],
        "rule": [report.rule],
        "tainted": [json.dumps(tainted)],
        "max_hops": [report.max_hops],
        "totals": [json.dumps({k: str(v) for k, v in report.totals.items()})],
    }
    rows = schedule_rows(report)
    lines: dict[str, list[object]] = {
        "run_id": [run_id] * len(rows),
        "line": list(range(1, len(rows) + 1)),
    }
    for col in COLUMNS:
        lines[col] = [_typed(col, row[col]) for row in rows]
    return _arrow("trace_runs", run), _arrow("trace_schedule", lines)


def _typed(column: str, text: str) -> object:
    if not text:
        return None
    if column == "ts":
        return datetime.fromisoformat(text)
    if column in _AMOUNTS:
        return Decimal(text).quantize(_CENT, ROUND_HALF_UP)
    return text


def _arrow(name: str, columns: Mapping[str, list[object]]) -> pa.Table:
    """`columns` as rows of table `name` (its columns, in order; others left out)."""
    schema = arrow_schema(name)
    return pa.table({c.name: pa.array(columns[c.name], c.type) for c in schema}, schema=schema)


def save_report(wh: Warehouse, report: TraceReport, tainted: list[str]) -> int:
    """Store the run and its schedule (tables trace_runs, trace_schedule); return its id.

    One transaction: a failure stores nothing. On Spark: moneytrail.spark._trace."""
    try:
        with wh.transaction() as con:
            run_id = int(scalar(con, "SELECT coalesce(max(run_id), 0) + 1 FROM trace_runs"))
            run, lines = saved_tables(
                report, tainted, run_id, datetime.now(UTC).replace(tzinfo=None)
            )
            for name, rows in (("trace_runs", run), ("trace_schedule", lines)):
                con.register("_trace_rows", rows)
                try:
                    con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM _trace_rows")
                finally:
                    con.unregister("_trace_rows")
    except duckdb.Error as exc:
        raise TraceError(f"cannot save the trace in the warehouse: {exc}") from exc
    return run_id
