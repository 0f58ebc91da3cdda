"""The supervised scorer on Spark: the same model, scores and report as DuckDB's.

The parity world, mined and detected on each engine (`detected`), is copied; the
model is trained on the first part of its weeks and scores the rest, on each
engine. The features come from each engine's own tables (the same rows, checked by
the graph parity tests), so LightGBM fits the same trees.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.spark.conftest import copy_loaded, invoke_ok

pytestmark = pytest.mark.spark

VOLATILE = ("seconds", "trained_at", "pictures")


@pytest.mark.usefixtures("cli_env")
def test_the_same_model_scores_and_report_as_duckdb(
    tmp_path: Path,
    detected: tuple[Path, Path, dict[str, object], dict[str, object]],
    parity_world: Path,
) -> None:
    duck, on_spark = copy_loaded(detected[:2], tmp_path)
    both = (("duckdb", duck), ("spark", on_spark))

    def run(*args: str) -> list[Any]:
        docs = []
        for engine, ws in both:
            doc = json.loads(invoke_ok(ws, engine, *args))
            if isinstance(doc, dict):
                for key in VOLATILE:
                    doc.pop(key, None)
                for tried in (*doc.get("tried", []), *doc.get("selection", [])):
                    tried.pop("seconds", None)  # what each candidate took to fit
            docs.append(doc)
        return docs

    with duckdb.connect(str(duck / "warehouse.duckdb"), read_only=True) as con:
        first, last = con.execute("SELECT min(ts), max(ts) FROM transactions").fetchone() or (0, 0)
    until = (first + (last - first) * 0.7).replace(microsecond=0)
    trained = run("model", "train", "--until", until.isoformat(), "--json")
    assert trained[1] == trained[0]
    assert trained[0]["train_rows"] > 100 and trained[0]["valid_rows"] > 0, trained[0]
    scored = run("model", "score", "--from", until.isoformat(), "--explain", "--json")
    assert scored[1] == scored[0]
    assert scored[0] and any(r["contributions"] for r in scored[0]), scored[0][:3]
    reports = run("model", "report", "--patterns", str(parity_world), "--json")
    assert reports[1] == reports[0]
    assert reports[0]["scored"] == len(scored[0])
    # a second scoring replaces the first, as on DuckDB
    later = (until + timedelta(days=3)).isoformat()
    again = run("model", "score", "--from", later, "--json")
    assert again[1] == again[0]
    assert run("model", "report", "--json")[1]["scored"] == len(again[0])
