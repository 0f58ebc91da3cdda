"""CASH_PAYROLL and WAGE_SWEEP on a warehouse with parties, accounts and transactions."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from moneytrail.employers import run_checks
from moneytrail.warehouse import Warehouse
from tests.employers.files import Employer, load, worker

CASHCO, HONEST = "777777777", "888888888"
MONDAY = datetime(2024, 3, 4, 10, 0)


def _party(wh: Warehouse, party_id: str, kind: str, name: str, ein: str | None = None) -> None:
    tax = wh.tokeniser.token("tax", ein) if ein else None
    wh.con.execute(
        "INSERT INTO parties (party_id, kind, name, tax_token, source_id, source_row) "
        "VALUES (?, ?, ?, ?, 99, 1)",
        [party_id, kind, name, tax],
    )


def _account(wh: Warehouse, key: int, holder: str | None) -> None:
    wh.con.execute(
        "INSERT INTO accounts (account_key, account_token, masked, record_id, source_id, "
        "source_row) VALUES (?, ?, ?, ?, 99, 1)",
        [key, f"tok{key}", f"****{key:04d}", f"acct-{key}"],
    )
    if holder:
        wh.con.execute("INSERT INTO account_holders VALUES (?, ?, 'holder', 99, 1)", [key, holder])


def _txn(wh: Warehouse, txn_id: str, ts: datetime, src: int, dst: int, cents: int, ch: str) -> None:
    wh.con.execute(
        "INSERT INTO transactions (txn_id, ts, from_account, to_account, amount, currency, "
        "channel, source_id, source_row) VALUES (?, ?, ?, ?, ?, 'USD', ?, 98, 1)",
        [txn_id, ts, src, dst, Decimal(cents).scaleb(-2), ch],
    )


@pytest.fixture
def world(tmp_path: Path, warehouse: Warehouse) -> Warehouse:
    """CASHCO pays four workers, takes wages back and withdraws cash weekly; HONEST does not."""
    load(
        warehouse,
        tmp_path,
        [
            Employer(CASHCO, "CASH CO", [worker(k, 1_000_000) for k in range(1, 5)]),
            Employer(HONEST, "HONEST CO", [worker(k, 5_000_000) for k in range(10, 13)]),
        ],
    )
    wh = warehouse
    _party(wh, "p-cashco", "company", "Cash Co", CASHCO)
    _party(wh, "p-honest", "company", "Honest Co.")  # no tax number: linked by name
    for k in range(1, 5):
        _party(wh, f"p-w{k}", "person", f"Worker {k}")
    _party(wh, "p-w3b", "person", "Worker Three")  # another record of worker 3
    _party(wh, "p-boss", "person", "The Owner")
    _party(wh, "p-boss2", "person", "T. Owner")  # another record of the owner
    _account(wh, 1, "p-cashco")
    _account(wh, 2, "p-honest")
    for k in range(1, 5):
        _account(wh, 10 + k, f"p-w{k}")
    _account(wh, 20, "p-boss")  # the collector
    _account(wh, 21, "p-boss2")  # the collector's second account
    _account(wh, 22, "p-w2")  # worker 2's own savings
    _account(wh, 23, "p-w3b")  # worker 3's other account, under another record
    _account(wh, 90, None)  # the bank's cash
    for week in range(10):
        _txn(wh, f"cash{week}", MONDAY + timedelta(weeks=week), 1, 90, 200_000, "cash")
        _txn(wh, f"small{week}", MONDAY + timedelta(weeks=week), 2, 90, 5_000, "cash")
    for pay in range(4):
        day = MONDAY + timedelta(weeks=2 * pay, days=4)
        for k in range(1, 5):
            _txn(wh, f"pay{pay}-{k}", day, 1, 10 + k, 100_000, "ach")
        back = day + timedelta(hours=5)
        _txn(wh, f"back{pay}-1", back, 11, 20, 50_000, "ach")
        _txn(wh, f"save{pay}-2", back, 12, 22, 60_000, "ach")  # own savings: normal
        _txn(wh, f"back{pay}-3", back, 13, 21, 55_000, "ach")
        _txn(wh, f"own{pay}-3", back, 13, 23, 30_000, "ach")  # own, by resolution
        _txn(wh, f"back{pay}-4", back, 14, 20, 45_000, "ach")
        _txn(wh, f"late{pay}-2", day + timedelta(days=3), 12, 20, 60_000, "ach")  # too late
    return wh


def _flags(wh: Warehouse, code: str) -> dict[str, tuple[int, list[str], str]]:
    return {
        str(r.name): (f.count, list(f.evidence), f.reason)
        for r in run_checks(wh.con, codes=[code])
        for f in r.flags
    }


def test_cash_payroll(world: Warehouse) -> None:
    raised = _flags(world, "CASH_PAYROLL")
    assert set(raised) == {"CASH CO"}
    count, evidence, reason = raised["CASH CO"]
    assert count == 10
    assert evidence == [f"txn:cash{w}" for w in range(10)]
    assert reason.startswith("10 cash withdrawals in 10 different weeks of 2024, $20,000.00")
    assert "against $40,000.00 of W-2 wages (50%)" in reason


def test_cash_payroll_thresholds(world: Warehouse) -> None:
    reports = run_checks(
        world.con, codes=["CASH_PAYROLL"], overrides={"CASH_PAYROLL.min_weeks": "11"}
    )
    assert all(not r.flags for r in reports)
    reports = run_checks(
        world.con, codes=["CASH_PAYROLL"], overrides={"CASH_PAYROLL.min_share_percent": "60"}
    )
    assert all(not r.flags for r in reports)


def test_wage_sweep_is_skipped_without_resolution(world: Warehouse) -> None:
    assert _flags(world, "WAGE_SWEEP") == {}


def _resolve(wh: Warehouse, *entities: tuple[str, str]) -> None:
    for entity, member in entities:
        wh.con.execute(
            "INSERT INTO entity_members (entity_id, kind, member_id, run_id) "
            "VALUES (?, 'person', ?, 1)",
            [entity, member],
        )


OWNER = (("E-boss", "p-boss"), ("E-boss", "p-boss2"))
WORKER3 = (("E-w3", "p-w3"), ("E-w3", "p-w3b"))


def test_wage_sweep_with_resolved_entities(world: Warehouse) -> None:
    _resolve(world, *WORKER3)  # resolution ran, but the owner's two records stay apart
    assert _flags(world, "WAGE_SWEEP") == {}  # two workers to one account, one to the other
    _resolve(world, *OWNER)
    count, evidence, reason = _flags(world, "WAGE_SWEEP")["CASH CO"]
    assert count == 3  # workers 1, 3 and 4; worker 2 moved pay to an own account only
    assert {"txn:back0-1", "txn:back0-3", "txn:back3-4"} <= set(evidence)
    assert not any(e.startswith(("txn:save", "txn:late", "txn:own")) for e in evidence)
    assert reason.startswith("in 2024, 3 workers paid from the employer's accounts sent $6,000.00")
    assert "2 accounts of one holder (****0020 and ****0021) in 12 transfers" in reason


def test_wage_sweep_minimum_workers(world: Warehouse) -> None:
    _resolve(world, *OWNER, *WORKER3)
    reports = run_checks(world.con, codes=["WAGE_SWEEP"], overrides={"WAGE_SWEEP.min_workers": "4"})
    assert all(not r.flags for r in reports)
