"""Small statement files made for tests: text PDFs (with and without a text layer), CSVs."""

from __future__ import annotations


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
        objects.append(
            f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"\nendstream"
        )
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
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
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
