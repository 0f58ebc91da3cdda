"""The Spark session for tests marked `spark`: one local[2] session for the whole run,
and the parity tests' shared world, built once for the run.

Without pyspark or Java the tests are skipped with that reason; under CI (CI set
in the environment) their absence is an error, as for PostgreSQL.

Fixtures for the parity tests (Spark's per-statement planning makes every load and
stage on it cost seconds, so each is done once and shared):

- `parity_world`: a synthetic world of about 3,000 transactions over five weeks
  (seed 5), generated once.
- `parity_loaded`: its transactions.csv loaded on each engine, sharing TOKEN_KEY:
  (DuckDB workspace, Spark workspace). Read it, never write to it: a test that
  runs a stage takes its own copy with `copy_loaded`.
- `records_loaded`: a copy of `parity_loaded` with the world's files of records
  (RECORD_FILES: FtM, EFW2, Form 941, OCDS) loaded after its transactions on each
  engine: (DuckDB workspace, Spark workspace, DuckDB's reports, Spark's). Read it,
  never write to it (test_resolve_on_spark resolves a copy).
- `detected`: a copy of `parity_loaded`, mined (graph features, default params)
  and detected on each engine: (DuckDB workspace, Spark workspace, DuckDB's
  detect report, Spark's). Tests that read it come first by file name; a later
  one may run further stages on it (test_resolve_on_spark resolves it on both
  engines, after detect's parity tests have read it unresolved).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pytest
from typer.testing import CliRunner

from moneytrail.access import LegalBasis, Principal, Role
from moneytrail.cases import CaseStore
from moneytrail.cli import app
from moneytrail.engine import ENV_ENGINE, require_spark
from moneytrail.errors import EngineUnavailableError, MoneytrailError
from moneytrail.graph import FeatureParams
from moneytrail.ingest import FileReport, IngestOptions, ingest_file
from moneytrail.privacy import Vault
from moneytrail.spark._detect import run_detect_on_spark
from moneytrail.spark._graph import mine_on_spark
from moneytrail.spark._ingest import ingest_file_on_spark
from moneytrail.spark._session import spark_session
from moneytrail.spark._tables import table_columns
from moneytrail.spark._warehouse import SparkWarehouse
from moneytrail.synth import generate
from moneytrail.warehouse import Warehouse
from moneytrail.warehouse._loads import LOAD_TABLES
from moneytrail.workspace import ENV_TOKEN_KEY, Workspace

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# Both engines' workspaces share the token key (as deconflicting agencies do), so
# account tokens and keys agree between them.
TOKEN_KEY = "ab" * 32
# The synthetic world's files of records (formats with Format.records), by format.
RECORD_FILES = (
    ("ftm", "entities.ftm.json"),
    ("efw2", "payroll/w2.efw2"),
    ("form941", "payroll/form941.csv"),
    ("ocds", "ocds/releases.jsonl"),
)


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    try:
        require_spark()
    except EngineUnavailableError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(exc))

    ws = Workspace(tmp_path_factory.mktemp("spark") / "ws").ensure()
    session = spark_session(ws)
    yield session
    session.stop()


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI on either engine as the parity tests run it: TOKEN_KEY (so that both
    workspaces tokenise alike), the engine from --engine alone."""
    monkeypatch.setenv(ENV_TOKEN_KEY, TOKEN_KEY)
    monkeypatch.delenv(ENV_ENGINE, raising=False)


