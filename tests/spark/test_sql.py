"""Stage SQL is written once in DuckDB's dialect; rendered for Spark it means the same."""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb
import pytest

from moneytrail.errors import EngineUnsupportedError
from moneytrail.ingest._codes import AML_CURRENCY_NAMES, AML_PAYMENT_FORMATS, ISO_CURRENCIES
from moneytrail.ingest.aml_csv import PARSED, parse_sql
from moneytrail.spark._sql import render

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@pytest.mark.parametrize(
    ("duckdb_sql", "spark_sql"),
    [
        ("SELECT strlen(s) FROM t", "SELECT OCTET_LENGTH(s) FROM t"),
        ("SELECT ts + to_hours(72) FROM t", "SELECT ts + MAKE_DT_INTERVAL(0, 72) FROM t"),
        (
            "SELECT try_strptime(s, '%Y/%m/%d %H:%M') FROM t",
            "SELECT TRY_TO_TIMESTAMP(s, 'yyyy/MM/dd HH:mm') FROM t",
        ),
        ("SELECT format('{} is 5%', s) FROM t", "SELECT FORMAT_STRING('%s is 5%%', s) FROM t"),
        ("SELECT len(p), len(s) FROM t", "SELECT SIZE(p), LENGTH(s) FROM t"),
        (
            "SELECT p[1], p[i], q[1] FROM t",
            "SELECT TRY_ELEMENT_AT(p, 1), TRY_ELEMENT_AT(p, i), q[0] FROM t",
        ),
        (
            "SELECT left(s, -1), left(s, 2) FROM t",
            "SELECT SUBSTRING(s, 1, LENGTH(s) - 1), LEFT(s, 2) FROM t",
        ),
        (
            "SELECT p[list_position(['a', 'b'], s)] FROM t",
            "SELECT TRY_ELEMENT_AT(p, CAST(NULLIF(ARRAY_POSITION(ARRAY('a', 'b'), s), 0) AS INT)) FROM t",
        ),
        (
            "SELECT regexp_replace(s, ' *, *', ',', 'g'), regexp_replace(s, '^the ', '') FROM t",
            "SELECT REGEXP_REPLACE(s, ' *, *', ','), REGEXP_REPLACE(s, '^the ', '') FROM t",
        ),
        (
            "SELECT any_value(s) FILTER (WHERE i = 1) FROM t",
            "SELECT ANY_VALUE(s) FILTER(WHERE i = 1) IGNORE NULLS FROM t",
        ),
        ("SELECT dayofweek(ts) FROM t", "SELECT (DAYOFWEEK(ts) - 1) FROM t"),
        (
            "SELECT ('0x' || substr(s, 1, 15))::BIGINT FROM t",
            "SELECT CAST(CONV(SUBSTRING(s, 1, 15), 16, 10) AS BIGINT) FROM t",
        ),
        (
            "SELECT s FROM t LIMIT CAST(81 AS BIGINT) OFFSET CAST(3 AS BIGINT)",
            "SELECT s FROM t LIMIT 81 OFFSET 3",
        ),
        (
            "SELECT i, unnest(p) AS a, unnest([1, 2]) AS b FROM t",
            "SELECT i, INLINE(ARRAYS_ZIP(p, ARRAY(1, 2))) AS (a, b) FROM t",
        ),
    ],
)
def test_rules_render_duckdb_functions_with_spark_meaning(duckdb_sql: str, spark_sql: str) -> None:
    assert render(duckdb_sql, frozenset({"p"})) == spark_sql


def test_what_cannot_be_rendered_names_engine_and_construct() -> None:
    with pytest.raises(EngineUnsupportedError, match=r"Engine 'spark' does not have DuckDB's try"):
        render("SELECT try(s::INTEGER) FROM t")
    with pytest.raises(EngineUnsupportedError, match="only with a constant format"):
        render("SELECT try_strptime(s, f) FROM t")
    # DuckDB replaces the first match only, Spark every one: the same only when anchored
    for pattern in ("a", "^a|b"):
        with pytest.raises(EngineUnsupportedError, match="replaces the first only"):
            render(f"SELECT regexp_replace(s, '{pattern}', '') FROM t")


LINES = [
    "2024/01/05 10:20,B1,ACC1,B2,ACC2,10.50,US Dollar,10.50,US Dollar,Wire,0",
    "2024/13/05 10:20,B1,ACC1,B2,ACC2,10.50,US Dollar,10.50,US Dollar,Wire,0",
    "2024/01/05 10:20,B1,,B2,ACC2,10.50,US Dollar,10.50,US Dollar,Wire,0",
    "2024/01/05 10:20,B1,ACC1,B2,ACC2,-1,US Dollar,10.50,US Dollar,Wire,0",
    "2024/01/05 10:20,B1,ACC1,B2,ACC2,10.50,Doubloon,10.50,US Dollar,Wire,1",
    "2024/01/05 10:20,B1,ACC1,B2,ACC2,10.50,US Dollar,abc,US Dollar,Wire,0",
    "2024/01/05 10:20,B1,ACC1,B2,ACC2,10.50,US Dollar,10.50,US Dollar,Barter,0",
    "2024/01/05 10:20,B1,ACC1,B2,ACC2,10.50,US Dollar,10.50,US Dollar,Wire,7",
    "2024/01/05 10:20,B1,ACC1,B2",
    "a,b,c,d,e,f,g,h,i,j,k,l",
    "2024/01/05 10:20," + "B" * 130 + ",ACC1,B2,ACC2,10.50,US Dollar,10.50,US Dollar,Wire,0",
    "",
    " 2024/01/05 10:20 , B1,ACC1 ,B2,ACC2,10.50,Euro,10.50, Euro,Cash,1 \r",
    "2024/01/05 10:20,B1,ACC1,B2,ACC2,10.50,US Dollar,10.50,US Dollar,Wire,0\r",
    "2024/01/05 10:20,B1,ACC1,B2,ACC2,10.50,US Dollar,10.50,US Dollar,Wire,0\x00",
    None,  # not UTF-8
]


