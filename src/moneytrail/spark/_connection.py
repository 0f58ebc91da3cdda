"""A DuckDB-shaped connection over a Spark session: the stage SQL, written once, run on Spark.

The detectors (moneytrail.detect) speak to their warehouse through a small part of
DuckDB's Python API. `SparkConnection` offers exactly that part, so they run unchanged:

    execute(sql, params).fetchall() / .fetchone()   a query's rows, as tuples
    execute("CREATE [OR REPLACE] TEMP VIEW|TABLE n AS SELECT ...")
                                                    a temp view (a TABLE is computed
                                                    once: a local checkpoint)
    sql(sql, params=...).to_arrow_table()           a query's rows as an Arrow table
    register(name, arrow_table) / unregister(name)  an Arrow table as a temp view
    hop_pairs_by_account(rows_sql, window, ratio, strict)
                                                    detect's hop pairs per account
                                                    partition (moneytrail.spark._hops),
                                                    so the ledger is never collected

Each statement is DuckDB SQL: its `?` parameters are bound as typed literals (an int
as a number, a float as a DOUBLE, text as a string, a list as an array), then
moneytrail.spark._sql renders it for Spark. Anything else (executemany, other DDL,
named parameters) raises EngineUnsupportedError naming it, rather than running
something else. The warehouse's canonical tables are temp views of its Parquet
tables, under their own names; a table no stage wrote is an empty view with the
model's schema, as DuckDB's warehouse has it empty.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlglot
from sqlglot import exp
from sqlglot.tokenizer_core import TokenType

from moneytrail.errors import EngineUnsupportedError
from moneytrail.spark._sql import render

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame

    from moneytrail.spark._warehouse import SparkWarehouse

ARRAY_COLUMNS = frozenset({"swept"})
"""Columns the detectors take len() of that hold lists (moneytrail.spark._sql's `arrays`)."""


class SparkResult:
    """A statement's result: rows on demand, as DuckDB's relation gives them."""

    def __init__(self, frame: DataFrame | None) -> None:
        self._frame = frame
        self._rows: list[tuple[Any, ...]] | None = None

    def fetchall(self) -> list[tuple[Any, ...]]:
        if self._rows is None:
            self._rows = [] if self._frame is None else [tuple(r) for r in self._frame.collect()]
        return self._rows

    def fetchone(self) -> tuple[Any, ...] | None:
        rows = self.fetchall()
        return rows[0] if rows else None

    def to_arrow_table(self) -> pa.Table:
        if self._frame is None:
            raise EngineUnsupportedError("Engine 'spark': this statement returns no rows")
        return self._frame.toArrow()


class SparkConnection:
    """The part of duckdb.DuckDBPyConnection the detectors use, over a Spark warehouse."""

    def __init__(self, warehouse: SparkWarehouse, tables: Sequence[str]) -> None:
        self.spark = warehouse.spark
        for name in tables:
            warehouse.table(name).createOrReplaceTempView(name)
        self._views: set[str] = set()

    def execute(self, sql: str, params: Sequence[object] | None = None) -> SparkResult:
        bound = bind(sql, params or ())
        tree = _parse(bound)
        if isinstance(tree, exp.Create):
            self._create(tree)
            return SparkResult(None)
        if not isinstance(tree, exp.Query):
            raise EngineUnsupportedError(
                f"Engine 'spark' runs only queries and CREATE TEMP VIEW/TABLE here, not "
                f"{type(tree).__name__.upper()}: {sql.strip()[:120]}"
            )
        return SparkResult(self.spark.sql(render(bound, ARRAY_COLUMNS)))

    def sql(self, sql: str, params: Sequence[object] | None = None) -> SparkResult:
        return self.execute(sql, params)

    def executemany(self, sql: str, params: object = None) -> SparkResult:
        raise EngineUnsupportedError(
            "Engine 'spark' does not have DuckDB's executemany (rows are written as Parquet "
            f"tables): {sql.strip()[:120]}"
        )

    def hop_pairs_by_account(
        self, rows_sql: str, window: int, ratio: tuple[float, float], strict: bool
    ) -> pa.Table:
        from moneytrail.spark._hops import hop_pairs_by_account  # noqa: PLC0415

        return hop_pairs_by_account(self.spark, rows_sql, window, ratio, strict)

    def register(self, name: str, table: pa.Table) -> None:
        self.spark.createDataFrame(table).createOrReplaceTempView(name)
        self._views.add(name)

    def unregister(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)
        self._views.discard(name)

    def close(self) -> None:
        for name in sorted(self._views):
            self.spark.catalog.dropTempView(name)
        self._views.clear()

    def _create(self, tree: exp.Create) -> None:
        kind = str(tree.args.get("kind") or "").upper()
        props = tree.args.get("properties")
        temporary = props is not None and any(
            isinstance(p, exp.TemporaryProperty) for p in props.expressions
        )
        query = tree.expression
        if kind not in ("VIEW", "TABLE") or not temporary or not isinstance(query, exp.Query):
            raise EngineUnsupportedError(
                f"Engine 'spark' creates only TEMP VIEWs and TEMP TABLEs from a query here, "
                f"not: {tree.sql(dialect='duckdb')[:120]}"
            )
        name = tree.this.name if isinstance(tree.this, exp.Table) else tree.this.this.name
        frame = self.spark.sql(render(query.sql(dialect="duckdb"), ARRAY_COLUMNS))
        if kind == "TABLE":
            # a table holds its rows as they are now: computed once, as DuckDB stores it
            frame = frame.localCheckpoint()
        frame.createOrReplaceTempView(name)
        self._views.add(name)


def _parse(sql: str) -> exp.Expr:
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.SqlglotError as exc:
        raise EngineUnsupportedError(
            f"Engine 'spark' cannot read this DuckDB SQL: {exc}: {sql[:200]}"
        ) from exc
    return tree


def bind(sql: str, params: Sequence[object]) -> str:
    """`sql` with each `?` replaced by `params`' value as a typed DuckDB literal."""
    # `?::TYPE` is one token to sqlglot (DuckDB's JSON operator ?::), a parameter cast here
    tokens = [
        t
        for t in sqlglot.Dialect.get_or_raise("duckdb").tokenize(sql)
        if t.token_type == TokenType.PLACEHOLDER
        or (t.token_type == TokenType.QDCOLON and t.text == "?::")
    ]
    if any(t.token_type == TokenType.PLACEHOLDER and t.text != "?" for t in tokens):
        raise EngineUnsupportedError("Engine 'spark' binds only positional ? parameters here")
    if len(tokens) != len(params):
        raise EngineUnsupportedError(
            f"Engine 'spark': {len(tokens)} parameter(s) in the SQL, {len(params)} given"
        )
    out: list[str] = []
    at = 0
    for token, value in zip(tokens, params, strict=True):
        out += [sql[at : token.start], literal(value)]
        at = token.start + 1
    return "".join(out) + sql[at:]


def literal(value: object) -> str:
    """A Python value as DuckDB SQL of its type (as DuckDB's own binding types it)."""
    if value is None:
        return "NULL"
    for kind, render_as in _LITERALS:
        if isinstance(value, kind):
            return render_as(value)
    raise EngineUnsupportedError(
        f"Engine 'spark' binds no parameter of type {type(value).__name__}"
    )


def _decimal(value: Any) -> str:
    exponent = value.as_tuple().exponent
    scale = max(0, -exponent) if isinstance(exponent, int) else 0
    return f"CAST('{value}' AS DECIMAL(38, {scale}))"


_LITERALS: tuple[tuple[type, Callable[[Any], str]], ...] = (
    # bool before int: a bool is an int to Python
    (bool, lambda v: "TRUE" if v else "FALSE"),
    (int, lambda v: f"CAST({v} AS BIGINT)"),
    (float, lambda v: f"CAST({v!r} AS DOUBLE)"),
    (Decimal, _decimal),
    (str, lambda v: exp.Literal.string(v).sql(dialect="duckdb")),
    (dt.datetime, lambda v: f"TIMESTAMP '{v.isoformat(sep=' ')}'"),
    (list, lambda v: "[" + ", ".join(literal(x) for x in v) + "]"),
    (tuple, lambda v: literal(list(v))),
)
