"""Where the Spark warehouse keeps its tables, and their row counts without a JVM.

    WORKSPACE/spark-warehouse/<table>/part-*.parquet

One directory of Parquet files per canonical table, with the columns and types
that model.tables declares. A table a stage has not written yet has no
directory and holds no rows. Row counts come from the Parquet footers (pyarrow),
so `moneytrail status` answers without starting Spark.
"""

from __future__ import annotations

from pathlib import Path

from moneytrail.workspace import Workspace

WAREHOUSE_DIR = "spark-warehouse"


def warehouse_root(workspace: Workspace) -> Path:
    return workspace.root / WAREHOUSE_DIR


def table_dir(workspace: Workspace, name: str) -> Path:
    return warehouse_root(workspace) / name


def row_count(workspace: Workspace, name: str) -> int:
    """Rows of table `name` (0 when no stage has written it)."""
    import pyarrow.parquet as pq  # noqa: PLC0415 - only status and the stages need it

    directory = table_dir(workspace, name)
    if not directory.is_dir():
        return 0
    return sum(pq.ParquetFile(p).metadata.num_rows for p in sorted(directory.glob("*.parquet")))


def spark_type(duckdb_type: str) -> str:
    """A column type of model.tables (DuckDB's names) as Spark SQL's.

    TIMESTAMP becomes TIMESTAMP_NTZ: both are wall-clock times without a zone, so
    a value reads back the same on every node whatever its time zone.
    """
    from sqlglot import exp  # noqa: PLC0415

    if duckdb_type.upper() == "JSON":
        return "STRING"  # JSON text; Spark has no JSON column type
    return exp.DataType.build(duckdb_type, dialect="duckdb").sql("spark")


def table_columns(name: str) -> list[tuple[str, str]]:
    """(column, DuckDB type) of canonical table `name`, in order."""
    from moneytrail.model.tables import TABLES  # noqa: PLC0415

    table = next((t for t in TABLES if t.name == name), None)
    if table is None:
        raise KeyError(f"no canonical table {name!r} in moneytrail.model.tables")
    return [(c.name, c.type) for c in table.columns]


def spark_schema(name: str) -> str:
    """The DDL schema (`col TYPE, ...`) of canonical table `name` for Spark."""
    return ", ".join(f"`{col}` {spark_type(kind)}" for col, kind in table_columns(name))


def column_max(workspace: Workspace, name: str, column: str) -> int | None:
    """The largest value of integer `column` in table `name` (None when it has no
    rows), from the Parquet footers' statistics where every file has them."""
    import pyarrow.compute as pc  # noqa: PLC0415
    import pyarrow.parquet as pq  # noqa: PLC0415

    directory = table_dir(workspace, name)
    found: list[int] = []
    for path in sorted(directory.glob("*.parquet")) if directory.is_dir() else []:
        meta = pq.ParquetFile(path).metadata
        index = meta.schema.names.index(column)
        stats = [meta.row_group(g).column(index).statistics for g in range(meta.num_row_groups)]
        if all(s is not None and s.has_min_max for s in stats):
            found += [int(s.max) for s in stats]
        else:  # no statistics (all NULL, or a writer that keeps none): read the column
            top = pc.max(pq.read_table(path, columns=[column]).column(0)).as_py()
            found += [] if top is None else [int(top)]
    return max(found) if found else None


def loaded_source_ids(workspace: Workspace) -> set[int]:
    """The loads that finished: their `sources` rows."""
    import pyarrow.parquet as pq  # noqa: PLC0415

    directory = table_dir(workspace, "sources")
    if not directory.is_dir():
        return set()
    done: set[int] = set()
    for part in directory.glob("*.parquet"):
        done.update(
            int(v) for v in pq.read_table(part, columns=["source_id"]).column(0).to_pylist()
        )
    return done
