"""Bank statements on Spark: the same tables, merges and repeats as DuckDB.

The parity world's camt.053 statements repeat movements of its ledger
(transactions.csv): each entry is merged into the ledger row and fills its empty
fields, so loading them on Spark rewrites stored Parquet files. Then real
statements from open-source parsers' test suites (shared/data/statements), whose
movements are new (txn_key continues after the keys the merged entries drew),
and a copy of one of them under another name, whose movements repeat. After
every step each table a load writes is equal on both engines, row for row.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from moneytrail.engine import ENV_ENGINE
from moneytrail.ingest import FileReport
from moneytrail.spark._warehouse import SparkWarehouse
from moneytrail.workspace import ENV_TOKEN_KEY, Workspace
from tests.spark.conftest import (
    TOKEN_KEY,
    assert_same_status,
    assert_same_tables,
    copy_loaded,
    load,
    load_outcomes,
    rows,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark

STATEMENTS = Path(__file__).parents[3] / "shared" / "data" / "statements"
if not STATEMENTS.is_dir():
    STATEMENTS = Path("/work/shared/data/statements")
REAL = (
    "mt940/jejik-ing.sta",
    "mt940/jejik-abnamro.sta",
    "ofx/checking.ofx",
    "bai2/nwb_example.bai2",
)

Loaded = tuple[Path, Path, list[FileReport], list[FileReport]]


@pytest.fixture(autouse=True)
def shared_token_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_TOKEN_KEY, TOKEN_KEY)
    monkeypatch.delenv(ENV_ENGINE, raising=False)


def _load_all(duck: Path, on_spark: Path, spark: SparkSession, files: list[Path]) -> Loaded:
    want = [load(duck, None, p) for p in files]
    got = [load(on_spark, spark, p) for p in files]
    return duck, on_spark, want, got


def _same_reports(loaded: Loaded) -> None:
    _, _, want, got = loaded
    assert [r.as_json() for r in got] == [r.as_json() for r in want]


def _statements(world: Path) -> list[Path]:
    """Eight of the world's camt.053 statements (each load on Spark costs seconds)."""
    return sorted((world / "camt053").glob("*.xml"))[:8]


