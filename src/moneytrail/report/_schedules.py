"""Schedules of a case for an expert witness: tracing, bank deposits, net worth, movements.

The tracing schedule is the saved trace the case points at (trace_schedule,
one line per fact); the bank-deposits and net-worth schedules are the IRS
indirect methods over the accounts each holder holds (`moneytrail.trace`);
every line names the rows behind it. XLSX has one sheet per schedule; CSV is
one table with a `schedule` column, for tools that take one file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal

from moneytrail.report._dossier import CaseDossier

COLUMNS = (
    "schedule", "subject", "period", "line", "txn_id", "ts", "account", "counterparty",
    "amount", "tainted_amount", "balance", "tainted_balance", "asset_id", "sources", "note",
)  # fmt: skip


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def schedule_rows(d: CaseDossier) -> Iterator[dict[str, str]]:
    names = {p.entity_id: p.name for p in d.parties}
    for tr in d.traces:
        for x in tr.lines:
            yield {
                "schedule": f"tracing (run {tr.run_id}, {tr.rule})",
                "line": x.section,
                "txn_id": _text(x.txn_id),
                "ts": _text(x.ts),
                "account": _text(x.account),
                "counterparty": _text(x.counterparty),
                "amount": _text(x.amount),
                "tainted_amount": _text(x.tainted_amount),
                "balance": _text(x.balance),
                "tainted_balance": _text(x.tainted_balance),
                "asset_id": _text(x.asset_id),
                "note": _text(x.note),
            }
    for i in d.income:
        yield {
            "schedule": i.method,
            "subject": names.get(i.subject, i.subject),
            "period": i.period,
            "line": i.label,
            "amount": _text(i.amount),
            "sources": ";".join(i.sources),
        }
    for m in d.movements:
        yield {
            "schedule": "movements",
            "txn_id": m.txn_id,
            "ts": m.ts.isoformat(),
            "account": _masked(d, m.from_account),
            "counterparty": _masked(d, m.to_account),
            "amount": _text(m.amount),
            "sources": str(m.source),
            "note": "; ".join(x for x in (m.currency, m.channel, m.reference) if x),
        }


def _masked(d: CaseDossier, key: int | None) -> str:
    acct = d.account(key)
    return f"{acct.masked} ({acct.account_key})" if acct else _text(key)


def schedules_csv(d: CaseDossier) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, restval="")
    writer.writeheader()
    writer.writerows(schedule_rows(d))
    return buf.getvalue().encode("utf-8")


def schedules_xlsx(d: CaseDossier) -> bytes:
    from openpyxl import Workbook  # noqa: PLC0415
    from openpyxl.styles import Font  # noqa: PLC0415

    wb = Workbook()
    about = wb.active
    about.title = "Case"
    for pair in (
        ("Case", f"{d.case_id}: {d.title}"),
        ("Owner agency", d.owner_agency),
        ("Prepared by", f"{d.principal.username} ({d.principal.agency})"),
        ("Prepared at", d.collected_at.isoformat(timespec="seconds")),
        ("Labels", ", ".join(sorted(d.labels))),
        (
            "Amounts",
            "exact decimals in the currency named; traced figures rounded half-up to the cent",
        ),
    ):
        about.append(pair)
    sheets: dict[str, object] = {}
    for row in schedule_rows(d):
        name = _sheet_name(row["schedule"])
        ws = sheets.get(name)
        if ws is None:
            ws = wb.create_sheet(name)
            ws.append(list(COLUMNS))
            for cell in ws[1]:
                cell.font = Font(bold=True)
            sheets[name] = ws
        values: list[object] = []
        for c in COLUMNS:
            v = row.get(c, "")
            if c in ("amount", "tainted_amount", "balance", "tainted_balance") and v:
                values.append(Decimal(v))
            else:
                values.append(v)
        ws.append(values)  # type: ignore[attr-defined]
    for name in ("Tracing", "Bank deposits", "Net worth"):
        if name not in sheets:
            ws = wb.create_sheet(name)
            ws.append([f"no {name.lower()} schedule: see the case report for why"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _sheet_name(schedule: str) -> str:
    if schedule.startswith("tracing"):
        return "Tracing"
    return {"bank-deposits": "Bank deposits", "net-worth": "Net worth"}.get(
        schedule, schedule.capitalize()
    )[:31]
