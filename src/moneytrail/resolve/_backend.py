"""The seam between entity resolution and the engine Splink runs on.

DuckDB: Splink works in a private in-memory DuckDB database, so its scratch
tables never land in the warehouse file. Spark: Splink's SparkAPI on the
process's Spark session (moneytrail.spark), its scratch tables written under the
session's checkpoint directory. Either way records go in as Arrow tables and
scored pairs come back as Arrow tables; the SQL moneytrail runs beside Splink's
(`run_sql`) is written once in DuckDB's dialect and rendered for Spark.
"""

from __future__ import annotations

import os
from typing import Any

import duckdb
import pyarrow as pa
from splink.internals.database_api import DatabaseAPI
from splink.internals.duckdb.database_api import DuckDBAPI

from moneytrail.errors import ResolveBackendError
from moneytrail.resolve._models import KindModel

BACKENDS = ("duckdb", "spark")


def database_api(backend: str) -> DatabaseAPI[object]:
    """A fresh Splink database API for `backend`."""
    if backend == "duckdb":
        con = duckdb.connect(":memory:")
        con.execute(f"SET threads = {max(1, os.cpu_count() or 1)}")
        con.execute("SET enable_progress_bar = false")
        return DuckDBAPI(con)  # type: ignore[return-value]
    if backend == "spark":
        from splink.backends.spark import SparkAPI  # noqa: PLC0415 - pyspark is optional

        from moneytrail.spark._session import spark_session  # noqa: PLC0415

        session = spark_session()
        partitions = int(session.conf.get("spark.sql.shuffle.partitions") or 8)
        local = str(session.sparkContext.master).startswith("local")
        api = SparkAPI(  # type: ignore[no-untyped-call]
            spark_session=session,
            num_partitions_on_repartition=partitions,
            # Splink cuts each intermediate table's lineage: in memory on one machine,
            # as Parquet under the checkpoint directory on a cluster (its default)
            break_lineage_method="persist" if local else "parquet",
        )
        register_duckdb_names(session)
        return api  # type: ignore[return-value]
    raise ResolveBackendError(
        f"unknown entity-resolution backend {backend!r}; choose one of {', '.join(BACKENDS)}"
    )


def register_duckdb_names(session: object) -> None:
    """DuckDB's names for the similarity functions of Splink's jar.

    The models' custom levels are written in DuckDB's dialect; sqlglot renders
    jaro_winkler_similarity as Spark's JAROWINKLER_SIMILARITY, which Spark lacks.
    """
    from pyspark.sql.types import DoubleType  # noqa: PLC0415

    register = session.udf.registerJavaFunction  # type: ignore[attr-defined]
    for name, java_class in (
        ("jarowinkler_similarity", "uk.gov.moj.dash.linkage.JaroWinklerSimilarity"),
        ("jaro_similarity", "uk.gov.moj.dash.linkage.JaroSimilarity"),
    ):
        register(name, java_class, DoubleType())


_PARAMETERS = ("m_probability", "u_probability")


def settings_for(model: KindModel, saved: dict[str, Any] | None, backend: str) -> Any:
    """The Splink settings to build a linker with on `backend`.

    Saved models are kept in DuckDB's dialect, whichever backend trained them
    (see `portable`), so that one model serves both. For Spark, the levels'
    SQL is the model's declaration rendered by Splink for Spark, and the trained
    parameters are taken from the saved model level by level.
    """
    if saved is None:
        return model.settings()
    if backend == "duckdb":
        return saved
    return _with_parameters(model, saved, "spark")


def portable(model: KindModel, trained: dict[str, Any], backend: str) -> dict[str, Any]:
    """A model trained on `backend`, as it is saved: in DuckDB's dialect."""
    if backend == "duckdb":
        return trained
    return _with_parameters(model, trained, "duckdb")


def _with_parameters(model: KindModel, source: dict[str, Any], dialect: str) -> dict[str, Any]:
    rendered: dict[str, Any] = model.settings().get_settings(dialect).as_dict()  # type: ignore[no-untyped-call]
    if len(rendered["comparisons"]) != len(source["comparisons"]):
        raise ResolveBackendError(
            f"the saved {model.kind} model compares other fields than the model declares"
        )
    for target, origin in zip(rendered["comparisons"], source["comparisons"], strict=True):
        levels = zip(target["comparison_levels"], origin["comparison_levels"], strict=True)
        for level, trained in levels:
            for key in _PARAMETERS:
                if key in trained:
                    level[key] = trained[key]
    rendered["probability_two_random_records_match"] = source[
        "probability_two_random_records_match"
    ]
    return rendered


def run_sql(api: DatabaseAPI[object], sql: str) -> pa.Table:
    """Run `sql` (DuckDB's dialect, over the API's tables) where Splink runs; Arrow back."""
    if isinstance(api, DuckDBAPI):
        table: pa.Table = api.duckdb_con.sql(sql).to_arrow_table()
        return table
    spark = getattr(api, "spark", None)
    if spark is None:
        raise ResolveBackendError(f"Backend {type(api).__name__!r} cannot run moneytrail's SQL")
    from moneytrail.spark._sql import render  # noqa: PLC0415

    result: pa.Table = spark.sql(render(sql)).toArrow()
    return result


__all__ = [
    "BACKENDS",
    "database_api",
    "portable",
    "register_duckdb_names",
    "run_sql",
    "settings_for",
]
