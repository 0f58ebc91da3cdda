"""Shared fixtures: a fresh workspace and warehouse per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "ws").ensure()


@pytest.fixture
def warehouse(workspace: Workspace) -> Iterator[Warehouse]:
    with Warehouse(workspace) as wh:
        yield wh


@pytest.fixture
def workspace_factory(tmp_path_factory: pytest.TempPathFactory) -> Callable[[], Warehouse]:
    """Fresh warehouses on demand, for property tests that need one per example."""

    def make() -> Warehouse:
        return Warehouse(Workspace(tmp_path_factory.mktemp("ws") / "ws").ensure())

    return make
