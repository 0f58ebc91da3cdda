"""Files read on the driver by their own DuckDB reader, loaded into the Spark warehouse.

Files of records (FtM, EFW2, Form 941, OCDS) and bank statements and exports
(camt.053, MT940, OFX, BAI2, PDF statements, banks' CSV exports) come far smaller
than a bank's ledger, so they are parsed on the driver, and by the DuckDB reader
itself: every check, quarantine reason, token, vault entry, and every step
across files (repeated movements, statement entries merged with the ledger row
of the same movement, transaction-id clashes) is that reader's. The reader loads
the file into a scratch DuckDB warehouse in a temporary directory, with the Spark
workspace's token and vault keys, seeded with the stored rows it consults
(moneytrail.spark._driver_seeds): first the rows every load consults; then, when
the file brings transactions and the warehouse holds some, the file is loaded a
second time into a fresh scratch that also holds the stored transactions and
statement entries the first load's rows can meet.

What a load consults that is not seeded is matched on Spark instead, so that no
table of a bank's size comes to the driver: a new account or vault value whose
key is already in the Spark warehouse is dropped there (`left_anti`), as DuckDB's
reader skips it. The load's new transactions take txn_key values after the
highest any load has drawn (SparkWarehouse.txn_key_base), as DuckDB's sequence
gives them.

The load's own rows of every table (moneytrail.warehouse._loads.LOAD_TABLES) are
staged and committed as aml-csv's are (moneytrail.spark._warehouse), `sources`
last. Stored rows the load changed (a ledger row filled from a statement entry,
a statement's own transaction taken over by a ledger row, entries relinked) are
written by rewriting the Parquet files that hold them, in the same commit.
"""

from __future__ import annotations

import contextlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from moneytrail.errors import IngestError
from moneytrail.ingest._context import IngestOptions
from moneytrail.ingest._load import FileReport, ingest_file
from moneytrail.spark._driver_seeds import base_seeds, stored_rows_met
from moneytrail.spark._tables import row_count, spark_type, table_columns
from moneytrail.spark._warehouse import SparkWarehouse, row_key
from moneytrail.warehouse import Warehouse
from moneytrail.warehouse._loads import LOAD_TABLES
from moneytrail.workspace import Workspace

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame

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


@dataclass
class _ScratchLoad:
    """One load of the file into a scratch warehouse, and what it wrote there."""

    report: FileReport
    source_id: int = 0
    own: dict[str, pa.Table] = field(default_factory=dict)
    # Stored rows of other loads as the load left them, and the keys of those it deleted.
    changed: dict[str, pa.Table] = field(default_factory=dict)
    deleted: dict[str, pa.Table] = field(default_factory=dict)
    keys_drawn: int = 0


def ingest_on_driver(
    wh: SparkWarehouse, path: Path, fmt: str, options: IngestOptions
) -> FileReport:
    """Load `path` whole or not at all, as DuckDB does (a cut-off load's files discarded
    first: moneytrail.spark._ingest)."""
    if not path.is_file():
        raise IngestError(path, "no such file" if not path.exists() else "not a regular file")
    seeds = base_seeds(wh)
    with tempfile.TemporaryDirectory(prefix="moneytrail-driver-") as tmp:
        load = _scratch_load(wh, Path(tmp) / "first", path, fmt, options, seeds)
        if load.report.already_loaded:
            return load.report
        if load.own["transactions"].num_rows and row_count(wh.workspace, "transactions"):
            met = stored_rows_met(wh, path.name, load.own)
            load = _scratch_load(wh, Path(tmp) / "second", path, fmt, options, seeds, met)
    _write(wh, load)
    return load.report


def _scratch_load(
    wh: SparkWarehouse,
    root: Path,
    path: Path,
    fmt: str,
    options: IngestOptions,
    seeds: dict[str, pa.Table],
    met: dict[str, pa.Table] | None = None,
) -> _ScratchLoad:
    scratch = Warehouse(_Scratch(root, wh.workspace))
    try:
        for name, rows in (*seeds.items(), *(met or {}).items()):
            _insert(scratch, name, rows)
        report = ingest_file(scratch, path, fmt, options=options)
        if report.already_loaded:
            return _ScratchLoad(report)
        source_id = int(scratch.scalar("SELECT max(source_id) FROM sources"))
        load = _ScratchLoad(report, source_id, keys_drawn=_keys_drawn(scratch.con))
        load.own = {
            name: _rows(scratch, name, f"source_id = {source_id}")
            for name in (*LOAD_TABLES, "sources")
            if "source_id" in dict(table_columns(name))
        }
        for name, before in (met or {}).items():
            _changes(scratch, name, before, load)
        return load
    finally:
        scratch.close()


def _insert(scratch: Warehouse, name: str, rows: pa.Table) -> None:
    if not rows.num_rows:
        return
    scratch.con.register("_seed", rows)
    try:
        scratch.con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM _seed")
    finally:
        scratch.con.unregister("_seed")


