"""The scorer's labels as a typology (MT-M001): hits, reasons naming the features, grouping."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from moneytrail.detect import run_detect
from moneytrail.detect._scorer import score, train
from moneytrail.errors import CatalogueError
from moneytrail.graph import DAY, WEEK, FeatureParams, mine_into_warehouse
from moneytrail.ingest import ingest_file
from moneytrail.synth import generate
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace
from tests.detect.ledger import Ledger, background


def _keys(wh: Warehouse, names: list[str]) -> dict[str, int]:
    rows = wh.con.execute(
        "SELECT n, mt_account_key(mt_account('B1', n)) FROM unnest(?::VARCHAR[]) AS u(n)",
        [names],
    ).fetchall()
    return {n: int(k) for n, k in rows}


def _label(wh: Warehouse, src: str, contributions: dict[str, float]) -> None:
    """Store the scorer's label on every payment `src` made, as `model score` does."""
    wh.con.execute(
        "INSERT INTO model_runs VALUES (7, now()::TIMESTAMP, 'label_laundering', "
        "now()::TIMESTAMP, now()::TIMESTAMP, 100, 20, 0.42, '{}') ON CONFLICT DO NOTHING"
    )
    wh.con.execute(
        "INSERT INTO txn_scores SELECT txn_id, 7, 0.9, 1, ? FROM transactions "
        "WHERE from_account = mt_account_key(mt_account('B1', ?))",
        [json.dumps(contributions), src],
    )


@pytest.fixture
def ledger_wh(tmp_path: Path, warehouse: Warehouse) -> Warehouse:
    ledger = Ledger()
    ledger.pay(timedelta(days=1), "FUNDER", "MULE", "2800.00", "wire")
    for i in range(3):
        ledger.pay(timedelta(days=2, hours=i), "MULE", f"DEST{i}", "900.00", "wire")
    ledger.pay(timedelta(days=5), "LONER", "DEST9", "300.00")
    background(ledger)
    ledger.load(warehouse, tmp_path / "tx.csv")
    return warehouse


def test_without_scores_the_typology_says_it_had_no_input(ledger_wh: Warehouse) -> None:
    report = run_detect(ledger_wh, only=["MT-M001"])
    assert report.per_typology == {}
    (warning,) = report.warnings
    assert warning.startswith("MT-M001") and "no input" in warning
    assert "moneytrail model train" in warning


def test_labelled_transactions_make_hits_whose_reason_names_the_features(
    ledger_wh: Warehouse,
) -> None:
    _label(ledger_wh, "MULE", {"fan_out_86400": 1.5, "log_amount": -0.2, "hour": 0.4})
    _label(ledger_wh, "LONER", {"hour": 0.1})
    report = run_detect(ledger_wh, ["MT-M001.role=payer"], ["MT-M001"])
    # LONER has one labelled payment: below min_txns 2
    assert report.per_typology == {"MT-M001": 1}
    (alert,) = report.alerts
    keys = _keys(ledger_wh, ["MULE", "DEST0"])
    (hit,) = [h for h in alert.hits if h.typology == "MT-M001"]
    assert hit.account_key == keys["MULE"] and len(hit.evidence) == 3
    assert (
        "party to 3 transaction(s) the trained scorer (model run 7, threshold 0.420" in hit.reason
    )
    # summed over the three payments, the positive drivers, strongest first, windows in words
    assert "fan_out over 1 day (+4.50), hour (+1.20)." in hit.reason
    assert "log_amount" not in hit.reason
    # medium severity: one model label alone is a watch-list entry, not a review alert
    assert alert.score < 0.6
    # role both, one labelled payment enough: both ends of each, MULE, LONER and four payees
    both = run_detect(ledger_wh, ["MT-M001.min_txns=1", "MT-M001.role=both"], ["MT-M001"])
    assert both.per_typology == {"MT-M001": 6}


def test_by_default_labelled_money_must_go_in_and_out(ledger_wh: Warehouse) -> None:
    """The originator of a labelled wire only pays and its payees only receive: the mule
    between them, which both received and paid labelled money, is the hit."""
    _label(ledger_wh, "MULE", {"fan_out_86400": 1.5})
    assert run_detect(ledger_wh, ["MT-M001.min_txns=1"], ["MT-M001"]).per_typology == {"MT-M001": 0}
    _label(ledger_wh, "FUNDER", {"log_amount": 0.7})
    report = run_detect(ledger_wh, ["MT-M001.min_txns=1"], ["MT-M001"])
    assert report.per_typology == {"MT-M001": 1}
    (hit,) = report.alerts[0].hits
    assert hit.account_key == _keys(ledger_wh, ["MULE"])["MULE"] and len(hit.evidence) == 4
    with pytest.raises(CatalogueError, match="must be payer, payee, both or through"):
        run_detect(ledger_wh, ["MT-M001.role=sideways"], ["MT-M001"])


@pytest.fixture(scope="module")
def scored_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic world with the scorer trained on its first 80 % and scoring the rest."""
    root = tmp_path_factory.mktemp("scored")
    generate(root / "world", seed=11, transactions=20_000)
    with Warehouse(Workspace(root / "ws").ensure()) as wh:
        ingest_file(wh, root / "world" / "transactions.csv")
        mine_into_warehouse(wh, FeatureParams(windows=(DAY, WEEK), cycle_len=6))
        lo, hi = wh.con.execute("SELECT min(ts), max(ts) FROM transactions").fetchall()[0]
        until = lo + (hi - lo) * 0.8
        train(wh, until)
        score(wh, until)
    return root / "ws"


def test_a_trained_scorer_s_findings_reach_the_alerts(scored_world: Path) -> None:
    with Warehouse(Workspace(scored_world)) as wh:
        report = run_detect(wh)
        labelled = wh.scalar("SELECT count(*) FROM txn_scores WHERE label = 1")
        stored = wh.con.execute(
            "SELECT h.reason, a.typologies FROM alert_hits h JOIN alerts a USING (alert_id) "
            "WHERE h.typology = 'MT-M001'"
        ).fetchall()
    assert labelled and report.per_typology["MT-M001"] > 0
    assert len(stored) == report.per_typology["MT-M001"]
    assert all("what drove the scores most: " in reason for reason, _t in stored)
    # the model's hits share alerts with the rule typologies' hits on the same networks
    assert any(len(typologies) > 1 for _r, typologies in stored)
