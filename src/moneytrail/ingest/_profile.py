"""Mapping profiles for bank exports (`--format bank-csv`): which column is which.

A profile is a small YAML file, written by `moneytrail profile suggest` or by
hand, kept in the workspace (`profiles/NAME.yaml`) or anywhere, and shared
between investigators who receive the same bank's exports:

    delimiter: ";"            # CSV only; an XLSX file is read from its first sheet
    skip_rows: 0              # lines above the header row
    date_column: Datum
    date_format: "%Y%m%d"     # strptime codes
    amount_column: Bedrag     # one amount column: signed, or unsigned with a direction column
    direction_column: Af Bij  # optional: which rows are debits
    debit_values: [Af]
    credit_values: [Bij]
    debit_column: null        # or two columns, paid out and paid in
    credit_column: null
    decimal_comma: true       # 1.234,56
    currency: EUR             # or currency_column
    balance_column: null      # the balance after each row, checked against the amounts
    account_column: Rekening  # else `ingest --account NUMBER [--bank BANK]`
    counterparty_column: Naam / Omschrijving
    counterparty_account_column: Tegenrekening
    reference_column: null
    text_columns: [Mededelingen]

Loading checks the whole profile and lists every problem (ProfileError).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from moneytrail.errors import ProfileError
from moneytrail.ingest._codes import ISO_CURRENCIES

DATE_FORMATS = (
    "%Y-%m-%d",
    "%d.%m.%Y",
    "%Y%m%d",
    "%Y/%m/%d",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%d/%m/%y",
    "%m/%d/%y",
    "%d.%m.%y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%d-%b-%Y",
    "%d %b %Y",
    "%b %d, %Y",
)
_US_FIRST = ("%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y")


@dataclass
class Profile:
    date_column: str
    date_format: str
    delimiter: str = ","
    encoding: str = "utf-8"
    skip_rows: int = 0
    amount_column: str | None = None
    direction_column: str | None = None
    debit_values: list[str] = field(default_factory=list)
    credit_values: list[str] = field(default_factory=list)
    debit_column: str | None = None
    credit_column: str | None = None
    decimal_comma: bool = False
    currency: str | None = None
    currency_column: str | None = None
    balance_column: str | None = None
    account_column: str | None = None
    counterparty_column: str | None = None
    counterparty_account_column: str | None = None
    reference_column: str | None = None
    text_columns: list[str] = field(default_factory=list)

    def columns(self) -> list[str]:
        """Every column the profile names."""
        named = [
            getattr(self, f.name)
            for f in fields(self)
            if f.name.endswith("_column") and getattr(self, f.name)
        ]
        return [*named, *self.text_columns]

    def to_yaml(self) -> str:
        return yaml.safe_dump(asdict(self), sort_keys=False, allow_unicode=True)

    def amount(self, text: str) -> Decimal | None:
        """A cell as a number under this profile's decimal mark; None if it is not one."""
        return parse_amount(text, self.decimal_comma)


# Most cells are plain numbers: those are read without the cleaning below (same
# value: each is one of the forms the full rules accept, with nothing to strip).
_PLAIN = re.compile(r"-?[0-9]{1,29}(\.[0-9]{1,8})?")
_PLAIN_COMMA = re.compile(r"-?[0-9]{1,29}(,[0-9]{1,8})?")
_POINT_RULE = re.compile(r"[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d{1,8})?|[+-]?\.\d{1,8}")
_COMMA_RULE = re.compile(r"[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d{1,8})?")


def parse_amount(text: str, decimal_comma: bool) -> Decimal | None:
    if decimal_comma:
        if _PLAIN_COMMA.fullmatch(text):
            return Decimal(text.replace(",", "."))
    elif _PLAIN.fullmatch(text):
        return Decimal(text)
    return parse_amount_fully(text, decimal_comma)


