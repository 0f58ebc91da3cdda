"""Loading files into the warehouse: one reader per format, quarantine, provenance.

A reader is a function `read(ctx: LoadContext) -> int` that streams the file
from `ctx.stream`, writes canonical rows and quarantines bad ones through
`ctx`, and returns the number of data rows it read. The loader around it owns
the transaction, idempotency and bookkeeping.
"""

from moneytrail.ingest._detect import detect_format
from moneytrail.ingest._load import FORMATS, FileReport, ingest_file

__all__ = ["FORMATS", "FileReport", "detect_format", "ingest_file"]
