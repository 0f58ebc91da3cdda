"""statements gaps on Spark: the same gaps as DuckDB, from the Spark warehouse's
balances, sources and accounts.

Statement files do not load on Spark yet, so the Spark warehouse is given what a DuckDB
load of them wrote: each load's rows of those tables, staged and committed as a load
on Spark commits them (moneytrail.spark._warehouse, `sources` last). The files are two
MT940 statements of one account with a month and a balance between them, and the
camt.053 golden files (a statement of that account in the missing month, statements
of other accounts).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pytest
from typer.testing import CliRunner

from moneytrail.cli import app
from moneytrail.spark._warehouse import SparkWarehouse
from moneytrail.workspace import Workspace
from tests.spark.conftest import invoke_ok

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark

CAMT = Path(__file__).parent.parent / "ingest" / "data" / "camt053"
JANUARY = (
    ":20:JAN\n:25:NL91ABNA0417164300\n:28C:1/1\n:60F:C240101EUR100,00\n"
    ":61:2401150115D10,00NTRFNONREF\n:86:rent\n:62F:C240131EUR90,00\n-\n"
)
APRIL = (
    ":20:APR\n:25:NL91ABNA0417164300\n:28C:4/1\n:60F:C240401EUR75,00\n"
    ":61:2404150415C5,00NTRFNONREF\n:86:refund\n:62F:C240430EUR80,00\n-\n"
)
# what a statement load writes that the gaps are read from
TABLES = ("balances", "accounts", "sources")


def as_spark_loads(duck: Path, on_spark: Path, spark: SparkSession) -> None:
    """The DuckDB warehouse's loads of TABLES, each committed into the Spark warehouse."""
    wh = SparkWarehouse(Workspace(on_spark), spark)
    with duckdb.connect(str(duck / "warehouse.duckdb"), read_only=True) as con:
        loads = [
            int(r[0]) for r in con.execute("SELECT source_id FROM sources ORDER BY 1").fetchall()
        ]
        for source_id in loads:
            for name in TABLES:
                rows = con.sql(f"SELECT * FROM {name} WHERE source_id = {source_id}")
                wh.stage(source_id, name, spark.createDataFrame(rows.to_arrow_table()))
            wh.commit(source_id, list(TABLES))


def gaps(ws: Path, engine: str, *args: str) -> list[dict[str, object]]:
    found: list[dict[str, object]] = json.loads(
        invoke_ok(ws, engine, "statements", "gaps", "--json", *args)
    )
    return found


@pytest.mark.usefixtures("cli_env")
def test_the_same_gaps_as_duckdb(tmp_path: Path, spark: SparkSession) -> None:
    duck, on_spark = tmp_path / "duck", tmp_path / "spark"
    files = [tmp_path / "jan.sta", tmp_path / "apr.sta"]
    for path, text in zip(files, (JANUARY, APRIL), strict=True):
        path.write_text(text, encoding="utf-8")
    files += sorted(CAMT.glob("statement_v*.xml"))
    invoke_ok(duck, "duckdb", "ingest", *map(str, files))
    as_spark_loads(duck, on_spark, spark)
    want = gaps(duck, "duckdb")
    kinds = {(g["account"], g["kind"]) for g in want}
    assert {("****4300", "period_gap"), ("****4300", "balance_break")} <= kinds, want
    assert gaps(on_spark, "spark") == want
    assert gaps(on_spark, "spark", "--min-days", "20") == gaps(duck, "duckdb", "--min-days", "20")
    shown = [
        invoke_ok(ws, e, "statements", "gaps") for e, ws in (("duckdb", duck), ("spark", on_spark))
    ]
    assert shown[1] == shown[0]


@pytest.mark.usefixtures("cli_env")
def test_a_warehouse_without_statements_has_no_gaps(
    parity_loaded: tuple[Path, Path],
) -> None:
    """A file of transactions holds no statements: no gaps on either engine."""
    duck, on_spark = parity_loaded
    assert gaps(duck, "duckdb") == []
    assert gaps(on_spark, "spark") == []


def test_a_workspace_with_nothing_loaded_says_so(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    result = CliRunner().invoke(app, ["--engine", "spark", "-w", str(ws), "statements", "gaps"])
    assert result.exit_code == 1
    assert f"no Spark warehouse in {ws}" in result.output
    assert not (ws / "spark-warehouse").exists()
