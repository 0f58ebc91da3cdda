"""IRS indirect methods of proving income: bank deposits and net worth.

Both work on a subject's accounts (those its parties hold, by `account_holders`,
statement-only keys mapped to ledger accounts as in tracing) over periods, and
give a schedule whose every line names the rows behind it: transaction ids,
asset ids, or the investigator's stated items (cash spent, loans, gifts,
liabilities), which the data cannot show and which are listed as stated.

Bank-deposits method, per period (IRM 9.5.9.6):
    gross deposits to the subject's accounts
  - transfers between the subject's own accounts
  - redeposits: a deposit of the same amount as a cash or cheque withdrawal
    from the subject's accounts in the previous REDEPOSIT_DAYS days
  - loans and other non-income deposits (stated by txn id, or described as a loan)
  = net deposits
  + cash spent outside the accounts (stated)
  = corrected gross receipts

Net-worth method, per period (IRM 9.5.9.5):
    assets at the period's end: account balances, assets owned at recorded value
  - liabilities at the period's end (stated)
  = net worth; its change from the previous period's end (the first period's
    start for the first period)
  + non-deductible expenditures (stated: living expenses and the like)
  - non-taxable sources of funds (stated: loans, gifts, inheritances)
  = corrected income
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np

from moneytrail.errors import TraceError
from moneytrail.trace._ledger import Ledger, WarehouseView, account_aliases, load_ledger
from moneytrail.trace._report import cents

REDEPOSIT_DAYS = 30
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Stated:
    """An item the investigator establishes from other evidence."""

    on: date
    amount: Decimal
    note: str


@dataclass(frozen=True)
class Line:
    period: str
    method: str
    label: str
    amount: Decimal
    sources: list[str] = field(default_factory=list)  # txn ids, asset ids or stated notes


@dataclass
class StatedItems:
    cash_spent: list[Stated] = field(default_factory=list)
    liabilities: list[Stated] = field(default_factory=list)  # balance owed on `on`
    expenditures: list[Stated] = field(default_factory=list)  # non-deductible
    non_taxable: list[Stated] = field(default_factory=list)
    non_income_txns: dict[str, str] = field(default_factory=dict)  # txn id -> why


def periods_of(first: date, last: date, unit: str) -> list[tuple[str, date, date]]:
    """(label, first day, last day) of each calendar year or month from first to last."""
    if unit not in ("year", "month"):
        raise TraceError(f"period must be year or month, not {unit!r}")
    out = []
    y, m = first.year, first.month if unit == "month" else 1
    while date(y, m, 1) <= last:
        if unit == "year":
            out.append((str(y), date(y, 1, 1), date(y, 12, 31)))
            y += 1
        else:
            nxt = date(y + m // 12, m % 12 + 1, 1)
            out.append((f"{y}-{m:02d}", date(y, m, 1), nxt - timedelta(days=1)))
            y, m = nxt.year, nxt.month
    return out


def subject_accounts(
    wh: WarehouseView, party_ids: Sequence[str], aliases: Mapping[int, int]
) -> list[int]:
    rows = wh.con.execute(
        "SELECT DISTINCT account_key FROM account_holders WHERE party_id IN (SELECT unnest(?))",
        [list(party_ids)],
    ).fetchall()
    keys = sorted({aliases.get(int(r[0]), int(r[0])) for r in rows})
    if not keys:
        raise TraceError(f"no account is held by {', '.join(map(repr, party_ids))}")
    return keys


@dataclass(frozen=True)
class _Move:
    txn_id: str
    ts: datetime
    src: int | None
    dst: int | None
    amount: Decimal  # paid
    received: Decimal
    channel: str
    text: str


def _moves(wh: WarehouseView, accounts: list[int]) -> list[_Move]:
    rows = wh.con.execute(
        "SELECT txn_id, ts, from_account, to_account, amount, coalesce(amount_received, amount),"
        " coalesce(channel, ''), lower(coalesce(description, '') || ' ' || coalesce(reference, ''))"
        " FROM transactions WHERE (from_account IN (SELECT unnest(?))"
        " OR to_account IN (SELECT unnest(?))) AND from_account IS DISTINCT FROM to_account"
        " ORDER BY ts, source_id, source_row, txn_id",
        [accounts, accounts],
    ).fetchall()
    return [_Move(str(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], r[7]) for r in rows]


def bank_deposits(
    moves: list[_Move],
    accounts: set[int],
    periods: list[tuple[str, date, date]],
    stated: StatedItems,
) -> list[Line]:
    lines: list[Line] = []
    withdrawals: list[_Move] = []  # cash and cheque withdrawals not yet matched
    by_period: dict[str, dict[str, list[_Move]]] = {
        p: {"gross": [], "own": [], "redeposit": [], "loan": []} for p, _, _ in periods
    }

    def period_of(day: date) -> str | None:
        return next((p for p, lo, hi in periods if lo <= day <= hi), None)

    for m in moves:
        if m.src in accounts and m.dst not in accounts and m.channel in ("cash", "cheque"):
            withdrawals.append(m)
        if m.dst not in accounts:
            continue
        p = period_of(m.ts.date())
        if p is None:
            continue
        groups = by_period[p]
        groups["gross"].append(m)
        if m.src in accounts:
            groups["own"].append(m)
        elif m.txn_id in stated.non_income_txns or "loan" in m.text.split():
            groups["loan"].append(m)
        else:
            back = m.ts - timedelta(days=REDEPOSIT_DAYS)
            match = next(
                (w for w in withdrawals if back <= w.ts <= m.ts and w.amount == m.received), None
            )
            if match is not None:
                withdrawals.remove(match)
                groups["redeposit"].append(m)
    for p, lo, hi in periods:
        groups = by_period[p]

        def total(ms: list[_Move]) -> Decimal:
            return sum((m.received for m in ms), Decimal(0)).quantize(CENT)

        cash = [s for s in stated.cash_spent if lo <= s.on <= hi]
        gross, own = total(groups["gross"]), total(groups["own"])
        redeposit, loan = total(groups["redeposit"]), total(groups["loan"])
        net = gross - own - redeposit - loan
        cash_total = sum((s.amount for s in cash), Decimal(0)).quantize(CENT)

        def ids(ms: list[_Move]) -> list[str]:
            return [m.txn_id for m in ms]

        lines += [
            Line(p, "bank-deposits", "gross deposits", gross, ids(groups["gross"])),
            Line(
                p, "bank-deposits", "less transfers between own accounts", -own, ids(groups["own"])
            ),
            Line(p, "bank-deposits", "less redeposits", -redeposit, ids(groups["redeposit"])),
            Line(
                p,
                "bank-deposits",
                "less loans and other non-income deposits",
                -loan,
                [
                    f"{m.txn_id}: {stated.non_income_txns.get(m.txn_id, 'described as a loan')}"
                    for m in groups["loan"]
                ],
            ),
            Line(p, "bank-deposits", "net deposits", net),
            Line(
                p,
                "bank-deposits",
                "plus cash spent outside the accounts (stated)",
                cash_total,
                [f"{s.on}: {s.note}" for s in cash],
            ),
            Line(p, "bank-deposits", "corrected gross receipts", net + cash_total),
        ]
    return lines


def _balance_at(ledger: Ledger, account_key: int, end: date) -> tuple[Decimal, bool]:
    """The account's balance at the end of `end`, and whether its opening was known."""
    i = int(np.searchsorted(ledger.account_keys, account_key))
    if i >= len(ledger.account_keys) or ledger.account_keys[i] != account_key:
        return Decimal("0.00"), False
    limit = np.datetime64(end + timedelta(days=1), "us").astype(np.int64)
    k = int(np.searchsorted(ledger.ts, limit, side="left"))
    return cents(ledger.balance_before(i, k)[0]), bool(ledger.opening_known[i])


