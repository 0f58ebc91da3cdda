"""One way to add a format: every reader module declares READER and is found by --format auto."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

import moneytrail.ingest as ingest_pkg
from moneytrail.ingest import FORMATS, FileReport, detect_format
from moneytrail.ingest.commands import print_warnings
from tests.ingest.statement_build import scanned_pdf, write_bai2, write_mt940, write_ofx

README = Path(__file__).parents[2] / "README.md"


def test_every_reader_module_is_registered() -> None:
    modules = [
        m.name for m in pkgutil.iter_modules(ingest_pkg.__path__) if not m.name.startswith("_")
    ]
    readers = [
        m for m in modules if hasattr(importlib.import_module(f"moneytrail.ingest.{m}"), "read")
    ]
    declared = {importlib.import_module(f"moneytrail.ingest.{m}").READER.name for m in readers}
    assert declared == set(FORMATS)
    assert len(FORMATS) == 11


def test_readme_lists_every_format_with_its_example() -> None:
    text = README.read_text(encoding="utf-8")
    for name, spec in FORMATS.items():
        row = next((line for line in text.splitlines() if line.startswith(f"| `{name}` |")), None)
        assert row is not None, f"README's formats table has no row for {name}"
        assert f"`{spec.example}`" in row, name


@pytest.mark.parametrize("fmt", ["mt940", "ofx", "bai2", "pdf", "bank-csv"])
def test_auto_knows_the_bank_formats(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "f"
    if fmt == "mt940":
        write_mt940(path, 3)
    elif fmt == "ofx":
        write_ofx(path, 3)
    elif fmt == "bai2":
        write_bai2(path, 3)
    elif fmt == "pdf":
        path.write_bytes(scanned_pdf())
    else:
        path.write_text("Date;Omschrijving;Bedrag;Af Bij\n01-03-2024;Huur;1200,00;Af\n")
    assert detect_format(path, path.read_bytes()[:65536]) == fmt


def test_ofx_without_header_and_xml_ofx_are_ofx() -> None:
    assert detect_format(Path("f"), b"\n\n<OFX>\n<SIGNONMSGSRSV1>") == "ofx"
    head = b'<?xml version="1.0"?>\n<?OFX OFXHEADER="200" VERSION="211"?>\n<OFX>'
    assert detect_format(Path("f"), head) == "ofx"


def test_a_finding_many_files_share_is_said_once(capsys: pytest.CaptureFixture[str]) -> None:
    reports = [
        FileReport(
            f"s{i}.xml",
            "camt053",
            1,
            1,
            0,
            warnings=[f"s{i}.xml, row 0: 1 entries are movements already loaded from other files"],
            warning_kinds=["duplicate_movements"],
        )
        for i in range(20)
    ]
    reports.append(
        FileReport(
            "x.sta",
            "mt940",
            1,
            1,
            0,
            warnings=["x.sta, row 3: odd"],
            warning_kinds=["balance_missing"],
        )
    )
    print_warnings(reports)
    err = capsys.readouterr().err
    assert err.count("warning:") == 2
    assert "20 findings of kind duplicate_movements in 20 files" in err
    assert "x.sta, row 3: odd" in err
