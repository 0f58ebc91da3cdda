"""The bank-statement readers (mt940, ofx, bai2, bank-csv, pdf) on hostile and damaged files.

Whatever comes in, either the file is refused as a whole and the warehouse is
as it was, or every row is accounted for: read = accepted + quarantined.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from moneytrail.errors import HostileInputError, IngestError
from moneytrail.ingest import FileReport, IngestOptions, ingest_file
from moneytrail.model.tables import FACT_TABLES
from moneytrail.warehouse import Warehouse
from tests.ingest.statement_build import (
    STATEMENT_LINES,
    STATEMENT_PAGE2,
    scanned_pdf,
    text_pdf,
    write_bai2,
    write_bank_csv,
    write_mt940,
    write_ofx,
)

OPTIONS = IngestOptions(account="12345678")
ROOT = Path(__file__).parents[2]


def _pdf(path: Path, _: int) -> int:
    path.write_bytes(text_pdf([STATEMENT_LINES, STATEMENT_PAGE2]))
    return 5


BUILDERS: dict[str, tuple[str, Callable[[Path, int], int]]] = {
    "mt940": ("a.sta", write_mt940),
    "ofx": ("a.ofx", write_ofx),
    "bai2": ("a.bai2", write_bai2),
    "bank-csv": ("a.csv", write_bank_csv),
    "pdf": ("a.pdf", _pdf),
}


def snapshot(wh: Warehouse) -> dict[str, int]:
    counts = {t: int(wh.scalar(f"SELECT count(*) FROM {t}")) for t in FACT_TABLES}
    for t in ("sources", "quarantine", "source_issues", "vault"):
        counts[t] = int(wh.scalar(f"SELECT count(*) FROM {t}"))
    return counts


def accounted(wh: Warehouse, report: FileReport) -> None:
    """Every row read is stored or quarantined, and the tables say the same."""
    assert report.rows_read == report.rows_accepted + report.rows_quarantined
    sid = wh.scalar("SELECT max(source_id) FROM sources")
    stored = wh.scalar("SELECT count(*) FROM transactions WHERE source_id = ?", [sid])
    repeated = wh.scalar("SELECT count(*) FROM repeated_movements WHERE source_id = ?", [sid])
    quarantined = wh.scalar("SELECT count(*) FROM quarantine WHERE source_id = ?", [sid])
    assert stored + repeated == report.rows_accepted
    assert quarantined == report.rows_quarantined


def load_or_refuse(wh: Warehouse, path: Path, fmt: str) -> FileReport | None:
    before = snapshot(wh)
    try:
        report = ingest_file(wh, path, fmt, options=OPTIONS)
    except IngestError as exc:
        assert str(path) in str(exc)
        assert snapshot(wh) == before  # nothing half-written
        return None
    accounted(wh, report)
    return report


@pytest.fixture(params=sorted(BUILDERS))
def fmt(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def built(tmp_path: Path, fmt: str, n: int = 60) -> Path:
    name, build = BUILDERS[fmt]
    path = tmp_path / name
    build(path, n)
    return path


def test_a_valid_file_reads_whole(warehouse: Warehouse, tmp_path: Path, fmt: str) -> None:
    path = built(tmp_path, fmt)
    report = ingest_file(warehouse, path, options=OPTIONS)  # --format auto knows it
    assert report.format == fmt
    accounted(warehouse, report)
    assert report.rows_quarantined == (1 if fmt == "pdf" else 0)  # the PDF has a 31 February
    kinds = {r[0] for r in warehouse.con.execute("SELECT kind FROM source_issues").fetchall()}
    assert "balance_mismatch" not in kinds


@pytest.mark.parametrize("cut", [0.3, 0.61, 0.97])
def test_truncated(warehouse: Warehouse, tmp_path: Path, fmt: str, cut: float) -> None:
    path = built(tmp_path, fmt)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * cut)])
    report = load_or_refuse(warehouse, path, fmt)
    if report is not None and fmt in ("mt940", "bai2"):
        # a cut statement cannot balance: it says so
        kinds = {r[0] for r in warehouse.con.execute("SELECT kind FROM source_issues").fetchall()}
        assert kinds & {"balance_missing", "balance_mismatch", "bai2_totals"}


def test_binary(warehouse: Warehouse, tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "noise.bin"
    path.write_bytes(random.Random(7).randbytes(20_000))
    assert load_or_refuse(warehouse, path, fmt) is None


def test_nul_bytes(warehouse: Warehouse, tmp_path: Path, fmt: str) -> None:
    path = built(tmp_path, fmt)
    data = path.read_bytes()
    middle = data.index(b"\n", len(data) // 2) + 3
    path.write_bytes(data[:middle] + b"\x00\x00" + data[middle:])
    report = load_or_refuse(warehouse, path, fmt)
    if report is not None and fmt == "bank-csv":
        assert report.rows_quarantined == 1
        reason = warehouse.scalar("SELECT reason FROM quarantine")
        assert reason == "row contains a NUL byte"


HUGE = "Z" * 100_000
FIELD_OF = {
    "mt940": (b"/REMI/XXX", f"/REMI/{HUGE}".encode(), ":86:"),
    "ofx": (b"<MEMO>memo 30", f"<MEMO>{HUGE}".encode(), "STMTTRN/MEMO"),
    "bai2": (b"88,PAYMENT 30", f"88,{HUGE}".encode(), "16 text"),
    "bank-csv": (b"PAYEE 30 ref 30", HUGE.encode(), "Description"),
}


@pytest.mark.parametrize("kind", sorted(FIELD_OF))
def test_a_100_kb_field_quarantines_its_row(
    warehouse: Warehouse, tmp_path: Path, kind: str
) -> None:
    path = built(tmp_path, kind)
    old, new, field = FIELD_OF[kind]
    data = path.read_bytes()
    assert old in data
    path.write_bytes(data.replace(old, new, 1))
    report = ingest_file(warehouse, path, kind, options=OPTIONS)
    accounted(warehouse, report)
    assert report.rows_quarantined == 1
    got_field, reason, original = warehouse.con.execute(
        "SELECT field, reason, original FROM quarantine"
    ).fetchone() or ("", "", "")
    assert got_field == field
    assert re.search(r"1000\d\d characters", reason + (original or ""))


LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<?OFX OFXHEADER="200" VERSION="211"?>
<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>USD</CURDEF><BANKACCTFROM><ACCTID>1</ACCTID>
</BANKACCTFROM><BANKTRANLIST><STMTTRN><TRNAMT>1</TRNAMT><DTPOSTED>20200101</DTPOSTED>
<MEMO>&lol3;</MEMO></STMTTRN></BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>"""
XXE = LAUGHS.replace(
    b'<!DOCTYPE lolz [<!ENTITY lol "lol">',
    b'<!DOCTYPE x [<!ENTITY lol SYSTEM "file:///etc/passwd">',
)


