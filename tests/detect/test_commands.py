"""The detect, alerts, eval and typologies commands."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from typer.testing import CliRunner

from moneytrail.cli import app
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace
from tests.detect.ledger import Ledger, background


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _workspace(tmp_path: Path) -> str:
    ledger = Ledger()
    for d in (1, 3, 5):
        ledger.pay(timedelta(days=d, hours=10), "BRANCH1", "HOARD", "7777.77", "cash")
    background(ledger, days=8)
    with Warehouse(Workspace(tmp_path / "ws").ensure()) as wh:
        ledger.load(wh, tmp_path / "tx.csv")
    return str(tmp_path / "ws")


def test_detect_then_alerts_json(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    code, out, err = _invoke("detect", "--json", "-w", ws)
    assert code == 0
    run = json.loads(out)
    assert run["per_typology"]["MT-S002"] == 1
    assert "employer checks" in err
    code, out, _ = _invoke("alerts", "--json", "--workspace", ws)
    (alert,) = json.loads(out)
    assert alert["typology"] == "MT-S002"
    assert len(alert["evidence"]) == 3
    assert "7,777.77" in alert["reason"]
    code, out, _ = _invoke("alerts", "-w", ws)
    assert code == 0 and "MT-S002" in out


def test_parameters_from_the_command_line(tmp_path: Path) -> None:
    path = _workspace(tmp_path)
    code, out, _ = _invoke("-w", path, "detect", "--json", "-p", "MT-S002.min_count=4")
    assert code == 0 and json.loads(out)["per_typology"]["MT-S002"] == 0
    code, _, err = _invoke("-w", path, "detect", "-p", "MT-S002.min_count=four")
    assert code == 1 and "'four' is not a int" in err


def test_typologies_lists_the_catalogue(tmp_path: Path) -> None:
    code, out, _ = _invoke("typologies", "--json", "-w", str(tmp_path / "ws"))
    assert code == 0
    entries = json.loads(out)
    assert {e["id"] for e in entries} >= {"MT-L001", "MT-T001", "MT-E001"}
    assert all(e["source"] and e["params"] for e in entries)


def test_eval_refuses_a_directory_without_truth(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    code, _, err = _invoke("eval", "--truth", str(tmp_path), "-w", ws)
    assert code == 1 and "missing cases.csv" in err


def test_eval_shows_the_honest_look_alikes(tmp_path: Path) -> None:
    world, ws = tmp_path / "world", str(tmp_path / "ws")
    for args in (
        ("synth", str(world), "--seed", "5", "-n", "5000", "--json"),
        ("ingest", str(world / "transactions.csv"), "--json", "-w", ws),
        ("graph", "features", "--json", "-w", ws),
        ("detect", "--json", "-w", ws),
    ):
        assert _invoke(*args)[0] == 0, args
    code, out, _ = _invoke("eval", "--truth", str(world), "-w", ws)
    assert code == 0
    assert "Honest look-alikes in an alert" in out and "remittance_sender" in out
    code, out, _ = _invoke("eval", "--truth", str(world), "--json", "-w", ws)
    look = json.loads(out)["look_alikes"]
    assert set(look["by_category"]) == {
        "payroll_processor",
        "restaurant_chain",
        "hotel",
        "landlord",
        "online_ads",
        "remittance_sender",
    }
    assert 0 <= look["flagged"] <= look["accounts"]
