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

from moneytrail.spark._tables import table_columns
from tests.spark.conftest import copy_loaded, invoke_ok

pytestmark = [pytest.mark.spark, pytest.mark.usefixtures("cli_env")]


def employers(ws: Path, engine: str, *args: str) -> list[dict[str, Any]]:
    doc: list[dict[str, Any]] = json.loads(invoke_ok(ws, engine, "employers", *args))
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
    # detect's employer typologies read those flags on either engine
    only = [a for t in ("MT-E001", "MT-E002", "MT-E003", "MT-E004") for a in ("--only", t)]
    reports = [
        json.loads(invoke_ok(ws, engine, "detect", *only, "--json"))
        for ws, engine in ((duck, "duckdb"), (on_spark, "spark"))
    ]
    for doc in reports:
        doc.pop("seconds")
    assert reports[1] == reports[0]
    assert reports[0]["hits"] >= 2
    assert json.loads(invoke_ok(on_spark, "spark", "alerts", "--min-score", "0", "--json")) == (
        json.loads(invoke_ok(duck, "duckdb", "alerts", "--min-score", "0", "--json"))
    )
    # a second run replaces the flags whole, as on DuckDB
    employers(on_spark, "spark", "--json", "--check", "SSN_SHARED")
    again = duckdb.sql(
        f"SELECT DISTINCT code FROM read_parquet('{on_spark}/spark-warehouse/employer_flags/*.parquet')"
    ).fetchall()
    assert again == [("SSN_SHARED",)]