def _keys_drawn(con: duckdb.DuckDBPyConnection) -> int:
    """How many txn_key values the load drew from the scratch's fresh sequence."""
    with contextlib.suppress(duckdb.Error):  # none drawn: currval is not yet defined
        return int(con.execute("SELECT currval('txn_key_seq')").fetchall()[0][0])
    return 0


def _columns(name: str) -> str:
    return ", ".join(
        f'CAST("{col}" AS VARCHAR) AS "{col}"' if kind.upper() == "JSON" else f'"{col}"'
        for col, kind in table_columns(name)
    )


def _rows(scratch: Warehouse, name: str, where: str) -> pa.Table:
    """Rows of table `name` in the scratch warehouse (JSON as its text)."""
    table: pa.Table = scratch.con.sql(
        f"SELECT {_columns(name)} FROM {name} WHERE {where}"
    ).to_arrow_table()
    return table


def _changes(scratch: Warehouse, name: str, before: pa.Table, load: _ScratchLoad) -> None:
    """Record which of the stored rows seeded into `name` the load changed or deleted."""
    con = scratch.con
    con.register("_before", before)
    try:
        con.execute(
            "CREATE TEMP TABLE _touched AS SELECT source_id, source_row FROM ("
            f"SELECT {_columns(name)} FROM _before EXCEPT SELECT {_columns(name)} FROM {name})"
        )
        load.changed[name] = con.sql(
            f"SELECT {_columns(name)} FROM {name} SEMI JOIN _touched USING (source_id, source_row)"
        ).to_arrow_table()
        load.deleted[name] = con.sql(
            f"SELECT source_id, source_row FROM _touched ANTI JOIN {name} USING (source_id, source_row)"
        ).to_arrow_table()
    finally:
        con.execute("DROP TABLE IF EXISTS _touched")
        con.unregister("_before")


def _write(wh: SparkWarehouse, load: _ScratchLoad) -> None:
    """Stage the load's rows and its rewrites of stored rows, then commit, `sources` last."""
    source_id = load.source_id
    base = wh.txn_key_base()
    wh.discard_staged(str(source_id))
    written = []
    for name, own in load.own.items():
        rows = _new_rows(wh, name, own, base)
        if rows.num_rows:
            wh.stage_rows(source_id, name, rows)
            written.append(name)
    for name, changed in load.changed.items():
        _stage_rewrites(wh, source_id, name, changed, load.deleted[name])
    if load.keys_drawn:
        wh.stage_key_mark(source_id, base + load.keys_drawn)
    wh.commit(source_id, written)


def _new_rows(wh: SparkWarehouse, name: str, rows: pa.Table, base: int) -> pa.Table:
    """The load's rows of table `name` as the warehouse stores them: transactions' keys
    after those drawn before, accounts and vault values only when their key is new."""
    import pyarrow.compute as pc  # noqa: PLC0415

    if name == "transactions":
        at = rows.schema.get_field_index("txn_key")
        return rows.set_column(at, "txn_key", pc.add(rows.column(at), base))
    key = _NEW_KEYS.get(name)
    if key is None or not rows.num_rows:
        return rows
    stored = _stored_keys(wh, name, key, rows.select([key]))
    return rows.filter(pc.invert(pc.is_in(rows.column(key), value_set=stored)))


def _stored_keys(wh: SparkWarehouse, name: str, key: str, keys: pa.Table) -> pa.Array:
    """Which of `keys` (one column, `key`) table `name` already holds."""
    from pyspark.sql import functions as f  # noqa: PLC0415

    if not row_count(wh.workspace, name):
        return keys.column(0).slice(0, 0).combine_chunks()
    frame = f.broadcast(wh.spark.createDataFrame(keys))
    found = wh.table(name).join(frame, key, "left_semi").select(key).toArrow()
    return found.column(0).combine_chunks().cast(keys.schema.field(0).type)


def _stage_rewrites(
    wh: SparkWarehouse, source_id: int, name: str, changed: pa.Table, deleted: pa.Table
) -> None:
    """Each stored file of table `name` holding a changed or deleted row, rewritten."""
    touched = [f"{sid}:{row}" for t in (changed, deleted) for sid, row in _row_pairs(t)]
    if not touched:
        return
    new_rows = _typed(wh.spark.createDataFrame(changed), name) if changed.num_rows else None
    key = row_key("source_id", "source_row")
    for file, rows in wh.files_holding(name, touched).items():
        kept = wh.table_file(name, file).where(~key.isin(rows))
        if new_rows is not None:
            kept = kept.unionByName(new_rows.where(key.isin(rows)))
        wh.stage_rewrite(source_id, name, file, kept)


def _row_pairs(rows: pa.Table) -> list[tuple[int, int]]:
    return list(
        zip(
            rows.column("source_id").to_pylist(), rows.column("source_row").to_pylist(), strict=True
        )
    )


def _typed(frame: DataFrame, name: str) -> DataFrame:
    from pyspark.sql import functions as f  # noqa: PLC0415

    return frame.select(
        *[f.col(col).cast(spark_type(kind)).alias(col) for col, kind in table_columns(name)]
    )


__all__ = ["ingest_on_driver"]
