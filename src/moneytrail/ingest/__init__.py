"""Loading files into the warehouse: one reader per format, quarantine, provenance.

A reader is a module that declares `READER = Format(...)` (see `_registry`): a
function `read(ctx: LoadContext) -> int` that streams the file from
`ctx.stream`, writes canonical rows and quarantines bad ones through `ctx`, and
returns the number of data rows it read, and the rule that recognises its
files. The loader around it owns the transaction, idempotency, implausible
dates, movements repeated across files and bookkeeping.
"""

from moneytrail.ingest._context import IngestOptions
from moneytrail.ingest._detect import detect_format
from moneytrail.ingest._load import FileReport, ingest_file
from moneytrail.ingest._registry import FORMATS, Format

__all__ = ["FORMATS", "FileReport", "Format", "IngestOptions", "detect_format", "ingest_file"]
