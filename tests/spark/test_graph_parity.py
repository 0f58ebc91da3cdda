"""graph features on Spark: the same txn_features and account_features as DuckDB.

A synthetic world is loaded on both engines (sharing the token key, so account
keys agree) and mined on each; Spark's time blocks are made small enough that
their borders fall inside every window, down to blocks much shorter than the
widest window, so each block's halo must carry the earlier edges exactly.
txn_features are compared by txn_id, the id a user sees, not by the warehouse's
internal txn_key.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pytest
from typer.testing import CliRunner

from moneytrail.cli import app
from moneytrail.engine import ENV_ENGINE
from moneytrail.errors import EngineUnsupportedError
from moneytrail.graph import FeatureParams, MiningReport
from moneytrail.spark._graph import mine_on_spark
from moneytrail.spark._warehouse import SparkWarehouse
from moneytrail.workspace import ENV_TOKEN_KEY, Workspace
from tests.spark.conftest import TOKEN_KEY, copy_loaded

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark

TXN_SQL = """
SELECT t.txn_id, f.* EXCLUDE (txn_key, run_id)
FROM {features} f JOIN {transactions} t USING (txn_key)
ORDER BY t.txn_id, f.window_s
"""
ACCOUNT_SQL = "SELECT * EXCLUDE (run_id) FROM {accounts} ORDER BY account_key"


@pytest.fixture(autouse=True)
def shared_token_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_TOKEN_KEY, TOKEN_KEY)
    monkeypatch.delenv(ENV_ENGINE, raising=False)


@pytest.fixture(scope="module")
def loaded(
    tmp_path_factory: pytest.TempPathFactory, parity_loaded: tuple[Path, Path]
) -> tuple[Path, Path]:
    """A world of about 3,000 transactions over five weeks, on each engine (this module's
    own copy of the shared load: its tests mine it again and again)."""
    return copy_loaded(parity_loaded, tmp_path_factory.mktemp("graph"))


def on_duckdb(duck: Path, *args: str) -> MiningReport:
    result = CliRunner().invoke(app, ["-w", str(duck), "graph", "features", "--json", *args])
    assert result.exit_code == 0, result.output
    return MiningReport(**{**json.loads(result.stdout), "windows": ()})


def tables(duck: Path, on_spark: Path) -> tuple[list[object], list[object]]:
    """(DuckDB's, Spark's) rows of txn_features by txn_id, then of account_features."""
    con = duckdb.connect(str(duck / "warehouse.duckdb"), read_only=True)
    wh = on_spark / "spark-warehouse"

    def parquet(name: str) -> str:
        return f"read_parquet('{wh}/{name}/*.parquet')"

    try:
        want = [
            con.execute(
                TXN_SQL.format(features="txn_features", transactions="transactions")
            ).fetchall(),
            con.execute(ACCOUNT_SQL.format(accounts="account_features")).fetchall(),
        ]
        got = [
            con.execute(
                TXN_SQL.format(
                    features=parquet("txn_features"), transactions=parquet("transactions")
                )
            ).fetchall(),
            con.execute(ACCOUNT_SQL.format(accounts=parquet("account_features"))).fetchall(),
        ]
    finally:
        con.close()
    return want, got


def same_counts(spark_report: MiningReport, duck_report: MiningReport) -> None:
    for field in ("mode", "edges", "edges_mined", "accounts", "txn_rows"):
        assert getattr(spark_report, field) == getattr(duck_report, field), field


@pytest.mark.parametrize(
    ("block_edges", "args", "params"),
    [
        # one block: no border at all
        (10**9, [], FeatureParams()),
        # about 3 days a block, inside the 1-week window; ~40 blocks of 80 edges
        (300, [], FeatureParams()),
        (80, [], FeatureParams()),
        # other windows and families, shorter cycles; a border every few hours
        (
            25,
            [
                "--windows",
                "2h,3d",
                "--patterns",
                "fan,temporal_cycle,simple_cycle,pass_through",
                "--cycle-len",
                "4",
                "--threshold",
                "500",
            ],
            FeatureParams(
                windows=(7_200, 3 * 86_400),
                patterns=frozenset({"fan", "temporal_cycle", "simple_cycle", "pass_through"}),
                cycle_len=4,
                threshold=Decimal(500),
            ),
        ),
    ],
)
def test_features_match_duckdb_across_block_borders(
    loaded: tuple[Path, Path],
    spark: SparkSession,
    block_edges: int,
    args: list[str],
    params: FeatureParams,
) -> None:
    duck, on_spark = loaded
    want_report = on_duckdb(duck, "--full", *args)
    wh = SparkWarehouse(Workspace(on_spark), spark)
    report = mine_on_spark(wh, params, full=True, block_edges=block_edges)
    same_counts(report, want_report)
    want, got = tables(duck, on_spark)
    assert len(got[0]) == report.txn_rows > 0
    assert got[0] == want[0], "txn_features"
    assert got[1] == want[1], "account_features"
    nonzero = {i for row in got[0] for i, value in enumerate(row[2:]) if value}
    assert len(nonzero) >= 3, "the world gives features other than zero"


def test_the_command_runs_on_spark_and_adds_windows_as_duckdb_does(
    loaded: tuple[Path, Path], spark: SparkSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    duck, on_spark = loaded
    monkeypatch.setenv("MONEYTRAIL_SPARK_GRAPH_BLOCK_EDGES", "150")
    runner = CliRunner()
    for args in (["--full", "--windows", "1h,1d"], ["--windows", "1h,1d,6h"], ["--windows", "1h"]):
        want = on_duckdb(duck, *args)
        result = runner.invoke(
            app, ["--engine", "spark", "-w", str(on_spark), "graph", "features", "--json", *args]
        )
        assert result.exit_code == 0, result.output
        got = MiningReport(**{**json.loads(result.stdout), "windows": ()})
        same_counts(got, want)
        want_rows, got_rows = tables(duck, on_spark)
        assert got_rows == want_rows, args
    # the last run had nothing to mine: incremental, as on DuckDB
    assert (got.mode, got.edges_mined) == ("incremental", 0)
    runs = spark.read.parquet(str(on_spark / "spark-warehouse" / "graph_runs"))
    assert sorted(r["mode"] for r in runs.collect()).count("incremental") >= 1


def test_an_option_spark_cannot_honour_is_refused_by_name(loaded: tuple[Path, Path]) -> None:
    _, on_spark = loaded
    result = CliRunner().invoke(
        app, ["--engine", "spark", "-w", str(on_spark), "graph", "features", "--threads", "2"]
    )
    assert isinstance(result.exception, EngineUnsupportedError)
    assert "`graph features --threads`" in str(result.exception)
    assert "graph_block_edges" in str(result.exception)


def test_status_counts_the_feature_tables_on_both_engines(loaded: tuple[Path, Path]) -> None:
    def derived(ws: Path, engine: str) -> dict[str, int]:
        result = CliRunner().invoke(app, ["--engine", engine, "status", "--json", "-w", str(ws)])
        counts: dict[str, int] = json.loads(result.stdout)["derived"]
        return counts

    duck, on_spark = loaded
    on_duckdb = derived(duck, "duckdb")
    assert derived(on_spark, "spark") == on_duckdb
    graph = {"graph_runs", "txn_features", "account_features"}
    assert set(on_duckdb) >= graph
    assert all(on_duckdb[name] for name in graph)
