"""Small statement files made for tests: text PDFs (with and without a text layer), CSVs."""

from __future__ import annotations

from pathlib import Path


def _pdf(contents: list[bytes]) -> bytes:
    """A PDF with one page per content stream, Helvetica as F1."""
    n = len(contents)
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids ["
        + b" ".join(f"{4 + 2 * i} 0 R".encode() for i in range(n))
        + f"] /Count {n} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, stream in enumerate(contents):
        page, content = 4 + 2 * i, 5 + 2 * i
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {content} 0 R "
            "/Resources << /Font << /F1 3 0 R >> >> >>".encode()
        )
        objects.append(f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"\nendstream")
        assert page == len(objects) - 1
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def text_pdf(pages: list[list[str]]) -> bytes:
    """A PDF whose pages show these lines of text, top to bottom."""
    streams = []
    for lines in pages:
        body = b"BT /F1 10 Tf 14 TL 40 760 Td "
        for line in lines:
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            body += b"(" + escaped.encode("latin-1") + b") Tj T* "
        streams.append(body + b"ET")
    return _pdf(streams)


def scanned_pdf() -> bytes:
    """A PDF page with drawing but no text, as a scan without OCR has."""
    return _pdf([b"0.5 g 40 40 500 700 re f"])


STATEMENT_LINES = [
    "First Example Bank - Statement of account",
    "Account number: 4400 1234 5678",
    "Opening balance 1,000.00",
    "Date Description Amount Balance",
    "01/03/2024 Salary ACME Ltd 2,500.00 3,500.00",
    "02/03/2024 Rent March -1,200.00 2,300.00",
    "05/03/2024 Card Coffee Shop -4.50 2,295.50",
]
STATEMENT_PAGE2 = [
    "Page 2",
    "31/02/2024 Fee adjustment -1.00 2,294.50",
    "20/03/2024 Transfer to savings -300.00 1,994.50",
    "Closing balance 1,994.50",
]


# Statement files of any size, written as they are generated (for streaming tests
# and benchmarks/ingest.py --statements). Each returns the number of movements.

_IBAN = "NL91ABNA0417164300"


def _day(i: int) -> tuple[int, int, int]:
    n = i % 3000
    return 2015 + n // 336, 1 + (n // 28) % 12, 1 + n % 28


def _mt_amount(cents: int) -> str:
    return f"{abs(cents) // 100},{abs(cents) % 100:02d}"


def write_mt940(path: Path, movements: int, per_statement: int = 50, text: int = 60) -> int:
    """Daily MT940 statements of one account; balances add up."""
    balance = 10_000_000  # cents
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        done, stmt = 0, 0
        while done < movements:
            stmt += 1
            y, m, d = _day(stmt)
            date = f"{y % 100:02d}{m:02d}{d:02d}"
            sign = "C" if balance >= 0 else "D"
            fh.write(f":20:STMT{stmt}\n:25:{_IBAN}\n:28C:{stmt}/1\n")
            fh.write(f":60F:{sign}{date}EUR{_mt_amount(balance)}\n")
            for _ in range(min(per_statement, movements - done)):
                done += 1
                cents = 100 + done % 99_700
                credit = done % 3 == 0
                balance += cents if credit else -cents
                mark = "C" if credit else "D"
                fh.write(f":61:{date}{date[2:]}{mark}{_mt_amount(cents)}NTRFREF{done}//B{done}\n")
                fh.write(f":86:/EREF/E2E{done}/NAME/COUNTERPARTY {done % 500}/REMI/{'X' * text}\n")
            sign = "C" if balance >= 0 else "D"
            fh.write(f":62F:{sign}{date}EUR{_mt_amount(balance)}\n-\n")
    return movements


