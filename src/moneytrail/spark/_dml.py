"""DuckDB's writing statements over a SparkConnection's views: a table's new rows, computed.

Resolution (moneytrail.resolve) writes its tables with DELETE and INSERT and builds
scratch tables with `CREATE TEMP TABLE t (columns)` then INSERT. On Spark every table is
a temp view of the session (the warehouse's over its Parquet tables), and a statement
that writes one replaces the view by its rows after the statement, computed once (a
local checkpoint), so nothing reads the files being replaced later:

    CREATE TEMP TABLE t (c TYPE, ...)      an empty view with those columns
    INSERT INTO t SELECT ... | VALUES ...  t UNION ALL the rows, cast by position to t's
                                           column types, as DuckDB casts them
    INSERT OR REPLACE INTO t ...           t's rows whose primary key (model.tables) the
                                           new rows do not have, then the new rows
    DELETE FROM t [USING u] [WHERE c]      t EXCEPT ALL the rows c deletes (each deleted
                                           row once, however many rows of u it matches)

Nothing reaches the warehouse's files here: the caller writes the tables the statements
changed (`SparkConnection.changed`) when it commits. Anything else (UPDATE, INSERT with
a column list, ON CONFLICT, RETURNING, OR REPLACE on a table with no primary key) raises
EngineUnsupportedError naming it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from moneytrail.errors import EngineUnsupportedError

if TYPE_CHECKING:
    from collections.abc import Callable

    from pyspark.sql import DataFrame, SparkSession

    Query = Callable[[str], DataFrame]
    """Runs one DuckDB SELECT (rendered for Spark) and gives its frame."""


def empty_table(spark: SparkSession, tree: exp.Create) -> DataFrame:
    """The rows of `CREATE TEMP TABLE t (c TYPE, ...)`: none, with those columns."""
    from moneytrail.spark._tables import spark_type  # noqa: PLC0415

    schema = tree.this
    assert isinstance(schema, exp.Schema)
    columns = []
    for column in schema.expressions:
        if not isinstance(column, exp.ColumnDef) or column.args.get("constraints"):
            raise EngineUnsupportedError(
                f"Engine 'spark' creates temp tables of plain typed columns only: {column.sql()}"
            )
        kind = column.args["kind"].sql(dialect="duckdb")
        columns.append(f"`{column.name}` {spark_type(kind)}")
    return spark.createDataFrame([], ", ".join(columns))


def inserted(
    spark: SparkSession, tree: exp.Insert, query: Query, key: tuple[str, ...] | None
) -> DataFrame:
    """Table t's rows after `INSERT [OR REPLACE] INTO t ...`; `key`: t's primary key."""
    from pyspark.sql import functions as f  # noqa: PLC0415

    name = _target(tree.this)
    for arg in ("conflict", "returning", "where", "overwrite", "by_name"):
        if tree.args.get(arg):
            raise EngineUnsupportedError(
                f"Engine 'spark' does not run INSERT with {arg.upper()} here: "
                f"{tree.sql(dialect='duckdb')[:120]}"
            )
    if isinstance(tree.this, exp.Schema):
        raise EngineUnsupportedError(
            f"Engine 'spark' inserts whole rows only (no column list): INSERT INTO {name}"
        )
    old = spark.table(name)
    source = tree.expression
    rows = query(_values_query(source) if isinstance(source, exp.Values) else source.sql("duckdb"))
    if len(rows.columns) != len(old.columns):
        raise EngineUnsupportedError(
            f"Engine 'spark': INSERT INTO {name} gives {len(rows.columns)} columns, "
            f"the table has {len(old.columns)}"
        )
    # by position, as DuckDB inserts, each cast to the table's type
    placed = rows.toDF(*[f"_c{i}" for i in range(len(rows.columns))]).select(
        *[
            f.col(f"_c{i}").cast(field.dataType).alias(field.name)
            for i, field in enumerate(old.schema.fields)
        ]
    )
    if tree.args.get("alternative") == "REPLACE":
        if not key:
            raise EngineUnsupportedError(
                f"Engine 'spark' runs INSERT OR REPLACE only on a table with a primary key "
                f"(model.tables), not {name}"
            )
        old = old.join(placed.select(*key), on=list(key), how="left_anti")
    elif tree.args.get("alternative"):
        raise EngineUnsupportedError(
            f"Engine 'spark' does not run INSERT OR {tree.args['alternative']} here"
        )
    return old.unionByName(placed)


def deleted(spark: SparkSession, tree: exp.Delete, query: Query) -> DataFrame:
    """Table t's rows after `DELETE FROM t [AS a] [USING u ...] [WHERE c]`."""
    target = tree.this
    name = _target(target)
    for arg in ("returning", "limit", "order", "with", "tables", "cluster"):
        if tree.args.get(arg):
            raise EngineUnsupportedError(
                f"Engine 'spark' does not run DELETE with {arg.upper()} here: DELETE FROM {name}"
            )
    old = spark.table(name)
    where = tree.args.get("where")
    if where is None:
        return old.limit(0)
    alias = target.alias_or_name
    gone = exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier(alias))).from_(
        target.copy()
    )
    using = tree.args.get("using") or []
    if using:
        # each row of t once, however many rows of u match it
        matched = exp.select("1").from_(using[0].copy())
        for other in using[1:]:
            matched = matched.join(other.copy(), join_type="cross")
        gone = gone.where(exp.Exists(this=matched.where(where.this.copy())))
    else:
        gone = gone.where(where.this.copy())
    return old.exceptAll(query(gone.sql(dialect="duckdb")))


def _values_query(values: exp.Values) -> str:
    rows = [
        exp.select(*(row.expressions if isinstance(row, exp.Tuple) else [row]))
        for row in values.expressions
    ]
    return " UNION ALL ".join(r.sql(dialect="duckdb") for r in rows)


def _target(table: exp.Expression) -> str:
    inner = table.this if isinstance(table, exp.Schema) else table
    if not isinstance(inner, exp.Table) or inner.args.get("catalog"):
        raise EngineUnsupportedError(
            f"Engine 'spark' writes only the session's tables here, not {table.sql()}"
        )
    return inner.name


__all__ = ["deleted", "empty_table", "inserted"]