@pytest.fixture(scope="module")
def statements_loaded(
    tmp_path_factory: pytest.TempPathFactory,
    spark: SparkSession,
    parity_loaded: tuple[Path, Path],
    parity_world: Path,
) -> Loaded:
    """The parity world's ledger, then camt.053 statements of it, on each engine."""
    duck, on_spark = copy_loaded(parity_loaded, tmp_path_factory.mktemp("statements"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV_TOKEN_KEY, TOKEN_KEY)
        return _load_all(duck, on_spark, spark, _statements(parity_world))


def test_statements_merge_into_the_ledger_alike(statements_loaded: Loaded) -> None:
    duck, on_spark, want, _ = statements_loaded
    _same_reports(statements_loaded)
    assert all("duplicate_movements" in r.warning_kinds for r in want)
    filled = assert_same_tables(duck, on_spark)
    assert {"statement_entries", "balances", "transactions"} <= set(filled)
    # Every entry was merged into a ledger row (so Spark rewrote the ledger's files),
    # whose empty names the statements filled.
    assert rows(duck, "SELECT count(*) FROM statement_entries WHERE txn_source_id = 1") == rows(
        duck, "SELECT count(*) FROM statement_entries"
    )
    assert rows(duck, "SELECT count(*) > 0 FROM transactions WHERE to_party IS NOT NULL") == [
        (True,)
    ]


def test_the_same_statement_again_adds_nothing(
    statements_loaded: Loaded, spark: SparkSession, parity_world: Path, tmp_path: Path
) -> None:
    duck, on_spark = copy_loaded(statements_loaded[:2], tmp_path)
    first = sorted((parity_world / "camt053").glob("*.xml"))[0]
    again = load(on_spark, spark, first)
    assert again.already_loaded
    assert_same_tables(duck, on_spark)


@pytest.mark.skipif(not STATEMENTS.is_dir(), reason="shared/data/statements is not present")
def test_real_statements_then_a_repeat_of_one(
    statements_loaded: Loaded, spark: SparkSession, tmp_path: Path
) -> None:
    duck, on_spark = copy_loaded(statements_loaded[:2], tmp_path / "ws")
    files = [STATEMENTS / name for name in REAL]
    # The first file again under another name and another statement reference: every
    # movement repeats one stored from it.
    repeat = tmp_path / "ing-again.sta"
    repeat.write_text(files[0].read_text().replace(":20:MPBZ", ":20:MPBZ2"))
    loaded = _load_all(duck, on_spark, spark, [*files, repeat])
    _same_reports(loaded)
    assert "repeated_movements" in loaded[2][-1].warning_kinds
    filled = assert_same_tables(duck, on_spark)
    assert "repeated_movements" in filled
    # New movements took keys after those the merged camt.053 entries drew and gave back.
    ledger = rows(duck, "SELECT max(txn_key) FROM transactions WHERE source_id = 1")[0][0]
    first_new = rows(duck, "SELECT min(txn_key) FROM transactions WHERE source_id > 1")[0][0]
    assert isinstance(ledger, int) and isinstance(first_new, int)
    assert first_new > ledger + 1


def test_a_ledger_after_its_statements_takes_their_movements_over(
    tmp_path: Path, spark: SparkSession, parity_world: Path
) -> None:
    """Statements first, then the ledger they come from: each statement's own transaction
    is replaced by the ledger row of its movement (stored Parquet files rewritten on
    Spark) and its entries relinked to that row."""
    duck, on_spark = tmp_path / "duck", tmp_path / "spark"
    files = [*_statements(parity_world)[:2], parity_world / "transactions.csv"]
    loaded = _load_all(duck, on_spark, spark, files)
    _same_reports(loaded)
    assert "duplicate_movements" in loaded[2][-1].warning_kinds
    assert_same_tables(duck, on_spark)
    ledger = rows(duck, "SELECT source_id FROM sources WHERE format = 'aml-csv'")
    assert rows(duck, "SELECT DISTINCT txn_source_id FROM statement_entries") == ledger


def test_status_counts_alike(statements_loaded: Loaded) -> None:
    tables = assert_same_status(*statements_loaded[:2])["tables"]
    assert isinstance(tables, dict)
    assert tables["statement_entries"] and tables["balances"]


def _damaged(tmp_path: Path, world: Path) -> list[Path]:
    camt = sorted((world / "camt053").glob("*.xml"))[1].read_text(encoding="utf-8")
    cut = tmp_path / "cut.xml"
    cut.write_text(camt[: len(camt) // 2], encoding="utf-8")
    bad_amount = tmp_path / "bad-amount.xml"
    bad_amount.write_text(
        re.sub(r'(<Amt Ccy="[A-Z]{3}">)[0-9.]+<', r"\g<1>12x<", camt, count=3), encoding="utf-8"
    )
    mt940 = (STATEMENTS / "mt940/jejik-ing.sta").read_text() if STATEMENTS.is_dir() else ""
    bad_line = tmp_path / "bad.sta"
    bad_line.write_text(mt940.replace(":61:100722D3,03", ":61:100799D3,03"))
    return [cut, bad_amount, *([bad_line] if mt940 else [])]


def test_damaged_statements_give_the_same_quarantine_or_error(
    statements_loaded: Loaded, spark: SparkSession, parity_world: Path, tmp_path: Path
) -> None:
    duck, on_spark = copy_loaded(statements_loaded[:2], tmp_path / "ws")
    for path in _damaged(tmp_path, parity_world):
        want, got = load_outcomes(duck, on_spark, spark, path)
        assert got == want, path.name
    assert_same_tables(duck, on_spark)


def test_a_load_cut_off_after_rewriting_stored_files_is_undone(
    parity_loaded: tuple[Path, Path],
    spark: SparkSession,
    parity_world: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The ledger's files, rewritten with the statement's names, are put back when the
    load dies before its `sources` row is written."""
    _, on_spark = copy_loaded(parity_loaded, tmp_path / "ws")
    statement = sorted((parity_world / "camt053").glob("*.xml"))[0]
    parts = sorted((on_spark / "spark-warehouse").rglob("*.parquet"))
    before = {p: p.read_bytes() for p in parts}

    class DiedError(Exception):
        pass

    def die_after_swapping(self: SparkWarehouse, source_id: int) -> None:
        swap(self, source_id)
        raise DiedError

    swap = SparkWarehouse._swap_rewritten
    monkeypatch.setattr(SparkWarehouse, "_swap_rewritten", die_after_swapping)
    with pytest.raises(DiedError):
        load(on_spark, spark, statement)
    assert any(before[p] != p.read_bytes() for p in parts)  # the ledger was rewritten
    monkeypatch.undo()
    monkeypatch.setenv(ENV_TOKEN_KEY, TOKEN_KEY)
    SparkWarehouse(Workspace(on_spark), spark).discard_unfinished()
    after = sorted((on_spark / "spark-warehouse").rglob("*.parquet"))
    assert after == parts
    assert all(p.read_bytes() == before[p] for p in parts)
