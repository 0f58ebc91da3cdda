"""aml-csv on Spark: the same tables, rows and quarantine as DuckDB, column for column.

Both workspaces share the token key (as deconflicting agencies do), so account
tokens and keys must agree; vault entries are compared decrypted, since each
workspace encrypts under its own key with fresh nonces.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from moneytrail.cli import app
from moneytrail.engine import ENV_ENGINE
from moneytrail.ingest import IngestOptions
from moneytrail.spark._driver_seeds import LITERALS
from moneytrail.spark._ingest import ingest_file_on_spark
from moneytrail.spark._tables import table_dir
from moneytrail.spark._warehouse import SparkWarehouse
from moneytrail.synth import generate
from moneytrail.workspace import ENV_TOKEN_KEY, Workspace
from tests.spark.conftest import (
    TOKEN_KEY,
    assert_same_vault,
    copy_loaded,
    load,
    load_both,
    rows,
)
from tests.spark.conftest import assert_same_tables as assert_same_tables_of_loads

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark

HEADER = (
    "Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,"
    "Amount Paid,Payment Currency,Payment Format,Is Laundering"
)
ROW = "2024/01/05 10:20,B1,{a},B2,{b},{amt},US Dollar,{amt},US Dollar,Wire,0"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    generate(out, seed=7, transactions=2_000, dirty=True)
    return out


@pytest.fixture(autouse=True)
def shared_token_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_TOKEN_KEY, TOKEN_KEY)
    monkeypatch.delenv(ENV_ENGINE, raising=False)


def edge_file(tmp_path: Path) -> Path:
    """CRLF lines, a BOM, an implausible date, bad UTF-8, a blank row, trailing padding."""
    rows = [
        ROW.format(a="acc-1", b="ACC 2", amt="10.50"),
        # one spelling per account: of two spellings of one (ACC1, acc-1), DuckDB's
        # any_value keeps either for bank_id and masked, Spark the first row's
        ROW.format(a="acc-1", b="acc3", amt="7"),
        "1850/01/05 10:20,B1,ACC9,B2,ACC 2,1.00,US Dollar,1.00,US Dollar,Wire,0",
        "2024/01/06 10:20,B1,\xe9t\xe9,B2,ACC 2,1.00,US Dollar,1.00,US Dollar,Wire,0",
        "",
        ROW.format(a="ACC4", b="ACC5", amt="abc"),
        ROW.format(a="ACC4", b="ACC5", amt="3.25") + "  ",
    ]
    body = "\r\n".join([HEADER, *rows]).encode("utf-8")
    body = body.replace("\xe9".encode(), b"\xe9")  # a Latin-1 byte: not UTF-8
    path = tmp_path / "edge.csv"
    path.write_bytes(b"\xef\xbb\xbf" + body + b"\r\n\r\n  \n")
    return path


@pytest.fixture(scope="module")
def loaded(
    tmp_path_factory: pytest.TempPathFactory, spark: SparkSession, world: Path
) -> tuple[Path, Path]:
    """The world's damaged transactions file, loaded on each engine (one Spark load for
    the tests of this module: it is the slow part)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV_TOKEN_KEY, TOKEN_KEY)
        return load_both(tmp_path_factory.mktemp("dirty"), spark, world / "transactions.dirty.csv")


def assert_same_tables(duck: Path, on_spark: Path) -> None:
    wh = on_spark / "spark-warehouse"
    for table, cols, order in [
        ("transactions", "*", "source_id, source_row"),
        ("accounts", "*", "account_key"),
        ("quarantine", "*", "source_id, source_row, field"),
        ("sources", "* EXCLUDE (loaded_at, path)", "source_id"),
        ("vault", "token, scheme, source_id", "token"),
    ]:
        want = rows(duck, f"SELECT {cols} FROM {table} ORDER BY {order}")
        got = rows(
            duck, f"SELECT {cols} FROM read_parquet('{wh}/{table}/*.parquet') ORDER BY {order}"
        )
        assert got == want, table
    # txn_key (compared above): both engines number a file's valid rows in file order,
    # one key per row, after the keys taken before the load
    for source in (
        f"read_parquet('{wh}/transactions/*.parquet')",
        "transactions",
    ):
        n, distinct, low = rows(
            duck, f"SELECT count(*), count(DISTINCT txn_key), min(txn_key) FROM {source}"
        )[0]
        assert n == distinct and low == 1
    in_order = rows(
        duck,
        f"SELECT bool_and(ok) FROM (SELECT txn_key > lag(txn_key) OVER (ORDER BY source_row) "
        f"OR lag(txn_key) OVER (ORDER BY source_row) IS NULL AS ok "
        f"FROM read_parquet('{wh}/transactions/*.parquet'))",
    )[0][0]
    assert in_order
    # the vault's raw values, decrypted with each workspace's own key
    assert_same_vault(duck, on_spark)