def parse_amount_fully(text: str, decimal_comma: bool) -> Decimal | None:
    """parse_amount's rules, every one applied (currency signs, brackets, thousands)."""
    clean = text.strip().replace("\u00a0", "").replace(" ", "")
    for symbol in ("$", "€", "£", "¥", "CHF", "EUR", "USD", "GBP"):
        clean = clean.replace(symbol, "")
    negative = False
    if clean.startswith("(") and clean.endswith(")"):
        negative, clean = True, clean[1:-1]
    if clean.endswith("-"):
        negative, clean = True, clean[:-1]
    if decimal_comma:
        if not _COMMA_RULE.fullmatch(clean):
            return None
        clean = clean.replace(".", "").replace(",", ".")
    else:
        if not _POINT_RULE.fullmatch(clean):
            return None
        clean = clean.replace(",", "")
    try:
        value = Decimal(clean)
    except InvalidOperation:
        return None
    if abs(value) >= Decimal(10) ** 29:
        return None
    return -value if negative else value


def load_profile(path: Path) -> Profile:
    """Read and check a profile; every problem is listed in one ProfileError."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(path, f"cannot read the profile: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ProfileError(path, f"not valid YAML: {exc}") from exc
    if not isinstance(doc, dict):
        raise ProfileError(path, "a profile is a YAML mapping of settings (date_column: ..., ...)")
    known = {f.name for f in fields(Profile)}
    problems = [f"{k}: unknown setting" for k in doc if k not in known]
    values = {k: _setting(k, v, problems) for k, v in doc.items() if k in known and v is not None}
    for required in ("date_column", "date_format"):
        if not values.get(required):
            problems.append(f"{required}: required")
    profile = Profile(date_column="", date_format="")
    for name, value in values.items():
        setattr(profile, name, value)  # each coerced to its field's type by _setting
    problems += _consistency(profile)
    if problems:
        raise ProfileError(path, "invalid profile: " + "; ".join(problems))
    return profile


def _setting(name: str, value: object, problems: list[str]) -> object:
    """A setting's value in its type; a problem is noted, not raised, so all are listed."""
    if name in ("debit_values", "credit_values", "text_columns"):
        items = value if isinstance(value, list) else [value]
        return [str(v) for v in items]
    if name == "skip_rows":
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            problems.append("skip_rows: must be a whole number, 0 or more")
            return 0
        return value
    if name == "decimal_comma":
        if not isinstance(value, bool):
            problems.append("decimal_comma: must be true or false")
        return bool(value)
    return str(value)


def _consistency(p: Profile) -> list[str]:
    problems: list[str] = []
    one, two = (
        p.amount_column is not None,
        p.debit_column is not None or p.credit_column is not None,
    )
    if one == two:
        problems.append(
            "amount: give either amount_column (signed, or with direction_column) or "
            "debit_column and credit_column"
        )
    if two and not (p.debit_column and p.credit_column):
        problems.append("debit_column and credit_column: give both")
    if p.direction_column and not (p.debit_values and p.credit_values):
        problems.append("direction_column: give debit_values and credit_values too")
    if p.currency and p.currency not in ISO_CURRENCIES:
        problems.append(f"currency: {p.currency!r} is not an ISO 4217 code")
    if not p.currency and not p.currency_column:
        problems.append("currency: give currency (e.g. EUR) or currency_column")
    if p.date_format and "%" not in p.date_format:
        problems.append("date_format: use strptime codes, e.g. %d/%m/%Y")
    if len(p.delimiter) != 1:
        problems.append("delimiter: one character")
    return problems


# Suggesting a profile from a sample -------------------------------------------------

