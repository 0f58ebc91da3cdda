from __future__ import annotations

from pathlib import Path

import pytest

from moneytrail.errors import WorkspaceError
from moneytrail.workspace import DEFAULT_LOAD_MEMORY, ENV_TOKEN_KEY, ENV_WORKSPACE, Workspace


def test_resolve_prefers_argument_then_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(ENV_WORKSPACE, str(tmp_path / "env"))
    assert Workspace.resolve(tmp_path / "arg").root == tmp_path / "arg"
    assert Workspace.resolve().root == tmp_path / "env"
    monkeypatch.delenv(ENV_WORKSPACE)
    monkeypatch.chdir(tmp_path)
    assert Workspace.resolve().root == tmp_path / "moneytrail-workspace"


def test_keys_are_created_once_private_and_kept(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws").ensure()
    key = ws.token_key()
    assert key == ws.token_key() and len(key) == 32
    assert (ws.root / "keys" / "token.key").stat().st_mode & 0o777 == 0o600
    assert ws.vault_key() != key


def test_shared_token_key_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws").ensure()
    monkeypatch.setenv(ENV_TOKEN_KEY, "ab" * 32)
    assert ws.token_key() == bytes([0xAB]) * 32
    monkeypatch.setenv(ENV_TOKEN_KEY, "zz")
    with pytest.raises(WorkspaceError, match="hex"):
        ws.token_key()


def test_refuses_to_take_over_a_foreign_directory(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "thesis.txt").write_text("precious")
    with pytest.raises(WorkspaceError, match="non-empty directory"):
        Workspace(tmp_path / "docs").ensure()
    (tmp_path / "file").write_text("x")
    with pytest.raises(WorkspaceError, match="is a file"):
        Workspace(tmp_path / "file").ensure()


def test_broken_config_is_reported(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws").ensure()
    ws.config_path.write_text("config_version = [", encoding="utf-8")
    with pytest.raises(WorkspaceError, match="cannot read"):
        ws.ensure()


def test_load_memory_limit_defaults_and_is_checked(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws").ensure()
    assert ws.load_memory_limit() == DEFAULT_LOAD_MEMORY
    with ws.config_path.open("a") as fh:
        fh.write('[ingest]\nmemory_limit = "2 GB"\n')
    assert ws.load_memory_limit() == "2 GB"
    ws.config_path.write_text('config_version = 1\n[ingest]\nmemory_limit = "lots"\n')
    with pytest.raises(WorkspaceError, match=r"\[ingest\] memory_limit must be a size"):
        ws.load_memory_limit()
