"""detect on Spark: the same alerts and alert_hits as DuckDB, row for row.

A synthetic world is loaded and mined on both engines (sharing the token key, so
account keys agree) and the whole catalogue detected on each. txn_key may differ
between the engines (see test_ingest_parity); alerts carry txn_ids, so they compare
whole (run ids and timestamps aside).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from moneytrail.cli import app
from moneytrail.detect._hops import hop_pairs
from moneytrail.errors import EngineUnsupportedError
from moneytrail.spark._connection import SparkConnection
from moneytrail.spark._warehouse import SparkWarehouse
from moneytrail.workspace import Workspace

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark


def test_same_alerts_and_hits_as_duckdb(
    detected: tuple[Path, Path, dict[str, object], dict[str, object]],
) -> None:
    duck, on_spark, want, got = detected
    assert got["per_typology"] == want["per_typology"]
    assert got["warnings"] == want["warnings"]
    assert (got["hits"], got["alerts"]) == (want["hits"], want["alerts"])
    fired = [t for t, n in want["per_typology"].items() if n]  # type: ignore[attr-defined]
    assert len(fired) >= 15, fired
    con = duckdb.connect(str(duck / "warehouse.duckdb"), read_only=True)
    wh = on_spark / "spark-warehouse"
    try:
        for table, cols in (("alerts", "* EXCLUDE (run_id)"), ("alert_hits", "*")):
            expected = con.execute(f"SELECT {cols} FROM {table} ORDER BY ALL").fetchall()
            found = con.execute(
                f"SELECT {cols} FROM read_parquet('{wh}/{table}/*.parquet') ORDER BY ALL"
            ).fetchall()
            assert expected, table
            assert found == expected, table
        runs = con.execute(
            f"SELECT run_id, hits, alerts FROM read_parquet('{wh}/detect_runs/*.parquet')"
        ).fetchall()
        assert runs == [(1, want["hits"], want["alerts"])]
    finally:
        con.close()


def test_alerts_lists_the_same_alerts(
    detected: tuple[Path, Path, dict[str, object], dict[str, object]],
) -> None:
    """`moneytrail alerts` on Spark: the gateway's listing (accounts masked) of its tables."""
    duck, on_spark, report, _ = detected

    def listed(ws: Path, engine: str) -> list[dict[str, object]]:
        args = ["--engine", engine, "alerts", "--min-score", "0", "--json", "-w", str(ws)]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        doc: list[dict[str, object]] = json.loads(result.stdout)
        return doc

    want = listed(duck, "duckdb")
    assert len(want) == report["alerts"] > 5
    assert listed(on_spark, "spark") == want


def test_typologies_names_the_same_missing_inputs(
    detected: tuple[Path, Path, dict[str, object], dict[str, object]],
) -> None:
    duck, on_spark, _, _ = detected
    docs = []
    for ws, engine in ((duck, "duckdb"), (on_spark, "spark")):
        args = ["--engine", engine, "typologies", "--json", "-w", str(ws)]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        docs.append(json.loads(result.stdout))
    assert docs[1] == docs[0]
    assert any(t.get("input") for t in docs[0]), "some typology lacks its input"


def random_ledger(rng: np.random.Generator, n: int) -> pa.Table:
    """n transactions among a few accounts, in two currencies, with tied times and nulls."""
    accounts = 12
    payer = rng.integers(0, accounts + 1, n)
    payee = rng.integers(0, accounts + 1, n)
    seconds = np.sort(rng.integers(0, 5 * 86_400, n)) // 600 * 600  # ties: whole 10 minutes
    return pa.table(
        {
            "txn_key": pa.array(rng.permutation(n) + 1, pa.int64()),
            "from_account": pa.array([None if p == 0 else int(p) for p in payer], pa.int64()),
            "to_account": pa.array([None if p == 0 else int(p) for p in payee], pa.int64()),
            "ts": pa.array(
                (np.datetime64("2024-01-01T00:00:00") + seconds.astype("timedelta64[s]")).astype(
                    "datetime64[us]"
                )
            ),
            "amount": pa.array(
                [Decimal(f"{a:.2f}") for a in rng.uniform(1, 1_000, n)], pa.decimal128(18, 2)
            ),
            "currency": pa.array(rng.choice(["USD", "EUR"], n).tolist(), pa.string()),
            "channel": pa.array(rng.choice(["wire", "cash", "ach"], n).tolist(), pa.string()),
        }
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_hop_pairs_on_spark_match_duckdb(tmp_path: Path, spark: SparkSession, seed: int) -> None:
    ledger = random_ledger(np.random.default_rng(seed), 400)
    duck = duckdb.connect()
    duck.register("transactions", ledger)
    con = SparkConnection(SparkWarehouse(Workspace(tmp_path / "ws"), spark), [])
    con.register("transactions", ledger)
    try:
        for seconds, ratio, strict, receipts, payments in [
            (3_600.0, (0.5, 1.0), False, "true", "true"),
            (
                86_400.0,
                (0.1, 2.0),
                True,
                "from_account IS NOT NULL AND from_account <> to_account",
                "to_account IS NOT NULL AND coalesce(channel, '') <> 'cash'",
            ),
        ]:
            args = (seconds, ratio)
            want = hop_pairs(duck, *args, strict=strict, receipts=receipts, payments=payments)
            got = hop_pairs(con, *args, strict=strict, receipts=receipts, payments=payments)  # type: ignore[arg-type]
            assert want.num_rows > 0
            assert sorted(zip(*got.to_pydict().values(), strict=True)) == sorted(
                zip(*want.to_pydict().values(), strict=True)
            )
    finally:
        con.close()
        duck.close()


def test_an_unsupported_construct_refuses_by_name(tmp_path: Path, spark: SparkSession) -> None:
    con = SparkConnection(SparkWarehouse(Workspace(tmp_path / "ws"), spark), ["transactions"])
    with pytest.raises(EngineUnsupportedError, match=r"list\(x ORDER BY keys\) by other keys only"):
        con.execute("SELECT list(txn_id ORDER BY amount DESC) FROM transactions")
    with pytest.raises(EngineUnsupportedError, match="executemany"):
        con.executemany("INSERT INTO alerts VALUES (?)", [[1]])
    with pytest.raises(EngineUnsupportedError, match="UPDATE"):
        con.execute("UPDATE transactions SET amount = 0")
