"""The one place formats are registered: every reader module declares a `READER`.

A reader module (`ingest/<name>.py`) declares, beside its `read` function, a
`READER = Format(...)` with its name, the rule that recognises it from a file's
first bytes, a one-line description and an example command. `FORMATS` maps
names to those declarations in detection order: `--format auto` asks each
`detect` in turn, so a precise rule (a fixed-width record, an XML namespace, a
tag only one format uses) comes before a loose one (a CSV header). A new format
is one new module and one line in `_MODULES`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from moneytrail.ingest._context import LoadContext

Reader = Callable[["LoadContext"], int]
Detect = Callable[[bytes], bool]


@dataclass(frozen=True)
class Format:
    """A reader and how to recognise its files.

    `detect` gets the file's first bytes (up to SNIFF_BYTES, a UTF-8 byte-order
    mark removed) and says whether the file is of this format; None means the
    format is only read when named. `statement` marks bank-statement formats,
    whose entries are matched against other files' movements (ingest._statements).
    `date_field` names the field a quarantined implausible date came from.
    """

    name: str
    read: Reader
    detect: Detect | None
    summary: str
    example: str
    statement: bool = False
    date_field: str = "date"


# Detection order: precise rules first.
_MODULES = (
    "efw2",
    "camt053",
    "ofx",
    "mt940",
    "bai2",
    "pdf",
    "ftm",
    "ocds",
    "aml_csv",
    "form941",
    "bank_csv",
)


def _load() -> dict[str, Format]:
    formats: dict[str, Format] = {}
    for module in _MODULES:
        spec: Format = importlib.import_module(f"moneytrail.ingest.{module}").READER
        formats[spec.name] = spec
    return formats


FORMATS: dict[str, Format] = _load()
