"""Alert dispositions on cases become training labels for the scorer, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from moneytrail.access import Principal
from moneytrail.cases import CaseStore
from moneytrail.cli import app
from moneytrail.detect._run import run_detect
from moneytrail.detect._scorer import train
from moneytrail.errors import ScorerError
from moneytrail.graph import DAY, WEEK, FeatureParams, mine_into_warehouse
from moneytrail.ingest import ingest_file
from moneytrail.synth import generate
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace

from .conftest import PASSWORD

UTC_UNTIL = "2030-01-01T00:00"


@pytest.fixture(scope="module")
def detected(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, dict[str, float]]:
    """A small world taken to alerts; each alert with the share of its evidence that is planted."""
    root = tmp_path_factory.mktemp("dispositions")
    generate(root / "world", seed=5, transactions=20_000)
    ws = Workspace(root / "ws").ensure()
    with Warehouse(ws) as wh:
        ingest_file(wh, root / "world" / "transactions.csv")
        mine_into_warehouse(wh, FeatureParams(windows=(DAY, WEEK), cycle_len=6))
        run_detect(wh)
        rows = wh.con.execute(
            "SELECT e.alert_id, avg(t.label_laundering::INT) FROM "
            "(SELECT alert_id, unnest(evidence) AS txn_id FROM alerts) e "
            "JOIN transactions t USING (txn_id) GROUP BY e.alert_id"
        ).fetchall()
    return ws, {a: float(share) for a, share in rows}


def _dispose(ws: Workspace, shares: dict[str, float], *, negatives: bool) -> None:
    store = CaseStore.open(ws)
    try:
        store.add_agency(None, "Tax Crimes", "duty@example.org")
        store.add_user(None, "root", "Tax Crimes", "admin", PASSWORD)  # type: ignore[arg-type]
        admin = store.principal("root")
        store.add_user(admin, "ana", "Tax Crimes", "analyst", PASSWORD)  # type: ignore[arg-type]
        ana: Principal = store.principal("ana")
        cid = store.create_case(ana, "Alerts under review")["id"]
        for alert_id, share in sorted(shares.items()):
            store.attach_alert(ana, cid, alert_id)
            # An investigator confirms an alert whose movements are mostly the planted scheme.
            if share >= 0.5:
                store.dispose_alert(ana, cid, alert_id, "confirmed")
            elif negatives:
                store.dispose_alert(ana, cid, alert_id, "false_positive")
            else:
                store.dispose_alert(ana, cid, alert_id, "inconclusive")
    finally:
        store.close()


def test_model_trains_on_dispositions(
    detected: tuple[Workspace, dict[str, float]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws, shares = detected
    monkeypatch.setenv("MONEYTRAIL_CASES_URL", f"sqlite:///{tmp_path / 'cases.sqlite'}")
    _dispose(ws, shares, negatives=True)
    args = ["model", "train", "--until", UTC_UNTIL, "--labels", "dispositions", "--json"]
    result = CliRunner().invoke(app, [*args, "-w", str(ws.root)])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    with Warehouse(ws) as wh:
        confirmed = {a for a, s in shares.items() if s >= 0.5}
        expected = wh.con.execute(
            "SELECT count(DISTINCT txn_id), count(DISTINCT txn_id) FILTER (WHERE alert_id IN "
            "(SELECT unnest(?::VARCHAR[]))) FROM "
            "(SELECT alert_id, unnest(evidence) AS txn_id FROM alerts)",
            [sorted(confirmed)],
        ).fetchall()[0]
        labels = wh.scalar("SELECT labels FROM model_runs WHERE run_id = ?", [report["run_id"]])
    assert labels == "dispositions"
    assert report["train_rows"] + report["valid_rows"] == expected[0]
    assert report["positives"] == expected[1]
    store = CaseStore.open(ws)
    try:
        entries, _ = store.audit_entries(store.principal("root"), limit=5)
    finally:
        store.close()
    assert any(e["object_type"] == "dispositions" and e["action"] == "export" for e in entries)


def test_too_few_negatives_is_refused(
    detected: tuple[Workspace, dict[str, float]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws, shares = detected
    monkeypatch.setenv("MONEYTRAIL_CASES_URL", f"sqlite:///{tmp_path / 'cases.sqlite'}")
    _dispose(ws, shares, negatives=False)
    store = CaseStore.open(ws)
    try:
        labels = store.disposition_labels()
    finally:
        store.close()
    assert set(labels.values()) == {"confirmed"}
    with Warehouse(ws) as wh, pytest.raises(ScorerError, match="0 false positive") as info:
        train(wh, wh.scalar("SELECT max(ts) FROM transactions"), dispositions=labels)
    assert "at least 20 of each" in str(info.value)
    result = CliRunner().invoke(
        app, ["model", "train", "--until", UTC_UNTIL, "--labels", "guesses", "-w", str(ws.root)]
    )
    assert result.exit_code == 1 and "not data or dispositions" in result.stderr
