"""`moneytrail ingest` on Spark: which formats load there, and the dispatch to them.

The registry (moneytrail.ingest._registry) says which: aml-csv has a loader of its
own on Spark (moneytrail.spark._ingest_aml, its rows parsed on the executors), and
the formats whose files are records (`Format.records`: parties, filings, contracts)
are read by their own reader on the driver (moneytrail.spark._ingest_records).
Every other format (bank statements and exports) is refused by name.
"""

from __future__ import annotations

from pathlib import Path

from moneytrail.errors import EngineUnsupportedError, IngestError
from moneytrail.ingest import FileReport, IngestOptions, detect_format
from moneytrail.ingest._detect import SNIFF_BYTES
from moneytrail.ingest._registry import FORMATS
from moneytrail.spark._ingest_aml import ingest_aml_csv
from moneytrail.spark._ingest_records import ingest_records_on_spark
from moneytrail.spark._warehouse import SparkWarehouse

PARALLEL_FORMAT = "aml-csv"


def spark_formats() -> tuple[str, ...]:
    """The formats that load on Spark, in the registry's order."""
    return tuple(n for n, spec in FORMATS.items() if n == PARALLEL_FORMAT or spec.records)


def ingest_file_on_spark(
    wh: SparkWarehouse, path: Path, fmt: str, options: IngestOptions
) -> FileReport:
    """Load one file into the Spark warehouse, or refuse a format not ported yet."""
    if fmt == "auto":
        if not path.is_file():
            raise IngestError(path, "no such file" if not path.exists() else "not a regular file")
        with path.open("rb") as fh:
            fmt = detect_format(path, fh.read(SNIFF_BYTES))
    if fmt not in FORMATS:
        raise IngestError(
            path, f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)} or auto"
        )
    if fmt not in spark_formats():
        raise EngineUnsupportedError(
            f"{path}: format {fmt} loads on DuckDB only for now; on Spark: "
            f"{', '.join(spark_formats())} (run `moneytrail --engine duckdb ingest` for it)"
        )
    if fmt == PARALLEL_FORMAT:
        return ingest_aml_csv(wh, path, options)
    return ingest_records_on_spark(wh, path, fmt, options)
