"""Reader for SSA EFW2 wage files (Forms W-2 filed electronically).

FEDERAL TAX INFORMATION. W-2 data is return information (26 U.S.C. 6103): every
row this reader writes carries data_label 'FTI', SSNs and EINs are stored only
as keyed tokens and masked forms (raw values encrypted in the vault), worker
names and addresses only as tokens. Nothing about a worker is stored in clear.

Layout: SSA Publication No. 42-007 (EFW2), see `_efw2_layout`. Records are 512
bytes; each may be followed by CR LF or LF (as SSA asks) or the file may be one
unbroken run of 512-byte records. The whole file is refused (FileFormatError
naming the record number and field) when:

- a record is not 512 bytes, not ASCII, or has an unknown identifier;
- records are out of order (RA, then per employer RE, RW [RO] [RS]..., RT,
  [RU], [RV]; last RF), or an employer has RO records but no RU;
- an RT money field is not digits, or the RT count and totals differ from the
  sums of the employer's RW records (boxes 1-7, box 10, box 12 D-H), the RU
  count from its RO records, or the RF count from the file's RW records;
- an RE has no valid tax year or EIN.

A money field left blank (SSA asks for zeros; real filers' files do not always
comply) is read as zero, and the file's findings say how many and where.

An RW whose SSN field is not nine digits is quarantined (its money still
counts toward the totals, which are the employer's). An RW with a money field
that is neither digits nor blank is quarantined too, naming the field: the
structure (order, counts) still holds, so the rest of the file is read; the
RT total of that field cannot be checked to the cent, and the finding says
what the set-aside record must hold for the total to agree. RO, RS, RU and RV
records are checked for place and count but not stored.

Rows: a data row is an RE or RW record; `source_row` is the record's 1-based
number in the file, so evidence points at the exact record. rows_read counts
RE and RW records.
"""

from __future__ import annotations

import io
import operator
from collections.abc import Iterator
from dataclasses import dataclass, field

import pyarrow as pa

from moneytrail.errors import FileFormatError
from moneytrail.ingest import _efw2_layout as layout
from moneytrail.ingest._context import HashingReader, LoadContext
from moneytrail.ingest._efw2_tin import classify
from moneytrail.ingest._registry import Format
from moneytrail.privacy import mask

FORMAT = "efw2"
FTI = "FTI"
_FLUSH = 20_000
_TERMINATORS = (b"\r\n", b"\n")


def looks_like(head: bytes) -> bool:
    """Whether the first bytes of a file are an EFW2 RA record."""
    if not head.startswith(b"RA") or len(head) < layout.RECORD_LENGTH:
        return False
    after = head[layout.RECORD_LENGTH : layout.RECORD_LENGTH + 2]
    return after.startswith((b"\r\n", b"\n", b"RE")) or len(head) == layout.RECORD_LENGTH


def read(ctx: LoadContext) -> int:
    """Load the file; return the number of RE and RW records read."""
    state = _State(ctx)
    buf = io.BufferedReader(ctx.stream, 1 << 20)
    try:
        for number, record in _records(ctx, buf):
            state.take(number, record)
    finally:
        buf.detach()  # the loader goes on hashing the stream; a buffer would close it
    state.finish()
    return state.rows


def _records(ctx: LoadContext, buf: io.BufferedReader[HashingReader]) -> Iterator[tuple[int, str]]:
    """(record number, text) of every record; refuses wrong lengths and non-ASCII bytes."""
    head = buf.peek(layout.RECORD_LENGTH + 2)[: layout.RECORD_LENGTH + 2]
    if not head.strip():
        raise FileFormatError(ctx.path, "the file is empty: expected an RA record", row=1)
    delimited = head[layout.RECORD_LENGTH : layout.RECORD_LENGTH + 2].startswith(_TERMINATORS) or (
        b"\n" in head
    )
    number = 0
    blank_tail = False
    while True:
        raw = (
            buf.readline(layout.RECORD_LENGTH + 2) if delimited else buf.read(layout.RECORD_LENGTH)
        )
        if not raw:
            return
        number += 1
        record = raw.removesuffix(b"\n").removesuffix(b"\r") if delimited else raw
        if delimited and not raw.endswith(b"\n") and len(raw) > layout.RECORD_LENGTH:
            raise FileFormatError(
                ctx.path,
                f"record is longer than {layout.RECORD_LENGTH} bytes (no line end within "
                f"{layout.RECORD_LENGTH + 2} bytes); EFW2 records are exactly {layout.RECORD_LENGTH}",
                row=number,
            )
        if not delimited and (b"\n" in record or b"\r" in record):
            raise FileFormatError(
                ctx.path,
                "record has a line break inside its 512 bytes; records are 512 bytes, "
                "each followed by CR LF, or none of them is",
                row=number,
            )
        if not record.strip(b" \x1a"):
            blank_tail = True  # blank lines (or a DOS EOF mark) may only end the file
            continue
        if blank_tail:
            raise FileFormatError(ctx.path, "a blank line comes before this record", row=number)
        if len(record) != layout.RECORD_LENGTH:
            raise FileFormatError(
                ctx.path,
                f"record is {len(record)} bytes long; EFW2 records are exactly {layout.RECORD_LENGTH}",
                row=number,
            )
        try:
            text = record.decode("ascii")
        except UnicodeDecodeError as exc:
            raise FileFormatError(
                ctx.path,
                f"byte {exc.start + 1} is not ASCII (0x{record[exc.start]:02x}); EFW2 files are ASCII",
                row=number,
            ) from exc
        yield number, text