_NAMES: dict[str, tuple[str, ...]] = {
    "date": (
        "date",
        "datum",
        "fecha",
        "data",
        "booking date",
        "transaction date",
        "posting date",
        "post date",
        "buchungstag",
        "value date",
        "valutadatum",
        "date operation",
        "trans date",
        "transactiedatum",
        "boekdatum",
    ),
    "amount": (
        "amount",
        "bedrag",
        "betrag",
        "importe",
        "montant",
        "value",
        "transaction amount",
        "amount (eur)",
        "amount (usd)",
        "bedrag (eur)",
        "umsatz",
    ),
    "debit": (
        "debit",
        "debits",
        "withdrawal",
        "withdrawals",
        "paid out",
        "money out",
        "out",
        "debit amount",
        "soll",
        "uitgaven",
        "af",
        "charges",
    ),
    "credit": (
        "credit",
        "credits",
        "deposit",
        "deposits",
        "paid in",
        "money in",
        "in",
        "credit amount",
        "haben",
        "inkomsten",
        "bij",
        "payments",
    ),
    "direction": (
        "af bij",
        "af/bij",
        "debit/credit",
        "d/c",
        "dr/cr",
        "cr/dr",
        "soll/haben",
        "credit/debit",
        "direction",
        "type",
        "transaction type",
        "mutatiesoort",
    ),
    "balance": (
        "balance",
        "saldo",
        "solde",
        "kontostand",
        "running balance",
        "saldo na mutatie",
        "balance after",
    ),
    "currency": ("currency", "munt", "valuta", "währung", "waehrung", "devise", "ccy", "moneda"),
    "account": (
        "account",
        "account number",
        "rekening",
        "rekeningnummer",
        "iban",
        "konto",
        "kontonummer",
        "own account",
        "compte",
    ),
    "counterparty": (
        "name",
        "payee",
        "beneficiary",
        "counterparty",
        "naam / omschrijving",
        "naam",
        "payer",
        "merchant",
        "empfänger",
        "auftraggeber",
        "tegenpartij",
        "name / description",
        "counterparty name",
    ),
    "counterparty_account": (
        "tegenrekening",
        "counterparty account",
        "counterparty iban",
        "to account",
        "beneficiary account",
        "iban tegenrekening",
        "contra account",
    ),
    "reference": (
        "reference",
        "ref",
        "referentie",
        "check number",
        "cheque number",
        "check",
        "transaction id",
        "kenmerk",
        "end to end id",
        "reference number",
    ),
    "text": (
        "description",
        "omschrijving",
        "mededelingen",
        "memo",
        "details",
        "narrative",
        "verwendungszweck",
        "transaction details",
        "particulars",
        "notes",
        "libellé",
        "text",
        "description 1",
        "description 2",
    ),
}
_DIRECTION_VALUES = (
    (
        {"af", "debit", "d", "dr", "s", "debet", "withdrawal"},
        {"bij", "credit", "c", "cr", "h", "deposit"},
    ),
)


@dataclass
class Suggestion:
    profile: Profile
    notes: list[str]
    header: list[str]
    sample: list[list[str]]


def sample_rows(data: bytes, limit: int = 60) -> tuple[list[list[str]], str, str]:
    """The first rows of a CSV sample, its delimiter and encoding."""
    encoding = "utf-8"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 3:
            text = data[: exc.start].decode("utf-8-sig")  # a character cut at the sample's end
        else:
            text, encoding = data.decode("cp1252", "replace"), "cp1252"
    lines = text.splitlines()[: limit + 20]
    counts = {d: sum(line.count(d) for line in lines[:20]) for d in (",", ";", "\t", "|")}
    delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
    return rows[:limit], delimiter, encoding


