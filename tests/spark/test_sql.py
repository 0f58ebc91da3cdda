"""Stage SQL is written once in DuckDB's dialect; rendered for Spark it means the same."""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb
import pytest

from moneytrail.errors import EngineUnsupportedError
from moneytrail.ingest.aml_csv import field_checks
from moneytrail.spark._sql import render

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@pytest.mark.parametrize(
    ("duckdb_sql", "spark_sql"),
    [
        ("SELECT strlen(s) FROM t", "SELECT OCTET_LENGTH(s) FROM t"),
        (
            "SELECT try_strptime(s, '%Y/%m/%d %H:%M') FROM t",
            "SELECT TRY_TO_TIMESTAMP(s, 'yyyy/MM/dd HH:mm') FROM t",
        ),
        ("SELECT format('{} is 5%', s) FROM t", "SELECT FORMAT_STRING('%s is 5%%', s) FROM t"),
        ("SELECT len(p), len(s) FROM t", "SELECT SIZE(p), LENGTH(s) FROM t"),
        (
            "SELECT p[1], p[i], q[1] FROM t",
            "SELECT TRY_ELEMENT_AT(p, 1), TRY_ELEMENT_AT(p, i + 1), q[0] FROM t",
        ),
        (
            "SELECT ('0x' || substr(s, 1, 15))::BIGINT FROM t",
            "SELECT CAST(CONV(SUBSTRING(s, 1, 15), 16, 10) AS BIGINT) FROM t",
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
]
FRAME = """
SELECT row_no, txt, body, p, list_transform(p, lambda x: trim(x)) AS tp,
    try_strptime(trim(p[1]), '%Y/%m/%d %H:%M') AS ts,
    trim(p[2]) AS from_bank, trim(p[3]) AS from_number,
    trim(p[4]) AS to_bank, trim(p[5]) AS to_number,
    try_cast(trim(p[6]) AS DECIMAL(38,8)) AS amount_received,
    CASE WHEN trim(p[7]) = 'US Dollar' THEN 'USD' END AS currency_received,
    try_cast(trim(p[8]) AS DECIMAL(38,8)) AS amount_paid,
    CASE WHEN trim(p[9]) = 'US Dollar' THEN 'USD' END AS currency_paid,
    CASE WHEN trim(p[10]) = 'Wire' THEN 'wire' END AS channel
FROM (SELECT row_no, txt, txt AS body, string_split(txt, ',') AS p FROM lines)
"""


def checked(frame: str) -> str:
    ok, field, reason = field_checks(11)
    return (
        f"SELECT row_no, {ok} AS ok, CASE WHEN {ok} THEN NULL ELSE {field} END AS field, "
        f"CASE WHEN {ok} THEN NULL ELSE {reason} END AS reason, ts FROM ({frame}) "
        "ORDER BY row_no"
    )


@pytest.mark.spark
def test_aml_csv_field_checks_quarantine_alike_on_both_engines(spark: SparkSession) -> None:
    rows = [(i, line) for i, line in enumerate(LINES, start=1)]
    con = duckdb.connect()
    con.execute("CREATE TABLE lines (row_no BIGINT, txt VARCHAR)")
    con.executemany("INSERT INTO lines VALUES (?, ?)", rows)
    sql = checked(FRAME)
    on_duckdb = con.execute(sql).fetchall()
    spark.createDataFrame(rows, "row_no BIGINT, txt STRING").createOrReplaceTempView("lines")
    on_spark = [tuple(r) for r in spark.sql(render(sql, frozenset({"p", "tp"}))).collect()]
    assert on_spark == on_duckdb
    assert [r[2] for r in on_duckdb] == [
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
    ]