@pytest.mark.parametrize("doc", [LAUGHS, XXE], ids=["billion-laughs", "external-entity"])
def test_ofx_xml_entities_are_refused_unread(
    warehouse: Warehouse, tmp_path: Path, doc: bytes
) -> None:
    path = tmp_path / "evil.ofx"
    path.write_bytes(doc)
    before = snapshot(warehouse)
    with pytest.raises(HostileInputError, match="DTD or an entity"):
        ingest_file(warehouse, path)
    assert snapshot(warehouse) == before


def test_ofx_predefined_entities_are_read(warehouse: Warehouse, tmp_path: Path) -> None:
    path = tmp_path / "ok.ofx"
    write_ofx(path, 3)
    path.write_bytes(path.read_bytes().replace(b"<MEMO>memo 1<", b"<MEMO>A &amp; B &#233;<", 1))
    ingest_file(warehouse, path)
    texts = [r[0] for r in warehouse.con.execute("SELECT description FROM transactions").fetchall()]
    assert "A & B \u00e9" in texts


def test_scanned_pdf_is_refused_with_why(warehouse: Warehouse, tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(scanned_pdf())
    with pytest.raises(IngestError, match="no text layer: it is a scanned image"):
        ingest_file(warehouse, path)


def test_pdf_layout_profile(warehouse: Warehouse, tmp_path: Path) -> None:
    path = tmp_path / "st.pdf"
    path.write_bytes(text_pdf([STATEMENT_LINES, STATEMENT_PAGE2]))
    layout = tmp_path / "layout.yaml"
    layout.write_text(
        "line: '^(?P<date>\\d{2}/\\d{2}/\\d{4}) (?P<text>.+?) (?P<amount>-?[\\d,]+\\.\\d{2})'\n"
        "date_format: '%d/%m/%Y'\ncurrency: GBP\n"
        "account: 'Account number: (?P<account>[\\d ]+)'\n"
        "opening: 'Opening balance (?P<amount>[\\d,.]+)'\n"
        "closing: 'Closing balance (?P<amount>[\\d,.]+)'\n"
    )
    report = ingest_file(warehouse, path, "pdf", options=IngestOptions(profile=layout))
    accounted(warehouse, report)
    assert (report.rows_read, report.rows_quarantined) == (5, 1)
    assert warehouse.scalar("SELECT DISTINCT currency FROM transactions") == "GBP"
    row, field = warehouse.con.execute("SELECT source_row, field FROM quarantine").fetchone() or (
        0,
        "",
    )
    assert (row, field) == (9, "page 2 line: date")
    assert not warehouse.scalar("SELECT count(*) FROM source_issues WHERE kind LIKE 'balance%'")


_CHILD = """
import sys
from pathlib import Path
from tests.ingest.statement_build import write_bank_csv, write_mt940, write_ofx
from moneytrail.ingest import IngestOptions, ingest_file
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace
fmt, n, tmp = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
build = {"mt940": write_mt940, "ofx": write_ofx, "bank-csv": write_bank_csv}[fmt]
build(tmp / "f", n)
with Warehouse(Workspace(tmp / "ws").ensure()) as wh:
    report = ingest_file(wh, tmp / "f", fmt, options=IngestOptions(account="1"))
print(report.rows_accepted, (tmp / "f").stat().st_size)
"""


def _peak_mib(fmt: str, n: int, tmp: Path) -> tuple[int, int]:
    """Peak RSS (MiB) of a child that generates and loads a file; and its size in bytes."""
    tmp.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    cmd = [sys.executable, "-c", _CHILD, fmt, str(n), str(tmp)]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env, cwd=ROOT) as proc:
        _, status, usage = os.wait4(proc.pid, 0)
        out = proc.stdout.read().decode() if proc.stdout else ""
    assert os.waitstatus_to_exitcode(status) == 0
    accepted, size = map(int, out.split())
    assert accepted == n
    return usage.ru_maxrss >> 10, size


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["ofx", "bank-csv"])
def test_streams_in_bounded_memory(tmp_path: Path, fmt: str) -> None:
    """Fifteen times the rows must not cost fifteen times the memory: the readers keep one
    message, element or row, and DuckDB holds the rest (the 1 GB run: benchmarks/ingest.py
    --statements)."""
    small, _ = _peak_mib(fmt, 1_000, tmp_path / "small")
    large, size = _peak_mib(fmt, 15_000, tmp_path / "large")
    assert size > 600_000
    assert large - small < 80, (small, large)