class _Picker:
    """Assigns header columns to profile fields, each column at most once."""

    def __init__(self, header: list[str], body: list[list[str]]) -> None:
        self.header, self.body = header, body
        self.lower = [h.lower() for h in header]
        self.taken: set[int] = set()
        self.picked: dict[str, int] = {}

    def column(self, i: int) -> list[str]:
        return [r[i].strip() for r in self.body if i < len(r) and r[i].strip()]

    def by_name(self, kind: str) -> int | None:
        """An exact header name first, then a header that contains one."""
        for exact in (True, False):
            for wanted in _NAMES[kind]:
                for i, h in enumerate(self.lower):
                    hit = h == wanted if exact else len(wanted) > 3 and wanted in h
                    if i not in self.taken and hit:
                        return i
        return None

    def take(self, kind: str, i: int | None) -> None:
        if i is not None:
            self.picked[kind] = i
            self.taken.add(i)

    def drop(self, kind: str) -> None:
        if kind in self.picked:
            self.taken.discard(self.picked.pop(kind))

    def by_values(self, test: Callable[[list[str]], object]) -> int | None:
        return next(
            (
                i
                for i in range(len(self.header))
                if i not in self.taken and self.column(i) and test(self.column(i))
            ),
            None,
        )

    def pick_all(self) -> list[int]:
        """Every field's column; returns the text columns."""
        self.take("date", self.by_name("date"))
        if "date" not in self.picked:
            self.take("date", self.by_values(lambda v: _date_format(v, False)[0]))
        for kind in ("debit", "credit"):
            found = self.by_name(kind)
            if found is not None and exact_or_number(self.lower[found], self.column(found), kind):
                self.take(kind, found)
        if not ("debit" in self.picked and "credit" in self.picked):
            self.drop("debit")
            self.drop("credit")
            self.take("amount", self.by_name("amount"))
        if "amount" in self.picked:
            self.take("direction", self.by_name("direction"))
            if "direction" in self.picked and not _direction_values(
                self.column(self.picked["direction"])
            ):
                self.drop("direction")
            if "direction" not in self.picked:
                self.take("direction", self.by_values(_direction_values))
        for kind in ("balance", "currency", "counterparty_account", "account", "counterparty"):
            self.take(kind, self.by_name(kind))
        self.take("reference", self.by_name("reference"))
        texts = []
        while (found := self.by_name("text")) is not None:
            texts.append(found)
            self.taken.add(found)
        return texts


def suggest(
    rows: list[list[str]], delimiter: str, encoding: str, *, currency: str | None = None
) -> Suggestion:
    """Propose a profile from a file's first rows: header names first, then the values."""
    skip = _header_index(rows)
    header = [h.strip() for h in rows[skip]] if rows else []
    body = [r for r in rows[skip + 1 :] if any(c.strip() for c in r)]
    picker = _Picker(header, body)
    texts = picker.pick_all()
    picked = picker.picked
    money = [picked[k] for k in ("amount", "debit", "credit", "balance") if k in picked]
    comma = _decimal_comma([v for i in money for v in picker.column(i)], delimiter)
    dates = picker.column(picked["date"]) if "date" in picked else []
    fmt, notes = _dates(dates, day_first=comma or delimiter == ";", comma=comma)
    ccy = currency
    named = re.search(r"\(([A-Z]{3})\)", header[money[0]]) if money else None
    if ccy is None and named and named.group(1) in ISO_CURRENCIES:
        ccy = named.group(1)  # 'Bedrag (EUR)'
    if ccy is None and "currency" not in picked:
        ccy = "EUR" if comma else "USD"
        notes.append(f"no currency column: {ccy} was assumed from the number style; check it")
    profile = Profile(
        date_column=header[picked["date"]] if "date" in picked else "",
        date_format=fmt or "",
        delimiter=delimiter,
        encoding=encoding,
        skip_rows=skip,
        decimal_comma=comma,
        currency=ccy,
        text_columns=[header[i] for i in texts],
    )
    for kind, i in picked.items():
        if kind != "date":
            setattr(profile, f"{kind}_column", header[i])
    if "direction" in picked:
        debit, credit = _direction_values(picker.column(picked["direction"])) or ([], [])
        profile.debit_values, profile.credit_values = debit, credit
    if not money:
        notes.append("no amount column found: set amount_column, or debit_column and credit_column")
    if "account" not in picked:
        notes.append("the export does not name its account: give it with ingest --account NUMBER")
    return Suggestion(profile, notes, header, body[:5])


