"""trace and income on Spark: the same report as DuckDB's, from the Spark tables.

Tracing is moneytrail.trace's own code on either engine; on Spark it reads the
ledger through a SparkConnection over the Parquet tables (moneytrail.spark._reading).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from moneytrail.cli import app
from moneytrail.trace import RULES

pytestmark = pytest.mark.spark


def invoke(ws: Path, engine: str, *args: str) -> Any:
    return CliRunner().invoke(app, ["--engine", engine, "-w", str(ws), *args])


def traced(ws: Path, engine: str, *args: str) -> dict[str, Any]:
    result = invoke(ws, engine, "trace", *args, "--json")
    assert result.exit_code == 0, result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def test_the_same_trace_under_every_rule(
    detected: tuple[Path, Path, dict[str, object], dict[str, object]],
) -> None:
    duck, on_spark, _, _ = detected
    listed = json.loads(invoke(duck, "duckdb", "alerts", "--min-score", "0", "--json").stdout)
    alert = max(listed, key=lambda a: (len(a["evidence"]), a["alert_id"]))
    assert len(alert["evidence"]) >= 3
    for rule in RULES:
        want = traced(duck, "duckdb", "--alert", alert["alert_id"], "--rule", rule)
        assert want["accounts"], rule
        assert traced(on_spark, "spark", "--alert", alert["alert_id"], "--rule", rule) == want
    named = ",".join(alert["evidence"][:2])
    want = traced(duck, "duckdb", "--tainted", named, "--max-hops", "2")
    assert traced(on_spark, "spark", "--tainted", named, "--max-hops", "2") == want


def test_saving_a_run_is_refused_by_name(
    detected: tuple[Path, Path, dict[str, object], dict[str, object]],
) -> None:
    _, on_spark, _, _ = detected
    result = invoke(on_spark, "spark", "trace", "--tainted", "1", "--save")
    assert result.exit_code != 0
    assert "`moneytrail trace --save` (storing the run in trace_runs)" in result.output
    assert "runs on DuckDB only" in result.output


def test_income_names_the_same_missing_holder(
    detected: tuple[Path, Path, dict[str, object], dict[str, object]],
) -> None:
    """An aml-csv warehouse holds no account holders: both engines say so alike."""
    duck, on_spark, _, _ = detected
    outputs = [invoke(ws, e, "income", "--party", "P-1").output for ws, e in
               ((duck, "duckdb"), (on_spark, "spark"))]  # fmt: skip
    assert "no account is held by 'P-1'" in outputs[0]
    assert outputs[1] == outputs[0]
