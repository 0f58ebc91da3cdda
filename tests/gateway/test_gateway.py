"""The read gateway on a small warehouse: what withheld rows show, and filters over visible rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from moneytrail.gateway import Gate, Gateway, Viewer, cursor_source, shown_id
from moneytrail.warehouse import Warehouse


@pytest.fixture
def gateway(warehouse: Warehouse) -> Gateway:
    con = warehouse.con
    for aid, score, filings in (
        ("A-bank", 0.9, []),
        ("A-w2-high", 0.97, ["w2:1:5"]),
        ("A-941-low", 0.31, ["941:1:2"]),
    ):
        con.execute(
            "INSERT INTO alerts VALUES (?, 1, 'MT-X', ['MT-X'], 'account:****1', [], ?, [], ?, "
            "'why')",
            [aid, score, filings],
        )
    now = datetime.now(UTC)
    for employer, code, severity, fti, evidence in (
        ("**-***7673", "SSN_SHARED", "high", True, ["w2:1:5"]),
        ("**-***1111", "CASH_PAYROLL", "medium", False, ["txn:9"]),
    ):
        con.execute(
            "INSERT INTO employer_flags VALUES (?, ?, 'Acme', 2024, ?, ?, 1, ?, 'reason', ?, ?)",
            [employer, employer, code, severity, evidence, fti, now],
        )
    return Gateway(cursor_source(con), Gate(Viewer(None, None, "cli"), None))


def test_a_withheld_row_says_only_that_rows_are_withheld_and_why(gateway: Gateway) -> None:
    items = gateway.alerts().items
    assert [a["alert_id"] for a in items if "withheld" not in a] == ["A-bank"]
    (notice,) = [a for a in items if "withheld" in a]
    assert set(notice) == {"withheld", "labels", "rows"}
    assert notice["rows"] == 2 and notice["labels"] == ["fti"]
    assert "moneytrail login" in notice["withheld"] and "A-w2" not in str(notice)
    flags = gateway.employer_flags().items
    assert [f["flag_id"] for f in flags if "withheld" not in f] == ["**-***1111:2024:CASH_PAYROLL"]
    assert "7673" not in str(flags) and "SSN_SHARED" not in str(flags)


def test_filters_run_over_visible_rows_only(gateway: Gateway) -> None:
    # Counting results must not tell a hidden score or severity apart.
    for min_score in (0.0, 0.3, 0.5, 0.95):
        items = gateway.alerts(min_score=min_score).items
        assert [a for a in items if "withheld" in a] == [
            a for a in gateway.alerts().items if "withheld" in a
        ]
    for severity in ("high", "medium", "low"):
        withheld = [f for f in gateway.employer_flags(severity=severity).items if "withheld" in f]
        assert withheld and withheld[0]["rows"] == 1


def test_withheld_rows_come_after_the_visible_ones_on_every_page(gateway: Gateway) -> None:
    first = gateway.alerts(limit=1).items
    second = gateway.alerts(limit=1, offset=1).items
    assert first[0]["alert_id"] == "A-bank" and "withheld" in second[0]
    assert gateway.alerts(limit=1).total == 2


def test_record_ids_never_show_a_whole_account_number() -> None:
    assert shown_id("0260-3296350184.xml:stmt1:account") == "0260-******0184.xml:stmt1:account"
    assert shown_id("p-12") == "p-12"
