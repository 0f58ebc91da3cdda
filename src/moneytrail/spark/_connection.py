"""A DuckDB-shaped connection over a Spark session: the stage SQL, written once, run on Spark.

The detectors (moneytrail.detect) speak to their warehouse through a small part of
DuckDB's Python API. `SparkConnection` offers exactly that part, so they run unchanged:

    execute(sql, params).fetchall() / .fetchone()   a query's rows, as tuples
    execute("CREATE [OR REPLACE] TEMP VIEW|TABLE n AS SELECT ...")
                                                    a temp view (a TABLE is computed
                                                    once: a local checkpoint)
    sql(sql, params=...).to_arrow_table()           a query's rows as an Arrow table
    register(name, arrow_table) / unregister(name)  an Arrow table as a temp view
    cursor()                                        itself, for the gateway's reads
    refresh(name)                                   table `name` read again, after a stage
                                                    replaced its files
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
import itertools
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlglot
from sqlglot import exp
from sqlglot.tokenizer_core import Token, TokenType

from moneytrail.errors import EngineUnsupportedError
from moneytrail.spark._sql import render

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame

    from moneytrail.spark._warehouse import SparkWarehouse

ARRAY_COLUMNS = frozenset({"swept", "evidence"})
"""Columns read with len() that hold lists (moneytrail.spark._sql's `arrays`): detect's
`swept`, and `evidence` of alerts, alert_hits and employer_flags (the alert queue counts
an alert's movements); contract_findings' `evidence` is JSON text, which no query takes
len() of."""


class SparkResult:
    """A statement's result: rows on demand, as DuckDB's relation gives them."""

    def __init__(self, frame: DataFrame | None) -> None:
        self._frame = frame
        self._rows: list[tuple[Any, ...]] | None = None

    def fetchall(self) -> list[tuple[Any, ...]]:
        if self._rows is None:
            self._rows = [] if self._frame is None else [tuple(r) for r in self._frame.collect()]
        return self._rows

    def fetchnumpy(self) -> dict[str, Any]:
        """The rows as one NumPy array per column, in the query's order of columns."""
        table = self.to_arrow_table()
        out: dict[str, Any] = {}
        for name, column in zip(table.column_names, table.columns, strict=True):
            key, n = name, 0
            while key in out:  # `SELECT a.i, b.i`: both kept, as DuckDB keeps them
                n += 1
                key = f"{name}_{n}"
            out[key] = column.to_numpy(zero_copy_only=False)
        return out

    def fetchone(self) -> tuple[Any, ...] | None:
        rows = self.fetchall()
        return rows[0] if rows else None

    def to_arrow_table(self) -> pa.Table:
        if self._frame is None:
            raise EngineUnsupportedError("Engine 'spark': this statement returns no rows")
        return self._frame.toArrow()


class SparkCursor:
    """A read on a connection; closing it leaves the connection's views alone."""

    def __init__(self, con: SparkConnection) -> None:
        self._con = con

    def execute(
        self, sql: str, params: Sequence[object] | Mapping[str, object] | None = None
    ) -> SparkResult:
        return self._con.execute(sql, params)

    def close(self) -> None:
        """Nothing to release: the views belong to the connection."""


class SparkConnection:
    """The part of duckdb.DuckDBPyConnection the detectors use, over a Spark warehouse."""

    def __init__(self, warehouse: SparkWarehouse, tables: Sequence[str]) -> None:
        self.spark = warehouse.spark
        self._warehouse = warehouse
        for name in tables:
            warehouse.table(name).createOrReplaceTempView(name)
        self._views: set[str] = set()
        self.changed: set[str] = set()
        """The tables (of `tables` or temp ones) that INSERT or DELETE wrote (_dml)."""

    def execute(
        self, sql: str, params: Sequence[object] | Mapping[str, object] | None = None
    ) -> SparkResult:
        bound = bind(sql, params or ())
        tree = _parse(bound)
        if isinstance(tree, exp.Create):
            self._create(tree)
            return SparkResult(None)
        if isinstance(tree, exp.Insert | exp.Delete):
            self._write(tree)
            return SparkResult(None)
        if isinstance(tree, exp.Drop):
            self._drop(tree)
            return SparkResult(None)
        if not isinstance(tree, exp.Query):
            raise EngineUnsupportedError(
                f"Engine 'spark' runs only queries, CREATE TEMP VIEW/TABLE, INSERT, DELETE and "
                f"DROP of temp views here, not {type(tree).__name__.upper()}: {sql.strip()[:120]}"
            )
        return SparkResult(self._query(bound))

    def sql(
        self, sql: str, params: Sequence[object] | Mapping[str, object] | None = None
    ) -> SparkResult:
        return self.execute(sql, params)

    def refresh(self, name: str) -> None:
        """Read table `name` again: after a stage replaced its files, the view would still
        list the old ones."""
        self._warehouse.table(name).createOrReplaceTempView(name)

    def cursor(self) -> SparkCursor:
        """A cursor for readers that take one per read (the gateway): this connection's."""
        return SparkCursor(self)

    def create_function(
        self,
        name: str,
        function: Callable[..., Any],
        parameters: Sequence[str],
        returns: str,
        **_duckdb_options: object,
    ) -> None:
        """A Python function callable from SQL (a Spark UDF, run on the executors in Arrow
        batches); DuckDB's null handling options do not apply: it is called on NULLs too."""
        from pyspark.sql.functions import udf  # noqa: PLC0415

        from moneytrail.spark._tables import spark_type  # noqa: PLC0415

        del parameters  # Spark takes the arguments as they come
        self.spark.udf.register(name, udf(function, spark_type(returns), useArrow=True))

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

    def _query(self, duckdb_sql: str) -> DataFrame:
        return self.spark.sql(render(duckdb_sql, ARRAY_COLUMNS))

    def _write(self, tree: exp.Insert | exp.Delete) -> None:
        from moneytrail.spark import _dml  # noqa: PLC0415

        name = tree.this.this.name if isinstance(tree.this, exp.Schema) else tree.this.name
        if isinstance(tree, exp.Insert):
            frame = _dml.inserted(self.spark, tree, self._query, _primary_key(name))
        else:
            frame = _dml.deleted(self.spark, tree, self._query)
        # computed once: the view no longer reads the frames (or files) it came from
        frame.localCheckpoint().createOrReplaceTempView(name)
        self.changed.add(name)

    def _drop(self, tree: exp.Drop) -> None:
        kind = str(tree.args.get("kind") or "").upper()
        tables = tree.expressions
        if kind not in ("VIEW", "TABLE") or not tree.args.get("exists"):
            raise EngineUnsupportedError(
                f"Engine 'spark' drops only temp views and tables (IF EXISTS) here, not: "
                f"{tree.sql(dialect='duckdb')[:120]}"
            )
        for table in tables:
            if table.db and table.db.lower() != "temp":
                raise EngineUnsupportedError(
                    f"Engine 'spark' drops only temp views and tables here, not {table.sql()}"
                )
            self.spark.catalog.dropTempView(table.name)
            self._views.discard(table.name)

    def _create(self, tree: exp.Create) -> None:
        kind = str(tree.args.get("kind") or "").upper()
        props = tree.args.get("properties")
        temporary = props is not None and any(
            isinstance(p, exp.TemporaryProperty) for p in props.expressions
        )
        query = tree.expression
        if kind == "TABLE" and temporary and query is None and isinstance(tree.this, exp.Schema):
            from moneytrail.spark._dml import empty_table  # noqa: PLC0415

            name = tree.this.this.name
            empty_table(self.spark, tree).createOrReplaceTempView(name)
            self._views.add(name)
            return
        if kind not in ("VIEW", "TABLE") or not temporary or not isinstance(query, exp.Query):
            raise EngineUnsupportedError(
                f"Engine 'spark' creates only TEMP VIEWs and TEMP TABLEs from a query here, "
                f"not: {tree.sql(dialect='duckdb')[:120]}"
            )
        name = tree.this.name if isinstance(tree.this, exp.Table) else tree.this.this.name
        frame = self._query(query.sql(dialect="duckdb"))
        if kind == "TABLE":
            # a table holds its rows as they are now: computed once, as DuckDB stores it
            frame = frame.localCheckpoint()
        frame.createOrReplaceTempView(name)
        self._views.add(name)


def _primary_key(name: str) -> tuple[str, ...] | None:
    from moneytrail.model.tables import TABLES  # noqa: PLC0415

    table = next((t for t in TABLES if t.name == name), None)
    return None if table is None or not table.primary_key else tuple(table.primary_key)


def _parse(sql: str) -> exp.Expr:
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.SqlglotError as exc:
        raise EngineUnsupportedError(
            f"Engine 'spark' cannot read this DuckDB SQL: {exc}: {sql[:200]}"
        ) from exc
    return tree


def bind(sql: str, params: Sequence[object] | Mapping[str, object]) -> str:
    """`sql` with each parameter replaced by its value as a typed DuckDB literal.

    Positional `?` parameters take `params` in order; named `$name` ones (a mapping)
    take `params[name]`, as DuckDB binds them.
    """
    if isinstance(params, Mapping):
        return _bind_named(sql, params)
    # `?::TYPE` is one token to sqlglot (DuckDB's JSON operator ?::), a parameter cast here
    tokens = [
        t
        for t in _tokens(sql)
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


def _tokens(sql: str) -> list[Token]:
    return sqlglot.Dialect.get_or_raise("duckdb").tokenize(sql)


def _bind_named(sql: str, params: Mapping[str, object]) -> str:
    """`$name` parameters: to sqlglot's tokenizer a `$` token, then the name's."""
    tokens = _tokens(sql)
    out: list[str] = []
    at = 0
    for token, name in itertools.pairwise(tokens):
        if token.token_type != TokenType.PARAMETER or name.start != token.end + 1:
            continue
        if token.text != "$" or name.text not in params:
            raise EngineUnsupportedError(
                f"Engine 'spark': no value given for the parameter {token.text}{name.text}"
            )
        out += [sql[at : token.start], literal(params[name.text])]
        at = name.end + 1
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


def _wall_clock(value: dt.datetime) -> dt.datetime:
    """A time with a zone as UTC's wall clock: the tables' TIMESTAMPs have none, and DuckDB
    stores such a value at UTC (the zone its sessions here run in)."""
    if value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


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
    (dt.datetime, lambda v: f"TIMESTAMP '{_wall_clock(v).isoformat(sep=' ')}'"),
    (list, lambda v: "[" + ", ".join(literal(x) for x in v) + "]"),
    (tuple, lambda v: literal(list(v))),
)
