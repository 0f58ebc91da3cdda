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
from tests.spark.conftest import TOKEN_KEY, copy_loaded, invoke_ok

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


@pytest.mark.usefixtures("cli_env")
def test_contracts_tie_vendors_through_the_entities_on_both_engines(
    tmp_path: Path, resolved_records: tuple[Path, Path]
) -> None:
    """Vendor links read entity_members once resolution has run: the same findings."""
    duck, on_spark = copy_loaded(resolved_records, tmp_path)
    listed = []
    for engine, ws in (("duckdb", duck), ("spark", on_spark)):
        rows = json.loads(invoke_ok(ws, engine, "contracts", "findings", "--json"))["findings"]
        listed.append([{k: v for k, v in r.items() if k != "found_at"} for r in rows])
    assert listed[1] == listed[0]
    assert any(r["code"] == "MT-P004" for r in listed[0]), listed[0]


@pytest.mark.usefixtures("cli_env")
def test_links_are_explained_and_decided_alike_on_both_engines(
    tmp_path: Path, resolved_records: tuple[Path, Path]
) -> None:
    """`link explain`, then `link reject` of a linked pair, then resolve again: the same
    explanation, the same stored decision, and the pair apart on both engines."""
    duck, on_spark = copy_loaded(resolved_records, tmp_path)
    both = (("duckdb", duck), ("spark", on_spark))

    def run(engine: str, ws: Path, *args: str) -> Any:
        return json.loads(invoke_ok(ws, engine, *args))

    with duckdb.connect(str(duck / "warehouse.duckdb"), read_only=True) as con:
        a, b = con.execute(
            "SELECT member_l, member_r FROM entity_links WHERE rule = 'splink' AND linked "
            "ORDER BY match_probability DESC, member_l, member_r LIMIT 1"
        ).fetchone() or ("", "")
    explained = [run(e, ws, "link", "explain", a, b, "--json") for e, ws in both]
    assert explained[1] == explained[0]
    assert len(explained[0]) == 1 and explained[0][0]["decision"] is None, explained[0]
    every = [run(e, ws, "link", "explain", a, "--json") for e, ws in both]
    assert every[1] == every[0] and len(every[0]) >= 1
    args = ("link", "reject", a, b, "--reason", "two people", "--actor", "analyst", "--json")
    decided = [run(e, ws, *args) for e, ws in both]
    assert decided[1] == decided[0]
    assert decided[0]["decision"] == "reject"
    cols = "member_l, member_r, decision, actor, reason"
    parts = [str(p) for p in (on_spark / "spark-warehouse" / "link_decisions").glob("*.parquet")]
    with duckdb.connect(str(duck / "warehouse.duckdb"), read_only=True) as con:
        want = con.execute(f"SELECT {cols} FROM link_decisions").fetchall()
        got = con.execute(f"SELECT {cols} FROM read_parquet({parts})").fetchall()
    assert got == want == [(a, b, "reject", "analyst", "two people")]
    after = [run(e, ws, "link", "explain", a, b, "--json") for e, ws in both]
    assert after[1] == after[0]
    assert after[0][0]["decision"]["decision"] == "reject"
    # the next full run keeps the pair apart, on the decision each engine stored
    for engine, ws in both:
        run(engine, ws, "resolve", "--full", "--json")
    members = "SELECT member_id, entity_id FROM {} WHERE member_id IN (?, ?) ORDER BY 1"
    parts = [str(p) for p in (on_spark / "spark-warehouse" / "entity_members").glob("*.parquet")]
    with duckdb.connect(str(duck / "warehouse.duckdb"), read_only=True) as con:
        want = con.execute(members.format("entity_members"), [a, b]).fetchall()
        got = con.execute(members.format(f"read_parquet({parts})"), [a, b]).fetchall()
    assert got == want
    assert len(want) == 2 and want[0][1] != want[1][1], want
    # a second decision on the pair replaces the first, on either engine
    confirm = ("link", "confirm", a, b, "--actor", "analyst", "--json")
    assert [run(e, ws, *confirm) for e, ws in both][1]["decision"] == "confirm"
    parts = [str(p) for p in (on_spark / "spark-warehouse" / "link_decisions").glob("*.parquet")]
    with duckdb.connect() as con:
        got = con.execute(f"SELECT {cols} FROM read_parquet({parts})").fetchall()
    assert got == [(a, b, "confirm", "analyst", None)]


@pytest.mark.usefixtures("cli_env")
def test_a_decision_on_an_unknown_record_is_refused_on_spark(
    tmp_path: Path, resolved_records: tuple[Path, Path]
) -> None:
    _, on_spark = copy_loaded(resolved_records, tmp_path)
    args = ["--engine", "spark", "-w", str(on_spark), "link", "reject", "nope-1", "nope-2"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert "'nope-1' is not known to entity resolution" in result.output
    assert not (on_spark / "spark-warehouse" / "link_decisions").exists()