def test_a_world_file_and_its_damaged_copy(loaded: tuple[Path, Path]) -> None:
    duck, on_spark = loaded
    assert_same_tables(duck, on_spark)
    assert rows(duck, "SELECT count(*) FROM quarantine")[0][0] > 0


def test_edge_cases_of_the_layout(tmp_path: Path, spark: SparkSession) -> None:
    duck, on_spark = load_both(tmp_path, spark, edge_file(tmp_path), spark_cli=True)
    assert_same_tables(duck, on_spark)
    fields = rows(duck, "SELECT source_row, field FROM quarantine ORDER BY 1")
    assert fields == [(3, "Timestamp"), (4, "*"), (5, "*"), (6, "Amount Received")]


def test_status_counts_the_same(loaded: tuple[Path, Path]) -> None:
    def status(ws: Path, engine: str) -> dict[str, object]:
        result = CliRunner().invoke(app, ["--engine", engine, "status", "--json", "-w", str(ws)])
        doc: dict[str, object] = json.loads(result.stdout)
        return doc

    duck, on_spark = loaded
    on_duckdb, on_spark_doc = status(duck, "duckdb"), status(on_spark, "spark")
    assert (on_duckdb["engine"], on_spark_doc["engine"]) == ("duckdb", "spark")
    for key in ("tables", "quarantined", "files", "source_issues"):
        assert on_spark_doc[key] == on_duckdb[key], key


def test_quarantine_lists_the_same_rows(loaded: tuple[Path, Path]) -> None:
    """`moneytrail quarantine` on Spark reads its Parquet tables through the gateway."""

    def listed(ws: Path, engine: str, *more: str) -> list[dict[str, object]]:
        args = ["--engine", engine, "quarantine", "--json", "-w", str(ws), *more]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        doc: list[dict[str, object]] = json.loads(result.stdout)
        return doc

    duck, on_spark = loaded
    want = listed(duck, "duckdb")
    assert len(want) > 1
    assert listed(on_spark, "spark") == want
    assert listed(on_spark, "spark", "--limit", "1") == want[:1]


def test_the_same_bytes_add_nothing(
    loaded: tuple[Path, Path], spark: SparkSession, world: Path
) -> None:
    _, on_spark = loaded
    wh = SparkWarehouse(Workspace(on_spark), spark)
    again = ingest_file_on_spark(wh, world / "transactions.dirty.csv", "auto", IngestOptions())
    assert again.already_loaded
    assert (again.rows_read, again.rows_accepted) == rows(
        on_spark.parent / "duck", "SELECT rows_read, rows_accepted FROM sources"
    )[0]


@pytest.mark.parametrize("literals", [LITERALS, 0], ids=["values-in-query", "values-joined"])
def test_a_second_ledger_repeats_and_clashes_alike(
    loaded: tuple[Path, Path],
    spark: SparkSession,
    world: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    literals: int,
) -> None:
    """A second ledger after the world's damaged copy: the clean file's rows, the first
    200 moved a year back (new movements, their ids taken by the copy's rows: every id
    is qualified by the file's name), the rest repeating the copy's movements (kept
    once, listed in repeated_movements), and the rows the copy quarantined new. With
    `literals` 0 the stored rows it meets are found by joins, as for a file of
    millions of rows."""
    monkeypatch.setattr("moneytrail.spark._driver_seeds.LITERALS", literals)
    duck, on_spark = copy_loaded(loaded, tmp_path)
    header, *lines = (world / "transactions.csv").read_text().splitlines()
    moved = [str(int(line[:4]) - 1) + line[4:] for line in lines[:200]]
    second = tmp_path / "ledger-2.csv"
    second.write_text("\n".join([header, *moved, *lines[200:]]) + "\n")
    want, got = load(duck, None, second), load(on_spark, spark, second)
    assert got.as_json() == want.as_json()
    assert "repeated_movements" in want.warning_kinds
    filled = assert_same_tables_of_loads(duck, on_spark)
    assert "repeated_movements" in filled
    assert rows(duck, "SELECT id_prefix FROM sources WHERE source_id = 2") == [("ledger-2.csv:",)]
    assert rows(duck, "SELECT count(*) FROM transactions WHERE source_id = 2") == rows(
        duck, "SELECT 200 + rows_quarantined FROM sources WHERE source_id = 1"
    )


def test_files_of_an_unfinished_load_are_discarded(
    loaded: tuple[Path, Path], spark: SparkSession
) -> None:
    ws = Workspace(loaded[1])
    wh = SparkWarehouse(ws, spark)
    kept = sorted(table_dir(ws, "transactions").glob("*.parquet"))
    orphan = table_dir(ws, "transactions") / "load2-part-00000-cut-off.parquet"
    orphan.write_bytes(kept[0].read_bytes())
    (wh.staging(2) / "vault").mkdir(parents=True)
    wh.discard_unfinished()
    assert sorted(table_dir(ws, "transactions").glob("*.parquet")) == kept
    assert not wh.staging(2).exists()
