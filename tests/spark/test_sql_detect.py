"""detect's DuckDB SQL on Spark: its render rules and the binding of `?` parameters.

Rendering and binding need no JVM; the queries' meaning on Spark is checked by
test_detect_parity (the same alerts as DuckDB)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from moneytrail.errors import EngineUnsupportedError
from moneytrail.spark._connection import bind
from moneytrail.spark._sql import render


@pytest.mark.parametrize(
    ("duckdb_sql", "spark_sql"),
    [
        (
            "SELECT list_sort(list(x))[1:500] FROM t",
            "SELECT SLICE(ARRAY_SORT(COLLECT_LIST(x)), 1, 500) FROM t",
        ),
        (
            "SELECT ts + to_seconds(86400) FROM t",
            "SELECT ts + MAKE_DT_INTERVAL(0, 0, 0, CAST(86400 AS DECIMAL(18, 6))) FROM t",
        ),
        ("SELECT epoch_us(ts) FROM t", "SELECT UNIX_MICROS(CAST(ts AS TIMESTAMP)) FROM t"),
        (
            "SELECT epoch(ts) FROM t",
            "SELECT (CAST(UNIX_MICROS(CAST(ts AS TIMESTAMP)) AS DOUBLE) / 1000000) FROM t",
        ),
        (
            "SELECT time_bucket(to_microseconds(60), ts) FROM t",
            "SELECT TIMESTAMP_MICROS(UNIX_MICROS(CAST(ts AS TIMESTAMP)) - "
            "PMOD(UNIX_MICROS(CAST(ts AS TIMESTAMP)), 60)) FROM t",
        ),
        (
            "WITH b AS MATERIALIZED (SELECT 1) SELECT * FROM b",
            "WITH b AS (SELECT 1) SELECT * FROM b",
        ),
        (
            "SELECT list(DISTINCT k ORDER BY k) FROM t",
            "SELECT ARRAY_SORT(COLLECT_LIST(DISTINCT k)) FROM t",
        ),
        ("SELECT a / b FROM t", "SELECT CAST(a AS DOUBLE) / CAST(b AS DOUBLE) FROM t"),
    ],
)
def test_detect_rules_render_with_duckdb_meaning(duckdb_sql: str, spark_sql: str) -> None:
    assert render(duckdb_sql) == spark_sql


def test_a_list_ordered_by_other_keys_sorts_structs_of_keys_and_value() -> None:
    assert render("SELECT list(x ORDER BY a, b) FROM t") == (
        "SELECT TRANSFORM(ARRAY_SORT(COLLECT_LIST(NAMED_STRUCT('n0', a IS NULL, 'k0', a, "
        "'n1', b IS NULL, 'k1', b, 'v', x))), o -> o.v) FROM t"
    )


def test_a_filtered_list_ordered_by_other_keys_filters_what_it_gathers() -> None:
    assert render("SELECT list(x ORDER BY a) FILTER (WHERE x > 0) FROM t") == (
        "SELECT TRANSFORM(ARRAY_SORT(COLLECT_LIST(NAMED_STRUCT('n0', a IS NULL, 'k0', a, "
        "'v', x)) FILTER(WHERE x > 0)), o -> o.v) FROM t"
    )


def test_a_list_ordered_by_other_keys_descending_refuses_by_name() -> None:
    with pytest.raises(EngineUnsupportedError, match=r"list\(x ORDER BY keys\) by other keys only"):
        render("SELECT list(x ORDER BY s DESC, x) FROM t")


def test_parameters_bind_as_typed_literals() -> None:
    sql = "SELECT ?::DOUBLE, '?' FROM t WHERE a = ? AND k IN (SELECT unnest(?::BIGINT[])) AND b = ?"
    assert bind(sql, [3, "it's", [1, 2], Decimal("1.50")]) == (
        "SELECT CAST(3 AS BIGINT)::DOUBLE, '?' FROM t WHERE a = 'it''s' AND k IN "
        "(SELECT unnest([CAST(1 AS BIGINT), CAST(2 AS BIGINT)]::BIGINT[])) "
        "AND b = CAST('1.50' AS DECIMAL(38, 2))"
    )
    assert bind("SELECT ? * x", [0.5]) == "SELECT CAST(0.5 AS DOUBLE) * x"


def test_parameters_must_match_placeholders() -> None:
    with pytest.raises(EngineUnsupportedError, match="2 parameter"):
        bind("SELECT ?, ?", [1])
    with pytest.raises(EngineUnsupportedError, match="no parameter of type"):
        bind("SELECT ?", [object()])
