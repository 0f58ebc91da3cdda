"""A load runs under the workspace's memory limit for loads, and the setting comes back after."""

from __future__ import annotations

from pathlib import Path

import pytest

from moneytrail.errors import FileFormatError
from moneytrail.ingest import IngestOptions, ingest_file
from moneytrail.warehouse import Warehouse
from moneytrail.warehouse._memory import memory_bounded, memory_limit
from moneytrail.workspace import Workspace

OPTIONS = IngestOptions(account="000123456789", bank="021000021")
EXPORT = "Date,Description,Amount,Balance\n03/01/2024,Opening deposit,1000.00,1000.00\n"


def test_the_limit_holds_inside_the_block_and_is_restored_after(warehouse: Warehouse) -> None:
    before = memory_limit(warehouse.con)
    with memory_bounded(warehouse.con, "100MiB"):
        assert memory_limit(warehouse.con) == "100.0 MiB"
    assert memory_limit(warehouse.con) == before
    warehouse.con.execute("SET memory_limit = '3GiB'")
    with pytest.raises(RuntimeError), memory_bounded(warehouse.con, "100MiB"):
        raise RuntimeError
    assert memory_limit(warehouse.con) == "3.0 GiB"


def _limits_seen(wh: Warehouse, path: Path) -> list[str]:
    seen: list[str] = []

    def peek(_bytes: int) -> None:
        seen.append(memory_limit(wh.con.cursor()))

    ingest_file(wh, path, "bank-csv", peek, OPTIONS)
    return seen


def test_a_load_runs_under_the_default_limit(warehouse: Warehouse, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(EXPORT)
    before = memory_limit(warehouse.con)
    assert set(_limits_seen(warehouse, path)) == {"256.0 MiB"}
    assert memory_limit(warehouse.con) == before


def test_the_workspace_config_sets_the_limit(workspace: Workspace, tmp_path: Path) -> None:
    with workspace.config_path.open("a") as fh:
        fh.write('[ingest]\nmemory_limit = "1GB"\n')
    path = tmp_path / "export.csv"
    path.write_text(EXPORT)
    with Warehouse(workspace) as wh:
        assert set(_limits_seen(wh, path)) == {"953.6 MiB"}


def test_a_failed_load_restores_the_limit(warehouse: Warehouse, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("no,header,here\n")
    before = memory_limit(warehouse.con)
    with pytest.raises(FileFormatError):
        ingest_file(warehouse, path, "bank-csv", options=OPTIONS)
    assert memory_limit(warehouse.con) == before