def _dates(values: list[str], *, day_first: bool, comma: bool) -> tuple[str | None, list[str]]:
    if not values:
        return None, ["no date column found: set date_column and date_format"]
    fmt, ambiguous = _date_format(values, day_first)
    if fmt is None:
        return None, [f"dates such as {values[0]!r} match no known format: set date_format"]
    if not ambiguous:
        return fmt, []
    why = "decimal comma" if comma else "number style"
    order = "day" if day_first else "month"
    return fmt, [
        f"dates such as {values[0]!r} read either day or month first; {fmt} was chosen "
        f"({order} first, as the {why} suggests): check it"
    ]


def exact_or_number(name: str, values: list[str], kind: str) -> bool:
    """A debit/credit candidate: named so exactly, or holding numbers (or blanks)."""
    if name in _NAMES[kind][:8]:
        return True
    return bool(values) and all(
        parse_amount(v, False) is not None or parse_amount(v, True) is not None for v in values
    )


def _header_index(rows: list[list[str]]) -> int:
    """The first row that looks like a header: most cells filled, few of them numbers."""
    widest = max((len(r) for r in rows), default=0)
    for i, r in enumerate(rows[:30]):
        filled = [c for c in r if c.strip()]
        if len(r) >= max(2, widest - 1) and len(filled) >= max(2, len(r) // 2):
            numeric = sum(
                parse_amount(c, False) is not None or parse_amount(c, True) is not None
                for c in filled
            )
            if numeric <= len(filled) // 4:
                return i
    return 0


def _decimal_comma(values: list[str], delimiter: str) -> bool:
    comma = sum(
        bool(re.fullmatch(r"[-+(]?[\d.]*\d,\d{1,2}\)?-?", v.replace(" ", ""))) for v in values
    )
    point = sum(
        bool(re.fullmatch(r"[-+($]*[\d,]*\d\.\d{1,2}\)?-?", v.replace(" ", ""))) for v in values
    )
    if comma == point:
        return delimiter == ";"
    return comma > point


def _date_format(values: list[str], day_first: bool) -> tuple[str | None, bool]:
    """The format that reads the most sample dates (at least 4 in 5; a bad row or two is
    quarantined later, not a reason to miss the column), and whether another reads as many."""
    sample = values[:50]
    if not sample:
        return None, False
    counts = {fmt: sum(_parses(v, fmt) for v in sample) for fmt in DATE_FORMATS}
    best = max(counts.values())
    if best * 5 < len(sample) * 4:
        return None, False
    fits = [fmt for fmt in DATE_FORMATS if counts[fmt] == best]
    if len(fits) > 1 and not day_first:
        us = [f for f in fits if f in _US_FIRST]
        if us:
            return us[0], True
    return fits[0], len(fits) > 1


def _parses(value: str, fmt: str) -> bool:
    try:
        datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


def _direction_values(values: list[str]) -> tuple[list[str], list[str]] | None:
    """The debit and credit marks of an indicator column, if 4 in 5 of its values are marks."""
    marks = [v.strip() for v in values if v.strip()]
    for debits, credits in _DIRECTION_VALUES:
        d = sorted({v for v in marks if v.lower() in debits})
        c = sorted({v for v in marks if v.lower() in credits})
        known = sum(v.lower() in debits or v.lower() in credits for v in marks)
        if marks and (d or c) and known * 5 >= len(marks) * 4 and len(d) <= 2 and len(c) <= 2:
            return d or [_opposite(c[0], debits)], c or [_opposite(d[0], credits)]
    return None


def _opposite(value: str, pool: set[str]) -> str:
    pairs = {
        "af": "Bij",
        "bij": "Af",
        "d": "C",
        "c": "D",
        "dr": "CR",
        "cr": "DR",
        "debit": "Credit",
        "credit": "Debit",
        "s": "H",
        "h": "S",
    }
    return pairs.get(value.lower(), sorted(pool)[0])
