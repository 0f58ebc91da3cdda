"""The OCDS reader: real publications load whole; bad entries are quarantined with reasons."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moneytrail.errors import FileFormatError
from moneytrail.ingest import detect_format, ingest_file
from moneytrail.ingest._detect import SNIFF_BYTES
from moneytrail.warehouse import Warehouse

REAL = Path(__file__).resolve().parents[1] / "contracts" / "data" / "ocdskit"
FILES = sorted(REAL.iterdir())


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_real_sample_data_loads_with_nothing_quarantined(warehouse: Warehouse, path: Path) -> None:
    assert detect_format(path, path.read_bytes()[:SNIFF_BYTES]) == "ocds"
    report = ingest_file(warehouse, path)
    assert report.format == "ocds"
    assert report.rows_read > 0
    assert report.rows_quarantined == 0
    assert report.rows_accepted == report.rows_read
    assert warehouse.scalar("SELECT count(*) FROM quarantine") == 0
    assert warehouse.scalar("SELECT count(*) FROM ocds_processes") >= 1


def test_fields_land_in_their_tables(warehouse: Warehouse) -> None:
    ingest_file(warehouse, REAL / "ocds-sample-data.json")
    ingest_file(warehouse, REAL / "release-package_1.0-2.json")
    counts = {
        t: warehouse.scalar(f"SELECT count(*) FROM {t}")
        for t in (
            "ocds_parties",
            "ocds_tenders",
            "ocds_awards",
            "ocds_contracts",
            "ocds_amendments",
            "ocds_transactions",
        )
    }
    assert all(counts.values()), counts
    # identifiers are tokenised, never stored in clear
    raw = warehouse.con.execute(
        "SELECT count(*) FROM ocds_parties WHERE identifier_token IS NOT NULL AND identifier_masked NOT LIKE '****%'"
    ).fetchall()[0][0]
    assert raw == 0
    assert warehouse.scalar("SELECT count(*) FROM parties WHERE starts_with(party_id, 'ocds:')") > 0


def test_amounts_are_exact_decimals(warehouse: Warehouse, tmp_path: Path) -> None:
    f = tmp_path / "r.jsonl"
    f.write_text(
        '{"ocid": "a", "tag": ["compiled"], "awards": [{"id": "1", "status": "active", "value": {"amount": 0.1, "currency": "USD"}, "suppliers": [{"id": "s"}]}]}\n'
        '{"ocid": "b", "tag": ["compiled"], "awards": [{"id": "1", "value": {"amount": "1,000", "currency": "USD"}}]}\n',
        encoding="utf-8",
    )
    report = ingest_file(warehouse, f)
    assert (report.rows_read, report.rows_quarantined) == (2, 0)
    amounts = dict(warehouse.con.execute("SELECT ocid, amount FROM ocds_awards").fetchall())
    assert str(amounts["a"]) == "0.10000000"
    assert amounts["b"] is None
    assert warehouse.scalar("SELECT count(*) FROM source_issues WHERE kind = 'bad_amount'") == 1


def test_bad_lines_are_quarantined_and_counted(warehouse: Warehouse, tmp_path: Path) -> None:
    f = tmp_path / "r.jsonl"
    f.write_text(
        '{"ocid": "a", "tag": ["compiled"]}\n{"ocid": "b", "tag": ["compi\n[1, 2]\n{"id": "no ocid"}\n',
        encoding="utf-8",
    )
    report = ingest_file(warehouse, f)
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (4, 1, 3)
    rows = warehouse.con.execute(
        "SELECT source_row, reason FROM quarantine ORDER BY source_row"
    ).fetchall()
    assert [r[0] for r in rows] == [2, 3, 4]
    assert "not valid JSON" in rows[0][1]


def test_loading_twice_adds_nothing(warehouse: Warehouse) -> None:
    path = REAL / "release-package-1.json"
    ingest_file(warehouse, path)
    before = warehouse.scalar("SELECT count(*) FROM ocds_parties")
    again = ingest_file(warehouse, path)
    assert again.already_loaded
    assert warehouse.scalar("SELECT count(*) FROM ocds_parties") == before


def test_not_utf8_refuses_the_file(warehouse: Warehouse, tmp_path: Path) -> None:
    f = tmp_path / "latin1.json"
    f.write_bytes(b'{"ocid": "a", "tag": ["compiled"], "buyer": {"name": "Direcci\xf3n"}}\n')
    with pytest.raises(FileFormatError, match="UTF-8"):
        ingest_file(warehouse, f, "ocds")
    assert warehouse.scalar("SELECT count(*) FROM ocds_processes") == 0


@pytest.mark.parametrize(
    "head",
    [
        b'{"ocid": "ocds-1", "id": "1"}\n',
        b'{"uri": "x", "releases": [{"ocid": "a"}]}\n',
        b'{\n  "uri": "x",\n  "records": [\n',
        b'[\n  {"uri": "x", "releases": [{"ocid": "a"}]}\n]\n',
    ],
)
def test_ocds_is_sniffed(head: bytes) -> None:
    assert detect_format(Path("f"), head) == "ocds"


def test_ftm_is_still_ftm() -> None:
    assert (
        detect_format(Path("f"), b'{"id": "p1", "schema": "Person", "properties": {}}\n') == "ftm"
    )


SAMPLE = b"".join(
    json.dumps({"releases": [r]}).encode() + b"\n"
    for r in json.loads((REAL / "release-package-1.json").read_text(encoding="utf-8"))["releases"]
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cut=st.integers(min_value=1, max_value=len(SAMPLE) - 1), junk=st.binary(max_size=40))
def test_truncated_or_damaged_files_lose_nothing(
    workspace_factory: Callable[[], Warehouse], tmp_path: Path, cut: int, junk: bytes
) -> None:
    f = tmp_path / f"cut-{cut}.jsonl"
    f.write_bytes(SAMPLE[:cut] + junk)
    with workspace_factory() as wh:
        try:
            report = ingest_file(wh, f, "ocds")
        except FileFormatError as exc:  # bytes that are not UTF-8: refused whole, nothing kept
            assert "UTF-8" in str(exc)
            assert wh.scalar("SELECT count(*) FROM ocds_processes") == 0
            return
        assert report.rows_read == report.rows_accepted + report.rows_quarantined
        assert wh.scalar("SELECT count(*) FROM quarantine") == report.rows_quarantined
