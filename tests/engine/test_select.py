"""One place decides the engine: --engine, then $MONEYTRAIL_ENGINE, then config, then duckdb."""

from __future__ import annotations

import pytest

from moneytrail.engine import ENV_ENGINE, resolve_engine
from moneytrail.errors import EngineError
from moneytrail.workspace import Workspace


def configure(ws: Workspace, line: str) -> None:
    ws.config_path.write_text(ws.config_path.read_text(encoding="utf-8") + line + "\n")


def test_default_is_duckdb(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_ENGINE, raising=False)
    choice = resolve_engine(workspace)
    assert (choice.name, choice.origin) == ("duckdb", "default")


def test_precedence_flag_then_env_then_config(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(workspace, 'engine = "spark"')
    monkeypatch.delenv(ENV_ENGINE, raising=False)
    assert resolve_engine(workspace).name == "spark"
    assert resolve_engine(workspace).origin == str(workspace.config_path)
    monkeypatch.setenv(ENV_ENGINE, "duckdb")
    assert resolve_engine(workspace).name == "duckdb"
    assert resolve_engine(workspace, "SPARK").name == "spark"
    assert resolve_engine(workspace, "SPARK").origin == "--engine"


def test_a_missing_workspace_is_not_created_to_read_its_engine(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_ENGINE, raising=False)
    ws = Workspace.resolve(f"{tmp_path}/none")
    assert resolve_engine(ws).name == "duckdb"
    assert not ws.root.exists()


@pytest.mark.parametrize(
    ("flag", "env", "config", "message"),
    [
        ("sparkle", None, None, "--engine: unknown engine 'sparkle'; choose one of duckdb, spark"),
        (None, "pandas", None, "$MONEYTRAIL_ENGINE: unknown engine 'pandas'"),
        (None, None, 'engine = "polars"', "unknown engine 'polars'"),
        (None, None, "engine = 3", "engine must be a string"),
    ],
)
def test_unknown_engines_are_named_with_where_they_came_from(
    workspace: Workspace,
    monkeypatch: pytest.MonkeyPatch,
    flag: str | None,
    env: str | None,
    config: str | None,
    message: str,
) -> None:
    monkeypatch.delenv(ENV_ENGINE, raising=False)
    if env:
        monkeypatch.setenv(ENV_ENGINE, env)
    if config:
        configure(workspace, config)
    with pytest.raises(EngineError, match=message.replace("$", r"\$")):
        resolve_engine(workspace, flag)