def net_worth(
    wh: WarehouseView,
    ledger: Ledger,
    accounts: list[int],
    party_ids: Sequence[str],
    periods: list[tuple[str, date, date]],
    stated: StatedItems,
) -> list[Line]:
    masked = dict(
        wh.con.execute(
            "SELECT account_key, any_value(masked) FROM accounts "
            "WHERE account_key IN (SELECT unnest(?)) GROUP BY 1",
            [accounts],
        ).fetchall()
    )
    owned = wh.con.execute(
        "SELECT a.asset_id, a.kind, a.description, a.value, try_cast(r.start_date AS DATE),"
        " try_cast(r.end_date AS DATE) FROM assets a JOIN relationships r"
        " ON r.object_id = a.asset_id AND r.kind = 'ownership'"
        " WHERE r.subject_id IN (SELECT unnest(?)) AND a.value IS NOT NULL ORDER BY 1",
        [list(party_ids)],
    ).fetchall()

    def worth(day: date) -> tuple[Decimal, list[str], Decimal, list[str], Decimal, list[str]]:
        bank, bank_src = Decimal("0.00"), []
        for key in accounts:
            balance, known = _balance_at(ledger, key, day)
            bank += balance
            note = "" if known else " (opening balance unknown, least that never overdraws)"
            bank_src.append(f"{masked.get(key, '****')} ({key}): {balance}{note}")
        held = [
            (aid, value) for aid, _k, _d, value, since, until in owned
            if (since is None or since <= day) and (until is None or until > day)
        ]  # fmt: skip
        things = sum((Decimal(v) for _, v in held), Decimal(0)).quantize(CENT)
        owed = [s for s in stated.liabilities if s.on <= day]
        latest: dict[str, Stated] = {}
        for s in sorted(owed, key=lambda s: s.on):  # a liability's latest balance counts
            latest[s.note] = s
        debt = sum((s.amount for s in latest.values()), Decimal(0)).quantize(CENT)
        return (
            bank, bank_src, things, [f"{a}: {Decimal(v).quantize(CENT)}" for a, v in held],
            debt, [f"{s.on}: {s.note}: {s.amount}" for s in latest.values()],
        )  # fmt: skip

    lines: list[Line] = []
    if not periods:
        return lines
    first = worth(periods[0][1] - timedelta(days=1))
    previous = first[0] + first[2] - first[4]
    for p, lo, hi in periods:
        bank, bank_src, things, things_src, debt, debt_src = worth(hi)
        nw = bank + things - debt
        spent = [s for s in stated.expenditures if lo <= s.on <= hi]
        sources = [s for s in stated.non_taxable if lo <= s.on <= hi]
        spent_total = sum((s.amount for s in spent), Decimal(0)).quantize(CENT)
        sources_total = sum((s.amount for s in sources), Decimal(0)).quantize(CENT)
        change = nw - previous
        lines += [
            Line(p, "net-worth", "bank balances at period end", bank, bank_src),
            Line(p, "net-worth", "assets owned at period end (recorded value)", things, things_src),
            Line(p, "net-worth", "less liabilities at period end (stated)", -debt, debt_src),
            Line(p, "net-worth", "net worth at period end", nw),
            Line(p, "net-worth", "less net worth at the previous period end", -previous),
            Line(p, "net-worth", "increase in net worth", change),
            Line(
                p,
                "net-worth",
                "plus non-deductible expenditures (stated)",
                spent_total,
                [f"{s.on}: {s.note}" for s in spent],
            ),
            Line(
                p,
                "net-worth",
                "less non-taxable sources of funds (stated)",
                -sources_total,
                [f"{s.on}: {s.note}" for s in sources],
            ),
            Line(p, "net-worth", "corrected income", change + spent_total - sources_total),
        ]
        previous = nw
    return lines


