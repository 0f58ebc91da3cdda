"""trace and income on Spark: the same report as DuckDB's, from the Spark tables, and
with --save the same rows in trace_runs and trace_schedule.

Tracing is moneytrail.trace's own code on either engine; on Spark it reads the
ledger through a SparkConnection over the Parquet tables (moneytrail.spark._reading),
and a saved run is appended to them (moneytrail.spark._trace).
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from moneytrail.cli import app
from moneytrail.gateway.commands import ENV_PASSWORD
from moneytrail.trace import RULES
from tests.spark.conftest import SUPERVISOR_PASSWORD, copy_loaded, invoke_ok, supervised_store

pytestmark = pytest.mark.spark

PASSWORD = SUPERVISOR_PASSWORD


def invoke(ws: Path, engine: str, *args: str) -> Any:
    return CliRunner().invoke(app, ["--engine", engine, "-w", str(ws), *args])


def traced(ws: Path, engine: str, *args: str) -> dict[str, Any]:
    result = invoke(ws, engine, "trace", *args, "--json")
    assert result.exit_code == 0, result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def strongest(duck: Path) -> dict[str, Any]:
    """The alert with the most evidence in DuckDB's workspace."""
    listed = json.loads(invoke(duck, "duckdb", "alerts", "--min-score", "0", "--json").stdout)
    alert: dict[str, Any] = max(listed, key=lambda a: (len(a["evidence"]), a["alert_id"]))
    return alert


def test_the_same_trace_under_every_rule(
    detected: tuple[Path, Path, dict[str, object], dict[str, object]],
) -> None:
    duck, on_spark, _, _ = detected
    alert = strongest(duck)
    assert len(alert["evidence"]) >= 3
    for rule in RULES:
        want = traced(duck, "duckdb", "--alert", alert["alert_id"], "--rule", rule)
        assert want["accounts"], rule
        assert traced(on_spark, "spark", "--alert", alert["alert_id"], "--rule", rule) == want
    named = ",".join(alert["evidence"][:2])
    want = traced(duck, "duckdb", "--tainted", named, "--max-hops", "2")
    assert traced(on_spark, "spark", "--tainted", named, "--max-hops", "2") == want


def stored(ws: Path, name: str) -> list[tuple[Any, ...]]:
    """Table `name` of a DuckDB workspace, or of a Spark workspace (its Parquet files)."""
    query = f"SELECT * FROM {name} ORDER BY ALL"
    if (ws / "warehouse.duckdb").exists():
        with duckdb.connect(str(ws / "warehouse.duckdb"), read_only=True) as con:
            return con.execute(query).fetchall()
    files = [str(p) for p in sorted((ws / "spark-warehouse" / name).glob("*.parquet"))]
    if not files:
        return []
    with duckdb.connect() as con:
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet({files})")
        return con.execute(query).fetchall()


def open_case(ws: Path, run_ids: list[int]) -> int:
    """A case in the workspace's own case store pointing at the saved traces."""
    with supervised_store(ws) as (store, who):
        case = int(store.create_case(who, "Traced", "Saved traces on both engines.")["id"])
        for run_id in run_ids:
            store.add_evidence(who, case, "trace_runs", str(run_id), "a saved trace")
    return case


@pytest.mark.usefixtures("cli_env")
def test_saved_runs_are_the_rows_duckdb_stores(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    detected: tuple[Path, Path, dict[str, object], dict[str, object]],
) -> None:
    """Saved on both engines: the same run ids, runs and schedule lines (typed as the
    model says), and a case's schedules export read them alike."""
    duck, on_spark = copy_loaded(detected[:2], tmp_path)
    both = (("duckdb", duck), ("spark", on_spark))
    alert = strongest(duck)
    saves = (
        ("--alert", alert["alert_id"], "--rule", "pro-rata"),
        ("--tainted", ",".join(alert["evidence"][:2]), "--rule", "fifo", "--max-hops", "2"),
    )
    for n, args in enumerate(saves, start=1):
        docs = [traced(ws, engine, *args, "--save") for engine, ws in both]
        assert docs[0]["run_id"] == n
        assert docs[1] == docs[0]
    runs = [stored(ws, "trace_runs") for _, ws in both]
    assert [r[0] for r in runs[1]] == [1, 2]
    assert all(isinstance(r[1], datetime) for r in runs[1])
    assert [r[:1] + r[2:] for r in runs[1]] == [r[:1] + r[2:] for r in runs[0]]
    lines = [stored(ws, "trace_schedule") for _, ws in both]
    assert lines[1] == lines[0]
    assert {r[0] for r in lines[0]} == {1, 2}
    movement = next(r for r in lines[1] if r[2] == "movement")
    assert isinstance(movement[4], datetime) and isinstance(movement[7], Decimal), movement
    # a case pointing at both runs: its schedules, read from each engine's tables
    monkeypatch.setenv(ENV_PASSWORD, PASSWORD)
    cases = {open_case(ws, [1, 2]) for _, ws in both}
    assert len(cases) == 1
    case = str(cases.pop())
    exported = []
    for engine, ws in both:
        target = tmp_path / f"{engine}.csv"
        invoke_ok(ws, engine, "export", "csv", "--case", case, "--out", str(target), "--as", "sv")
        exported.append(target.read_text(encoding="utf-8"))
    assert exported[1] == exported[0]
    assert "tracing (run 1, pro-rata)" in exported[0]
    assert "tracing (run 2, fifo)" in exported[0]


def test_a_save_cut_off_before_its_run_row_is_replaced(
    tmp_path: Path, parity_loaded: tuple[Path, Path]
) -> None:
    """Schedule lines appended without their trace_runs row (the done mark) are a save
    that never finished: the next save takes its run id and replaces its lines."""
    duck, on_spark = copy_loaded(parity_loaded, tmp_path)
    with duckdb.connect(str(duck / "warehouse.duckdb"), read_only=True) as con:
        query = "SELECT txn_id FROM transactions ORDER BY amount DESC, txn_id LIMIT 1"
        named = str(con.execute(query).fetchall()[0][0])
    assert traced(on_spark, "spark", "--tainted", named, "--save")["run_id"] == 1
    runs = on_spark / "spark-warehouse" / "trace_runs"
    (part,) = runs.glob("run1-*.parquet")
    part.unlink()  # as if the save had stopped before appending its run
    assert stored(on_spark, "trace_runs") == []
    assert traced(on_spark, "spark", "--tainted", named, "--save")["run_id"] == 1
    assert [r[0] for r in stored(on_spark, "trace_runs")] == [1]
    lines = stored(on_spark, "trace_schedule")
    assert len(lines) == len({(r[0], r[1]) for r in lines}), "each line once"


def test_saving_on_an_empty_spark_warehouse_names_what_is_missing(tmp_path: Path) -> None:
    result = invoke(tmp_path / "ws", "spark", "trace", "--tainted", "T-1", "--save")
    assert result.exit_code == 1
    assert "no transaction with id 'T-1'" in result.output
    assert not (tmp_path / "ws" / "spark-warehouse" / "trace_runs").exists()


def test_income_names_the_same_missing_holder(
    detected: tuple[Path, Path, dict[str, object], dict[str, object]],
) -> None:
    """An aml-csv warehouse holds no account holders: both engines say so alike."""
    duck, on_spark, _, _ = detected
    outputs = [invoke(ws, e, "income", "--party", "P-1").output for ws, e in
               ((duck, "duckdb"), (on_spark, "spark"))]  # fmt: skip
    assert "no account is held by 'P-1'" in outputs[0]
    assert outputs[1] == outputs[0]