def write_ofx(path: Path, movements: int) -> int:
    """One OFX 1.x (SGML) bank statement with `movements` transactions."""
    with path.open("w", encoding="cp1252", newline="\r\n") as fh:
        fh.write("OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\n")
        fh.write("CHARSET:1252\nCOMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n")
        fh.write("<OFX><BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STMTRS><CURDEF>USD\n")
        fh.write(
            "<BANKACCTFROM><BANKID>121000248<ACCTID>987654321<ACCTTYPE>CHECKING</BANKACCTFROM>\n"
        )
        fh.write("<BANKTRANLIST><DTSTART>20150101<DTEND>20231231\n")
        for i in range(1, movements + 1):
            y, m, d = _day(i)
            sign = "" if i % 3 == 0 else "-"
            fh.write(
                f"<STMTTRN><TRNTYPE>{'CREDIT' if sign == '' else 'DEBIT'}<DTPOSTED>{y}{m:02d}{d:02d}"
                f"120000[-5:EST]<TRNAMT>{sign}{1 + i % 997}.{i % 100:02d}<FITID>F{i}"
                f"<NAME>PAYEE {i % 500}<MEMO>memo {i}</STMTTRN>\n"
            )
        fh.write("</BANKTRANLIST><LEDGERBAL><BALAMT>0.00<DTASOF>20231231</LEDGERBAL>")
        fh.write("</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n")
    return movements


def write_bai2(path: Path, movements: int, per_group: int = 100) -> int:
    """A BAI2 file of one account, one group per day; totals add up."""
    with path.open("w", encoding="ascii", newline="\n") as fh:
        fh.write("01,121000248,RECEIVER,230101,0100,1,80,,2/\n")
        done, groups, file_total, records = 0, 0, 0, 2
        while done < movements:
            groups += 1
            y, m, d = _day(groups)
            n = min(per_group, movements - done)
            lines = [f"03,987654321,USD,010,1000000,,,015,{1000000},,/"]
            closing = 1000000
            for _ in range(n):
                done += 1
                amount = 100 + done % 99_700
                code = "165" if done % 3 == 0 else "475"
                closing += amount if code == "165" else -amount
                lines.append(f"16,{code},{amount},,B{done},C{done}/")
                lines.append(f"88,PAYMENT {done}")
            lines[0] = f"03,987654321,USD,010,1000000,,,015,{closing},,/"
            account_total = (
                1000000 + closing + sum(100 + k % 99_700 for k in range(done - n + 1, done + 1))
            )
            lines.append(f"49,{account_total},{len(lines) + 1}/")
            group = [f"02,RECEIVER,121000248,1,{y % 100:02d}{m:02d}{d:02d},0100,USD,2/", *lines]
            group.append(f"98,{account_total},1,{len(group) + 1}/")
            fh.write("\n".join(group) + "\n")
            file_total += account_total
            records += len(group)
        fh.write(f"99,{file_total},{groups},{records}/\n")
    return movements


def write_bank_csv(path: Path, movements: int) -> int:
    """A US-style export: Date,Description,Amount,Balance (one signed column)."""
    balance = 100_000.0
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write("Date,Description,Amount,Balance\n")
        for i in range(1, movements + 1):
            y, m, d = _day(i // 40)
            amount = (1 + i % 997) * (1 if i % 3 == 0 else -1)
            balance += amount
            fh.write(f"{m:02d}/{d:02d}/{y},PAYEE {i % 500} ref {i},{amount}.00,{balance:.2f}\n")
    return movements


def write_equivalent_csv(path: Path, movements: int) -> int:
    """The same movements as a plain CSV, for DuckDB's read_csv as the reference."""
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write("date,account,amount,currency,reference,counterparty,text\n")
        for i in range(1, movements + 1):
            y, m, d = _day(i)
            amount = (1 + i % 997) * (1 if i % 3 == 0 else -1)
            fh.write(
                f"{y}-{m:02d}-{d:02d},{_IBAN},{amount}.{i % 100:02d},EUR,E2E{i},PAYEE {i % 500},memo {i}\n"
            )
    return movements
