"""employers on Spark: the same checks, flags and listing as DuckDB.

The world's transactions and its files of records (W-2, 941, FtM) are loaded on each
engine (`records_loaded`); the checks run on a copy of each, and the flags each
stores in employer_flags are compared row for row, the run's time aside.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from moneytrail.cli import app
from moneytrail.engine import ENV_ENGINE
from moneytrail.spark._tables import table_columns
from moneytrail.workspace import ENV_TOKEN_KEY
from tests.spark.conftest import TOKEN_KEY, copy_loaded

pytestmark = pytest.mark.spark


@pytest.fixture(autouse=True)
def shared_token_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_TOKEN_KEY, TOKEN_KEY)
    monkeypatch.delenv(ENV_ENGINE, raising=False)


def employers(ws: Path, engine: str, *args: str) -> list[dict[str, Any]]:
    result = CliRunner().invoke(app, ["--engine", engine, "-w", str(ws), "employers", *args])
    assert result.exit_code == 0, result.output
    doc: list[dict[str, Any]] = json.loads(result.stdout)
    return doc


def test_the_same_flags_as_duckdb(
    tmp_path: Path, records_loaded: tuple[Path, Path, list[Any], list[Any]]
) -> None:
    duck, on_spark = copy_loaded(records_loaded[:2], tmp_path)
    listing = employers(duck, "duckdb", "--json")
    assert employers(on_spark, "spark", "--json") == listing
    assert listing and all("withheld" in x for x in listing), "FTI stays withheld without a case"
    cols = ", ".join(c for c, _ in table_columns("employer_flags") if c != "computed_at")
    con = duckdb.connect(str(duck / "warehouse.duckdb"), read_only=True)
    try:
        want = con.execute(f"SELECT {cols} FROM employer_flags ORDER BY ALL").fetchall()
        parts = [
            str(p) for p in (on_spark / "spark-warehouse" / "employer_flags").glob("*.parquet")
        ]
        got = con.execute(f"SELECT {cols} FROM read_parquet({parts}) ORDER BY ALL").fetchall()
    finally:
        con.close()
    assert len({r[4] for r in want}) >= 3, want  # several checks fired
    assert got == want
    # a second run replaces the flags whole, as on DuckDB
    employers(on_spark, "spark", "--json", "--check", "SSN_SHARED")
    again = duckdb.sql(
        f"SELECT DISTINCT code FROM read_parquet('{on_spark}/spark-warehouse/employer_flags/*.parquet')"
    ).fetchall()
    assert again == [("SSN_SHARED",)]