@pytest.mark.spark
def test_aml_csv_parse_is_the_same_on_both_engines(spark: SparkSession) -> None:
    """The reader's own parse SQL, run by DuckDB and rendered for Spark, row for row."""
    rows = [(i, line) for i, line in enumerate(LINES, start=1)]
    currencies = [*AML_CURRENCY_NAMES.items(), *((c, c) for c in sorted(ISO_CURRENCIES))]
    formats = list(AML_PAYMENT_FORMATS.items())
    sql = parse_sql(11, "lines") + " ORDER BY row_no"
    con = duckdb.connect()
    con.execute("CREATE TABLE lines (row_no BIGINT, txt VARCHAR)")
    con.executemany("INSERT INTO lines VALUES (?, ?)", rows)
    for name, pairs, cols in (
        ("_aml_currency", currencies, "name VARCHAR, code VARCHAR"),
        ("_aml_format", formats, "name VARCHAR, channel VARCHAR"),
    ):
        con.execute(f"CREATE TABLE {name} ({cols})")
        con.executemany(f"INSERT INTO {name} VALUES (?, ?)", pairs)
        spark.createDataFrame(pairs, cols.replace("VARCHAR", "STRING")).createOrReplaceTempView(
            name
        )
    on_duckdb = con.execute(sql).fetchall()
    spark.createDataFrame(rows, "row_no BIGINT, txt STRING").createOrReplaceTempView("lines")
    on_spark = [tuple(r) for r in spark.sql(render(sql, frozenset({"p", "tp"}))).collect()]
    assert [dict(zip(PARSED, r, strict=True)) for r in on_spark] == [
        dict(zip(PARSED, r, strict=True)) for r in on_duckdb
    ]
    assert [r[PARSED.index("bad_field")] for r in on_duckdb] == [
        None,
        "Timestamp",
        "Account",
        "Amount Received",
        "Receiving Currency",
        "Amount Paid",
        "Payment Format",
        "Is Laundering",
        "*",
        "*",
        "From Bank",
        "*",
        None,
        None,
        "*",
        "*",
    ]
    assert on_duckdb[5][PARSED.index("original")] == "abc"


def test_a_list_ordered_by_other_keys_is_duckdbs_on_spark(spark: SparkSession) -> None:
    """NULL keys last and values in key order, as DuckDB lists them (ties aside)."""
    sql = (
        "SELECT g, list(x ORDER BY a, b) AS xs FROM (VALUES (1, 'p', 2, 1), (1, 'q', NULL, 0), "
        "(1, 'r', 1, 5), (1, NULL, 1, 4), (2, 's', 0, 0)) AS t(g, x, a, b) GROUP BY g ORDER BY g"
    )
    want = duckdb.sql(sql).fetchall()
    got = [(r[0], list(r[1])) for r in spark.sql(render(sql)).collect()]
    assert want == [(1, [None, "r", "p", "q"]), (2, ["s"])]
    assert got == want


def test_text_cast_to_timestamptz_is_the_same_instant_on_spark(spark: SparkSession) -> None:
    """Offsets applied, UTC's wall clock kept; what neither reads is NULL on both."""
    texts = (
        "2024-01-05T10:00:00Z", "2024-01-05T10:00:00-05:00", "2024-01-05T23:30:00+02:00",
        "2024-01-05", "2024-01-05 08:15:00", "2024-02-30", "not a date", None,
    )  # fmt: skip
    values = ", ".join("(NULL)" if t is None else f"('{t}')" for t in texts)
    sql = f"SELECT s, TRY_CAST(s AS TIMESTAMPTZ) AS ts FROM (VALUES {values}) AS t(s) ORDER BY s"
    duck = duckdb.connect()
    duck.execute("SET TimeZone = 'UTC'")
    want = [
        (s, None if ts is None else ts.replace(tzinfo=None))
        for s, ts in duck.execute(sql).fetchall()
    ]
    got = [tuple(r) for r in spark.sql(render(sql)).collect()]
    assert got == want
    assert dict(want)["2024-01-05T10:00:00-05:00"].hour == 15


def test_day_of_week_counts_from_sunday_zero_on_spark(spark: SparkSession) -> None:
    days = ", ".join(f"(TIMESTAMP '2024-01-{d:02d} 12:00:00')" for d in range(7, 14))
    sql = f"SELECT d, dayofweek(d) AS w FROM (VALUES {days}) AS t(d) ORDER BY d"
    want = duckdb.sql(sql).fetchall()
    assert [w for _, w in want] == [0, 1, 2, 3, 4, 5, 6]  # 2024-01-07 is a Sunday
    rows = spark.sql(render(sql)).collect()
    assert [(r[0], r[1]) for r in rows] == want
