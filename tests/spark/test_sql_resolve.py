"""resolve's DuckDB SQL on Spark: its render rules and the binding of `$name` parameters.

Rendering and binding need no JVM; the statements' meaning on Spark is checked by
test_resolve_on_spark (the same resolution tables as DuckDB) and test_dml."""

from __future__ import annotations

import datetime as dt

import pytest

from moneytrail.errors import EngineUnsupportedError
from moneytrail.spark._connection import bind
from moneytrail.spark._sql import render


@pytest.mark.parametrize(
    ("duckdb_sql", "spark_sql"),
    [
        (
            "SELECT coalesce(MAP {'bill': 'william', 'bob': 'robert'}[x], x) FROM t",
            "SELECT COALESCE(TRY_ELEMENT_AT(MAP('bill', 'william', 'bob', 'robert'), x), x) FROM t",
        ),
        (
            "SELECT json_merge_patch(a::JSON, b::JSON)::VARCHAR FROM t",
            "SELECT CASE WHEN a = '{}' THEN b WHEN b = '{}' THEN a "
            "ELSE CONCAT(SUBSTRING(a, 1, LENGTH(a) - 1), ',', SUBSTRING(b, 2)) END FROM t",
        ),
        (
            "SELECT * FROM t WHERE (a, b) IN (SELECT (x, y) FROM u)",
            "SELECT * FROM t WHERE (a, b) IN (SELECT x, y FROM u)",
        ),
        (
            "SELECT list(x ORDER BY x) FILTER (WHERE x <> y) FROM t",
            "SELECT ARRAY_SORT(COLLECT_LIST(x) FILTER(WHERE x <> y)) FROM t",
        ),
        (
            "SELECT id, 'address', NULL FROM t QUALIFY row_number() OVER (PARTITION BY id) = 1",
            "SELECT id, _c1, _c2 FROM (SELECT id, 'address' AS _c1, NULL AS _c2, "
            "ROW_NUMBER() OVER (PARTITION BY id) AS _w FROM t) AS _t WHERE _w = 1",
        ),
    ],
)
def test_resolve_rules_render_with_duckdb_meaning(duckdb_sql: str, spark_sql: str) -> None:
    assert render(duckdb_sql) == spark_sql


def test_named_parameters_bind_as_typed_literals() -> None:
    at = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    sql = "SELECT $run, $kind, $at, $others, '$run' WHERE $run > 0"
    assert bind(sql, {"run": 3, "kind": "it's", "at": at, "others": ["a"]}) == (
        "SELECT CAST(3 AS BIGINT), 'it''s', TIMESTAMP '2026-01-02 01:04:05', ['a'], '$run' "
        "WHERE CAST(3 AS BIGINT) > 0"
    )


def test_a_named_parameter_without_a_value_is_named() -> None:
    with pytest.raises(EngineUnsupportedError, match=r"\$kind"):
        bind("SELECT $run, $kind", {"run": 1})
