"""Entity resolution with Splink's Spark backend: the same entities, members and links.

Training (EM) on Spark costs minutes on two cores, so the test trains on DuckDB
and gives Spark the saved models, as a second run on the same models would:
what it checks is Spark's blocking, scoring, explanation and the clustering of
its pairs.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pytest
from typer.testing import CliRunner

from moneytrail.cli import app
from moneytrail.engine import ENV_ENGINE
from moneytrail.synth import generate

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark


def run(*args: str) -> None:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output


def test_spark_backend_resolves_the_same_entities(
    tmp_path: Path, spark: SparkSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_ENGINE, raising=False)
    world = tmp_path / "world"
    generate(world, seed=11, transactions=1_000)
    on_duckdb, on_spark = tmp_path / "duck", tmp_path / "spark"
    files = [world / "entities.ftm.json", *sorted((world / "payroll").iterdir())]
    run("-w", str(on_duckdb), "ingest", *map(str, files), "--json")
    shutil.copytree(on_duckdb, on_spark)
    run("-w", str(on_duckdb), "resolve", "--json")
    shutil.copytree(on_duckdb / "resolve", on_spark / "resolve")  # the trained models
    run("-w", str(on_spark), "resolve", "--backend", "spark", "--json")

    con = duckdb.connect()
    con.execute(f"ATTACH '{on_duckdb / 'warehouse.duckdb'}' AS d (READ_ONLY)")
    con.execute(f"ATTACH '{on_spark / 'warehouse.duckdb'}' AS s (READ_ONLY)")

    def same(sql: str) -> None:
        want = con.execute(sql.format(db="d")).fetchall()
        got = con.execute(sql.format(db="s")).fetchall()
        assert got == want
        assert want, "the world gave something to resolve"

    same("SELECT entity_id, kind, members FROM {db}.entities ORDER BY ALL")
    same("SELECT entity_id, kind, member_id FROM {db}.entity_members ORDER BY ALL")
    # weights agree to the last bits of a double (summed in another order on Spark)
    same(
        "SELECT kind, member_l, member_r, rule, round(match_weight, 9), "
        "round(match_probability, 9), linked, fields FROM {db}.entity_links ORDER BY ALL"
    )
    backends = con.execute("SELECT backend FROM s.resolve_runs").fetchall()
    assert backends == [("spark",)]