@dataclass
class _Employer:
    row: int
    tax_year: int
    ein: str
    name: str | None
    employment_code: str | None
    kind: str | None
    rw: int = 0
    ro: int = 0
    sums: list[int] = field(default_factory=lambda: [0] * len(layout.RW_MONEY))
    # RW money fields that a quarantined record left unread: (field index, record)
    unread: list[tuple[int, int]] = field(default_factory=list)


class _State:
    """Walks the records in order, checking sequence and totals, batching rows."""

    def __init__(self, ctx: LoadContext) -> None:
        self.ctx = ctx
        self.prev: str | None = None
        self.employer: _Employer | None = None
        self.total_rw = 0
        self.rows = 0
        self.last = 0
        self.blanks: list[tuple[int, str]] = []
        self.employers: list[dict[str, object]] = []
        self.wages: list[list[object]] = [[] for _ in _WAGE_BATCH]
        self.vault: dict[str, tuple[str, str]] = {}

    # -- sequence -------------------------------------------------------------

    def take(self, number: int, record: str) -> None:
        self.last = number
        kind = record[:2]
        if kind not in layout.RECORD_IDS:
            raise FileFormatError(
                self.ctx.path,
                f"record identifier {kind!r} is not one of {', '.join(layout.RECORD_IDS)}",
                row=number,
                field="1-2",
            )
        allowed = layout.NEXT[self.prev]
        if self.prev == "RT" and self.employer is not None and self.employer.ro and kind != "RU":
            raise FileFormatError(
                self.ctx.path,
                f"{kind} record follows the RT of an employer with {self.employer.ro} RO "
                "records; an RU record must come first",
                row=number,
            )
        if kind not in allowed:
            expected = " or ".join(sorted(allowed)) or "nothing (RF is the last record)"
            after = f"after {self.prev}" if self.prev else "as the first record"
            raise FileFormatError(
                self.ctx.path, f"{kind} record out of order: {after} comes {expected}", row=number
            )
        self.prev = kind
        if kind == "RE":
            self._re(number, record)
        elif kind == "RW":
            self._rw(number, record)
        elif kind == "RO":
            self._current(number).ro += 1
        elif kind == "RT":
            self._rt(number, record)
        elif kind == "RU":
            self._ru(number, record)
        elif kind == "RF":
            self._rf(number, record)

    def finish(self) -> None:
        if self.blanks:
            first_row, first_field = self.blanks[0]
            self.ctx.issue(
                first_row,
                "blank_money",
                f"{len(self.blanks)} money fields were blank and were read as zero (SSA asks "
                f"for zeros), the first at record {first_row}, field {first_field}",
            )
        if self.prev != "RF":
            raise FileFormatError(
                self.ctx.path,
                "the file ends without an RF record"
                + (f" (last record is {self.prev})" if self.prev else ""),
                row=self.last or 1,
            )
        self._flush()

    def _current(self, number: int) -> _Employer:
        if self.employer is None:  # NEXT makes this unreachable; kept as a guard
            raise FileFormatError(self.ctx.path, "record outside an employer", row=number)
        return self.employer

    # -- records --------------------------------------------------------------

    def _re(self, number: int, record: str) -> None:
        year = layout.RE_TAX_YEAR.cut(record)
        if not year.isdigit() or not 1978 <= int(year) <= 2999:
            raise FileFormatError(
                self.ctx.path,
                f"{year!r} is not a tax year",
                row=number,
                field=layout.RE_TAX_YEAR.where,
            )
        ein = layout.RE_EIN.cut(record)
        if not ein.isdigit() or ein == "000000000":
            raise FileFormatError(
                self.ctx.path,
                f"{mask(ein, 'ein')!r} is not a 9-digit EIN",
                row=number,
                field=layout.RE_EIN.where,
            )
        self.employer = _Employer(
            number,
            int(year),
            ein,
            layout.RE_NAME.cut(record).strip() or None,
            layout.RE_EMPLOYMENT.cut(record).strip() or None,
            layout.RE_KIND.cut(record).strip() or None,
        )
        self.rows += 1

    def _rw(self, number: int, record: str) -> None:
        employer = self._current(number)
        amounts, bad = self._rw_amounts(number, record)
        employer.sums = list(map(operator.add, employer.sums, amounts))
        employer.rw += 1
        self.total_rw += 1
        self.rows += 1
        if bad is not None:
            i, text = bad
            employer.unread.append((i, number))
            self.ctx.quarantine(
                number,
                layout.RW_MONEY[i].where,
                f"{text!r} is not a money amount (cents, digits only, zero-filled); the record "
                "is set aside and the RT total of this box is checked without it",
                text,
            )
            return
        ssn = layout.RW_SSN.cut(record)
        if not ssn.isdigit():
            self.ctx.quarantine(
                number,
                layout.RW_SSN.where,
                "the SSN field must hold 9 digits (zeros when the worker has no SSN)",
                mask(ssn, "ssn"),
            )
            return
        kind, note = classify(ssn)
        # Raw values go only to the in-memory batch the tokens are computed from (see _flush).
        row = (
            number,
            employer.row,
            employer.tax_year,
            employer.ein,
            ssn,
            mask(ssn, "ssn"),
            kind,
            note,
            f"{layout.RW_FIRST.cut(record).strip()} {layout.RW_LAST.cut(record).strip()}",
            layout.RW_ADDRESS.cut(record).strip(),  # tokens keep only letters and digits
            *amounts[: layout.STORED_BOXES],
        )
        for column, value in zip(self.wages, row, strict=True):
            column.append(value)
        if len(self.wages[0]) >= _FLUSH:
            self._flush()

    def _rt(self, number: int, record: str) -> None:
        employer = self._current(number)
        count = self._count(number, record, layout.RT_COUNT)
        if count != employer.rw:
            raise FileFormatError(
                self.ctx.path,
                f"RT says {count} RW records but the employer (RE at record {employer.row}) "
                f"has {employer.rw}",
                row=number,
                field=layout.RT_COUNT.where,
            )
        unread = dict(employer.unread)
        for i, (rt_field, total) in enumerate(zip(layout.RT_MONEY, employer.sums, strict=True)):
            stated = self._money(number, record, rt_field)
            if i in unread:
                rows = ", ".join(str(r) for k, r in employer.unread if k == i)
                self.ctx.issue(
                    number,
                    "rt_total_unchecked",
                    f"RT {rt_field.where}: total {_dollars(stated)}; the readable RW records add "
                    f"up to {_dollars(total)}, so the quarantined record(s) {rows} would hold "
                    f"{_dollars(stated - total)} for the total to agree",
                )
                continue
            if stated != total:
                raise FileFormatError(
                    self.ctx.path,
                    f"RT total {_dollars(stated)} differs from the sum of the employer's RW "
                    f"records, {_dollars(total)} (RE at record {employer.row})",
                    row=number,
                    field=rt_field.where,
                )
        ein_token = self.ctx.tokeniser.token("ein", employer.ein)
        self.vault[ein_token] = ("ein", employer.ein)
        self.employers.append(
            {
                "source_row": employer.row,
                "tax_year": employer.tax_year,
                "ein_token": ein_token,
                "tax_token": self.ctx.tokeniser.token("tax", employer.ein),
                "ein_masked": mask(employer.ein, "ein"),
                "name": employer.name,
                "employment_code": employer.employment_code,
                "kind_of_employer": employer.kind,
                "w2_count": employer.rw,
            }
        )

    def _ru(self, number: int, record: str) -> None:
        employer = self._current(number)
        count = self._count(number, record, layout.RU_COUNT)
        if count != employer.ro:
            raise FileFormatError(
                self.ctx.path,
                f"RU says {count} RO records but the employer (RE at record {employer.row}) "
                f"has {employer.ro}",
                row=number,
                field=layout.RU_COUNT.where,
            )

    def _rf(self, number: int, record: str) -> None:
        count = self._count(number, record, layout.RF_COUNT)
        if count != self.total_rw:
            raise FileFormatError(
                self.ctx.path,
                f"RF says {count} RW records but the file has {self.total_rw}",
                row=number,
                field=layout.RF_COUNT.where,
            )

    # -- fields ---------------------------------------------------------------

    def _rw_amounts(self, number: int, record: str) -> tuple[list[int], tuple[int, str] | None]:
        """An RW's money fields (blank as zero); the first unreadable one, if any, as
        (index, text), with 0 in its place."""
        texts = [record[f.start - 1 : f.end] for f in layout.RW_MONEY]
        if all(map(str.isdigit, texts)):
            return list(map(int, texts)), None
        amounts: list[int] = []
        bad: tuple[int, str] | None = None
        for i, (f, text) in enumerate(zip(layout.RW_MONEY, texts, strict=True)):
            if text.isdigit():
                amounts.append(int(text))
            elif not text.strip():
                self.blanks.append((number, f.where))
                amounts.append(0)
            else:
                bad = bad or (i, text)
                amounts.append(0)
        return amounts, bad

    def _money(self, number: int, record: str, f: layout.Field) -> int:
        text = f.cut(record)
        if not text.strip():
            self.blanks.append((number, f.where))
            return 0
        if not text.isdigit():
            raise FileFormatError(
                self.ctx.path,
                f"{text!r} is not a money amount (cents, digits only, zero-filled)",
                row=number,
                field=f.where,
            )
        return int(text)

    def _count(self, number: int, record: str, f: layout.Field) -> int:
        text = f.cut(record)
        if not text.isdigit():
            raise FileFormatError(
                self.ctx.path, f"{text!r} is not a record count", row=number, field=f.where
            )
        return int(text)

    # -- storage --------------------------------------------------------------

    def _flush(self) -> None:
        ctx = self.ctx
        if self.employers:
            ctx.append(
                "efw2_employers",
                pa.Table.from_pylist(self.employers, _EMPLOYER_SCHEMA),
                "INSERT INTO w2_employers SELECT $sid, source_row, tax_year, ein_token, "
                "tax_token, ein_masked, name, employment_code, kind_of_employer, w2_count, "
                f"'{FTI}' FROM efw2_employers",
            )
            self.employers.clear()
        if self.wages[0]:
            batch = pa.table(
                {
                    name: pa.array(col, typ)
                    for (name, typ), col in zip(_WAGE_BATCH, self.wages, strict=True)
                }
            )
            ctx.append("efw2_wages", batch, _INSERT_WAGES)
            ctx.con.register("efw2_wages", batch)
            try:
                raw = ctx.con.execute(
                    "SELECT DISTINCT mt_token('ssn:' || ssn), ssn FROM efw2_wages"
                ).fetchall()
            finally:
                ctx.con.unregister("efw2_wages")
            for token, ssn in raw:
                self.vault[token] = ("ssn", ssn)
            for column in self.wages:
                column.clear()
        if self.vault:
            ctx.vault.store(ctx.con, ((tok, s, raw) for tok, (s, raw) in self.vault.items()))
            self.vault.clear()


