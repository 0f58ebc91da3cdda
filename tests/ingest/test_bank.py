"""The statement writer shared by the bank readers: ids the bank repeats within a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from moneytrail.ingest import _load, ingest_file
from moneytrail.warehouse import Warehouse
from tests.ingest.statement_build import write_ofx


def test_an_id_repeated_in_the_file_is_numbered_in_file_order_across_chunks(
    warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_load, "CHUNK_ROWS", 500)  # the repeats span several commits
    path = tmp_path / "a.ofx"
    write_ofx(path, 3000)
    text = path.read_text(encoding="cp1252")
    for i in (10, 1500, 2999):  # F10, F1500 and F2999 become F7: four F7 in all
        text = text.replace(f"<FITID>F{i}<", "<FITID>F7<", 1)
    path.write_text(text, encoding="cp1252", newline="")
    report = ingest_file(warehouse, path, "ofx")
    assert report.rows_read == report.rows_accepted == 3000
    ids = warehouse.con.execute(
        "SELECT txn_id FROM transactions WHERE regexp_full_match(txn_id, 'F7(#[0-9]+)?')"
        " ORDER BY source_row"
    ).fetchall()
    assert [i for (i,) in ids] == ["F7", "F7#2", "F7#3", "F7#4"]
    assert warehouse.scalar("SELECT count(DISTINCT txn_id) FROM transactions") == 3000
    # the statement entries keep the bank's own id
    assert warehouse.scalar("SELECT count(*) FROM statement_entries WHERE entry_ref = 'F7'") == 4


def test_ids_given_once_are_left_as_they_are(warehouse: Warehouse, tmp_path: Path) -> None:
    path = tmp_path / "a.ofx"
    write_ofx(path, 50)
    ingest_file(warehouse, path, "ofx")
    assert warehouse.scalar("SELECT count(*) FROM transactions WHERE txn_id LIKE '%#%'") == 0
    assert warehouse.scalar("SELECT count(*) FROM transactions WHERE txn_id = 'F50'") == 1
