"""Detectors, grouping and storage on small hand-written ledgers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from moneytrail.detect import run_detect
from moneytrail.detect._group import REVIEW_SCORE, _entity_groups
from moneytrail.errors import CatalogueError
from moneytrail.gateway import Gate, Gateway, Viewer, cursor_source
from moneytrail.warehouse import Warehouse
from tests.detect.ledger import Ledger, background


def _world(tmp_path: Path, wh: Warehouse) -> None:
    """Three victims' takings swept to one controller within hours, one account fed the
    same cash amount three times, and ordinary card spending around them."""
    ledger = Ledger()
    for day in range(4):
        for v in range(3):
            t = timedelta(days=day, hours=1, minutes=10 * v)
            ledger.pay(t, f"CUST{day}{v}", f"VICTIM{v}", "400.00")
            ledger.pay(t + timedelta(hours=2), f"VICTIM{v}", "CTRL", "364.00")
    for d in (5, 7, 9):
        ledger.pay(timedelta(days=d, hours=10), "BRANCH7", "HOARD", "8653.67", "cash")
    background(ledger)
    ledger.load(wh, tmp_path / "tx.csv")


def test_sweeps_and_identical_cash_are_two_explained_alerts(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    _world(tmp_path, warehouse)
    report = run_detect(warehouse)
    flagged = [a for a in report.alerts if a.score >= REVIEW_SCORE]
    assert len(flagged) == 2
    ring = next(a for a in flagged if "MT-T002" in a.typologies)
    hoard = next(a for a in flagged if "MT-S002" in a.typologies)
    assert ring.subject.startswith("network:4 accounts")
    assert "3 accounts passed 80%-99% of incoming payments to account ****" in ring.reason
    assert "12 times, 4,368.00 in all" in ring.reason
    sweeps = {
        r[0]
        for r in warehouse.con.execute(
            "SELECT txn_id FROM transactions WHERE amount IN (400, 364)"
        ).fetchall()
    }
    assert sweeps <= set(ring.evidence)
    assert hoard.subject.startswith("account:****")
    assert hoard.reason.endswith("received 3 cash deposits of exactly 8,653.67.")
    deposits = {
        r[0]
        for r in warehouse.con.execute(
            "SELECT txn_id FROM transactions WHERE channel = 'cash'"
        ).fetchall()
    }
    assert set(hoard.evidence) == deposits
    assert not {a.alert_id for a in report.alerts} - {a.alert_id for a in flagged}


def test_ordinary_life_raises_nothing(tmp_path: Path, warehouse: Warehouse) -> None:
    ledger = Ledger()
    for month_day in (0, 14):  # salary, then rent and shopping a day later
        ledger.pay(timedelta(days=month_day, hours=9), "EMPLOYER", "P900", "3000.00")
        ledger.pay(timedelta(days=month_day + 1, hours=9), "P900", "LANDLORD", "1500.00")
    background(ledger)
    ledger.load(warehouse, tmp_path / "tx.csv")
    report = run_detect(warehouse)
    assert [a.reason for a in report.alerts if a.score >= REVIEW_SCORE] == []


def test_runs_replace_alerts_and_are_recorded(tmp_path: Path, warehouse: Warehouse) -> None:
    _world(tmp_path, warehouse)
    first = run_detect(warehouse)
    second = run_detect(warehouse)
    assert [a.alert_id for a in first.alerts] == [a.alert_id for a in second.alerts]
    assert warehouse.scalar("SELECT count(*) FROM alerts") == len(second.alerts)
    assert warehouse.scalar("SELECT count(*) FROM detect_runs") == 2
    assert warehouse.scalar("SELECT count(DISTINCT run_id) FROM alerts") == 1
    gateway = Gateway(cursor_source(warehouse.con), Gate(Viewer(None, None, "cli"), None))
    rows = gateway.alerts().items  # bank data only: nothing withheld
    assert [r["alert_id"] for r in rows] == [a.alert_id for a in second.alerts]
    assert set(rows[0]) >= {"alert_id", "typology", "subject", "score", "evidence", "reason"}


def test_overrides_change_what_is_found(tmp_path: Path, warehouse: Warehouse) -> None:
    _world(tmp_path, warehouse)
    assert run_detect(warehouse, only=["MT-T002"]).per_typology == {"MT-T002": 1}
    assert run_detect(warehouse, ["MT-T002.min_count=13"], ["MT-T002"]).per_typology == {
        "MT-T002": 0
    }
    (warehouse.workspace.root / "typologies.yaml").write_text("MT-T002: {min_sources: 4}\n")
    assert run_detect(warehouse, only=["MT-T002"]).per_typology == {"MT-T002": 0}
    with pytest.raises(CatalogueError, match="MT-NOPE"):
        run_detect(warehouse, only=["MT-NOPE"])


def test_a_collector_paid_by_many_others_is_not_a_sweep_target(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    """The three swept accounts are a fifth of those paying the collector: a processor's
    clients, a few of whom pass money on soon after receiving it."""
    ledger = Ledger()
    for day in range(4):
        for v in range(3):
            t = timedelta(days=day, hours=1, minutes=10 * v)
            ledger.pay(t, f"CUST{day}{v}", f"CLIENT{v}", "400.00")
            ledger.pay(t + timedelta(hours=2), f"CLIENT{v}", "PROCESSOR", "364.00")
    for c in range(12):
        ledger.pay(timedelta(days=c % 4, hours=12), f"OTHERCLIENT{c}", "PROCESSOR", "900.00")
    ledger.load(warehouse, tmp_path / "tx.csv")
    assert run_detect(warehouse, only=["MT-T002"]).per_typology == {"MT-T002": 0}
    relaxed = run_detect(warehouse, ["MT-T002.min_payer_share=0.2"], ["MT-T002"])
    assert relaxed.per_typology == {"MT-T002": 1}
    with pytest.raises(CatalogueError, match=r"min_payer_share 1\.5 must be in"):
        run_detect(warehouse, ["MT-T002.min_payer_share=1.5"], ["MT-T002"])


def test_stages_not_run_are_skipped_with_a_warning(tmp_path: Path, warehouse: Warehouse) -> None:
    _world(tmp_path, warehouse)
    report = run_detect(warehouse)
    assert any(w.startswith("MT-E001") and "employer checks" in w for w in report.warnings)


def test_employer_flags_become_alerts_with_filings(tmp_path: Path, warehouse: Warehouse) -> None:
    _world(tmp_path, warehouse)
    warehouse.con.execute(
        "INSERT INTO employer_flags VALUES ('tok', '**-***1234', 'Prime Kitchen LLC', 2024, "
        "'WAGE_SWEEP', 'high', 3, ['txn:2', 'w2:1:4'], 'Pay of 3 workers was swept.', true, ?)",
        [datetime.now(UTC).replace(tzinfo=None)],
    )
    report = run_detect(warehouse, only=["MT-E001"])
    (alert,) = report.alerts
    assert alert.subject == "employer:**-***1234"
    assert alert.evidence == ["2"]
    assert alert.filings == ["w2:1:4"]
    assert alert.reason == "Pay of 3 workers was swept."


def test_contract_findings_become_alerts_with_filings(tmp_path: Path, warehouse: Warehouse) -> None:
    _world(tmp_path, warehouse)
    warehouse.con.execute(
        "INSERT INTO contract_findings (finding_id, code, severity, subject_kind, subject_id, "
        "subject_name, ocids, reason, found_at) VALUES ('f1', 'MT-P001', 'high', 'supplier', "
        "'sup-1', 'Redwood Fuel Group Inc', '[\"ocds-1\", \"ocds-2\"]', "
        "'Parks Department made 6 awards to Redwood Fuel Group Inc within 15 days.', ?)",
        [datetime.now(UTC).replace(tzinfo=None)],
    )
    report = run_detect(warehouse, only=["MT-P001"])
    (alert,) = report.alerts
    assert alert.subject == "supplier:Redwood Fuel Group Inc"
    assert alert.filings == ["ocds:ocds-1", "ocds:ocds-2"]
    assert alert.evidence == []
    assert alert.reason.startswith("Parks Department made 6 awards")


def test_bad_parameter_values_are_refused(tmp_path: Path, warehouse: Warehouse) -> None:
    _world(tmp_path, warehouse)
    with pytest.raises(CatalogueError, match="feature 'nope'"):
        run_detect(warehouse, ["MT-L001.feature=nope"], ["MT-L001"])


def test_a_window_that_was_not_mined_is_reported(tmp_path: Path, warehouse: Warehouse) -> None:
    _world(tmp_path, warehouse)
    report = run_detect(warehouse, ["MT-L001.window=7200"], ["MT-L001"])
    assert report.per_typology == {}
    assert "window 7200 s was not mined" in report.warnings[0]


def test_accounts_resolved_into_one_entity_are_grouped(warehouse: Warehouse) -> None:
    con = warehouse.con
    for key, member in [(101, "tx.csv:4:payer"), (102, "tx.csv:9:payee"), (103, "tx.csv:9:payer")]:
        con.execute(
            "INSERT INTO accounts (account_key, account_token, masked, source_id, source_row) "
            "VALUES (?, ?, '****0000', 1, 1)",
            [key, f"tok{key}"],
        )
        con.execute(
            "INSERT INTO resolve_records (record_id, kind, id_token, run_id) "
            "VALUES (?, 'account', ?, 1)",
            [member, f"tok{key}"],
        )
    con.execute(
        "INSERT INTO entity_members VALUES ('account-1', 'account', 'tx.csv:4:payer', 1), "
        "('account-1', 'account', 'tx.csv:9:payee', 1), ('account-2', 'account', 'tx.csv:9:payer', 1)"
    )
    assert _entity_groups(con, [101, 102, 103]) == [[101, 102]]
