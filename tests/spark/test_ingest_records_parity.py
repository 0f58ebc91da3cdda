"""FtM, EFW2, Form 941 and OCDS on Spark: the same tables, rows and quarantine as DuckDB.

The world's record files are loaded after its transactions (so that FtM's bank
accounts meet aml-csv's and the vault meets values stored before), one after the
other into one workspace per engine, and every table a load writes is compared
column by column; vault values decrypted, since each workspace encrypts under its
own key with fresh nonces. Damaged files give the same quarantine, or the same
error, on both engines.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from moneytrail.engine import ENV_ENGINE
from moneytrail.ingest import FileReport
from moneytrail.workspace import ENV_TOKEN_KEY
from tests.spark.conftest import (
    RECORD_FILES,
    TOKEN_KEY,
    assert_same_status,
    assert_same_tables,
    copy_loaded,
    load,
    load_both,
    load_outcomes,
    rows,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark


@pytest.fixture(autouse=True)
def shared_token_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_TOKEN_KEY, TOKEN_KEY)
    monkeypatch.delenv(ENV_ENGINE, raising=False)


def test_a_worlds_record_files_after_its_transactions(
    records_loaded: tuple[Path, Path, list[FileReport], list[FileReport]],
) -> None:
    duck, on_spark, want, got = records_loaded
    assert [r.as_json() | {"path": ""} for r in got] == [r.as_json() | {"path": ""} for r in want]
    filled = assert_same_tables(duck, on_spark)
    for table in ("parties", "relationships", "identifiers", "account_holders", "w2_wages",
                  "w2_employers", "form941_filings", "ocds_processes", "ocds_parties"):  # fmt: skip
        assert table in filled, table
    # Most of FtM's bank accounts are aml-csv's, and the form 941 EINs the W-2 file's:
    # keys stored before are not stored again (dropped on Spark, not in the scratch load)
    wh = on_spark / "spark-warehouse"
    for table, key in (("accounts", "account_key"), ("vault", "token")):
        assert rows(
            duck, f"SELECT count(*) - count(DISTINCT {key}) FROM '{wh}/{table}/*.parquet'"
        ) == [(0,)]


def test_the_same_bytes_add_nothing(
    records_loaded: tuple[Path, Path, list[FileReport], list[FileReport]],
    spark: SparkSession,
    parity_world: Path,
) -> None:
    duck, on_spark, want, _ = records_loaded
    for (_, name), first in zip(RECORD_FILES, want, strict=True):
        again = load(on_spark, spark, parity_world / name)
        assert again.already_loaded, name
        assert (again.rows_read, again.rows_accepted) == (first.rows_read, first.rows_accepted)
    assert_same_tables(duck, on_spark)


def test_status_counts_the_new_tables_the_same(
    records_loaded: tuple[Path, Path, list[FileReport], list[FileReport]],
) -> None:
    on_duckdb = assert_same_status(*records_loaded[:2])
    tables = on_duckdb["tables"]
    assert isinstance(tables, dict)
    assert tables["w2_wages"] and tables["ocds_processes"] and tables["parties"]


def test_the_cli_loads_a_file_of_records_on_spark(
    tmp_path: Path, spark: SparkSession, parity_world: Path
) -> None:
    duck, on_spark = load_both(
        tmp_path, spark, parity_world / "payroll/form941.csv", spark_cli=True
    )
    assert "form941_filings" in assert_same_tables(duck, on_spark)


def _ftm(tmp_path: Path) -> Path:
    lines = [
        '{"id": "c1", "schema": "Company", "properties": {"name": ["Acme LLC"], '
        '"registrationNumber": ["R-1"]}}',
        "not json",
        '{"id": "x1", "schema": "Airplane", "properties": {}}',
        "",
        '{"id": "p1", "schema": "Person", "properties": {"name": ["Ann Lee"], '
        '"birthDate": ["31 Feb"], "nationality": ["us"]}}',
        '{"id": "p2", "schema": "Person", "properties": {"name": ["Bo Ray"], '
        '"idNumber": ["123-45-6789"], "nationality": ["us"]}}',
        '{"id": "a1", "schema": "BankAccount", "properties": {"iban": ["DE89370400440532013000"]}}',
        '{"id": "a2", "schema": "BankAccount", "properties": {"accountNumber": ["777"], '
        '"bankName": ["B1"]}}',
        '{"id": "o1", "schema": "Ownership", "properties": {"owner": ["c1"], "asset": ["a1"]}}',
        '{"id": "t1", "schema": "Payment", "properties": {"date": ["2024-03-01"], '
        '"amount": ["100.50"], "currency": ["EUR"], "payerAccount": ["a1"], '
        '"beneficiaryAccount": ["a2"], "payer": ["c1"], "beneficiary": ["p2"]}}',
        '{"id": "t2", "schema": "Payment", "properties": {"date": ["1850-03-01"], '
        '"amount": ["5"], "currency": ["EUR"], "payerAccount": ["a2"]}}',
        '{"id": "c1", "schema": "Person", "properties": {"name": ["Acme"]}}',
    ]
    path = tmp_path / "damaged.ftm.json"
    path.write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    return path


def _form941(tmp_path: Path, world: Path) -> Path:
    header, first, *rest = (world / "payroll/form941.csv").read_text().splitlines()
    lines = [
        header,
        first,
        first,  # a second return for the quarter
        "00-0000000" + first[first.index(",") :],
        "",
        ",".join(first.split(",")[:-1]),
        first.replace(",2024,", ",24,"),
        *rest[:2],
        "",
    ]
    path = tmp_path / "damaged941.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _efw2(tmp_path: Path, world: Path, *, cut: bool) -> Path:
    records = (world / "payroll/w2.efw2").read_bytes().split(b"\r\n")
    records = [r for r in records if r]
    if cut:
        records = records[:-1]  # no RF record
    else:
        rw = [i for i, r in enumerate(records) if r.startswith(b"RW")]
        records[rw[0]] = b"RW12345678A" + records[rw[0]][11:]  # an SSN that is not digits
        wages = records[rw[1]]
        records[rw[1]] = wages[:187] + b"00000001X00" + wages[198:]  # box 1 not digits
    path = tmp_path / ("cut.efw2" if cut else "damaged.efw2")
    path.write_bytes(b"\r\n".join(records) + b"\r\n")
    return path


def _ocds(tmp_path: Path, world: Path) -> Path:
    lines = (world / "ocds/releases.jsonl").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "damaged.jsonl"
    path.write_text("\n".join([lines[0], "{not json", "[1, 2]", *lines[1:3]]) + "\n", "utf-8")
    return path


@pytest.mark.parametrize("fmt", ["ftm", "form941", "efw2", "efw2-cut", "ocds"])
def test_a_damaged_file_gives_the_same_quarantine_or_error(
    fmt: str, tmp_path: Path, spark: SparkSession, parity_world: Path
) -> None:
    path = {
        "ftm": lambda: _ftm(tmp_path),
        "form941": lambda: _form941(tmp_path, parity_world),
        "efw2": lambda: _efw2(tmp_path, parity_world, cut=False),
        "efw2-cut": lambda: _efw2(tmp_path, parity_world, cut=True),
        "ocds": lambda: _ocds(tmp_path, parity_world),
    }[fmt]()
    duck, on_spark = tmp_path / "duck", tmp_path / "spark"
    outcomes = load_outcomes(duck, on_spark, spark, path)
    assert outcomes[1] == outcomes[0]
    if fmt == "efw2-cut":
        assert outcomes[0]["error"] == "FileFormatError"
        assert not (on_spark / "spark-warehouse" / "sources").exists()
        return
    assert outcomes[0]["rows_quarantined"]
    filled = assert_same_tables(duck, on_spark)
    assert "quarantine" in filled
    if fmt == "ftm":  # payments in a warehouse without transactions: stored, txn_key too
        assert "transactions" in filled


def test_payments_into_a_warehouse_with_transactions_load_alike(
    parity_loaded: tuple[Path, Path], spark: SparkSession, tmp_path: Path
) -> None:
    duck, on_spark = copy_loaded(parity_loaded, tmp_path)
    path = _ftm(tmp_path)
    assert load(on_spark, spark, path).as_json() == load(duck, None, path).as_json()
    assert "transactions" in assert_same_tables(duck, on_spark)
