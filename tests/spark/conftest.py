"""The Spark session for tests marked `spark`: one local[2] session for the whole run.

Without pyspark or Java the tests are skipped with that reason; under CI (CI set
in the environment) their absence is an error, as for PostgreSQL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from moneytrail.engine import require_spark
from moneytrail.errors import EngineUnavailableError
from moneytrail.spark._session import spark_session
from moneytrail.workspace import Workspace

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
