"""`--engine spark resolve`: the same resolution tables as DuckDB's, row for row.

The world detect's parity tests loaded on both engines (tests/spark/conftest.py) is
resolved on each: an aml-csv world, so its records are accounts (one per row that
names one) and the banks they name, linked on their tokens and bank codes. Entity
ids derive from members, so they compare too.

A second world adds the files of records (FtM, EFW2, Form 941, OCDS: tests/spark
conftest's `records_loaded`), so that people, companies, addresses and their
identifiers are resolved with the accounts. Their kinds are linked by Splink's
trained models: DuckDB trains them and Spark is given the saved models, as in
test_resolve_parity (EM draws differently on the two backends).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pytest
from typer.testing import CliRunner

from moneytrail.cli import app
from moneytrail.engine import ENV_ENGINE
from moneytrail.model.tables import TABLES
from moneytrail.spark._connection import SparkConnection
from moneytrail.spark._warehouse import SparkWarehouse
from moneytrail.workspace import ENV_TOKEN_KEY, Workspace
from tests.spark.conftest import TOKEN_KEY, copy_loaded

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark

TABLES_COMPARED = {
    "resolve_records": "*",
    "entities": "*",
    "entity_members": "*",
    "entity_links": "*",
    "generic_identifiers": "*",
    "entity_events": "*",
    "resolve_runs": "run_id, mode, records, links",
}


@pytest.fixture(scope="module")
def resolved(
    detected: tuple[Path, Path, dict[str, object], dict[str, object]],
) -> tuple[Path, Path, dict[str, Any], dict[str, Any]]:
    """The detect world resolved by the CLI on each engine: workspaces and reports."""
    duck, on_spark, _, _ = detected
    reports = []
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(ENV_ENGINE, raising=False)
        for engine, ws in (("duckdb", duck), ("spark", on_spark)):
            args = ["--engine", engine, "-w", str(ws), "resolve", "--json"]
            result = CliRunner().invoke(app, args)
            assert result.exit_code == 0, result.output
            reports.append(json.loads(result.stdout))
    return duck, on_spark, reports[0], reports[1]


def test_the_same_entities_members_and_links_as_duckdb(
    resolved: tuple[Path, Path, dict[str, Any], dict[str, Any]],
) -> None:
    duck, on_spark, want, got = resolved
    for doc in (want, got):
        doc.pop("seconds")
        doc.pop("timings")
    assert got == want
    assert want["entities"]["account"] > 100 and want["links"] > 100
    con = duckdb.connect(str(duck / "warehouse.duckdb"), read_only=True)
    wh = on_spark / "spark-warehouse"
    try:
        for table, cols in TABLES_COMPARED.items():
            expected = con.execute(f"SELECT {cols} FROM {table} ORDER BY ALL").fetchall()
            parts = sorted((wh / table).glob("*.parquet"))
            found = con.execute(
                f"SELECT {cols} FROM read_parquet({[str(p) for p in parts]}) ORDER BY ALL"
            ).fetchall() if parts else []  # fmt: skip
            assert found == expected, table
        backend = con.execute(f"SELECT backend FROM read_parquet('{wh}/resolve_runs/*.parquet')")
        assert backend.fetchall() == [("spark",)]
    finally:
        con.close()


def test_status_counts_resolution_tables_on_both_engines(
    resolved: tuple[Path, Path, dict[str, Any], dict[str, Any]],
) -> None:
    duck, on_spark, _, _ = resolved

    def derived(ws: Path, engine: str) -> dict[str, int]:
        result = CliRunner().invoke(app, ["--engine", engine, "status", "--json", "-w", str(ws)])
        counts: dict[str, int] = json.loads(result.stdout)["derived"]
        return counts

    on_duckdb = derived(duck, "duckdb")
    assert derived(on_spark, "spark") == on_duckdb
    assert all(on_duckdb[t] for t in ("resolve_runs", "entities", "entity_members"))


def test_entities_lists_the_same_entities(
    resolved: tuple[Path, Path, dict[str, Any], dict[str, Any]],
) -> None:
    """`moneytrail entities` on Spark: the gateway's listing (member ids masked)."""
    duck, on_spark, _, _ = resolved

    def listed(ws: Path, engine: str, *more: str) -> list[dict[str, Any]]:
        args = ["--engine", engine, "entities", "--json", "-w", str(ws), *more]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        doc: list[dict[str, Any]] = json.loads(result.stdout)
        return doc

    want = listed(duck, "duckdb")
    assert len(want) > 100
    assert listed(on_spark, "spark") == want
    assert listed(on_spark, "spark", "--kind", "bank") == listed(duck, "duckdb", "--kind", "bank")


