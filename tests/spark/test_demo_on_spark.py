"""The demo's stages on Spark: the same stage summaries and the same demo case as DuckDB."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from moneytrail._demo import StageSummary, duckdb_stages, open_demo_case, run_pipeline
from moneytrail.ingest import FileReport
from moneytrail.spark._demo import spark_stages
from moneytrail.spark._warehouse import SparkWarehouse
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import ENV_TOKEN_KEY, Workspace
from tests.spark.conftest import TOKEN_KEY, copy_loaded

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark


def _summaries(stages: list[StageSummary]) -> list[tuple[str, str, str]]:
    # the graph stage's summary names its own run time
    return [(s.stage, s.command, re.sub(r" in [0-9.]+ s$", "", s.summary)) for s in stages]


def test_the_demo_pipeline_gives_the_same_stages_and_case(
    records_loaded: tuple[Path, Path, list[FileReport], list[FileReport]],
    spark: SparkSession,
    parity_world: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV_TOKEN_KEY, TOKEN_KEY)
    duck, on_spark = copy_loaded(records_loaded[:2], tmp_path)
    with Warehouse(Workspace(duck)) as wh:
        want = run_pipeline(duckdb_stages(wh), parity_world)
        want_case = open_demo_case(Workspace(duck), wh.con)
    stages = spark_stages(SparkWarehouse(Workspace(on_spark), spark))
    try:
        got = run_pipeline(stages, parity_world)
        got_case = open_demo_case(Workspace(on_spark), stages.connection())
    finally:
        stages.close()
    assert [s.stage for s in want] == [
        "resolve", "graph", "employers", "contracts", "detect", "trace"
    ]  # fmt: skip
    assert _summaries(got) == _summaries(want)
    assert want_case is not None and got_case is not None
    assert (got_case.case_id, got_case.alert_id, got_case.title, got_case.reveal_ref) == (
        want_case.case_id,
        want_case.alert_id,
        want_case.title,
        want_case.reveal_ref,
    )
