from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from moneytrail.cases import CaseStore
from moneytrail.cli import app
from moneytrail.workspace import Workspace

HEADER = (
    "Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,"
    "Amount Paid,Payment Currency,Payment Format,Is Laundering"
)
ROW = "2022/09/01 00:20,010,8000EBD30,3208,8000F4580,10.00,US Dollar,10.00,US Dollar,Wire,0"


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "tx.csv"
    path.write_text(f"{HEADER}\n{ROW}\n{ROW}\nbroken\n", encoding="utf-8")
    return path


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_ingest_status_quarantine_json(tmp_path: Path, csv_file: Path) -> None:
    ws = str(tmp_path / "ws")
    code, out, _ = invoke("--workspace", ws, "ingest", str(csv_file), "--json")
    assert code == 0
    assert json.loads(out) == {
        "files": [
            {
                "path": str(csv_file),
                "format": "aml-csv",
                "rows_read": 3,
                "rows_accepted": 2,
                "rows_quarantined": 1,
                "already_loaded": False,
                "warnings": [],
            }
        ]
    }
    code, out, _ = invoke("status", "--json", "--workspace", ws)
    doc = json.loads(out)
    assert code == 0 and doc["tables"]["transactions"] == 2 and doc["quarantined"] == 1
    assert doc["tables"]["accounts"] == 2
    code, out, _ = invoke("quarantine", "--json", "-w", ws)
    assert [(q["file"], q["row"], q["field"]) for q in json.loads(out)] == [("tx.csv", 3, "*")]


def test_bad_input_exits_non_zero_with_the_file_named(tmp_path: Path, csv_file: Path) -> None:
    ws = str(tmp_path / "ws")
    missing = tmp_path / "missing.csv"
    code, out, err = invoke("ingest", str(csv_file), str(missing), "--json", "-w", ws)
    assert code == 1
    doc = json.loads(out)
    assert doc["files"][0]["rows_accepted"] == 2  # the good file still loaded
    assert doc["errors"][0]["path"] == str(missing)
    assert "missing.csv" in err and "no such file" in err
    code, _, err = invoke("ingest", str(csv_file), "--format", "nonsense", "-w", ws)
    assert code == 1 and "unknown format" in err


def test_installed_entry_point_and_environment_workspace(tmp_path: Path, csv_file: Path) -> None:
    exe = Path(sys.executable).parent / "moneytrail"
    env = {"MONEYTRAIL_WORKSPACE": str(tmp_path / "envws"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [str(exe), "ingest", str(csv_file), "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["files"][0]["rows_read"] == 3
    assert (tmp_path / "envws" / "warehouse.duckdb").is_file()
    bad = tmp_path / "bad.csv"
    bad.write_text("Timestamp,Nope\n", encoding="utf-8")
    done = subprocess.run(
        [str(exe), "ingest", str(bad), "--format", "aml-csv"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 1
    assert "bad.csv" in done.stderr and "not the aml-csv layout" in done.stderr


def test_synth_then_ingest(tmp_path: Path) -> None:
    code, out, _ = invoke(
        "synth", str(tmp_path / "w"), "--seed", "3", "--transactions", "5000", "--json"
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["transactions"] == 5000 and "transactions.csv" in doc["files"]
    code, out, _ = invoke(
        "ingest", str(tmp_path / "w" / "transactions.csv"), "--json", "-w", str(tmp_path / "ws")
    )
    assert code == 0 and json.loads(out)["files"][0]["rows_quarantined"] == 0


def test_demo_generates_loads_and_runs_every_stage(tmp_path: Path) -> None:
    code, out, err = invoke("demo", "--out", str(tmp_path / "demo"), "--no-serve")
    assert code == 0, err
    assert "transactions.csv" in out and "20,000" in out
    for stage in ("resolve", "graph", "employers", "contracts", "alerts", "trace"):
        assert f"moneytrail {stage}" in out, stage
    ws = str(tmp_path / "demo" / "workspace")
    # A supervisor with a generated password can sign in and sees the demo case.
    found = re.search(
        r"Case (\d+) opened on alert (A-\w+); sign in as (\S+) with password (\S+)", out
    )
    assert found, out
    case_id, alert_id, username, password = found.groups()
    assert len(password) >= 12
    store = CaseStore.open(Workspace(Path(ws)))
    try:
        who = store.authenticate(username, password)
        case = store.get_case(who, int(case_id))
    finally:
        store.close()
    assert [a["alert_id"] for a in case["alerts"]] == [alert_id]
    assert case["subjects"] and case["evidence"]
    assert all(e["table"] == "transactions" for e in case["evidence"])
    # The demo says how to sign in from the CLI; employers (W-2/941: FTI) stay withheld
    # without a case whose legal basis covers them, and say so.
    assert f"moneytrail login {username}" in out
    code, out, _ = invoke("--workspace", ws, "employers", "--json")
    assert code == 0
    (notice,) = json.loads(out)
    assert notice["labels"] == ["fti"] and "GREEN VALLEY" not in out.upper()
    code, out, _ = invoke(
        "--workspace", ws, "login", username, env={"MONEYTRAIL_PASSWORD": password}
    )
    assert code == 0 and username in out
    code, out, _ = invoke("--workspace", ws, "alerts", "--json")
    assert code == 0 and alert_id in out  # read as the signed-in supervisor
    # the case commands act as the signed-in user too, without --as
    code, out, _ = invoke("--workspace", ws, "case", "show", case_id, "--json")
    assert code == 0 and json.loads(out)["alerts"][0]["alert_id"] == alert_id
    code, out, _ = invoke("--workspace", ws, "logout")
    assert code == 0 and "Signed out" in out
    code, _, err = invoke("--workspace", ws, "case", "show", case_id, "--json")
    assert code == 1 and "moneytrail login" in err
    code, out, _ = invoke("--workspace", ws, "entities", "--json")
    assert code == 0
    kinds = {e["kind"] for e in json.loads(out)}
    assert kinds == {"person", "company", "account", "address", "bank"}


def test_a_spark_demo_workspace_keeps_to_spark(tmp_path: Path) -> None:
    """The commands the demo prints run on the warehouse it filled: its workspace's
    config.toml names Spark, before any table, and an engine already named stays."""
    from moneytrail._demo_command import _keep_to_spark  # noqa: PLC0415

    ws = Workspace(tmp_path / "ws").ensure()
    ws.config_path.write_text('config_version = 1\n\n[spark]\ndriver_memory = "2g"\n', "utf-8")
    _keep_to_spark(ws)
    assert ws.config() == {"config_version": 1, "engine": "spark", "spark": {"driver_memory": "2g"}}
    other = Workspace(tmp_path / "other").ensure()
    other.config_path.write_text('config_version = 1\nengine = "duckdb"\n', "utf-8")
    _keep_to_spark(other)
    assert other.config()["engine"] == "duckdb"
