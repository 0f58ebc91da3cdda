"""Every command checks the engine: Spark runs what has been ported (every command now),
and refuses a command that is not."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from moneytrail.cli import COMMANDS, app
from moneytrail.engine import ENV_ENGINE, SPARK_COMMANDS, _support, runs_on_spark
from moneytrail.errors import EngineUnavailableError, EngineUnsupportedError


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, list(args), env=env)


@pytest.fixture(autouse=True)
def no_engine_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_ENGINE, raising=False)


def test_status_reports_the_engine_in_force(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    duck = json.loads(invoke("-w", ws, "status", "--json").stdout)
    assert duck["engine"] == "duckdb"
    spark = json.loads(invoke("--engine", "spark", "status", "--json", "-w", ws).stdout)
    assert spark["engine"] == "spark"
    assert spark["warehouse"] == str(tmp_path / "ws" / "spark-warehouse")
    assert set(spark["tables"]) == set(duck["tables"])
    assert spark["tables"]["transactions"] == 0
    (tmp_path / "ws" / "config.toml").write_text(
        "config_version = 1\nengine = 'spark'\n", encoding="utf-8"
    )
    assert json.loads(invoke("-w", ws, "status", "--json").stdout)["engine"] == "spark"


@pytest.fixture
def serve_not_ported(monkeypatch: pytest.MonkeyPatch) -> None:
    """A command left off SPARK_COMMANDS, as a new command not yet ported would be."""
    monkeypatch.setattr(_support, "SPARK_COMMANDS", _support.SPARK_COMMANDS - {"serve"})


@pytest.mark.usefixtures("serve_not_ported")
def test_a_command_not_on_spark_refuses_and_names_itself(tmp_path: Path) -> None:
    result = invoke("--engine", "spark", "-w", str(tmp_path / "ws"), "serve", "--port", "9")
    assert isinstance(result.exception, EngineUnsupportedError)
    assert str(result.exception).startswith(
        "`moneytrail serve` runs on DuckDB only for now, and the engine in force is "
        "spark (from --engine)"
    )
    assert not (tmp_path / "ws").exists(), "nothing ran"


@pytest.mark.usefixtures("serve_not_ported")
def test_the_refusal_names_where_spark_was_chosen(tmp_path: Path) -> None:
    result = invoke("serve", "-w", str(tmp_path / "ws"), env={ENV_ENGINE: "spark"})
    assert isinstance(result.exception, EngineUnsupportedError)
    assert "from $MONEYTRAIL_ENGINE" in str(result.exception)


def test_missing_java_is_named_with_what_to_install(tmp_path: Path) -> None:
    result = invoke(
        "--engine",
        "spark",
        "status",
        "-w",
        str(tmp_path / "ws"),
        env={"JAVA_HOME": str(tmp_path / "no-java"), "PATH": os.environ["PATH"]},
    )
    assert isinstance(result.exception, EngineUnavailableError)
    assert "openjdk-17-jre-headless" in str(result.exception)


def test_every_top_level_command_is_either_ported_or_refused() -> None:
    assert set(COMMANDS) >= {path.split(" ")[0] for path in SPARK_COMMANDS}
    on_spark = {name for name in COMMANDS if runs_on_spark(name)}
    whole = {path for path in SPARK_COMMANDS if " " not in path}
    neutral = {"synth", "login", "logout", "case", "user", "agency", "audit", "deconflict"}
    neutral |= {"profile"}
    assert on_spark == whole | neutral
    assert runs_on_spark("graph features")


def test_commands_off_the_warehouse_run_under_spark(tmp_path: Path) -> None:
    """Cases, the audit chain, deconfliction and mapping profiles never touch the
    analytic warehouse: they run whichever engine is in force, without starting Spark."""
    ws = str(tmp_path / "ws")
    export = tmp_path / "bank.csv"
    export.write_text("Date,Description,Amount\n2024-01-05,RENT,-1200.00\n", encoding="utf-8")
    result = invoke("--engine", "spark", "-w", ws, "profile", "suggest", str(export), "--json")
    assert result.exit_code == 0, result.output
    result = invoke("--engine", "spark", "-w", ws, "audit", "verify", "--json")
    assert result.exit_code == 0, result.output
    # the case store answers (here: who is asking?), not the engine guard
    result = invoke("--engine", "spark", "-w", ws, "case", "list", "--json")
    assert not isinstance(result.exception, EngineUnsupportedError)
    assert "sign in with --as USER" in result.output
    assert not (tmp_path / "ws" / "spark-warehouse").exists()