def invoke_ok(ws: Path, engine: str, *args: str) -> str:
    """`moneytrail --engine ENGINE -w WS ARGS...`, which must succeed; its stdout."""
    result = CliRunner().invoke(app, ["--engine", engine, "-w", str(ws), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def load_both(
    root: Path, spark: SparkSession, path: Path, *, spark_cli: bool = False
) -> tuple[Path, Path]:
    """`path` loaded on DuckDB (the CLI) and on Spark (the CLI with --engine spark, or the
    function behind it). The caller sets TOKEN_KEY in the environment."""
    duck, on_spark = root / "duck", root / "spark"
    result = CliRunner().invoke(app, ["-w", str(duck), "ingest", str(path), "--json"])
    assert result.exit_code == 0, result.output
    if spark_cli:
        args = ["--engine", "spark", "-w", str(on_spark), "ingest", str(path), "--json"]
        on_engine = CliRunner().invoke(app, args)
        assert on_engine.exit_code == 0, on_engine.output
        assert json.loads(on_engine.stdout) == json.loads(result.stdout)
    else:
        wh = SparkWarehouse(Workspace(on_spark), spark)
        ingest_file_on_spark(wh, path, "auto", IngestOptions())
    return duck, on_spark


def load(ws: Path, spark: SparkSession | None, path: Path) -> FileReport:
    """`path` loaded into workspace `ws` on DuckDB (spark None) or on Spark."""
    if spark is None:
        with Warehouse(Workspace(ws)) as wh:
            return ingest_file(wh, path)
    return ingest_file_on_spark(SparkWarehouse(Workspace(ws), spark), path, "auto", IngestOptions())


def load_outcomes(
    duck: Path, on_spark: Path, spark: SparkSession, path: Path
) -> list[dict[str, object]]:
    """`path` loaded on each engine: its report as JSON, or the error it was refused with."""
    outcomes: list[dict[str, object]] = []
    for ws, engine in ((duck, None), (on_spark, spark)):
        try:
            outcomes.append(load(ws, engine, path).as_json())
        except MoneytrailError as exc:
            outcomes.append({"error": type(exc).__name__, "message": str(exc)})
    return outcomes


def assert_same_vault(duck: Path, on_spark: Path) -> None:
    """The vault's raw values equal on both engines, each decrypted with its workspace's
    own key (ciphertexts differ: fresh nonces, and each workspace has its own key)."""
    wh = on_spark / "spark-warehouse"
    con = duckdb.connect(str(duck / "warehouse.duckdb"), read_only=True)
    try:
        stored = con.execute("SELECT token, ciphertext FROM vault").fetchall()
        parts = sorted((wh / "vault").glob("*.parquet"))
        staged = con.execute(
            f"SELECT token, ciphertext FROM read_parquet({[str(f) for f in parts]})"
        ).fetchall() if parts else []  # fmt: skip
    finally:
        con.close()
    duck_vault = Vault(Workspace(duck).vault_key())
    spark_vault = Vault(Workspace(on_spark).vault_key())
    want = {t: duck_vault.decrypt(t, bytes(c)) for t, c in stored}
    assert {t: spark_vault.decrypt(t, bytes(c)) for t, c in staged} == want


def copy_loaded(loaded: tuple[Path, Path], root: Path) -> tuple[Path, Path]:
    """Both workspaces of `loaded` copied under `root` (as duck/ and spark/): a test's own
    to run stages on. A Spark workspace's tables are folders of Parquet files, found
    from the workspace, so a copy is a workspace of its own."""
    duck, on_spark = root / "duck", root / "spark"
    shutil.copytree(loaded[0], duck)
    shutil.copytree(loaded[1], on_spark)
    return duck, on_spark


SUPERVISOR_PASSWORD = "a long passphrase for the supervisor"


@contextmanager
def supervised_store(ws: Path) -> Iterator[tuple[CaseStore, Principal]]:
    """The case store of workspace `ws` with agency FIU, its admin root and its
    supervisor sv (password SUPERVISOR_PASSWORD), and sv, who opens the tests' cases."""
    store = CaseStore.open(Workspace(ws))
    try:
        store.add_agency(None, "FIU", "duty@fiu.example")
        store.add_user(None, "root", "FIU", Role.ADMIN, "a long passphrase for root")
        store.add_user(store.principal("root"), "sv", "FIU", Role.SUPERVISOR, SUPERVISOR_PASSWORD)
        yield store, store.principal("sv")
    finally:
        store.close()


def seizure_warrant(reference: str) -> LegalBasis:
    """A warrant naming the supervisor sv, who may reveal the accounts of the case's
    subjects for the next 30 days."""
    return LegalBasis(
        kind="seizure warrant",
        reference=reference,
        scope="the accounts of the subjects of this case",
        labels=frozenset(),
        persons=frozenset({"sv"}),
        agencies=frozenset(),
        expires=date.today() + timedelta(days=30),
        reveals=True,
    )


@pytest.fixture(scope="session")
def parity_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A world of about 3,000 transactions over five weeks: 20 of the rule typologies
    fire on it, and graph features other than zero."""
    world = tmp_path_factory.mktemp("parity-world")
    generate(world, seed=5, transactions=3_000)
    return world


@pytest.fixture(scope="session")
def parity_loaded(
    tmp_path_factory: pytest.TempPathFactory, spark: SparkSession, parity_world: Path
) -> tuple[Path, Path]:
    """parity_world's transactions loaded on each engine; copy before writing to it."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV_TOKEN_KEY, TOKEN_KEY)
        return load_both(
            tmp_path_factory.mktemp("parity-loaded"), spark, parity_world / "transactions.csv"
        )


@pytest.fixture(scope="session")
def records_loaded(
    tmp_path_factory: pytest.TempPathFactory,
    spark: SparkSession,
    parity_loaded: tuple[Path, Path],
    parity_world: Path,
) -> tuple[Path, Path, list[FileReport], list[FileReport]]:
    """The parity world's transactions, then its files of records, loaded on each engine."""
    duck, on_spark = copy_loaded(parity_loaded, tmp_path_factory.mktemp("records"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV_TOKEN_KEY, TOKEN_KEY)
        want = [load(duck, None, parity_world / name) for _, name in RECORD_FILES]
        got = [load(on_spark, spark, parity_world / name) for _, name in RECORD_FILES]
    return duck, on_spark, want, got


@pytest.fixture(scope="session")
def detected(
    tmp_path_factory: pytest.TempPathFactory,
    spark: SparkSession,
    parity_loaded: tuple[Path, Path],
) -> tuple[Path, Path, dict[str, object], dict[str, object]]:
    """parity_loaded mined and detected on each engine: (DuckDB workspace, Spark
    workspace, their detect reports)."""
    duck, on_spark = copy_loaded(parity_loaded, tmp_path_factory.mktemp("detected"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV_TOKEN_KEY, TOKEN_KEY)
        for args in (["graph", "features"], ["detect", "--json"]):
            result = CliRunner().invoke(app, ["-w", str(duck), *args])
            assert result.exit_code == 0, result.output
        want = json.loads(result.stdout)
        wh = SparkWarehouse(Workspace(on_spark), spark)
        mine_on_spark(wh, FeatureParams())
        got = run_detect_on_spark(wh).as_json()
    return duck, on_spark, want, got


def rows(duck: Path, sql: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(duck / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _select(name: str) -> str:
    skip = {"sources": {"loaded_at", "path"}, "vault": {"ciphertext"}}.get(name, set())
    return ", ".join(
        f"CAST({col} AS VARCHAR)" if kind.upper() == "JSON" else col
        for col, kind in table_columns(name)
        if col not in skip
    )


def assert_same_tables(duck: Path, on_spark: Path) -> list[str]:
    """Every table a load writes, equal on both engines; the names of those with rows."""
    wh = on_spark / "spark-warehouse"
    filled = []
    for name in (*LOAD_TABLES, "sources"):
        want = rows(duck, f"SELECT {_select(name)} FROM {name} ORDER BY ALL")
        files = sorted((wh / name).glob("*.parquet")) if (wh / name).is_dir() else []
        got = (
            rows(
                duck,
                f"SELECT {_select(name)} FROM read_parquet({[str(f) for f in files]}) ORDER BY ALL",
            )
            if files
            else []
        )
        assert got == want, name
        if want:
            filled.append(name)
    assert_same_vault(duck, on_spark)
    return filled


def assert_same_status(duck: Path, on_spark: Path) -> dict[str, object]:
    """`status --json` gives the same tables, quarantine, files and issues on both
    engines; DuckDB's document."""

    def status(ws: Path, engine: str) -> dict[str, object]:
        result = CliRunner().invoke(app, ["--engine", engine, "status", "--json", "-w", str(ws)])
        doc: dict[str, object] = json.loads(result.stdout)
        return doc

    on_duckdb, on_spark_doc = status(duck, "duckdb"), status(on_spark, "spark")
    for key in ("tables", "quarantined", "files", "source_issues"):
        assert on_spark_doc[key] == on_duckdb[key], key
    return on_duckdb
