"""`moneytrail ingest` on Spark: which formats load there, and the dispatch to them."""

from __future__ import annotations

from pathlib import Path

from moneytrail.errors import EngineUnsupportedError, IngestError
from moneytrail.ingest import FileReport, IngestOptions, detect_format
from moneytrail.ingest._detect import SNIFF_BYTES
from moneytrail.spark._ingest_aml import ingest_aml_csv
from moneytrail.spark._warehouse import SparkWarehouse

SPARK_FORMATS = ("aml-csv",)


def ingest_file_on_spark(
    wh: SparkWarehouse, path: Path, fmt: str, options: IngestOptions
) -> FileReport:
    """Load one file into the Spark warehouse, or refuse a format not ported yet."""
    if fmt == "auto":
        if not path.is_file():
            raise IngestError(path, "no such file" if not path.exists() else "not a regular file")
        with path.open("rb") as fh:
            fmt = detect_format(path, fh.read(SNIFF_BYTES))
    if fmt not in SPARK_FORMATS:
        raise EngineUnsupportedError(
            f"{path}: format {fmt} loads on DuckDB only for now; on Spark: "
            f"{', '.join(SPARK_FORMATS)} (run `moneytrail --engine duckdb ingest` for it)"
        )
    return ingest_aml_csv(wh, path, options)