_WAGE_COLUMNS = (
    "wages",
    "federal_tax_withheld",
    "ss_wages",
    "ss_tax_withheld",
    "medicare_wages",
    "medicare_tax_withheld",
    "ss_tips",
)
_WAGE_BATCH = (
    ("source_row", pa.int64()),
    ("employer_row", pa.int64()),
    ("tax_year", pa.int32()),
    ("ein", pa.string()),
    ("ssn", pa.string()),
    ("tin_masked", pa.string()),
    ("tin_kind", pa.string()),
    ("tin_note", pa.string()),
    ("name", pa.string()),
    ("address", pa.string()),
    *[(f"{c}_cents", pa.int64()) for c in _WAGE_COLUMNS],
)
# Tokens as Tokeniser.token() makes them: HMAC of 'scheme:' and the value's letters and
# digits, upper-cased (mt_alnum); SSNs and EINs are digits already.
_INSERT_WAGES = f"""
INSERT INTO w2_wages
SELECT $sid, source_row, employer_row, tax_year, mt_token('ein:' || ein), mt_token('ssn:' || ssn),
       tin_masked, tin_kind, tin_note, mt_token('name:' || mt_alnum(name)),
       CASE WHEN address <> '' THEN mt_token('address:' || mt_alnum(address)) END,
       {", ".join(f"{c}_cents::DECIMAL(38,0) * 0.01::DECIMAL(3,2)" for c in _WAGE_COLUMNS)},
       '{FTI}'
FROM efw2_wages
"""
_EMPLOYER_SCHEMA = pa.schema(
    [
        ("source_row", pa.int64()),
        ("tax_year", pa.int32()),
        ("ein_token", pa.string()),
        ("tax_token", pa.string()),
        ("ein_masked", pa.string()),
        ("name", pa.string()),
        ("employment_code", pa.string()),
        ("kind_of_employer", pa.string()),
        ("w2_count", pa.int64()),
    ]
)


def _dollars(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"


READER = Format(
    FORMAT,
    read,
    looks_like,
    "SSA EFW2 wage reports (W-2 RA/RE/RW/RT/RF records); tax data (FTI)",
    "moneytrail ingest W2REPORT.txt",
)
