"""A small synthetic world, generated once for the resolve tests."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pytest

from moneytrail.ingest import ingest_file
from moneytrail.synth import generate
from moneytrail.warehouse import Warehouse


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    generate(out, seed=3, transactions=2_000)
    return out


@pytest.fixture(scope="session")
def truth(world: Path) -> pa.Table:
    with (world / "truth" / "entities.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return pa.table(
        {"member_id": [r["record_id"] for r in rows], "entity": [r["entity_id"] for r in rows]}
    )


def load_ftm(wh: Warehouse, path: Path) -> None:
    report = ingest_file(wh, path, "ftm")
    assert report.rows_quarantined == 0


def members(wh: Warehouse) -> dict[str, str]:
    """member_id -> entity_id of every resolved record."""
    return dict(wh.con.execute("SELECT member_id, entity_id FROM entity_members").fetchall())


def clusters(wh: Warehouse) -> pa.Table:
    return wh.con.sql("SELECT member_id, entity_id AS cluster FROM entity_members").to_arrow_table()
