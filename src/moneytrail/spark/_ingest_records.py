"""Files of records (FtM, EFW2, Form 941, OCDS) loaded on Spark by their own readers.

Parties, filings and contracts come in files far smaller than a bank's movements,
so they are parsed on the driver, and by the DuckDB reader itself: every check,
quarantine reason, token and vault entry is that reader's. The reader loads the
file into a scratch DuckDB warehouse in a temporary directory, with the Spark
workspace's token and vault keys, seeded with the state of the Spark warehouse
that loading consults:

- `sources`, whole (one row per file): the next source_id and `already_loaded`;
- the accounts with a record id and the account identifiers (`account`, `iban`):
  what FtM resolves a payment's or an ownership's BankAccount id against when the
  account came from an earlier file.

What a load consults that is not seeded is matched on Spark instead, so that no
table of a bank's size comes to the driver: a new account or vault value whose
key is already in the Spark warehouse is dropped there (`left_anti`), as DuckDB's
reader skips it. A file that brings transactions (FtM payments) into a Spark
warehouse already holding transactions is refused, as aml-csv refuses a second
transaction file: the steps across files (repeated movements, id clashes, an FtM
payment loaded before) would need the other files' transactions.

The load's rows of every table (moneytrail.warehouse._loads.LOAD_TABLES: what a
load writes under its source_id) are then staged and committed as aml-csv's are
(moneytrail.spark._warehouse), `sources` last.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from moneytrail.errors import EngineUnsupportedError, IngestError
from moneytrail.ingest._context import IngestOptions
from moneytrail.ingest._load import FileReport, ingest_file
from moneytrail.spark._tables import row_count, table_columns
from moneytrail.spark._warehouse import SparkWarehouse
from moneytrail.warehouse import Warehouse
from moneytrail.warehouse._loads import LOAD_TABLES
from moneytrail.workspace import Workspace

if TYPE_CHECKING:
    import pyarrow as pa

# (table, rows of the Spark warehouse the readers consult, as a Spark SQL condition)
_SEEDS = (
    ("sources", "true"),
    ("accounts", "record_id IS NOT NULL"),
    ("identifiers", "scheme IN ('account', 'iban')"),
)
# Tables whose rows a load adds only when their key is new to the warehouse.
_NEW_KEYS = {"accounts": "account_key", "vault": "token"}


class _Scratch(Workspace):
    """A workspace in a temporary directory that tokenises and encrypts as `keys` does."""

    def __init__(self, root: Path, keys: Workspace) -> None:
        super().__init__(root)
        self._keys = keys

    def token_key(self) -> bytes:
        return self._keys.token_key()

    def vault_key(self) -> bytes:
        return self._keys.vault_key()

    def load_memory_limit(self) -> str:
        return self._keys.load_memory_limit()


def ingest_records_on_spark(
    wh: SparkWarehouse, path: Path, fmt: str, options: IngestOptions
) -> FileReport:
    """Load `path` (a format with `records` set) whole or not at all, as DuckDB does."""
    if not path.is_file():
        raise IngestError(path, "no such file" if not path.exists() else "not a regular file")
    wh.discard_unfinished()
    with tempfile.TemporaryDirectory(prefix="moneytrail-records-") as tmp:
        scratch = Warehouse(_Scratch(Path(tmp) / "ws", wh.workspace))
        try:
            _seed(wh, scratch)
            report = ingest_file(scratch, path, fmt, options=options)
            if report.already_loaded:
                return report
            source_id = int(scratch.scalar("SELECT max(source_id) FROM sources"))
            rows = {
                name: _rows(scratch, name, source_id)
                for name in (*LOAD_TABLES, "sources")
                if "source_id" in dict(table_columns(name))
            }
        finally:
            scratch.close()
    if rows["transactions"].num_rows and row_count(wh.workspace, "transactions"):
        raise EngineUnsupportedError(
            f"{path}: the Spark warehouse already holds another file's transactions; loading "
            "a second file of transactions (matching repeated movements across files, "
            "transaction-id clashes) runs on DuckDB only for now"
        )
    _write(wh, source_id, {name: table for name, table in rows.items() if table.num_rows})
    return report


def _seed(wh: SparkWarehouse, scratch: Warehouse) -> None:
    for name, where in _SEEDS:
        found = wh.table(name).where(where).toArrow()
        if not found.num_rows:
            continue
        scratch.con.register("_seed", found)
        try:
            scratch.con.execute(f"INSERT INTO {name} SELECT * FROM _seed")
        finally:
            scratch.con.unregister("_seed")


def _rows(scratch: Warehouse, name: str, source_id: int) -> pa.Table:
    """The load's rows of table `name` in the scratch warehouse (JSON as its text)."""
    columns = ", ".join(
        f'CAST("{col}" AS VARCHAR) AS "{col}"' if kind.upper() == "JSON" else f'"{col}"'
        for col, kind in table_columns(name)
    )
    table: pa.Table = scratch.con.sql(
        f"SELECT {columns} FROM {name} WHERE source_id = {int(source_id)}"
    ).to_arrow_table()
    return table


def _write(wh: SparkWarehouse, source_id: int, rows: dict[str, pa.Table]) -> None:
    """Stage every table's new rows, then commit them, `sources` last."""
    wh.discard_staged(str(source_id))
    for name, table in rows.items():
        frame = wh.spark.createDataFrame(table)
        key = _NEW_KEYS.get(name)
        if key is not None:
            frame = frame.join(wh.table(name).select(key), key, "left_anti")
        wh.stage(source_id, name, frame)
    wh.commit(source_id, list(rows))


__all__ = ["ingest_records_on_spark"]