def indirect_income(
    wh: WarehouseView,
    party_ids: Sequence[str],
    *,
    period: str = "year",
    stated: StatedItems | None = None,
) -> list[Line]:
    """Bank-deposits and net-worth schedules for the subject held as `party_ids`."""
    stated = stated or StatedItems()
    aliases = account_aliases(wh)
    accounts = subject_accounts(wh, party_ids, aliases)
    moves = _moves(wh, accounts)
    if not moves:
        raise TraceError(f"the accounts of {', '.join(party_ids)} have no movements")
    periods = periods_of(moves[0].ts.date(), moves[-1].ts.date(), period)
    ledger = load_ledger(wh, aliases)
    return bank_deposits(moves, set(accounts), periods, stated) + net_worth(
        wh, ledger, accounts, party_ids, periods, stated
    )


def parse_stated(text: str, option: str) -> Stated:
    """'YYYY-MM-DD:AMOUNT:note' as a stated item."""
    parts = text.split(":", 2)
    if len(parts) != 3 or not parts[2].strip():
        raise TraceError(f"{option} wants DATE:AMOUNT:NOTE, not {text!r}")
    try:
        on = date.fromisoformat(parts[0])
        amount = Decimal(parts[1])
    except (ValueError, ArithmeticError) as exc:
        raise TraceError(f"{option} {text!r}: {exc}") from exc
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(CENT):
        raise TraceError(f"{option} {text!r}: the amount must be a non-negative sum in cents")
    return Stated(on, amount, parts[2].strip())


def lines_json(lines: list[Line]) -> list[dict[str, object]]:
    return [
        {
            "period": x.period,
            "method": x.method,
            "line": x.label,
            "amount": str(x.amount),
            "sources": x.sources,
        }
        for x in lines
    ]


def write_income_schedule(lines: list[Line], path: Path) -> Path:
    """Write the schedule as .csv (sources ';'-separated) or .json."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise TraceError(f"{path}: a schedule is written as .csv or .json, not {suffix!r}")
    try:
        if suffix == ".json":
            path.write_text(json.dumps(lines_json(lines), indent=2) + "\n", encoding="utf-8")
        else:
            with path.open("w", encoding="utf-8", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(["period", "method", "line", "amount", "sources"])
                for x in lines:
                    writer.writerow([x.period, x.method, x.label, x.amount, ";".join(x.sources)])
    except OSError as exc:
        raise TraceError(f"cannot write the schedule to {path}: {exc}") from exc
    return path
