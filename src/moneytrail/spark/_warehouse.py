"""The Spark warehouse: canonical tables as Parquet directories, a load committed whole.

A load writes each of its tables into a staging directory
(`spark-warehouse/_staging/<source_id>/<table>`); only when every table is
written are the files moved into the tables (named `load<source_id>-...`),
`sources` last, whose row marks the load as done. A load cut off before that
leaves staging files, or files of a load without a `sources` row, which the next
load deletes. Moving files is a rename: atomic per file on a local or
shared POSIX file system (NFS, Lustre), the storage docs/spark.md asks for.

A load may also change rows other loads stored (a bank statement fills the empty
fields of the ledger rows its entries repeat). Each Parquet file holding such
rows is rewritten whole beside the tables, and at the commit, before anything
else moves, the old file is kept in staging (a second hard link) and the new one
renamed over it. A load cut off before its `sources` row puts the old files back.

DuckDB's sequence hands out txn_key, and never the same value twice, even for
rows later deleted. Spark keeps the same promise with a high-water mark per load
that drew keys (`_txn_key_high/load<source_id>-*.parquet`, committed with the load).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from moneytrail.model.tables import arrow_schema
from moneytrail.spark._tables import (
    column_max,
    loaded_source_ids,
    spark_schema,
    spark_type,
    table_columns,
    table_dir,
    warehouse_root,
)
from moneytrail.workspace import Workspace

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import Column, DataFrame, SparkSession

STAGING = "_staging"
KEY_MARKS = "_txn_key_high"
# Under a load's staging folder: new contents of files of other loads, and the old ones kept.
_REWRITTEN, _REPLACED = "_rewritten", "_replaced"


def empty_frame(spark: SparkSession, name: str) -> DataFrame:
    """No rows, with canonical table `name`'s columns, as a relation of the JVM alone.

    `createDataFrame([], schema)` parallelizes a Python list: a query reading it starts
    Python workers (9 s measured in a fresh local[2] session, 3.5 s for this), and the
    warehouse's empty tables (the stages that never ran) are read by many queries.
    """
    return spark.range(0).selectExpr(
        *[f"CAST(NULL AS {spark_type(kind)}) AS `{col}`" for col, kind in table_columns(name)]
    )


class SparkWarehouse:
    """The workspace's Parquet tables, read and appended through one Spark session."""

    def __init__(self, workspace: Workspace, session: SparkSession) -> None:
        self.workspace = workspace
        self.spark = session
        workspace.ensure()
        warehouse_root(workspace).mkdir(exist_ok=True)

    def table(self, name: str) -> DataFrame:
        """Table `name` with the model's schema (empty when no stage has written it)."""
        schema = spark_schema(name)
        directory = table_dir(self.workspace, name)
        if directory.is_dir() and any(directory.glob("*.parquet")):
            return self.spark.read.schema(schema).parquet(str(directory))
        return empty_frame(self.spark, name)

    def table_file(self, name: str, file: Path) -> DataFrame:
        """The rows of one Parquet file of table `name`."""
        return self.spark.read.schema(spark_schema(name)).parquet(str(file))

    def staging(self, source_id: int | str) -> Path:
        return warehouse_root(self.workspace) / STAGING / str(source_id)

    def discard_unfinished(self) -> None:
        """Delete what loads that never finished left behind (staged or half-moved files),
        and put back the files of other loads they had begun to rewrite."""
        root = warehouse_root(self.workspace)
        done = loaded_source_ids(self.workspace)
        for kept in sorted(root.glob(f"{STAGING}/*/{_REPLACED}/*/*.parquet")):
            sid = kept.parents[2].name
            if not (sid.isdigit() and int(sid) in done):
                kept.replace(table_dir(self.workspace, kept.parent.name) / kept.name)
        shutil.rmtree(root / STAGING, ignore_errors=True)
        for part in root.glob("*/load*-*.parquet"):
            sid = part.name[len("load") : part.name.index("-")]
            if sid.isdigit() and int(sid) not in done:
                part.unlink()

    def stage(self, source_id: int | str, name: str, frame: DataFrame) -> None:
        """Write `frame` (the columns of table `name`, in order) for the load's commit."""
        _write(frame, name, self.staging(source_id) / name)

    def files_holding(self, name: str, rows: list[str]) -> dict[Path, list[str]]:
        """The Parquet files of table `name` holding the rows named `source_id:source_row`
        in `rows`, and which of them each holds."""
        from pyspark.sql import functions as f  # noqa: PLC0415

        key = row_key("source_id", "source_row")
        found = (
            self.table(name)
            .where(key.isin(rows))
            .select(f.input_file_name().alias("file"), key.alias("row"))
            .collect()
        )
        held: dict[Path, list[str]] = {}
        for hit in found:
            held.setdefault(Path(unquote(urlparse(hit.file).path)), []).append(hit.row)
        return held

    def stage_rewrite(self, source_id: int, name: str, file: Path, frame: DataFrame) -> None:
        """Write `frame` (the columns of table `name`) as the new content of `file`, one of
        the table's files, moved over it by the load's commit."""
        _write(frame.coalesce(1), name, self.staging(source_id) / _REWRITTEN / name / file.name)

    def stage_rows(self, source_id: int, name: str, rows: pa.Table) -> None:
        """Write `rows` (table `name`'s columns, a driver-side load's few) for the load's
        commit, from the driver: no Spark job for a small file's rows."""
        import pyarrow.parquet as pq  # noqa: PLC0415

        schema = arrow_schema(name)
        directory = self.staging(source_id) / name
        directory.mkdir(parents=True, exist_ok=True)
        pq.write_table(rows.select(schema.names).cast(schema), directory / "part-driver.parquet")

    def stage_key_mark(self, source_id: int, high: int) -> None:
        """Record that the load drew txn_key values up to `high` (committed with it)."""
        import pyarrow as pa  # noqa: PLC0415
        import pyarrow.parquet as pq  # noqa: PLC0415

        directory = self.staging(source_id) / KEY_MARKS
        directory.mkdir(parents=True, exist_ok=True)
        mark = pa.table({"txn_key_high": pa.array([high], pa.int64())})
        pq.write_table(mark, directory / "part-mark.parquet")

    def txn_key_base(self) -> int:
        """The highest txn_key any load has drawn (0 before the first): the next is one more."""
        drawn = column_max(self.workspace, KEY_MARKS, "txn_key_high")
        stored = column_max(self.workspace, "transactions", "txn_key")
        return max(drawn or 0, stored or 0)

    def commit(self, source_id: int, names: list[str]) -> None:
        """Move the staged tables into the warehouse: rewritten files of other loads first
        (the old ones kept until the load is done), `sources` (the done mark) last."""
        self._swap_rewritten(source_id)
        if (self.staging(source_id) / KEY_MARKS).is_dir():
            names = [KEY_MARKS, *names]
        ordered = [n for n in names if n != "sources"] + (["sources"] if "sources" in names else [])
        for name in ordered:
            target = table_dir(self.workspace, name)
            target.mkdir(parents=True, exist_ok=True)
            for part in sorted((self.staging(source_id) / name).glob("*.parquet")):
                part.rename(target / f"load{source_id}-{part.name}")
        shutil.rmtree(self.staging(source_id), ignore_errors=True)

    def _swap_rewritten(self, source_id: int) -> None:
        for staged in sorted(self.staging(source_id).glob(f"{_REWRITTEN}/*/*")):
            name = staged.parent.name
            target = table_dir(self.workspace, name) / staged.name
            (part,) = staged.glob("*.parquet")
            kept = self.staging(source_id) / _REPLACED / name / staged.name
            kept.parent.mkdir(parents=True, exist_ok=True)
            kept.hardlink_to(target)
            part.replace(target)

    def replace(self, key: str, names: list[str]) -> None:
        """Swap the tables staged under `key` in for the tables `names` whole.

        Each swap is two renames of directories (the old table aside, the staged one in);
        a stage writes its done mark (e.g. graph_runs) after the tables it replaces.
        """
        for name in names:
            target = table_dir(self.workspace, name)
            old = self.staging(key) / f"_old_{name}"
            if target.exists():
                target.rename(old)
            (self.staging(key) / name).rename(target)
            shutil.rmtree(old, ignore_errors=True)

    def rewrite(self, key: str, name: str, frame: DataFrame) -> None:
        """Table `name` replaced whole by `frame` (which may read the table itself): staged
        under `key` as one file, then swapped in."""
        self.discard_staged(key)
        self.stage(key, name, frame.coalesce(1))
        self.replace(key, [name])
        self.discard_staged(key)

    def append_staged(self, key: str, name: str, prefix: str) -> None:
        """Move the files staged under `key` for table `name` into it, named `prefix`-..."""
        target = table_dir(self.workspace, name)
        target.mkdir(parents=True, exist_ok=True)
        for part in sorted((self.staging(key) / name).glob("*.parquet")):
            part.rename(target / f"{prefix}-{part.name}")
        shutil.rmtree(self.staging(key) / name, ignore_errors=True)

    def discard_appended(self, name: str, prefix: str) -> None:
        """Delete table `name`'s files named `prefix`-...: what an append cut off before
        its done mark left behind."""
        for part in table_dir(self.workspace, name).glob(f"{prefix}-*.parquet"):
            part.unlink()

    def discard_staged(self, key: str) -> None:
        shutil.rmtree(self.staging(key), ignore_errors=True)


def _write(frame: DataFrame, name: str, directory: Path) -> None:
    """`frame` with table `name`'s columns, in order and typed, as Parquet in `directory`."""
    from pyspark.sql import functions as f  # noqa: PLC0415

    columns = [f.col(col).cast(spark_type(kind)) for col, kind in table_columns(name)]
    frame.select(*columns).write.mode("overwrite").parquet(str(directory))


def row_key(file: str, row: str) -> Column:
    """A stored row's file and row as text, `source_id:source_row`: what a query names
    the rows of a load by."""
    from pyspark.sql import functions as f  # noqa: PLC0415

    return f.concat_ws(":", f.col(file).cast("string"), f.col(row).cast("string"))
