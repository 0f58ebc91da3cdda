"""eval on Spark: the same figures against the world's truth as DuckDB gives.

Reads `detected` (the parity world mined and detected on each engine) and writes
nothing to it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from moneytrail.cli import app
from tests.spark.conftest import invoke_ok

pytestmark = pytest.mark.spark


def evaluated(ws: Path, engine: str, world: Path, *args: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(
        invoke_ok(ws, engine, "eval", "--truth", str(world), "--json", *args)
    )
    return doc


@pytest.mark.usefixtures("cli_env")
def test_the_same_figures_as_duckdb(
    detected: tuple[Path, Path, dict[str, object], dict[str, object]], parity_world: Path
) -> None:
    duck, on_spark = detected[:2]
    want = evaluated(duck, "duckdb", parity_world)
    assert evaluated(on_spark, "spark", parity_world) == want
    # the truth's accounts were found by their keys, and some planted cases were caught
    assert want["subject"]["found"] > 0 and want["account"]["true_flagged"] > 0, want
    assert want["look_alikes"] is not None and want["look_alikes"]["accounts"] > 0
    low = evaluated(duck, "duckdb", parity_world, "--min-score", "0")
    assert evaluated(on_spark, "spark", parity_world, "--min-score", "0") == low
    assert low["subject"]["flagged"] >= want["subject"]["flagged"]


def test_a_spark_workspace_with_nothing_loaded_says_so(tmp_path: Path, parity_world: Path) -> None:
    cli = ["--engine", "spark", "-w", str(tmp_path / "ws"), "eval", "--truth", str(parity_world)]
    result = CliRunner().invoke(app, cli)
    assert result.exit_code == 1
    assert "nothing loaded yet" in result.output