def test_detect_reads_the_entities_resolve_wrote(
    resolved: tuple[Path, Path, dict[str, Any], dict[str, Any]], spark: SparkSession
) -> None:
    """Grouping's view of entities (moneytrail.detect._group): each account entity's
    account keys, the same on both engines once resolve has run on Spark."""
    duck, on_spark, _, _ = resolved
    sql = """
        SELECT m.entity_id, a.account_key FROM entity_members m
        JOIN resolve_records r ON r.record_id = m.member_id AND r.kind = 'account'
        JOIN accounts a ON a.account_token = r.id_token WHERE m.kind = 'account'
        ORDER BY ALL
    """
    con = SparkConnection(SparkWarehouse(Workspace(on_spark), spark), [t.name for t in TABLES])
    try:
        got = con.execute(sql).fetchall()
    finally:
        con.close()
    with duckdb.connect(str(duck / "warehouse.duckdb"), read_only=True) as local:
        want = local.execute(sql).fetchall()
    assert got == want
    assert len(want) > 100


@pytest.fixture(scope="module")
def resolved_records(
    tmp_path_factory: pytest.TempPathFactory,
    records_loaded: tuple[Path, Path, object, object],
) -> tuple[Path, Path]:
    """The world with its files of records resolved on each engine, Spark on the models
    DuckDB trained."""
    duck, on_spark = copy_loaded(records_loaded[:2], tmp_path_factory.mktemp("resolve-records"))
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(ENV_ENGINE, raising=False)
        mp.setenv(ENV_TOKEN_KEY, TOKEN_KEY)
        for engine, ws in (("duckdb", duck), ("spark", on_spark)):
            if engine == "spark":
                shutil.copytree(duck / "resolve", on_spark / "resolve")  # the trained models
            args = ["--engine", engine, "-w", str(ws), "resolve", "--json"]
            result = CliRunner().invoke(app, args)
            assert result.exit_code == 0, result.output
    return duck, on_spark


def test_parties_and_their_identifiers_resolve_as_on_duckdb(
    resolved_records: tuple[Path, Path],
) -> None:
    duck, on_spark = resolved_records
    wh = on_spark / "spark-warehouse"
    # weights agree to the last bits of a double (summed in another order on Spark)
    compared = {
        **TABLES_COMPARED,
        "entity_links": "kind, member_l, member_r, rule, round(match_weight, 9), "
        "round(match_probability, 9), linked, fields, run_id",
    }
    with duckdb.connect(str(duck / "warehouse.duckdb"), read_only=True) as con:
        for table, cols in compared.items():
            expected = con.execute(f"SELECT {cols} FROM {table} ORDER BY ALL").fetchall()
            parts = sorted((wh / table).glob("*.parquet"))
            found = con.execute(
                f"SELECT {cols} FROM read_parquet({[str(p) for p in parts]}) ORDER BY ALL"
            ).fetchall() if parts else []  # fmt: skip
            assert found == expected, table
        kinds = dict(con.execute("SELECT kind, count(*) FROM entities GROUP BY kind").fetchall())
        splink = con.execute("SELECT count(*) FROM entity_links WHERE rule = 'splink'").fetchall()
    assert kinds.get("person", 0) > 50 and kinds.get("company", 0) > 50, kinds
    assert splink[0][0] > 0


def test_contracts_tie_vendors_through_the_entities_on_both_engines(
    tmp_path: Path, resolved_records: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Vendor links read entity_members once resolution has run: the same findings."""
    monkeypatch.delenv(ENV_ENGINE, raising=False)
    monkeypatch.setenv(ENV_TOKEN_KEY, TOKEN_KEY)
    duck, on_spark = copy_loaded(resolved_records, tmp_path)
    listed = []
    for engine, ws in (("duckdb", duck), ("spark", on_spark)):
        args = ["--engine", engine, "-w", str(ws), "contracts", "findings", "--json"]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        rows = json.loads(result.stdout)["findings"]
        listed.append([{k: v for k, v in r.items() if k != "found_at"} for r in rows])
    assert listed[1] == listed[0]
    assert any(r["code"] == "MT-P004" for r in listed[0]), listed[0]
