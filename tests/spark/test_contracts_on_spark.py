"""contracts on Spark: the same procurement findings, stored the same way, as DuckDB.

The world's transactions and files of records (its OCDS releases among them) are
loaded on each engine (`records_loaded`); Cardinal's flags are stored and the
typologies run on a copy of each, and what each stores in contract_findings is
compared row for row, the run's time aside.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from moneytrail.cli import app
from moneytrail.contracts._links import _norm, _norm_address, install_sql
from moneytrail.spark._connection import SparkConnection
from moneytrail.spark._tables import table_columns
from moneytrail.spark._warehouse import SparkWarehouse
from moneytrail.workspace import Workspace
from tests.spark.conftest import copy_loaded, invoke_ok

pytestmark = [pytest.mark.spark, pytest.mark.usefixtures("cli_env")]


def findings(ws: Path, engine: str, *args: str) -> list[dict[str, Any]]:
    doc = json.loads(invoke_ok(ws, engine, "contracts", "findings", "--json", *args))
    rows: list[dict[str, Any]] = doc["findings"]
    for row in rows:
        assert row.pop("found_at").endswith("+00:00"), row  # a time in UTC, on either engine
    return rows


def stored(duck: Path, on_spark: Path) -> tuple[list[Any], list[Any]]:
    """contract_findings as each engine stored it, the run's time aside."""
    cols = ", ".join(c for c, _ in table_columns("contract_findings") if c != "found_at")
    parts = [str(p) for p in (on_spark / "spark-warehouse" / "contract_findings").glob("*.parquet")]
    con = duckdb.connect(str(duck / "warehouse.duckdb"), read_only=True)
    try:
        want = con.execute(f"SELECT {cols} FROM contract_findings ORDER BY ALL").fetchall()
        got = con.execute(f"SELECT {cols} FROM read_parquet({parts}) ORDER BY ALL").fetchall()
    finally:
        con.close()
    return want, got


def test_the_same_findings_as_duckdb(
    tmp_path: Path, records_loaded: tuple[Path, Path, list[Any], list[Any]], parity_world: Path
) -> None:
    duck, on_spark = copy_loaded(records_loaded[:2], tmp_path)
    releases = str(parity_world / "ocds" / "releases.jsonl")
    flags = [
        json.loads(invoke_ok(ws, engine, "contracts", "flags", releases, "--store", "--json"))
        for ws, engine in ((duck, "duckdb"), (on_spark, "spark"))
    ]
    assert flags[1] == flags[0]
    listing = findings(duck, "duckdb")
    assert findings(on_spark, "spark") == listing
    codes = {row["code"] for row in listing}
    # split purchases, single source, near estimate, a vendor tied to the official
    assert codes >= {"MT-P001", "MT-P002", "MT-P003", "MT-P004"}, codes
    assert any(c.startswith("R") for c in codes), codes  # Cardinal's, stored before, kept
    want, got = stored(duck, on_spark)
    assert got == want
    assert len(want) == len(listing)
    # listing only, one code, and a parameter override: the same on both engines
    for args in (["--no-run", "--code", "MT-P001"], ["-p", "MT-P001.min_awards=2"]):
        assert findings(on_spark, "spark", *args) == findings(duck, "duckdb", *args)
    want, got = stored(duck, on_spark)
    assert got == want
    # detect's procurement typologies read those findings on either engine
    reports = [
        json.loads(invoke_ok(ws, engine, "detect", "--only", "MT-P001", "--json"))
        for ws, engine in ((duck, "duckdb"), (on_spark, "spark"))
    ]
    for doc in reports:
        doc.pop("seconds")
    assert reports[1] == reports[0]


def test_an_unknown_typology_is_refused_before_anything_runs(
    tmp_path: Path, records_loaded: tuple[Path, Path, list[Any], list[Any]]
) -> None:
    _, on_spark = copy_loaded(records_loaded[:2], tmp_path)
    args = ["--engine", "spark", "-w", str(on_spark), "contracts", "findings", "-p", "MT-X9.a=1"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code != 0
    assert "MT-X9" in result.output and "unknown typology" in result.output
    assert not (on_spark / "spark-warehouse" / "contract_findings").exists()


NAMES = (
    "Acme Paving LLC",
    "  acme   paving, l.l.c. ",
    "Zoë Müller-Ñúñez",
    "Straße 12, München, Deutschland",
    "12 Elm St., Springfield, IL 62701, United States of America",
    "12 ELM ST SPRINGFIELD IL 62701 USA",
    "İstanbul Ticaret A.Ş.",
    "Ørsted Æble ﬁrma",
    "北京建筑有限公司",
    "Ђорђе Петровић",
    "",
    None,
)


def test_names_normalise_alike_on_both_engines(tmp_path: Path, spark: Any) -> None:
    sql = f"SELECT name, {_norm('name')}, {_norm_address('name')} FROM names ORDER BY name"
    values = ", ".join("(NULL)" if n is None else "('" + n.replace("'", "''") + "')" for n in NAMES)
    make = f"CREATE OR REPLACE TEMP VIEW names AS SELECT * FROM (VALUES {values}) AS t(name)"
    duck = duckdb.connect()
    install_sql(duck)
    duck.execute(make)
    want = duck.execute(sql).fetchall()
    con = SparkConnection(SparkWarehouse(Workspace(tmp_path / "ws"), spark), [])
    try:
        install_sql(con)  # type: ignore[arg-type]
        con.execute(make)
        got = con.execute(sql).fetchall()
    finally:
        con.close()
    assert got == want
    assert ("Zoë Müller-Ñúñez", "ZOE MULLER NUNEZ", "ZOE MULLER NUNEZ") in want
    assert want[-1] == (None, None, None)
