"""`moneytrail ingest` on Spark: the dispatch of a file to its loader.

aml-csv, the format of a bank's whole ledger, has a loader of its own on Spark
(moneytrail.spark._ingest_aml, its rows parsed on the executors) for a warehouse
that holds no transactions yet. Every other file (bank statements and exports,
files of records: parties, filings, contracts, and a further aml-csv file once
the warehouse holds transactions) is read by its own DuckDB reader on the driver
(moneytrail.spark._ingest_driver), which runs the steps across files: repeated
movements, transaction-id clashes, statement entries taken over by the ledger.
"""

from __future__ import annotations

from pathlib import Path

from moneytrail.errors import IngestError
from moneytrail.ingest import FileReport, IngestOptions, detect_format
from moneytrail.ingest._detect import SNIFF_BYTES
from moneytrail.ingest._registry import FORMATS
from moneytrail.spark._ingest_aml import ingest_aml_csv
from moneytrail.spark._ingest_driver import ingest_on_driver
from moneytrail.spark._tables import row_count
from moneytrail.spark._warehouse import SparkWarehouse

PARALLEL_FORMAT = "aml-csv"


def ingest_file_on_spark(
    wh: SparkWarehouse, path: Path, fmt: str, options: IngestOptions
) -> FileReport:
    """Load one file into the Spark warehouse whole or not at all."""
    if fmt == "auto":
        if not path.is_file():
            raise IngestError(path, "no such file" if not path.exists() else "not a regular file")
        with path.open("rb") as fh:
            fmt = detect_format(path, fh.read(SNIFF_BYTES))
    if fmt not in FORMATS:
        raise IngestError(
            path, f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)} or auto"
        )
    wh.discard_unfinished()
    if fmt == PARALLEL_FORMAT and not row_count(wh.workspace, "transactions"):
        return ingest_aml_csv(wh, path, options)
    return ingest_on_driver(wh, path, fmt, options)
