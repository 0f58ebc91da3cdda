"""The session factory reads its settings from the environment, then the workspace's config."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from moneytrail.errors import EngineError
from moneytrail.spark._session import SparkSettings
from moneytrail.spark._tables import spark_schema
from moneytrail.workspace import Workspace

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@pytest.fixture(autouse=True)
def no_spark_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MASTER", "SHUFFLE_PARTITIONS", "DRIVER_MEMORY"):
        monkeypatch.delenv(f"MONEYTRAIL_SPARK_{name}", raising=False)
    monkeypatch.delenv("PYSPARK_GATEWAY_PORT", raising=False)


def test_defaults_env_and_config(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    assert SparkSettings.of(workspace) == SparkSettings("local[2]", 8, "2g")
    workspace.config_path.write_text(
        "config_version = 1\n[spark]\nmaster = 'spark://head:7077'\nshuffle_partitions = 400\n"
    )
    assert SparkSettings.of(workspace) == SparkSettings("spark://head:7077", 400, "2g")
    monkeypatch.setenv("MONEYTRAIL_SPARK_SHUFFLE_PARTITIONS", "16")
    monkeypatch.setenv("MONEYTRAIL_SPARK_DRIVER_MEMORY", "8g")
    assert SparkSettings.of(workspace) == SparkSettings("spark://head:7077", 16, "8g")


def test_under_spark_submit_its_master_stays(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYSPARK_GATEWAY_PORT", "41234")
    assert SparkSettings.of(workspace) == SparkSettings(None, None, "2g")
    monkeypatch.setenv("MONEYTRAIL_SPARK_SHUFFLE_PARTITIONS", "64")
    assert SparkSettings.of(workspace).shuffle_partitions == 64


def test_bad_settings_are_named(workspace: Workspace) -> None:
    workspace.config_path.write_text("config_version = 1\n[spark]\nmasterr = 'x'\n")
    with pytest.raises(EngineError, match="unknown \\[spark\\] setting\\(s\\) masterr"):
        SparkSettings.of(workspace)
    workspace.config_path.write_text("config_version = 1\n[spark]\nshuffle_partitions = 0\n")
    with pytest.raises(EngineError, match="positive integer"):
        SparkSettings.of(workspace)


def test_table_schemas_follow_the_model() -> None:
    assert spark_schema("quarantine") == (
        "`source_id` INT, `source_row` BIGINT, `file` STRING, `field` STRING, "
        "`reason` STRING, `original` STRING"
    )
    assert "`ts` TIMESTAMP_NTZ" in spark_schema("transactions")
    assert "`amount` DECIMAL(38, 8)" in spark_schema("transactions")


@pytest.mark.spark
def test_session_is_local_in_utc_without_zone(spark: SparkSession) -> None:
    assert spark.sparkContext.master == "local[2]"
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
    assert spark.conf.get("spark.sql.shuffle.partitions") == "8"
    row = spark.sql("SELECT TIMESTAMP '2024-03-31 01:30:00' AS ts").collect()[0]
    assert str(row.ts) == "2024-03-31 01:30:00"
