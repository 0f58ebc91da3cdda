"""Choices made on the validation slice only: test labels never reach training, runs repeat."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from moneytrail.cli import app
from moneytrail.detect import _scorer, _select
from moneytrail.detect._model_report import calibration, pr_curve
from moneytrail.detect._scorer import score, train
from moneytrail.ingest import ingest_file
from moneytrail.synth import generate
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace

GRID = ((), ("1d", "7d", "30d"))  # two candidate sets keep the test quick


def _split_times(csv_path: Path) -> tuple[datetime, datetime]:
    with csv_path.open(newline="") as fh:
        stamps = [row[0] for row in csv.reader(fh)][1:]
    n = len(stamps)

    def at(i: int) -> datetime:
        return datetime.strptime(stamps[i], "%Y/%m/%d %H:%M")

    return at(int(0.6 * n)), at(int(0.8 * n))


def _zeroed_copy(src: Path, dst: Path, test_from: datetime) -> int:
    """The file with 'Is Laundering' set to 0 from test_from on; how many labels it cleared."""
    cleared = 0
    with src.open(newline="") as fin, dst.open("w", newline="") as fout:
        rows, out = csv.reader(fin), csv.writer(fout)
        out.writerow(next(rows))
        for row in rows:
            if datetime.strptime(row[0], "%Y/%m/%d %H:%M") >= test_from and row[-1] == "1":
                row[-1] = "0"
                cleared += 1
            out.writerow(row)
    return cleared


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, datetime, datetime]:
    root = tmp_path_factory.mktemp("select")
    generate(root / "world", seed=5, transactions=20_000)
    original = root / "world" / "transactions.csv"
    valid_from, test_from = _split_times(original)
    zeroed = root / "zeroed.csv"
    assert _zeroed_copy(original, zeroed, test_from) > 0
    for name, path in (("labelled", original), ("zeroed", zeroed)):
        with Warehouse(Workspace(root / name).ensure()) as wh:
            ingest_file(wh, path)
    return root / "world", root / "labelled", root / "zeroed", valid_from, test_from


def _train_and_score(ws: Path, valid_from: datetime, test_from: datetime) -> tuple[dict, list]:  # type: ignore[type-arg]
    with Warehouse(Workspace(ws)) as wh:
        report = train(wh, test_from, valid_from=valid_from)
        rows = score(wh, test_from)
    return report.as_json(), [(r["txn_id"], r["score"]) for r in rows]


def _figures(tried: list[dict]) -> list[dict]:  # type: ignore[type-arg]
    return [{k: v for k, v in c.items() if k != "seconds"} for c in tried]


def test_test_labels_never_reach_training_and_a_rerun_repeats(
    worlds: tuple[Path, Path, Path, datetime, datetime], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, labelled, zeroed, valid_from, test_from = worlds
    monkeypatch.setattr(_select, "SCALE_SETS", GRID)
    monkeypatch.setattr(_scorer, "CANDIDATES", _scorer.CANDIDATES[:2])
    monkeypatch.setitem(_scorer.PARAMS, "learning_rate", 0.2)  # fewer rounds, same logic
    with_labels, scores = _train_and_score(labelled, valid_from, test_from)
    without, scores_zeroed = _train_and_score(zeroed, valid_from, test_from)
    again, scores_again = _train_and_score(labelled, valid_from, test_from)
    assert scores and scores == scores_zeroed == scores_again
    for a in (without, again):
        for key in ("threshold", "f1", "scales", "params", "train_rows", "valid_rows"):
            assert a[key] == with_labels[key], key
        assert _figures(a["tried"]) == _figures(with_labels["tried"])
    # every candidate was fitted and recorded, and the kept one has the best validation F1
    assert [c["scales"] for c in with_labels["tried"][: len(GRID)]] == [list(s) for s in GRID]
    assert with_labels["f1"] == max(c["f1"] for c in with_labels["tried"])
    text = (labelled / "models" / "scorer-1.txt").read_text()
    assert text == (zeroed / "models" / "scorer-1.txt").read_text()


def test_model_report_grades_by_pattern_and_draws(
    worlds: tuple[Path, Path, Path, datetime, datetime],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    world, _, zeroed, valid_from, test_from = worlds
    monkeypatch.setattr(_select, "SCALE_SETS", GRID)
    monkeypatch.setattr(_scorer, "CANDIDATES", _scorer.CANDIDATES[:1])
    monkeypatch.setitem(_scorer.PARAMS, "learning_rate", 0.2)
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "model", "train", "--until", test_from.isoformat(), "--valid-from",
            valid_from.isoformat(), "-w", str(zeroed),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "(kept)" in result.stdout and "Tried on the validation slice" in result.stdout
    result = runner.invoke(
        app, ["model", "score", "--from", test_from.isoformat(), "-w", str(zeroed)]
    )
    assert result.exit_code == 0, result.stderr
    png = tmp_path / "png"
    result = runner.invoke(
        app,
        [
            "model",
            "report",
            "--patterns",
            str(world),
            "--png",
            str(png),
            "--json",
            "-w",
            str(zeroed),
        ],
    )
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["positives"] > 0 and doc["by_pattern"]
    assert sum(m["rows"] for m in doc["by_pattern"].values()) == doc["positives"]
    assert sum(m["found"] for m in doc["by_pattern"].values()) == doc["tp"]
    assert doc["selection"] and doc["chosen"]["valid_f1"] > 0
    for name in ("precision_recall.png", "calibration.png"):
        assert (png / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the zeroed copy's own labels say nothing of the test slice
    result = runner.invoke(app, ["model", "report", "--json", "-w", str(zeroed)])
    assert json.loads(result.stdout)["positives"] == 0
    result = runner.invoke(app, ["model", "report", "--patterns", str(tmp_path), "-w", str(zeroed)])
    assert result.exit_code == 1 and "no such patterns file" in result.stderr


def test_curves_against_brute_force() -> None:
    rng = np.random.default_rng(4)
    score_ = np.round(rng.random(400), 2)
    y = (rng.random(400) < score_).astype(np.int8)
    precision, recall, ap = pr_curve(score_, y)
    for k, t in enumerate(np.unique(score_)[::-1]):
        pred = score_ >= t
        assert precision[k] == pytest.approx(np.sum(pred & (y == 1)) / pred.sum())
        assert recall[k] == pytest.approx(np.sum(pred & (y == 1)) / y.sum())
    assert 0.5 < ap <= 1.0
    bins = calibration(score_, y)
    assert sum(b["count"] for b in bins) == len(y)
    assert all(b["lo"] <= b["mean_score"] <= b["hi"] for b in bins)
