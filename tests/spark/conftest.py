"""The Spark session for tests marked `spark`: one local[2] session for the whole run.

Without pyspark or Java the tests are skipped with that reason; under CI (CI set
in the environment) their absence is an error, as for PostgreSQL.

`detected`, a world loaded, mined and detected on both engines, is built once for the
run: detect's parity tests read it, then resolution's resolves it on both engines
(test files run in name order, so detect's see it unresolved).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from moneytrail.cli import app
from moneytrail.engine import require_spark
from moneytrail.errors import EngineUnavailableError
from moneytrail.graph import FeatureParams
from moneytrail.spark._detect import run_detect_on_spark
from moneytrail.spark._graph import mine_on_spark
from moneytrail.spark._session import spark_session
from moneytrail.spark._warehouse import SparkWarehouse
from moneytrail.synth import generate
from moneytrail.workspace import ENV_TOKEN_KEY, Workspace
from tests.spark.test_ingest_parity import TOKEN_KEY, load_both

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    try:
        require_spark()
    except EngineUnavailableError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(exc))

    ws = Workspace(tmp_path_factory.mktemp("spark") / "ws").ensure()
    session = spark_session(ws)
    yield session
    session.stop()


@pytest.fixture(scope="session")
def detected(
    tmp_path_factory: pytest.TempPathFactory, spark: SparkSession
) -> tuple[Path, Path, dict[str, object], dict[str, object]]:
    """A world of 4,000 transactions (most rule typologies fire on it), loaded, mined and
    detected on each engine: (DuckDB workspace, Spark workspace, their reports)."""
    world = tmp_path_factory.mktemp("detect-world")
    generate(world, seed=5, transactions=4_000)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV_TOKEN_KEY, TOKEN_KEY)
        duck, on_spark = load_both(
            tmp_path_factory.mktemp("detect"), spark, world / "transactions.csv"
        )
        for args in (["graph", "features"], ["detect", "--json"]):
            result = CliRunner().invoke(app, ["-w", str(duck), *args])
            assert result.exit_code == 0, result.output
        want = json.loads(result.stdout)
        wh = SparkWarehouse(Workspace(on_spark), spark)
        mine_on_spark(wh, FeatureParams())
        got = run_detect_on_spark(wh).as_json()
    return duck, on_spark, want, got
