"""The supervised scorer: calibration, threshold choice, time-split training, CLI."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from moneytrail.cli import app
from moneytrail.detect._scorer import best_threshold, calibrated, platt, score, train
from moneytrail.errors import ScorerError
from moneytrail.graph import DAY, WEEK, FeatureParams, mine_into_warehouse
from moneytrail.ingest import ingest_file
from moneytrail.synth import generate
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace
from tests.detect.ledger import Ledger, background


def test_platt_recovers_a_known_sigmoid() -> None:
    rng = np.random.default_rng(0)
    raw = rng.normal(0, 2, 20_000)
    y = (rng.random(20_000) < calibrated(raw, 1.5, -1.0)).astype(np.int8)
    a, b = platt(raw, y)
    assert a == pytest.approx(1.5, abs=0.1)
    assert b == pytest.approx(-1.0, abs=0.1)


def test_best_threshold_maximises_f1_against_brute_force() -> None:
    rng = np.random.default_rng(1)
    p = np.round(rng.random(300), 2)
    y = (rng.random(300) < p).astype(np.int8)
    threshold, precision, recall, f1 = best_threshold(p, y)
    best = 0.0
    for t in np.unique(p):
        pred = p >= t
        tp = float(np.sum(pred & (y == 1)))
        if tp:
            prec, rec = tp / pred.sum(), tp / y.sum()
            best = max(best, 2 * prec * rec / (prec + rec))
    assert f1 == pytest.approx(best)
    pred = p >= threshold
    assert precision == pytest.approx(np.sum(pred & (y == 1)) / pred.sum())
    assert recall == pytest.approx(np.sum(pred & (y == 1)) / y.sum())


@pytest.fixture(scope="module")
def world_ws(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("scorer")
    generate(root / "world", seed=5, transactions=20_000)
    ws = Workspace(root / "ws").ensure()
    with Warehouse(ws) as wh:
        ingest_file(wh, root / "world" / "transactions.csv")
        mine_into_warehouse(wh, FeatureParams(windows=(DAY, WEEK), cycle_len=6))
    return root / "world", root / "ws"


def test_train_then_score_on_later_transactions(world_ws: tuple[Path, Path]) -> None:
    world, root = world_ws
    with Warehouse(Workspace(root)) as wh:
        lo, hi = wh.con.execute("SELECT min(ts), max(ts) FROM transactions").fetchall()[0]
        until = lo + (hi - lo) * 0.8
        report = train(wh, until, truth=world / "truth")
        assert report.valid_rows > 0 and report.train_rows > 2 * report.valid_rows
        # calibrated, may round to 0 or 1 where validation separates; labels use the raw margin
        assert 0 <= report.threshold <= 1
        assert report.f1 > 0.5
        assert (root / "models" / f"scorer-{report.run_id}.txt").is_file()
        rows = score(wh, until)
        later = wh.scalar("SELECT count(*) FROM transactions WHERE ts >= ?", [until])
        assert len(rows) == later == wh.scalar("SELECT count(*) FROM txn_scores")
        planted = {
            r[0]
            for r in wh.con.execute(
                "SELECT txn_id FROM transactions WHERE ts >= ? AND label_laundering", [until]
            ).fetchall()
        }
        predicted = {r["txn_id"] for r in rows if r["label"] == 1}
        tp = len(planted & predicted)
        assert tp / max(len(predicted), 1) > 0.5 and tp / len(planted) > 0.5
        for r in rows:
            assert 0.0 <= r["score"] <= 1.0
            assert bool(r["contributions"]) == bool(r["label"])
            assert len(r["contributions"]) <= 3


def test_model_commands(world_ws: tuple[Path, Path]) -> None:
    _world, root = world_ws
    runner = CliRunner()
    result = runner.invoke(
        app, ["model", "train", "--until", "2024-01-25T00:00", "--json", "-w", str(root)]
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["valid_rows"] > 0
    result = runner.invoke(
        app, ["model", "score", "--from", "2024-01-25T00:00", "--json", "-w", str(root)]
    )
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows and set(rows[0]) == {"txn_id", "score", "label"}
    assert {r["label"] for r in rows} <= {0, 1}
    result = runner.invoke(app, ["model", "train", "--until", "soon", "-w", str(root)])
    assert result.exit_code == 1 and "not an ISO time" in result.stderr
    result = runner.invoke(
        app,
        ["model", "train", "--until", "2024-01-25T00:00", "--causal", "--json", "-w", str(root)],
    )
    assert result.exit_code == 0, result.stderr
    run_id = json.loads(result.stdout)["run_id"]
    with Warehouse(Workspace(root)) as wh:
        metrics = json.loads(
            str(wh.scalar("SELECT metrics FROM model_runs WHERE run_id = ?", [run_id]))
        )
    assert metrics["causal"] is True


def test_scoring_without_a_model_or_training_without_labels_is_refused(tmp_path: Path) -> None:
    ledger = Ledger()
    background(ledger, people=20, days=30)
    with Warehouse(Workspace(tmp_path / "ws").ensure()) as wh:
        ledger.load(wh, tmp_path / "tx.csv")
        with pytest.raises(ScorerError, match="no trained model"):
            score(wh, ledger_start(wh))
        with pytest.raises(ScorerError, match="no positive labels"):
            train(wh, ledger_start(wh) + timedelta(days=40))


def ledger_start(wh: Warehouse) -> datetime:
    start: datetime = wh.scalar("SELECT min(ts) FROM transactions")
    return start
