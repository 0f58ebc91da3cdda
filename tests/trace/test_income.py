"""Bank-deposits and net-worth methods on a hand-computed subject."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from moneytrail.cli import app
from moneytrail.errors import TraceError
from moneytrail.trace import StatedItems, indirect_income, parse_stated, write_income_schedule
from moneytrail.trace._income import Line, periods_of
from moneytrail.warehouse import Warehouse
from tests.trace.test_warehouse import SUBJECT, _fill

SECOND, CASH, BANK, CLIENT = 12, 55, 66, 77


@pytest.fixture
def subject(warehouse: Warehouse) -> Warehouse:
    """The tracing fixture's subject (p-1: accounts 11, via its statement key, and 12).

    January: salary 3000 twice, 10000 from the dirty account, the 12500 house,
    500 moved to the second own account. February: 800 cash out and back in,
    a 5000 loan, 1200 from a client into the second account.
    """
    _fill(warehouse)
    con = warehouse.con
    for key in (SECOND, CASH, BANK, CLIENT):
        con.execute(
            "INSERT INTO accounts (account_key, account_token, masked, source_id, source_row) "
            "VALUES (?, ?, ?, 1, 1)",
            [key, f"tok{key}", f"****{key:04d}"],
        )
    con.execute("INSERT INTO account_holders VALUES (?, 'p-1', 'holder', 3, 4)", [SECOND])
    # the 500 moved on 22 January is on the subject's January statement too
    con.execute("UPDATE balances SET amount = 4000 WHERE kind = 'closing'")
    moves = [
        ("5", datetime(2024, 1, 22), SUBJECT, SECOND, "500", None, None),
        ("6", datetime(2024, 2, 1), SUBJECT, CASH, "800", "cash", None),
        ("7", datetime(2024, 2, 10), CASH, SUBJECT, "800", "cash", None),
        ("8", datetime(2024, 2, 15), BANK, SUBJECT, "5000", "wire", "Loan disbursement"),
        ("9", datetime(2024, 2, 20), CLIENT, SECOND, "1200", "ach", "invoice 17"),
    ]
    for row, (txn, ts, src, dst, amount, channel, text) in enumerate(moves, 10):
        con.execute(
            "INSERT INTO transactions (txn_id, ts, from_account, to_account, amount, currency,"
            " channel, description, source_id, source_row) VALUES (?, ?, ?, ?, ?, 'USD', ?, ?, 1, ?)",
            [txn, ts, src, dst, Decimal(amount), channel, text, row],
        )
    return warehouse


STATED = StatedItems(
    cash_spent=[parse_stated("2024-01-15:250.00:cash paid to a contractor", "--cash-spent")],
    liabilities=[
        parse_stated("2024-01-10:5000:mortgage", "--liability"),
        parse_stated("2024-02-15:5000:bank loan", "--liability"),
    ],
    expenditures=[parse_stated("2024-01-31:2000:living expenses", "--expenditure")],
)


def _by(lines: list[Line], period: str, method: str) -> dict[str, Line]:
    return {x.label: x for x in lines if x.period == period and x.method == method}


def test_bank_deposits_method(subject: Warehouse) -> None:
    lines = indirect_income(subject, ["p-1"], period="month", stated=STATED)
    jan = _by(lines, "2024-01", "bank-deposits")
    assert jan["gross deposits"].amount == Decimal("16500.00")
    assert jan["gross deposits"].sources == ["1", "2", "4", "5"]
    assert jan["less transfers between own accounts"].amount == Decimal("-500.00")
    assert jan["less transfers between own accounts"].sources == ["5"]
    assert jan["plus cash spent outside the accounts (stated)"].amount == Decimal("250.00")
    assert jan["corrected gross receipts"].amount == Decimal("16250.00")
    feb = _by(lines, "2024-02", "bank-deposits")
    assert feb["gross deposits"].amount == Decimal("7000.00")
    assert feb["less redeposits"].sources == ["7"]
    assert feb["less loans and other non-income deposits"].sources == ["8: described as a loan"]
    assert feb["corrected gross receipts"].amount == Decimal("1200.00")


def test_net_worth_method(subject: Warehouse) -> None:
    lines = indirect_income(subject, ["p-1"], period="month", stated=STATED)
    jan = _by(lines, "2024-01", "net-worth")
    # 4000 in account 11 (opening 1000 from its statement), 500 in 12 (no statement: 0)
    assert jan["bank balances at period end"].amount == Decimal("4500.00")
    assert any("opening balance unknown" in s for s in jan["bank balances at period end"].sources)
    assert jan["assets owned at period end (recorded value)"].sources == ["house-1: 12500.00"]
    assert jan["net worth at period end"].amount == Decimal("12000.00")
    assert jan["less net worth at the previous period end"].amount == Decimal("-1000.00")
    assert jan["corrected income"].amount == Decimal("13000.00")
    feb = _by(lines, "2024-02", "net-worth")
    assert feb["less liabilities at period end (stated)"].amount == Decimal("-10000.00")
    # both methods agree on February: 1200 from the client
    assert feb["corrected income"].amount == Decimal("1200.00")


def test_stated_non_income_and_errors(subject: Warehouse, tmp_path: Path) -> None:
    stated = StatedItems(non_income_txns={"9": "repayment of a loan the subject made"})
    lines = indirect_income(subject, ["p-1"], period="year", stated=stated)
    year = _by(lines, "2024", "bank-deposits")
    assert year["less loans and other non-income deposits"].sources == [
        "8: described as a loan",
        "9: repayment of a loan the subject made",
    ]
    path = write_income_schedule(lines, tmp_path / "income.json")
    assert json.loads(path.read_text())[0]["line"] == "gross deposits"
    with pytest.raises(TraceError, match="no account is held by 'nobody'"):
        indirect_income(subject, ["nobody"])
    with pytest.raises(TraceError, match="DATE:AMOUNT:NOTE"):
        parse_stated("2024-01-01:12", "--liability")
    with pytest.raises(TraceError, match="non-negative sum in cents"):
        parse_stated("2024-01-01:1.005:x", "--liability")


def test_periods() -> None:
    assert [p for p, _, _ in periods_of(date(2023, 11, 5), date(2024, 2, 1), "month")] == [
        "2023-11", "2023-12", "2024-01", "2024-02",
    ]  # fmt: skip
    assert periods_of(date(2023, 11, 5), date(2024, 2, 1), "year")[1][1:] == (
        date(2024, 1, 1),
        date(2024, 12, 31),
    )
    with pytest.raises(TraceError, match="year or month"):
        periods_of(date(2024, 1, 1), date(2024, 1, 1), "week")


def test_income_cli(subject: Warehouse, tmp_path: Path) -> None:
    root = subject.workspace.root
    subject.close()
    result = CliRunner().invoke(
        app,
        ["income", "--party", "p-1", "--period", "month", "--json", "-w", str(root),
         "--cash-spent", "2024-01-15:250.00:contractor", "--non-income", "9=loan repaid",
         "--schedule", str(tmp_path / "i.csv")],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    receipts = [x for x in doc["lines"] if x["line"] == "corrected gross receipts"]
    assert [x["amount"] for x in receipts] == ["16250.00", "0.00"]
    assert (tmp_path / "i.csv").read_text().startswith("period,method,line,amount,sources")
    bad = CliRunner().invoke(app, ["income", "--party", "p-1", "--liability", "x", "-w", str(root)])
    assert bad.exit_code == 1
    assert "DATE:AMOUNT:NOTE" in bad.stderr