def test_mt940_bad_lines_cost_only_themselves(warehouse: Warehouse, tmp_path: Path) -> None:
    path = tmp_path / "bad.sta"
    path.write_text(
        ":20:X1\n:25:NL91ABNA0417164300\n:28C:1/1\n:60F:C2401XXEUR100,00\n"
        ":61:2401150115D10,00NTRFNONREF\n:86:rent\n"
        ":61:24011X0115D10,00NTRFNONREF\n:86:broken\n:62F:C240131EUR80,00\n-\n"
    )
    report = ingest_file(warehouse, path)
    accounted(warehouse, report)
    assert (report.rows_read, report.rows_quarantined) == (2, 1)
    row, field, reason = warehouse.con.execute(
        "SELECT source_row, field, reason FROM quarantine"
    ).fetchone() or (0, "", "")
    assert (row, field) == (7, ":61:")
    assert reason.startswith("not a valid :61: statement line (Unable to parse Statement from")
    issues = dict(warehouse.con.execute("SELECT kind, message FROM source_issues").fetchall())
    assert issues["balance_invalid"].startswith("line 4: :60F: could not be read")
    assert "has no opening balance" in issues["balance_missing"]


def test_mt942_interim_report(warehouse: Warehouse, tmp_path: Path) -> None:
    path = tmp_path / "interim.sta"
    path.write_text(
        ":20:INTRADAY1\n:25:NL91ABNA0417164300\n:28C:5/1\n:34F:EUR0,\n:13D:2403151200+0100\n"
        ":61:2403150315C250,00NTRFREF1//B77\n"
        ":86:/EREF/INV-77/NAME/ACME BV/IBAN/NL20INGB0001234567/REMI/Invoice 77\n"
        ":90D:0EUR0,\n:90C:1EUR250,00\n-\n"
    )
    report = ingest_file(warehouse, path)
    assert (report.format, report.rows_accepted) == ("mt940", 1)
    row = warehouse.con.execute(
        "SELECT t.txn_id, t.reference, t.from_party, t.from_account IS NOT NULL, t.description"
        " FROM transactions t"
    ).fetchone()
    assert row == ("B77", "INV-77", "ACME BV", True, "Invoice 77")
    assert not warehouse.scalar("SELECT count(*) FROM source_issues")  # nothing to balance
