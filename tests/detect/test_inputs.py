"""Typologies that read counterparty names say when no source carries them."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from typer.testing import CliRunner

from moneytrail.cli import app
from moneytrail.detect import run_detect
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace
from tests.detect.ledger import Ledger, background


def _ledger() -> Ledger:
    ledger = Ledger()
    for d in range(7):
        ledger.pay(timedelta(days=d, hours=23), "P001", "ADSITE", "85.00", "card")
    for d in range(12):
        ledger.pay(timedelta(days=d, hours=9), "P002", "UTILCO", "40.00", "card")
    background(ledger, days=12)
    return ledger


def _name(wh: Warehouse, number: str, name: str) -> None:
    """Give the payments to one account a counterparty name, as a camt.053 entry's Cdtr/Nm does."""
    wh.con.execute(
        "UPDATE transactions SET to_party = ? "
        "WHERE to_account = mt_account_key(mt_account('B1', ?))",
        [name, number],
    )


def test_without_counterparty_names_the_typology_says_it_had_no_input(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    _ledger().load(warehouse, tmp_path / "tx.csv")
    report = run_detect(warehouse, only=["MT-T005", "MT-T006"])
    assert report.per_typology == {}
    assert [w.split(" ", 1)[0] for w in report.warnings] == ["MT-T005", "MT-T006"]
    assert all("no input" in w and "camt.053" in w for w in report.warnings)


def test_counterparty_names_are_matched_as_whole_words(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    _ledger().load(warehouse, tmp_path / "tx.csv")
    _name(warehouse, "ADSITE", "Nightline Online Ads LLC")
    _name(warehouse, "UTILCO", "Pinnacle Utility Inc")  # 'inn' is a hotel word, not in here
    report = run_detect(warehouse, ["MT-T006.min_count=5"], only=["MT-T005", "MT-T006"])
    assert report.per_typology == {"MT-T005": 1, "MT-T006": 0}
    (alert,) = report.alerts
    assert "made 7 payments (595.00) to counterparties matching ads" in alert.reason
    assert len(alert.evidence) == 7
    assert "read the 19 of" in report.warnings[0]


def test_typologies_command_shows_missing_input(tmp_path: Path) -> None:
    with Warehouse(Workspace(tmp_path / "ws").ensure()) as wh:
        _ledger().load(wh, tmp_path / "tx.csv")
    result = CliRunner().invoke(app, ["typologies", "--json", "-w", str(tmp_path / "ws")])
    assert result.exit_code == 0, result.stderr
    entries = {e["id"]: e for e in json.loads(result.stdout)}
    assert entries["MT-T007"]["input"].startswith("no input")
    assert entries["MT-L001"]["input"] == "ok"
    assert entries["grouping"]["params"] == {"hub_links": 12, "max_accounts": 60}
